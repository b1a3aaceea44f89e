/**
 * Reading the shared OCI layout that skopeo writes: which manifest a tag points at,
 * and the image config (Env, Cmd, …) — validated here, typed everywhere else.
 */
import { createHash } from '../startup/builtins.js';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { RackerError } from '../errors.js';
import type { DockerHealthcheck } from '../container/health.js';
import type { Context } from '../context.js';
import { withLock } from '../state/lock.js';
import { gcArgv, removeTagArgv } from '../tools/umoci.js';
import { isLabelKey } from './names.js';

/** Runtime settings from the image config, in docker's field names. */
export interface ImageConfig {
  Env?: string[];
  Cmd?: string[];
  Entrypoint?: string[];
  WorkingDir?: string;
  User?: string;
  Labels?: Record<string, string>;
  ExposedPorts?: Record<string, object>;
  StopSignal?: string;
  /** HEALTHCHECK: Test and durations in nanoseconds, as docker stores it. */
  Healthcheck?: DockerHealthcheck;
}

export interface LayoutImage {
  manifestDigest: string;
  configDigest: string;
  config: ImageConfig;
  created?: string;
  architecture?: string;
  os?: string;
  variant?: string;
  layers: number;
}

/** OCI layout tags allow only [A-Za-z0-9._-]; keep them readable and collision-free. */
export function layoutTag(key: string): string {
  const readable = key.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80);
  return `${readable}-${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
}

function blobPath(layout: string, digest: string): string {
  const m = /^(sha256|sha512):([a-f0-9]+)$/.exec(digest);
  if (!m) throw new RackerError(`unexpected digest ${JSON.stringify(digest)} in OCI layout`);
  return path.join(layout, 'blobs', m[1]!, m[2]!);
}

async function readJsonBlob(layout: string, digest: string): Promise<Record<string, unknown>> {
  const text = await fs.readFile(blobPath(layout, digest), 'utf8');
  const value: unknown = JSON.parse(text);
  if (!value || typeof value !== 'object') throw new RackerError(`blob ${digest} is not a JSON object`);
  return value as Record<string, unknown>;
}

function stringArray(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
}

function stringRecord(v: unknown): Record<string, string> | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}

export function parseImageConfig(raw: unknown): ImageConfig {
  const c = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const config: ImageConfig = {};
  const env = stringArray(c.Env);
  if (env) config.Env = env;
  const cmd = stringArray(c.Cmd);
  if (cmd) config.Cmd = cmd;
  const ep = stringArray(c.Entrypoint);
  if (ep) config.Entrypoint = ep;
  if (typeof c.WorkingDir === 'string' && c.WorkingDir) config.WorkingDir = c.WorkingDir;
  if (typeof c.User === 'string' && c.User) config.User = c.User;
  const labels = stringRecord(c.Labels);
  if (labels && Object.keys(labels).length) config.Labels = labels;
  if (c.ExposedPorts && typeof c.ExposedPorts === 'object') config.ExposedPorts = c.ExposedPorts as Record<string, object>;
  if (typeof c.StopSignal === 'string') config.StopSignal = c.StopSignal;
  const h = c.Healthcheck as Record<string, unknown> | undefined;
  if (h && typeof h === 'object') {
    const test = stringArray(h.Test);
    const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
    config.Healthcheck = {
      ...(test ? { Test: test } : {}),
      ...(num(h.Interval) ? { Interval: h.Interval } : {}),
      ...(num(h.Timeout) ? { Timeout: h.Timeout } : {}),
      ...(num(h.StartPeriod) ? { StartPeriod: h.StartPeriod } : {}),
      ...(num(h.Retries) ? { Retries: h.Retries } : {}),
    };
  }
  return config;
}

export async function readLayoutImage(layout: string, tag: string): Promise<LayoutImage> {
  const index = JSON.parse(await fs.readFile(path.join(layout, 'index.json'), 'utf8')) as {
    manifests?: { digest?: string; annotations?: Record<string, string> }[];
  };
  const entry = (index.manifests ?? []).find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
  if (!entry?.digest) throw new RackerError(`tag ${tag} is missing from the OCI layout ${layout}`);
  const manifest = await readJsonBlob(layout, entry.digest);
  const configDesc = manifest.config as { digest?: string } | undefined;
  if (!configDesc?.digest) throw new RackerError(`manifest ${entry.digest} has no config`);
  const config = await readJsonBlob(layout, configDesc.digest);
  return {
    manifestDigest: entry.digest,
    configDigest: configDesc.digest,
    config: parseImageConfig(config.config),
    ...(typeof config.created === 'string' ? { created: config.created } : {}),
    ...(typeof config.architecture === 'string' ? { architecture: config.architecture } : {}),
    ...(typeof config.os === 'string' ? { os: config.os } : {}),
    ...(typeof config.variant === 'string' && config.variant ? { variant: config.variant } : {}),
    layers: Array.isArray(manifest.layers) ? manifest.layers.length : 0,
  };
}

/** Forget the tag in the shared OCI layout and collect blobs nothing refers to any more. */
export async function dropLayoutTag(ctx: Context, key: string): Promise<void> {
  // Labels are provisioned images: they have no tag in the OCI layout.
  if (isLabelKey(key)) return;
  await withLock(ctx.paths.lock('oci-layout'), async () => {
    const r = await ctx.run(removeTagArgv(ctx.paths.oci, layoutTag(key)), { reject: false });
    if (r.exitCode === 0) await ctx.run(gcArgv(ctx.paths.oci));
  });
}
