/**
 * What racker needs to know of a Containerfile before buildah reads it: which file it is
 * (the default names as podman and buildah choose them) and which images it builds on, so
 * racker can put those into buildah's storage from its own store. Everything else in the
 * file is buildah's business.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';

/** podman/buildah look for Containerfile first, then Dockerfile (docker only knows the latter). */
export const DEFAULT_NAMES = ['Containerfile', 'Dockerfile'] as const;

export function defaultContainerfile(context: string): string {
  for (const name of DEFAULT_NAMES) {
    const p = path.join(context, name);
    if (existsSync(p) && statSync(p).isFile()) return p;
  }
  throw new UsageError(`no Containerfile or Dockerfile in ${context} (name one with -f)`);
}

/** Logical lines: comments and blank lines dropped, backslash continuations joined. */
function logicalLines(text: string): string[] {
  const out: string[] = [];
  let current = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (current === '' && (line === '' || line.startsWith('#'))) continue;
    if (current !== '' && line.startsWith('#')) continue; // comment lines inside a continuation
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    out.push(current + line);
    current = '';
  }
  if (current.trim() !== '') out.push(current);
  return out;
}

/** $VAR, ${VAR}, ${VAR:-default}, ${VAR:+alternative}, as the Dockerfile syntax expands them. */
export function expand(word: string, vars: ReadonlyMap<string, string>): string {
  return word.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_m, braced: string | undefined, op: string | undefined, alt: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare!;
    const value = vars.get(name);
    if (op === '-') return value ? value : (alt ?? '');
    if (op === '+') return value ? (alt ?? '') : '';
    return value ?? '';
  });
}

/** The ARG words of one instruction: NAME or NAME=VALUE (quotes around VALUE dropped). */
function argWords(rest: string): [string, string | undefined][] {
  return rest
    .split(/\s+/)
    .filter(Boolean)
    .map((w) => {
      const eq = w.indexOf('=');
      if (eq < 0) return [w, undefined];
      return [w.slice(0, eq), w.slice(eq + 1).replace(/^(["'])(.*)\1$/, '$2')];
    });
}

/**
 * The images a Containerfile builds on: each FROM's image and each `COPY --from=` that names
 * an image rather than a stage, after the global ARGs (with `buildArgs` over their defaults)
 * are expanded; `scratch` and stage names are left out. In the order they appear, once each.
 */
export function baseImages(text: string, buildArgs: readonly string[] = [], env: NodeJS.ProcessEnv = {}): string[] {
  const given = new Map<string, string>();
  for (const a of buildArgs) {
    const eq = a.indexOf('=');
    // docker: --build-arg NAME alone takes NAME's value from the environment.
    if (eq < 0) {
      if (env[a] !== undefined) given.set(a, env[a]!);
    } else given.set(a.slice(0, eq), a.slice(eq + 1));
  }
  const globals = new Map<string, string>();
  const stages = new Set<string>();
  const images: string[] = [];
  const add = (name: string) => {
    if (name === '' || name.toLowerCase() === 'scratch' || stages.has(name.toLowerCase()) || images.includes(name)) return;
    images.push(name);
  };
  let seenFrom = false;
  for (const line of logicalLines(text)) {
    const m = /^(\S+)\s*(.*)$/.exec(line);
    if (!m) continue;
    const instruction = m[1]!.toUpperCase();
    const rest = m[2]!;
    if (instruction === 'ARG' && !seenFrom) {
      for (const [name, value] of argWords(rest)) {
        const v = given.get(name) ?? (value !== undefined ? expand(value, globals) : undefined);
        if (v !== undefined) globals.set(name, v);
      }
    } else if (instruction === 'FROM') {
      seenFrom = true;
      const words = rest.split(/\s+/).filter((w) => w && !w.startsWith('--'));
      if (!words[0]) throw new UsageError(`FROM requires an image: ${JSON.stringify(line)}`);
      add(expand(words[0], globals));
      if (words[1]?.toUpperCase() === 'AS' && words[2]) stages.add(words[2].toLowerCase());
    } else if (instruction === 'COPY' || instruction === 'ADD') {
      const from = /(?:^|\s)--from=(\S+)/.exec(rest)?.[1];
      if (from !== undefined && !/^\d+$/.test(from)) add(expand(from, globals));
    }
  }
  return images;
}
