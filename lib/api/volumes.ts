/** /volumes: racker's volumes (lib/volume) answered the way dockerd answers. */
import { listContainers } from '../container/record.js';
import { createVolume, findVolume, listVolumes, pruneVolumes, removeVolume, usersOf } from '../volume/store.js';
import type { Engine } from './engine.js';
import { asBody, optionalString, stringMap } from './body.js';
import { matchesLabel } from '../format/labels.js';
import { ApiError } from './errors.js';
import { filterEntries } from './filters.js';
import { flag, memberRoute, route, type Route } from './router.js';

/** ?filters={"name":["x"],"label":["a=b"],"dangling":["true"]} → a predicate. */
function filterOf(text: string | null): (v: { Name: string; Labels: Record<string, string> }, inUse: boolean) => boolean {
  const f = filterEntries(text);
  for (const [k] of f) if (!['name', 'label', 'dangling', 'driver'].includes(k)) throw new ApiError(400, `invalid filter '${k}'`);
  return (v, inUse) =>
    f.every(([k, values]) =>
      values.some((x) => {
        if (k === 'name') return v.Name.includes(x);
        if (k === 'driver') return x === 'local';
        if (k === 'dangling') return (x === 'true' || x === '1') === !inUse;
        return matchesLabel(v.Labels, x);
      }),
    );
}

export function volumeRoutes(engine: Engine): Route[] {
  const { ctx } = engine;
  return [
    memberRoute('GET', /^\/volumes$/, async (x) => {
      const matches = filterOf(x.query.get('filters'));
      const containers = await listContainers(ctx.paths);
      const volumes = (await listVolumes(ctx.paths)).filter((v) => matches(v, usersOf(ctx.paths, v.Name, containers).length > 0));
      x.json(200, { Volumes: volumes, Warnings: [] });
    }),
    memberRoute('POST', /^\/volumes\/create$/, async (x) => {
      const body = asBody(await x.body());
      const name = optionalString(body, 'Name');
      const driver = optionalString(body, 'Driver');
      x.json(201, await createVolume(ctx, { ...(name ? { name } : {}), labels: stringMap(body, 'Labels'), ...(driver ? { driver } : {}) }));
    }),
    route('POST', /^\/volumes\/prune$/, async (x) => {
      const all = filterEntries(x.query.get('filters')).some(([k, v]) => k === 'all' && (v.includes('true') || v.includes('1')));
      x.json(200, { VolumesDeleted: await pruneVolumes(ctx, await listContainers(ctx.paths), all), SpaceReclaimed: 0 });
    }),
    memberRoute('GET', /^\/volumes\/([^/]+)$/, async (x, [name]) => x.json(200, await findVolume(ctx.paths, name!))),
    memberRoute('DELETE', /^\/volumes\/([^/]+)$/, async (x, [name]) => {
      // A volume in use is a ConflictError: 409, as dockerd.
      await removeVolume(ctx, name!, await listContainers(ctx.paths), flag(x.query, 'force'));
      x.empty(204);
    }),
  ];
}
