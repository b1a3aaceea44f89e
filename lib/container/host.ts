/** What the host offers: systemd as PID 1 with machined, or neither (CI containers). */
import { existsSync } from 'node:fs';
import { MissingToolError } from '../errors.js';

export function hostHasMachined(): boolean {
  // /run/systemd/system exists only when systemd is PID 1 (sd_booted()); machined is
  // then reachable over D-Bus if installed.
  return existsSync('/run/systemd/system') && existsSync('/lib/systemd/systemd-machined');
}

/** A static helper racker binds into direct-mode containers, from its Debian package. */
function staticTool(name: string, candidates: readonly string[], debianPackage: string): string {
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new MissingToolError(name, debianPackage);
  return found;
}

/** gosu, for -u in direct mode. */
export function switchUserTool(): string {
  return staticTool('gosu', ['/usr/sbin/gosu', '/usr/bin/gosu'], 'gosu');
}

/** tini's static build, for --init in direct mode (docker's docker-init is tini too). */
export function initTool(): string {
  return staticTool('tini-static', ['/usr/bin/tini-static'], 'tini');
}
