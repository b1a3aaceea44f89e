/**
 * A real pseudo-terminal for a command, as a user's shell gives it: python3's pty module. The
 * terminal is 24x80 from the start and becomes 30x100 once the output shows `resizeAfter`
 * (the command then has a moment to look again); everything the terminal shows, byte for byte.
 */
import { existsSync } from 'node:fs';
import { collect } from './cli.js';

export const PYTHON3 = ['/usr/bin/python3'].find(existsSync);

const PROGRAM = `
import os, pty, sys, time, fcntl, termios, struct, select
marker = sys.argv[1].encode()
pid, fd = pty.fork()
if pid == 0:
    # The size is set before the command starts (set from the parent, it could come too late).
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', 24, 80, 0, 0))
    os.execvp(sys.argv[2], sys.argv[2:])
out, t0, resized = b'', time.time(), False
while True:
    if not resized and marker in out:
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 30, 100, 0, 0)); resized = True
    r, _, _ = select.select([fd], [], [], 0.1)
    if r:
        try: d = os.read(fd, 4096)
        except OSError: break
        if not d: break
        out += d
    if time.time() - t0 > 60: break
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
sys.stderr.write(str(os.waitstatus_to_exitcode(status)))
`;

export interface OnTerminal {
  /** What the terminal showed. */
  shown: Buffer;
  /** The command's exit code (negative: killed by that signal). */
  code: number;
}

/** Run argv on a fresh pseudo-terminal (needs PYTHON3). */
export async function onTerminal(argv: readonly string[], opts: { env: NodeJS.ProcessEnv; resizeAfter: string; timeoutMs?: number }): Promise<OnTerminal> {
  const r = await collect([PYTHON3!, '-c', PROGRAM, opts.resizeAfter, ...argv], { env: opts.env, timeoutMs: opts.timeoutMs ?? 70_000 });
  return { shown: r.stdout, code: Number(r.stderr.trim().split('\n').pop()) };
}
