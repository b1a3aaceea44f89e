/**
 * Checking a request body's fields before anything is done with them: a wrong type is a 400
 * naming the field, as dockerd's JSON decoding answers, never a value used as something else.
 */
import { ApiError } from './errors.js';

type Body = Record<string, unknown>;

export function asBody(value: unknown): Body {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new ApiError(400, 'the request body must be a JSON object');
  return value as Body;
}

function wrongType(field: string, want: string): ApiError {
  return new ApiError(400, `json: cannot unmarshal ${field}: want ${want}`);
}

export function optionalString(body: Body, field: string): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw wrongType(field, 'a string');
  return v;
}

export function optionalBoolean(body: Body, field: string): boolean | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw wrongType(field, 'a boolean');
  return v;
}

export function stringMap(body: Body, field: string): Record<string, string> {
  const v = body[field];
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) throw wrongType(field, 'an object of strings');
  return v as Record<string, string>;
}

export function stringList(body: Body, field: string): string[] {
  const v = body[field];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw wrongType(field, 'a list of strings');
  return v as string[];
}

export function optionalObject(body: Body, field: string): Body | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  return asBody(v);
}
