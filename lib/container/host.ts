/** What the host offers: systemd as PID 1 with machined, or neither (CI containers). */
import { existsSync } from 'node:fs';
import { MissingToolError } from '../errors.js';

export function hostHasMachined(): boolean {
  // /run/systemd/system exists only when systemd is PID 1 (sd_booted()); machined is
  // then reachable over D-Bus if installed.
  return existsSync('/run/systemd/system') && existsSync('/lib/systemd/systemd-machined');
}

/** The host's gosu (Debian's package, a static binary), for -u in direct mode. */
export function switchUserTool(): string {
  const found = ['/usr/sbin/gosu', '/usr/bin/gosu'].find((p) => existsSync(p));
  if (!found) throw new MissingToolError('gosu', 'gosu');
  return found;
}
