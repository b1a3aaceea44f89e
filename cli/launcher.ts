/**
 * dist/bin/racker.js and dist/bin/postroj.js: what `racker`, the tests, the bench and the
 * supervisor's re-exec (`node dist/bin/racker.js __supervise …`) all start. It compiles the
 * command's bundle (one CommonJS file, scripts/bundle.mjs: the command word's own, or the whole
 * program's, cli/bundle-choice.ts) with V8's code cache of the last successful run of the same
 * command (lib/startup/code-cache.ts), and writes that cache when it had none. Measured in
 * doc/performance.md: most of what racker added to Node's own start was loading and compiling
 * its code, which the cache skips, and the command bundles make small.
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
import { bundleWord } from './bundle-choice.js';
import { hasBareEnvWords, viaService } from './via-service.js';

/** A bundle beside the launcher, as scripts/bundle.mjs built it. */
interface Bundle {
  /** Its file name in this directory. */
  file: string;
  /** Its SHA-256: the code cache's key. */
  hash: string;
  /** Whether it is all ASCII, so reading it as latin1 gives the same string. */
  ascii: boolean;
}

/** Put in by scripts/bundle.mjs: which program. */
declare const __RACKER_ENTRY__: string;
/** The whole program's bundle. */
declare const __RACKER_BUNDLE__: Bundle;
/** The bundle of each command word that has its own (cli/bundle-choice.ts); none for postroj. */
declare const __RACKER_COMMAND_BUNDLES__: Record<string, Bundle>;
/** Whether a client bundle (cli/forward-client.ts) was built beside this entry's. */
declare const __RACKER_CLIENT__: boolean;

/** The bundle that runs args: its command's own, or the whole program's. */
function choose(args: readonly string[]): Bundle {
  const word = bundleWord(args, (w) => Object.hasOwn(__RACKER_COMMAND_BUNDLES__, w));
  return word === undefined ? __RACKER_BUNDLE__ : __RACKER_COMMAND_BUNDLES__[word]!;
}

function launch(entry: string): void {
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
  }
  // Read only now, a ready process's too: which bundle depends on the command, and one
  // rebuilt while the process waited is read as a fresh start would.
  const chosen = choose(process.argv.slice(2));
  const bundle = join(__dirname, chosen.file);
  let source: string;
  let stat: string;
  try {
    const st = statSync(bundle);
    stat = `${st.size}:${Math.floor(st.mtimeMs)}`;
    source = readFileSync(bundle, chosen.ascii ? 'latin1' : 'utf8');
  } catch (err) {
    process.stderr.write(`${entry}: cannot read ${bundle}: ${(err as Error).message} (run npm run build)\n`);
    process.exit(125);
  }
  const euid = process.geteuid?.() ?? -1;
  const dir = codeCacheDir(process.env, euid);
  const key: CacheKey = { entry, bundleHash: chosen.hash, command: commandWord(process.argv.slice(2)), bundleStat: stat };
  const file = dir !== undefined ? cacheFile(dir, key) : undefined;
  const cached = file !== undefined ? readCodeCache(file, key, euid) : undefined;

  // Already the function Node's loader would make of it (scripts/bundle.mjs).
  const script = new Script(source, {
    filename: bundle,
    cachedData: cached,
    // No importModuleDynamically: the bundle has no import() left (scripts/bundle.mjs turns
    // each into a require()), since one compiled from a code cache would have lost its loader.
  });
  if (file !== undefined && (cached === undefined || script.cachedDataRejected)) {
    // At exit the cache holds every function this run compiled; only a run that succeeded
    // (no cache per mistyped command word).
    process.once('exit', (code) => {
      // Every bundle of this build: their caches are no other build's, whatever their age.
      const build = [__RACKER_BUNDLE__.hash, ...Object.values(__RACKER_COMMAND_BUNDLES__).map((b) => b.hash)];
      if (code === 0) writeCodeCache(file, key, script.createCachedData(), build);
    });
  }
  const wrapper = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: Module, filename: string, dirname: string) => void;
  const mod = new Module(bundle, module);
  mod.filename = bundle;
  mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(__dirname);
  wrapper.call(mod.exports, mod.exports, Module.createRequire(bundle), mod, bundle, __dirname);
}

launch(__RACKER_ENTRY__);
