/**
 * Faults: racker killed -9 at bad moments, containers killed from outside, and
 * `racker system prune` cleaning up after all of it. After each fault the next `ps -a` must
 * tell the truth (Up exactly while the container's processes live), later commands must not
 * trip over half-state, and rm -f / system prune -f must leave nothing behind: no mount,
 * no process, no state directory, no lock file, no scratch directory, no nspawn dir in /run.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, promises as fs, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type CliResult, ok, racker, tempRoot } from '../helpers/cli.js';
import { eventually, killLeftovers, leftovers, processesFor, processState, propagateDir, startRacker, type Started } from '../helpers/containers.js';
import { signalExitFromNspawn } from '../../lib/container/supervise.js';
import { requireIntegration } from '../helpers/integration.js';
import { startRegistry, type FixtureRegistry } from '../helpers/registry.js';

interface PsRow {
  ID: string;
  Names: string;
  Status: string;
  State: string;
}

const ls = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir) : []);

/** Processes whose "/" is this container's overlay (its upper directory names the container). */
function insideContainer(id: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const rootMount = readFileSync(`/proc/${pid}/mountinfo`, 'utf8')
        .split('\n')
        .find((l) => l.split(' ')[4] === '/');
      if (rootMount?.includes(`/containers/${id}/upper`) && processState(Number(pid)) !== 'Z') found.push(Number(pid));
    } catch {
      /* gone */
    }
  }
  return found;
}

/** The command names of the processes in this container. */
function commsInside(id: string): string[] {
  return insideContainer(id).map((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      return '';
    }
  });
}

/** A PID that is certainly not running any more (a process that has exited). */
function deadPid(): number {
  const r = spawnSync('sh', ['-c', 'echo $$']);
  return Number(r.stdout.toString().trim());
}

/** Our own "PID STARTTIME" lock identity (lock.ts's format): a live owner. */
function liveIdentity(): string {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  return `${process.pid} ${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}\n`;
}

const WARNING = `WARNING! This will remove:
  - all stopped containers
  - all networks not used by at least one container
  - leftovers of killed racker processes: unused container mounts, scratch directories, stale locks
  - the package cache of postroj probes

Are you sure you want to continue? [y/N] \n`;

describe('faults (integration: racker and containers killed -9, system prune)', function () {
  this.timeout(120_000);
  let reg: FixtureRegistry;
  let root: string;
  let DEBIAN: string; // systemd: boot mode
  let BUSYBOX: string; // no systemd: direct mode
  const ids: string[] = [];

  const rk = (args: string[], opts: { input?: string; timeoutMs?: number } = {}) => racker(args, { root, timeoutMs: 60_000, ...opts });

  async function ps(): Promise<PsRow[]> {
    return ok(await rk(['ps', '-a', '--format', 'json'])).stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as PsRow);
  }

  async function inspect(name: string): Promise<Record<string, any>> {
    const [c] = JSON.parse(ok(await rk(['inspect', name])).stdout) as Array<Record<string, any>>;
    if (!ids.includes(c!.Id)) ids.push(c!.Id);
    return c!;
  }

  /** `ps -a` agrees with the processes: Up exactly while something runs in the container. */
  async function expectTruth(name: string, id: string): Promise<PsRow | undefined> {
    const row = (await ps()).find((r) => r.ID === id.slice(0, 12));
    const running = insideContainer(id).length > 0;
    const up = row !== undefined && /^Up /.test(row.Status) && row.State === 'running';
    const down = row === undefined || (!/^Up /.test(row.Status) && row.State !== 'running');
    expect({ name, status: row?.Status ?? 'gone', truthful: running ? up : down }).to.deep.include({ name, truthful: true });
    return row;
  }

  /** Nothing of this root is left (all state, mounts, processes, locks, scratch, nspawn dirs). */
  async function expectNothingLeft(): Promise<void> {
    // A supervisor may still be finishing its teardown for a moment.
    await eventually(() => leftovers(root, { ids }).length === 0, 10_000, 'leftovers to go').catch(() => undefined);
    expect({
      leftovers: leftovers(root, { ids }),
      locks: ls(path.join(root, 'run/locks')),
      scratch: ls(path.join(root, 'lib/tmp')),
    }).to.deep.equal({ leftovers: [], locks: [], scratch: [] });
  }

  /** racker's result, or a failure if it does not exit in time (then it is killed). */
  async function finish(run: Started, ms: number): Promise<CliResult> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        run.child.kill('SIGKILL');
        reject(new Error(`racker did not exit within ${ms / 1000} s`));
      }, ms);
    });
    try {
      return await Promise.race([run.result, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Wait until racker recorded the container's PID 1 (and, optionally, a process inside runs). */
  async function leaderOf(name: string, comm?: string): Promise<{ id: string; nspawn: number; leader: number }> {
    let c: Record<string, any> = {};
    await eventually(
      async () => {
        const r = await rk(['inspect', name]);
        if (r.code !== 0) return false;
        c = (JSON.parse(r.stdout) as Array<Record<string, any>>)[0]!;
        if (!ids.includes(c.Id)) ids.push(c.Id);
        return c.Racker.LeaderPid > 0 && (!comm || commsInside(c.Id).includes(comm));
      },
      60_000,
      `${name} to run`,
    );
    return { id: c.Id, nspawn: c.Racker.NspawnPid, leader: c.Racker.LeaderPid };
  }

  before(async function () {
    requireIntegration(this);
    this.timeout(600_000);
    reg = await startRegistry();
    root = tempRoot('racker-faults-');
    DEBIAN = `${reg.host}/library/debian:bookworm`;
    BUSYBOX = `${reg.host}/racker/busybox:latest`;
    for (const ref of [DEBIAN, BUSYBOX]) ok(await rk(['pull', '-q', ref], { timeoutMs: 300_000 }));
  });

  afterEach(async function () {
    if (!root) return;
    // A failed test must not leave containers running into the next one.
    const all = (await rk(['ps', '-a', '-q', '--no-trunc'])).stdout.split('\n').filter(Boolean);
    if (all.length) await rk(['rm', '-f', ...all]);
    await killLeftovers(root);
  });

  after(async function () {
    if (root) {
      await killLeftovers(root);
      await fs.rm(root, { recursive: true, force: true });
    }
    for (const id of ids) await fs.rmdir(propagateDir(id)).catch(() => undefined);
    await reg?.stop();
  });

  describe('racker killed -9', () => {
    it('(a) while the container boots: ps tells the truth, kill finds PID 1, system prune -f cleans up', async () => {
      const run = startRacker(['run', '--name', 'boot-kill', DEBIAN, 'sleep', '100'], { root });
      // systemd is PID 1 of the container, racker has not seen it finish booting yet.
      let id = '';
      await eventually(
        () => {
          id = ls(path.join(root, 'run/containers'))[0] ?? '';
          return id !== '' && commsInside(id).includes('systemd');
        },
        60_000,
        'systemd to start',
      );
      run.child.kill('SIGKILL');
      await run.result;
      ids.push(id);
      const c = await inspect('boot-kill');
      expect(c.Racker.LeaderPid, 'killed before the boot finished').to.equal(0);
      // The container outlives its racker (as a docker container outlives its CLI): Up.
      expect((await expectTruth('boot-kill', id))?.State).to.equal('running');
      // Half-state: no PID 1 recorded. Commands answer, none crashes.
      const exec = await rk(['exec', 'boot-kill', 'true']);
      expect({ code: exec.code, internal: /internal error/.test(exec.stderr) }).to.deep.equal({ code: 1, internal: false });
      ok(await rk(['logs', 'boot-kill']));
      // kill signals the container's PID 1 (nspawn's child), not nspawn: nothing is orphaned.
      expect(ok(await rk(['kill', 'boot-kill'])).stdout).to.equal('boot-kill\n');
      await eventually(() => insideContainer(id).length === 0, 10_000, 'the container to die');
      const row = await expectTruth('boot-kill', id);
      expect(row?.Status).to.match(/^Exited \(137\) /);
      const p = ok(await rk(['system', 'prune', '-f']));
      expect(p.stdout).to.contain(`Deleted Containers:\n${id}\n\n`);
      expect(p.stdout).to.match(/\nTotal reclaimed space: \d+(\.\d+)?[kMG]?B\n$/);
      expect(await ps()).to.deep.equal([]);
      await expectNothingLeft();
    });

    for (const [mode, image] of [
      ['boot mode', () => DEBIAN],
      ['direct mode', () => BUSYBOX],
    ] as const) {
      it(`(b) during a foreground command: Up while it runs, Exited once it is killed, rm -f cleans up (${mode})`, async () => {
        const name = `cmd-kill-${mode.split(' ')[0]}`;
        const run = startRacker(['run', '--name', name, image(), 'sleep', '100'], { root });
        const { id, leader } = await leaderOf(name, 'sleep');
        run.child.kill('SIGKILL');
        await run.result;
        expect((await expectTruth(name, id))?.State).to.equal('running');
        // The container ends with nobody left to record it: the next ps does.
        process.kill(leader, 'SIGKILL');
        await eventually(() => insideContainer(id).length === 0, 10_000, 'the container to die');
        const row = await expectTruth(name, id);
        expect(row?.Status).to.match(/^Exited \(\d+\) /);
        expect(ok(await rk(['rm', '-f', name])).stdout).to.equal(`${name}\n`);
        await expectNothingLeft();
      });
    }

    it('(b) and then its nspawn killed too: the next ps kills the orphaned container and says Exited', async () => {
      const run = startRacker(['run', '--name', 'orphan', BUSYBOX, 'sleep', '100'], { root });
      const { id, nspawn } = await leaderOf('orphan', 'sleep');
      run.child.kill('SIGKILL');
      await run.result;
      process.kill(nspawn, 'SIGKILL');
      await eventually(() => processState(nspawn) === undefined || processState(nspawn) === 'Z', 10_000, 'nspawn to die');
      // The container outlived both: nothing can manage it any more.
      expect(insideContainer(id)).to.have.length(1);
      const row = await expectTruth('orphan', id);
      expect(row?.Status).to.match(/^Exited \(\d+\) /);
      expect(insideContainer(id)).to.deep.equal([]);
      expect(ok(await rk(['rm', 'orphan'])).stdout).to.equal('orphan\n');
      await expectNothingLeft();
    });

    it('(c) during rm -f of a running -d container: never Up for a dead container, system prune -f finishes the job', async () => {
      // Two kill points: right after rm has killed the container, and half-way through deleting its files.
      for (const point of ['killed', 'deleting'] as const) {
        const name = `rm-kill-${point}`;
        const id = ok(await rk(['run', '-d', '--name', name, BUSYBOX, 'sleep', '1000'])).stdout.trim();
        ids.push(id);
        const { leader } = await leaderOf(name);
        // Plenty of files in its upper layer, so deleting them takes a while.
        const junk = path.join(root, 'lib/containers', id, 'upper/junk');
        mkdirSync(junk);
        for (let i = 0; i < 4000; i++) writeFileSync(path.join(junk, `f${i}`), 'x');
        const rm = startRacker(['rm', '-f', name], { root });
        const removing = path.join(root, 'lib/containers', `${id}.removing`);
        const deadline = Date.now() + 20_000;
        // No pause between polls: kill rm the moment it reaches the point.
        if (point === 'killed') while (processState(leader) !== undefined && processState(leader) !== 'Z' && Date.now() < deadline);
        else while (!existsSync(removing) && rm.child.exitCode === null && Date.now() < deadline);
        rm.child.kill('SIGKILL');
        await rm.result;
        // The -d supervisor (still alive) records the end and unmounts; then ps tells the truth.
        if (point === 'deleting') expect(existsSync(removing), 'rm -f killed half-way through deleting').to.equal(true);
        await eventually(() => processesFor(root).length === 0, 10_000, 'the supervisor to finish');
        const row = await expectTruth(name, id);
        if (row) expect(row.Status).to.match(/^Exited \(\d+\) /);
        const p = ok(await rk(['system', 'prune', '-f']));
        if (row) expect(p.stdout).to.contain(`Deleted Containers:\n${id}\n`);
        if (point === 'deleting') expect(p.stdout).to.contain(`container files ${removing}\n`);
        expect(await ps()).to.deep.equal([]);
        await expectNothingLeft();
      }
    });
  });

  describe('(d) the container killed from outside: a foreground run returns 137, ps -a says Exited (137)', () => {
    for (const [mode, image] of [
      ['boot mode', () => DEBIAN],
      ['direct mode', () => BUSYBOX],
    ] as const) {
      for (const target of ['systemd-nspawn', 'PID 1'] as const) {
        it(`SIGKILL to ${target} (${mode})`, async () => {
          const name = `outside-${mode.split(' ')[0]}-${target === 'PID 1' ? 'leader' : 'nspawn'}`;
          const run = startRacker(['run', '--name', name, image(), 'sleep', '100'], { root });
          const { id, nspawn, leader } = await leaderOf(name, 'sleep');
          process.kill(target === 'PID 1' ? leader : nspawn, 'SIGKILL');
          const r = await finish(run, 20_000);
          expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).to.deep.equal({ code: 137, stdout: '', stderr: '' });
          expect(insideContainer(id), 'processes left in the container').to.deep.equal([]);
          expect((await expectTruth(name, id))?.Status).to.match(/^Exited \(137\) /);
          expect(ok(await rk(['rm', name])).stdout).to.equal(`${name}\n`);
          await expectNothingLeft();
        });
      }
    }
  });

  describe('(e) system prune', () => {
    it('asks first: no answer (end of input) or n removes nothing, exit 0', async () => {
      const id = ok(await rk(['run', '-d', '--name', 'stopped', BUSYBOX, 'true'])).stdout.trim();
      ids.push(id);
      ok(await rk(['wait', 'stopped']));
      for (const input of ['', 'n\n', 'yes\n']) {
        const r = await rk(['system', 'prune'], { input });
        expect({ input, code: r.code, stdout: r.stdout, stderr: r.stderr }).to.deep.equal({ input, code: 0, stdout: '', stderr: WARNING });
        expect((await ps()).map((c) => c.ID)).to.deep.equal([id.slice(0, 12)]);
      }
    });

    it('y: removes stopped containers and dead processes\' leftovers, leaves a running container and live locks and scratch alone', async () => {
      const keep = ok(await rk(['run', '-d', '--name', 'keep', DEBIAN])).stdout.trim();
      ids.push(keep);
      ok(await rk(['run', '--name', 'gone', BUSYBOX, 'true']));
      const gone = (await inspect('gone')).Id as string;
      const dead = deadPid();
      const locks = path.join(root, 'run/locks');
      const tmp = path.join(root, 'lib/tmp');
      mkdirSync(locks, { recursive: true });
      mkdirSync(tmp, { recursive: true });
      // Planted: what racker processes killed -9 leave behind …
      writeFileSync(path.join(locks, 'stale.lock'), `${dead} 12345\n`);
      writeFileSync(path.join(locks, `names.lock.${dead}-0badc0de`), `${dead} 12345\n`);
      mkdirSync(path.join(tmp, `pull-${dead}-deadbeef`));
      writeFileSync(path.join(tmp, `pull-${dead}-deadbeef`, 'layer'), randomBytes(200_000));
      const halfRemoved = path.join(root, 'lib/containers', `${randomBytes(32).toString('hex')}.removing`);
      mkdirSync(path.join(halfRemoved, 'upper'), { recursive: true });
      const orphanId = randomBytes(32).toString('hex');
      const orphanMount = path.join(root, 'run/containers', orphanId, 'rootfs');
      mkdirSync(orphanMount, { recursive: true });
      expect(spawnSync('mount', ['-t', 'tmpfs', 'none', orphanMount]).status).to.equal(0);
      const deadAuth = path.join(root, 'run', `racker-auth-${dead}-0123456789abcdef.json`);
      writeFileSync(deadAuth, '{"auths":{}}\n', { mode: 0o600 });
      // … and what live processes hold right now.
      writeFileSync(path.join(locks, 'live.lock'), liveIdentity());
      mkdirSync(path.join(tmp, `pull-${process.pid}-cafe`));
      const liveAuth = path.join(root, 'run', `racker-auth-${process.pid}-0123456789abcdef.json`);
      writeFileSync(liveAuth, '{"auths":{}}\n', { mode: 0o600 });

      const r = ok(await rk(['system', 'prune'], { input: 'y\n' }));
      expect(r.stderr).to.equal(WARNING);
      const lines = r.stdout.split('\n');
      expect(lines.slice(0, 3)).to.deep.equal(['Deleted Containers:', gone, '']);
      expect(lines).to.include.members([
        'Deleted leftovers of killed racker processes:',
        `mount ${orphanMount}`,
        `container files ${halfRemoved}`,
        `scratch ${path.join(tmp, `pull-${dead}-deadbeef`)}`,
        `lock ${path.join(locks, 'stale.lock')}`,
        `lock ${path.join(locks, `names.lock.${dead}-0badc0de`)}`,
        `credentials ${deadAuth}`,
      ]);
      expect(r.stdout).to.match(/\n\nTotal reclaimed space: 2\d\dkB\n$/);

      // The running container is untouched and works; the live lock and scratch are still there.
      expect((await ps()).map((c) => [c.Names, c.State])).to.deep.equal([['keep', 'running']]);
      expect(ok(await rk(['exec', 'keep', 'true'])).code).to.equal(0);
      expect(ls(locks).sort()).to.deep.equal(['live.lock']);
      expect(ls(tmp)).to.deep.equal([`pull-${process.pid}-cafe`]);
      expect(existsSync(path.join(root, 'run/containers', orphanId))).to.equal(false);
      expect([existsSync(deadAuth), existsSync(liveAuth)]).to.deep.equal([false, true]);

      // A second prune finds nothing to do (but nspawn dirs of other roots' containers ending meanwhile).
      const again = ok(await rk(['system', 'prune', '-f'])).stdout.split('\n');
      expect(again.filter((l) => l && !l.startsWith('nspawn dir ') && l !== 'Deleted leftovers of killed racker processes:')).to.deep.equal(['Total reclaimed space: 0B']);

      await fs.rm(path.join(locks, 'live.lock'));
      await fs.rm(liveAuth);
      await fs.rm(path.join(tmp, `pull-${process.pid}-cafe`), { recursive: true });
      expect(ok(await rk(['rm', '-f', 'keep'])).stdout).to.equal('keep\n');
      await expectNothingLeft();
    });
  });
});

describe('faults (pure): the exit code of a container whose PID 1 was killed', () => {
  it("nspawn's \"terminated by signal\" line gives 128+N; anything else nothing", () => {
    expect(signalExitFromNspawn('Container racker-0123456789ab terminated by signal KILL.\n')).to.equal(137);
    expect(signalExitFromNspawn('noise\nContainer racker-0123456789ab terminated by signal TERM.\nAttempted to remove disk file system under "/run/systemd/nspawn/propagate/racker-0123456789ab", and we can\'t allow that.\n')).to.equal(143);
    expect(signalExitFromNspawn('Container racker-0123456789ab exited with status 1.\n')).to.equal(undefined);
    expect(signalExitFromNspawn('Container racker-0123456789ab terminated by signal NOSUCH.\n')).to.equal(undefined);
    expect(signalExitFromNspawn('echo Container racker-0123456789ab terminated by signal KILL. from the command\n')).to.equal(undefined);
  });
});
