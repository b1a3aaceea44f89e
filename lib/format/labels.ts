/**
 * Labels as docker's CLI and filters take them: `--label k=v` (a bare `k` is an empty value)
 * and the `label=k` / `label=k=v` filter. One reading for containers, images, networks and
 * volumes; a label's presence is looked up in the object's own keys, never its prototype's.
 */

/** ["a=1", "b"] → { a: "1", b: "" } (the first '=' splits; a later one belongs to the value). */
export function labelMap(pairs: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    labels[eq < 0 ? p : p.slice(0, eq)] = eq < 0 ? '' : p.slice(eq + 1);
  }
  return labels;
}

/** Does `labels` pass the filter value `k` (has the label) or `k=v` (has it with that value)? */
export function matchesLabel(labels: Readonly<Record<string, string>>, filter: string): boolean {
  const own = new Map(Object.entries(labels));
  const eq = filter.indexOf('=');
  return eq < 0 ? own.has(filter) : own.get(filter.slice(0, eq)) === filter.slice(eq + 1);
}
