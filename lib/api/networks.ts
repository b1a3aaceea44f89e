/** /networks: racker's networks (lib/net) answered the way dockerd answers. */
import { listContainers } from '../container/record.js';
import { NotFoundError } from '../errors.js';
import { createBridgeNetwork, inspectNetwork, networkMatches, pruneNetworks, removeNetwork } from '../net/networks.js';
import { findNetwork, listNetworks } from '../net/store.js';
import type { Engine } from './engine.js';
import { asBody, optionalBoolean, optionalObject, optionalString, stringList, stringMap } from './body.js';
import { ApiError } from './errors.js';
import { filterEntries } from './filters.js';
import { memberRoute, route, type Route } from './router.js';


/** ?filters={"name":["web"],"label":["a=b"]} as lib/net's KEY=VALUE filters. */
function filtersOf(text: string | null): string[] {
  return filterEntries(text).flatMap(([key, values]) => values.map((v) => `${key}=${v}`));
}

export function networkRoutes(engine: Engine): Route[] {
  const { ctx } = engine;
  return [
    memberRoute('GET', /^\/networks$/, async (x) => {
      const filters = filtersOf(x.query.get('filters'));
      const containers = await listContainers(ctx.paths);
      x.json(200, (await listNetworks(ctx.paths)).filter((n) => networkMatches(n, filters)).map((n) => inspectNetwork(n, containers)));
    }),
    route('POST', /^\/networks\/create$/, async (x) => {
      const body = asBody(await x.body());
      const name = optionalString(body, 'Name');
      if (!name) throw new ApiError(400, 'network name is required');
      if (optionalBoolean(body, 'EnableIPv6')) throw new ApiError(400, 'racker networks are IPv4 only (EnableIPv6)');
      const configs = optionalObject(body, 'IPAM')?.Config;
      if (configs !== undefined && configs !== null && !Array.isArray(configs)) throw new ApiError(400, 'json: cannot unmarshal IPAM.Config: want a list');
      if (Array.isArray(configs) && configs.length > 1) throw new ApiError(400, 'racker networks have one subnet (IPAM.Config has more)');
      const ipam = Array.isArray(configs) && configs.length ? asBody(configs[0]) : {};
      const subnet = optionalString(ipam, 'Subnet');
      const gateway = optionalString(ipam, 'Gateway');
      const driver = optionalString(body, 'Driver');
      const network = await createBridgeNetwork(ctx, {
        name,
        ...(driver ? { driver } : {}),
        internal: Boolean(optionalBoolean(body, 'Internal')),
        labels: stringMap(body, 'Labels'),
        ...(subnet ? { subnet } : {}),
        ...(gateway ? { gateway } : {}),
      });
      x.json(201, { Id: network.id, Warning: '' });
    }),
    route('POST', /^\/networks\/prune$/, async (x) => {
      x.json(200, { NetworksDeleted: (await pruneNetworks(ctx)).map((n) => n.name) });
    }),
    memberRoute('POST', /^\/networks\/([^/]+)\/(connect|disconnect)$/, async (x, [id, verb]) => {
      const body = asBody(await x.body());
      const container = optionalString(body, 'Container');
      if (!container) throw new ApiError(400, 'container is required');
      const endpoint = optionalObject(body, 'EndpointConfig') ?? {};
      const aliases = stringList(endpoint, 'Aliases');
      const ip = optionalString(optionalObject(endpoint, 'IPAMConfig') ?? {}, 'IPv4Address');
      const { connectContainer, disconnectContainer } = await import('../net/connect.js');
      const network = await findNetwork(ctx.paths, id!);
      if (verb === 'connect') await connectContainer(ctx, container, network.id, { aliases, ...(ip ? { ip } : {}) });
      else await disconnectContainer(ctx, container, network.id);
      x.empty(200);
    }),
    memberRoute('GET', /^\/networks\/([^/]+)$/, async (x, [id]) => {
      const network = await findNetwork(ctx.paths, id!).catch((err: unknown) => {
        throw err instanceof NotFoundError ? new NotFoundError(`network ${id} not found`) : err;
      });
      x.json(200, inspectNetwork(network, await listContainers(ctx.paths)));
    }),
    route('DELETE', /^\/networks\/([^/]+)$/, async (x, [id]) => {
      await removeNetwork(ctx, id!); // a pre-defined network, or one in use: ForbiddenError, 403
      x.empty(204);
    }),
  ];
}
