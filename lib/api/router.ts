/** A small router: method + path pattern → handler; the groups of the pattern are its params. */
import type { Exchange } from './exchange.js';

export type Handler = (x: Exchange, params: string[]) => Promise<void> | void;

export interface Route {
  method: string;
  /** Matched against the whole path (without the version prefix). */
  pattern: RegExp;
  handler: Handler;
}

export function route(method: string, pattern: RegExp, handler: Handler): Route {
  return { method, pattern, handler };
}

/** The first route for method and path, with its decoded params; HEAD falls back to GET. */
export function match(routes: readonly Route[], method: string, path: string): { handler: Handler; params: string[] } | undefined {
  for (const wanted of method === 'HEAD' ? ['HEAD', 'GET'] : [method]) {
    for (const r of routes) {
      if (r.method !== wanted) continue;
      const m = r.pattern.exec(path);
      if (m) return { handler: r.handler, params: m.slice(1).map((p) => decodeURIComponent(p ?? '')) };
    }
  }
  return undefined;
}

/** Boolean query flags as the Engine reads them: "1", "true" (any case) are true. */
export function flag(query: URLSearchParams, name: string, fallback = false): boolean {
  const v = query.get(name);
  if (v === null || v === '') return fallback;
  return v === '1' || v.toLowerCase() === 'true';
}
