import { expect } from 'chai';
import { UsageError } from '../../lib/errors.js';
import {
  familiarName,
  familiarString,
  formatReference,
  isLoopbackRegistry,
  parseReference,
  registryEndpoint,
  type ImageReference,
} from '../../lib/registry/reference.js';

const HEX = '7cc4b5aefd1d0cadf8d97d4350462ba51c694ebca145b08d7d41b41acc8db5aa';
const D = `sha256:${HEX}`;
const D512 = `sha512:${'0123456789abcdef'.repeat(8)}`;
const HEX64_NAME = '1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a';
const TAG128 = `t${'x'.repeat(127)}`;
const PATH255 = `a/${'b'.repeat(253)}`;

/** input → canonical form. Cases follow distribution/reference's own tests where they exist. */
const VALID: [string, string][] = [
  ['debian', 'docker.io/library/debian:latest'],
  ['debian:bookworm', 'docker.io/library/debian:bookworm'],
  ['library/debian', 'docker.io/library/debian:latest'],
  ['docker.io/debian', 'docker.io/library/debian:latest'],
  ['docker.io/library/debian:12', 'docker.io/library/debian:12'],
  ['index.docker.io/library/debian', 'docker.io/library/debian:latest'],
  ['index.docker.io/debian:sid', 'docker.io/library/debian:sid'],
  ['user/app', 'docker.io/user/app:latest'],
  ['user/app:v1.2.3', 'docker.io/user/app:v1.2.3'],
  ['docker.io/user/app/sub:tag', 'docker.io/user/app/sub:tag'],
  ['library/foo/bar', 'docker.io/library/foo/bar:latest'],
  ['localhost/foo', 'localhost/foo:latest'],
  ['localhost:5000/foo/bar:1', 'localhost:5000/foo/bar:1'],
  ['127.0.0.1:5000/racker/busybox', '127.0.0.1:5000/racker/busybox:latest'],
  ['127.0.0.1:5000/racker/busybox:1.36', '127.0.0.1:5000/racker/busybox:1.36'],
  ['[::1]:5000/racker/busybox', '[::1]:5000/racker/busybox:latest'],
  ['[fc00:1:2:3:4:5:6:7]:5000/library/debian', '[fc00:1:2:3:4:5:6:7]:5000/library/debian:latest'],
  ['quay.io/centos/centos:stream9', 'quay.io/centos/centos:stream9'],
  ['registry.access.redhat.com/ubi9/ubi-init', 'registry.access.redhat.com/ubi9/ubi-init:latest'],
  ['example.com/privatebase', 'example.com/privatebase:latest'],
  ['example.com:8000/private/moonbase', 'example.com:8000/private/moonbase:latest'],
  [`reg:5000/a/b@${D}`, `reg:5000/a/b@${D}`],
  [`debian@${D}`, `docker.io/library/debian@${D}`],
  [`x/y:t@${D}`, `docker.io/x/y:t@${D}`],
  [`reg.example.com/a/b:tag@${D}`, `reg.example.com/a/b:tag@${D}`],
  [`a/b@${D512}`, `docker.io/a/b@${D512}`],
  // An uppercase first component can't be a namespace, so docker reads it as a host.
  ['Foo/bar', 'Foo/bar:latest'],
  ['LOCALDOMAIN/library/debian', 'LOCALDOMAIN/library/debian:latest'],
  // A single component is never a registry: these are Docker Hub names, ":80" a tag.
  ['192.168.0.1', 'docker.io/library/192.168.0.1:latest'],
  ['192.168.0.1:80', 'docker.io/library/192.168.0.1:80'],
  ['localhost', 'docker.io/library/localhost:latest'],
  ['localhost:5000', 'docker.io/library/localhost:5000'],
  ['dock__er/docker', 'docker.io/dock__er/docker:latest'],
  ['docker---rules/docker', 'docker.io/docker---rules/docker:latest'],
  ['a/b-c.d_e', 'docker.io/a/b-c.d_e:latest'],
  ['d/docker', 'docker.io/d/docker:latest'],
  ['ubuntu-12.04-base', 'docker.io/library/ubuntu-12.04-base:latest'],
  ['debian:Bookworm_1.x-RC', 'docker.io/library/debian:Bookworm_1.x-RC'],
  [`docker.io/${HEX64_NAME}`, `docker.io/library/${HEX64_NAME}:latest`],
  [`debian:${TAG128}`, `docker.io/library/debian:${TAG128}`],
  [PATH255, `docker.io/${PATH255}:latest`],
  // The length limit counts the path only, not the registry (distribution/reference v0.6).
  [`registry.example.com:5000/${PATH255}`, `registry.example.com:5000/${PATH255}:latest`],
];

/** input → docker's message. */
const INVALID: [string, string][] = [
  ['', 'invalid reference format'],
  ['/debian', 'invalid reference format'],
  ['debian/', 'invalid reference format'],
  ['/', 'invalid reference format'],
  ['a//b', 'invalid reference format'],
  ['docker///docker', 'invalid reference format'],
  [':tag', 'invalid reference format'],
  ['debian:', 'invalid reference format'],
  ['debian@', 'invalid reference format'],
  ['debian:-tag', 'invalid reference format'],
  ['debian:.tag', 'invalid reference format'],
  ['a/b:t:u', 'invalid reference format'],
  ['debian;rm -rf /', 'invalid reference format'],
  ['$(id)', 'invalid reference format'],
  ['`id`', 'invalid reference format'],
  ['deb ian', 'invalid reference format'],
  ['debian\n', 'invalid reference format'],
  ['debian|sh', 'invalid reference format'],
  ['-docker', 'invalid reference format'],
  ['-docker/docker', 'invalid reference format'],
  ['docker-/docker', 'invalid reference format'],
  ['dock..er/docker', 'invalid reference format'],
  ['dock_.er/docker', 'invalid reference format'],
  ['____/____', 'invalid reference format'],
  ['https://github.com/docker/docker', 'invalid reference format'],
  ['[fc00::1]:5000', 'invalid reference format'],
  ['fc00::1:5000/debian', 'invalid reference format'],
  ['[fe80::1%eth0]:5000/debian', 'invalid reference format'],
  ['dëbian', 'invalid reference format'],
  ['debian@sha256:abc', 'invalid reference format'],
  [`debian:${TAG128}x`, 'invalid reference format'],
  ['Debian', 'invalid reference format: repository name (library/Debian) must be lowercase'],
  ['docker/Docker', 'invalid reference format: repository name (docker/Docker) must be lowercase'],
  ['example.com/Foo/bar:tag', 'invalid reference format: repository name (Foo/bar) must be lowercase'],
  ['docker.io/docker/Docker', 'invalid reference format: repository name (docker/Docker) must be lowercase'],
  [HEX64_NAME, `invalid repository name (${HEX64_NAME}), cannot specify 64-byte hexadecimal strings`],
  [`${PATH255}b`, 'repository name must not be more than 255 characters'],
  [`debian@sha256:${HEX.slice(1)}`, 'invalid checksum digest length'],
  [`debian@sha256:${HEX.toUpperCase()}`, 'invalid checksum digest format'],
  [`debian@md5:${'a'.repeat(32)}`, 'unsupported digest algorithm'],
  [`debian@Sha-256:${HEX}`, 'invalid reference format: repository name (library/debian@Sha-256) must be lowercase'],
  [`x/y:t@SHA256:${HEX}`, 'invalid checksum digest format'],
];

describe('image reference', () => {
  it('has fixtures of the expected size', () => {
    expect(HEX).to.have.length(64);
    expect(TAG128).to.have.length(128);
    expect(PATH255).to.have.length(255);
    expect(VALID.length).to.be.at.least(30);
    expect(INVALID.length).to.be.at.least(15);
  });

  describe('parseReference → formatReference', () => {
    for (const [input, canonical] of VALID) {
      it(`${JSON.stringify(input.length > 60 ? `${input.slice(0, 57)}...` : input)} → canonical`, () => {
        expect(formatReference(parseReference(input))).to.equal(canonical);
      });
    }
  });

  describe('round trip', () => {
    for (const [input, canonical] of VALID) {
      it(`parse(format(x)) === x for ${JSON.stringify(canonical.slice(0, 60))}`, () => {
        const ref = parseReference(input);
        expect(parseReference(formatReference(ref))).to.deep.equal(ref);
        expect(formatReference(parseReference(canonical))).to.equal(canonical);
      });
    }
  });

  describe('rejects', () => {
    for (const [input, message] of INVALID) {
      it(`${JSON.stringify(input.length > 60 ? `${input.slice(0, 57)}...` : input)}: ${message.slice(0, 60)}`, () => {
        let caught: unknown;
        try {
          parseReference(input);
        } catch (err) {
          caught = err;
        }
        expect(caught).to.be.instanceOf(UsageError);
        expect((caught as UsageError).message).to.equal(message);
        expect((caught as UsageError).exitCode).to.equal(125);
      });
    }
  });

  it('parses into exact fields', () => {
    expect(parseReference('debian')).to.deep.equal({ registry: 'docker.io', repository: 'library/debian', tag: 'latest' });
    expect(parseReference(`reg:5000/a/b@${D}`)).to.deep.equal({ registry: 'reg:5000', repository: 'a/b', digest: D });
    expect(parseReference(`x/y:t@${D}`)).to.deep.equal({ registry: 'docker.io', repository: 'x/y', tag: 't', digest: D });
    expect(parseReference('[::1]:5000/racker/busybox:1')).to.deep.equal({
      registry: '[::1]:5000',
      repository: 'racker/busybox',
      tag: '1',
    });
    // No "tag: undefined" key when there is a digest: deep equality and JSON stay clean.
    expect(Object.keys(parseReference(`debian@${D}`))).to.deep.equal(['registry', 'repository', 'digest']);
  });

  it('stays fast on hostile input', () => {
    const hostile = [
      `a.${'a-'.repeat(5000)}/x!`,
      `x.y/${'a-'.repeat(5000)}A`,
      `x.y/${'a_'.repeat(5000)}`,
      `${'ab.'.repeat(3000)}x:1/y@`,
      `x.y/a@${'a.a'.repeat(3000)}:ff`,
    ];
    const start = process.hrtime.bigint();
    for (const s of hostile) expect(() => parseReference(s)).to.throw(UsageError);
    expect(Number(process.hrtime.bigint() - start) / 1e6).to.be.below(500);
  });

  describe('familiarName / familiarString', () => {
    const cases: [string, string, string][] = [
      ['debian', 'debian', 'debian:latest'],
      ['docker.io/library/debian:bookworm', 'debian', 'debian:bookworm'],
      ['user/app:1', 'user/app', 'user/app:1'],
      ['library/foo/bar', 'library/foo/bar', 'library/foo/bar:latest'],
      ['127.0.0.1:5000/racker/busybox:1.36', '127.0.0.1:5000/racker/busybox', '127.0.0.1:5000/racker/busybox:1.36'],
      ['localhost/foo', 'localhost/foo', 'localhost/foo:latest'],
      [`debian@${D}`, 'debian', `debian@${D}`],
      [`x/y:t@${D}`, 'x/y', `x/y:t@${D}`],
      ['quay.io/centos/centos:stream10', 'quay.io/centos/centos', 'quay.io/centos/centos:stream10'],
    ];
    for (const [input, name, full] of cases) {
      it(`${input.slice(0, 50)} → ${name}`, () => {
        const ref = parseReference(input);
        expect(familiarName(ref)).to.equal(name);
        expect(familiarString(ref)).to.equal(full);
      });
    }

    it('familiarizes references that were built by hand', () => {
      const ref: ImageReference = { registry: 'docker.io', repository: 'library/debian' };
      expect(familiarName(ref)).to.equal('debian');
      expect(familiarString(ref)).to.equal('debian');
      expect(formatReference(ref)).to.equal('docker.io/library/debian');
    });
  });

  describe('isLoopbackRegistry', () => {
    const cases: [string, boolean][] = [
      ['localhost', true],
      ['localhost:5000', true],
      ['LOCALHOST:5000', true],
      ['127.0.0.1', true],
      ['127.0.0.1:5000', true],
      ['127.1.2.3:80', true],
      ['127.255.255.254', true],
      ['[::1]', true],
      ['[::1]:5000', true],
      ['[0:0:0:0:0:0:0:1]:5000', true],
      ['[::ffff:127.0.0.1]:5000', true],
      ['::1', true],
      ['128.0.0.1', false],
      ['126.0.0.1:5000', false],
      ['127.0.0.256', false],
      ['127.0.0', false],
      ['127.0.0.01', false],
      ['10.0.0.1:5000', false],
      ['docker.io', false],
      ['localhost.example.com', false],
      ['mylocalhost:5000', false],
      ['127.0.0.1.nip.io', false],
      ['localhost:abc', false],
      ['[::2]', false],
      ['[fe80::1]:5000', false],
      ['[::ffff:10.0.0.1]', false],
      ['[::1', false],
      ['[::1]x', false],
      ['', false],
    ];
    for (const [registry, expected] of cases) {
      it(`${JSON.stringify(registry)} → ${expected}`, () => {
        expect(isLoopbackRegistry(registry)).to.equal(expected);
      });
    }
  });

  describe('registryEndpoint', () => {
    const cases: [string, string][] = [
      ['docker.io', 'registry-1.docker.io'],
      ['index.docker.io', 'registry-1.docker.io'],
      ['quay.io', 'quay.io'],
      ['127.0.0.1:5000', '127.0.0.1:5000'],
      ['registry-1.docker.io', 'registry-1.docker.io'],
    ];
    for (const [registry, endpoint] of cases) {
      it(`${registry} → ${endpoint}`, () => {
        expect(registryEndpoint(registry)).to.equal(endpoint);
      });
    }
  });
});
