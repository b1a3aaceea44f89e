/**
 * From docker-style flags and the image config to what a container runs: command,
 * environment, binds. Pure functions; file reads are the caller's.
 */
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { ImageConfig } from '../image/oci-layout.js';
import type { Bind } from '../tools/nspawn.js';

/**
 * docker's rule: --entrypoint replaces the image's Entrypoint and drops its Cmd;
 * arguments after the image replace Cmd.
 */
export function resolveCommand(image: ImageConfig, entrypoint: string | undefined, args: readonly string[]): string[] {
  const ep = entrypoint !== undefined ? (entrypoint === '' ? [] : [entrypoint]) : (image.Entrypoint ?? []);
  const cmd = args.length ? [...args] : entrypoint !== undefined ? [] : (image.Cmd ?? []);
  return [...ep, ...cmd];
}

/**
 * docker's --env-file format: KEY=VALUE per line, # comments and blank lines skipped,
 * a bare KEY takes the host's value (or is dropped), no quote processing.
 */
export function parseEnvFile(text: string, file: string): string[] {
  const out: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) return;
    const key = line.split('=', 1)[0]!;
    // Said as it is (docker: "no variable name"), not as "variable '' contains whitespaces".
    if (!key) throw new UsageError(`invalid env file ${file} line ${i + 1}: no variable name before '='`);
    if (/\s/.test(key)) throw new UsageError(`invalid env file ${file} line ${i + 1}: variable '${key}' contains whitespaces`);
    // No program can receive a NUL in its environment: refused here rather than an internal
    // error from spawn ("must be a string without null bytes").
    if (line.includes('\0')) throw new UsageError(`invalid env file ${file} line ${i + 1}: variable '${key}' contains a NUL byte`);
    out.push(line);
  });
  return out;
}

/** Image Env, then -e/--env-file in order; later values win; a bare KEY comes from the host. */
export function mergeEnv(imageEnv: readonly string[], userEnv: readonly string[], hostEnv: NodeJS.ProcessEnv): string[] {
  const merged = new Map<string, string>();
  for (const e of imageEnv) {
    const eq = e.indexOf('=');
    if (eq > 0) merged.set(e.slice(0, eq), e.slice(eq + 1));
  }
  for (const e of userEnv) {
    const eq = e.indexOf('=');
    if (eq === 0) throw new UsageError(`invalid environment variable: ${e}`);
    if (eq < 0) {
      const v = hostEnv[e];
      if (v === undefined) merged.delete(e);
      else merged.set(e, v);
    } else merged.set(e.slice(0, eq), e.slice(eq + 1));
  }
  if (!merged.has('PATH')) merged.set('PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  return [...merged].map(([k, v]) => `${k}=${v}`);
}

export function envRecord(env: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env) {
    const eq = e.indexOf('=');
    out[e.slice(0, eq)] = e.slice(eq + 1);
  }
  return out;
}

/** -v HOST:CONTAINER[:ro|rw]; only bind mounts of absolute host paths (no named volumes). */
export function parseVolume(spec: string): Bind {
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) {
    throw new UsageError(`invalid volume specification: '${spec}' (expected HOST-PATH:CONTAINER-PATH[:ro])`);
  }
  const [host, container, options] = parts as [string, string, string | undefined];
  // `./data` and `../data` are paths from the current directory (docker ≥ 23); a bare `data` is a
  // named volume, which create.ts binds before it gets here (lib/volume/store.ts).
  if (!path.isAbsolute(host) && !/^\.\.?(\/|$)/.test(host)) {
    throw new UsageError(`invalid volume specification: '${spec}': the host path must be absolute, or a volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]+)`);
  }
  if (!path.posix.isAbsolute(container)) throw new UsageError(`invalid volume specification: '${spec}': the container path must be absolute`);
  // A bind over the container's root hides the whole image: the command was then "not found"
  // and racker exited 1 as if it had failed. docker refuses it too.
  if (path.posix.normalize(container) === '/') throw new UsageError(`invalid volume specification: '${spec}': destination can't be '/'`);
  // ro/rw, and docker's options that change nothing here: z/Z relabel for SELinux (racker sets
  // no labels), cached/delegated/consistent are Docker Desktop's file-sharing hints.
  const modes = options === undefined ? [] : options.split(',');
  for (const m of modes) {
    if (!['ro', 'rw', 'z', 'Z', 'cached', 'delegated', 'consistent'].includes(m)) throw new UsageError(`invalid mode: ${m} in '${spec}'`);
  }
  if (modes.includes('ro') && modes.includes('rw')) throw new UsageError(`invalid mode: ${options} in '${spec}'`);
  return { host: path.resolve(host), container: path.posix.normalize(container), readOnly: modes.includes('ro') };
}

/** --tmpfs PATH[:OPTIONS]: a fresh tmpfs there. */
export interface Tmpfs {
  container: string;
  /** mount(8) options as given ('' for none: then tmpfsMountOptions gives docker's defaults). */
  options: string;
}

/** docker's --tmpfs defaults when no options are given. */
export function tmpfsMountOptions(t: Tmpfs): string {
  return t.options || 'rw,noexec,nosuid,nodev';
}

/**
 * `--tmpfs /run` or `/run:rw,size=64m,mode=1777`, as docker takes it. The options reach
 * mount(8) through nspawn, so only the characters mount options use are allowed (no ':').
 */
export function parseTmpfs(spec: string): Tmpfs {
  const at = spec.indexOf(':');
  const container = at < 0 ? spec : spec.slice(0, at);
  const options = at < 0 ? '' : spec.slice(at + 1);
  if (!path.posix.isAbsolute(container)) throw new UsageError(`invalid tmpfs specification: '${spec}': the container path must be absolute`);
  if (path.posix.normalize(container) === '/') throw new UsageError(`invalid tmpfs specification: '${spec}': destination can't be '/'`);
  if (!/^[a-zA-Z0-9=,._+-]*$/.test(options)) throw new UsageError(`invalid tmpfs options in '${spec}'`);
  return { container: path.posix.normalize(container), options };
}

/**
 * The first variable systemd-nspawn --setenv (direct mode) would refuse: it takes only names
 * of ASCII letters, digits and '_', not starting with a digit. Such a name (docker allows
 * `my.var`, `GRÜSSE`) made nspawn print "Cannot assign environment variable" and exit 1, as
 * if the command had failed. Boot mode passes the environment through nsenter: any name works.
 */
export function nspawnRefusedEnv(env: readonly string[]): string | undefined {
  return env.find((e) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(e));
}

export interface ResolvedUser {
  /** The passwd entry's name, when there is one. */
  name?: string;
  uid: number;
  gid: number;
  home: string;
}

/** -u name|uid[:group|gid] against the container's /etc/passwd and /etc/group texts. */
export function resolveUser(spec: string, passwd: string, group: string): ResolvedUser {
  const [userPart, groupPart] = spec.split(':', 2) as [string, string | undefined];
  const users = passwd.split('\n').map((l) => l.split(':')).filter((f) => f.length >= 7);
  const entry = /^\d+$/.test(userPart) ? users.find((f) => f[2] === userPart) : users.find((f) => f[0] === userPart);
  if (!entry && !/^\d+$/.test(userPart)) {
    throw new UsageError(`unable to find user ${userPart}: no matching entries in passwd file`);
  }
  const uid = entry ? Number(entry[2]) : Number(userPart);
  let gid = entry ? Number(entry[3]) : 0;
  if (groupPart !== undefined) {
    if (/^\d+$/.test(groupPart)) gid = Number(groupPart);
    else {
      const g = group.split('\n').map((l) => l.split(':')).find((f) => f[0] === groupPart);
      if (!g) throw new UsageError(`unable to find group ${groupPart}: no matching entries in group file`);
      gid = Number(g[2]);
    }
  }
  return { ...(entry ? { name: entry[0]! } : {}), uid, gid, home: entry?.[5] || '/' };
}

/** docker's generated names: adjective_surname. */
const ADJECTIVES = ['admiring', 'brave', 'clever', 'dazzling', 'eager', 'focused', 'gallant', 'happy', 'jolly', 'keen', 'lucid', 'modest', 'nifty', 'optimistic', 'pensive', 'quirky', 'relaxed', 'serene', 'tender', 'upbeat', 'vibrant', 'wizardly', 'youthful', 'zealous'];
const NAMES = ['babbage', 'curie', 'dijkstra', 'euler', 'feynman', 'gauss', 'hopper', 'hypatia', 'johnson', 'knuth', 'lamport', 'lovelace', 'meitner', 'noether', 'pike', 'ritchie', 'shannon', 'thompson', 'torvalds', 'turing', 'wozniak'];

export function generateName(random: () => number = Math.random): string {
  const pick = <T>(a: readonly T[]) => a[Math.floor(random() * a.length)]!;
  return `${pick(ADJECTIVES)}_${pick(NAMES)}`;
}
