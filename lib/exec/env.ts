/**
 * An environment as a child gets it: process.env and its merges may hold undefined (a
 * variable deleted or never set), which spawn would pass as the text "undefined". Its own
 * module, without imports: racker's client bundle (lib/client/forward.ts) needs it too.
 */

/** `env` without its undefined entries. Pure. */
export function definedEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}
