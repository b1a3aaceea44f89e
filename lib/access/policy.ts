/**
 * What a member of the service's group (a caller that is not root) may ask of racker: what
 * they could do on the host anyway, and nothing that opens the host to a container. Without a
 * user namespace (systemd-nspawn 252 cannot ID-map racker's overlay root here:
 * doc/security.md), a container's root is the host's root to any file it is given, so a
 * member's host paths are opened as the member and mounted ID-mapped (member-binds.ts); the
 * rest follows docker's and podman's rootless limits. Each refusal is a ForbiddenError: one
 * line, exit 125, HTTP 403.
 */
import { readFileSync } from 'node:fs';
import { ForbiddenError } from '../errors.js';
import type { PortSpec } from '../net/ports.js';
import { isMember, mayAct, type Caller, type Owner } from './caller.js';

/** What createContainer has decided about a run, as far as the policy cares. */
export interface CreateRequest {
  network: string;
  /** Named volumes with their owners (undefined owner: root's, or not made yet). */
  volumes: readonly { name: string; exists: boolean; owner?: Owner }[];
  publish: readonly PortSpec[];
  deviceCgroupRules: readonly string[];
  /** The image named a host file or directory (run ./rootfs.tar), not a reference or URL. */
  hostSource?: string;
}

/**
 * A member asked for what the policy keeps from them. Exit 125 whatever the command (docker's
 * "the daemon refused"), HTTP 403 (ForbiddenError).
 */
export class RefusedForCaller extends ForbiddenError {}

const NOT_FOR_MEMBERS = 'not for members of the racker group (doc/security.md)';

/** The lowest port an ordinary user may bind (net.ipv4.ip_unprivileged_port_start). */
export function unprivilegedPortStart(read = () => readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8')): number {
  try {
    // Digits only: Number('') is 0 (every port open to members), Number('0x10') is 16.
    const text = read().trim();
    return /^\d+$/.test(text) ? Number(text) : 1024;
  } catch {
    return 1024;
  }
}

/**
 * Where a bare `-e NAME` (or an env file's bare NAME) takes its value: the service's own
 * environment is root's, not a member's; their client resolved what it could in theirs
 * (lib/client/forward.ts), so what is still bare is unset, as docker has it. Pure.
 */
export function hostEnvFor(caller: Caller | undefined, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return isMember(caller) ? {} : env;
}

/** Why `caller` may not create this container, or undefined when it may. Pure. */
export function createRefusal(caller: Caller | undefined, req: CreateRequest, portStart = 1024): string | undefined {
  if (!isMember(caller)) return undefined;
  if (req.network === 'host') return `--network host is ${NOT_FOR_MEMBERS}: a container on the host's network can bind its privileged ports`;
  if (req.network.startsWith('container:')) return `--network container:… is ${NOT_FOR_MEMBERS}`;
  for (const v of req.volumes) {
    if (v.exists && !mayAct(caller, v.owner)) return `volume ${v.name} belongs to ${v.owner ? `user ${v.owner.name}` : 'root'}`;
  }
  for (const p of req.publish) {
    const low = p.hostPort || undefined;
    if (low !== undefined && low < portStart) return `publishing host port ${low} is ${NOT_FOR_MEMBERS}: ports below ${portStart} are root's`;
  }
  if (req.deviceCgroupRules.length) return `--device-cgroup-rule is ${NOT_FOR_MEMBERS}: it opens host devices to the container`;
  if (req.hostSource) return `running a host file or directory (${req.hostSource}) is ${NOT_FOR_MEMBERS}: use an image reference or a URL`;
  return undefined;
}

export function checkCreate(caller: Caller | undefined, req: CreateRequest): void {
  const why = createRefusal(caller, req, isMember(caller) ? unprivilegedPortStart() : 1024);
  if (why) throw new RefusedForCaller(why);
}

/** A container, volume, … of another user: refused by name (its existence is no secret: names are shared). */
export function checkOwner(caller: Caller | undefined, owner: Owner | undefined, what: string): void {
  if (!mayAct(caller, owner)) throw new RefusedForCaller(`${what} belongs to ${owner ? `user ${owner.name}` : 'root'}`);
}

/** For a verb a member may not use at all (rmi, build, network create, system prune, …). */
export function checkRootOnly(caller: Caller | undefined, verb: string): void {
  if (isMember(caller)) throw new RefusedForCaller(`${verb} is root's: ${NOT_FOR_MEMBERS}`);
}
