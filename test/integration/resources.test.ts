/**
 * Resource control (doc/resources.md): limits seen inside the container, pause/unpause,
 * stats, update — through the CLI and the Engine API — and no cgroup left behind.
 */
import { expect } from 'chai';
import { existsSync, promises as fs } from 'node:fs';
import http from 'node:http';
import { racker, seen, tempRoot } from '../helpers/cli.js';
import { killLeftovers } from '../helpers/containers.js';
import { startService, type Service } from '../helpers/docker.js';
import { requireIntegration } from '../helpers/integration.js';
import { startRegistry, type FixtureRegistry } from '../helpers/registry.js';

/** A cgroup file inside the container, v1 or v2 (the shell's builtins only: no fork needed). */
const inside = (v1: string, v2: string) => `if [ -e /sys/fs/cgroup/${v1} ]; then read x < /sys/fs/cgroup/${v1}; else read x < /sys/fs/cgroup/${v2}; fi; echo $x`;

function api(socket: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socket, method, path, headers: { 'Content-Type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

describe('resources (integration): cgroup limits, pause, stats, update', function () {
  this.timeout(60_000);
  let reg: FixtureRegistry;
  let root: string;
  let BUSYBOX: string;
  const rk = (args: string[]) => racker(args, { root, timeoutMs: 60_000 });

  async function cgroupDirs(id: string): Promise<string[]> {
    const { hostCgroupLayout, placeFor } = await import('../../lib/container/cgroup.js');
    return Object.values(placeFor(hostCgroupLayout()!, '/racker', id).dirs).filter((d) => existsSync(d));
  }

  before(async function () {
    requireIntegration(this);
    this.timeout(300_000);
    reg = await startRegistry();
    root = tempRoot('racker-resources-');
    BUSYBOX = `${reg.host}/racker/busybox:latest`;
    expect((await rk(['pull', '-q', BUSYBOX])).code).to.equal(0);
  });
  afterEach(async () => {
    const ids = (await rk(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
    if (ids.length) expect((await rk(['rm', '-f', ...ids])).code).to.equal(0);
  });
  after(async () => {
    if (root) {
      await killLeftovers(root);
      await fs.rm(root, { recursive: true, force: true });
    }
    await reg?.stop();
  });

  it('--memory 64m, --cpuset-cpus 0 and --cpus 0.5 are what the container sees; inspect shows them; the cgroup goes with --rm', async () => {
    const r = await rk(['run', '--rm', '--name', 'lim', '-m', '64m', '--cpuset-cpus', '0', '--cpus', '0.5', BUSYBOX, 'sh', '-c',
      [inside('memory/memory.limit_in_bytes', 'memory.max'), inside('cpuset/cpuset.cpus', 'cpuset.cpus'), inside('cpu/cpu.cfs_quota_us', 'cpu.max')].join('; ')]);
    expect(seen(r)).to.deep.equal({ code: 0, stdout: '67108864\n0\n50000\n', stderr: '' });
    const id = (await rk(['create', '-m', '64m', '--memory-swap', '-1', '--pids-limit', '20', '-c', '512', BUSYBOX, 'true'])).stdout.trim();
    const host = JSON.parse((await rk(['inspect', id])).stdout)[0].HostConfig;
    expect(host).to.include({ Memory: 67108864, MemorySwap: -1, PidsLimit: 20, CpuShares: 512, NanoCpus: 0, CpusetCpus: '' });
    expect(seen(await rk(['run', '--rm', '-m', '1k', BUSYBOX, 'true']))).to.deep.equal({ code: 125, stdout: '', stderr: 'racker: Minimum memory limit allowed is 6MB\n' });
  });

  it('--pids-limit 20: the 21st process is refused', async () => {
    // An inner shell starts sleeps until a fork fails (busybox sh then exits 2). In the cgroup:
    // nspawn, the outer shell, the inner one and 17 sleeps = 20; the 18th sleep is refused.
    const inner = 'i=0; while :; do sleep 30 & i=$((i+1)); echo $i; done';
    const r = await rk(['run', '--rm', '--pids-limit', '20', BUSYBOX, 'sh', '-c',
      `sh -c '${inner}' > /tmp/n 2>/dev/null; echo "inner exit $?"; while read l; do n=$l; done < /tmp/n; echo "started $n"; ${inside('pids/pids.max', 'pids.max')}`]);
    expect(seen(r)).to.deep.equal({ code: 0, stdout: 'inner exit 2\nstarted 17\n20\n', stderr: '' });
  });

  it('pause: frozen, shown as paused, exec refused; unpause; rm -f of a paused container leaves no cgroup', async () => {
    const id = (await rk(['run', '-d', '--name', 'frozen', BUSYBOX, 'sleep', '300'])).stdout.trim();
    expect((await cgroupDirs(id)).length).to.be.greaterThan(0);
    expect(seen(await rk(['pause', 'frozen']))).to.deep.equal({ code: 0, stdout: 'frozen\n', stderr: '' });
    expect((await rk(['inspect', '-f', '{{.State.Status}} {{.State.Paused}} {{.State.Running}}', id])).stdout).to.equal('paused true true\n');
    expect((await rk(['ps', '--format', '{{.State}}', '--filter', 'status=paused'])).stdout).to.equal('paused\n');
    const exec = await rk(['exec', 'frozen', 'true']);
    expect(exec.stderr).to.equal(`racker: Container ${id} is paused, unpause the container before exec\n`);
    expect(exec.code).to.not.equal(0);
    expect((await rk(['pause', 'frozen'])).stderr).to.equal(`racker: Container ${id} is already paused\n`);
    expect(seen(await rk(['unpause', 'frozen']))).to.deep.equal({ code: 0, stdout: 'frozen\n', stderr: '' });
    expect((await rk(['exec', 'frozen', 'echo', 'thawed'])).stdout).to.equal('thawed\n');
    expect((await rk(['pause', 'frozen'])).code).to.equal(0);
    expect(seen(await rk(['rm', '-f', 'frozen']))).to.deep.equal({ code: 0, stdout: 'frozen\n', stderr: '' });
    expect(await cgroupDirs(id)).to.deep.equal([]);
  });

  it('stop of a paused container thaws it first and ends it', async () => {
    const id = (await rk(['run', '-d', BUSYBOX, 'sh', '-c', 'trap "exit 7" TERM; while :; do sleep 0.1; done'])).stdout.trim();
    expect((await rk(['pause', id])).code).to.equal(0);
    expect((await rk(['stop', '-t', '5', id])).code).to.equal(0);
    expect((await rk(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}} {{.State.Paused}}', id])).stdout).to.equal('exited 7 false\n');
    expect(await cgroupDirs(id)).to.deep.equal([]);
  });

  it('update --memory on a running container: the cgroup and the record change; stats shows the limit', async () => {
    const id = (await rk(['run', '-d', '--name', 'upd', '-m', '64m', BUSYBOX, 'sleep', '300'])).stdout.trim();
    expect(seen(await rk(['update', '--memory', '128m', '--pids-limit', '50', 'upd']))).to.deep.equal({ code: 0, stdout: 'upd\n', stderr: '' });
    const limit = await rk(['exec', 'upd', 'sh', '-c', `${inside('memory/memory.limit_in_bytes', 'memory.max')}; ${inside('pids/pids.max', 'pids.max')}`]);
    expect(limit.stdout).to.equal('134217728\n50\n');
    expect(JSON.parse((await rk(['inspect', id])).stdout)[0].HostConfig).to.include({ Memory: 134217728, PidsLimit: 50 });
    const stats = await rk(['stats', '--no-stream', 'upd']);
    expect(stats.code).to.equal(0);
    const [header, row, ...rest] = stats.stdout.split('\n');
    expect(header).to.match(/^CONTAINER ID +NAME +CPU % +MEM USAGE \/ LIMIT +MEM % +NET I\/O +BLOCK I\/O +PIDS$/);
    expect(row).to.match(new RegExp(`^${id.slice(0, 12)} +upd +\\d+\\.\\d\\d% +[\\d.]+[KM]?i?B / 128MiB +\\d+\\.\\d\\d% +\\S+ / \\S+ +\\S+ / \\S+ +\\d+$`));
    expect(rest).to.deep.equal(['']);
    expect((await rk(['update', 'upd'])).stderr).to.equal('racker: you must provide one or more flags when using this command\n');
  });

  it('Engine API: create with HostConfig limits, pause/unpause, one-shot stats, update', async () => {
    const service: Service = await startService(root);
    try {
      const created = await api(service.socket, 'POST', '/v1.43/containers/create?name=apic', { Image: BUSYBOX, Cmd: ['sleep', '300'], HostConfig: { Memory: 67108864, PidsLimit: 30 } });
      expect(created.status).to.equal(201);
      const id = (created.json as { Id: string }).Id;
      expect((await api(service.socket, 'POST', `/containers/${id}/start`)).status).to.equal(204);
      expect((await api(service.socket, 'POST', `/containers/${id}/pause`)).status).to.equal(204);
      const paused = (await api(service.socket, 'GET', `/containers/${id}/json`)).json as { State: { Status: string; Paused: boolean }; HostConfig: { Memory: number; PidsLimit: number } };
      expect(paused.State).to.include({ Status: 'paused', Paused: true });
      expect(paused.HostConfig).to.include({ Memory: 67108864, PidsLimit: 30 });
      expect(await api(service.socket, 'POST', `/containers/${id}/exec`, { Cmd: ['true'] })).to.deep.equal({ status: 409, json: { message: `Container ${id} is paused, unpause the container before exec` } });
      expect((await api(service.socket, 'POST', `/containers/${id}/unpause`)).status).to.equal(204);
      expect((await api(service.socket, 'POST', `/containers/${id}/unpause`)).status).to.equal(409);
      const stats = await api(service.socket, 'GET', `/containers/${id}/stats?stream=false&one-shot=true`);
      expect(stats.status).to.equal(200);
      const s = stats.json as { id: string; name: string; memory_stats: { limit: number; usage: number }; pids_stats: { current: number; limit: number }; cpu_stats: { online_cpus: number } };
      expect(s).to.include({ id, name: '/apic' });
      expect(s.memory_stats.limit).to.equal(67108864);
      expect(s.memory_stats.usage).to.be.greaterThan(0);
      expect(s.pids_stats.limit).to.equal(30);
      expect(s.pids_stats.current).to.be.greaterThan(0);
      expect(await api(service.socket, 'POST', `/containers/${id}/update`, { Memory: 134217728 })).to.deep.equal({ status: 200, json: { Warnings: [] } });
      expect(((await api(service.socket, 'GET', `/containers/${id}/json`)).json as { HostConfig: { Memory: number } }).HostConfig.Memory).to.equal(134217728);
      expect((await api(service.socket, 'POST', `/containers/${id}/update`, { BlkioWeight: 300 })).status).to.equal(400);
    } finally {
      await service.stop();
    }
  });

  it('a supervisor killed -9: rm removes the cgroup it left', async () => {
    const id = (await rk(['run', '-d', BUSYBOX, 'sleep', '300'])).stdout.trim();
    const { supervisorPid } = JSON.parse(await fs.readFile(`${root}/lib/containers/${id}/container.json`, 'utf8')).state;
    process.kill(supervisorPid, 'SIGKILL');
    expect((await cgroupDirs(id)).length).to.be.greaterThan(0);
    expect((await rk(['rm', '-f', id])).code).to.equal(0);
    expect(await cgroupDirs(id)).to.deep.equal([]);
  });
});
