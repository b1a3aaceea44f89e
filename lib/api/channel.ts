/**
 * The service's end of a container's output channel (lib/container/output-channel.ts): a
 * listener set up by an attach before the start. The supervisor connects once, sends
 * frames and closes; every attach subscribed gets each frame as it arrives.
 */
import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { outputSocketPath } from '../container/output-channel.js';
import type { Paths } from '../state/paths.js';
import { parseFrames } from './frames.js';

export type FrameListener = (stream: 1 | 2, payload: Buffer) => void;

export class OutputListener {
  private readonly server: net.Server;
  private readonly listeners = new Set<FrameListener>();
  private connection: net.Socket | undefined;
  private endedFlag = false;
  private readonly endWaiters: (() => void)[] = [];
  private readonly file: string;

  private constructor(file: string) {
    this.file = file;
    this.server = net.createServer((socket) => this.accept(socket));
  }

  /** Listening before the client can start the container: the supervisor connects at once. */
  static async open(paths: Paths, id: string): Promise<OutputListener> {
    const file = outputSocketPath(paths, id);
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await fs.rm(file, { force: true });
    const l = new OutputListener(file);
    await new Promise<void>((resolve, reject) => {
      l.server.once('error', reject);
      l.server.listen(file, () => resolve());
    });
    return l;
  }

  /** The supervisor connected: its frames are the output. */
  get connected(): boolean {
    return this.connection !== undefined;
  }

  /** The supervisor closed the channel: every frame has arrived. */
  get ended(): boolean {
    return this.endedFlag;
  }

  whenEnded(timeoutMs: number): Promise<void> {
    if (this.endedFlag) return Promise.resolve();
    return new Promise((resolve) => {
      this.endWaiters.push(resolve);
      setTimeout(resolve, timeoutMs).unref();
    });
  }

  subscribe(fn: FrameListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  private accept(socket: net.Socket): void {
    // One supervisor per start: a second connection is not ours to read.
    if (this.connection) return void socket.destroy();
    this.connection = socket;
    let pending = Buffer.alloc(0);
    socket.on('data', (b: Buffer) => {
      const { frames, rest } = parseFrames(pending.length ? Buffer.concat([pending, b]) : b);
      pending = Buffer.from(rest);
      for (const f of frames) for (const l of this.listeners) l(f.stream === 2 ? 2 : 1, f.payload);
    });
    const end = () => {
      this.endedFlag = true;
      for (const w of this.endWaiters.splice(0)) w();
    };
    socket.on('end', end);
    socket.on('close', end);
    socket.on('error', () => undefined);
  }

  async close(): Promise<void> {
    this.connection?.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await fs.rm(this.file, { force: true });
  }
}
