/**
 * Issue 15: save/load, history, image prune and commit — through racker's CLI and, for the
 * archive formats, the docker CLI against `racker system service` (docker save | docker load).
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, promises as fs, readdirSync } from 'node:fs';
import path from 'node:path';
import { ok, racker, tempRoot } from '../helpers/cli.js';
import { removeAllContainers } from '../helpers/containers.js';
import { docker, dockerBinary, dockerClient, dockerConfigDir, startService, type Service } from '../helpers/docker.js';
import { needs, requireIntegration } from '../helpers/integration.js';
import { startRegistry, type FixtureRegistry } from '../helpers/registry.js';

describe('image save/load/history/prune/commit (integration)', function () {
  this.timeout(120_000);
  let reg: FixtureRegistry;
  let root: string;
  let work: string;
  let bb: string;

  before(async function () {
    requireIntegration(this);
    this.timeout(600_000);
    reg = await startRegistry();
    root = tempRoot();
    work = tempRoot('racker-archive-');
    bb = `${reg.host}/racker/busybox:latest`;
  });

  afterEach(async () => {
    await removeAllContainers(root);
    const ids = (await racker(['images', '-q', '--no-trunc'], { root })).stdout.split('\n').filter(Boolean);
    if (ids.length) await racker(['rmi', '-f', ...new Set(ids)], { root });
  });

  after(async () => {
    await reg?.stop();
    for (const d of [root, work]) if (d) await fs.rm(d, { recursive: true, force: true });
  });

  const imagesTable = async () => ok(await racker(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}'], { root })).stdout.split('\n').filter(Boolean).sort();

  it('save → rmi → load keeps the image ID and both names, and the loaded image runs', async () => {
    ok(await racker(['pull', '-q', bb], { root }));
    ok(await racker(['tag', bb, 'local/bb:two'], { root }));
    const before = await imagesTable();
    const file = path.join(work, 'bb.tar');
    ok(await racker(['save', '-o', file, bb, 'local/bb:two'], { root }));
    const names = execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).split('\n').filter((n) => !n.startsWith('blobs/'));
    expect(names).to.deep.equal(['index.json', 'manifest.json', 'oci-layout', 'repositories', '']);
    const manifest = JSON.parse(execFileSync('tar', ['-xOf', file, 'manifest.json'], { encoding: 'utf8' })) as { RepoTags: string[] }[];
    expect(manifest.map((m) => m.RepoTags)).to.deep.equal([[bb, 'local/bb:two']]);
    ok(await racker(['rmi', bb, 'local/bb:two'], { root }));
    expect(await imagesTable()).to.deep.equal([]);
    const loaded = await racker(['image', 'load', '-i', file], { root });
    expect({ code: loaded.code, stdout: loaded.stdout }).to.deep.equal({ code: 0, stdout: `Loaded image: ${bb}\nLoaded image: local/bb:two\n` });
    expect(await imagesTable()).to.deep.equal(before);
    const run = await racker(['run', '--rm', 'local/bb:two', 'echo', 'from the archive'], { root });
    expect({ code: run.code, stdout: run.stdout }).to.deep.equal({ code: 0, stdout: 'from the archive\n' });
  });

  it('refuses a hostile or truncated archive with one line and stores nothing', async () => {
    const good = path.join(work, 'good.tar');
    ok(await racker(['pull', '-q', bb], { root }));
    ok(await racker(['save', '-o', good, bb], { root }));
    ok(await racker(['rmi', bb], { root }));
    const evil = path.join(work, 'evil');
    await fs.mkdir(evil, { recursive: true });
    await fs.writeFile(path.join(work, 'escape'), 'x');
    execFileSync('tar', ['--absolute-names', '-cf', path.join(work, 'dotdot.tar'), '-C', evil, '../escape']);
    await fs.symlink('/etc/passwd', path.join(evil, 'manifest.json')).catch(() => undefined);
    execFileSync('tar', ['-cf', path.join(work, 'symlink.tar'), '-C', evil, 'manifest.json']);
    await fs.writeFile(path.join(work, 'truncated.tar'), (await fs.readFile(good)).subarray(0, 4096));
    const cases: [string, string][] = [
      ['dotdot.tar', 'racker: invalid archive: entry "../escape" points outside the archive\n'],
      ['symlink.tar', 'racker: invalid archive: link "manifest.json" points outside the archive\n'],
      ['truncated.tar', 'racker: invalid archive: Truncated input'],
    ];
    for (const [name, message] of cases) {
      const r = await racker(['load'], { root, input: await fs.readFile(path.join(work, name)) });
      expect(r.code, name).to.equal(1);
      expect(r.stderr.startsWith(message), r.stderr).to.equal(true);
      expect(r.stderr.split('\n').length, r.stderr).to.equal(2);
    }
    expect(await imagesTable()).to.deep.equal([]);
    expect(readdirSync(path.join(root, 'lib/images')).filter((n) => /^[a-f0-9]{64}$/.test(n))).to.deep.equal([]);
    expect(existsSync(path.join(root, 'lib/tmp')) ? readdirSync(path.join(root, 'lib/tmp')).filter((n) => !n.startsWith('trash')) : []).to.deep.equal([]);
  });

  it('commit: the new image has the added files, not the deleted ones, an opaque directory, and the -c changes', async () => {
    ok(await racker(['pull', '-q', bb], { root }));
    ok(await racker(['run', '--name', 'changer', bb, 'sh', '-c', 'echo added > /added; rm /bin/cat; mkdir -p /opq/sub; rm -rf /usr; mkdir /usr; echo only > /usr/only'], { root }));
    const id = ok(await racker(['commit', '-m', 'my change', '-a', 'Tester', '-c', 'ENV FOO=bar', '-c', 'CMD ["sh","-c","echo $FOO"]', 'changer', 'local/committed:1'], { root })).stdout;
    expect(id).to.match(/^sha256:[a-f0-9]{64}\n$/);
    const look = await racker(['run', '--rm', 'local/committed:1', 'sh', '-c', 'cat /added; ls /bin/cat 2>&1; ls /usr; echo $FOO'], { root });
    expect({ code: look.code, stdout: look.stdout }).to.deep.equal({ code: 0, stdout: 'added\nls: /bin/cat: No such file or directory\nonly\nbar\n' });
    const cmd = await racker(['run', '--rm', 'local/committed:1'], { root });
    expect(cmd.stdout).to.equal('bar\n');
    const history = ok(await racker(['history', '--format', '{{.ID}}|{{.CreatedBy}}|{{.Comment}}', 'local/committed:1'], { root })).stdout.split('\n');
    expect(history[0]).to.equal(`${id.trim().slice(7, 19)}|sh -c echo added > /added; rm /bin/cat; mkdi…|my change`);
    expect(history.slice(1).filter(Boolean).every((l) => l.startsWith('<missing>|'))).to.equal(true);
    expect(ok(await racker(['image', 'history', '-q', 'local/committed:1'], { root })).stdout.split('\n')[0]).to.equal(id.trim().slice(7, 19));
  });

  it('commit of a container created and never started: the image as it was, with the container\'s config', async () => {
    ok(await racker(['pull', '-q', bb], { root }));
    ok(await racker(['create', '--name', 'fresh', '-e', 'MADE=created', bb, 'sh', '-c', 'echo $MADE; ls /added 2>&1'], { root }));
    const id = ok(await racker(['commit', 'fresh', 'local/fresh:1'], { root })).stdout;
    expect(id).to.match(/^sha256:[a-f0-9]{64}\n$/);
    const look = await racker(['run', '--rm', 'local/fresh:1'], { root });
    expect({ code: look.code, stdout: look.stdout }).to.deep.equal({ code: 1, stdout: 'created\nls: /added: No such file or directory\n' });
    ok(await racker(['rm', 'fresh'], { root }));
    ok(await racker(['rmi', 'local/fresh:1'], { root }));
  });

  it('image prune removes dangling images only, and with -a every image no container uses', async () => {
    ok(await racker(['pull', '-q', bb], { root }));
    ok(await racker(['run', '--name', 'keeper', bb, 'true'], { root }));
    const dangling = ok(await racker(['commit', 'keeper'], { root })).stdout.trim();
    ok(await racker(['run', '--name', 'other', bb, 'sh', '-c', 'echo x > /x'], { root }));
    ok(await racker(['commit', 'other', 'local/unused:1'], { root }));
    const p1 = ok(await racker(['image', 'prune', '-f'], { root }));
    expect(p1.stdout).to.match(new RegExp(`^Deleted Images:\\ndeleted: ${dangling}\\n\\nTotal reclaimed space: \\S+\\n$`));
    const p2 = ok(await racker(['image', 'prune', '-a', '-f'], { root }));
    expect(p2.stdout).to.match(/^Deleted Images:\nuntagged: local\/unused:1\ndeleted: sha256:[a-f0-9]{64}\n\nTotal reclaimed space: \S+\n$/);
    // The busybox image stays: containers use it.
    expect(await imagesTable()).to.have.length(1);
  });

  describe('through the Engine API with the docker CLI', function () {
    let service: Service;
    let bin: string;
    let config: ReturnType<typeof dockerConfigDir>;

    before(async function () {
      const found = dockerClient();
      needs(this, Boolean(found), 'the docker client is not installed (docker.io)');
      bin = found!;
      config = dockerConfigDir();
      service = await startService(root);
    });

    after(async () => {
      await service?.stop();
      config?.remove();
    });

    it('docker save | docker load round trip, history and commit', async () => {
      const d = (args: string[]) => docker(bin, service.host, args, { configDir: config.dir });
      expect((await d(['pull', '-q', bb])).code).to.equal(0);
      expect((await d(['tag', bb, 'viaapi:1'])).code).to.equal(0);
      const saved = await dockerBinary(bin, service.host, ['save', 'viaapi:1'], { input: Buffer.alloc(0), configDir: config.dir });
      expect(saved.code, saved.stderr).to.equal(0);
      expect((await d(['rmi', 'viaapi:1'])).code).to.equal(0);
      const loaded = await dockerBinary(bin, service.host, ['load'], { input: saved.stdout, configDir: config.dir });
      expect({ code: loaded.code, stdout: loaded.stdout.toString() }).to.deep.equal({ code: 0, stdout: 'Loaded image: viaapi:1\n' });
      const hist = await d(['history', '--format', '{{.CreatedBy}}', 'viaapi:1']);
      expect(hist.stdout).to.equal('umoci config\numoci repack\n');
      expect((await d(['run', '--name', 'apic', 'viaapi:1', 'sh', '-c', 'echo api > /api'])).code).to.equal(0);
      const committed = await d(['commit', '-c', 'CMD ["cat","/api"]', 'apic', 'viaapi:committed']);
      expect(committed.code, committed.stderr).to.equal(0);
      const run = await d(['run', '--rm', 'viaapi:committed']);
      expect({ code: run.code, stdout: run.stdout }).to.deep.equal({ code: 0, stdout: 'api\n' });
      const bad = await dockerBinary(bin, service.host, ['load'], { input: Buffer.from('not a tar archive at all'.repeat(40)), configDir: config.dir });
      expect(bad.code).to.equal(1);
      expect(bad.stderr).to.match(/invalid archive/);
    });
  });
});
