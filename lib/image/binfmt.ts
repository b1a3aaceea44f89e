/**
 * Can this host run a foreign image? Through binfmt_misc: the kernel hands a foreign ELF
 * binary to qemu-user-static. The entry must carry the F (fix-binary) flag, so the kernel
 * opened the interpreter when it was registered and needs no file of that name inside the
 * container's root. Anything less fails here, in one line saying what to run, before a
 * container starts — never as an obscure "Exec format error" from inside it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { RackerError } from '../errors.js';
import { formatPlatform, hostPlatform, qemuName, runsNatively, type Platform } from './platform.js';

export const BINFMT_DIR = '/proc/sys/fs/binfmt_misc';

export type EmulationState =
  | { kind: 'native' }
  | { kind: 'emulated'; interpreter: string }
  | { kind: 'not-mounted' }
  | { kind: 'not-registered'; qemu: string }
  | { kind: 'disabled'; qemu: string }
  | { kind: 'no-fix-binary'; qemu: string };

/** The kernel's view of p, from binfmt_misc's files (dir is a parameter for tests). */
export function emulationState(p: Platform, dir: string = BINFMT_DIR, host: Platform = hostPlatform()): EmulationState {
  if (runsNatively(p, host)) return { kind: 'native' };
  const read = (name: string): string | undefined => {
    try {
      return readFileSync(path.join(dir, name), 'utf8');
    } catch {
      return undefined;
    }
  };
  if (read('status') === undefined) return { kind: 'not-mounted' };
  const qemu = `qemu-${qemuName(p)}`;
  const entry = read(qemu);
  if (entry === undefined) return { kind: 'not-registered', qemu };
  if (!/^enabled$/m.test(entry)) return { kind: 'disabled', qemu };
  const flags = /^flags: *(\S*)/m.exec(entry)?.[1] ?? '';
  if (!flags.includes('F')) return { kind: 'no-fix-binary', qemu };
  return { kind: 'emulated', interpreter: /^interpreter (\S+)/m.exec(entry)?.[1] ?? qemu };
}

const SETUP = 'scripts/setup.sh --with-foreign';

/** Throws one clear line when p can't run here; returns whether it runs emulated. */
export function requireRunnable(p: Platform, what: string, dir: string = BINFMT_DIR, host: Platform = hostPlatform()): 'native' | 'emulated' {
  const state = emulationState(p, dir, host);
  const wanted = `${what} is ${formatPlatform(p)} and this host is ${formatPlatform(host)}`;
  switch (state.kind) {
    case 'native':
      return 'native';
    case 'emulated':
      return 'emulated';
    case 'not-mounted':
      throw new RackerError(`${wanted}, and binfmt_misc is not mounted, so it cannot be emulated`, {
        hint: `run: mount -t binfmt_misc binfmt_misc ${dir} && ${SETUP}`,
      });
    case 'not-registered':
      throw new RackerError(`${wanted}, and no ${state.qemu} is registered with binfmt_misc`, { hint: `run: ${SETUP}, which installs qemu-user-static and registers it` });
    case 'disabled':
      throw new RackerError(`${wanted}, and ${state.qemu} is disabled in binfmt_misc`, { hint: `run: echo 1 > ${path.join(dir, state.qemu)}` });
    case 'no-fix-binary':
      throw new RackerError(`${wanted}, and ${state.qemu} is registered without the F (fix-binary) flag, so the emulator would have to be inside the image`, {
        hint: `run: echo -1 > ${path.join(dir, state.qemu)} && ${SETUP}`,
      });
  }
}
