/**
 * dist/bin/racker.js and dist/bin/postroj.js: what `racker`, the tests, the bench and the
 * supervisor's re-exec (`node dist/bin/racker.js __supervise …`) all start. It compiles the
 * command's bundle (one CommonJS file, scripts/bundle.mjs) with V8's code cache of the last
 * successful run of the same command (lib/startup/code-cache.ts), and writes that cache when
 * it had none. Measured in doc/performance.md: most of what racker added to Node's own start
 * was loading and compiling its code, which the cache skips.
 *
 * This file is small and CommonJS on purpose: Node loads a CommonJS entry synchronously,
 * without the ES module loader's per-file work; and a code cache can only be given to a
 * vm.Script (Node 20 has none for ES modules).
 */
// Named imports only: a default import of a builtin costs a copy of all its properties here.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { Module } from 'node:module';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { cacheFile, codeCacheDir, commandWord, readCodeCache, writeCodeCache, type CacheKey } from '../lib/startup/code-cache.js';
import { applyReadyRequest, preloadBuiltins, readReadyRequestSync } from '../lib/startup/ready.js';
import { hasBareEnvWords, viaService } from './via-service.js';

/** Put in by scripts/bundle.mjs: which bundle, and its SHA-256. */
declare const __RACKER_ENTRY__: string;
declare const __RACKER_BUNDLE_HASH__: string;
/** Whether a client bundle (cli/forward-client.ts) was built beside this entry's. */
declare const __RACKER_CLIENT__: boolean;
/** Whether the bundle is all ASCII, so reading it as latin1 gives the same string. */
declare const __RACKER_BUNDLE_ASCII__: boolean;

function launch(entry: string, bundleHash: string): void {
  const bundle = join(__dirname, `${entry}.bundle.cjs`);
  // The racker service's ready process (lib/startup/ready.ts): its command comes later, on this descriptor.
  const readyFd = process.env.RACKER_READY_FD;
  delete process.env.RACKER_READY_FD;
  // Not root, and a command the service runs as typed: only the client's own bundle.
  const args = process.argv.slice(2);
  if (__RACKER_CLIENT__ && readyFd === undefined && viaService(args, process.getuid?.() ?? 0, entry) && !hasBareEnvWords(args)) {
    const client = join(__dirname, `${entry}.client.bundle.cjs`);
    if (existsSync(client)) {
      Module.createRequire(client)(client);
      return;
    }
  }
  let source: string | undefined;
  let stat = '';
  const read = () => {
    try {
      const st = statSync(bundle);
      const now = `${st.size}:${Math.floor(st.mtimeMs)}`;
      if (source === undefined || now !== stat) source = readFileSync(bundle, __RACKER_BUNDLE_ASCII__ ? 'latin1' : 'utf8');
      stat = now;
    } catch (err) {
      process.stderr.write(`${entry}: cannot read ${bundle}: ${(err as Error).message} (run npm run build)\n`);
      process.exit(125);
    }
  };
  read();
  if (readyFd !== undefined) {
    preloadBuiltins();
    try {
      const req = readReadyRequestSync(Number(readyFd));
      // No request: the service stopped (or went) before it had one for this process.
      if (req === undefined) process.exit(0);
      applyReadyRequest(req);
    } catch (err) {
      // A directory gone since the service checked it, say: one line, racker's own failure.
      process.stderr.write(`${entry}: cannot run the command: ${(err as Error).message}\n`);
      process.exit(125);
    }
    // A bundle rebuilt while this process waited: run what is there now, as a fresh start would.
    read();
  }
  const euid = process.geteuid?.() ?? -1;
  const dir = codeCacheDir(process.env, euid);
  const key: CacheKey = { entry, bundleHash, command: commandWord(process.argv.slice(2)), bundleStat: stat };
  const file = dir !== undefined ? cacheFile(dir, key) : undefined;
  const cached = file !== undefined ? readCodeCache(file, key, euid) : undefined;

  const script = new Script(Module.wrap(source!), {
    filename: bundle,
    cachedData: cached,
    // No importModuleDynamically: the bundle has no import() left (scripts/bundle.mjs turns
    // each into a require()), since one compiled from a code cache would have lost its loader.
  });
  if (file !== undefined && (cached === undefined || script.cachedDataRejected)) {
    // At exit the cache holds every function this run compiled; only a run that succeeded
    // (no cache per mistyped command word).
    process.once('exit', (code) => {
      if (code === 0) writeCodeCache(file, key, script.createCachedData());
    });
  }
  const wrapper = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: Module, filename: string, dirname: string) => void;
  const mod = new Module(bundle, module);
  mod.filename = bundle;
  mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(__dirname);
  wrapper.call(mod.exports, mod.exports, Module.createRequire(bundle), mod, bundle, __dirname);
}

launch(__RACKER_ENTRY__, __RACKER_BUNDLE_HASH__);
