/** GET /events: the event log (lib/events) streamed as dockerd streams it, one JSON object a line. */
import { parseTimeBound } from '../container/log-time.js';
import { eventFilters } from '../events/filter.js';
import { parseEventTime, watchEvents } from '../events/read.js';
import { eventsVisibleTo } from '../events/visible.js';
import type { Engine } from './engine.js';
import { ApiError } from './errors.js';
import { filterEntries } from './filters.js';
import { route, type Route } from './router.js';

export function eventRoutes(engine: Engine): Route[] {
  const { ctx } = engine;
  return [
    route('GET', /^\/events$/, async (x) => {
      const now = ctx.clock().getTime();
      const bound = (name: string) => {
        const v = x.query.get(name);
        return v ? parseEventTime(name, v, now, parseTimeBound) : undefined;
      };
      const since = bound('since');
      const until = bound('until');
      const filters = eventFilters(filterEntries(x.query.get('filters')));
      // Refused before the answer starts (watchEvents would say it too, after the headers).
      if (since !== undefined && until !== undefined && until < since) throw new ApiError(400, `since time (${x.query.get('since')}) cannot be after until time (${x.query.get('until')})`);
      const out = x.stream(200, 'application/json');
      const stop = new AbortController();
      out.onClose(() => stop.abort());
      try {
        const visible = eventsVisibleTo(ctx.caller);
        await watchEvents(ctx.paths, { since, until, filters, signal: stop.signal }, (e) => (!visible || visible(e.message)) && out.write(`${e.line}\n`));
      } finally {
        out.end();
      }
    }),
  ];
}
