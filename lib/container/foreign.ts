/**
 * create/run's platform rules. A foreign image runs only emulated (binfmt_misc and
 * qemu-user-static, checked before anything starts), never as if it were native. Asked
 * for no platform, racker runs it with docker's warning; asked for one, the image must be it.
 */
import { RackerError } from '../errors.js';
import { BINFMT_DIR, requireRunnable } from '../image/binfmt.js';
import { formatPlatform, hostPlatform, platformOf, runsNatively, samePlatform, type Platform } from '../image/platform.js';
import type { ImageRecord } from '../image/store.js';

export function checkPlatform(image: ImageRecord, name: string, asked: Platform | undefined, warn?: (line: string) => void, host: Platform = hostPlatform()): void {
  if (asked && !samePlatform(image, asked, host)) {
    throw new RackerError(`image ${name} is ${formatPlatform(image)}, not the requested ${formatPlatform(asked)}`, {
      hint: 'pull the platform asked for: racker pull --platform … IMAGE',
    });
  }
  const platform = platformOf(image, host);
  if (!platform) throw new RackerError(`image ${name} is ${formatPlatform(image)}, which racker cannot run here`);
  if (!asked && !runsNatively(platform, host)) {
    // dockerd's words, so scripts and users who know them recognise them.
    warn?.(
      `WARNING: The requested image's platform (${formatPlatform(platform)}) does not match the detected host platform (${formatPlatform(host)}) and no specific platform was requested`,
    );
  }
  requireRunnable(platform, `image ${name}`, BINFMT_DIR, host);
}
