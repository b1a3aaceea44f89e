import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { rootCertificates } from 'node:tls';
import { CommandError, NotFoundError, RegistryError, RegistryUnreachableError, UsageError } from '../../lib/errors.js';
import { checkLogin, hostArchitecture, parseChallenge, registryCAs, remoteLayers, remoteManifestDigest, transportError } from '../../lib/registry/client.js';
import { HttpTimeoutError, httpRequest } from '../../lib/registry/http.js';
import { pullTimeouts, skopeoFailure } from '../../lib/image/pull.js';
import { parseReference } from '../../lib/registry/reference.js';
import { classifySkopeoError, copyToLayoutArgv, parseSkopeoError } from '../../lib/tools/skopeo.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

/** A tiny registry on 127.0.0.1 whose behaviour each test scripts. */
async function fakeRegistry(handler: http.RequestListener): Promise<{ host: string; close: () => Promise<void>; hits: string[] }> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`.trim());
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { host: `127.0.0.1:${port}`, hits, close: () => new Promise((r) => server.close(() => r())) };
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('registry client', () => {
  it('parses Bearer challenges with commas inside quotes', () => {
    expect(parseChallenge('Bearer realm="https://auth.example/token",service="reg",scope="repository:a/b:pull,push"')).to.deep.equal({
      scheme: 'bearer',
      params: { realm: 'https://auth.example/token', service: 'reg', scope: 'repository:a/b:pull,push' },
    });
    expect(parseChallenge('Basic realm="Registry Realm"').scheme).to.equal('basic');
  });

  it('returns the Docker-Content-Digest of a HEAD request over plain HTTP for loopback', async () => {
    const reg = await fakeRegistry((req, res) => {
      res.writeHead(200, { 'docker-content-digest': DIGEST }).end();
    });
    try {
      const digest = await remoteManifestDigest(parseReference(`${reg.host}/racker/busybox:latest`), { tlsVerify: false });
      expect(digest).to.equal(DIGEST);
      expect(reg.hits).to.deep.equal(['HEAD /v2/racker/busybox/manifests/latest']);
    } finally {
      await reg.close();
    }
  });

  it('remoteLayers follows an index to this platform\'s manifest and sums config and layers', async () => {
    const arm = `sha256:${'01'.repeat(32)}`;
    const mine = `sha256:${'02'.repeat(32)}`;
    const reg = await fakeRegistry((req, res) => {
      const body =
        req.url === '/v2/racker/multi/manifests/latest'
          ? {
              manifests: [
                { digest: arm, platform: { os: 'linux', architecture: hostArchitecture() === 'arm64' ? 'amd64' : 'arm64' } },
                { digest: mine, platform: { os: 'linux', architecture: hostArchitecture() } },
              ],
            }
          : req.url === `/v2/racker/multi/manifests/${mine}`
            ? { config: { size: 7 }, layers: [{ digest: DIGEST, size: 1000 }, { digest: arm, size: 24 }] }
            : undefined;
      if (!body) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    try {
      const layers = await remoteLayers(parseReference(`${reg.host}/racker/multi:latest`), { tlsVerify: false });
      expect(layers).to.deep.equal({ layers: [{ digest: DIGEST, size: 1000 }, { digest: arm, size: 24 }], total: 1031 });
      expect(reg.hits).to.deep.equal(['GET /v2/racker/multi/manifests/latest', `GET /v2/racker/multi/manifests/${mine}`]);
    } finally {
      await reg.close();
    }
  });

  it('retries 500 and then succeeds', async () => {
    let n = 0;
    const reg = await fakeRegistry((req, res) => {
      if (n++ < 2) res.writeHead(500).end();
      else res.writeHead(200, { 'docker-content-digest': DIGEST }).end();
    });
    try {
      expect(await remoteManifestDigest(parseReference(`${reg.host}/a:b`), { tlsVerify: false })).to.equal(DIGEST);
      expect(reg.hits.length).to.equal(3);
    } finally {
      await reg.close();
    }
  });

  it('gives up after bounded retries of 500', async () => {
    const reg = await fakeRegistry((req, res) => res.writeHead(503).end());
    try {
      const err = await rejection(remoteManifestDigest(parseReference(`${reg.host}/a:b`), { tlsVerify: false, retries: 1 }));
      expect(err).to.be.instanceOf(RegistryError);
      expect(err.message).to.equal(`registry ${reg.host} answered 503 for ${reg.host}/a:b`);
      expect(reg.hits.length).to.equal(2);
    } finally {
      await reg.close();
    }
  });

  it('maps 404 to NotFoundError without retrying', async () => {
    const reg = await fakeRegistry((req, res) => res.writeHead(404).end());
    try {
      const err = await rejection(remoteManifestDigest(parseReference(`${reg.host}/a:nope`), { tlsVerify: false }));
      expect(err).to.be.instanceOf(NotFoundError);
      expect(err.message).to.equal(`manifest for ${reg.host}/a:nope not found: manifest unknown`);
      expect(reg.hits.length).to.equal(1);
    } finally {
      await reg.close();
    }
  });

  it('follows a Bearer challenge: token with Basic credentials, then the manifest', async () => {
    let base = '';
    const reg = await fakeRegistry((req, res) => {
      if (req.url?.startsWith('/token')) {
        const ok = req.headers.authorization === `Basic ${Buffer.from('u:p:w').toString('base64')}`;
        res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(ok ? JSON.stringify({ token: 'T0K' }) : '');
      } else if (req.headers.authorization === 'Bearer T0K') {
        res.writeHead(200, { 'docker-content-digest': DIGEST }).end();
      } else {
        res.writeHead(401, { 'www-authenticate': `Bearer realm="${base}/token",service="fake",scope="repository:a:pull"` }).end();
      }
    });
    base = `http://${reg.host}`;
    try {
      const digest = await remoteManifestDigest(parseReference(`${reg.host}/a:b`), {
        tlsVerify: false,
        credentials: { username: 'u', password: 'p:w' },
      });
      expect(digest).to.equal(DIGEST);
      expect(reg.hits[1]).to.match(/^GET \/token\?service=fake&scope=repository%3Aa%3Apull Basic /);
    } finally {
      await reg.close();
    }
  });

  it('reports 401 as unauthorized with a login hint', async () => {
    const reg = await fakeRegistry((req, res) => res.writeHead(401, { 'www-authenticate': 'Basic realm="x"' }).end());
    try {
      const err = await rejection(remoteManifestDigest(parseReference(`${reg.host}/a:b`), { tlsVerify: false }));
      expect(err).to.be.instanceOf(RegistryError);
      expect(err.message).to.equal(`unauthorized: access to ${reg.host}/a:b was denied`);
      expect((err as RegistryError).hint).to.equal(`run: racker login ${reg.host}`);
    } finally {
      await reg.close();
    }
  });

  it('reports a refused connection as unreachable after retrying', async () => {
    const reg = await fakeRegistry(() => {});
    const host = reg.host;
    await reg.close();
    const err = await rejection(remoteManifestDigest(parseReference(`${host}/a:b`), { tlsVerify: false, retries: 1 }));
    expect(err).to.be.instanceOf(RegistryUnreachableError);
    expect(err.message).to.equal(`cannot reach registry ${host}: ECONNREFUSED`);
  });

  it('checkLogin accepts good Basic credentials and refuses bad ones', async () => {
    const good = `Basic ${Buffer.from('alice:secret').toString('base64')}`;
    const reg = await fakeRegistry((req, res) => res.writeHead(req.headers.authorization === good ? 200 : 401).end());
    try {
      await checkLogin(reg.host, { tlsVerify: false, credentials: { username: 'alice', password: 'secret' } });
      const err = await rejection(checkLogin(reg.host, { tlsVerify: false, credentials: { username: 'alice', password: 'wrong' } }));
      expect(err.message).to.equal(`login to ${reg.host} failed: unauthorized: incorrect username or password`);
      expect(err.message).not.to.contain('wrong');
    } finally {
      await reg.close();
    }
  });

  it('gives up on a registry that never answers after timeoutMs, without retrying, naming the setting', async () => {
    const reg = await fakeRegistry(() => {}); // accepts, never answers
    try {
      const t0 = performance.now();
      const err = await rejection(
        remoteManifestDigest(parseReference(`${reg.host}/a:b`), { tlsVerify: false, timeoutMs: 300, timeoutSetting: 'RACKER_REGISTRY_TIMEOUT' }),
      );
      expect(performance.now() - t0).to.be.within(250, 3000);
      expect(err).to.be.instanceOf(RegistryUnreachableError);
      expect(err.message).to.equal(`registry ${reg.host} did not answer within 0.3 s`);
      expect((err as RegistryError).hint).to.equal('set RACKER_REGISTRY_TIMEOUT=SECONDS to wait longer');
      expect(reg.hits.length).to.equal(1);
    } finally {
      await reg.close();
    }
  });
});

describe('registry http: the timeout is a deadline for the whole answer', () => {
  it('a body trickled a byte at a time does not keep the request alive', async () => {
    let timer: NodeJS.Timeout | undefined;
    const reg = await fakeRegistry((req, res) => {
      res.writeHead(200);
      timer = setInterval(() => res.write('x'), 50);
      res.once('close', () => clearInterval(timer));
    });
    try {
      const t0 = performance.now();
      const err = await rejection(httpRequest(`http://${reg.host}/v2/`, { timeoutMs: 400, rejectUnauthorized: true }));
      expect(err).to.be.instanceOf(HttpTimeoutError);
      expect(performance.now() - t0).to.be.within(350, 3000);
    } finally {
      clearInterval(timer);
      await reg.close();
    }
  });
});

describe('registry TLS', () => {
  it('a refused certificate says how to proceed', () => {
    const tlsErr = Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    const err = transportError('reg.example:5000', tlsErr, {}) as Error & { originalError: RegistryError };
    expect(err.name).to.equal('AbortError'); // not retried
    expect(err.originalError.message).to.equal('TLS verification failed for reg.example:5000: self-signed certificate');
    expect(err.originalError.hint).to.equal(
      'use --tls-verify=false if you trust this registry, or put its CA certificate in /etc/containers/certs.d/reg.example:5000/ca.crt',
    );
    const refused = transportError('reg.example:5000', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), {});
    expect(refused).to.be.instanceOf(RegistryUnreachableError); // retried
  });

  it('trusts *.crt from the first certs.d directory that has the registry, on top of the bundled roots', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'racker-certs-'));
    try {
      const [a, b] = [path.join(dir, 'a'), path.join(dir, 'b')];
      mkdirSync(path.join(a, 'reg.example:5000'), { recursive: true });
      mkdirSync(path.join(b, 'reg.example:5000'), { recursive: true });
      mkdirSync(path.join(b, 'other.example'), { recursive: true });
      writeFileSync(path.join(a, 'reg.example:5000', 'ca.crt'), 'PEM-A');
      writeFileSync(path.join(a, 'reg.example:5000', 'client.key'), 'KEY');
      writeFileSync(path.join(b, 'reg.example:5000', 'ca.crt'), 'PEM-B');
      writeFileSync(path.join(b, 'other.example', 'ca.crt'), 'PEM-O');
      expect(registryCAs('reg.example:5000', [a, b])).to.deep.equal([...rootCertificates, 'PEM-A']);
      expect(registryCAs('other.example', [a, b])).to.deep.equal([...rootCertificates, 'PEM-O']);
      expect(registryCAs('unknown.example', [a, b])).to.equal(undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('pull timeouts and skopeo failures', () => {
  const ref = parseReference('reg.example:5000/team/app:1');
  const fail = (stderr: string, signal?: string) => new CommandError(['skopeo', 'copy'], signal ? undefined : 1, signal, stderr);
  const fatal = (msg: string) => `time="2026-01-01T00:00:00Z" level=fatal msg="${msg}"\n`;
  // A digest with "404" and "401" in it: must not read as "not found" or "unauthorized".
  const EXPECTED = `sha256:${'2b1d4c12b54ec6fd1a93fc8e628118b3856ce9aaa7a1afc1811350d661bbe124'}`;
  const GOT = `sha256:${'404401'.padEnd(64, 'c')}`;

  it('reads RACKER_REGISTRY_TIMEOUT and RACKER_PULL_TIMEOUT as seconds, with defaults', () => {
    expect(pullTimeouts({})).to.deep.equal({ requestMs: 15_000, copySeconds: 3600 });
    expect(pullTimeouts({ RACKER_REGISTRY_TIMEOUT: '2.5', RACKER_PULL_TIMEOUT: '30' })).to.deep.equal({ requestMs: 2500, copySeconds: 30 });
    expect(pullTimeouts({ RACKER_PULL_TIMEOUT: '' })).to.deep.equal({ requestMs: 15_000, copySeconds: 3600 });
    for (const bad of ['0', '-1', '10m', 'abc', '1e3', ' ']) {
      expect(() => pullTimeouts({ RACKER_PULL_TIMEOUT: bad }), bad).to.throw(UsageError, `RACKER_PULL_TIMEOUT must be a number of seconds greater than 0 (got ${JSON.stringify(bad)})`);
    }
  });

  it('bounds skopeo copy with --command-timeout when asked', () => {
    expect(copyToLayoutArgv('r/a:b', '/o', 't', { tlsVerify: true, timeoutSeconds: 90 })).to.deep.equal([
      'skopeo', 'copy', '--command-timeout', '90s', '--retry-times', '2', 'docker://r/a:b', 'oci:/o:t',
    ]);
  });

  it('tells the faults apart in skopeo stderr', () => {
    expect(parseSkopeoError(fatal(`writing blob: happened during read: Digest did not match, expected ${EXPECTED}, got ${GOT}`))).to.deep.equal({
      kind: 'corrupt',
      expected: EXPECTED,
      actual: GOT,
    });
    expect(parseSkopeoError(fatal('writing blob: happened during read: unexpected EOF'))).to.deep.equal({ kind: 'interrupted' });
    expect(parseSkopeoError(fatal('writing blob: happened during read: context deadline exceeded'))).to.deep.equal({ kind: 'timeout' });
    expect(parseSkopeoError(fatal(`reading blob ${GOT}: Error fetching blob: invalid status code from registry 503 (Service Unavailable)`))).to.deep.equal({
      kind: 'server-error',
      status: 503,
    });
    expect(
      parseSkopeoError(fatal('initializing source docker://r/x:1: reading manifest 1 in r/x: received unexpected HTTP status: 502 Bad Gateway')),
    ).to.deep.equal({ kind: 'server-error', status: 502 });
    expect(parseSkopeoError('reading manifest nope in 127.0.0.1:5000/x: manifest unknown')).to.deep.equal({ kind: 'not-found' });
    // The coarse classes no longer match digits inside a digest.
    expect(classifySkopeoError(`copying ${GOT}: something odd`)).to.equal('other');
  });

  it('turns each failure into one line naming the registry', () => {
    const msg = (e: Error) => e.message;
    const t = { timeoutSeconds: 60 };
    expect(msg(skopeoFailure(fail(fatal(`writing blob: happened during read: Digest did not match, expected ${EXPECTED}, got ${GOT}`)), ref, t))).to.equal(
      `registry reg.example:5000 sent a corrupt blob for reg.example:5000/team/app:1: expected ${EXPECTED}, got ${GOT}`,
    );
    expect(msg(skopeoFailure(fail(fatal('writing blob: happened during read: unexpected EOF')), ref, t))).to.equal(
      'registry reg.example:5000 closed the connection before a blob of reg.example:5000/team/app:1 was complete',
    );
    const timeout = skopeoFailure(fail(fatal('initializing source docker://x: context deadline exceeded')), ref, t) as RegistryError;
    expect(timeout.message).to.equal('registry reg.example:5000 did not finish sending reg.example:5000/team/app:1 within 60 s');
    expect(timeout.hint).to.equal('set RACKER_PULL_TIMEOUT=SECONDS to allow longer');
    // Killed by racker's own backstop timer: the same timeout; a SIGTERM from elsewhere is not one.
    expect(msg(skopeoFailure(fail('', 'SIGTERM'), ref, { timeoutSeconds: 60, killedByBackstop: true }))).to.equal(timeout.message);
    expect(skopeoFailure(fail('', 'SIGTERM'), ref, t)).to.be.instanceOf(CommandError);
    expect(msg(skopeoFailure(fail(fatal('Error fetching blob: invalid status code from registry 500 (Internal Server Error)')), ref, t))).to.equal(
      'registry reg.example:5000 answered 500 while sending reg.example:5000/team/app:1',
    );
    const tls = skopeoFailure(fail(fatal('x509: certificate signed by unknown authority')), ref, t) as RegistryError;
    expect(tls.message).to.equal('TLS verification failed for reg.example:5000');
    expect(tls.hint).to.contain('--tls-verify=false').and.contain('/etc/containers/certs.d/reg.example:5000/ca.crt');
    expect(skopeoFailure(fail(fatal('dial tcp 10.0.0.1:5000: connect: connection refused')), ref, t)).to.be.instanceOf(RegistryUnreachableError);
  });
});
