/**
 * Issue 15, what docker-py's own tests found in the image endpoints: an untag of one name of
 * several while a container uses the image, familiar names in rmi/prune, a bad load reported
 * in the 200 JSON stream, commit's Container/ContainerConfig/Parent, and import from the
 * request body (`POST /images/create?fromSrc=-`) with changes — plus `racker import -c -m`.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { ok, racker, tempRoot } from '../helpers/cli.js';
import { killLeftovers } from '../helpers/containers.js';
import { startService, type Service } from '../helpers/docker.js';
import { requireIntegration } from '../helpers/integration.js';
import { startRegistry, type FixtureRegistry } from '../helpers/registry.js';

interface Answer {
  status: number;
  body: string;
}

describe('image endpoints as docker-py expects them (integration, issue 15)', function () {
  this.timeout(120_000);
  let reg: FixtureRegistry;
  let root: string;
  let work: string;
  let bb: string;
  let service: Service;

  const call = (method: string, p: string, body?: Buffer | string): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const req = http.request({ socketPath: service.socket, method, path: `/v1.41${p}`, headers: body !== undefined ? { 'Content-Type': 'application/x-tar' } : {} }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      });
      req.on('error', reject);
      req.end(body);
    });
  const json = (a: Answer): unknown => JSON.parse(a.body);
  const lines = (a: Answer): Record<string, unknown>[] => a.body.split('\r\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  const inspect = async (name: string) => json(await call('GET', `/images/${encodeURIComponent(name)}/json`)) as Record<string, any>;

  /** Every container gone (not removeAllContainers: its leftover killer would end the service too). */
  const removeContainers = async () => {
    const all = (await racker(['ps', '-aq', '--no-trunc'], { root })).stdout.split('\n').filter(Boolean);
    if (all.length) ok(await racker(['rm', '-f', ...all], { root }));
  };

  before(async function () {
    requireIntegration(this);
    this.timeout(300_000);
    reg = await startRegistry();
    root = tempRoot('racker-imgapi-');
    work = tempRoot('racker-imgapi-work-');
    bb = `${reg.host}/racker/busybox:latest`;
    ok(await racker(['pull', '-q', bb], { root }));
    service = await startService(root);
  });

  afterEach(async () => {
    await removeContainers();
    const ids = (await racker(['images', '-q', '--no-trunc'], { root })).stdout.split('\n').filter(Boolean);
    const keep = (await inspect(bb)).Id as string;
    const drop = [...new Set(ids)].filter((id) => id !== keep);
    if (drop.length) await racker(['rmi', '-f', ...drop], { root });
  });

  after(async () => {
    await removeContainers();
    if (service) expect(await service.stop()).to.equal(0);
    await killLeftovers(root);
    await reg?.stop();
    for (const d of [root, work]) if (d) await fs.rm(d, { recursive: true, force: true });
  });

  it('rmi of one name of several only untags while a container uses the image; the last name is refused; names are familiar', async () => {
    ok(await racker(['tag', bb, 'local/t:one'], { root }));
    ok(await racker(['tag', bb, 'local/t:two'], { root }));
    ok(await racker(['create', '--name', 'user', 'local/t:one', 'true'], { root }));
    const two = await call('DELETE', '/images/local/t:two');
    expect([two.status, json(two)]).to.deep.equal([200, [{ Untagged: 'local/t:two' }]]);
    const one = await racker(['rmi', 'local/t:one'], { root });
    expect([one.code, one.stdout]).to.deep.equal([0, 'Untagged: local/t:one\n']);
    // Its last name: the container would be left with an unnamed image, so docker refuses.
    const last = await call('DELETE', `/images/${encodeURIComponent(bb)}`);
    expect(last.status).to.equal(409);
    expect((json(last) as { message: string }).message).to.match(/^conflict: unable to remove image .* \(must force\) - image is being used by container [0-9a-f]{12}$/);
    expect(((await inspect(bb)).RepoTags as string[])).to.deep.equal([bb]);
  });

  it('prune: familiar names, one key per entry', async () => {
    ok(await racker(['run', '--name', 'src', bb, 'sh', '-c', 'echo x > /x'], { root }));
    const id = ok(await racker(['commit', 'src', 'library/pruned:1'], { root })).stdout.trim();
    await removeContainers();
    ok(await racker(['create', '--name', 'keeper', bb, 'true'], { root }));
    const r = await call('POST', `/images/prune?filters=${encodeURIComponent(JSON.stringify({ dangling: ['false'] }))}`);
    expect(r.status).to.equal(200);
    const deleted = (json(r) as { ImagesDeleted: Record<string, string>[] }).ImagesDeleted;
    expect(deleted).to.deep.equal([{ Untagged: 'pruned:1' }, { Deleted: id }]);
  });

  it('load: a body that is no archive is a 200 whose JSON stream ends with the error', async () => {
    const r = await call('POST', '/images/load', 'abc');
    expect(r.status).to.equal(200);
    const all = lines(r);
    expect(all).to.have.length(1);
    expect(all[0]!.error).to.match(/^invalid archive: /);
    expect(all[0]!.errorDetail).to.deep.equal({ message: all[0]!.error });
  });

  it('commit: the image has Container, ContainerConfig (Image as created) and Parent', async () => {
    ok(await racker(['tag', bb, 'local/base:1'], { root }));
    const cid = ok(await racker(['run', '-d', '--name', 'committed', 'local/base:1', 'sh', '-c', 'touch /test; sleep 300'], { root })).stdout.trim();
    const c = await call('POST', `/commit?container=committed&changes=${encodeURIComponent('EXPOSE 8000')}&changes=${encodeURIComponent('CMD ["bash"]')}`);
    expect(c.status).to.equal(201);
    const img = await inspect((json(c) as { Id: string }).Id);
    expect(img.Container).to.equal(cid);
    expect([img.ContainerConfig.Image, img.ContainerConfig.Cmd]).to.deep.equal(['local/base:1', ['sh', '-c', 'touch /test; sleep 300']]);
    expect(img.Parent).to.equal((await inspect(bb)).Id);
    expect([img.Config.Cmd, Object.keys(img.Config.ExposedPorts)]).to.deep.equal([['bash'], ['8000/tcp']]);
    // Not a commit: no container, no parent.
    expect([(await inspect(bb)).Container, (await inspect(bb)).Parent, (await inspect(bb)).ContainerConfig.Image]).to.deep.equal(['', '', '']);
  });

  it('import: fromSrc=- with repo, tag, changes and message; racker import -c -m; bad input is a 400', async () => {
    const tree = path.join(work, 'tree');
    await fs.mkdir(path.join(tree, 'etc'), { recursive: true });
    await fs.writeFile(path.join(tree, 'etc', 'imported'), 'imported\n');
    const tarball = execFileSync('tar', ['-C', tree, '-c', '.']);
    const q = ['fromSrc=-', 'repo=local/imp', 'tag=1', `changes=${encodeURIComponent('USER foobar')}`, `changes=${encodeURIComponent('CMD ["echo"]')}`, 'message=from%20the%20body'].join('&');
    const r = await call('POST', `/images/create?${q}`, tarball);
    expect(r.status).to.equal(200);
    const last = lines(r).pop()!;
    expect(last.status).to.match(/^sha256:[0-9a-f]{64}$/);
    const img = await inspect('local/imp:1');
    expect([img.Id, img.RepoTags, img.Config.User, img.Config.Cmd, img.Comment]).to.deep.equal([last.status, ['local/imp:1'], 'foobar', ['echo'], 'from the body']);
    const out = await racker(['cp', `${(await racker(['create', 'local/imp:1'], { root })).stdout.trim()}:/etc/imported`, '-'], { root });
    expect(out.stdout).to.contain('imported\n');
    // Refused before the body is read.
    expect((await call('POST', '/images/create?fromSrc=/etc/passwd', tarball)).status).to.equal(400);
    expect((await call('POST', `/images/create?fromSrc=-&changes=${encodeURIComponent('VOLUME /x')}`, tarball)).status).to.equal(400);
    expect((await call('POST', '/images/create?fromSrc=-&repo=Bad', tarball)).status).to.equal(400);
    // Not a tar: the error is the stream's last line.
    const bad = await call('POST', '/images/create?fromSrc=-', 'not a tarball');
    expect([bad.status, typeof lines(bad).pop()!.error]).to.deep.equal([200, 'string']);
    // The CLI's flags.
    const file = path.join(work, 'tree.tar');
    await fs.writeFile(file, tarball);
    const cli = await racker(['import', '-q', '-c', 'ENV A=b', '-c', 'WORKDIR /etc', '-m', 'by hand', file, 'local/imp:2'], { root });
    expect(cli.code, cli.stderr).to.equal(0);
    const byHand = await inspect('local/imp:2');
    expect([byHand.Config.Env, byHand.Config.WorkingDir, byHand.Comment]).to.deep.equal([['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'A=b'], '/etc', 'by hand']);
    expect(ok(await racker(['history', '--format', '{{.Comment}}', 'local/imp:2'], { root })).stdout).to.equal('by hand\n');
  });
});
