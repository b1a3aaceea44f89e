/**
 * racker's native pieces (native/*.c), compiled by `npm run build` into dist/native/ (addons: NAME.node).
 * Each is optional: a build without a C compiler has none, and the features that need one say so.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const loaded = new Map<string, unknown>();

/** A built native file (an addon, or an executable: racker-host-exec, racker-enter-host-pid): beside the bundle (dist/bin → dist/native) or, from the sources (tests), under dist/. */
export function nativeFile(name: string): string | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return [path.join(here, '..', 'native', name), path.join(here, '..', '..', 'dist', 'native', name)].find((p) => existsSync(p));
}

/** The addon's exports, or null when it was not built or does not load. */
export function nativeAddon<T>(name: 'peercred' | 'idmap'): T | null {
  if (loaded.has(name)) return loaded.get(name) as T | null;
  const file = nativeFile(`${name}.node`);
  let exports: T | null = null;
  if (file) {
    const mod = { exports: {} as T };
    try {
      process.dlopen(mod, file);
      exports = mod.exports;
    } catch {
      exports = null;
    }
  }
  loaded.set(name, exports);
  return exports;
}
