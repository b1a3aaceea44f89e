/**
 * Writing a tar stream entry by entry (a `docker save` archive, a commit's layer), with
 * backpressure: a file's bytes are piped from its descriptor, never held in memory whole.
 * node-tar's Header/Pax encode the blocks (a PAX header only when ustar fields don't fit).
 */
import { closeSync, createReadStream } from 'node:fs';
import { drained } from '../fs/drained.js';
import type { Writable } from 'node:stream';
import { Header, Pax } from 'tar';

export type EntryType = 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'CharacterDevice' | 'BlockDevice' | 'FIFO';

export interface TarEntry {
  path: string;
  type: EntryType;
  mode: number;
  size?: number;
  uid?: number;
  gid?: number;
  mtime?: Date;
  linkpath?: string;
  devmaj?: number;
  devmin?: number;
}

/** The header block(s) of one entry: a PAX header first when ustar can't hold a field. */
export function headerBlocks(e: TarEntry): Buffer {
  const fields = {
    path: e.type === 'Directory' && !e.path.endsWith('/') ? `${e.path}/` : e.path,
    type: e.type,
    mode: e.mode & 0o7777,
    size: e.type === 'File' ? (e.size ?? 0) : 0,
    uid: e.uid ?? 0,
    gid: e.gid ?? 0,
    mtime: e.mtime ?? new Date(0),
    uname: '',
    gname: '',
    ...(e.linkpath !== undefined ? { linkpath: e.linkpath } : {}),
    ...(e.devmaj !== undefined ? { devmaj: e.devmaj, devmin: e.devmin ?? 0 } : {}),
  };
  const header = new Header(fields);
  const needPax = header.encode();
  if (!needPax) return header.block!;
  const pax = new Pax({ path: fields.path, ...(e.linkpath !== undefined ? { linkpath: e.linkpath } : {}), size: fields.size, uid: fields.uid, gid: fields.gid, mtime: fields.mtime });
  return Buffer.concat([pax.encode(), header.block!]);
}

export function padding(size: number): Buffer {
  const rest = size % 512;
  return Buffer.alloc(rest === 0 ? 0 : 512 - rest);
}

export class TarWriter {
  constructor(private readonly out: Writable) {}

  private async write(chunk: Buffer): Promise<void> {
    if (chunk.length === 0) return;
    if (!this.out.write(chunk)) await drained(this.out);
  }

  /** An entry whose content is `data` (or nothing). */
  async add(e: TarEntry, data?: Buffer): Promise<void> {
    const size = data?.length ?? 0;
    await this.write(headerBlocks({ ...e, size }));
    if (data) {
      await this.write(data);
      await this.write(padding(size));
    }
  }

  /** A regular file's bytes from `file` (a path, or a descriptor, which is closed); exactly `size` bytes are written. */
  async addFile(e: TarEntry & { size: number }, file: string | number): Promise<void> {
    await this.write(headerBlocks(e));
    let written = 0;
    if (e.size > 0) {
      const stream =
        typeof file === 'number' ? createReadStream('', { fd: file, start: 0, end: e.size - 1, highWaterMark: 1 << 20 }) : createReadStream(file, { end: e.size - 1, highWaterMark: 1 << 20 });
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        written += chunk.length;
        await this.write(chunk);
      }
    }
    else if (typeof file === 'number') closeSync(file);
    // The file shrank while being read (a running container): keep the archive well formed.
    if (written < e.size) await this.write(Buffer.alloc(e.size - written));
    await this.write(padding(e.size));
  }

  /** The two zero blocks that end an archive. */
  async finish(): Promise<void> {
    await this.write(Buffer.alloc(1024));
  }
}
