/** /networks: racker's networks (lib/net) answered the way dockerd answers. */
import { listContainers } from '../container/record.js';
import { NotFoundError, RackerError, UsageError } from '../errors.js';
import { createBridgeNetwork, inspectNetwork, networkMatches, pruneNetworks, removeNetwork } from '../net/networks.js';
import { findNetwork, listNetworks } from '../net/store.js';
import type { Engine } from './engine.js';
import { ApiError } from './errors.js';
import { filterEntries } from './filters.js';
import { route, type Route } from './router.js';

interface CreateNetworkBody {
  Name?: string;
  Driver?: string;
  Internal?: boolean;
  Labels?: Record<string, string> | null;
  IPAM?: { Config?: { Subnet?: string; Gateway?: string }[] | null } | null;
  EnableIPv6?: boolean;
}

/** ?filters={"name":["web"],"label":["a=b"]} as lib/net's KEY=VALUE filters. */
function filtersOf(text: string | null): string[] {
  return filterEntries(text).flatMap(([key, values]) => values.map((v) => `${key}=${v}`));
}

/** dockerd's statuses for what removing a network can meet. */
function removalStatus(err: unknown): never {
  if (err instanceof UsageError && /pre-defined network/.test(err.message)) throw new ApiError(403, err.message);
  if (err instanceof RackerError && /has active endpoints/.test(err.message)) throw new ApiError(403, err.message);
  throw err;
}

export function networkRoutes(engine: Engine): Route[] {
  const { ctx } = engine;
  return [
    route('GET', /^\/networks$/, async (x) => {
      const filters = filtersOf(x.query.get('filters'));
      const containers = await listContainers(ctx.paths);
      x.json(200, (await listNetworks(ctx.paths)).filter((n) => networkMatches(n, filters)).map((n) => inspectNetwork(n, containers)));
    }),
    route('POST', /^\/networks\/create$/, async (x) => {
      const body = ((await x.body()) ?? {}) as CreateNetworkBody;
      if (!body.Name) throw new ApiError(400, 'network name is required');
      if (body.EnableIPv6) throw new ApiError(400, 'racker networks are IPv4 only (EnableIPv6)');
      const ipam = body.IPAM?.Config?.[0];
      try {
        const network = await createBridgeNetwork(ctx, {
          name: body.Name,
          ...(body.Driver ? { driver: body.Driver } : {}),
          internal: Boolean(body.Internal),
          labels: body.Labels ?? {},
          ...(ipam?.Subnet ? { subnet: ipam.Subnet } : {}),
          ...(ipam?.Gateway ? { gateway: ipam.Gateway } : {}),
        });
        x.json(201, { Id: network.id, Warning: '' });
      } catch (err) {
        if (err instanceof RackerError && /already exists/.test(err.message)) throw new ApiError(409, err.message);
        throw err;
      }
    }),
    route('POST', /^\/networks\/prune$/, async (x) => {
      x.json(200, { NetworksDeleted: (await pruneNetworks(ctx)).map((n) => n.name) });
    }),
    route('POST', /^\/networks\/([^/]+)\/(connect|disconnect)$/, async (x, [id, verb]) => {
      const body = ((await x.body()) ?? {}) as { Container?: string; Force?: boolean; EndpointConfig?: { Aliases?: string[] | null; IPAMConfig?: { IPv4Address?: string } | null } | null };
      if (!body.Container) throw new ApiError(400, 'container is required');
      const { connectContainer, disconnectContainer } = await import('../net/connect.js');
      const network = await findNetwork(ctx.paths, id!);
      if (verb === 'connect') {
        const ep = body.EndpointConfig ?? {};
        await connectContainer(ctx, body.Container, network.id, { aliases: ep.Aliases ?? [], ...(ep.IPAMConfig?.IPv4Address ? { ip: ep.IPAMConfig.IPv4Address } : {}) });
      } else await disconnectContainer(ctx, body.Container, network.id);
      x.empty(200);
    }),
    route('GET', /^\/networks\/([^/]+)$/, async (x, [id]) => {
      const network = await findNetwork(ctx.paths, id!).catch((err: unknown) => {
        throw err instanceof NotFoundError ? new NotFoundError(`network ${id} not found`) : err;
      });
      x.json(200, inspectNetwork(network, await listContainers(ctx.paths)));
    }),
    route('DELETE', /^\/networks\/([^/]+)$/, async (x, [id]) => {
      await removeNetwork(ctx, id!).catch(removalStatus);
      x.empty(204);
    }),
  ];
}
