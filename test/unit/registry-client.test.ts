import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { NotFoundError, RegistryError, RegistryUnreachableError } from '../../lib/errors.js';
import { checkLogin, parseChallenge, remoteManifestDigest } from '../../lib/registry/client.js';
import { parseReference } from '../../lib/image/reference.js';

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
});
