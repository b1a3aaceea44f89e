/** A small router: method + path pattern → handler; the groups of the pattern are its params. */
import type { Exchange } from './exchange.js';

export type Handler = (x: Exchange, params: string[]) => Promise<void> | void;

/**
 * Who may call a route: 'root' (the default) or also 'member', a non-root caller in the
 * service's group (lib/access), for routes whose objects are checked as theirs.
 */
export type Access = 'root' | 'member';

export interface Route {
  method: string;
  access: Access;
  /** Matched against the whole path (without the version prefix). */
  pattern: RegExp;
  handler: Handler;
}

export function route(method: string, pattern: RegExp, handler: Handler, access: Access = 'root'): Route {
  return { method, pattern, handler, access };
}

/** The same routes, open to members as well. */
export function forMembers(routes: Route[]): Route[] {
  return routes.map((r) => ({ ...r, access: 'member' }));
}

/** The first route for method and path, with its decoded params; HEAD falls back to GET. */
export function match(routes: readonly Route[], method: string, path: string): { handler: Handler; params: string[]; access: Access } | undefined {
  for (const wanted of method === 'HEAD' ? ['HEAD', 'GET'] : [method]) {
    for (const r of routes) {
      if (r.method !== wanted) continue;
      const m = r.pattern.exec(path);
      if (m) return { handler: r.handler, access: r.access, params: m.slice(1).map((p) => decodeURIComponent(p ?? '')) };
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

/** route() open to members as well (lib/access): their objects are checked as theirs inside. */
export function memberRoute(method: string, pattern: RegExp, handler: Handler): Route {
  return route(method, pattern, handler, 'member');
}
