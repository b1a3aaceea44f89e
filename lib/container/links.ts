/**
 * Legacy links (`--link NAME[:ALIAS]`, HostConfig.Links): docker's environment variables
 * describing the linked container (its address, exposed ports, environment), an /etc/hosts
 * line for the alias (lib/net/hosts.ts), and `rm --link` / DELETE ?link=1 to drop one.
 * Kept in the record by the linked container's ID; its name is looked up when used, so a
 * rename follows. The variables are made at each start from the linked container as it is then.
 */
import type { Context } from '../context.js';
import { NotFoundError, RackerError, UsageError } from '../errors.js';
import { readImage } from '../image/store.js';
import { exposedPorts } from '../net/ports.js';
import { findContainer, liveState, readContainer, writeContainer, type ContainerLink, type ContainerRecord } from './record.js';

/** "name:alias", or "name" (the alias is then the name); a leading "/" is docker's and dropped. */
export function parseLink(spec: string): { name: string; alias: string } {
  const [name, alias, ...rest] = spec.split(':').map((p) => p.replace(/^\//, ''));
  if (!name || rest.length || alias === '') throw new UsageError(`invalid link format: ${spec} (NAME[:ALIAS])`);
  return { name, alias: alias ?? name };
}

export interface LinkedPort {
  port: number;
  protocol: string;
}

/** tcp before other protocols, then by number: docker's order, which also decides <ALIAS>_PORT. */
function byTcpFirst(a: LinkedPort, b: LinkedPort): number {
  if (a.protocol !== b.protocol) return a.protocol === 'tcp' ? -1 : b.protocol === 'tcp' ? 1 : a.protocol.localeCompare(b.protocol);
  return a.port - b.port;
}

/**
 * The variables docker sets for one link: <ALIAS>_PORT (the first port), four per port,
 * _START/_END pairs for runs of consecutive ports, <ALIAS>_NAME=/<parent>/<alias>, and
 * <ALIAS>_ENV_<VAR> for the linked container's environment but HOME and PATH.
 */
export function linkEnv(parent: string, alias: string, child: { address: string; env: readonly string[]; ports: readonly LinkedPort[] }): string[] {
  const prefix = alias.toUpperCase().replace(/-/g, '_');
  const ports = [...child.ports].sort(byTcpFirst);
  const env: string[] = [];
  const url = (p: LinkedPort) => `${p.protocol}://${child.address}:${p.port}`;
  if (ports[0]) env.push(`${prefix}_PORT=${url(ports[0])}`);
  // A run of consecutive ports of one protocol also gets _START/_END, written (as docker does)
  // once the run has ended: after the first port past it, or after its last port at the end.
  let runStart = ports[0]!;
  let runEnd = ports[0]!;
  ports.forEach((p, i) => {
    const name = `${prefix}_PORT_${p.port}_${p.protocol.toUpperCase()}`;
    env.push(`${name}=${url(p)}`, `${name}_ADDR=${child.address}`, `${name}_PORT=${p.port}`, `${name}_PROTO=${p.protocol}`);
    if (i > 0 && p.protocol === runStart.protocol && p.port === runEnd.port + 1) {
      runEnd = p;
      if (i < ports.length - 1) return;
    }
    if (runEnd !== runStart) {
      const range = `${prefix}_PORT_${runStart.port}_${runStart.protocol.toUpperCase()}`;
      env.push(`${range}_START=${url(runStart)}`, `${range}_PORT_START=${runStart.port}`, `${range}_END=${url(runEnd)}`, `${range}_PORT_END=${runEnd.port}`);
    }
    runStart = runEnd = p;
  });
  env.push(`${prefix}_NAME=/${parent}/${alias}`);
  for (const e of child.env) {
    const eq = e.indexOf('=');
    if (eq < 0) continue;
    const key = e.slice(0, eq);
    if (key !== 'HOME' && key !== 'PATH') env.push(`${prefix}_ENV_${key}=${e.slice(eq + 1)}`);
  }
  return env;
}

/** At create: each link names an existing container, not the new one's own name; host and none have no links. */
export async function resolveLinks(ctx: Context, specs: readonly string[], network: string, ownName?: string): Promise<ContainerLink[]> {
  if (!specs.length) return [];
  if (network === 'host' || network === 'none') throw new UsageError(`conflicting options: ${network} type networking can't be used with links. This would result in undefined behavior`);
  const links: ContainerLink[] = [];
  for (const spec of specs) {
    const { name, alias } = parseLink(spec);
    if (name === ownName) throw new UsageError(`Cannot link to self: ${name}`);
    let child: ContainerRecord;
    try {
      child = await findContainer(ctx, name);
    } catch (err) {
      if (err instanceof NotFoundError) throw new NotFoundError(`could not get container for ${name}: No such container: ${name}`);
      throw err;
    }
    if (links.some((l) => l.alias === alias)) throw new UsageError(`duplicate link alias: ${alias}`);
    links.push({ id: child.id, name: child.name, alias });
  }
  return links;
}

/** The linked container of one link as it is now, running on the same network as `parent`. */
async function runningChild(ctx: Context, parent: ContainerRecord, link: ContainerLink): Promise<{ child: ContainerRecord; address: string }> {
  const child = await readContainer(ctx.paths, link.id);
  const endpoint = child && liveState(child).status === 'running' ? child.state.endpoint : undefined;
  if (!child || !endpoint) throw new RackerError(`Cannot link to a non running container: /${child?.name ?? link.id.slice(0, 12)} AS /${parent.name}/${link.alias}`);
  return { child, address: endpoint.address };
}

/** The variables of all of a container's links, from the linked containers as they are at its start (refused when one is not running, as docker). */
export async function linkEnvAtStart(ctx: Context, record: ContainerRecord): Promise<string[]> {
  const env: string[] = [];
  for (const link of record.config.links ?? []) {
    const { child, address } = await runningChild(ctx, record, link);
    const image = await readImage(ctx.paths, child.config.imageId.replace(/^sha256:/, '')).catch(() => undefined);
    const specs = [...exposedPorts(image?.config.ExposedPorts), ...(child.config.publish ?? [])];
    const ports = [...new Map(specs.map((s) => [`${s.containerPort}/${s.protocol}`, { port: s.containerPort, protocol: s.protocol }])).values()];
    env.push(...linkEnv(record.name, link.alias, { address, env: child.config.env, ports }));
  }
  return env;
}


/** `rm --link PARENT/ALIAS` (DELETE /containers/PARENT/ALIAS?link=1): the link goes from PARENT's record, both containers stay. */
export async function removeLink(ctx: Context, linkName: string): Promise<ContainerRecord> {
  const m = /^\/?([^/]+)\/([^/]+)$/.exec(linkName);
  if (!m) throw new UsageError(`Conflict, cannot remove the default link name of the container: ${linkName}`);
  const parent = await findContainer(ctx, m[1]!);
  const links = parent.config.links ?? [];
  const kept = links.filter((l) => l.alias !== m[2]);
  if (kept.length === links.length) throw new NotFoundError(`Could not find link /${parent.name}/${m[2]}`);
  const fresh = (await readContainer(ctx.paths, parent.id)) ?? parent;
  fresh.config.links = (fresh.config.links ?? []).filter((l) => l.alias !== m[2]);
  if (!fresh.config.links.length) delete fresh.config.links;
  await writeContainer(ctx.paths, fresh);
  return fresh;
}
