/**
 * What racker reads of buildah's storage records (lib/image/buildah-layers.ts) to store a
 * build as its base plus the new layers, and the cp argv that does it: on made-up records,
 * including the ones it must not trust.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../../lib/errors.js';
import { hasWorkingContainers, layersAbove, storageOverlayOptions, storedConfig, storedNames } from '../../lib/image/buildah-layers.js';
import { copyParentsArgv, linkTreeArgv } from '../../lib/tools/cp.js';

const hex = (c: string) => c.repeat(64);

describe('buildah storage records', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'racker-buildah-layers-'));
    mkdirSync(path.join(root, 'overlay-images'));
    mkdirSync(path.join(root, 'overlay-layers'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const write = (images: unknown, layers: unknown) => {
    writeFileSync(path.join(root, 'overlay-images/images.json'), JSON.stringify(images));
    writeFileSync(path.join(root, 'overlay-layers/layers.json'), JSON.stringify(layers));
  };
  const diff = (l: string) => {
    mkdirSync(path.join(root, 'overlay', l, 'diff'), { recursive: true });
    return path.join(root, 'overlay', l, 'diff');
  };

  it('finds the layers a built image adds above the nearest base, top first', () => {
    const [b1, b2, n1, n2] = [hex('1'), hex('2'), hex('3'), hex('4')];
    write(
      [
        { id: hex('a'), names: ['reg/debian:12'], layer: b2 },
        { id: hex('b'), names: ['localhost/racker-base-x:latest'], layer: b1 },
        { id: hex('c'), names: [], layer: n2 },
      ],
      [{ id: b1 }, { id: b2, parent: b1 }, { id: n1, parent: b2 }, { id: n2, parent: n1 }],
    );
    const d1 = diff(n1);
    const d2 = diff(n2);
    const db2 = diff(b2);
    // By ID or by name; the base highest in the chain wins.
    expect(layersAbove(root, `sha256:${hex('c')}`, [{ name: 'localhost/racker-base-x:latest' }, { id: `sha256:${hex('a')}` }])).to.deep.equal({ base: 1, diffs: [d2, d1] });
    expect(layersAbove(root, hex('c'), [{ name: 'localhost/racker-base-x:latest' }])).to.deep.equal({ base: 0, diffs: [d2, d1, db2] });
    // Built on nothing it was given, or the base itself (no new layer).
    expect(layersAbove(root, hex('c'), [{ name: 'other' }])).to.equal(undefined);
    expect(layersAbove(root, hex('a'), [{ id: hex('a') }])).to.deep.equal({ base: 0, diffs: [] });
  });

  it('answers nothing when the records are not what it knows: a layer missing, a bad ID, a diff directory gone, no file', () => {
    const [b, n] = [hex('1'), hex('2')];
    write([{ id: hex('a'), names: [], layer: b }, { id: hex('c'), names: [], layer: n }], [{ id: b }]);
    expect(layersAbove(root, hex('c'), [{ id: hex('a') }])).to.equal(undefined);
    write([{ id: hex('a'), names: [], layer: b }, { id: hex('c'), names: [], layer: '../x' }], [{ id: b }, { id: '../x', parent: b }]);
    expect(layersAbove(root, hex('c'), [{ id: hex('a') }])).to.equal(undefined);
    write([{ id: hex('a'), names: [], layer: b }, { id: hex('c'), names: [], layer: n }], [{ id: b }, { id: n, parent: b }]);
    expect(layersAbove(root, hex('c'), [{ id: hex('a') }])).to.equal(undefined);
    diff(n);
    expect(layersAbove(root, hex('c'), [{ id: hex('a') }])).to.deep.equal({ base: 0, diffs: [path.join(root, 'overlay', n, 'diff')] });
    writeFileSync(path.join(root, 'overlay-layers/layers.json'), '{"not": "a list"}');
    expect(layersAbove(root, hex('c'), [{ id: hex('a') }])).to.equal(undefined);
  });

  it('reads names, and a config only when its digest is the image ID', () => {
    const config = Buffer.from('{"config":{"Cmd":["sh"]}}');
    const id = createHash('sha256').update(config).digest('hex');
    write([{ id, names: ['localhost/x:latest'] }], []);
    expect(storedNames(root, `sha256:${id}`)).to.deep.equal(['localhost/x:latest']);
    expect(storedNames(root, hex('f'))).to.equal(undefined);
    expect(storedNames(root, hex('f'), 'localhost/x:latest')).to.deep.equal(['localhost/x:latest']);
    const file = path.join(root, 'overlay-images', id, `=${Buffer.from(`sha256:${id}`).toString('base64')}`);
    expect(storedConfig(root, id)).to.equal(undefined);
    mkdirSync(path.dirname(file));
    writeFileSync(file, config);
    expect(storedConfig(root, `sha256:${id}`)?.toString()).to.equal(config.toString());
    writeFileSync(file, '{"config":{"Cmd":["evil"]}}');
    expect(storedConfig(root, id)).to.equal(undefined);
  });

  it('tells whether working containers are left, and says "cannot tell" for what it cannot read', () => {
    expect(hasWorkingContainers(root)).to.equal(false);
    mkdirSync(path.join(root, 'overlay-containers'));
    expect(hasWorkingContainers(root)).to.equal(undefined);
    writeFileSync(path.join(root, 'overlay-containers/containers.json'), '[]');
    expect(hasWorkingContainers(root)).to.equal(false);
    writeFileSync(path.join(root, 'overlay-containers/containers.json'), '[{"id":"x"}]');
    expect(hasWorkingContainers(root)).to.equal(true);
    writeFileSync(path.join(root, 'overlay-containers/containers.json'), 'garbage');
    expect(hasWorkingContainers(root)).to.equal(undefined);
  });
});

describe('cp argv', () => {
  it('links a tree and copies relative paths under a target, refusing paths that climb or start an option', () => {
    expect(linkTreeArgv('/a/rootfs', '/b/rootfs')).to.deep.equal(['cp', '-a', '--link', '--no-target-directory', '--', '/a/rootfs', '/b/rootfs']);
    expect(copyParentsArgv(['etc/hosts', '-x'], '/b/rootfs')).to.deep.equal(['cp', '-a', '--parents', '--target-directory=/b/rootfs', '--', 'etc/hosts', '-x']);
    for (const bad of ['', '/etc', 'a/../../etc']) expect(() => copyParentsArgv([bad], '/b')).to.throw(UsageError);
    expect(() => linkTreeArgv('-rf', '/b')).to.throw(UsageError);
  });
});

describe('containers/storage overlay options', () => {
  it('says so when a storage.conf asks for metacopy or redirect_dir (the layers then need buildah’s own mount)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'racker-storage-conf-'));
    try {
      const conf = path.join(dir, 'storage.conf');
      writeFileSync(conf, '[storage]\ndriver = "overlay"\n[storage.options.overlay]\nmountopt = "nodev,metacopy=on"\n');
      expect(storageOverlayOptions({ CONTAINERS_STORAGE_CONF: conf })).to.equal(true);
      writeFileSync(conf, '[storage]\ndriver = "overlay"\n');
      // The host's own files are read too: this one holds when they ask for neither.
      expect(storageOverlayOptions({ CONTAINERS_STORAGE_CONF: conf })).to.equal(storageOverlayOptions({}));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
