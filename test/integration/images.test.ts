import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, promises as fs, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { type CliResult, ok, racker, rackerBin, seen, tempRoot } from '../helpers/cli.js';
import { requireIntegration } from '../helpers/integration.js';
import { startRegistry, type FixtureRegistry } from '../helpers/registry.js';

function imageDirs(root: string): string[] {
  const dir = path.join(root, 'lib/images');
  return existsSync(dir) ? readdirSync(dir) : [];
}

function leftovers(root: string): string[] {
  const found: string[] = [];
  const locks = path.join(root, 'run/locks');
  if (existsSync(locks)) found.push(...readdirSync(locks).map((f) => `lock ${f}`));
  const tmp = path.join(root, 'lib/tmp');
  if (existsSync(tmp)) found.push(...readdirSync(tmp).map((f) => `tmp ${f}`));
  return found;
}

describe('images (integration: fixture registry on 127.0.0.1)', function () {
  let reg: FixtureRegistry;
  let root: string;

  before(async function () {
    requireIntegration(this);
    this.timeout(600_000);
    reg = await startRegistry();
    root = tempRoot();
  });

  after(async () => {
    await reg?.stop();
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  it('pulls a multi-layer image with docker-shaped output', async () => {
    const ref = `${reg.host}/racker/multilayer:latest`;
    const r = ok(await racker(['pull', ref], { root }));
    // All on stdout, as docker's: the layer lines between the first line and the digest.
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).to.equal('latest: Pulling from racker/multilayer');
    const layers = lines.slice(1, -3);
    expect(layers.length).to.be.greaterThan(0);
    for (const l of layers) expect(l).to.match(/^[a-f0-9]{12}: (Pulling fs layer|Pull complete|Already exists|Download complete|Extracting|Downloading)/);
    expect(lines.slice(-3, -2)[0]).to.match(/^Digest: sha256:[a-f0-9]{64}$/);
    expect(lines.slice(-2)).to.deep.equal([`Status: Downloaded newer image for ${ref}`, ref]);
    expect(r.stderr).to.equal('');
  });

  it('honours whiteouts and opaque directories, and keeps the image config', async () => {
    const [id] = imageDirs(root);
    const rootfs = path.join(root, 'lib/images', id!, 'rootfs');
    expect(existsSync(path.join(rootfs, 'etc/racker-fixture-deleted'))).to.equal(false);
    expect(readdirSync(path.join(rootfs, 'opt/fixture/old')).sort()).to.deep.equal(['c.txt']);
    expect(readFileSync(path.join(rootfs, 'opt/fixture/new.txt'), 'utf8')).to.equal('layer3\n');
    expect(readdirSync(rootfs).some((n) => n.startsWith('.wh.'))).to.equal(false);
    const meta = JSON.parse(readFileSync(path.join(root, 'lib/images', id!, 'image.json'), 'utf8'));
    expect(meta.id).to.equal(`sha256:${id}`);
    expect(meta.config.Env).to.include('FIXTURE=multilayer');
    expect(meta.config.WorkingDir).to.equal('/opt/fixture');
    expect(meta.config.Cmd).to.deep.equal(['/bin/cat', '/opt/fixture/new.txt']);
    expect(meta.config.Labels).to.deep.equal({ 'org.racker.fixture': 'multilayer' });
    expect(meta.systemd).to.equal(true);
  });

  it('a repeated pull of an unchanged image downloads and unpacks nothing', async () => {
    const ref = `${reg.host}/racker/multilayer:latest`;
    const [id] = imageDirs(root);
    const inode = statSync(path.join(root, 'lib/images', id!, 'rootfs')).ino;
    const r = ok(await racker(['--debug', 'pull', ref], { root }));
    expect(r.stdout.trim().split('\n').slice(2)).to.deep.equal([`Status: Image is up to date for ${ref}`, ref]);
    expect(r.stderr).not.to.contain('skopeo copy');
    expect(r.stderr).not.to.contain('umoci unpack');
    expect(statSync(path.join(root, 'lib/images', id!, 'rootfs')).ino).to.equal(inode);
  });

  it('pull -q prints only the reference', async () => {
    const ref = `${reg.host}/racker/multilayer:latest`;
    const r = ok(await racker(['pull', '-q', ref], { root }));
    expect(r.stdout).to.equal(`${ref}\n`);
  });

  it('two concurrent pulls of one image: one downloads, the other reuses it', async () => {
    const ref = `${reg.host}/racker/busybox:latest`;
    const before = imageDirs(root).length;
    const [a, b] = await Promise.all([racker(['pull', ref], { root }), racker(['pull', ref], { root })]);
    ok(a);
    ok(b);
    const statuses = [a, b].map((r) => r.stdout.split('\n').find((l) => l.startsWith('Status:'))).sort();
    expect(statuses).to.deep.equal([`Status: Downloaded newer image for ${ref}`, `Status: Image is up to date for ${ref}`]);
    expect(imageDirs(root).length).to.equal(before + 1);
    expect(leftovers(root)).to.deep.equal([]);
  });

  it('on a terminal, the download and the unpack draw progress bars between the layer lines', async () => {
    const own = tempRoot();
    try {
      const ref = `${reg.host}/racker/busybox:latest`;
      // script(1) gives racker a terminal; stdout and stderr both arrive through it.
      const child = spawn('script', ['--quiet', '--return', '--command', `${process.execPath} ${rackerBin} pull ${ref}`, '/dev/null'], {
        env: { ...process.env, RACKER_ROOT: own, RACKER_DEBUG: '' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let shown = '';
      child.stdout.on('data', (b: Buffer) => (shown += b.toString()));
      expect(await new Promise((r) => child.on('close', r)), shown).to.equal(0);
      const text = JSON.stringify(shown);
      const bar = (what: string) => `\\r\\x1b\\[K${what} \\[=+\\]  ([\\d.]+[kM]B)\\/\\1`;
      // Full bars last, each cleared before the next permanent line.
      expect(shown, text).to.match(new RegExp(`^latest: Pulling from racker/busybox\\r\\n`));
      expect(shown, text).to.match(new RegExp(`\\r\\x1b\\[K[a-f0-9]{12}: Pulling fs layer\\r\\n`));
      expect(shown, text).to.match(new RegExp(`${bar('Downloading')}\\r\\x1b\\[K[a-f0-9]{12}: Pull complete\\r\\n`));
      expect(shown, text).to.match(new RegExp(`${bar('Extracting')}\\r\\x1b\\[KDigest: sha256:[a-f0-9]{64}\\r\\nStatus: Downloaded newer image for ${ref.replace(/\./g, '\\.')}\\r\\n`));
    } finally {
      await fs.rm(own, { recursive: true, force: true });
    }
  });

  it('images lists REPOSITORY TAG IMAGE ID CREATED SIZE', async () => {
    const r = ok(await racker(['images'], { root }));
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).to.match(/^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
    const names = lines.slice(1).map((l) => l.split(/\s+/).slice(0, 2).join(' ')).sort();
    expect(names).to.deep.equal([`${reg.host}/racker/busybox latest`, `${reg.host}/racker/multilayer latest`]);
    for (const line of lines.slice(1)) expect(line).to.match(/\s[a-f0-9]{12}\s+.+ ago\s+[\d.]+[kMG]?B$/);
  });

  it('images -q, --no-trunc and --format json', async () => {
    const ids = imageDirs(root).sort();
    const q = ok(await racker(['images', '-q'], { root }));
    expect(q.stdout.trim().split('\n').sort()).to.deep.equal(ids.map((i) => i.slice(0, 12)));
    const full = ok(await racker(['images', '-q', '--no-trunc'], { root }));
    expect(full.stdout.trim().split('\n').sort()).to.deep.equal(ids.map((i) => `sha256:${i}`));
    const json = ok(await racker(['images', '--format', 'json'], { root }));
    const rows = json.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((r) => r.Repository).sort()).to.deep.equal([`${reg.host}/racker/busybox`, `${reg.host}/racker/multilayer`]);
    expect(rows.find((r) => r.Repository.endsWith('busybox')).Systemd).to.equal(false);
  });

  it('rmi untags and deletes; a second rmi says No such image', async () => {
    const ref = `${reg.host}/racker/busybox:latest`;
    const meta = imageDirs(root).map((d) => JSON.parse(readFileSync(path.join(root, 'lib/images', d, 'image.json'), 'utf8')));
    const busybox = meta.find((m) => m.systemd === false);
    const r = ok(await racker(['rmi', ref], { root }));
    expect(r.stdout).to.equal(`Untagged: ${ref}\nDeleted: ${busybox.id}\n`);
    expect(imageDirs(root)).not.to.include(busybox.id.slice(7));
    const again = await racker(['rmi', ref], { root });
    expect(again.code).to.equal(1);
    expect(again.stderr).to.equal(`racker: No such image: ${ref}\n`);
  });

  it('rmi refuses an image a container uses unless forced', async () => {
    const ref = `${reg.host}/racker/multilayer:latest`;
    const [id] = imageDirs(root);
    const cdir = path.join(root, 'lib/containers', 'c'.repeat(64));
    await fs.mkdir(cdir, { recursive: true });
    await fs.writeFile(path.join(cdir, 'container.json'), JSON.stringify({ image: { id: `sha256:${id}` } }));
    const refused = await racker(['rmi', ref], { root });
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.equal(
      `racker: conflict: unable to remove image ${ref} (must force) - image is being used by container cccccccccccc\n`,
    );
    const forced = ok(await racker(['rmi', '-f', ref], { root }));
    expect(forced.stdout).to.equal(`Untagged: ${ref}\n`);
    expect(imageDirs(root)).to.include(id); // the container still needs the data
    await fs.rm(path.join(root, 'lib/containers'), { recursive: true });
  });

  it('bad input: one line, exit 1 (docker: 125 only for run/create and flags), no stack trace', async () => {
    const cases: [string[], string][] = [
      [['pull', 'Debian'], 'racker: invalid reference format: repository name (library/Debian) must be lowercase\n'],
      [['pull', 'a//b'], 'racker: invalid reference format\n'],
      [['pull', `${reg.host}/racker/busybox:nope`], `racker: manifest for ${reg.host}/racker/busybox:nope not found: manifest unknown\n`],
      [['rmi', 'nothing-here'], 'racker: No such image: nothing-here\n'],
    ];
    for (const [args, stderr] of cases) {
      const r = await racker(args, { root });
      expect(r.code, args.join(' ')).to.equal(1);
      expect(r.stderr, args.join(' ')).to.equal(stderr);
      expect(r.stdout.includes('Status:'), args.join(' ')).to.equal(false);
    }
  });

  it('an unreachable registry is retried, then reported in one line', async () => {
    const r = await racker(['pull', '127.0.0.1:9/x:y'], { root });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal('racker: cannot reach registry 127.0.0.1:9: ECONNREFUSED\n');
  });

  it('a normal user outside the group racker is told how to get in, in one line (the service is the way in: members.test.ts)', async () => {
    const r = await racker(['images'], { root, wrapper: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] });
    expect(seen(r)).to.deep.equal({
      code: 125,
      stdout: '',
      stderr: `racker: permission denied on ${root}/run/docker.sock: nobody is not in the group allowed to use the racker service (sudo usermod -aG racker nobody, then log in again; or run racker with sudo)\n`,
    });
  });

  it('leaves no lock, scratch directory or skopeo process behind', () => {
    expect(leftovers(root)).to.deep.equal([]);
    const procs = execFileSync('ps', ['-eo', 'args']).toString();
    expect(procs).not.to.contain(`${root}/lib/oci`);
  });
});
