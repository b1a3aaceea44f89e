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
 * operation's code. CPU time of `racker --version`: 1.59x that of `node -e 0` before, 1.28x then.
 *
 * racker also gets one bundle per command word, dist/bin/racker.WORD.bundle.cjs, holding that
 * command alone (and racker.none.bundle.cjs for `racker --version`), which the launcher runs
 * when argv names it (cli/bundle-choice.ts): the whole bundle's code cache follows the whole
 * file, every command's module ran at every start, and yargs registered all of them. With
 * them, 1.13x (doc/performance.md, start-up, 2026-12-08).
 */
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
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

// The program's own code (not the launcher's or the client's): its version and where it is.
const program = {
  ...common,
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
  plugins: [
    {
      // yargs's search for a package.json at every start, and the node:assert it loads for its
      // answer: cli/yargs-platform.ts says why neither is needed.
      name: 'yargs-platform',
      setup(b) {
        b.onResolve({ filter: /^(assert|escalade\/sync)$/ }, (args) => (/[\\/]node_modules[\\/]yargs[\\/]/.test(args.importer) ? { path: path.join(repo, 'cli', 'yargs-platform.ts') } : undefined));
      },
    },
  ],
};

/** The bundle of `racker --version`, no command (cli/bundle-choice.ts, NO_COMMAND). */
const NO_COMMAND = 'none';

/**
 * Where each of racker's commands is defined, found by running cli/commands/index.ts (its
 * modules only define commands; their work is imported when a handler runs): word → the
 * export that is its CommandModule, and the export that is its trailing options, if any.
 * From the list itself, so a new command in index.ts gets its own bundle with no other edit.
 */
async function commandSources() {
  const files = readdirSync(path.join(repo, 'cli', 'commands')).filter((f) => f.endsWith('.ts') && f !== 'index.ts').sort();
  const modules = [...files.map((f) => `./cli/commands/${f}`), './cli/trailing.ts'];
  const contents = [
    "export { rackerCommands, trailingCommands } from './cli/commands/index.ts';",
    `export const modules = [${modules.map((_, i) => `m${i}`).join(', ')}];`,
    ...modules.map((m, i) => `import * as m${i} from '${m}';`),
  ].join('\n');
  const out = await build({ ...program, minify: false, stdin: { contents, resolveDir: repo, loader: 'ts', sourcefile: 'command-sources.ts' }, write: false });
  const mod = { exports: {} };
  new Function('module', 'exports', 'require', '__filename', out.outputFiles[0].text)(mod, mod.exports, createRequire(path.join(repo, 'cli', 'racker.ts')), path.join(repo, 'cli', 'racker.ts'));
  const { rackerCommands, trailingCommands, modules: loaded } = mod.exports;
  /** The module and export name of a value index.ts uses. */
  const source = (value, what) => {
    for (const [i, m] of loaded.entries()) for (const [name, v] of Object.entries(m)) if (v === value) return { module: modules[i], name };
    throw new Error(`scripts/bundle.mjs: ${what} is no export of cli/commands/*.ts or cli/trailing.ts`);
  };
  const table = new Map();
  for (const command of rackerCommands) {
    const word = String(command.command).split(' ')[0];
    if (word === NO_COMMAND || table.has(word) || !/^[a-z_][a-z0-9_-]*$/.test(word)) throw new Error(`scripts/bundle.mjs: command word ${JSON.stringify(word)} cannot have its own bundle`);
    table.set(word, { command: source(command, `the command ${word}`) });
  }
  for (const [word, options] of Object.entries(trailingCommands)) {
    if (!table.has(word)) throw new Error(`scripts/bundle.mjs: trailing options for ${word}, which is no command`);
    table.get(word).trailing = source(options, `the trailing options of ${word}`);
  }
  return table;
}

/** A command bundle's entry: racker's program with that command alone (none for NO_COMMAND). */
function commandEntry(word, sources) {
  const s = sources.get(word);
  const imports = ["import { startRacker } from './cli/racker-program.ts';"];
  if (s) imports.push(`import { ${s.command.name} as command } from '${s.command.module}';`);
  if (s?.trailing) imports.push(`import { ${s.trailing.name} as trailing } from '${s.trailing.module}';`);
  return `${imports.join('\n')}\nstartRacker(${s ? '[command]' : '[]'}, ${s?.trailing ? `{ ${JSON.stringify(word)}: trailing }` : '{}'}, false);\n`;
}

/**
 * Rewrites a bundle esbuild wrote as the function the launcher calls, as Node's CommonJS
 * loader would wrap it (without a #! line, a syntax error there): the launcher compiles the
 * file as it is, where wrapping it at each start cost a copy of the whole text (V8 flattens
 * the joined string to compile it) and, for `racker --version`, a scavenge of the young heap.
 */
function finish(file) {
  const text = `(function (exports, require, module, __filename, __dirname) { ${readFileSync(file, 'utf8').replace(/^#!.*\n/, '')}\n});`;
  writeFileSync(file, text);
  // esbuild escapes non-ASCII characters in strings, not everywhere (a regular expression's
  // µ): the launcher reads an ASCII bundle as latin1, which V8 takes ~3x faster than UTF-8.
  return { file: path.basename(file), hash: createHash('sha256').update(text).digest('hex'), ascii: !/[^\x00-\x7f]/.test(text) };
}

for (const entry of ['racker', 'postroj']) {
  // racker: the whole program, and one bundle per command word besides (cli/bundle-choice.ts).
  const sources = entry === 'racker' ? await commandSources() : new Map();
  const words = entry === 'racker' ? [NO_COMMAND, ...sources.keys()] : [];
  await build({
    ...program,
    entryPoints: [{ in: `cli/${entry}.ts`, out: `${entry}.bundle` }, ...words.map((w) => ({ in: `racker-command:${w}`, out: `${entry}.${w}.bundle` }))],
    outdir: bin,
    outExtension: { '.js': '.cjs' },
    plugins: [
      ...program.plugins,
      {
        name: 'racker-command',
        setup(b) {
          b.onResolve({ filter: /^racker-command:/ }, (args) => ({ path: args.path.slice('racker-command:'.length), namespace: 'racker-command' }));
          b.onLoad({ filter: /.*/, namespace: 'racker-command' }, (args) => ({ contents: commandEntry(args.path, sources), resolveDir: repo, loader: 'ts' }));
        },
      },
    ],
  });
  const whole = finish(path.join(bin, `${entry}.bundle.cjs`));
  const commands = Object.fromEntries(words.map((w) => [w, finish(path.join(bin, `${entry}.${w}.bundle.cjs`))]));
  // racker's client for a user other than root (cli/forward-client.ts): the launcher loads it
  // instead of the bundle when the command goes to the service as typed.
  const client = entry === 'racker';
  if (client) {
    await build({ ...common, entryPoints: ['cli/forward-client.ts'], outfile: path.join(bin, `${entry}.client.bundle.cjs`), minify: process.env.RACKER_MINIFY !== '0', keepNames: true });
  }
  await build({
    ...common,
    entryPoints: ['cli/launcher.ts'],
    outfile: path.join(bin, `${entry}.js`),
    // `node --`: see cli/racker.ts (Node 20 would take a later --env-file as its own).
    banner: { js: '#!/usr/bin/env -S node --' },
    define: {
      __RACKER_ENTRY__: JSON.stringify(entry),
      __RACKER_CLIENT__: JSON.stringify(client),
      // Each with its hash, the key of the code cache: a rebuilt bundle never uses an older build's cache.
      __RACKER_BUNDLE__: JSON.stringify(whole),
      __RACKER_COMMAND_BUNDLES__: JSON.stringify(commands),
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
