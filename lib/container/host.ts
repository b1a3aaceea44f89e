/** What the host offers: systemd as PID 1 with machined, or neither (CI containers). */
import { existsSync } from 'node:fs';

export function hostHasMachined(): boolean {
  // /run/systemd/system exists only when systemd is PID 1 (sd_booted()); machined is
  // then reachable over D-Bus if installed.
  return existsSync('/run/systemd/system') && existsSync('/lib/systemd/systemd-machined');
}
