import { expect } from 'chai';
import { keyOrNothing } from '../../lib/image/names.js';
import { classifySource, sourceKey, sourceText, type LocalSource, type Source } from '../../lib/image/source.js';

describe('image sources (what an argument of run/create/pull names)', () => {
  const dirs = new Set(['/work/rootfs', '/srv/tree']);
  const classify = (arg: string): Source => classifySource(arg, { cwd: '/work', isDirectory: (p) => dirs.has(p) });

  const table: [string, Source][] = [
    ['https://cloud-images.example/focal-root.tar.xz', { kind: 'url', url: 'https://cloud-images.example/focal-root.tar.xz' }],
    ['HTTP://127.0.0.1:8080/r.tar', { kind: 'url', url: 'HTTP://127.0.0.1:8080/r.tar' }],
    ['/srv/root.tar.gz', { kind: 'tarball', path: '/srv/root.tar.gz' }],
    ['./root.tar', { kind: 'tarball', path: '/work/root.tar' }],
    ['../x/root.tar', { kind: 'tarball', path: '/x/root.tar' }],
    ['./rootfs', { kind: 'directory', path: '/work/rootfs' }],
    ['/srv/tree/', { kind: 'directory', path: '/srv/tree' }],
    ['./missing', { kind: 'tarball', path: '/work/missing' }],
    ['docker-archive:img.tar', { kind: 'transport', transport: 'docker-archive', path: '/work/img.tar' }],
    ['docker-archive:/a/img.tar:app:1', { kind: 'transport', transport: 'docker-archive', path: '/a/img.tar', ref: 'app:1' }],
    ['oci-archive:./o.tar:v1', { kind: 'transport', transport: 'oci-archive', path: '/work/o.tar', ref: 'v1' }],
    ['oci:/layouts/a', { kind: 'transport', transport: 'oci', path: '/layouts/a' }],
    ['oci:layout:latest', { kind: 'transport', transport: 'oci', path: '/work/layout', ref: 'latest' }],
    ['debian-bookworm', { kind: 'label', label: 'debian-bookworm' }],
    ['debian-bookworm:latest', { kind: 'label', label: 'debian-bookworm' }],
    ['debian:bookworm', { kind: 'reference', reference: 'debian:bookworm' }],
    ['127.0.0.1:5000/racker/busybox', { kind: 'reference', reference: '127.0.0.1:5000/racker/busybox' }],
    ['rootfs', { kind: 'reference', reference: 'rootfs' }],
    ['rootfs.tar', { kind: 'reference', reference: 'rootfs.tar' }],
    ['docker.io/library/oci:1', { kind: 'reference', reference: 'docker.io/library/oci:1' }],
    ['0123abcd', { kind: 'reference', reference: '0123abcd' }],
  ];
  for (const [arg, want] of table) {
    it(`${arg} → ${want.kind}`, () => expect(classify(arg)).to.deep.equal(want));
  }

  it('refuses other URL schemes and transports without a path, with one line', () => {
    expect(() => classify('ftp://h/r.tar')).to.throw('unsupported URL scheme ftp:// in ftp://h/r.tar (racker downloads http:// and https:// URLs)');
    expect(() => classify('file:///r.tar')).to.throw('unsupported URL scheme file://');
    expect(() => classify('oci-archive:')).to.throw('oci-archive: needs a path: oci-archive:PATH[:REFERENCE]');
    expect(() => classify('oci:dir:')).to.throw('empty reference after oci:dir:');
  });

  it('keys a source by what it names, shows URLs without their password', () => {
    const a = classify('./root.tar') as LocalSource;
    expect(sourceKey(a)).to.match(/^localhost\/source\/[a-f0-9]{16}:latest$/);
    expect(sourceKey(a)).to.equal(sourceKey(classify('/work/root.tar') as LocalSource));
    // A path is one key whether a tarball or a directory is there now.
    expect(sourceKey(classify('./rootfs') as LocalSource)).to.equal(sourceKey({ kind: 'tarball', path: '/work/rootfs' }));
    expect(sourceKey(a)).not.to.equal(sourceKey(classify('oci-archive:./root.tar') as LocalSource));
    expect(sourceKey(classify('oci:l:v1') as LocalSource)).not.to.equal(sourceKey(classify('oci:l:v2') as LocalSource));
    const url = classify('https://u:secret@example.com/r.tar') as LocalSource;
    expect(sourceText(url)).to.equal('https://***@example.com/r.tar');
    expect(sourceText(classify('docker-archive:a.tar:app:1') as LocalSource)).to.equal('docker-archive:/work/a.tar:app:1');
  });

  it('rmi and inspect find a source by the same spelling (keyOrNothing)', () => {
    expect(keyOrNothing('/work/root.tar')).to.equal(sourceKey({ kind: 'tarball', path: '/work/root.tar' }));
    expect(keyOrNothing('debian:bookworm')).to.equal('docker.io/library/debian:bookworm');
  });
});
