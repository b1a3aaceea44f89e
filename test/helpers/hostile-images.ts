/**
 * Images built to attack the host: a fixture image plus one layer of planted entries
 * (links to host paths, FIFOs, files) and a config that names them (WorkingDir, User),
 * pushed into a writable fixture registry. Built with the tools the fixtures use (skopeo
 * copies the base into a scratch OCI layout, umoci appends the layer and sets the config),
 * so racker pulls and unpacks them like any image.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { FixtureRegistry } from './registry.js';

const run = promisify(execFile);

export type Planted =
  | { path: string; symlink: string }
  | { path: string; file: string }
  | { path: string; dir: true }
  | { path: string; fifo: true };

export interface HostileImage {
  /** The fixture to start from, e.g. library/debian:bookworm. */
  base: string;
  /** Where to push it, e.g. hostile/workdir:1. */
  name: string;
  planted: Planted[];
  workingDir?: string;
  cmd?: string[];
  /** EXPOSE: "80/tcp", "53/udp". */
  exposedPorts?: string[];
}

/** Builds images on one writable registry; each base is copied once. */
export class HostileImages {
  private readonly work = mkdtempSync(path.join(os.tmpdir(), 'racker-hostile-images-'));
  private readonly bases = new Map<string, Promise<string>>();
  constructor(private readonly reg: FixtureRegistry) {}

  private base(ref: string): Promise<string> {
    let tag = this.bases.get(ref);
    if (!tag) {
      const name = `base${this.bases.size}`;
      tag = run('skopeo', ['--insecure-policy', 'copy', '--quiet', '--src-tls-verify=false', `docker://${this.reg.host}/${ref}`, `oci:${this.layout}:${name}`]).then(() => name);
      this.bases.set(ref, tag);
    }
    return tag;
  }

  private get layout(): string {
    return path.join(this.work, 'oci');
  }

  /** The image's reference in the registry, ready to pull. */
  async build(image: HostileImage): Promise<string> {
    const base = await this.base(image.base);
    const tag = image.name.replace(/[^a-zA-Z0-9_.-]/g, '-');
    const staging = path.join(this.work, `layer-${tag}`);
    mkdirSync(staging);
    for (const p of image.planted) {
      const target = path.join(staging, p.path);
      mkdirSync(path.dirname(target), { recursive: true });
      if ('symlink' in p) symlinkSync(p.symlink, target);
      else if ('file' in p) writeFileSync(target, p.file);
      else if ('dir' in p) mkdirSync(target, { recursive: true });
      else await run('mkfifo', [target]);
    }
    const tar = path.join(this.work, `layer-${tag}.tar`);
    const top = [...new Set(image.planted.map((p) => p.path.split('/').filter(Boolean)[0]!))];
    // Names without "./" and no entry for / itself, like docker's layers.
    await run('tar', ['--create', '--file', tar, '--numeric-owner', '--owner=0', '--group=0', '-C', staging, '--', ...top]);
    await run('umoci', ['raw', 'add-layer', '--image', `${this.layout}:${base}`, '--tag', tag, '--history.created_by=hostile fixture', tar]);
    const config = [...(image.workingDir ? [`--config.workingdir=${image.workingDir}`] : []), ...(image.cmd ?? []).map((c) => `--config.cmd=${c}`), ...(image.exposedPorts ?? []).map((p) => `--config.exposedports=${p}`)];
    if (config.length) await run('umoci', ['config', '--image', `${this.layout}:${tag}`, ...config]);
    const ref = `${this.reg.host}/${image.name}`;
    await run('skopeo', ['--insecure-policy', 'copy', '--quiet', '--dest-tls-verify=false', `oci:${this.layout}:${tag}`, `docker://${ref}`]);
    return ref;
  }

  remove(): void {
    rmSync(this.work, { recursive: true, force: true });
  }
}
