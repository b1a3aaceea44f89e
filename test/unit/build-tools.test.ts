import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../../lib/errors.js';
import { baseImages, defaultContainerfile, expand } from '../../lib/image/containerfile.js';
import { mirrorFor } from '../../lib/image/mkosi-build.js';
import { budArgv, checkBuildArg, fromArgv, mountArgv, copyToStorageArgv, rmArgv, tagArgv } from '../../lib/tools/buildah.js';
import { mkosiBuildArgv } from '../../lib/tools/mkosi.js';

const S = { root: '/var/lib/racker/buildah', runroot: '/run/racker/buildah' };
const G = ['buildah', '--root=/var/lib/racker/buildah', '--runroot=/run/racker/buildah', '--storage-driver=overlay'];

describe('buildah argv', () => {
  it('builds with chroot isolation, never pulling, keeping its layer cache', () => {
    expect(budArgv(S, { context: '/ctx', file: '/ctx/Containerfile', iidfile: '/t/iid' })).to.deep.equal([
      ...G,
      'bud',
      '--isolation=chroot',
      '--pull=never',
      '--layers',
      '--force-rm',
      '--iidfile=/t/iid',
      '--file=/ctx/Containerfile',
      '/ctx',
    ]);
  });

  it('passes --no-cache, -q, --target and every --build-arg as one word each', () => {
    const argv = budArgv(S, { context: '/c', file: '/c/f', iidfile: '/i', noCache: true, quiet: true, target: 'final', buildArgs: ['A=1 2', 'B', 'C='] });
    expect(argv.slice(G.length + 6)).to.deep.equal(['--no-cache', '--quiet', '--target=final', '--build-arg=A=1 2', '--build-arg=B', '--build-arg=C=', '--file=/c/f', '/c']);
  });

  it('refuses build arguments that are not NAME[=VALUE]', () => {
    for (const bad of ['', '=x', '1A=2', '-x', 'A B=1']) expect(() => checkBuildArg(bad), bad).to.throw(UsageError);
    expect(checkBuildArg('_A1=x=y')).to.equal('_A1=x=y');
  });

  it('refuses paths that buildah would take for options', () => {
    expect(() => budArgv(S, { context: '-x', file: '/f', iidfile: '/i' })).to.throw(UsageError);
    expect(() => budArgv({ root: '--x', runroot: '/r' }, { context: '/c', file: '/f', iidfile: '/i' })).to.throw(UsageError);
  });

  it('copies a base image from an OCI layout into buildah’s storage with skopeo, under a name', () => {
    expect(copyToStorageArgv(S, '/var/lib/racker/tmp/build-1-ab/base-0', 'base', 'docker.io/library/debian:bookworm')).to.deep.equal([
      'skopeo',
      'copy',
      '--quiet',
      'oci:/var/lib/racker/tmp/build-1-ab/base-0:base',
      'containers-storage:[overlay@/var/lib/racker/buildah+/run/racker/buildah]docker.io/library/debian:bookworm',
    ]);
    expect(() => copyToStorageArgv(S, '/a:b', 'base', 'x')).to.throw(UsageError);
    expect(() => copyToStorageArgv(S, 'relative', 'base', 'x')).to.throw(UsageError);
    expect(() => copyToStorageArgv(S, '/a', 'x:y', 'x')).to.throw(UsageError);
    expect(() => copyToStorageArgv({ root: '/r+x', runroot: '/r' }, '/a', 'base', 'x')).to.throw(UsageError);
  });

  it('tags, makes, mounts and removes working containers', () => {
    expect(tagArgv(S, 'abc', ['docker.io/library/debian:bookworm', 'localhost/debian:bookworm'])).to.deep.equal([...G, 'tag', 'abc', 'docker.io/library/debian:bookworm', 'localhost/debian:bookworm']);
    expect(fromArgv(S, 'sha256:ab')).to.deep.equal([...G, 'from', '--pull=never', '--quiet', 'sha256:ab']);
    expect(mountArgv(S, 'c1')).to.deep.equal([...G, 'mount', 'c1']);
    expect(rmArgv(S, 'c1')).to.deep.equal([...G, 'rm', 'c1']);
  });
});

describe('mkosi argv', () => {
  it('always asks for a directory tree, with racker’s workspace, cache and mirror', () => {
    expect(mkosiBuildArgv({ directory: '/conf', output: '/t/tree', workspace: '/t/work', cache: '/c', mirror: 'http://mirror.example/debian' })).to.deep.equal([
      'mkosi',
      '--directory=/conf',
      '--format=directory',
      '--output=/t/tree',
      '--workspace-dir=/t/work',
      '--cache=/c',
      '--mirror=http://mirror.example/debian',
      'build',
    ]);
  });

  it('refuses relative paths and bad mirrors', () => {
    expect(() => mkosiBuildArgv({ directory: 'conf', output: '/o', workspace: '/w' })).to.throw(UsageError);
    expect(() => mkosiBuildArgv({ directory: '/c', output: '/o', workspace: '/w', mirror: 'not a uri' })).to.throw(UsageError);
  });

  it('hands over racker’s Debian mirror only for a Debian configuration without a Mirror= of its own', () => {
    const m = () => 'http://m/debian';
    expect(mirrorFor('[Distribution]\nDistribution=debian\nRelease=bookworm\n', m)).to.equal('http://m/debian');
    expect(mirrorFor('[Content]\nPackages=systemd\n', m)).to.equal('http://m/debian'); // mkosi's default on a Debian host
    expect(mirrorFor('[Distribution]\nDistribution=fedora\n', m)).to.equal(undefined);
    expect(mirrorFor('[Distribution]\nDistribution=debian\nMirror=http://own/debian\n', m)).to.equal(undefined);
  });
});

describe('Containerfile', () => {
  it('finds Containerfile before Dockerfile, as podman and buildah do', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'racker-cf-'));
    try {
      expect(() => defaultContainerfile(dir)).to.throw(UsageError, /no Containerfile or Dockerfile/);
      writeFileSync(path.join(dir, 'Dockerfile'), 'FROM a\n');
      expect(defaultContainerfile(dir)).to.equal(path.join(dir, 'Dockerfile'));
      writeFileSync(path.join(dir, 'Containerfile'), 'FROM b\n');
      expect(defaultContainerfile(dir)).to.equal(path.join(dir, 'Containerfile'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the images FROM and COPY --from build on, not stages or scratch', () => {
    const text = [
      '# syntax=docker/dockerfile:1',
      'FROM --platform=linux/amd64 debian:bookworm AS build',
      'RUN make \\',
      '  # a comment inside',
      '  all',
      'FROM build AS test',
      'COPY --from=busybox:latest /bin/busybox /bin/',
      'COPY --from=build /out /out',
      'COPY --from=0 /x /x',
      'from scratch',
      'FROM debian:bookworm',
    ].join('\n');
    expect(baseImages(text)).to.deep.equal(['debian:bookworm', 'busybox:latest']);
  });

  it('expands global ARGs, with --build-arg over their defaults', () => {
    const text = 'ARG REG=127.0.0.1:5000\nARG BASE=${REG}/library/debian TAG=bookworm\nFROM $BASE:${TAG}\nARG LATE=x\nFROM ${LATE:-alpine}\n';
    expect(baseImages(text)).to.deep.equal(['127.0.0.1:5000/library/debian:bookworm', 'alpine']);
    expect(baseImages(text, ['TAG=trixie', 'REG'], { REG: 'r.example' })).to.deep.equal(['r.example/library/debian:trixie', 'alpine']);
  });

  it('expands ${VAR:-default} and ${VAR:+alternative}', () => {
    const vars = new Map([['A', 'a'], ['E', '']]);
    expect(expand('${A:-x}${E:-y}${A:+z}${E:+w}$A${MISSING}', vars)).to.equal('ayza');
  });

  it('refuses a FROM without an image', () => {
    expect(() => baseImages('FROM\n')).to.throw(UsageError);
  });
});

describe('POST /build messages', () => {
  it('says a failed shell-form RUN in dockerd’s words, anything else as buildah said it', async () => {
    const { dockerMessage } = await import('../../lib/api/build.js');
    expect(dockerMessage('building at STEP "RUN exit 1": exit status 1')).to.equal("The command '/bin/sh -c exit 1' returned a non-zero code: 1");
    expect(dockerMessage('building at STEP "RUN ["false"]": exit status 1')).to.equal('building at STEP "RUN ["false"]": exit status 1');
    expect(dockerMessage('no such image')).to.equal('no such image');
  });
});
