/**
 * --check-network URL: http(s) URLs are fetched from inside the machine with curl (so the
 * answer is what the machine itself sees), tcp://host:port must accept a connection.
 * Both are polled until the timeout, so a service still starting is not a failure.
 * Redirects are not followed unless asked: Grafana answers 302 to /login, and that is
 * an answer worth asserting.
 */
import pRetry, { AbortError } from 'p-retry';
import { UsageError } from '../lib/errors.js';
import { timed, type ProbeMachine, type ProbeResult } from './types.js';

export interface HttpExpectations {
  /** "200", "2xx", "200,302"; default: any 2xx or 3xx. */
  status?: string;
  body?: string;
  /** "Name: regex" */
  headers?: string[];
  followRedirects?: boolean;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** curl -i output: header block(s) (one per redirect with -L), a blank line, the body. */
export function parseCurlResponse(text: string): HttpAnswer {
  let rest = text;
  let head = '';
  // Skip 1xx and redirect blocks: the last header block is the final answer's.
  while (/^HTTP\/[\d.]+ \d{3}/.test(rest)) {
    const end = rest.search(/\r?\n\r?\n/);
    if (end < 0) {
      head = rest;
      rest = '';
      break;
    }
    head = rest.slice(0, end);
    rest = rest.slice(end).replace(/^\r?\n\r?\n/, '');
  }
  const [statusLine = '', ...lines] = head.split(/\r?\n/);
  const m = /^HTTP\/[\d.]+ (\d{3})/.exec(statusLine);
  if (!m) throw new Error(`not an HTTP answer: ${JSON.stringify(text.slice(0, 80))}`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(m[1]), headers, body: rest };
}

export function statusMatches(spec: string | undefined, status: number): boolean {
  const wanted = (spec ?? '2xx,3xx').split(/[,|]/).map((s) => s.trim().toLowerCase()).filter(Boolean);
  return wanted.some((w) => (/^\dxx$/.test(w) ? Math.floor(status / 100) === Number(w[0]) : Number(w) === status));
}

export function validateExpectations(e: HttpExpectations): void {
  for (const w of (e.status ?? '2xx').split(/[,|]/)) {
    if (!/^\s*(\d{3}|\dxx)\s*$/i.test(w)) throw new UsageError(`invalid --expect-status ${JSON.stringify(e.status)}: use e.g. 200, 2xx or 200,302`);
  }
  for (const h of e.headers ?? []) if (!/^[^:\s]+:\s*\S/.test(h)) throw new UsageError(`invalid --expect-header ${JSON.stringify(h)}: use 'Name: regex'`);
  try {
    if (e.body) new RegExp(e.body);
    for (const h of e.headers ?? []) new RegExp(h.slice(h.indexOf(':') + 1).trim());
  } catch (err) {
    throw new UsageError(`invalid regular expression: ${(err as Error).message}`);
  }
}

/** What is wrong with this answer, or undefined if it meets every expectation. */
export function mismatch(answer: HttpAnswer, e: HttpExpectations): string | undefined {
  if (!statusMatches(e.status, answer.status)) return `status ${answer.status}, expected ${e.status ?? '2xx or 3xx'}`;
  if (e.body && !new RegExp(e.body).test(answer.body)) return `body does not match /${e.body}/`;
  for (const h of e.headers ?? []) {
    const name = h.slice(0, h.indexOf(':')).trim().toLowerCase();
    const re = new RegExp(h.slice(h.indexOf(':') + 1).trim());
    const value = answer.headers[name];
    if (value === undefined) return `no header ${name}`;
    if (!re.test(value)) return `header ${name}: ${value} does not match /${re.source}/`;
  }
  return undefined;
}

function retryUntil<T>(timeoutMs: number, attempt: () => Promise<T>): Promise<T> {
  return pRetry(attempt, { retries: 1000, minTimeout: 200, maxTimeout: 1000, factor: 1.5, maxRetryTime: timeoutMs });
}

export function httpProbe(machine: ProbeMachine, url: string, e: HttpExpectations, timeoutMs: number): Promise<ProbeResult> {
  return timed(`http ${url}`, async () => {
    let last = '';
    try {
      const answer = await retryUntil(timeoutMs, async () => {
        const argv = ['curl', '--silent', '--show-error', '--include', '--max-time', '5', ...(e.followRedirects ? ['--location'] : []), '--', url];
        const r = await machine.exec(argv);
        if (r.exitCode === 127) throw new AbortError('curl is not installed in the machine');
        if (r.exitCode !== 0) {
          last = r.stderr.trim() || `curl exit ${r.exitCode}`;
          throw new Error(last);
        }
        const a = parseCurlResponse(r.stdout);
        const wrong = mismatch(a, e);
        if (wrong) {
          last = `${wrong}\n${a.body.slice(0, 500)}`;
          throw new Error(last);
        }
        return a;
      });
      return { ok: true, evidence: `HTTP ${answer.status}` };
    } catch (err) {
      return { ok: false, evidence: last || (err as Error).message };
    }
  });
}

/**
 * tcp://host:port accepts a connection, seen from inside the machine (its own network
 * namespace by default): bash's /dev/tcp, host and port passed as arguments, not code.
 */
export function tcpProbe(machine: ProbeMachine, url: string, timeoutMs: number): Promise<ProbeResult> {
  return timed(`tcp ${url}`, async () => {
    const u = new URL(url);
    const port = Number(u.port);
    if (!u.hostname || !port) throw new UsageError(`invalid --check-network ${url}: use tcp://HOST:PORT`);
    let last = '';
    try {
      await retryUntil(timeoutMs, async () => {
        const r = await machine.exec(['bash', '-c', 'exec 3<>"/dev/tcp/$0/$1"', u.hostname.replace(/^\[|\]$/g, ''), String(port)]);
        if (r.exitCode === 127) throw new AbortError('bash is not installed in the machine');
        if (r.exitCode !== 0) {
          last = r.stderr.trim() || `exit ${r.exitCode}`;
          throw new Error(last);
        }
      });
      return { ok: true, evidence: 'connected' };
    } catch (err) {
      return { ok: false, evidence: last || (err as Error).message };
    }
  });
}
