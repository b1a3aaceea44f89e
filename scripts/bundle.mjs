#!/usr/bin/env node
/**
 * npm run build, second step (after tsc has type-checked): bundle cli/racker.ts and
 * cli/postroj.ts with their dependencies into dist/bin/.
 *
 * Each entry point becomes one CommonJS file, dist/bin/ENTRY.bundle.cjs, run by a small
 * launcher, dist/bin/ENTRY.js (cli/launcher.ts), which compiles it with V8's code cache of
 * the command's last run. Why (measured in doc/performance.md): Node 20 loads an ES module
 * graph file by file (resolve, read, compile, link), ~85 files for racker unbundled, ~25
 * chunks when bundled as ES modules; as one script with a code cache, nothing is resolved and
 * almost nothing compiled. Lazy imports stay lazy inside the file: esbuild turns each into a
 * function that runs its module's top level on first use, so `--help` still runs no
 * operation's code. CPU time of `racker --version`: 1.59x that of `node -e 0` before, 1.28x now.
 */
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(repo, 'dist');
const bin = path.join(outdir, 'bin');
const { version } = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8'));
// Nothing stale (an older unbundled dist/cli/, older chunks) may stay beside the bundle.
rmSync(outdir, { recursive: true, force: true });

// `supported: dynamic-import false`: an import() of Node's own modules becomes a require() too. A
// real import() in a script compiled from the code cache has lost its loader on Node 20 ("A dynamic
// import callback was not specified", ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING), and needs the
// experimental vm.USE_MAIN_CONTEXT_DEFAULT_LOADER even without one.
const common = {
  absWorkingDir: repo,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  supported: { 'dynamic-import': false },
  logLevel: 'warning',
  legalComments: 'none',
};

for (const entry of ['racker', 'postroj']) {
  const bundle = path.join(bin, `${entry}.bundle.cjs`);
  await build({
    ...common,
    entryPoints: [`cli/${entry}.ts`],
    outfile: bundle,
    // Half the bytes to read and scan at each start. keepNames: error classes are told apart
    // by their name (lib/errors.ts), which must survive.
    minify: process.env.RACKER_MINIFY !== '0',
    keepNames: true,
    define: {
      // --version without reading package.json at every start (and wherever dist/ is copied to).
      __RACKER_VERSION__: JSON.stringify(version),
      // The code that asks where it is (rackerBin: the launcher beside it) gets the bundle's
      // URL, computed when first asked (pathToFileURL is not free at every start).
      'import.meta': '__rackerImportMeta',
    },
    banner: { js: "var __rackerImportMeta = { get url() { return require('node:url').pathToFileURL(__filename).href; } };" },
  });
  // racker's client for a user other than root (cli/forward-client.ts): the launcher loads it
  // instead of the bundle when the command goes to the service as typed.
  const client = entry === 'racker';
  if (client) {
    await build({ ...common, entryPoints: ['cli/forward-client.ts'], outfile: path.join(bin, `${entry}.client.bundle.cjs`), minify: process.env.RACKER_MINIFY !== '0', keepNames: true });
  }
  // The launcher wraps the file in a function: a #! line would be a syntax error there.
  const text = readFileSync(bundle, 'utf8').replace(/^#!.*\n/, '');
  writeFileSync(bundle, text);
  // esbuild escapes non-ASCII characters in strings, not everywhere (a regular expression's
  // µ): the launcher reads an ASCII bundle as latin1, which V8 takes ~3x faster than UTF-8.
  const ascii = !/[^\x00-\x7f]/.test(text);
  await build({
    ...common,
    entryPoints: ['cli/launcher.ts'],
    outfile: path.join(bin, `${entry}.js`),
    // `node --`: see cli/racker.ts (Node 20 would take a later --env-file as its own).
    banner: { js: '#!/usr/bin/env -S node --' },
    define: {
      __RACKER_ENTRY__: JSON.stringify(entry),
      __RACKER_CLIENT__: JSON.stringify(client),
      __RACKER_BUNDLE_ASCII__: JSON.stringify(ascii),
      // The key of the code cache: a rebuilt bundle never uses an older build's cache.
      __RACKER_BUNDLE_HASH__: JSON.stringify(createHash('sha256').update(text).digest('hex')),
    },
  });
  chmodSync(path.join(bin, `${entry}.js`), 0o755);
}
// package.json says "type": "module"; these .js launchers are CommonJS (loaded without the ES module loader).
writeFileSync(path.join(outdir, 'package.json'), '{ "type": "commonjs" }\n');

// The native pieces, plain shared objects against Node's own N-API headers, no node-gyp:
// native/peercred.c (SO_PEERCRED: who calls the Engine API service; Node has no getsockopt) and
// native/idmap.c (ID-mapped bind mounts of a member's host paths: lib/access/member-binds.ts).
// Without a C compiler the build goes on: the service then serves root only, and a member's
// host paths are refused (lib/access/peer.ts, member-binds.ts say so).
const headers = [path.join(path.dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node'].find((d) => existsSync(path.join(d, 'node_api.h')));
const native = path.join(outdir, 'native');
if (!headers) {
  console.warn('racker build: Node\'s headers (node_api.h) not found: the Engine API service will serve root only');
} else {
  mkdirSync(native, { recursive: true });
  for (const name of ['peercred', 'idmap']) {
    try {
      execFileSync('cc', ['-shared', '-fPIC', '-O2', '-Wall', '-Werror', `-DNODE_GYP_MODULE_NAME=${name}`, `-I${headers}`, '-o', path.join(native, `${name}.node`), path.join(repo, 'native', `${name}.c`)], { stdio: 'inherit' });
    } catch (err) {
      console.warn(`racker build: native/${name}.c not compiled (${err.message.split('\n')[0]}): ${name === 'peercred' ? 'the Engine API service will serve root only' : "members' host paths will be refused"} (apt-get install gcc libc6-dev)`);
    }
  }
}

// racker-host-exec (native/host-exec.c: a client inside a racker shell container, static so it
// runs in any image, glibc or musl) and its host side (native/host-execd.c, run as the shell's
// owner): lib/shell/host-exec.ts; racker-enter-host-pid (native/enter-host-pid.c: racker shell
// --host-pid, lib/container/exec.ts). Without them, shells work without host-exec and --host-pid.
mkdirSync(native, { recursive: true });
for (const [name, source, flags, without] of [
  ['racker-host-exec', 'host-exec.c', ['-static', '-Os', '-s'], 'racker-host-exec'],
  ['racker-host-execd', 'host-execd.c', ['-O2'], 'racker-host-exec'],
  ['racker-enter-host-pid', 'enter-host-pid.c', ['-O2'], '--host-pid'],
]) {
  try {
    execFileSync('cc', [...flags, '-Wall', '-Werror', '-o', path.join(native, name), path.join(repo, 'native', source)], { stdio: 'inherit' });
  } catch (err) {
    console.warn(`racker build: native/${source} not compiled (${err.message.split('\n')[0]}): racker shell works without ${without} (apt-get install gcc libc6-dev)`);
  }
}
