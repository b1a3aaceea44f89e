/**
 * racker commit / POST /commit: a new image = the container's image + one layer made from
 * its overlay upper directory (upper-layer.ts), with a config from the container's (command,
 * environment, directory, user) and the `changes`. The image goes into the shared layout
 * like a loaded one and is unpacked by umoci, so the new image's tree is exactly its layers.
 *
 * A running container is committed as it is at that moment (racker does not pause it first,
 * so a file being written may be caught half-written).
 */
import { createHash } from '../startup/builtins.js';
import { createWriteStream, promises as fs, readdirSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import type { Context } from '../context.js';
import { NotFoundError } from '../errors.js';
import { ContainerRoot, fdPath } from '../fs/in-root.js';
import { overlayReadonlyArgv, umountArgv } from '../tools/mount.js';
import { findContainer, liveState, type ContainerRecord } from '../container/record.js';
import { inspectContainer } from '../container/view.js';
import { upperDir, isMounted } from '../container/rootfs.js';
import { MEDIA, ociManifest, type ArchiveBlob } from './archive.js';
import { applyChanges, commitConfig } from './changes.js';
import { addToLayout, digestFile, idTag, imageSource } from './layout-store.js';
import { forgetLayoutTags, unpackInto } from './load.js';
import { displayString, resolveImageName } from './names.js';
import { layoutTag } from './oci-layout.js';
import { cleanScratch } from './scratch.js';
import { imageExists, readImage, retag, scratchDir } from './store.js';
import { TarWriter } from './tar-writer.js';
import { writeUpperLayer } from './upper-layer.js';
import { emit } from '../events/log.js';

export interface CommitOptions {
  /** REPO[:TAG] for the new image. */
  reference?: string;
  message?: string;
  author?: string;
  changes?: string[];
}

function names(root: ContainerRoot, dir: string): string[] | undefined {
  const f = root.find(dir, { follow: false });
  if (!f?.stat?.isDirectory() || f.fd === undefined) return undefined;
  return readdirSync(fdPath(f.fd));
}

/** docker's ContainerConfig with nothing in it: what an image no container made (pulled, loaded, imported) reports. */
export const EMPTY_CONTAINER_CONFIG: Readonly<Record<string, unknown>> = Object.freeze({
  Hostname: '',
  Domainname: '',
  User: '',
  AttachStdin: false,
  AttachStdout: false,
  AttachStderr: false,
  Tty: false,
  OpenStdin: false,
  StdinOnce: false,
  Env: null,
  Cmd: null,
  Image: '',
  Volumes: null,
  WorkingDir: '',
  Entrypoint: null,
  OnBuild: null,
  Labels: null,
});

/** The container's Config in docker's full shape (what dockerd writes as container_config). */
export function containerConfigOf(container: ContainerRecord): Record<string, unknown> {
  return { ...EMPTY_CONTAINER_CONFIG, ...(inspectContainer(container).Config as Record<string, unknown>) };
}

export async function commitContainer(ctx: Context, nameOrId: string, opts: CommitOptions = {}): Promise<string> {
  const key = opts.reference ? resolveImageName(opts.reference).key : undefined;
  const container = await findContainer(ctx, nameOrId);
  const image = await readImage(ctx.paths, container.image.id);
  if (!image) throw new NotFoundError(`No such image: ${container.image.id} (the image of container ${container.name})`);
  const running = liveState(container).status === 'running';
  await cleanScratch(ctx.paths, ctx.run);
  const scratch = await scratchDir(ctx.paths, 'commit');
  let mounted: string | undefined;
  try {
    const lowerRoot = ctx.paths.imageRootfs(image.id);
    const live = ctx.paths.containerRootfs(container.id);
    // The merged view, for opaque directories: the running container's own mount, else a read-only overlay made here.
    const mergedRoot = async (): Promise<string> => {
      if (running && isMounted(live)) return live;
      if (!mounted) {
        mounted = path.join(scratch, 'merged');
        await fs.mkdir(mounted);
        await ctx.run(overlayReadonlyArgv([upperDir(ctx, container.id), lowerRoot], mounted));
      }
      return mounted;
    };
    // A container created and never started has no upper directory yet: nothing changed, an
    // empty layer (as docker commits a created container's empty read-write layer).
    await fs.mkdir(upperDir(ctx, container.id), { recursive: true });
    const layerFile = path.join(scratch, 'layer.tar');
    const file = createWriteStream(layerFile);
    const tar = new TarWriter(file);
    const lower = ContainerRoot.open(lowerRoot);
    try {
      await writeUpperLayer(upperDir(ctx, container.id), tar, {
        lowerNames: (dir) => names(lower, dir),
        mergedNames: async (dir) => {
          const root = await mergedRoot();
          return ContainerRoot.with(root, (r) => names(r, dir) ?? []);
        },
      });
      await tar.finish();
      file.end();
      await once(file, 'finish');
    } finally {
      lower.close();
    }
    const layer = { ...(await digestFile(layerFile)), mediaType: MEDIA.layer, file: layerFile };

    const src = await imageSource(ctx, image, scratch);
    const baseConfig = JSON.parse(src.config.bytes.toString('utf8')) as Record<string, unknown>;
    const now = ctx.clock().toISOString();
    const config = applyChanges(commitConfig(image.config, { command: container.config.command, env: container.config.env, ...(container.config.workingDir ? { workingDir: container.config.workingDir } : {}), ...(container.config.user ? { user: container.config.user } : {}) }), opts.changes ?? []);
    const rootfs = (baseConfig.rootfs ?? {}) as { diff_ids?: string[] };
    const history = Array.isArray(baseConfig.history) ? baseConfig.history : [];
    // docker's image config keeps where a commit came from (image inspect's Container and ContainerConfig).
    const containerConfig = containerConfigOf(container);
    const newConfig = {
      ...baseConfig,
      created: now,
      container: container.id,
      container_config: containerConfig,
      ...(opts.author ? { author: opts.author } : {}),
      config,
      rootfs: { type: 'layers', diff_ids: [...(rootfs.diff_ids ?? []), layer.digest] },
      history: [...history, { created: now, ...(opts.author ? { author: opts.author } : {}), created_by: container.config.command.join(' '), ...(opts.message ? { comment: opts.message } : {}) }],
    };
    const configBytes = Buffer.from(JSON.stringify(newConfig));
    const id = `sha256:${createHash('sha256').update(configBytes).digest('hex')}`;
    const configBlob: ArchiveBlob = { digest: id, size: configBytes.length, mediaType: MEDIA.config };
    const layers = [...src.layers, layer];
    const manifestBytes = Buffer.from(JSON.stringify(ociManifest(configBlob, layers)));
    const manifest: ArchiveBlob = { digest: `sha256:${createHash('sha256').update(manifestBytes).digest('hex')}`, size: manifestBytes.length, mediaType: MEDIA.manifest };
    const tags = [idTag(id), ...(key ? [layoutTag(key)] : [])];
    await addToLayout(ctx, [...layers.map((l) => ({ digest: l.digest, file: l.file })), { digest: id, bytes: configBytes }, { digest: manifest.digest, bytes: manifestBytes }], manifest, tags);
    if (!imageExists(ctx.paths, id)) {
      await unpackInto(ctx, id, newConfig, { kind: 'commit', container: container.id, base: image.id, containerConfig }).catch(async (err: unknown) => {
        await forgetLayoutTags(ctx, tags).catch(() => undefined);
        throw err;
      });
    }
    if (key) await retag(ctx, key, { id, updated: now });
    emit(ctx, { type: 'container', action: 'commit', container, attributes: { comment: opts.message ?? '', imageID: id, imageRef: key ? displayString(key) : '' } });
    return id;
  } finally {
    if (mounted) await ctx.run(umountArgv(mounted), { reject: false });
    await fs.rm(scratch, { recursive: true, force: true });
  }
}
