/** racker exec: a command in a running container, with the container's environment. */
import { promises as fs } from 'node:fs';
import type { Context } from '../context.js';
import { NotFoundError, RackerError } from '../errors.js';
import { execInContainer } from './exec.js';
import { findContainer, liveState } from './record.js';
import { mergeEnv, parseEnvFile } from './spec.js';

export interface ExecOptions {
  interactive: boolean;
  tty: boolean;
  env: string[];
  envFiles: string[];
  workdir?: string;
  user?: string;
}

export async function execIn(ctx: Context, container: string, command: string[], opts: ExecOptions): Promise<number> {
  const record = await findContainer(ctx.paths, container);
  const state = liveState(record);
  if (state.status !== 'running' || !state.leaderPid) throw new RackerError(`container ${record.id} is not running`);
  const fileEnv: string[] = [];
  for (const f of opts.envFiles) {
    const text = await fs.readFile(f, 'utf8').catch(() => {
      throw new NotFoundError(`open ${f}: no such file or directory`);
    });
    fileEnv.push(...parseEnvFile(text, f));
  }
  return execInContainer(ctx, {
    leader: state.leaderPid,
    rootfs: ctx.paths.containerRootfs(record.id),
    command,
    env: mergeEnv(record.config.env, [...fileEnv, ...opts.env], ctx.env),
    workingDir: opts.workdir ?? record.config.workingDir,
    user: opts.user ?? record.config.user,
    hostname: record.config.hostname,
    tty: opts.tty,
    interactive: opts.interactive,
  });
}
