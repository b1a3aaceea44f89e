/**
 * What a `racker shell` container gets of its owner's desktop session, as toolbox and
 * distrobox give it: the X11 socket directory, the session's runtime directory (Wayland, the
 * D-Bus session bus, PulseAudio and PipeWire sockets live there), the host's fonts, and the
 * GPU's device nodes. Decided once, when the shell is created (`--no-desktop`: nothing), as
 * binds; which of them a given `racker shell` uses is decided at each entry from the caller's
 * environment and what exists then (a session may have ended, or begun, since).
 *
 * Pure: the caller's environment and an `exists` probe come in, binds and variables go out.
 * Running them is shell.ts's (binds: create.ts; a member's are opened as them and mounted
 * ID-mapped, access/member-binds.ts). The host's system bus is never forwarded: a racker
 * container's root is the host's root to any socket it is given, and the system bus trusts
 * uid 0 with everything (the shell's own systemd runs the container's bus instead).
 */
import path from 'node:path';
import type { Bind } from '../tools/nspawn.js';

/** Where the host's X11 socket directory appears inside (/tmp/.X11-unix's sockets link there). */
export const X11_INSIDE = '/run/racker-shell/x11';
/** Where a copy of the X authority cookie goes inside, when the file is not under a bound path. */
export const XAUTHORITY_INSIDE = '/run/racker-shell/Xauthority';
/** Where the host's fonts appear inside: a directory fontconfig reads by default. */
export const FONTS_INSIDE = '/usr/local/share/fonts/racker-host';

export interface Owner {
  uid: number;
  gid: number;
  name: string;
  home: string;
}

/** The session's runtime directory: the caller's XDG_RUNTIME_DIR when it is theirs, else /run/user/UID (sudo drops the variable). */
export function runtimeDir(env: NodeJS.ProcessEnv, owner: Owner): string {
  const given = env.XDG_RUNTIME_DIR;
  const clean = given && path.isAbsolute(given) ? path.normalize(given).replace(/(.)\/+$/, '$1') : undefined;
  return clean && clean !== '/' ? clean : `/run/user/${owner.uid}`;
}

/** A shell's desktop forwarding, decided at its create and kept in its record (absent: --no-desktop). */
export interface DesktopConfig {
  /** The owner's session runtime directory, bound at the same path. */
  runtimeDir: string;
  /** /dev/dri bound: only for a shell whose owner may use the host's devices (root made it); a member's binds are nodev. */
  gpu: boolean;
}

export function desktopConfig(env: NodeJS.ProcessEnv, owner: Owner, opts: { gpu: boolean }): DesktopConfig {
  return { runtimeDir: runtimeDir(env, owner), gpu: opts.gpu };
}

/**
 * The binds that carry it. Each is optional: a start skips one whose host path is gone (the
 * session ended, no X server ran yet) instead of failing.
 */
export function desktopBinds(d: DesktopConfig): Bind[] {
  const binds: Bind[] = [
    { host: '/tmp/.X11-unix', container: X11_INSIDE, readOnly: true, optional: true },
    { host: d.runtimeDir, container: d.runtimeDir, readOnly: false, optional: true },
    { host: '/usr/share/fonts', container: FONTS_INSIDE, readOnly: true, optional: true },
  ];
  if (d.gpu) binds.push({ host: '/dev/dri', container: '/dev/dri', readOnly: false, optional: true });
  return binds;
}

/** What `racker inspect` says a shell forwards, one word per kind. Pure. */
export function forwardedKinds(d: DesktopConfig | undefined): string[] {
  return d ? ['x11', 'wayland', 'session-bus', 'sound', 'fonts', ...(d.gpu ? ['gpu'] : [])] : [];
}

/** DISPLAY's display number (":1", ":1.0", "unix:1", "unix/:1"); undefined for a TCP display ("host:1") or nonsense. */
export function localDisplay(display: string | undefined): number | undefined {
  const m = /^(?:unix\/?)?:(\d+)(?:\.\d+)?$/.exec(display ?? '');
  return m ? Number(m[1]) : undefined;
}

/** Variables that follow the caller into every shell, desktop or not: language and time. */
const LOCALE = /^(LANG|LANGUAGE|LC_[A-Z_]+|TZ)$/;
/** Variables of the desktop session passed as they are. */
const SESSION = /^(XDG_SESSION_TYPE|XDG_CURRENT_DESKTOP|XDG_SESSION_DESKTOP|DESKTOP_SESSION)$/;

export interface EntryPlan {
  /** Variables for the shell's command. */
  env: string[];
  /** /tmp/.X11-unix/X<n> inside → this link target (the host's socket through the bind). */
  x11Link?: { path: string; target: string };
  /** The X display's number, when one is forwarded. */
  display?: number;
  /** The caller's cookie file, whose entries for the display go to XAUTHORITY_INSIDE (wildcardCookies). */
  copyXauthority?: string;
}

/**
 * What one `racker shell` entry passes: from the caller's environment, limited to what the
 * shell's desktop carries and what exists on the host now. `exists` answers for host paths.
 */
export function entryPlan(env: NodeJS.ProcessEnv, owner: Owner, desktop: DesktopConfig | undefined, exists: (p: string) => boolean): EntryPlan {
  const out: string[] = [];
  for (const [k, v] of Object.entries(env)) if (v !== undefined && LOCALE.test(k)) out.push(`${k}=${v}`);
  const plan: EntryPlan = { env: out };
  if (!desktop) return plan;
  for (const [k, v] of Object.entries(env)) if (v !== undefined && SESSION.test(k)) out.push(`${k}=${v}`);
  const home = owner.home;
  const rt = desktop.runtimeDir;
  const under = (p: string, dir: string | undefined) => dir !== undefined && dir !== '/' && (p === dir || p.startsWith(`${dir}/`));
  const carried = (p: string) => under(p, rt) || under(p, home);

  const display = localDisplay(env.DISPLAY);
  if (display !== undefined && exists(`/tmp/.X11-unix/X${display}`)) {
    out.push(`DISPLAY=:${display}`);
    plan.x11Link = { path: `/tmp/.X11-unix/X${display}`, target: `${X11_INSIDE}/X${display}` };
    plan.display = display;
    // Always a copy: the cookie names the host's hostname, which the shell does not have (wildcardCookies).
    const cookie = env.XAUTHORITY && path.isAbsolute(env.XAUTHORITY) ? env.XAUTHORITY : home && home !== '/' ? `${home}/.Xauthority` : undefined;
    if (cookie && exists(cookie)) {
      plan.copyXauthority = cookie;
      out.push(`XAUTHORITY=${XAUTHORITY_INSIDE}`);
    }
  }
  if (rt && exists(rt)) {
    out.push(`XDG_RUNTIME_DIR=${rt}`);
    const wayland = env.WAYLAND_DISPLAY || 'wayland-0';
    const waylandPath = path.isAbsolute(wayland) ? wayland : `${rt}/${wayland}`;
    if (carried(waylandPath) && exists(waylandPath)) out.push(`WAYLAND_DISPLAY=${wayland}`);
    const busPath = /^unix:path=([^,;]+)$/.exec(env.DBUS_SESSION_BUS_ADDRESS ?? '')?.[1] ?? `${rt}/bus`;
    if (carried(busPath) && exists(busPath)) out.push(`DBUS_SESSION_BUS_ADDRESS=unix:path=${busPath}`);
    const pulsePath = /^unix:(\/.+)$/.exec(env.PULSE_SERVER ?? '')?.[1] ?? `${rt}/pulse/native`;
    if (carried(pulsePath) && exists(pulsePath)) out.push(`PULSE_SERVER=unix:${pulsePath}`);
  }
  return plan;
}

/** The variables a member's client sends for `racker shell`, renamed so no root process takes them as its own (XDG_RUNTIME_DIR steers racker's auth file). */
export const CALLER_ENV_PREFIX = 'RACKER_CALLER_ENV_';
export const CALLER_ENV_NAMES = /^(DISPLAY|XAUTHORITY|WAYLAND_DISPLAY|XDG_RUNTIME_DIR|DBUS_SESSION_BUS_ADDRESS|PULSE_SERVER|XDG_SESSION_TYPE|XDG_CURRENT_DESKTOP|XDG_SESSION_DESKTOP|DESKTOP_SESSION)$/;

/** The caller's own environment: a member's from the prefixed copies, anyone else's as it is. Pure. */
export function callerSessionEnv(env: NodeJS.ProcessEnv, member: boolean): NodeJS.ProcessEnv {
  if (!member) return env;
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith(CALLER_ENV_PREFIX)) out[k.slice(CALLER_ENV_PREFIX.length)] = v;
    else if (LOCALE.test(k)) out[k] = v;
  }
  return out;
}

/**
 * An Xauthority file's entries for `display`, made to match any host (family FamilyWild,
 * 0xffff): Xlib picks a cookie by the client's hostname, and the shell's is not the host's.
 * Entries are family, address, number, name and data, each a big-endian u16 length (family:
 * the value) and bytes (Xau's format). Undefined when none is for the display, or the file is
 * not one. Pure.
 */
export function wildcardCookies(file: Buffer, display: number): Buffer | undefined {
  const out: Buffer[] = [];
  let at = 0;
  const field = (): Buffer | undefined => {
    if (at + 2 > file.length) return undefined;
    const len = file.readUInt16BE(at);
    if (at + 2 + len > file.length) return undefined;
    const b = file.subarray(at + 2, at + 2 + len);
    at += 2 + len;
    return b;
  };
  while (at < file.length) {
    if (at + 2 > file.length) return undefined;
    at += 2; // the family, replaced
    const address = field();
    const number = field();
    const name = field();
    const data = field();
    if (!address || !number || !name || !data) return undefined;
    if (number.toString('latin1') !== String(display)) continue;
    const family = Buffer.from([0xff, 0xff]);
    const len = (b: Buffer) => Buffer.from([b.length >> 8, b.length & 0xff]);
    out.push(family, len(Buffer.alloc(0)), len(number), number, len(name), name, len(data), data);
  }
  return out.length ? Buffer.concat(out) : undefined;
}
