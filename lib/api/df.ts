/**
 * GET /system/df and `racker system df`: what racker's store holds, in dockerd's
 * SystemDataUsage shape. Images are unpacked trees (their size; racker's images share no
 * layers, so SharedSize 0), containers their upper directory (what they wrote), local
 * volumes their _data tree; racker has no build cache.
 */
import { listContainers } from '../container/record.js';
import { containerSize } from '../container/size.js';
import { humanSize } from '../format/human.js';
import { listImages, treeSize } from '../image/store.js';
import { listVolumes, usersOf, volumeData } from '../volume/store.js';
import { containerSummary } from './container-json.js';
import type { Engine } from './engine.js';
import { imageSummary, namesById } from './images.js';

export interface DataUsage {
  LayersSize: number;
  Images: Record<string, unknown>[];
  Containers: Record<string, unknown>[];
  Volumes: Record<string, unknown>[];
  BuildCache: unknown[];
}

export async function dataUsage(engine: Pick<Engine, 'ctx' | 'meta'>): Promise<DataUsage> {
  const { ctx } = engine;
  const [images, containers, volumes, names] = await Promise.all([listImages(ctx.paths), listContainers(ctx.paths), listVolumes(ctx.paths), namesById(ctx.paths)]);
  const now = ctx.clock().getTime();
  const imageRows = images.map((r) => ({ ...imageSummary(r, names.get(r.id), containers.filter((c) => c.image.id === r.id).length), SharedSize: 0 }));
  const containerRows = await Promise.all(
    containers.map(async (r) => ({ ...containerSummary(r, await engine.meta(r.id), now), ...(await containerSize(ctx, r)) })),
  );
  const volumeRows = await Promise.all(
    volumes.map(async (v) => ({ ...v, UsageData: { Size: await treeSize(volumeData(ctx.paths, v.Name)).catch(() => -1), RefCount: usersOf(ctx.paths, v.Name, containers).length } })),
  );
  return { LayersSize: images.reduce((n, r) => n + r.size, 0), Images: imageRows, Containers: containerRows, Volumes: volumeRows, BuildCache: [] };
}

export interface UsageRow {
  Type: string;
  TotalCount: string;
  Active: string;
  Size: string;
  Reclaimable: string;
}

/** docker's "12.3MB (45%)": the percentage of the total, rounded down; no percentage of nothing. */
function reclaimable(bytes: number, total: number): string {
  const size = humanSize(bytes, 4);
  return total > 0 ? `${size} (${Math.floor((bytes * 100) / total)}%)` : size;
}

/** The summary rows of `system df` (docker's diskUsage*Context), sizes as go-units' HumanSize. */
export function usageRows(u: DataUsage): UsageRow[] {
  // docker marshals these rows from a map: {{json .}} shows the keys sorted.
  return unsortedRows(u).map((r) => ({ Active: r.Active, Reclaimable: r.Reclaimable, Size: r.Size, TotalCount: r.TotalCount, Type: r.Type }));
}

function unsortedRows(u: DataUsage): UsageRow[] {
  const num = (v: unknown) => (typeof v === 'number' && v > 0 ? v : 0);
  const imageTotal = u.Images.reduce((n, i) => n + num(i.Size), 0);
  const imageUsed = u.Images.filter((i) => num(i.Containers) > 0);
  const containerTotal = u.Containers.reduce((n, c) => n + num(c.SizeRw), 0);
  const running = u.Containers.filter((c) => c.State === 'running');
  const volumeSize = (v: Record<string, unknown>) => num((v.UsageData as { Size: number }).Size);
  const volumeRefs = (v: Record<string, unknown>) => (v.UsageData as { RefCount: number }).RefCount;
  const volumeTotal = u.Volumes.reduce((n, v) => n + volumeSize(v), 0);
  const imageReclaimable = imageTotal - imageUsed.reduce((n, i) => n + num(i.Size), 0);
  return [
    { Type: 'Images', TotalCount: String(u.Images.length), Active: String(imageUsed.length), Size: humanSize(imageTotal, 4), Reclaimable: reclaimable(imageReclaimable, imageTotal) },
    {
      Type: 'Containers',
      TotalCount: String(u.Containers.length),
      Active: String(running.length),
      Size: humanSize(containerTotal, 4),
      Reclaimable: reclaimable(containerTotal - running.reduce((n, c) => n + num(c.SizeRw), 0), containerTotal),
    },
    {
      Type: 'Local Volumes',
      TotalCount: String(u.Volumes.length),
      Active: String(u.Volumes.filter((v) => volumeRefs(v) > 0).length),
      Size: humanSize(volumeTotal, 4),
      Reclaimable: reclaimable(u.Volumes.filter((v) => volumeRefs(v) === 0).reduce((n, v) => n + volumeSize(v), 0), volumeTotal),
    },
    { Type: 'Build Cache', TotalCount: '0', Active: '0', Size: '0B', Reclaimable: '0B' },
  ];
}

