/**
 * The shared leak check (issue 22): around every integration test file's top-level suite, a
 * census of what racker and its tests can leave on this machine, taken before the suite's own
 * `before` hooks and compared after its `after` hooks. Whatever is new then (after a short
 * grace for teardown still under way) fails the suite's last hook, naming the suite and its
 * file: a mount, a container's or racker's process, a network namespace, a container's cgroup,
 * a bridge or veth link of racker's, an nft table, a listening TCP socket, a test's temporary
 * directory.
 *
 * Machine-wide on purpose: tests use a RACKER_ROOT each, and a leak is a leak whichever root
 * it came from. What was there before the suite is never blamed on it. Registered as a mocha
 * root hook plugin (.mocharc.cjs `require`); unit test files are left alone.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import type { Context, Suite } from 'mocha';

/** One line per thing, so a difference of sets names each one. */
export function census(): Set<string> {
  const found = new Set<string>();
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    const point = f[4];
    const type = f[f.indexOf('-') + 1];
    if (point && (type === 'overlay' || /\/racker[-/]|racker-test|\/host-exec\//.test(point))) found.add(`mount ${point} (${type})`);
  }
  for (const name of safeDir('/run/netns')) if (name.startsWith('racker-')) found.add(`network namespace ${name}`);
  // A container's own cgroup (lib/container/cgroup.ts), in each hierarchy racker uses.
  for (const hierarchy of safeDir('/sys/fs/cgroup')) {
    for (const name of safeDir(`/sys/fs/cgroup/${hierarchy}/racker`)) if (/^[0-9a-f]{64}$/.test(name)) found.add(`cgroup ${hierarchy}/racker/${name}`);
  }
  for (const name of safeDir('/sys/fs/cgroup/racker')) if (/^[0-9a-f]{64}$/.test(name)) found.add(`cgroup racker/${name}`);
  for (const name of safeDir('/sys/class/net')) if (/^(rk-|rv[0-9a-f]{8}$)/.test(name)) found.add(`link ${name}`);
  const nft = spawnSync('nft', ['list', 'tables'], { encoding: 'utf8' });
  for (const line of (nft.stdout ?? '').split('\n')) if (/racker-[0-9a-f]{12}/.test(line)) found.add(`nft ${line.trim()}`);
  for (const pid of safeDir('/proc').filter((n) => /^\d+$/.test(n))) {
    if (Number(pid) === process.pid) continue;
    const comm = readOr(`/proc/${pid}/comm`).trim();
    const cmdline = readOr(`/proc/${pid}/cmdline`).split('\0').join(' ').trim();
    const stat = readOr(`/proc/${pid}/stat`);
    if (!cmdline || / Z /.test(stat.slice(stat.lastIndexOf(')')))) continue;
    if (comm === 'systemd-nspawn' || /racker-host-exe|racker-enter-ho/.test(comm) || /dist\/bin\/(racker|postroj)(\.js|\.bundle)|docker-registry|registry serve/.test(cmdline)) {
      found.add(`process ${pid} ${cmdline.slice(0, 160)}`);
    }
  }
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readOr(file).split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // State 0A: LISTEN. The local address:port in hex.
      if (f[3] === '0A') found.add(`listening ${file.endsWith('6') ? 'tcp6' : 'tcp'} ${f[1]}`);
    }
  }
  for (const name of safeDir(os.tmpdir())) if (/^racker-/.test(name)) found.add(`temporary ${os.tmpdir()}/${name}`);
  return found;
}

function safeDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function readOr(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** What is in `after` and was not in `before`. Pure. */
export function leaked(before: ReadonlySet<string>, after: ReadonlySet<string>): string[] {
  return [...after].filter((x) => !before.has(x)).sort();
}

/** How long a suite's teardown may still be finishing (a supervisor removing its container) before a leftover counts. */
const GRACE_MS = 10_000;

function isIntegration(suite: Suite): boolean {
  return /[/\\]test[/\\]integration[/\\]/.test(suite.file ?? '');
}

function guard(suite: Suite): void {
  let before: Set<string> = new Set();
  suite.beforeAll('leak check: census before the suite', () => {
    before = census();
  });
  // Before the suite's own before hooks: what they make must be gone after its after hooks.
  const hooks = (suite as unknown as { _beforeAll: unknown[] })._beforeAll;
  hooks.unshift(hooks.pop());
  suite.afterAll('leak check: nothing new is left', async function (this: Context) {
    this.timeout(GRACE_MS + 30_000);
    const deadline = Date.now() + GRACE_MS;
    let left = leaked(before, census());
    while (left.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      left = leaked(before, census());
    }
    if (left.length) throw new Error(`"${suite.title}" (${suite.file}) left behind:\n  ${left.join('\n  ')}`);
  });
}

export const mochaHooks = {
  beforeAll(this: Context) {
    // The root suite's children are the files' top-level describes.
    const root = this.test?.parent;
    for (const suite of root?.suites ?? []) if (isIntegration(suite)) guard(suite);
  },
};
