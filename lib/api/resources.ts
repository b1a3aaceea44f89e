/** /containers/{id}/pause, unpause, stats and update (doc/resources.md), answered as dockerd. */
import type { Context } from '../context.js';
import type { ContainerRecord } from '../container/record.js';
import { HOST_CONFIG_FIELDS, resourcesFromHostConfig } from '../container/limits.js';
import { ApiError } from './errors.js';
import { restartPolicyOf, type RestartPolicy } from '../container/restart-policy.js';
import { flag, route, type Route } from './router.js';

/** Update body fields racker can't apply: refused when set, never dropped silently. */
const UPDATE_REFUSED = ['BlkioWeight', 'BlkioWeightDevice', 'BlkioDeviceReadBps', 'BlkioDeviceWriteBps', 'BlkioDeviceReadIOps', 'BlkioDeviceWriteIOps', 'CpuRealtimePeriod', 'CpuRealtimeRuntime', 'CpusetMems', 'MemoryReservation', 'KernelMemory', 'KernelMemoryTCP', 'CpuCount', 'CpuPercent'];

function isSet(v: unknown): boolean {
  if (v === undefined || v === null || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.values(v as object).some(isSet);
  return true;
}

export function resourceRoutes(ctx: Context, find: (id: string) => Promise<ContainerRecord>): Route[] {
  return [
    route('POST', /^\/containers\/([^/]+)\/pause$/, async (x, [id]) => {
      const { pauseContainer } = await import('../container/pause.js');
      await pauseContainer(ctx, await find(id!));
      x.empty(204);
    }),
    route('POST', /^\/containers\/([^/]+)\/unpause$/, async (x, [id]) => {
      const { unpauseContainer } = await import('../container/pause.js');
      await unpauseContainer(ctx, await find(id!));
      x.empty(204);
    }),
    route('POST', /^\/containers\/([^/]+)\/update$/, async (x, [id]) => {
      const record = await find(id!);
      const body = (await x.body()) ?? {};
      if (typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'the update body must be a JSON object');
      const fields = body as Record<string, unknown>;
      const refused = UPDATE_REFUSED.filter((k) => isSet(fields[k]));
      if (refused.length) throw new ApiError(400, `racker can't update ${refused.join(', ')} (only ${Object.values(HOST_CONFIG_FIELDS).join(', ')}, RestartPolicy)`);
      // RestartPolicy with a Name replaces the policy ("no": none); without one it is left as it is, as in dockerd.
      const given = fields.RestartPolicy as { Name?: string; MaximumRetryCount?: number } | null | undefined;
      let restartPolicy: RestartPolicy | null | undefined;
      try {
        restartPolicy = given?.Name ? (restartPolicyOf(given) ?? null) : undefined;
      } catch (err) {
        throw new ApiError(400, err instanceof Error ? err.message : String(err));
      }
      const { updateContainer } = await import('../container/update.js');
      await updateContainer(ctx, record, { resources: resourcesFromHostConfig(fields), ...(restartPolicy !== undefined ? { restartPolicy } : {}) });
      x.json(200, { Warnings: [] });
    }),
    route('GET', /^\/containers\/([^/]+)\/stats$/, async (x, [id]) => {
      const record = await find(id!);
      const stream = flag(x.query, 'stream', true);
      const oneShot = flag(x.query, 'one-shot');
      if (oneShot && stream) throw new ApiError(400, 'cannot have stream=true and one-shot=true');
      const { statsOf } = await import('../container/stats-run.js');
      if (!stream) {
        for await (const s of statsOf(ctx, record, { stream: false, precpu: !oneShot })) x.json(200, s);
        return;
      }
      const out = x.stream(200, 'application/json');
      for await (const s of statsOf(ctx, record, { stream: true, precpu: false, stopped: () => out.closed })) {
        if (out.closed) break;
        out.write(`${JSON.stringify(s)}\n`);
      }
      out.end();
    }),
  ];
}
