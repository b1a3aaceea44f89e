import { expect } from 'chai';
import { archiveEntryName, archiveLinkTarget, dockerManifest, parseDockerManifest, repositoriesFile, type ArchiveImage } from '../../lib/image/archive.js';
import { applyChanges, commitConfig } from '../../lib/image/changes.js';
import { createdByCell, historyRows, historySteps } from '../../lib/image/history.js';
import { headerBlocks } from '../../lib/image/tar-writer.js';
import { hiddenByOpaque, isOverlayWhiteout, opaquePath, whiteoutPath } from '../../lib/image/whiteout.js';

const d = (c: string) => `sha256:${c.repeat(64)}`;

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  return 'did not throw';
}

describe('image archives (save/load)', () => {
  const image: ArchiveImage = {
    config: { digest: d('c'), size: 10, mediaType: 'x' },
    manifest: { digest: d('m'), size: 10, mediaType: 'x' },
    layers: [
      { digest: d('a'), size: 1, mediaType: 'x' },
      { digest: d('b'), size: 1, mediaType: 'x' },
    ],
    repoTags: ['busybox:latest', '127.0.0.1:5000/x/y:1'],
  };

  it('manifest.json names the config and layers by their blob paths, and the tags', () => {
    expect(dockerManifest([image, { ...image, repoTags: [] }])).to.deep.equal([
      { Config: `blobs/sha256/${'c'.repeat(64)}`, RepoTags: ['busybox:latest', '127.0.0.1:5000/x/y:1'], Layers: [`blobs/sha256/${'a'.repeat(64)}`, `blobs/sha256/${'b'.repeat(64)}`] },
      { Config: `blobs/sha256/${'c'.repeat(64)}`, RepoTags: null, Layers: [`blobs/sha256/${'a'.repeat(64)}`, `blobs/sha256/${'b'.repeat(64)}`] },
    ]);
  });

  it('repositories maps repository → tag → top layer, splitting at the last colon (registry ports)', () => {
    expect(repositoriesFile([image])).to.deep.equal({ busybox: { latest: 'b'.repeat(64) }, '127.0.0.1:5000/x/y': { '1': 'b'.repeat(64) } });
  });

  it('reads manifest.json and cleans its paths', () => {
    expect(parseDockerManifest(JSON.stringify([{ Config: './abc.json', RepoTags: null, Layers: ['abc//layer.tar'] }]))).to.deep.equal([{ config: 'abc.json', repoTags: [], layers: ['abc/layer.tar'] }]);
  });

  it('refuses manifest.json paths out of the archive and malformed entries', () => {
    expect(messageOf(() => parseDockerManifest(JSON.stringify([{ Config: '../../etc/passwd', Layers: [] }])))).to.equal('invalid archive: entry "../../etc/passwd" points outside the archive');
    expect(messageOf(() => parseDockerManifest(JSON.stringify([{ Config: '/etc/passwd', Layers: [] }])))).to.equal('invalid archive: entry "/etc/passwd" has an absolute path');
    expect(messageOf(() => parseDockerManifest(JSON.stringify([{ Config: 'a.json', Layers: [1] }])))).to.equal('invalid archive: manifest.json entry 0: Layers is not a list of paths');
    expect(messageOf(() => parseDockerManifest('[]'))).to.equal('invalid archive: manifest.json lists no image');
    expect(messageOf(() => parseDockerManifest('{'))).to.equal('invalid archive: manifest.json is not JSON');
  });

  it('entry names: cleaned inside, refused when they climb out', () => {
    expect(archiveEntryName('./blobs/sha256/x')).to.equal('blobs/sha256/x');
    expect(archiveEntryName('a/../b')).to.equal('b');
    expect(messageOf(() => archiveEntryName('a/../../b'))).to.equal('invalid archive: entry "a/../../b" points outside the archive');
  });

  it('links lead to other entries only (docker 20.10 links repeated layer.tar files)', () => {
    expect(archiveLinkTarget('abc/layer.tar', '../def/layer.tar')).to.equal('def/layer.tar');
    expect(messageOf(() => archiveLinkTarget('abc/layer.tar', '../../etc/shadow'))).to.equal('invalid archive: link "abc/layer.tar" points outside the archive');
    expect(messageOf(() => archiveLinkTarget('manifest.json', '/etc/passwd'))).to.equal('invalid archive: link "manifest.json" points outside the archive');
  });

  it('tar headers: ustar for short names, a PAX header first for long ones', () => {
    expect(headerBlocks({ path: 'blobs/sha256/x', type: 'File', mode: 0o644, size: 3 }).length).to.equal(512);
    const long = headerBlocks({ path: `${'d'.repeat(120)}/${'f'.repeat(120)}`, type: 'File', mode: 0o644, size: 3 });
    expect(long.length).to.equal(1536);
    expect(String.fromCharCode(long[156]!)).to.equal('x');
  });
});

describe('image history rows', () => {
  it('pairs non-empty steps with layers, newest first, the ID and tags on the newest row', () => {
    const steps = historySteps({ history: [{ created: '2024-01-01T00:00:00Z', created_by: 'ADD rootfs' }, { created_by: 'CMD ["sh"]', empty_layer: true }, { created_by: 'RUN x', comment: 'c' }] });
    expect(historyRows('sha256:1', steps, [100, 20], ['a:1'])).to.deep.equal([
      { id: 'sha256:1', createdBy: 'RUN x', size: 20, comment: 'c', tags: ['a:1'] },
      { id: '<missing>', createdBy: 'CMD ["sh"]', size: 0, comment: '', tags: [] },
      { id: '<missing>', created: '2024-01-01T00:00:00Z', createdBy: 'ADD rootfs', size: 100, comment: '', tags: [] },
    ]);
  });

  it('shows layers a config has no history for', () => {
    expect(historyRows('sha256:1', [], [5], []).map((r) => [r.id, r.size])).to.deep.equal([['sha256:1', 5]]);
  });

  it("CREATED BY is one line, cut at 45 characters unless --no-trunc", () => {
    const text = `/bin/sh -c apt-get update\n && apt-get install -y ${'x'.repeat(40)}`;
    expect(createdByCell(text, false)).to.equal('/bin/sh -c apt-get update && apt-get install…');
    expect(createdByCell(text, false).length).to.equal(45);
    expect(createdByCell(text, true)).to.equal(`/bin/sh -c apt-get update && apt-get install -y ${'x'.repeat(40)}`);
  });
});

describe('commit changes (-c)', () => {
  const base = { Env: ['PATH=/bin', 'A=1'], Cmd: ['sh'], WorkingDir: '/srv' };

  it('applies CMD/ENTRYPOINT in both forms, ENV, LABEL, WORKDIR, EXPOSE, USER, STOPSIGNAL', () => {
    expect(
      applyChanges(base, ['CMD ["cat","/f"]', 'ENTRYPOINT echo hi', 'ENV A=2 B="two words"', 'ENV C 3', 'LABEL x=y', 'WORKDIR app', 'EXPOSE 80 53/udp', 'USER nobody', 'STOPSIGNAL SIGINT']),
    ).to.deep.equal({
      Env: ['PATH=/bin', 'A=2', 'B=two words', 'C=3'],
      Cmd: ['cat', '/f'],
      Entrypoint: ['/bin/sh', '-c', 'echo hi'],
      WorkingDir: '/srv/app',
      Labels: { x: 'y' },
      ExposedPorts: { '80/tcp': {}, '53/udp': {} },
      User: 'nobody',
      StopSignal: 'SIGINT',
    });
    expect(base.Env).to.deep.equal(['PATH=/bin', 'A=1']);
  });

  it('refuses what it cannot keep or parse, with one line', () => {
    expect(messageOf(() => applyChanges(base, ['VOLUME /data']))).to.equal('VOLUME is not supported by racker commit (racker images keep no volumes)');
    expect(messageOf(() => applyChanges(base, ['RUN rm -rf /']))).to.equal('RUN is not a valid change command');
    expect(messageOf(() => applyChanges(base, ['EXPOSE 99999']))).to.equal('invalid port range in EXPOSE: 99999');
    expect(messageOf(() => applyChanges(base, ['CMD']))).to.equal('CMD requires an argument');
  });

  it("starts from the container's command, keeping the image's entrypoint", () => {
    expect(commitConfig({ Entrypoint: ['/entry'], Cmd: ['x'] }, { command: ['/entry', 'a', 'b'], env: ['PATH=/bin'] })).to.deep.equal({ Entrypoint: ['/entry'], Cmd: ['a', 'b'], Env: ['PATH=/bin'] });
    expect(commitConfig({ Entrypoint: ['/entry'] }, { command: ['sh', '-c', 'x'], env: [], workingDir: '/w', user: '1' })).to.deep.equal({ Cmd: ['sh', '-c', 'x'], WorkingDir: '/w', User: '1' });
  });
});

describe('overlay whiteouts → OCI whiteouts', () => {
  it('names whiteout and opaque markers', () => {
    expect(whiteoutPath('etc/motd')).to.equal('etc/.wh.motd');
    expect(whiteoutPath('top')).to.equal('.wh.top');
    expect(opaquePath('var/cache')).to.equal('var/cache/.wh..wh..opq');
  });

  it('a character device 0:0 is a whiteout, another device is not', () => {
    expect(isOverlayWhiteout({ isCharacterDevice: () => true, rdev: 0 })).to.equal(true);
    expect(isOverlayWhiteout({ isCharacterDevice: () => true, rdev: 259 })).to.equal(false);
    expect(isOverlayWhiteout({ isCharacterDevice: () => false, rdev: 0 })).to.equal(false);
  });

  it('a directory is opaque when a lower name is neither in the upper directory nor in the merged view', () => {
    expect(hiddenByOpaque(['a', 'b'], ['c'], ['c'])).to.equal(true);
    expect(hiddenByOpaque(['a', 'b'], ['c'], ['a', 'b', 'c'])).to.equal(false);
    // b whited out by itself: in upper (as the whiteout), not opaque.
    expect(hiddenByOpaque(['a', 'b'], ['b'], ['a'])).to.equal(false);
    expect(hiddenByOpaque([], ['c'], ['c'])).to.equal(false);
  });
});
