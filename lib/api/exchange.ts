/**
 * One request and its answer, the same for a plain HTTP request and for an Upgrade
 * request whose connection racker takes over (attach, exec start). Handlers answer with
 * json/empty, stream a long response, or hijack the connection for raw bytes both ways.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { ApiError } from './errors.js';

/** Where a streamed answer goes. write() after the client left is a no-op. */
export interface StreamOut {
  /** false: the socket's buffer is full; wait for drained() before writing much more. */
  write(chunk: Buffer | string): boolean;
  /** Resolves when the buffer has room again, or the client has gone. */
  drained(): Promise<void>;
  end(): void;
  /** The client has gone (or the answer ended). */
  readonly closed: boolean;
  onClose(fn: () => void): void;
}

export interface Exchange {
  readonly method: string;
  /** Without the /v1.xx prefix. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** The API version the client speaks (its prefix, or racker's newest). */
  readonly apiVersion: string;
  /** The JSON body, or undefined when there is none. */
  body(): Promise<unknown>;
  /** The body as a stream, unparsed and unbounded (a tar for PUT /archive, an image archive for load); instead of body(). */
  bodyStream(): Readable;
  json(status: number, value: unknown): void;
  empty(status: number): void;
  /** A short text answer (/_ping); for HEAD only the headers go out. */
  text(status: number, text: string, headers?: Record<string, string>): void;
  /** A long answer (pull progress, logs): headers go out at once, then chunks. */
  stream(status: number, contentType: string, headers?: Record<string, string>): StreamOut;
  /**
   * Take over the connection like dockerd: "101 UPGRADED" for an Upgrade request, else
   * "200 OK"; then raw bytes. stdin is what the client sends after (Upgrade requests only).
   */
  hijack(contentType: string): { out: StreamOut; stdin?: Readable };
  /** Whether an answer has begun (errors after that can't change the status). */
  readonly answered: boolean;
}

const MAX_BODY = 16 * 1024 * 1024;

function parseJson(text: string): unknown {
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(400, 'invalid JSON in request body');
  }
}

function streamOver(write: (c: Buffer | string) => boolean | void, end: () => void, closedEvent: (fn: () => void) => void, drainEvent?: (fn: () => void) => void): StreamOut {
  let closed = false;
  let full = false;
  const listeners: (() => void)[] = [];
  const close = () => {
    if (closed) return;
    closed = true;
    for (const l of listeners.splice(0)) l();
  };
  closedEvent(close);
  return {
    // false: the client is behind; drained() then waits for it (or for its leaving).
    write: (c) => {
      if (closed) return true;
      if (write(c) === false) full = true;
      return !full;
    },
    drained: () =>
      new Promise<void>((resolve) => {
        if (closed || !full || !drainEvent) return resolve();
        let done = false;
        const once = () => {
          if (done) return;
          done = true;
          full = false;
          resolve();
        };
        drainEvent(once);
        listeners.push(once);
      }),
    end: () => {
      if (closed) return;
      end();
      close();
    },
    get closed() {
      return closed;
    },
    onClose: (fn) => {
      if (closed) fn();
      else listeners.push(fn);
    },
  };
}

interface Common {
  method: string;
  path: string;
  query: URLSearchParams;
  apiVersion: string;
  serverHeaders: Record<string, string>;
}

/** What both kinds of exchange say about the request itself. */
function requestFields(req: IncomingMessage, c: Common): Pick<Exchange, 'method' | 'path' | 'query' | 'headers' | 'apiVersion'> {
  return { method: c.method, path: c.path, query: c.query, headers: req.headers, apiVersion: c.apiVersion };
}

/** A plain request: node's ServerResponse does the HTTP. */
export function plainExchange(req: IncomingMessage, res: ServerResponse, c: Common): Exchange {
  let bodyRead: Promise<unknown> | undefined;
  let answered = false;
  const head = (status: number, headers: Record<string, string | number>) => {
    answered = true;
    res.writeHead(status, { ...c.serverHeaders, ...headers });
  };
  const stream = (status: number, contentType: string, headers: Record<string, string> = {}): StreamOut => {
    head(status, { ...headers, 'Content-Type': contentType });
    res.flushHeaders();
    // No Nagle: each progress line or log frame goes out when written.
    res.socket?.setNoDelay(true);
    return streamOver(
      (chunk) => res.write(chunk),
      () => res.end(),
      (fn) => res.once('close', fn),
      (fn) => res.once('drain', fn),
    );
  };
  return {
    ...requestFields(req, c),
    body: () =>
      (bodyRead ??= new Promise<unknown>((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        req.on('data', (b: Buffer) => {
          size += b.length;
          if (size > MAX_BODY) reject(new ApiError(413, 'request body too large'));
          else chunks.push(b);
        });
        req.on('end', () => {
          try {
            resolve(parseJson(Buffer.concat(chunks).toString('utf8')));
          } catch (err) {
            reject(err);
          }
        });
        req.on('error', reject);
      })),
    bodyStream: () => req,
    json: (status, value) => {
      const text = JSON.stringify(value);
      head(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
    },
    empty: (status) => {
      head(status, {});
      res.end();
    },
    text: (status, text, headers = {}) => {
      head(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers });
      res.end(c.method === 'HEAD' ? undefined : text);
    },
    stream,
    hijack: (contentType) => ({ out: stream(200, contentType) }),
    get answered() {
      return answered;
    },
  };
}

/**
 * An Upgrade request: node hands over the socket after the headers; racker writes the
 * HTTP answer itself. The body (exec start sends one) is read by Content-Length from
 * `head` and the socket; whatever follows is the client's stdin.
 */
export function upgradeExchange(req: IncomingMessage, socket: Socket, head: Buffer, c: Common): Exchange {
  let answered = false;
  let bodyRead: Promise<unknown> | undefined;
  const length = Number(req.headers['content-length'] ?? 0);
  const writeHead = (status: number, reason: string, headers: Record<string, string | number>) => {
    answered = true;
    const lines = [`HTTP/1.1 ${status} ${reason}`, ...Object.entries({ ...c.serverHeaders, ...headers }).map(([k, v]) => `${k}: ${v}`)];
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  };
  const readBody = (): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      if (!Number.isFinite(length) || length < 0 || length > MAX_BODY) return reject(new ApiError(400, 'bad Content-Length'));
      let got = head;
      const done = () => {
        socket.off('data', onData);
        socket.off('end', onEnd);
        socket.pause();
        // What comes after the body is stdin: give it back to the socket.
        if (got.length > length) socket.unshift(got.subarray(length));
        resolve(got.subarray(0, length));
      };
      const onData = (b: Buffer) => {
        got = Buffer.concat([got, b]);
        if (got.length >= length) done();
      };
      const onEnd = () => reject(new ApiError(400, 'connection closed before the request body'));
      if (got.length >= length) return done();
      socket.on('data', onData);
      socket.on('end', onEnd);
      socket.resume();
    });
  const bodyBytes = () => (bodyRead ??= readBody().then((b) => parseJson(b.toString('utf8'))));
  const out = (): StreamOut => {
    socket.setNoDelay(true);
    return streamOver(
      (chunk) => socket.write(chunk),
      () => socket.end(),
      (fn) => socket.once('close', fn),
      (fn) => socket.once('drain', fn),
    );
  };
  const plain = (status: number, headers: Record<string, string | number>, text: string) => {
    writeHead(status, STATUS_CODES[status] ?? 'Unknown', { ...headers, 'Content-Length': Buffer.byteLength(text), Connection: 'close' });
    socket.end(text);
  };
  return {
    ...requestFields(req, c),
    body: bodyBytes,
    bodyStream: () => socket,
    json: (status, value) => plain(status, { 'Content-Type': 'application/json' }, JSON.stringify(value)),
    empty: (status) => plain(status, {}, ''),
    text: (status, text, headers = {}) => plain(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers }, text),
    stream: (status, contentType, headers = {}) => {
      writeHead(status, STATUS_CODES[status] ?? 'OK', { ...headers, 'Content-Type': contentType, Connection: 'close' });
      return out();
    },
    hijack: (contentType) => {
      // The body (if any) must be consumed first so that stdin starts after it; without a
      // body, bytes that came with the headers are already stdin.
      if (!bodyRead && head.length) socket.unshift(head);
      writeHead(101, 'UPGRADED', { 'Content-Type': contentType, Connection: 'Upgrade', Upgrade: String(req.headers.upgrade ?? 'tcp') });
      return { out: out(), stdin: socket };
    },
    get answered() {
      return answered;
    },
  };
}
