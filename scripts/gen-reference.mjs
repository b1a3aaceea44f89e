#!/usr/bin/env node
// Generates doc/reference/: one page per command, from the CLIs' own --help (the yargs
// definitions), so the reference can't drift; test/integration/cli.test.ts checks it.
// Usage: npm run build && node scripts/gen-reference.mjs [--check] [--dir DIR]
//   --check: write nothing; exit 1 and name the pages that differ from what would be generated.
import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const COMMANDS = {
  racker: ['run', 'create', 'exec', 'attach', 'shell', 'ps', 'logs', 'start', 'stop', 'restart', 'kill', 'rm', 'rename', 'wait', 'inspect', 'top', 'pause', 'unpause', 'stats', 'update', 'cp', 'diff', 'export', 'port', 'pull', 'images', 'rmi', 'tag', 'import', 'build', 'save', 'load', 'history', 'commit', 'image prune', 'login', 'logout', 'version', 'info', 'events', 'network create', 'network ls', 'network inspect', 'network rm', 'network prune', 'network connect', 'network disconnect', 'volume create', 'volume ls', 'volume inspect', 'volume rm', 'volume prune', 'system df', 'system prune', 'system service', 'pool create', 'pool ls', 'pool rm'],
  postroj: ['list-images', 'pull', 'pkgprobe', 'selftest', 'matrix', 'summary'],
};

async function help(program, command) {
  // Not a terminal: yargs does not wrap, so the text is the same on every machine.
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(repo, 'dist/bin', `${program}.js`), ...command.split(' '), '--help'], {
    env: { ...process.env, RACKER_DEBUG: '' },
  });
  return stdout;
}

/** f over items, at most `limit` at a time, results in order (a process per command: one per CPU). */
async function mapLimited(items, limit, f) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** The pages as { relative path: content }. */
export async function renderReference() {
  const pages = {};
  const index = ['# Command reference', '', 'Generated from the commands\' own `--help` by `scripts/gen-reference.mjs`; do not edit by hand.', ''];
  const all = Object.entries(COMMANDS).flatMap(([program, commands]) => commands.map((command) => [program, command]));
  const texts = await mapLimited(all, availableParallelism(), ([program, command]) => help(program, command));
  let shown;
  all.forEach(([program, command], i) => {
    if (program !== shown) {
      if (shown !== undefined) index.push('');
      index.push(`## ${program}`, '');
      shown = program;
    }
    const file = `${program}-${command.replace(/ /g, '-')}.md`; // 'system prune' → racker-system-prune.md
    pages[file] = `# ${program} ${command}\n\n\`\`\`\n${texts[i].trimEnd()}\n\`\`\`\n`;
    index.push(`- [${program} ${command}](${file})`);
  });
  index.push('');
  pages['README.md'] = `${index.join('\n').trimEnd()}\n`;
  return pages;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const dirAt = args.indexOf('--dir');
  const dir = dirAt >= 0 ? path.resolve(args[dirAt + 1]) : path.join(repo, 'doc/reference');
  const pages = await renderReference();
  if (args.includes('--check')) {
    const stale = Object.entries(pages)
      .filter(([file, text]) => !existsSync(path.join(dir, file)) || readFileSync(path.join(dir, file), 'utf8') !== text)
      .map(([file]) => file);
    if (stale.length) {
      console.log(`out of date (run: node scripts/gen-reference.mjs): ${stale.join(' ')}`);
      process.exitCode = 1;
    } else console.log('reference is up to date');
  } else {
    mkdirSync(dir, { recursive: true });
    for (const [file, text] of Object.entries(pages)) writeFileSync(path.join(dir, file), text);
    console.log(`wrote ${Object.keys(pages).length} pages to ${path.relative(repo, dir) || dir}`);
  }
}
