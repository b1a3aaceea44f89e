import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import Docker from 'dockerode';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { racker, rackerBin, tempRoot, ok } from '../helpers/cli.js';
import { eventually, killLeftovers } from '../helpers/containers.js';
import { startService, type Service } from '../helpers/docker.js';
import { requireIntegration } from '../helpers/integration.js';
import { startRegistry, type FixtureRegistry } from '../helpers/registry.js';

const CTRL_P = '\x10';
const CTRL_Q = '\x11';
const CTRL_X = '\x18';

/** A hijacked connection as docker clients make it: raw bytes both ways after the answer's head. */
interface Hijacked {
  status: number;
  /** The answer's body for a refused request (JSON). */
  body: string;
  write(data: string): void;
  /** Everything received after the head so far. */
  received(): Buffer;
  /** Resolves once the service has closed the connection. */
  closed: Promise<void>;
  destroy(): void;
}

function hijack(socketPath: string, path: string, body?: unknown): Promise<Hijacked> {
  return new Promise((resolve, reject) => {
    const s = net.connect(socketPath);
    const json = body === undefined ? '' : JSON.stringify(body);
    s.on('connect', () =>
      s.write(
        `POST ${path} HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n` +
          (json ? `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n` : '') +
          `\r\n${json}`,
      ),
    );
    let buf = Buffer.alloc(0);
    let head: { status: number; at: number } | undefined;
    const closed = new Promise<void>((done) => s.on('close', () => done()));
    s.on('error', reject);
    s.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      if (head) return;
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const h = (head = { status: Number(/^HTTP\/1\.1 (\d+)/.exec(buf.toString('latin1'))?.[1]), at: end + 4 });
      // A refused request: its whole answer (the connection closes after it).
      void (h.status === 101 ? Promise.resolve() : closed).then(() => resolve({
        status: h.status,
        get body() {
          return buf.subarray(h.at).toString();
        },
        write: (data) => s.write(data),
        received: () => buf.subarray(h.at),
        closed,
        destroy: () => s.destroy(),
      }));
    });
  });
}

/** The payloads of multiplexed frames (stdout and stderr alike), joined. */
function payloads(data: Buffer): string {
  const out: Buffer[] = [];
  for (let at = 0; at + 8 <= data.length; ) {
    const size = data.readUInt32BE(at + 4);
    out.push(data.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  return Buffer.concat(out).toString();
}

/** Within `ms`, or the test fails naming what did not happen. */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe('detach keys (integration: attach and exec start on racker system service, racker attach)', function () {
  this.timeout(120_000);
  let reg: FixtureRegistry;
  let root: string;
  let service: Service;
  let docker: Docker;
  let BUSYBOX: string;
  const created: string[] = [];

  before(async function () {
    requireIntegration(this);
    this.timeout(300_000);
    reg = await startRegistry();
    root = tempRoot('racker-detach-');
    service = await startService(root);
    docker = new Docker({ socketPath: service.socket });
    BUSYBOX = `${reg.host}/racker/busybox:latest`;
    await new Promise<void>((resolve, reject) =>
      docker.pull(BUSYBOX, (err: Error | null, stream: NodeJS.ReadableStream) => (err ? reject(err) : docker.modem.followProgress(stream, (e: Error | null) => (e ? reject(e) : resolve())))),
    );
  });

  afterEach(async function () {
    if (!docker) return;
    for (const id of created.splice(0)) await docker.getContainer(id).remove({ force: true }).catch(() => undefined);
  });

  after(async function () {
    this.timeout(120_000);
    if (service) expect(await service.stop()).to.equal(0);
    if (root) {
      const cleaned = await killLeftovers(root);
      if (cleaned.length) console.log(`      (left behind and cleaned up: ${cleaned.join(', ')})`);
    }
    await reg?.stop();
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  async function running(opts: Docker.ContainerCreateOptions): Promise<Docker.Container> {
    const c = await docker.createContainer({ Image: BUSYBOX, ...opts });
    created.push(c.id);
    await c.start();
    return c;
  }

  const LOOP = ['sh', '-c', 'while read line; do echo "got $line"; done'];

  it('attach with stdin to a Tty container: ctrl-p ctrl-q closes the connection, the container keeps running and reads a later attach', async () => {
    const c = await running({ Cmd: LOOP, OpenStdin: true, Tty: true });
    const a = await hijack(service.socket, `/containers/${c.id}/attach?stream=1&stdin=1&stdout=1&stderr=1`);
    expect(a.status).to.equal(101);
    a.write('one\n');
    // The terminal echoes the line, then the loop answers (raw: a terminal's \r\n).
    await eventually(() => a.received().toString().includes('got one\r\n'), 10_000, 'the first line answered');
    a.write(CTRL_P);
    await new Promise((r) => setTimeout(r, 300));
    a.write(`${CTRL_Q}dropped\n`);
    await within(a.closed, 5000, 'the connection closed after ctrl-p ctrl-q');
    expect(a.received().toString()).not.to.include('dropped');
    expect((await c.inspect()).State.Running).to.equal(true);
    // A sequence begun and not finished is forwarded as it was.
    const b = await hijack(service.socket, `/containers/${c.id}/attach?stream=1&stdin=1&stdout=1&stderr=1`);
    b.write(`t${CTRL_P}wo\n`);
    await eventually(() => b.received().toString().includes(`got t${CTRL_P}wo\r\n`), 10_000, 'the second attach read');
    b.destroy();
    expect((await c.inspect()).State.Running).to.equal(true);
  });

  it('without a Tty stdin is not scanned, as dockerd does: ctrl-p ctrl-q are data', async () => {
    const c = await running({ Cmd: LOOP, OpenStdin: true });
    const a = await hijack(service.socket, `/containers/${c.id}/attach?stream=1&stdin=1&stdout=1&stderr=1`);
    a.write(`x${CTRL_P}${CTRL_Q}y\n`);
    await eventually(() => payloads(a.received()) === `got x${CTRL_P}${CTRL_Q}y\n`, 10_000, 'the line with the keys read as data');
    a.destroy();
  });

  it('attach with detachKeys=ctrl-x: ctrl-p is data, ctrl-x detaches; a bad spec is a 400 with dockerd\'s message', async () => {
    const c = await running({ Cmd: LOOP, OpenStdin: true, Tty: true });
    const a = await hijack(service.socket, `/containers/${c.id}/attach?stream=1&stdin=1&stdout=1&stderr=1&detachKeys=ctrl-x`);
    a.write(`a${CTRL_P}b\n${CTRL_X}`);
    await within(a.closed, 5000, 'the connection closed after ctrl-x');
    expect((await c.inspect()).State.Running).to.equal(true);
    // What came before the keys reached the command (its answer is in the log).
    await eventually(async () => (await c.logs({ stdout: true })).toString().includes(`got a${CTRL_P}b\r\n`), 10_000, 'the line before ctrl-x read');
    for (const spec of ['ctrl-P', 'ctrl-p,,ctrl-q', 'nope']) {
      const bad = await hijack(service.socket, `/containers/${c.id}/attach?stream=1&stdin=1&detachKeys=${encodeURIComponent(spec)}`);
      expect([bad.status, JSON.parse(bad.body)]).to.deep.equal([400, { message: `Invalid detach keys (${spec}) provided` }]);
    }
  });

  it('attach before the start with a Tty (docker run -it): detaching leaves the command running with its stdin open', async () => {
    const c = await docker.createContainer({ Image: BUSYBOX, Cmd: ['cat'], OpenStdin: true, StdinOnce: true, Tty: true, AttachStdin: true, AttachStdout: true });
    created.push(c.id);
    const a = await hijack(service.socket, `/containers/${c.id}/attach?stream=1&stdin=1&stdout=1&stderr=1`);
    await c.start();
    a.write('hi\n');
    // The terminal echoes the line, then cat writes it back.
    await eventually(() => a.received().toString() === 'hi\r\nhi\r\n', 10_000, 'the line echoed and written back');
    a.write(`${CTRL_P}${CTRL_Q}`);
    await within(a.closed, 5000, 'the connection closed after ctrl-p ctrl-q');
    expect(a.received().toString()).to.equal('hi\r\nhi\r\n');
    await new Promise((r) => setTimeout(r, 1000));
    expect((await c.inspect()).State.Running).to.equal(true);
  });

  it('exec with DetachKeys (and docker-py\'s detachKeys): the connection closes, the exec keeps running; a bad spec is a 400', async () => {
    const c = await running({ Cmd: ['sleep', '600'] });
    const create = async (body: Record<string, unknown>) => ((await (await fetchOver(service.socket, `/containers/${c.id}/exec`, body)).json()) as { Id: string });
    const { Id } = await create({ Cmd: ['sh', '-c', 'echo ready; cat > /tmp/got'], AttachStdin: true, AttachStdout: true, Tty: true, DetachKeys: 'ctrl-x' });
    const a = await hijack(service.socket, `/exec/${Id}/start`, { Detach: false, Tty: true });
    expect(a.status).to.equal(101);
    await eventually(() => a.received().toString() === 'ready\r\n', 10_000, 'the exec started');
    a.write('hello\n');
    await eventually(() => a.received().toString() === 'ready\r\nhello\r\n', 10_000, 'the terminal echoed the line');
    a.write(CTRL_X);
    await within(a.closed, 5000, 'the connection closed after ctrl-x');
    const inspect = await docker.getExec(Id).inspect();
    expect([inspect.Running, inspect.ExitCode]).to.deep.equal([true, null]);
    // The line reached cat, which still runs after the detach (a moment after the echo: looked at until then).
    const got = async () => {
      const check = await hijack(service.socket, `/exec/${(await create({ Cmd: ['cat', '/tmp/got'], AttachStdout: true })).Id}/start`, { Detach: false, Tty: false });
      await within(check.closed, 10_000, 'the check exec ended');
      return payloads(check.received());
    };
    await eventually(async () => (await got()) === 'hello\n', 10_000, 'cat wrote the line');
    expect((await docker.getExec(Id).inspect()).Running).to.equal(true);

    // docker-py's spelling (detachKeys), the default keys: the exec goes on after them.
    const spelled = await create({ Cmd: ['cat'], AttachStdin: true, AttachStdout: true, Tty: true, detachKeys: 'ctrl-p,ctrl-q' });
    const b = await hijack(service.socket, `/exec/${spelled.Id}/start`, { Detach: false, Tty: true });
    b.write(`x\n${CTRL_P}${CTRL_Q}`);
    await within(b.closed, 5000, 'the connection closed after ctrl-p ctrl-q');
    expect((await docker.getExec(spelled.Id).inspect()).Running).to.equal(true);
    // Without a terminal the keys are data: cat gives them back.
    const plain = await create({ Cmd: ['busybox', 'head', '-c', '4'], AttachStdin: true, AttachStdout: true });
    const p = await hijack(service.socket, `/exec/${plain.Id}/start`, { Detach: false, Tty: false });
    p.write(`x${CTRL_P}${CTRL_Q}y`);
    await within(p.closed, 10_000, 'head ended after four bytes');
    expect(payloads(p.received())).to.equal(`x${CTRL_P}${CTRL_Q}y`);

    const refused = await fetchOver(service.socket, `/containers/${c.id}/exec`, { Cmd: ['true'], DetachKeys: 'ctrl-1' });
    expect([refused.status, await refused.json()]).to.deep.equal([400, { message: 'Invalid escape keys (ctrl-1) provided' }]);
  });

  it('racker attach: ctrl-p ctrl-q (or --detach-keys) ends it with 0 and leaves the container running; a bad spec exits 1, as docker attach does', async () => {
    // A terminal container with its stdin open (create -it, then start with nobody attached).
    ok(await racker(['create', '-it', '--name', 'detachable', BUSYBOX, ...LOOP], { root, timeoutMs: 60_000 }));
    ok(await racker(['start', 'detachable'], { root, timeoutMs: 60_000 }));
    created.push('detachable');
    // One line, its answer, then the keys (sent apart: what the command answers after a detach is not shown).
    const attach = async (args: string[], line: string, keys: string) => {
      const child = spawn(process.execPath, [rackerBin, 'attach', ...args, 'detachable'], { env: { ...process.env, RACKER_ROOT: root }, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      const code = new Promise<number | null>((r) => child.on('close', (c) => r(c)));
      await new Promise((r) => setTimeout(r, 500));
      child.stdin.write(line);
      await eventually(() => stdout.includes('got '), 10_000, 'the answer to the line');
      child.stdin.write(keys);
      return { code: await within(code, 5000, 'racker attach ended after the keys'), stdout, stderr };
    };
    // The terminal's echo of the line, then the answer; nothing after the keys.
    const first = await attach([], 'one\n', `${CTRL_P}${CTRL_Q}two\n`);
    expect([first.code, first.stderr, first.stdout.includes('got one\r\n'), first.stdout.includes('two')]).to.deep.equal([0, '', true, false]);
    const second = await attach(['--detach-keys', 'ctrl-x,x'], `a${CTRL_X}b\n`, `${CTRL_X}x`);
    expect([second.code, second.stderr, second.stdout.includes(`got a${CTRL_X}b\r\n`)]).to.deep.equal([0, '', true]);
    expect((await docker.getContainer('detachable').inspect()).State.Running).to.equal(true);
    const bad = await racker(['attach', '--detach-keys', 'ctrl-', 'detachable'], { root, input: '', timeoutMs: 30_000 });
    expect([bad.code, bad.stdout, bad.stderr.trim().split('\n').length, bad.stderr]).to.deep.equal([1, '', 1, bad.stderr]);
    expect(bad.stderr).to.match(/^racker: Invalid detach keys \(ctrl-\) provided \(unknown key 'ctrl-'/);
  });
});

/** A plain JSON request over the unix socket (what dockerode hides: the exact status and body). */
function fetchOver(socketPath: string, path: string, body: unknown): Promise<{ status: number; json(): Promise<unknown> }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(socketPath);
    const json = JSON.stringify(body);
    s.on('connect', () => s.write(`POST ${path} HTTP/1.1\r\nHost: docker\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`));
    let buf = '';
    s.on('data', (c: Buffer) => (buf += c.toString()));
    s.on('error', reject);
    s.on('close', () => {
      const [head = '', ...rest] = buf.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1]), json: async () => JSON.parse(rest.join('\r\n\r\n')) as unknown });
    });
  });
}
