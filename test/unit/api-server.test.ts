import { expect } from 'chai';
import { mkdtempSync, promises as fs, statSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { serve, type ApiServer } from '../../lib/api/server.js';
import { MAX_API_VERSION } from '../../lib/api/version.js';
import { createContext } from '../../lib/context.js';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(socketPath: string, method: string, urlPath: string, body?: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path: urlPath, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

/** A raw Upgrade request, as the docker CLI sends for attach; resolves with everything the server sent. */
function upgrade(socketPath: string, urlPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect(socketPath, () => c.write(`POST ${urlPath} HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`));
    let text = '';
    c.on('data', (b) => (text += b.toString()));
    c.on('end', () => resolve(text));
    c.on('error', reject);
  });
}

describe('Engine API server (unit: a private root, no containers)', () => {
  let dir: string;
  let socket: string;
  let server: ApiServer;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'racker-api-'));
    socket = path.join(dir, 'run', 'docker.sock');
    const ctx = createContext({ verbose: false, env: { RACKER_ROOT: dir } });
    server = await serve({ ctx, socket, version: '9.9.9', bootTimeoutSeconds: 5 });
  });

  after(async () => {
    await server?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('the socket is mode 0660', () => {
    expect(statSync(socket).mode & 0o777).to.equal(0o660);
  });

  it('/_ping: OK with the API version headers (GET and HEAD)', async () => {
    const r = await request(socket, 'GET', '/_ping');
    expect({ status: r.status, body: r.body, api: r.headers['api-version'], os: r.headers.ostype }).to.deep.equal({ status: 200, body: 'OK', api: MAX_API_VERSION, os: 'linux' });
    const h = await request(socket, 'HEAD', '/_ping');
    expect([h.status, h.body, h.headers['api-version']]).to.deep.equal([200, '', MAX_API_VERSION]);
  });

  it("/version names racker and its version", async () => {
    const r = await request(socket, 'GET', '/v1.41/version');
    const v = JSON.parse(r.body) as { Version: string; ApiVersion: string; Platform: { Name: string }; Components: { Name: string; Version: string }[] };
    expect([r.status, v.Version, v.ApiVersion, v.Platform.Name, v.Components[0]?.Version]).to.deep.equal([200, '9.9.9', MAX_API_VERSION, 'racker', '9.9.9']);
  });

  it('/info counts nothing in an empty root; swarm is inactive', async () => {
    const info = JSON.parse((await request(socket, 'GET', '/info')).body) as { Containers: number; Images: number; ServerVersion: string; Swarm: { LocalNodeState: string } };
    expect([info.Containers, info.Images, info.ServerVersion, info.Swarm.LocalNodeState]).to.deep.equal([0, 0, '9.9.9', 'inactive']);
  });

  it('empty lists of images and containers', async () => {
    expect((await request(socket, 'GET', '/images/json')).body).to.equal('[]');
    expect((await request(socket, 'GET', '/containers/json?all=1')).body).to.equal('[]');
  });

  it('an unknown endpoint: 501 naming it', async () => {
    const r = await request(socket, 'GET', '/v1.41/plugins?filters=%7B%7D');
    expect([r.status, JSON.parse(r.body)]).to.deep.equal([501, { message: "not supported by racker's Engine API, not implemented: GET /plugins" }]);
  });

  it('hostile bodies for networks and volumes: 400 naming the field, nothing made', async () => {
    const cases: [string, string, unknown, string][] = [
      ['POST', '/networks/create', { Name: 123 }, 'json: cannot unmarshal Name: want a string'],
      ['POST', '/networks/create', { Name: 'n', Labels: { a: 1 } }, 'json: cannot unmarshal Labels: want an object of strings'],
      ['POST', '/networks/create', { Name: 'n', IPAM: { Config: 'x' } }, 'json: cannot unmarshal IPAM.Config: want a list'],
      ['POST', '/networks/create', { Name: 'n', IPAM: { Config: [{ Subnet: 10 }] } }, 'json: cannot unmarshal Subnet: want a string'],
      ['POST', '/networks/create', [1, 2], 'the request body must be a JSON object'],
      ['POST', '/networks/create', { Name: '../x' }, 'invalid network name "../x": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed (at most 128 characters)'],
      ['POST', '/networks/bridge/connect', { Container: ['x'] }, 'json: cannot unmarshal Container: want a string'],
      ['POST', '/volumes/create', { Name: { x: 1 } }, 'json: cannot unmarshal Name: want a string'],
      ['POST', '/volumes/create', { Name: '../../etc' }, 'create ../../etc: "../../etc" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed'],
    ];
    for (const [method, url, body, message] of cases) {
      const r = await request(socket, method, url, body);
      expect([url, r.status, JSON.parse(r.body)]).to.deep.equal([url, 400, { message }]);
    }
    expect(JSON.parse((await request(socket, 'GET', '/networks')).body).map((n: { Name: string }) => n.Name)).to.deep.equal(['bridge', 'host', 'none']);
    expect(JSON.parse((await request(socket, 'GET', '/volumes')).body)).to.deep.equal({ Volumes: [], Warnings: [] });
    // A name that is a path is no volume's.
    const traversal = await request(socket, 'GET', '/volumes/..%2F..%2Fetc');
    expect([traversal.status, JSON.parse(traversal.body)]).to.deep.equal([404, { message: 'get ../../etc: no such volume' }]);
    expect((await request(socket, 'DELETE', '/volumes/..%2Fx')).status).to.equal(404);
  });

  it('a version out of range: 400 with dockerd\'s message', async () => {
    const r = await request(socket, 'GET', '/v1.99/_ping');
    expect(r.status).to.equal(400);
    expect(JSON.parse(r.body)).to.deep.equal({ message: `client version 1.99 is too new. Maximum supported API version is ${MAX_API_VERSION}` });
  });

  it('no such container / image: 404 with docker\'s message', async () => {
    const c = await request(socket, 'GET', '/containers/nope/json');
    expect([c.status, JSON.parse(c.body)]).to.deep.equal([404, { message: 'No such container: nope' }]);
    const i = await request(socket, 'GET', '/images/127.0.0.1:5000/racker/busybox:latest/json');
    expect([i.status, JSON.parse(i.body)]).to.deep.equal([404, { message: 'No such image: 127.0.0.1:5000/racker/busybox:latest' }]);
  });

  it('create without an image: 400; with an unknown image: 404 (the client then pulls)', async () => {
    expect((await request(socket, 'POST', '/containers/create', {})).status).to.equal(400);
    const r = await request(socket, 'POST', '/containers/create?name=x', { Image: 'busybox:latest', Cmd: ['true'] });
    expect([r.status, JSON.parse(r.body)]).to.deep.equal([404, { message: 'No such image: busybox:latest' }]);
  });

  it('an Upgrade request that fails gets a plain HTTP error and the connection closes', async () => {
    const text = await upgrade(socket, '/v1.41/containers/nope/attach?stream=1&stdout=1');
    expect(text).to.match(/^HTTP\/1.1 404 Not Found\r\n/);
    expect(text.split('\r\n\r\n')[1]).to.equal('{"message":"No such container: nope"}');
  });

  it('a stale socket file is replaced; a live one is refused', async () => {
    const stale = path.join(dir, 'stale.sock');
    const s = net.createServer().listen(stale);
    await new Promise((r) => s.once('listening', r));
    const ctx = createContext({ verbose: false, env: { RACKER_ROOT: dir } });
    let err: Error | undefined;
    await serve({ ctx, socket: stale, version: '0', bootTimeoutSeconds: 1 }).catch((e: Error) => (err = e));
    expect(err?.message).to.equal(`another service is listening on ${stale}`);
    await new Promise((r) => s.close(r));
    // A socket file nobody listens on (a service killed -9): close a listener whose file was moved away, then put the file back.
    const dead = net.createServer();
    await new Promise<void>((r) => dead.listen(stale, r));
    await fs.rename(stale, `${stale}.keep`);
    await new Promise((r) => dead.close(r));
    await fs.rename(`${stale}.keep`, stale);
    const again = await serve({ ctx, socket: stale, version: '0', bootTimeoutSeconds: 1 });
    expect((await request(stale, 'GET', '/_ping')).body).to.equal('OK');
    await again.close();
  });
});
