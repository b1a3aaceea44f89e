import { expect } from 'chai';
import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isBuiltin } from 'node:module';
import { hasBareEnvWords } from '../../cli/via-service.js';
import { applyReadyRequest, encodeReadyRequest, PRELOADED_BUILTINS, parseReadyRequest, READY_ACK, readReadyRequestSync, type ReadyRequest } from '../../lib/startup/ready.js';

describe('the ready command process\'s request (lib/startup/ready.ts)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'racker-ready-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const req: ReadyRequest = { argv: ['run', '--rm', 'img', 'sh', '-c', 'echo "a\nb"'], cwd: '/home/m', env: { PATH: '/usr/bin', RACKER_CALLER: '1001:1001:m:/home/m', LANG: 'C.UTF-8' } };

  /** A descriptor that reads `text`, then EOF. */
  const fdOf = (text: string) => {
    const file = path.join(dir, 'req');
    writeFileSync(file, text);
    return openSync(file, 'r');
  };
  const closed = (fd: number) => {
    try {
      fstatSync(fd);
      return false;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EBADF';
    }
  };

  it("preloads Node's own modules only (racker's code waits for the request)", () => {
    expect(PRELOADED_BUILTINS.filter((m) => !m.startsWith('node:') || !isBuiltin(m))).to.deep.equal([]);
  });

  it('one line (newlines inside argv escaped), read back as sent', () => {
    const line = encodeReadyRequest(req);
    expect(line.indexOf('\n')).to.equal(line.length - 1);
    expect(parseReadyRequest(line.trimEnd())).to.deep.equal(req);
  });

  /** Where the answer goes (the service's end of the pipe, in the ready process). */
  const ackFile = () => path.join(dir, 'ack');
  const ackFd = () => openSync(ackFile(), 'w');

  it('reads one line from the descriptor, answers that it has it, and closes it (the command\'s children must not inherit it)', () => {
    const fd = fdOf(encodeReadyRequest(req) + 'ignored');
    const ack = ackFd();
    expect(readReadyRequestSync(fd, ack)).to.deep.equal(req);
    closeSync(ack);
    expect(readFileSync(ackFile(), 'utf8')).to.equal(READY_ACK);
    expect(closed(fd)).to.equal(true);
  });

  it('EOF before a whole line is no request (the service went away): no answer, and the descriptor is closed', () => {
    for (const text of ['', encodeReadyRequest(req).trimEnd()]) {
      const fd = fdOf(text);
      const ack = ackFd();
      expect(readReadyRequestSync(fd, ack)).to.equal(undefined);
      closeSync(ack);
      expect(readFileSync(ackFile(), 'utf8')).to.equal('');
      expect(closed(fd)).to.equal(true);
    }
  });

  it('a request it cannot answer for (the service gone) is not run', () => {
    const fd = fdOf(encodeReadyRequest(req));
    // Read-only: the answer cannot be written.
    writeFileSync(ackFile(), '');
    const readOnly = openSync(ackFile(), 'r');
    expect(readReadyRequestSync(fd, readOnly)).to.equal(undefined);
    closeSync(readOnly);
    expect(closed(fd)).to.equal(true);
  });

  it('refuses a request of the wrong shape instead of running half of it', () => {
    for (const bad of [{ ...req, argv: 'ps' }, { ...req, argv: [1] }, { ...req, cwd: 'rel' }, { ...req, env: ['A=1'] }, { ...req, env: { A: 1 } }, { ...req, env: null }]) {
      expect(() => parseReadyRequest(JSON.stringify(bad))).to.throw(/ready request/);
    }
  });

  it("makes the process the request's: argv after node and the script, the whole environment replaced, the directory", () => {
    const env: NodeJS.ProcessEnv = { PATH: '/bin', RACKER_CALLER: '1002:1002:other:/home/other', NO_COLOR: '1', HOME: '/root' };
    const envObject = env;
    const dirs: string[] = [];
    const proc = { argv: ['/usr/bin/node', '/opt/racker/dist/bin/racker.js'], env, chdir: (d: string) => void dirs.push(d) };
    applyReadyRequest(req, proc);
    expect(proc.argv).to.deep.equal(['/usr/bin/node', '/opt/racker/dist/bin/racker.js', ...req.argv]);
    // Nothing of what was there before survives (another caller's variables), and it is the same object (process.env's setters).
    expect(proc.env).to.equal(envObject);
    expect({ ...proc.env }).to.deep.equal(req.env);
    expect(dirs).to.deep.equal(['/home/m']);
  });
});

describe("the launcher's choice of racker's client bundle (cli/via-service.ts)", () => {
  it('only argv without a word resolveBareEnv may rewrite goes as typed', () => {
    for (const argv of [['ps'], ['run', '--rm', 'img', 'env'], ['run', '--entrypoint', 'grep', 'img', '-eHOME'], ['exec', '-it', 'c', 'sh'], ['volume', 'create', 'v']]) expect(hasBareEnvWords(argv), argv.join(' ')).to.equal(false);
    for (const argv of [['run', '-e', 'HOME', 'img'], ['run', '--env', 'HOME', 'img'], ['run', '--env=HOME', 'img'], ['run', 'img', 'grep', '-e', 'x']]) expect(hasBareEnvWords(argv), argv.join(' ')).to.equal(true);
  });
});
