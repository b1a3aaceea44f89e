/**
 * `racker history` / GET /images/{name}/history: one row per step of the image config's
 * history, newest first, each non-empty step paired with its layer (docker's rule). Images
 * racker made without a registry (import, labels) have a single step.
 */
export interface HistoryStep {
  created?: string;
  created_by?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface HistoryRow {
  /** The image ID on the newest row, "<missing>" on the others (docker has no IDs for them). */
  id: string;
  created?: string;
  createdBy: string;
  size: number;
  comment: string;
  /** The image's names, on the newest row only. */
  tags: string[];
}

export function historyRows(id: string, steps: readonly HistoryStep[], layerSizes: readonly number[], tags: readonly string[]): HistoryRow[] {
  let layer = 0;
  const rows = steps.map((s) => {
    const size = s.empty_layer ? 0 : (layerSizes[layer++] ?? 0);
    return { id: '<missing>', ...(s.created ? { created: s.created } : {}), createdBy: s.created_by ?? '', size, comment: s.comment ?? '', tags: [] as string[] };
  });
  // Layers without a history step (a config that lists none): one row each, as docker shows them.
  while (layer < layerSizes.length) rows.push({ id: '<missing>', createdBy: '', size: layerSizes[layer++]!, comment: '', tags: [] });
  rows.reverse();
  if (rows[0]) {
    rows[0].id = id;
    rows[0].tags = [...tags];
  }
  return rows;
}

/** The history steps of a config blob, whatever it holds. */
export function historySteps(config: unknown): HistoryStep[] {
  const h = (config as { history?: unknown } | null)?.history;
  if (!Array.isArray(h)) return [];
  return h.map((raw) => {
    const s = (raw ?? {}) as Record<string, unknown>;
    return {
      ...(typeof s.created === 'string' ? { created: s.created } : {}),
      ...(typeof s.created_by === 'string' ? { created_by: s.created_by } : {}),
      ...(typeof s.comment === 'string' ? { comment: s.comment } : {}),
      ...(s.empty_layer === true ? { empty_layer: true } : {}),
    };
  });
}

/** docker's CREATED BY column: one line, cut to 45 characters with "…" unless --no-trunc. */
export function createdByCell(text: string, noTrunc: boolean): string {
  const line = text.replace(/\s+/g, ' ').trim();
  if (noTrunc || line.length <= 45) return line;
  return `${line.slice(0, 44)}…`;
}
