import { expect } from 'chai';
import { displayName, displayString, familiarKey, isImageIdLike, isSingleReference, resolveImageInput, resolveImageName } from '../../lib/image/names.js';
import { layoutTag, parseImageConfig } from '../../lib/image/oci-layout.js';
import { sourceReference } from '../../lib/image/pull.js';
import { parseReference } from '../../lib/registry/reference.js';

describe('image names', () => {
  it('a curated label wins over a Docker Hub name of the same spelling', () => {
    const n = resolveImageName('debian-bookworm');
    expect(n.kind).to.equal('label');
    expect(n.key).to.equal('label:debian-bookworm');
    expect(resolveImageName('debian-bookworm:latest').key).to.equal('label:debian-bookworm');
  });

  it('other names are registry references, keyed canonically', () => {
    expect(resolveImageName('debian:bookworm').key).to.equal('docker.io/library/debian:bookworm');
    expect(resolveImageName('debian-bookworm:12').key).to.equal('docker.io/library/debian-bookworm:12');
    expect(resolveImageName('127.0.0.1:5000/racker/busybox').key).to.equal('127.0.0.1:5000/racker/busybox:latest');
  });

  it('an image argument is a label, a reference, or else an image ID; anything else is invalid', () => {
    const hex = 'ab12'.repeat(16);
    expect(resolveImageInput('debian-bookworm')).to.include({ kind: 'label', key: 'label:debian-bookworm' });
    expect(resolveImageInput('debian:bookworm')).to.include({ kind: 'registry', key: 'docker.io/library/debian:bookworm' });
    // 64 hex digits are never a name (docker's rule): an ID, looked up without a tag key.
    expect(resolveImageInput(hex)).to.deep.equal({ kind: 'id', id: hex });
    // What is also a valid name resolves as the name; findImage then falls back to the ID prefix.
    expect(resolveImageInput('ab12').key).to.equal('docker.io/library/ab12:latest');
    expect(resolveImageInput(`sha256:${hex}`).key).to.equal(`docker.io/library/sha256:${hex}`);
    expect(() => resolveImageInput('Debian:bookworm')).to.throw('invalid reference format');
    expect([hex, `sha256:${hex}`, 'ab12', 'sha256:ab12'].map(isImageIdLike)).to.deep.equal([true, true, true, true]);
    expect(['abc', 'sha256:', 'AB12', 'a'.repeat(65)].map(isImageIdLike)).to.deep.equal([false, false, false, false]);
  });

  it('shows keys in the REPOSITORY/TAG columns like docker', () => {
    expect(displayName('docker.io/library/debian:bookworm')).to.deep.equal({ repository: 'debian', tag: 'bookworm' });
    expect(displayName('docker.io/user/app:1')).to.deep.equal({ repository: 'user/app', tag: '1' });
    expect(displayName('label:fedora-43')).to.deep.equal({ repository: 'fedora-43', tag: 'latest' });
    expect(displayName(`quay.io/a/b@sha256:${'0'.repeat(64)}`)).to.deep.equal({ repository: 'quay.io/a/b', tag: '<none>' });
    expect(displayString('docker.io/library/debian:bookworm')).to.equal('debian:bookworm');
  });

  it('sends docker.io pulls to RACKER_REGISTRY_MIRROR, and nothing else', () => {
    const env = { RACKER_REGISTRY_MIRROR: 'http://127.0.0.1:5000/' };
    expect(sourceReference(parseReference('debian:bookworm'), env).registry).to.equal('127.0.0.1:5000');
    expect(sourceReference(parseReference('quay.io/a/b'), env).registry).to.equal('quay.io');
    expect(sourceReference(parseReference('debian'), {}).registry).to.equal('docker.io');
  });
});

describe('OCI layout helpers', () => {
  it('layout tags are valid OCI ref names and distinct for distinct keys', () => {
    const a = layoutTag('docker.io/library/debian:bookworm');
    const b = layoutTag('docker.io/library/debian_bookworm');
    expect(a).to.match(/^[A-Za-z0-9._-]+$/);
    expect(a).to.match(/^docker.io_library_debian_bookworm-[a-f0-9]{12}$/);
    expect(a).not.to.equal(b);
  });

  it('keeps only well-typed config fields', () => {
    expect(
      parseImageConfig({ Env: ['A=1'], Cmd: ['sh'], Entrypoint: null, WorkingDir: '', User: 'u', Labels: { a: 'b', n: 1 }, Junk: 1 }),
    ).to.deep.equal({ Env: ['A=1'], Cmd: ['sh'], User: 'u', Labels: { a: 'b' } });
    expect(parseImageConfig(undefined)).to.deep.equal({});
    expect(parseImageConfig({ Cmd: [1, 2] })).to.deep.equal({});
  });

  it('rmi and prune name what they untag as docker does: the familiar name', () => {
    expect(familiarKey('docker.io/library/hello-world:latest')).to.equal('hello-world:latest');
    expect(familiarKey('docker.io/user/app:1')).to.equal('user/app:1');
    expect(familiarKey('127.0.0.1:5000/racker/busybox:latest')).to.equal('127.0.0.1:5000/racker/busybox:latest');
    expect(familiarKey(`docker.io/library/x@sha256:${'a'.repeat(64)}`)).to.equal(`x@sha256:${'a'.repeat(64)}`);
    expect(familiarKey('label:debian-bookworm')).to.equal('debian-bookworm');
  });

  it("docker's isSingleReference: one tag at most, digests of its own repository only", () => {
    const d = `@sha256:${'b'.repeat(64)}`;
    expect(isSingleReference([])).to.equal(false);
    expect(isSingleReference(['docker.io/library/alpine:3.10'])).to.equal(true);
    expect(isSingleReference(['docker.io/library/alpine:3.10', 'docker.io/library/alpine:latest'])).to.equal(false);
    expect(isSingleReference(['docker.io/library/alpine:3.10', `docker.io/library/alpine${d}`])).to.equal(true);
    expect(isSingleReference(['docker.io/library/alpine:3.10', `docker.io/library/other${d}`])).to.equal(false);
    expect(isSingleReference(['127.0.0.1:5000/a:1', `127.0.0.1:5000/a${d}`])).to.equal(true);
  });
});
