/**
 * How the ls-like commands (ps, network ls, volume ls) print their rows, as docker does:
 * -q the IDs, `--format json` a JSON object a line, a Go template (with `table` headers), or
 * the default table.
 */
import { out } from './common.js';

export interface Listing<R extends object> {
  /** What -q prints. */
  id: (row: R) => string;
  /** Column titles for `--format 'table {{.Field}}'`. */
  headers: Record<string, string>;
  /** The default table: titles and each row's cells. */
  titles: string[];
  cells: (row: R) => string[];
}

export async function printListing<R extends object>(args: { quiet?: boolean; format?: string }, rows: readonly R[], l: Listing<R>): Promise<void> {
  if (args.quiet) {
    if (rows.length) out(rows.map(l.id).join('\n'));
    return;
  }
  if (args.format === 'json') {
    for (const r of rows) out(JSON.stringify(r));
    return;
  }
  if (args.format && args.format !== 'table') {
    const { renderRows } = await import('../lib/format/template.js');
    process.stdout.write(renderRows(args.format, rows as unknown as Parameters<typeof renderRows>[1], l.headers));
    return;
  }
  const { table } = await import('../lib/format/human.js');
  process.stdout.write(table(l.titles, rows.map(l.cells)));
}

/** inspect's output: each value through a Go template (-f), or all of them as indented JSON. */
export async function printInspected(format: string | undefined, values: readonly unknown[]): Promise<void> {
  if (format) {
    const { renderTemplate } = await import('../lib/format/template.js');
    for (const v of values) out(renderTemplate(format, v as Parameters<typeof renderTemplate>[1]));
    return;
  }
  out(JSON.stringify(values, null, 4));
}
