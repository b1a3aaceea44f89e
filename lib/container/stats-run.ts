/** Samples for `stats` (CLI and API): one answer, or a stream of them a second apart, as dockerd. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from '../context.js';
import { readContainer, type ContainerRecord } from './record.js';
import { hostMemory, sampleContainer, statsJson, type RawSample } from './stats.js';

export const STATS_INTERVAL_MS = 1000;

/**
 * Yields docker's stats JSON: with `precpu`, the first answer waits for a second sample (so
 * CPU % can be computed: dockerd's stream=false); otherwise at once with empty precpu_stats
 * (one-shot). `stream` goes on until `stopped()` or the container's record is gone.
 */
export async function* statsOf(
  ctx: Context,
  record: ContainerRecord,
  o: { stream: boolean; precpu: boolean; stopped?: () => boolean },
): AsyncGenerator<Record<string, unknown>> {
  let current: ContainerRecord = record;
  let pre: RawSample | undefined;
  if (o.precpu) {
    pre = sampleContainer(current, ctx.clock());
    if (pre) await sleep(STATS_INTERVAL_MS);
  }
  for (;;) {
    current = (await readContainer(ctx.paths, record.id)) ?? current;
    const raw = sampleContainer(current, ctx.clock());
    yield statsJson(current, raw, pre, hostMemory());
    if (!o.stream || o.stopped?.()) return;
    pre = raw;
    await sleep(STATS_INTERVAL_MS);
    if (o.stopped?.() || !(await readContainer(ctx.paths, record.id))) return;
  }
}
