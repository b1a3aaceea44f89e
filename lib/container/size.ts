/** `ps -s` and `inspect --size`: what a container wrote (its upper directory) and that plus its image. */
import type { Context } from '../context.js';
import { readImage, treeSize } from '../image/store.js';
import type { ContainerRecord } from './record.js';
import { upperDir } from './rootfs.js';

export async function containerSize(ctx: Context, record: ContainerRecord): Promise<{ SizeRw: number; SizeRootFs: number }> {
  // lstat only (treeSize): the container's files are counted, never followed.
  const [rw, image] = await Promise.all([treeSize(upperDir(ctx, record.id)).catch(() => 0), readImage(ctx.paths, record.image.id)]);
  return { SizeRw: rw, SizeRootFs: rw + (image?.size ?? 0) };
}
