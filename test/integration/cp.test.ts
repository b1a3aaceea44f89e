/**
 * Issue 15 (docker cp, diff, export): `racker cp` both ways and with `-`, `racker diff`,
 * `racker export`, and the Engine API's archive (HEAD/GET/PUT), changes and export endpoints
 * through dockerode, the docker CLI and docker-py — on created, stopped and running
 * containers, with hostile links and archives that must not reach the host.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { Header, Parser, type HeaderData, type ReadEntry } from 'tar';
import { collect, racker, rackerBin, seen, tempRoot } from '../helpers/cli.js';
import { killLeftovers } from '../helpers/containers.js';
import { docker, dockerClient, dockerConfigDir, startService, type Service } from '../helpers/docker.js';
import { needs, requireIntegration } from '../helpers/integration.js';
import { startRegistry, type FixtureRegistry } from '../helpers/registry.js';

/** A forged tar: headers by hand, so hostile names survive. */
function tarball(entries: (HeaderData & { body?: string })[]): Buffer {
  const blocks: Buffer[] = [];
  for (const { body, ...data } of entries) {
    const content = Buffer.from(body ?? '');
    const block = Buffer.alloc(512);
    new Header({ mode: 0o644, uid: 0, gid: 0, mtime: new Date('2020-01-02T03:04:05Z'), type: 'File', ...data, size: content.length }).encode(block, 0);
    blocks.push(block, content, Buffer.alloc((512 - (content.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** "TYPE name[ -> link][ text]" per entry. */
async function listTar(data: Buffer): Promise<string[]> {
  const out: string[] = [];
  const parser = new Parser();
  parser.on('entry', (e: ReadEntry) => {
    const chunks: Buffer[] = [];
    e.on('data', (c: Buffer) => chunks.push(c));
    e.on('end', () => out.push(`${e.type} ${e.path}${e.linkpath ? ` -> ${e.linkpath}` : ''}${e.type === 'File' && e.size < 200 ? ` ${JSON.stringify(Buffer.concat(chunks).toString())}` : ''}`));
  });
  await new Promise<void>((resolve, reject) => {
    parser.on('end', resolve);
    parser.on('error', reject);
    parser.end(data);
  });
  return out;
}

describe('cp, diff, export (integration, issue 15)', function () {
  this.timeout(120_000);
  let reg: FixtureRegistry;
  let root: string;
  let work: string;
  let BUSYBOX: string;
  const rk = (args: string[], input?: string | Buffer) => racker(args, { root, timeoutMs: 60_000, ...(input !== undefined ? { input } : {}) });
  const rkBytes = (args: string[], input?: Buffer) => collect([process.execPath, rackerBin, ...args], { env: { ...process.env, RACKER_ROOT: root, RACKER_DEBUG: undefined } as NodeJS.ProcessEnv, timeoutMs: 60_000, ...(input ? { input } : {}) });
  /** A container whose /etc/passwd is its own, with /link -> /etc (the host's /etc, were it followed on the host). */
  const SETUP = 'echo container-passwd > /etc/passwd; ln -s /etc /link; mkdir -p /d/sub; echo y > /d/y; echo z > /d/sub/z; ln -s /d/y /d/ylink';

  before(async function () {
    requireIntegration(this);
    this.timeout(300_000);
    reg = await startRegistry();
    root = tempRoot('racker-cp-');
    work = path.join(root, 'work');
    await fs.mkdir(work);
    BUSYBOX = `${reg.host}/racker/busybox:latest`;
    expect((await rk(['pull', '-q', BUSYBOX])).code).to.equal(0);
  });
  afterEach(async () => {
    for (const name of (await rk(['ps', '-aq'])).stdout.split('\n').filter(Boolean)) await rk(['rm', '-f', name]);
    await fs.rm(work, { recursive: true, force: true });
    await fs.mkdir(work);
  });
  after(async () => {
    if (root) {
      await killLeftovers(root);
      await fs.rm(root, { recursive: true, force: true });
    }
    await reg?.stop();
  });

  it('a stopped container: out by docker’s DEST rules, links never followed on the host, -L follows in the container', async () => {
    expect((await rk(['run', '--name', 's', BUSYBOX, 'sh', '-c', SETUP])).code).to.equal(0);
    // A file to a new name, into an existing directory, a directory, a directory's contents.
    expect(seen(await rk(['cp', 's:/etc/passwd', `${work}/pw`]))).to.deep.equal({ code: 0, stdout: '', stderr: '' });
    expect(await fs.readFile(`${work}/pw`, 'utf8')).to.equal('container-passwd\n');
    expect((await rk(['cp', 's:/d', `${work}/`])).code).to.equal(0);
    expect((await rk(['cp', 's:/d/.', `${work}/pw-dir-contents`])).code).to.equal(0);
    await fs.mkdir(`${work}/existing`);
    expect((await rk(['cp', 's:/d/.', `${work}/existing`])).code).to.equal(0);
    expect([await fs.readFile(`${work}/d/sub/z`, 'utf8'), await fs.readlink(`${work}/d/ylink`), (await fs.readdir(`${work}/existing`)).sort()]).to.deep.equal(['z\n', '/d/y', ['sub', 'y', 'ylink']]);
    // The link is copied as a link; through it (in the container) the container's file, never the host's.
    expect((await rk(['cp', 's:/link', `${work}/l`])).code).to.equal(0);
    expect(await fs.readlink(`${work}/l`)).to.equal('/etc');
    const through = await rkBytes(['cp', 's:/link/passwd', '-']);
    expect([through.code, await listTar(through.stdout)]).to.deep.equal([0, ['File passwd "container-passwd\\n"']]);
    expect((await rk(['cp', '-L', 's:/d/ylink', `${work}/followed`])).code).to.equal(0);
    expect(await fs.readFile(`${work}/followed`, 'utf8')).to.equal('y\n');
    // docker's refusals, exit 1.
    expect(seen(await rk(['cp', 's:/nope', work]))).to.deep.equal({ code: 1, stdout: '', stderr: 'racker: No such container:path: s:/nope\n' });
    expect(seen(await rk(['cp', 's:/etc/passwd', `${work}/missing/`]))).to.deep.equal({ code: 1, stdout: '', stderr: `racker: destination directory ${work}/missing/ must exist\n` });
    expect(seen(await rk(['cp', 's:/d', `${work}/pw`]))).to.deep.equal({ code: 1, stdout: '', stderr: `racker: cannot copy a directory to a file: ${work}/pw\n` });
    expect((await rk(['cp', 'nosuch:/x', work])).code).to.equal(1);
    expect(seen(await rk(['cp', `${work}/pw`, `${work}/x`]))).to.deep.equal({ code: 1, stdout: '', stderr: 'racker: must specify at least one container source\n' });
  });

  it('into a created container and a running one (its volume too); diff and export see it', async () => {
    await fs.writeFile(`${work}/note`, 'from the host\n');
    await fs.mkdir(`${work}/tree/inner`, { recursive: true });
    await fs.writeFile(`${work}/tree/inner/f`, 'f\n');
    expect((await rk(['create', '--name', 'c', BUSYBOX, 'cat', '/note', '/copy/inner/f'])).code).to.equal(0);
    expect(seen(await rk(['cp', `${work}/note`, 'c:/']))).to.deep.equal({ code: 0, stdout: '', stderr: '' });
    expect(seen(await rk(['cp', `${work}/tree`, 'c:/opt/tree']))).to.deep.equal({ code: 1, stdout: '', stderr: 'racker: Could not find the file /opt in container c\n' });
    expect((await rk(['cp', `${work}/tree`, 'c:/copy'])).code).to.equal(0);
    expect((await rk(['diff', 'c'])).stdout).to.equal('A /copy\nA /copy/inner\nA /copy/inner/f\nA /note\n');
    expect(seen(await rk(['start', '-a', 'c']))).to.deep.include({ code: 0, stdout: 'from the host\nf\n' });
    const exported = await rkBytes(['export', 'c']);
    expect(exported.code).to.equal(0);
    const entries = await listTar(exported.stdout);
    expect(entries).to.include.members(['File note "from the host\\n"', 'Directory copy/inner/', 'File bin/busybox']);
    // The layer only: no kernel files, no absolute names.
    expect(entries.filter((e) => (e.includes(' proc/') && e !== 'Directory proc/') || e.split(' ')[1]!.startsWith('/'))).to.deep.equal([]);
    expect((await rk(['export', '-o', `${work}/c.tar`, 'c'])).code).to.equal(0);
    expect(await listTar(await fs.readFile(`${work}/c.tar`))).to.deep.equal(entries);

    expect((await rk(['run', '-d', '--name', 'r', '-v', 'vol:/data', BUSYBOX, 'sh', '-c', `${SETUP}; sleep 300`])).code).to.equal(0);
    expect((await rk(['cp', `${work}/note`, 'r:/data/'])).code).to.equal(0);
    expect((await rk(['cp', `${work}/note`, 'r:/tmp/n'])).code).to.equal(0);
    expect(seen(await rk(['exec', 'r', 'cat', '/data/note', '/tmp/n']))).to.deep.equal({ code: 0, stdout: 'from the host\nfrom the host\n', stderr: '' });
    // Out of the running container, through its link: its own /etc.
    const through = await rkBytes(['cp', 'r:/link/passwd', '-']);
    expect(await listTar(through.stdout)).to.deep.equal(['File passwd "container-passwd\\n"']);
    // A tar on stdin; one with a ../ entry is refused whole, nothing written anywhere.
    const escape = `racker-escape-${randomBytes(4).toString('hex')}`;
    expect((await rkBytes(['cp', '-', 'r:/tmp'], tarball([{ path: 'in.txt', body: 'in' }]))).code).to.equal(0);
    const hostile = await rkBytes(['cp', '-', 'r:/tmp'], tarball([{ path: 'first', body: 'x' }, { path: `../../../../../../tmp/${escape}`, body: 'x' }]));
    expect([hostile.code, hostile.stderr]).to.deep.equal([1, `racker: invalid archive entry "../../../../../../tmp/${escape}": it leads out of the destination\n`]);
    expect(existsSync(`/tmp/${escape}`)).to.equal(false);
    expect((await rk(['exec', 'r', 'ls', '/tmp'])).stdout).to.equal('in.txt\nn\n');
    // Through the container's /link -> /etc: the container's /etc, not the host's.
    expect((await rk(['cp', `${work}/note`, `r:/link/${escape}`])).code).to.equal(0);
    expect([existsSync(`/etc/${escape}`), (await rk(['exec', 'r', 'cat', `/etc/${escape}`])).stdout]).to.deep.equal([false, 'from the host\n']);
    expect((await rk(['diff', 'r'])).stdout.split('\n')).to.include.members(['C /etc', 'A /etc/passwd', `A /etc/${escape}`, 'A /link']);
  });

  it('a stopped or created container: paths under its volumes and binds are theirs; links stay inside; read-only binds refuse', async () => {
    await fs.writeFile(`${work}/note`, 'from the host\n');
    const rw = path.join(root, 'bind-rw');
    const ro = path.join(root, 'bind-ro');
    await fs.mkdir(rw, { recursive: true });
    await fs.mkdir(ro, { recursive: true });
    await fs.writeFile(`${ro}/kept`, 'kept\n');
    const vols = ['-v', '/vol1', '-v', `${rw}:/rw`, '-v', `${ro}:/ro:ro`];
    // Never started (the volume has never been mounted): the copy lands in the volume, which the command reads.
    expect((await rk(['create', '--name', 'v', ...vols, BUSYBOX, 'sh', '-c', 'cat /vol1/note /ro/kept; echo vol > /vol1/data.txt; ln -s /etc /vol1/out; mkdir /vol1/etc; echo vol-etc > /vol1/etc/passwd; ln -s /vol1 /tovol'])).code).to.equal(0);
    expect(seen(await rk(['cp', `${work}/note`, 'v:/vol1']))).to.deep.equal({ code: 0, stdout: '', stderr: '' });
    expect((await rk(['cp', `${work}/note`, 'v:/rw/n'])).code).to.equal(0);
    expect(await fs.readFile(`${rw}/n`, 'utf8')).to.equal('from the host\n');
    expect(seen(await rk(['cp', `${work}/note`, 'v:/ro']))).to.deep.equal({ code: 1, stdout: '', stderr: 'racker: mounted volume is marked read-only\n' });
    expect(seen(await rk(['start', '-a', 'v']))).to.deep.include({ code: 0, stdout: 'from the host\nkept\n' });
    // Exited: out of the volume (the container's own layer has an empty /vol1), through a link
    // of its own into the volume, and a read-only bind's file.
    const out = async (p: string) => listTar((await rkBytes(['cp', `v:${p}`, '-'])).stdout);
    expect(await out('/vol1/data.txt')).to.deep.equal(['File data.txt "vol\\n"']);
    expect(await out('/tovol/data.txt')).to.deep.equal(['File data.txt "vol\\n"']);
    expect(await out('/ro/kept')).to.deep.equal(['File kept "kept\\n"']);
    // The volume's /out -> /etc leads to the volume's own etc, not the container's nor the host's.
    expect(await out('/vol1/out/passwd')).to.deep.equal(['File passwd "vol-etc\\n"']);
    expect((await out('/vol1')).slice(0, 3)).to.deep.equal(['Directory vol1/', 'File vol1/data.txt "vol\\n"', 'Directory vol1/etc/']);
    expect((await rk(['cp', `${work}/note`, 'v:/vol1/out/'])).code).to.equal(0);
    expect(await out('/vol1/etc/note')).to.deep.equal(['File note "from the host\\n"']);
    expect(seen(await rk(['cp', `${work}/note`, 'v:/ro/']))).to.deep.equal({ code: 1, stdout: '', stderr: 'racker: mounted volume is marked read-only\n' });
    expect(await fs.readdir(ro)).to.deep.equal(['kept']);
    // Running: its own view, where the read-only bind is refused the same way.
    expect((await rk(['run', '-d', '--name', 'vr', ...vols, BUSYBOX, 'sh', '-c', 'echo live > /vol1/live; sleep 300'])).code).to.equal(0);
    expect((await rk(['exec', 'vr', 'cat', '/vol1/live'])).stdout).to.equal('live\n');
    expect(await listTar((await rkBytes(['cp', 'vr:/vol1/live', '-'])).stdout)).to.deep.equal(['File live "live\\n"']);
    expect(seen(await rk(['cp', `${work}/note`, 'vr:/ro']))).to.deep.equal({ code: 1, stdout: '', stderr: 'racker: mounted volume is marked read-only\n' });
    expect((await rk(['cp', `${work}/note`, 'vr:/vol1/'])).code).to.equal(0);
    expect((await rk(['exec', 'vr', 'cat', '/vol1/note'])).stdout).to.equal('from the host\n');
  });

  describe('the Engine API', () => {
    let service: Service;
    let api: Docker;
    before(async function () {
      this.timeout(60_000);
      service = await startService(root);
      api = new Docker({ socketPath: service.socket });
    });
    after(async () => {
      if (service) expect(await service.stop()).to.equal(0);
    });

    it('dockerode: archive HEAD/GET/PUT, changes, export; hostile archives answer 400 and change nothing', async () => {
      const c = await api.createContainer({ Image: BUSYBOX, Cmd: ['sh', '-c', `${SETUP}; sleep 300`] });
      // Never started: its files are the image's.
      // dockerode hands back the HEAD response itself: the stat is its header.
      const info = async (p: string) => {
        const res = (await c.infoArchive({ path: p })) as unknown as { headers: Record<string, string> };
        return JSON.parse(Buffer.from(res.headers['x-docker-container-path-stat']!, 'base64').toString()) as { name: string; mode: number; linkTarget: string };
      };
      const head = await info('/bin/busybox');
      expect([head.name, head.mode, head.linkTarget]).to.deep.equal(['busybox', 0o755, '']);
      await c.start();
      const link = await info('/link');
      expect([link.name, link.mode, link.linkTarget]).to.deep.equal(['link', 2 ** 27 + 0o777, '/etc']);
      const read = async (stream: NodeJS.ReadableStream) => {
        const chunks: Buffer[] = [];
        for await (const chunk of stream) chunks.push(chunk as Buffer);
        return Buffer.concat(chunks);
      };
      expect(await listTar(await read(await c.getArchive({ path: '/link/passwd' })))).to.deep.equal(['File passwd "container-passwd\\n"']);
      expect(await listTar(await read(await c.getArchive({ path: '/d' })))).to.deep.equal(['Directory d/', 'Directory d/sub/', 'File d/sub/z "z\\n"', 'File d/y "y\\n"', 'SymbolicLink d/ylink -> /d/y']);
      await c.putArchive(tarball([{ path: 'put/', type: 'Directory', mode: 0o755 }, { path: 'put/f', body: 'put\n' }]), { path: '/tmp' });
      expect(await listTar(await read(await c.getArchive({ path: '/tmp/put/f' })))).to.deep.equal(['File f "put\\n"']);
      await c.putArchive(tarball([{ path: 'f', body: 'in d\n' }]), { path: '/d/sub' });
      const status = async (p: Promise<unknown>) => p.then(() => 200, (err: { statusCode: number }) => err.statusCode);
      expect(await status(c.infoArchive({ path: '/nope' }))).to.equal(404);
      expect(await status(c.getArchive({ path: '/nope' }))).to.equal(404);
      expect(await status(c.putArchive(tarball([{ path: 'x' }]), { path: '/nope' }))).to.equal(404);
      expect(await status(c.putArchive(tarball([{ path: 'x' }]), { path: '/d/y' }))).to.equal(400);
      const escape = `racker-escape-${randomBytes(4).toString('hex')}`;
      expect(await status(c.putArchive(tarball([{ path: 'ok' }, { path: `../../../../tmp/${escape}` }]), { path: '/tmp' }))).to.equal(400);
      expect(await status(c.putArchive(tarball([{ path: 'ok' }, { path: 'hl', type: 'Link', linkpath: '/etc/shadow' }]), { path: '/tmp' }))).to.equal(400);
      expect(await status(c.putArchive(tarball([{ path: 'ok' }, { path: 'l', type: 'SymbolicLink', linkpath: '/etc' }, { path: `l/${escape}` }]), { path: '/tmp' }))).to.equal(400);
      // Through the container's own /link, into its /etc only after its own name lookup: refused (nothing below DEST is followed).
      expect(await status(c.putArchive(tarball([{ path: `link/${escape}` }]), { path: '/' }))).to.equal(400);
      expect([existsSync(`/tmp/${escape}`), existsSync(`/etc/${escape}`)]).to.deep.equal([false, false]);
      expect(await listTar(await read(await c.getArchive({ path: '/tmp/' })))).to.deep.equal(['Directory tmp/', 'Directory tmp/put/', 'File tmp/put/f "put\\n"']);
      const changes = (await c.changes()) as { Path: string; Kind: number }[];
      expect(changes.filter((x) => x.Path.startsWith('/d') || x.Path === '/link')).to.deep.equal([
        { Path: '/d', Kind: 1 },
        { Path: '/d/sub', Kind: 1 },
        { Path: '/d/sub/f', Kind: 1 },
        { Path: '/d/sub/z', Kind: 1 },
        { Path: '/d/y', Kind: 1 },
        { Path: '/d/ylink', Kind: 1 },
        { Path: '/link', Kind: 1 },
      ]);
      const exported = await listTar(await read(await c.export()));
      expect(exported).to.include.members(['File etc/passwd "container-passwd\\n"', 'SymbolicLink link -> /etc', 'File d/sub/f "in d\\n"']);
      // /tmp is the running container's tmpfs (nspawn's): in its view, not in its layer.
      expect(exported.filter((e) => e.startsWith('File tmp/'))).to.deep.equal([]);
      await c.remove({ force: true });
    });

    it('dockerode: Config.Volumes is an anonymous volume the archive reaches before the first start and after the end', async () => {
      const c = await api.createContainer({ Image: BUSYBOX, Cmd: ['sh', '-c', 'cat /vol1/in; echo out > /vol1/out'], Volumes: { '/vol1': {} } });
      const read = async (stream: NodeJS.ReadableStream) => {
        const chunks: Buffer[] = [];
        for await (const chunk of stream) chunks.push(chunk as Buffer);
        return Buffer.concat(chunks);
      };
      await c.putArchive(tarball([{ path: 'in', body: 'put before the start\n' }]), { path: '/vol1' });
      await c.start();
      expect(((await c.wait()) as { StatusCode: number }).StatusCode).to.equal(0);
      expect((await rk(['logs', c.id])).stdout).to.equal('put before the start\n');
      expect(await listTar(await read(await c.getArchive({ path: '/vol1/out' })))).to.deep.equal(['File out "out\\n"']);
      const mounts = ((await c.inspect()) as unknown as { Mounts: { Type: string; Destination: string }[] }).Mounts;
      expect(mounts.map((m) => [m.Type, m.Destination])).to.deep.equal([['volume', '/vol1']]);
      await c.remove({ force: true, v: true });
    });

    it('the docker CLI: docker cp both ways, docker diff, docker export', async function () {
      const bin = dockerClient();
      needs(this, Boolean(bin), 'the docker client is not installed (docker.io)');
      const config = dockerConfigDir();
      const dk = (args: string[]) => docker(bin!, service.host, args, { configDir: config.dir });
      try {
        expect((await dk(['run', '-d', '--name', 'dc', BUSYBOX, 'sh', '-c', `${SETUP}; sleep 300`])).code).to.equal(0);
        await fs.writeFile(`${work}/up`, 'up\n');
        expect((await dk(['cp', `${work}/up`, 'dc:/up'])).code).to.equal(0);
        expect((await dk(['cp', `${work}/up`, 'dc:/d'])).code).to.equal(0);
        expect((await dk(['exec', 'dc', 'cat', '/up', '/d/up'])).stdout).to.equal('up\nup\n');
        expect((await dk(['cp', 'dc:/d', `${work}/down`])).code).to.equal(0);
        expect((await fs.readdir(`${work}/down`)).sort()).to.deep.equal(['sub', 'up', 'y', 'ylink']);
        expect((await dk(['cp', 'dc:/link/passwd', `${work}/pw`])).code).to.equal(0);
        expect(await fs.readFile(`${work}/pw`, 'utf8')).to.equal('container-passwd\n');
        expect((await dk(['cp', '-L', 'dc:/d/ylink', `${work}/yl`])).code).to.equal(0);
        expect(await fs.readFile(`${work}/yl`, 'utf8')).to.equal('y\n');
        const missing = await dk(['cp', 'dc:/nope', work]);
        expect(missing.code).to.equal(1);
        expect(missing.stderr).to.match(/nope/);
        expect((await dk(['diff', 'dc'])).stdout.split('\n')).to.include.members(['A /d/up', 'A /up', 'A /etc/passwd']);
        const exported = await dk(['export', '-o', `${work}/dc.tar`, 'dc']);
        expect(exported.code).to.equal(0);
        expect(await listTar(await fs.readFile(`${work}/dc.tar`))).to.include('File up "up\\n"');
      } finally {
        await dk(['rm', '-f', 'dc']);
        config.remove();
      }
    });

    it('docker-py: put_archive, get_archive (with its stat), diff, export', async function () {
      needs(this, existsSync('/usr/bin/python3'), 'python3 is not installed');
      const script = String.raw`
import io, json, sys, tarfile, docker
client = docker.APIClient(base_url=sys.argv[1], version='auto')
c = client.create_container(sys.argv[2], ['sh', '-c', 'sleep 300'])
client.start(c)
data = io.BytesIO()
with tarfile.open(fileobj=data, mode='w') as t:
    info = tarfile.TarInfo('hello.txt'); body = b'hello docker-py\n'; info.size = len(body)
    t.addfile(info, io.BytesIO(body))
out = {'put': client.put_archive(c, '/', data.getvalue())}
stream, stat = client.get_archive(c, '/hello.txt')
got = io.BytesIO(b''.join(stream))
with tarfile.open(fileobj=got) as t:
    out['got'] = t.extractfile('hello.txt').read().decode()
out['stat'] = [stat['name'], stat['size'], stat['mode']]
out['diff'] = [d for d in client.diff(c) if d['Path'].startswith('/hello')]
out['export'] = 'hello.txt' in tarfile.open(fileobj=io.BytesIO(b''.join(client.export(c)))).getnames()
client.remove_container(c, force=True)
print(json.dumps(out))
`;
      const { stdout } = await promisify(execFile)('/usr/bin/python3', ['-c', script, `unix://${service.socket}`, BUSYBOX], { timeout: 60_000 });
      expect(JSON.parse(stdout)).to.deep.equal({
        put: true,
        got: 'hello docker-py\n',
        stat: ['hello.txt', 16, 0o644],
        diff: [{ Path: '/hello.txt', Kind: 1 }],
        export: true,
      });
    });
  });
});
