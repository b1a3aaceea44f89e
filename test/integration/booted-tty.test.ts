/**
 * A booted container's command on the user's terminal (run -t, exec -t, exec -it: the command
 * is exec'd into the running machine under script(1)) shows what --no-boot shows: lines end in
 * \r\n (not \r\r\n), and a resize of the user's terminal reaches the command. The user's
 * terminal settings are as before afterwards.
 */
import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import { racker, rackerBin, tempRoot } from '../helpers/cli.js';
import { killLeftovers, leftovers } from '../helpers/containers.js';
import { needs, requireIntegration } from '../helpers/integration.js';
import { onTerminal, PYTHON3 } from '../helpers/pty.js';
import { startRegistry, type FixtureRegistry } from '../helpers/registry.js';

describe('a booted container on a terminal (integration: python3 pty)', function () {
  this.timeout(120_000);
  let reg: FixtureRegistry;
  let root: string;
  let DEBIAN: string;
  const rk = (args: string[]) => racker(args, { root, timeoutMs: 120_000 });
  // Sized at 24x80, resized to 30x100 after "first": the command sees both, in order.
  const COMMAND = ['sh', '-c', 'test -t 0 && stty size && echo first; sleep 1; stty size; exit 4'];
  const EXPECTED = '24 80\r\nfirst\r\n30 100\r\n';
  const env = () => ({ ...process.env, RACKER_ROOT: root, TERM: 'xterm' });
  // The terminal's settings before and after racker (stty -g), around what racker showed.
  const around = (args: string[]) => ['sh', '-c', 'stty -g; "$@"; echo "exit $?"; stty -g', 'sh', process.execPath, rackerBin, ...args];
  const settingsKept = (shown: string): string => {
    const lines = shown.split('\r\n');
    expect(lines[lines.length - 2], 'terminal settings put back').to.equal(lines[0]);
    return lines.slice(1, -2).map((l) => `${l}\r\n`).join('');
  };

  before(async function () {
    requireIntegration(this);
    needs(this, PYTHON3 !== undefined, 'python3');
    this.timeout(300_000);
    reg = await startRegistry();
    root = tempRoot('racker-booted-tty-');
    DEBIAN = `${reg.host}/library/debian:bookworm`;
    expect((await rk(['pull', '-q', DEBIAN])).code).to.equal(0);
  });
  afterEach(async () => {
    const ids = (await rk(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
    if (ids.length) expect((await rk(['rm', '-f', ...ids])).code).to.equal(0);
    const left = leftovers(root);
    if (left.length) await killLeftovers(root);
    expect(left).to.deep.equal([]);
  });
  after(async () => {
    if (root) {
      await killLeftovers(root);
      await fs.rm(root, { recursive: true, force: true });
    }
    await reg?.stop();
  });

  it('run --rm -t: \\r\\n line ends, the resize reaches the command, exit code and terminal settings kept', async () => {
    const r = await onTerminal(around(['run', '--rm', '-t', DEBIAN, ...COMMAND]), { env: env(), resizeAfter: 'first' });
    expect(settingsKept(r.shown.toString())).to.equal(`${EXPECTED}exit 4\r\n`);
  });

  it('exec -t and exec -it into a running booted container: the same bytes as --no-boot', async () => {
    expect((await rk(['run', '-d', '--name', 'tty-exec', DEBIAN])).code).to.equal(0);
    const noInput = await onTerminal(around(['exec', '-t', 'tty-exec', ...COMMAND]), { env: env(), resizeAfter: 'first' });
    expect(settingsKept(noInput.shown.toString())).to.equal(`${EXPECTED}exit 4\r\n`);
    const input = await onTerminal([process.execPath, rackerBin, 'exec', '-it', 'tty-exec', ...COMMAND], { env: env(), resizeAfter: 'first' });
    expect([input.shown.toString(), input.code]).to.deep.equal([EXPECTED, 4]);
  });
});
