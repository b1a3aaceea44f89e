import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import http, { type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { openSession } from '../../lib/client/forward.js';
import { RackerError } from '../../lib/errors.js';

/** The client's side of POST /racker/v1/cli against a stand-in service on a unix socket. */
describe('forward: openSession (the connection to the racker service)', () => {
  let dir: string;
  let server: http.Server;
  let socket: string;
  let seen: { method?: string; url?: string; headers?: IncomingMessage['headers']; body?: string };

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'racker-forward-'));
    socket = path.join(dir, 's.sock');
    seen = {};
    server = http.createServer((req, res) => {
      // Not an upgrade: answer as the service does when it refuses.
      res.writeHead(403, { Server: req.headers['x-server'] ?? 'racker/0.1.0', 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ message: 'not for you' }));
    });
    server.on('upgrade', (req: IncomingMessage, conn: Socket, head: Buffer) => {
      let body = head.toString();
      const length = Number(req.headers['content-length']);
      const answer = () => {
        seen = { method: req.method, url: req.url, headers: req.headers, body };
        conn.end('HTTP/1.1 101 UPGRADED\r\nUpgrade: racker-cli\r\nConnection: Upgrade\r\n\r\nframes');
      };
      if (body.length >= length) answer();
      else
        conn.on('data', (d: Buffer) => {
          body += d.toString();
          if (body.length >= length) answer();
        });
    });
    await new Promise<void>((resolve) => server.listen(socket, resolve));
  });

  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const read = (s: Socket, head: Buffer) =>
    new Promise<string>((resolve) => {
      let text = head.toString();
      s.on('data', (d: Buffer) => (text += d.toString()));
      s.on('end', () => resolve(text));
    });

  it('sends the request as the service expects it and hands over the upgraded connection', async () => {
    const body = JSON.stringify({ program: 'racker', argv: ['ps'] });
    const { socket: conn, head } = await openSession(socket, body);
    expect(await read(conn, head)).to.equal('frames');
    expect(seen.method).to.equal('POST');
    expect(seen.url).to.equal('/racker/v1/cli');
    expect(seen.body).to.equal(body);
    const h = seen.headers!;
    expect([h.host, h.upgrade, h.connection, h['content-type'], h['content-length']]).to.deep.equal(['racker', 'racker-cli', 'Upgrade', 'application/json', String(Buffer.byteLength(body))]);
  });

  it("does not go through http's global agent (its per-request server-name check costs ~5 ms of the client's start)", async () => {
    const agent = http.globalAgent as unknown as { addRequest: (...a: unknown[]) => void };
    const original = agent.addRequest;
    let calls = 0;
    agent.addRequest = function (this: unknown, ...a: unknown[]) {
      calls++;
      return original.apply(this, a);
    };
    try {
      const { socket: conn, head } = await openSession(socket, '{}');
      expect(await read(conn, head)).to.equal('frames');
    } finally {
      agent.addRequest = original;
    }
    expect(calls).to.equal(0);
  });

  it("a refusal from racker's service is a RackerError with the service's message", async () => {
    server.removeAllListeners('upgrade');
    server.on('upgrade', (_req: IncomingMessage, conn: Socket) => conn.end('HTTP/1.1 403 Forbidden\r\nServer: racker/0.1.0\r\nContent-Type: application/json\r\nContent-Length: 25\r\nConnection: close\r\n\r\n{"message":"not for you"}'));
    const err = await openSession(socket, '{}').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(RackerError);
    expect((err as Error).message).to.equal('not for you');
  });

  it('a socket nobody listens on fails with the errno (ENOENT), for the one-line hint', async () => {
    const err = await openSession(path.join(dir, 'missing.sock'), '{}').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as NodeJS.ErrnoException).code).to.equal('ENOENT');
  });
});
