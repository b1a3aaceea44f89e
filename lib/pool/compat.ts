/**
 * Which runs a warm (pre-booted) machine can serve. A pooled machine was booted before
 * the run asked for anything: what can be applied to it afterwards is its record (name),
 * its hostname (set inside its UTS namespace), and everything about the command racker
 * execs into it (environment, working directory, user, terminal). What nspawn or the
 * network set up at boot cannot be added later without machined (bind mounts, tmpfs,
 * ports, addresses, cgroup rules, limits): such a run boots a machine of its own.
 */
import type { CreateOptions } from '../container/create.js';

export type PoolFit = { ok: true } | { ok: false; reason: string };

/** What a run must match in the pool itself (its network is fixed at the machines' boot). */
export interface PoolShape {
  network: string;
}

const no = (reason: string): PoolFit => ({ ok: false, reason });
const has = (v: readonly unknown[] | undefined) => v !== undefined && v.length > 0;

/** Pure: the run's options against one pool. The first reason found is given. */
export function poolCompatible(o: CreateOptions, pool: PoolShape): PoolFit {
  if (o.detach) return no('-d: a pooled machine serves a foreground run only');
  if (!o.autoRemove) return no('without --rm the container would be kept after its command, and a pooled machine is never reused');
  if (o.boot === false) return no('--no-boot: pooled machines are booted');
  if ((o.network ?? 'bridge') !== pool.network) return no(`network ${o.network ?? 'bridge'}: the pool's machines are on ${pool.network}`);
  if (has(o.volumes)) return no('-v: a bind mount cannot be added to a booted machine (nspawn needs machined for that)');
  if (has(o.tmpfs)) return no('--tmpfs: a mount cannot be added to a booted machine');
  if (has(o.publish) || o.publishAll) return no('-p/-P: ports are bound when a machine joins its network');
  if (o.ip || o.macAddress || has(o.networkAliases) || has(o.links)) return no('--ip/--mac-address/--network-alias/--link: set when a machine joins its network');
  if (has(o.dns) || has(o.addHosts)) return no('--dns/--add-host: written when a machine joins its network');
  if (has(o.deviceCgroupRules)) return no('--device-cgroup-rule: set in the cgroup before boot');
  if (o.resources && Object.values(o.resources).some((v) => v !== undefined)) return no('resource limits: set in the cgroup before boot');
  if (o.init) return no('--init: systemd is PID 1 of a booted machine');
  if (o.restart !== undefined && o.restart !== 'no' && (typeof o.restart === 'string' || o.restart.name !== 'no')) return no('--restart: a pooled machine is never restarted');
  if (o.pull === 'always') return no('--pull always: the pool boots the image it has');
  if (o.stopSignal || o.stopTimeout !== undefined) return no('--stop-signal/--stop-timeout: a pooled machine is killed when its command ends');
  const h = o.health;
  if (o.healthcheck || (h && Object.values(h).some((v) => v !== undefined))) return no('health check options: the machine runs the image\'s own');
  return { ok: true };
}
