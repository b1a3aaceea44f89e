/** `logs --journal`: the booted container's own journal, read with journalctl inside it. */
import type { Context } from '../context.js';
import { ConflictError, RackerError } from '../errors.js';
import { exitStatus, startProcess } from '../exec/process.js';
import { nsenterArgv } from '../tools/nspawn.js';
import { liveState, type ContainerRecord } from './record.js';

export async function showJournal(ctx: Context, record: ContainerRecord, opts: { follow: boolean; lines: number }): Promise<number> {
  const state = liveState(record);
  if (!record.config.boot) throw new RackerError(`container ${record.name} was not booted: it has no journal (use racker logs)`);
  if (state.status !== 'running' || !state.leaderPid) throw new ConflictError(`container ${record.name} is not running: its journal went with it`);
  const command = ['journalctl', '--no-pager', ...(opts.follow ? ['--follow'] : []), ...(opts.lines !== Infinity ? [`--lines=${opts.lines}`] : [])];
  const proc = await startProcess(nsenterArgv({ leader: state.leaderPid, command }), { stdout: 'inherit', stderr: 'inherit', log: ctx.log });
  return exitStatus(await proc.exited);
}
