/** `racker system df` as text: docker's summary table, or with -v a section per kind. */
import type { DataUsage } from '../api/df.js';
import { usageRows } from '../api/df.js';
import { humanDuration, humanSize } from '../format/human.js';
import { renderRows } from '../format/template.js';

const SUMMARY = 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}';
const SUMMARY_HEADERS = { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' };

/** The summary through `format` (docker's table by default; `{{json .}}` a line per kind). */
export function summaryText(u: DataUsage, format = SUMMARY): string {
  return renderRows(format === 'table' ? SUMMARY : format, usageRows(u), SUMMARY_HEADERS);
}

const ago = (now: number, seconds: number) => `${humanDuration(now - seconds * 1000)} ago`;
const n = (v: unknown) => (typeof v === 'number' ? v : 0);

/** -v: images, containers, local volumes and the (empty) build cache, as docker's verboseWriteTable. */
export function verboseText(u: DataUsage, now: number): string {
  const images = u.Images.map((i) => {
    const tag = (i.RepoTags as string[])[0];
    const colon = tag ? tag.lastIndexOf(':') : -1;
    return {
      Repository: tag ? tag.slice(0, colon) : '<none>',
      Tag: tag ? tag.slice(colon + 1) : '<none>',
      ID: String(i.Id).replace(/^sha256:/, '').slice(0, 12),
      CreatedSince: ago(now, n(i.Created)),
      Size: humanSize(n(i.Size)),
      SharedSize: humanSize(n(i.SharedSize)),
      UniqueSize: humanSize(n(i.Size) - n(i.SharedSize)),
      Containers: String(i.Containers),
    };
  });
  const containers = u.Containers.map((c) => {
    const command = String(c.Command);
    return {
      ID: String(c.Id).slice(0, 12),
      Image: c.Image,
      Command: `"${command.length > 20 ? `${command.slice(0, 19)}…` : command}"`,
      LocalVolumes: String((c.Mounts as { Source: string }[]).filter((m) => m.Source.includes('/volumes/')).length),
      Size: humanSize(n(c.SizeRw)),
      RunningFor: ago(now, n(c.Created)),
      Status: c.Status,
      Names: (c.Names as string[]).map((x) => x.replace(/^\//, '')).join(','),
    };
  });
  const volumes = u.Volumes.map((v) => {
    const usage = v.UsageData as { Size: number; RefCount: number };
    return { Name: v.Name, Links: String(usage.RefCount), Size: humanSize(Math.max(usage.Size, 0), 4) };
  });
  return [
    'Images space usage:\n\n',
    renderRows('table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}', images, {
      ID: 'IMAGE ID',
      CreatedSince: 'CREATED',
      SharedSize: 'SHARED SIZE',
      UniqueSize: 'UNIQUE SIZE',
    }),
    '\nContainers space usage:\n\n',
    renderRows('table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}', containers, {
      ID: 'CONTAINER ID',
      LocalVolumes: 'LOCAL VOLUMES',
      RunningFor: 'CREATED',
    }),
    '\nLocal Volumes space usage:\n\n',
    renderRows('table {{.Name}}\t{{.Links}}\t{{.Size}}', volumes, { Name: 'VOLUME NAME' }),
    '\nBuild cache usage: 0B\n\n',
    renderRows('table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}', [], {
      ID: 'CACHE ID',
      CacheType: 'CACHE TYPE',
      CreatedSince: 'CREATED',
      LastUsedSince: 'LAST USED',
      UsageCount: 'USAGE',
    }),
  ].join('');
}
