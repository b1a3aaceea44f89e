/**
 * The `?filters=` query of list endpoints: a JSON object of key → values, as {"k":["v"]} or the
 * old {"k":{"v":true}}. One reading for every endpoint; each decides which keys it takes.
 */
import { ApiError } from './errors.js';

/** [key, values] pairs; nothing for an absent query; 400 for one that is not such JSON. */
export function filterEntries(text: string | null): [string, string[]][] {
  if (!text) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ApiError(400, 'invalid filter');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ApiError(400, 'invalid filter');
  return Object.entries(parsed as Record<string, unknown>).map(([key, value]) => {
    if (Array.isArray(value)) return [key, value.map(String)];
    if (value && typeof value === 'object') return [key, Object.keys(value).filter((k) => (value as Record<string, unknown>)[k])];
    throw new ApiError(400, `invalid filter '${key}'`);
  });
}
