// racker pull against a registry that misbehaves in one way per test (test/helpers/bad-registry.ts):
// each failure must be one clear line with exit code 125, leave nothing in the store, and not
// get in the way of the good pull that follows into the same RACKER_ROOT.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { privateMounts, selfSignedCertificate, startBadRegistry, testHostName, type BadRegistry } from '../helpers/bad-registry.js';
import { racker, tempRoot, type CliOptions, type CliResult } from '../helpers/cli.js';
import { requireIntegration } from '../helpers/integration.js';

const ls = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);

/** Progress lines a failed pull may print before its error. */
const PROGRESS = /^[0-9a-f]{12}: (Pulling fs layer|Already exists)$/;

interface Timed extends CliResult {
  seconds: number;
}

async function pull(root: string, ref: string, opts: CliOptions & { flags?: string[] } = {}): Promise<Timed> {
  const t0 = performance.now();
  const r = await racker(['pull', ...(opts.flags ?? []), ref], { ...opts, root, timeoutMs: 60_000 });
  return { ...r, seconds: (performance.now() - t0) / 1000 };
}

/** Exit 1 (docker's for a failed pull), and stderr is progress lines and then exactly `line`. */
function expectFailure(r: CliResult, line: string): void {
  expect(r.code, r.stderr).to.equal(1);
  const lines = r.stderr.split('\n');
  expect(lines.pop(), 'stderr ends with a newline').to.equal('');
  expect(lines.pop()).to.equal(line);
  for (const l of lines) expect(l).to.match(PROGRESS);
  expect(r.stdout).not.to.contain('Status:');
}

/** No image, no scratch, no lock, and every blob in the OCI layout is what its name says. */
async function expectNothingStored(root: string): Promise<void> {
  const images = await racker(['images', '-q'], { root });
  expect(images.code, images.stderr).to.equal(0);
  expect(images.stdout).to.equal('');
  expect(ls(path.join(root, 'lib/images'))).to.deep.equal([]);
  expect(ls(path.join(root, 'lib/tmp'))).to.deep.equal([]);
  expect(ls(path.join(root, 'run/locks'))).to.deep.equal([]);
  const oci = path.join(root, 'lib/oci');
  for (const name of ls(oci)) expect(['blobs', 'index.json', 'oci-layout']).to.include(name);
  for (const name of ls(path.join(oci, 'blobs/sha256'))) {
    const sum = createHash('sha256').update(readFileSync(path.join(oci, 'blobs/sha256', name))).digest('hex');
    expect(sum, `blob ${name}`).to.equal(name);
  }
  if (existsSync(path.join(oci, 'index.json'))) {
    const index = JSON.parse(await readFile(path.join(oci, 'index.json'), 'utf8')) as { manifests?: unknown[] };
    expect(index.manifests ?? []).to.deep.equal([]);
  }
}

describe('registry faults (integration)', function () {
  let reg: BadRegistry;
  let ref: string;
  let root: string;

  before(async function () {
    requireIntegration(this);
    reg = await startBadRegistry();
    ref = `${reg.host}/${reg.image}`;
  });

  beforeEach(() => {
    reg?.setFault({ kind: 'none' });
    root = tempRoot();
  });

  afterEach(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  after(async () => {
    await reg?.close();
  });

  /** The fault is gone: the same image now pulls into the same root, and is the only image. */
  async function expectGoodPull(opts: CliOptions & { flags?: string[]; name?: string } = {}): Promise<void> {
    reg.setFault({ kind: 'none' });
    const name = opts.name ?? ref;
    const r = await pull(root, name, opts);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain(`Digest: ${reg.digest}\n`);
    expect(r.stdout).to.contain(`Status: Downloaded newer image for ${name}\n`);
    const images = await racker(['images', '-q'], { root });
    expect(images.stdout.trim().split('\n')).to.have.length(1);
    expect(ls(path.join(root, 'lib/tmp'))).to.deep.equal([]);
    expect(ls(path.join(root, 'run/locks'))).to.deep.equal([]);
  }

  it('a blob cut off half-way (the connection closes before Content-Length bytes)', async () => {
    reg.setFault({ kind: 'truncate' });
    const r = await pull(root, ref);
    expectFailure(r, `racker: registry ${reg.host} closed the connection before a blob of ${ref} was complete`);
    expect(reg.hits).to.include(`GET /v2/racker/busybox/blobs/${reg.layer.digest}`);
    await expectNothingStored(root);
    await expectGoodPull();
  });

  it('a blob whose bytes do not match its digest', async () => {
    reg.setFault({ kind: 'corrupt' });
    const r = await pull(root, ref);
    expectFailure(r, `racker: registry ${reg.host} sent a corrupt blob for ${ref}: expected ${reg.layer.digest}, got ${reg.layer.corruptDigest}`);
    await expectNothingStored(root);
    await expectGoodPull();
  });

  it('a manifest request that is never answered: given up after RACKER_REGISTRY_TIMEOUT, not retried', async () => {
    reg.setFault({ kind: 'hang-manifest' });
    reg.hits.length = 0;
    const r = await pull(root, ref, { env: { RACKER_REGISTRY_TIMEOUT: '2' } });
    expectFailure(r, `racker: registry ${reg.host} did not answer within 2 s (set RACKER_REGISTRY_TIMEOUT=SECONDS to wait longer)`);
    expect(r.seconds).to.be.within(2, 12);
    expect(reg.hits).to.deep.equal(['HEAD /v2/racker/busybox/manifests/latest']);
    await expectNothingStored(root);
    await expectGoodPull();
  });

  it('a blob download that stalls: given up after RACKER_PULL_TIMEOUT', async () => {
    reg.setFault({ kind: 'stall' });
    const r = await pull(root, ref, { env: { RACKER_PULL_TIMEOUT: '3' } });
    expectFailure(r, `racker: registry ${reg.host} did not finish sending ${ref} within 3 s (set RACKER_PULL_TIMEOUT=SECONDS to allow longer)`);
    expect(r.seconds).to.be.within(3, 15);
    await expectNothingStored(root);
    await expectGoodPull();
  });

  it('a timeout that is not a number of seconds is refused before anything is fetched', async () => {
    reg.hits.length = 0;
    const r = await pull(root, ref, { env: { RACKER_PULL_TIMEOUT: '10m' } });
    expectFailure(r, 'racker: RACKER_PULL_TIMEOUT must be a number of seconds greater than 0 (got "10m")');
    expect(reg.hits).to.deep.equal([]);
  });

  it('500 twice, then success: retried and pulled', async () => {
    reg.setFault({ kind: 'status', status: 500, on: 'manifest', times: 2 });
    reg.hits.length = 0;
    const r = await pull(root, ref);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain(`Status: Downloaded newer image for ${ref}\n`);
    expect(reg.hits.filter((h) => h === 'HEAD /v2/racker/busybox/manifests/latest')).to.have.length(3);
    expect(ls(path.join(root, 'lib/images'))).to.have.length(1);
  });

  it('503 on every attempt: a bounded number of retries, then the status', async () => {
    reg.setFault({ kind: 'status', status: 503, on: 'manifest' });
    reg.hits.length = 0;
    const r = await pull(root, ref);
    expectFailure(r, `racker: registry ${reg.host} answered 503 for ${ref}`);
    expect(reg.hits).to.deep.equal(Array(4).fill('HEAD /v2/racker/busybox/manifests/latest'));
    await expectNothingStored(root);
    await expectGoodPull();
  });

  it('500 for a blob (after the manifest was fine)', async () => {
    reg.setFault({ kind: 'status', status: 500, on: 'blob' });
    const r = await pull(root, ref);
    expectFailure(r, `racker: registry ${reg.host} answered 500 while sending ${ref}`);
    await expectNothingStored(root);
    await expectGoodPull();
  });

  it('401: unauthorized, with the login command', async () => {
    reg.setFault({ kind: 'status', status: 401, on: 'manifest' });
    const r = await pull(root, ref);
    expectFailure(r, `racker: unauthorized: access to ${ref} was denied (run: racker login ${reg.host})`);
    await expectNothingStored(root);
    await expectGoodPull();
  });

  it('404: an unknown tag', async () => {
    const r = await pull(root, `${reg.host}/racker/busybox:nope`);
    expectFailure(r, `racker: manifest for ${reg.host}/racker/busybox:nope not found: manifest unknown`);
    await expectNothingStored(root);
    await expectGoodPull();
  });

  it('connection refused', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const { port } = closed.address() as { port: number };
    await new Promise((r) => closed.close(r));
    const r = await pull(root, `127.0.0.1:${port}/racker/busybox:latest`);
    expectFailure(r, `racker: cannot reach registry 127.0.0.1:${port}: ECONNREFUSED`);
    expect(r.seconds).to.be.below(15);
    await expectNothingStored(root);
    await expectGoodPull();
  });

  describe('TLS on a non-loopback name', () => {
    let tlsReg: BadRegistry;
    let name: string;
    let ns: string;
    let hosts: string;
    let cert: string;

    before(async function () {
      name = testHostName();
      const pair = await selfSignedCertificate(name);
      cert = pair.cert;
      tlsReg = await startBadRegistry({ tls: pair });
      ns = await mkdtemp(path.join(tmpdir(), 'racker-tls-'));
      hosts = path.join(ns, 'hosts');
      await writeFile(hosts, `${await readFile('/etc/hosts', 'utf8')}\n127.0.0.1 ${name}\n`);
    });

    after(async () => {
      await tlsReg?.close();
      if (ns) await rm(ns, { recursive: true, force: true });
    });

    it('a self-signed certificate is refused, with what to do', async () => {
      const host = `${name}:${tlsReg.port}`;
      const r = await pull(root, `${host}/${tlsReg.image}`, { wrapper: privateMounts([[hosts, '/etc/hosts']]) });
      expectFailure(
        r,
        `racker: TLS verification failed for ${host}: self-signed certificate ` +
          `(use --tls-verify=false if you trust this registry, or put its CA certificate in /etc/containers/certs.d/${host}/ca.crt)`,
      );
      expect(tlsReg.hits).to.deep.equal([]); // refused during the handshake: not one request
      await expectNothingStored(root);
    });

    it('--tls-verify=false accepts it (both the digest request and skopeo)', async () => {
      const host = `${name}:${tlsReg.port}`;
      tlsReg.hits.length = 0;
      const r = await pull(root, `${host}/${tlsReg.image}`, { wrapper: privateMounts([[hosts, '/etc/hosts']]), flags: ['--tls-verify=false'] });
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.contain(`Status: Downloaded newer image for ${host}/${tlsReg.image}\n`);
      expect(tlsReg.hits).to.include(`GET /v2/racker/busybox/blobs/${tlsReg.layer.digest}`);
    });

    it('its CA in /etc/containers/certs.d/HOST:PORT/ca.crt is trusted, as the hint says', async () => {
      const host = `${name}:${tlsReg.port}`;
      // A private /etc/containers (a copy plus the CA), mounted only for this racker.
      const etc = path.join(ns, 'containers');
      await promisify(execFile)('cp', ['-a', '/etc/containers', etc]);
      await mkdir(path.join(etc, 'certs.d', host), { recursive: true });
      await writeFile(path.join(etc, 'certs.d', host, 'ca.crt'), cert);
      tlsReg.hits.length = 0;
      const r = await pull(root, `${host}/${tlsReg.image}`, {
        wrapper: privateMounts([
          [hosts, '/etc/hosts'],
          [etc, '/etc/containers'],
        ]),
      });
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.contain(`Status: Downloaded newer image for ${host}/${tlsReg.image}\n`);
      expect(tlsReg.hits[0]).to.equal('HEAD /v2/racker/busybox/manifests/latest');
      expect(tlsReg.hits).to.include(`GET /v2/racker/busybox/blobs/${tlsReg.layer.digest}`);
    });
  });
});
