/**
 * `commit -c` / the API's `changes`: Dockerfile instructions applied to an image config.
 * docker accepts CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME,
 * WORKDIR; racker keeps no VOLUME or ONBUILD in its configs, so those are refused, not dropped.
 */
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { ImageConfig } from './oci-layout.js';

/** ["a","b"] (JSON form) or a shell line run by /bin/sh -c, as a Dockerfile reads them. */
function commandForm(text: string): string[] {
  const t = text.trim();
  if (t.startsWith('[')) {
    try {
      const v: unknown = JSON.parse(t);
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
    } catch {
      /* not JSON: docker then takes the text as a shell line */
    }
  }
  return ['/bin/sh', '-c', t];
}

function unquote(s: string): string {
  return /^"(.*)"$/.test(s) || /^'(.*)'$/.test(s) ? s.slice(1, -1) : s;
}

/** KEY=VALUE pairs (values may be quoted), or the old "KEY VALUE" form. */
function pairs(text: string, instruction: string): [string, string][] {
  const t = text.trim();
  const first = /^(\S+)/.exec(t)?.[1] ?? '';
  if (!first.includes('=')) {
    const m = /^(\S+)\s+(.+)$/.exec(t);
    if (!m) throw new UsageError(`${instruction} requires at least one argument of the form KEY=VALUE`);
    return [[m[1]!, unquote(m[2]!.trim())]];
  }
  const out: [string, string][] = [];
  const re = /\s*([^=\s]+)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/y;
  let m: RegExpExecArray | null;
  let at = 0;
  while (at < t.length && (m = re.exec(t))) {
    out.push([m[1]!, unquote(m[2]!).replace(/\\(.)/g, '$1')]);
    at = re.lastIndex;
  }
  if (t.slice(at).trim()) throw new UsageError(`${instruction}: cannot parse ${JSON.stringify(t.slice(at).trim())} (use KEY=VALUE)`);
  return out;
}

/** A new config with the changes applied in order (the input is not modified). */
export function applyChanges(base: ImageConfig, changes: readonly string[]): ImageConfig {
  const c: ImageConfig = structuredClone(base);
  for (const line of changes) {
    const m = /^\s*([A-Za-z]+)\s*(.*)$/s.exec(line);
    if (!m || !m[1]) throw new UsageError(`empty change: ${JSON.stringify(line)}`);
    const instruction = m[1].toUpperCase();
    const rest = m[2]!.trim();
    const need = () => {
      if (!rest) throw new UsageError(`${instruction} requires an argument`);
    };
    switch (instruction) {
      case 'CMD':
        need();
        c.Cmd = commandForm(rest);
        break;
      case 'ENTRYPOINT':
        need();
        c.Entrypoint = commandForm(rest);
        break;
      case 'ENV': {
        need();
        const env = [...(c.Env ?? [])];
        for (const [k, v] of pairs(rest, 'ENV')) {
          const i = env.findIndex((e) => e.split('=')[0] === k);
          if (i >= 0) env[i] = `${k}=${v}`;
          else env.push(`${k}=${v}`);
        }
        c.Env = env;
        break;
      }
      case 'LABEL':
        need();
        c.Labels = { ...(c.Labels ?? {}) };
        for (const [k, v] of pairs(rest, 'LABEL')) c.Labels[k] = v;
        break;
      case 'WORKDIR':
        need();
        // Relative to the previous WORKDIR, as in a Dockerfile.
        c.WorkingDir = path.posix.resolve(c.WorkingDir ?? '/', unquote(rest));
        break;
      case 'USER':
        need();
        c.User = unquote(rest);
        break;
      case 'STOPSIGNAL':
        need();
        c.StopSignal = unquote(rest);
        break;
      case 'EXPOSE': {
        need();
        c.ExposedPorts = { ...(c.ExposedPorts ?? {}) };
        for (const p of rest.split(/\s+/)) {
          const pm = /^(\d{1,5})(?:-(\d{1,5}))?(?:\/(tcp|udp|sctp))?$/i.exec(p);
          if (!pm) throw new UsageError(`invalid port in EXPOSE: ${JSON.stringify(p)}`);
          const proto = (pm[3] ?? 'tcp').toLowerCase();
          const from = Number(pm[1]);
          const to = Number(pm[2] ?? pm[1]);
          if (from < 1 || to > 65535 || to < from || to - from > 1000) throw new UsageError(`invalid port range in EXPOSE: ${p}`);
          for (let n = from; n <= to; n++) c.ExposedPorts[`${n}/${proto}`] = {};
        }
        break;
      }
      case 'VOLUME':
      case 'ONBUILD':
        throw new UsageError(`${instruction} is not supported by racker commit (racker images keep no ${instruction === 'VOLUME' ? 'volumes' : 'build triggers'})`);
      default:
        throw new UsageError(`${instruction} is not a valid change command`);
    }
  }
  return c;
}

/** The container config a commit starts from: docker keeps the container's command, environment, directory and user. */
export function commitConfig(
  image: ImageConfig,
  container: { command: string[]; env: readonly string[]; workingDir?: string; user?: string; labels?: Record<string, string> },
): ImageConfig {
  const c: ImageConfig = structuredClone(image);
  // The container's command is its entrypoint + cmd; keep the image's entrypoint and the rest as Cmd.
  const ep = image.Entrypoint ?? [];
  const sameEntrypoint = ep.length > 0 && ep.every((a, i) => container.command[i] === a);
  const cmd = sameEntrypoint ? container.command.slice(ep.length) : container.command;
  if (!sameEntrypoint && ep.length) delete c.Entrypoint;
  if (cmd.length) c.Cmd = cmd;
  else delete c.Cmd;
  if (container.env.length) c.Env = [...container.env];
  if (container.workingDir) c.WorkingDir = container.workingDir;
  if (container.user) c.User = container.user;
  if (container.labels && Object.keys(container.labels).length) c.Labels = { ...(c.Labels ?? {}), ...container.labels };
  return c;
}
