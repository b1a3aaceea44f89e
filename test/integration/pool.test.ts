/**
 * Issue 16 item 3: warm machines. A pool of booted machines per image, each used once by a
 * `run --rm` (or a postroj probe), replaced in the background, never more than its size,
 * and nothing left behind by `pool rm` or after a killed run or refill.
 */
import { expect } from 'chai';
import { existsSync, promises as fs, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { cli, racker, repoRoot, seen, tempRoot, type CliResult } from '../helpers/cli.js';
import { eventually, killLeftovers, leftovers, processesFor, removeAllContainers } from '../helpers/containers.js';
import { requireIntegration } from '../helpers/integration.js';
import { hostVethName } from '../../lib/net/argv.js';
import { startRegistry, type FixtureRegistry } from '../helpers/registry.js';

interface Rec {
  id: string;
  name: string;
  pool?: { id: string; takenBy?: number; ended?: boolean };
  state: { status: string; endpoint?: { address: string } };
}

describe('pool (integration, issue 16 item 3): warm machines', function () {
  this.timeout(120_000);
  let reg: FixtureRegistry;
  let root: string;
  let DEBIAN: string;
  const rk = (args: string[]) => racker(args, { root, timeoutMs: 120_000 });
  const postroj = (args: string[]): Promise<CliResult> => cli(path.join(repoRoot, 'dist/bin/postroj.js'), args, { env: { RACKER_ROOT: root } });

  /** The records of pooled machines, read as racker stores them. */
  function pooled(): Rec[] {
    const dir = path.join(root, 'lib/containers');
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((n) => /^[a-f0-9]{64}$/.test(n))
      .flatMap((n) => {
        try {
          return [JSON.parse(readFileSync(path.join(dir, n, 'container.json'), 'utf8')) as Rec];
        } catch {
          return [];
        }
      })
      .filter((r) => r.pool);
  }
  const idle = () => pooled().filter((r) => r.pool!.takenBy === undefined && !r.pool!.ended);
  const ready = async () => (await rk(['pool', 'ls', '--format', '{{.Ready}}'])).stdout.trim();
  before(async function () {
    requireIntegration(this);
    reg = await startRegistry();
    root = tempRoot('racker-pool-');
    DEBIAN = `${reg.host}/library/debian:bookworm`;
    expect((await rk(['pull', '-q', DEBIAN])).code).to.equal(0);
  });
  afterEach(async () => {
    await rk(['pool', 'rm', DEBIAN]);
    await removeAllContainers(root);
    const left = leftovers(root, { stateDirs: false });
    if (left.length) await killLeftovers(root);
    expect(left).to.deep.equal([]);
  });
  after(async () => {
    if (root) {
      await killLeftovers(root);
      await fs.rm(root, { recursive: true, force: true });
    }
    await reg?.stop();
  });

  it('create boots SIZE machines hidden from ps; run --rm uses one (name, hostname, env), nothing passes between runs, 3 concurrent takers never grow it past 2, a run it cannot serve says why; pool rm leaves nothing', async () => {
    expect(seen(await rk(['pool', 'create', DEBIAN, '--size', '2']))).to.deep.equal({ code: 0, stdout: `${DEBIAN}\n`, stderr: '' });
    expect(await ready()).to.equal('2');
    expect((await rk(['pool', 'ls'])).stdout).to.match(new RegExp(`^IMAGE\\s+NETWORK\\s+SIZE\\s+READY\\s+BOOTING\\s+IN USE\\n${DEBIAN.replace(/[.]/g, '\\.')}\\s+bridge\\s+2\\s+2\\s+0\\s+0\\n$`));
    // Idle machines are racker's: `ps` shows none, `ps -a` both.
    expect((await rk(['ps', '-q'])).stdout).to.equal('');
    expect((await rk(['ps', '-aq'])).stdout.trim().split('\n')).to.have.length(2);
    const before = idle().map((r) => r.id);
    let most = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        most = Math.max(most, idle().length);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();

    const first = await rk(['--debug', 'run', '--rm', '--name', 'warm-one', '-e', 'GREETING=hi', DEBIAN, 'sh', '-c', 'hostname; cat /etc/hostname; echo "$GREETING $HOSTNAME"; echo secret > /root/mark; exit 3']);
    expect(first.code, first.stderr).to.equal(3);
    expect(first.stdout).to.equal('warm-one\nwarm-one\nhi warm-one\n');
    expect(first.stderr).to.match(/warm pool: took pool-[0-9a-f]{10}/);
    // The same name again at once: the first run's machine gave it back when its command ended.
    const second = await rk(['--debug', 'run', '--rm', '--name', 'warm-one', DEBIAN, 'sh', '-c', 'test ! -e /root/mark && echo clean']);
    expect(second.code, second.stderr).to.equal(0);
    expect(second.stdout).to.equal('clean\n');
    expect(second.stderr).to.match(/warm pool: took pool-/);
    // Both machines used end with their runs (their supervisors remove them in the background).
    expect(pooled().filter((r) => before.includes(r.id) && !r.pool!.ended)).to.deep.equal([]);
    expect((await rk(['ps', '-q'])).stdout).to.equal('');
    await eventually(() => !pooled().some((r) => before.includes(r.id)), 10_000, 'the used machines removed');

    // Three at once: warm machines where ready, a boot of its own otherwise.
    const runs = await Promise.all([1, 2, 3].map((i) => rk(['run', '--rm', DEBIAN, 'sh', '-c', `echo run${i}`])));
    for (const [i, r] of runs.entries()) expect(seen(r)).to.deep.equal({ code: 0, stdout: `run${i + 1}\n`, stderr: '' });
    // Replaced in the background.
    await eventually(async () => (await ready()) === '2', 60_000, 'the pool back at 2 ready machines');
    await new Promise((r) => setTimeout(r, 300));
    sampling = false;
    await sampler;
    expect(most).to.be.at.most(2);
    expect(idle()).to.have.length(2);

    const dir = tempRoot('racker-pool-bind-');
    const cold = await rk(['--debug', 'run', '--rm', '-v', `${dir}:/data`, DEBIAN, 'true']);
    expect(cold.code, cold.stderr).to.equal(0);
    expect(cold.stderr).to.include('warm pool not used: -v: a bind mount cannot be added to a booted machine');
    expect(cold.stderr).to.not.include('warm pool: took');
    await fs.rm(dir, { recursive: true, force: true });
    expect(seen(await rk(['run', '--warm', DEBIAN, 'true']))).to.deep.equal({ code: 125, stdout: '', stderr: 'racker: --warm: without --rm the container would be kept after its command, and a pooled machine is never reused\n' });
    expect(idle()).to.have.length(2);

    // pool rm: no machine, mount, process, veth or network namespace left.
    const veths = idle().map((r) => hostVethName(r.state.endpoint!.address));
    expect(veths.filter((v) => existsSync(`/sys/class/net/${v}`))).to.have.length(2);
    const ids = idle().map((r) => r.id);
    expect(seen(await rk(['pool', 'rm', DEBIAN]))).to.deep.equal({ code: 0, stdout: `${DEBIAN}\n`, stderr: '' });
    expect(pooled()).to.deep.equal([]);
    expect(veths.filter((v) => existsSync(`/sys/class/net/${v}`))).to.deep.equal([]);
    expect(ids.filter((id) => existsSync(`/run/netns/racker-${id.slice(0, 12)}`))).to.deep.equal([]);
    expect(leftovers(root, { ids })).to.deep.equal([]);
    expect(seen(await rk(['pool', 'ls', '-q']))).to.deep.equal({ code: 0, stdout: '', stderr: '' });
  });

  it('a SIGKILLed run and a SIGKILLed refill: system prune ends the machine nothing owns, the pool is whole again', async () => {
    expect((await rk(['pool', 'create', DEBIAN, '--size', '1'])).code).to.equal(0);
    const run = rk(['run', '--rm', DEBIAN, 'sleep', '1000']);
    await eventually(() => pooled().some((r) => r.pool!.takenBy !== undefined), 20_000, 'a machine taken');
    const taken = pooled().find((r) => r.pool!.takenBy !== undefined)!;
    // The refill the run started: killed while it boots the replacement.
    // A process listed a moment ago may be gone when its command line is read: nothing to match then.
    const cmdline = (pid: number) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        return '';
      }
    };
    await eventually(() => processesFor(root).some((p) => cmdline(p.pid).includes('__pool-refill')), 20_000, 'the refill');
    for (const p of processesFor(root)) {
      const cmd = cmdline(p.pid);
      if (!(cmd.includes('__pool-refill') || (cmd.includes('\0run\0') && cmd.includes('sleep')))) continue;
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        /* ended meanwhile */
      }
    }
    await run;
    const pruned = await rk(['system', 'prune', '-f']);
    expect(pruned.code, pruned.stderr).to.equal(0);
    expect(pruned.stdout).to.include(`pool machine ${taken.id}`);
    expect(pooled().map((r) => r.id)).to.not.include(taken.id);
    expect(existsSync(path.join(root, 'run/containers', taken.id, 'rootfs'))).to.equal(false);
    await eventually(async () => (await ready()) === '1', 60_000, 'the pool whole again');
    expect(idle()).to.have.length(1);
  });

  it('postroj pkgprobe --warm --check-command true probes on a machine of the pool (network none)', async () => {
    expect((await rk(['pool', 'create', DEBIAN, '--size', '1', '--network', 'none'])).code).to.equal(0);
    const before = idle().map((r) => r.id);
    const r = await postroj(['--debug', 'pkgprobe', '--warm', '--image', DEBIAN, '--check-command', 'true', '--format', 'json']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/warm pool: took pool-/);
    const report = JSON.parse(r.stdout);
    expect(report[0]?.ok ?? report.ok).to.equal(true);
    // Used once: no longer idle, and removed by its supervisor in the background.
    expect(idle().map((x) => x.id)).to.not.include(before[0]);
    await eventually(() => !pooled().some((x) => x.id === before[0]), 10_000, 'the probed machine removed');
  });
});
