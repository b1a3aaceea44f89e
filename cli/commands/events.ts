/** racker events: what racker did (containers, images, networks, volumes), from its event log. */
import type { CommandModule } from 'yargs';
import { contextFor, repeated, type GlobalArgs } from '../common.js';

interface Args extends GlobalArgs {
  since?: string;
  until?: string;
  filter?: string | string[];
  format?: string;
}

export const eventsCommand: CommandModule<object, Args> = {
  command: 'events',
  describe: 'Get real time events from racker (with --until in the past: the matching old ones, then exit)',
  builder: (y) =>
    y
      .option('since', { type: 'string', describe: 'Show events since a time: 2024-01-02T15:04:05Z, unix seconds, or a duration before now (10m)' })
      .option('until', { type: 'string', describe: 'Stream events until this time (same forms as --since)' })
      .option('filter', { alias: 'f', type: 'string', describe: 'Filter output: type=, event=, container=, image=, network=, volume=, label=, scope= (repeatable)' })
      .option('format', { type: 'string', describe: "Format the output with a Go template ('{{json .}}': one JSON object a line)" }),
  handler: async (args) => {
    const ctx = contextFor(args);
    const [{ parseTimeBound }, { eventFilters, filterFlags }, { parseEventTime, watchEvents }, { eventText, templateValue }] = await Promise.all([
      import('../../lib/container/log-time.js'),
      import('../../lib/events/filter.js'),
      import('../../lib/events/read.js'),
      import('../../lib/events/format.js'),
    ]);
    const now = ctx.clock().getTime();
    const since = args.since !== undefined ? parseEventTime('since', args.since, now, parseTimeBound) : undefined;
    const until = args.until !== undefined ? parseEventTime('until', args.until, now, parseTimeBound) : undefined;
    const filters = eventFilters(filterFlags(repeated(args.filter)));
    const format = args.format?.trim();
    let render = (e: { line: string; message: Parameters<typeof eventText>[0] }) => eventText(e.message);
    if (format === '{{json .}}' || format === 'json') render = (e) => `${e.line}\n`;
    else if (format) {
      const { renderTemplate } = await import('../../lib/format/template.js');
      renderTemplate(format, {}); // a malformed template: one line before any event
      render = (e) => `${renderTemplate(format, templateValue(e.message))}\n`;
    }
    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    process.once('SIGTERM', () => stop.abort());
    // A member (run for them by the service) sees their own containers' events.
    const visible = (await import('../../lib/events/visible.js')).eventsVisibleTo(ctx.caller);
    await watchEvents(ctx.paths, { since, until, filters, signal: stop.signal }, (e) => (!visible || visible(e.message)) && process.stdout.write(render(e)));
  },
};
