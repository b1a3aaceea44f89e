import { expect } from 'chai';
import Docker from 'dockerode';
import { promises as fs } from 'node:fs';
import { PassThrough } from 'node:stream';
import { racker, tempRoot } from '../helpers/cli.js';
import { killLeftovers } from '../helpers/containers.js';
import { startService, type Service } from '../helpers/docker.js';
import { requireIntegration } from '../helpers/integration.js';
import { startRegistry, type FixtureRegistry } from '../helpers/registry.js';

/** A writable that keeps what it is given, as text. */
function sink(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer | string) => chunks.push(Buffer.from(c)));
  return { stream, text: () => Buffer.concat(chunks).toString() };
}

/** A multiplexed stream, demultiplexed by dockerode, until it ends. */
async function demux(docker: Docker, stream: NodeJS.ReadableStream): Promise<{ stdout: string; stderr: string }> {
  const out = sink();
  const err = sink();
  docker.modem.demuxStream(stream, out.stream, err.stream);
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  return { stdout: out.text(), stderr: err.text() };
}

describe('Engine API (integration: dockerode against racker system service)', function () {
  this.timeout(120_000);
  let reg: FixtureRegistry;
  let root: string;
  let service: Service;
  let docker: Docker;
  let DEBIAN: string;
  let BUSYBOX: string;

  before(async function () {
    requireIntegration(this);
    this.timeout(300_000);
    reg = await startRegistry();
    root = tempRoot('racker-dockerode-');
    service = await startService(root);
    docker = new Docker({ socketPath: service.socket });
    DEBIAN = `${reg.host}/library/debian:bookworm`;
    BUSYBOX = `${reg.host}/racker/busybox:latest`;
  });

  after(async function () {
    this.timeout(120_000);
    if (service) {
      for (const c of await docker.listContainers({ all: true }).catch(() => [])) await docker.getContainer(c.Id).remove({ force: true });
      expect(await service.stop()).to.equal(0);
    }
    if (root) {
      const cleaned = await killLeftovers(root);
      if (cleaned.length) console.log(`      (left behind and cleaned up: ${cleaned.join(', ')})`);
      await fs.rm(root, { recursive: true, force: true });
    }
    await reg?.stop();
  });

  it('ping, version, info', async () => {
    expect(String(await docker.ping())).to.equal('OK');
    const v = await docker.version();
    expect([v.Components?.[0]?.Name, v.ApiVersion, v.Os]).to.deep.equal(['Engine', '1.43', 'linux']);
    const info = (await docker.info()) as { OSType: string; Swarm: { LocalNodeState: string } };
    expect([info.OSType, info.Swarm.LocalNodeState]).to.deep.equal(['linux', 'inactive']);
  });

  it('pull from the fixture registry (progress events), then listImages and inspect', async () => {
    for (const ref of [BUSYBOX, DEBIAN]) {
      const stream = await docker.pull(ref);
      const events = await new Promise<{ status?: string; error?: string }[]>((resolve, reject) =>
        docker.modem.followProgress(stream, (err: Error | null, out: { status?: string }[]) => (err ? reject(err) : resolve(out))),
      );
      expect(events.map((e) => e.status)).to.include(`Status: Downloaded newer image for ${ref}`);
    }
    const tags = (await docker.listImages()).flatMap((i) => i.RepoTags ?? []);
    expect(tags).to.include.members([BUSYBOX, DEBIAN]);
    const inspected = await docker.getImage(BUSYBOX).inspect();
    expect(inspected.RepoTags).to.deep.equal([BUSYBOX]);
  });

  it('a failed pull ends the progress stream with an error', async () => {
    const stream = await docker.pull(`${reg.host}/racker/nonexistent:1`);
    // Like dockerd: the stream ends with an event carrying the error (followProgress reports events, not a failure).
    const events = await new Promise<{ error?: string; errorDetail?: { message: string } }[]>((resolve, reject) =>
      docker.modem.followProgress(stream, (e: Error | null, out: { error?: string }[]) => (e ? reject(e) : resolve(out))),
    );
    const last = events[events.length - 1];
    expect(last?.error).to.match(/not found|manifest unknown/);
    expect(last?.errorDetail?.message).to.equal(last?.error);
  });

  it('run with output (Tty: raw stream) and the exit code; AutoRemove removes it', async () => {
    const out = sink();
    const [result, container] = (await docker.run(BUSYBOX, ['sh', '-c', 'echo hi; exit 3'], out.stream, { HostConfig: { AutoRemove: true } })) as [
      { StatusCode: number },
      Docker.Container,
    ];
    // dockerode's run asks for a Tty: the command's terminal turns \n into \r\n, as docker's does.
    expect({ code: result.StatusCode, out: out.text() }).to.deep.equal({ code: 3, out: 'hi\r\n' });
    for (let i = 0; i < 100 && (await docker.listContainers({ all: true })).length; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await docker.listContainers({ all: true })).to.deep.equal([]);
    expect(container.id).to.match(/^[a-f0-9]{64}$/);
  });

  it('run without a Tty: stdout and stderr demultiplexed (boot mode)', async () => {
    const out = sink();
    const err = sink();
    const [result] = (await docker.run(DEBIAN, ['sh', '-c', 'cat /proc/1/comm; echo err >&2; exit 5'], [out.stream, err.stream], { Tty: false, HostConfig: { AutoRemove: true } })) as [
      { StatusCode: number },
    ];
    expect({ code: result.StatusCode, out: out.text(), err: err.text() }).to.deep.equal({ code: 5, out: 'systemd\n', err: 'err\n' });
  });

  it('detached: create with labels, start, logs, exec (hijacked, with its exit code), stop, remove', async () => {
    const container = await docker.createContainer({
      Image: BUSYBOX,
      name: 'dode',
      Cmd: ['sh', '-c', 'echo one; echo two >&2; exec sleep 60'],
      Labels: { 'org.racker.test': 'dockerode' },
    });
    await container.start();
    const listed = await docker.listContainers({ filters: { label: ['org.racker.test=dockerode'] } });
    expect(listed.map((c) => [c.Names, c.State, c.Labels])).to.deep.equal([[['/dode'], 'running', { 'org.racker.test': 'dockerode' }]]);
    expect(await docker.listContainers({ filters: { label: ['org.racker.test=other'] } })).to.deep.equal([]);

    let logs = { stdout: '', stderr: '' };
    for (let i = 0; i < 100 && !(logs.stdout && logs.stderr); i++) {
      const buf = (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
      const stream = new PassThrough();
      const done = demux(docker, stream);
      stream.end(buf);
      logs = await done;
      if (!(logs.stdout && logs.stderr)) await new Promise((r) => setTimeout(r, 50));
    }
    expect(logs).to.deep.equal({ stdout: 'one\n', stderr: 'two\n' });

    const exec = await container.exec({ Cmd: ['sh', '-c', 'echo in-exec; echo e >&2; exit 7'], AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({ hijack: true, stdin: false });
    expect(await demux(docker, stream)).to.deep.equal({ stdout: 'in-exec\n', stderr: 'e\n' });
    const state = await exec.inspect();
    expect([state.Running, state.ExitCode]).to.deep.equal([false, 7]);

    // The racker CLI sees the container the API started.
    expect((await racker(['ps', '--format', 'json'], { root })).stdout).to.include('"Names":"dode"');

    await container.stop({ t: 1 });
    expect((await container.inspect()).State.Status).to.equal('exited');
    await container.remove();
    expect(await docker.listContainers({ all: true })).to.deep.equal([]);
  });

  it('exec with stdin over the hijacked connection', async () => {
    const container = await docker.createContainer({ Image: BUSYBOX, Cmd: ['sleep', '60'] });
    await container.start();
    const exec = await container.exec({ Cmd: ['cat'], AttachStdin: true, AttachStdout: true, AttachStderr: true });
    const stream = (await exec.start({ hijack: true, stdin: true })) as NodeJS.ReadWriteStream & { end(data?: string): void };
    const output = demux(docker, stream);
    stream.end('through stdin\n');
    expect(await output).to.deep.equal({ stdout: 'through stdin\n', stderr: '' });
    expect((await exec.inspect()).ExitCode).to.equal(0);
    await container.remove({ force: true });
  });

  it('exec with a Tty, resized while it runs: the terminal the command has (the container\'s own) gets the size, no other', async () => {
    const container = await docker.createContainer({ Image: DEBIAN, Cmd: ['sleep', '60'] });
    await container.start();
    const exec = await container.exec({ Cmd: ['sh', '-c', 'sleep 1; stty size; tty'], Tty: true, AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({ hijack: true, stdin: false, Tty: true });
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    const ended = new Promise((r) => stream.on('end', r));
    await new Promise((r) => setTimeout(r, 400));
    await exec.resize({ h: 41, w: 123 });
    await ended;
    expect(Buffer.concat(chunks).toString()).to.match(/^41 123\r\n\/dev\/pts\/\d+\r\n$/);
    await container.remove({ force: true });
  });

  it('attach with stdin to a container started with OpenStdin and nobody attached: its command reads it', async () => {
    const container = await docker.createContainer({ Image: BUSYBOX, Cmd: ['sh', '-c', 'read a; read b; echo "$a+$b"; exit 3'], OpenStdin: true });
    await container.start();
    const first = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as NodeJS.ReadWriteStream & { end(data?: string): void };
    first.end('one\n');
    const second = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as NodeJS.ReadWriteStream & { write(data: string): void };
    const output = demux(docker, second);
    second.write('two\n');
    expect(await output).to.deep.equal({ stdout: 'one+two\n', stderr: '' });
    expect((await container.wait()).StatusCode).to.equal(3);
    await container.remove({ force: true });
  });

  it('errors: 404 for an unknown container, 409 for kill of a stopped one, 501 for what racker lacks', async () => {
    const missing = await docker.getContainer('nope').inspect().catch((e: { statusCode: number }) => e.statusCode);
    expect(missing).to.equal(404);
    const c = await docker.createContainer({ Image: BUSYBOX, Cmd: ['true'] });
    const kill = await c.kill().catch((e: { statusCode: number }) => e.statusCode);
    expect(kill).to.equal(409);
    await c.remove();
    const plugins = await docker.listPlugins().catch((e: { statusCode: number; json?: { message?: string } }) => [e.statusCode, e.json?.message]);
    expect(plugins).to.deep.equal([501, "not supported by racker's Engine API, not implemented: GET /plugins"]);
  });

  it('rename, container prune and image tag (docker-py found them missing)', async () => {
    const c = await docker.createContainer({ Image: BUSYBOX, Cmd: ['true'], name: 'before' });
    await c.rename({ name: 'after' });
    expect((await c.inspect()).Name).to.equal('/after');
    const other = await docker.createContainer({ Image: BUSYBOX, Cmd: ['true'], name: 'taken' });
    const conflict = await c.rename({ name: 'taken' }).catch((e: { statusCode: number }) => e.statusCode);
    expect(conflict).to.equal(409);
    const running = await docker.createContainer({ Image: BUSYBOX, Cmd: ['sleep', '60'] });
    await running.start();
    // top: the host's ps -ef, the container's rows only (its PID 1 here).
    const top = (await running.top()) as { Titles: string[]; Processes: string[][] };
    expect(top.Titles).to.deep.equal(['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
    expect(top.Processes.map((p) => p[7])).to.deep.equal(['sleep 60']);
    const cli = await racker(['top', running.id, '-o', 'pid,comm'], { root });
    expect(cli.stdout).to.match(/^PID +COMMAND\n\d+ +sleep\n$/);
    const pruned = (await docker.pruneContainers()) as { ContainersDeleted: string[] };
    expect([...pruned.ContainersDeleted].sort()).to.deep.equal([c.id, other.id].sort());
    expect((await docker.listContainers({ all: true })).map((x) => x.Id)).to.deep.equal([running.id]);
    await running.remove({ force: true });
    await docker.getImage(BUSYBOX).tag({ repo: 'example.test/again', tag: 'v1' });
    expect((await docker.getImage('example.test/again:v1').inspect()).Id).to.equal((await docker.getImage(BUSYBOX).inspect()).Id);
    await docker.getImage('example.test/again:v1').remove();
  });

  it('remove an image through the API', async () => {
    const removed = (await docker.getImage(BUSYBOX).remove()) as { Untagged?: string; Deleted?: string }[];
    expect(removed[0]).to.deep.equal({ Untagged: BUSYBOX });
    expect((await docker.listImages()).flatMap((i) => i.RepoTags ?? [])).to.not.include(BUSYBOX);
  });
});
