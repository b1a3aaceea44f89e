/** racker rename: a new name for a container, running or not (its hostname stays, as in docker). */
import type { Context } from '../context.js';
import { ConflictError, UsageError } from '../errors.js';
import { withLock } from '../state/lock.js';
import { emit } from '../events/log.js';
import { findContainer, listContainers, readContainer, validateName, writeContainer, type ContainerRecord } from './record.js';

export async function renameContainer(ctx: Context, record: ContainerRecord, newName: string): Promise<void> {
  const name = newName.replace(/^\//, '');
  validateName(name);
  if (name === record.name) throw new UsageError(`Renaming a container with the same name as its current name`);
  // The lock create.ts takes to pick a unique name.
  await withLock(ctx.paths.lock('names'), async () => {
    const holder = (await listContainers(ctx.paths)).find((c) => c.name === name);
    if (holder) {
      throw new ConflictError(`Error when allocating new name: Conflict. The container name "/${name}" is already in use by container "${holder.id}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
    // Re-read: its supervisor may have written its state since it was looked up.
    const current = (await readContainer(ctx.paths, record.id)) ?? (await findContainer(ctx, record.id));
    await writeContainer(ctx.paths, { ...current, name });
    emit(ctx, { type: 'container', action: 'rename', container: { ...current, name }, attributes: { oldName: `/${current.name}` } });
  });
}
