import { expect } from 'chai';
import { classifySkopeoError, copyToLayoutArgv, inspectRawArgv } from '../../lib/tools/skopeo.js';
import { gcArgv, removeTagArgv, unpackArgv } from '../../lib/tools/umoci.js';
import { nspawnRunArgv } from '../../lib/tools/nspawn.js';
import { rootfsLayerArgv } from '../../lib/tools/tar.js';

describe('argv builders', () => {
  it('skopeo copy into the layout, TLS on, no auth', () => {
    expect(copyToLayoutArgv('docker.io/library/debian:bookworm', '/s/oci', 'tag1', { tlsVerify: true })).to.deep.equal([
      'skopeo', 'copy', '--retry-times', '2', 'docker://docker.io/library/debian:bookworm', 'oci:/s/oci:tag1',
    ]);
  });

  it('skopeo copy with TLS off and an auth file (credentials never on argv)', () => {
    expect(copyToLayoutArgv('127.0.0.1:5000/a:b', '/o', 't', { tlsVerify: false, authFile: '/run/a.json' })).to.deep.equal([
      'skopeo', 'copy', '--retry-times', '2', '--src-tls-verify=false', '--src-authfile', '/run/a.json', 'docker://127.0.0.1:5000/a:b', 'oci:/o:t',
    ]);
    expect(inspectRawArgv('r/x:y', { tlsVerify: false })).to.deep.equal(['skopeo', 'inspect', '--raw', '--tls-verify=false', 'docker://r/x:y']);
  });

  it('classifies skopeo failures', () => {
    expect(classifySkopeoError('reading manifest nope in 127.0.0.1:5000/x: manifest unknown')).to.equal('not-found');
    expect(classifySkopeoError('unauthorized: authentication required')).to.equal('unauthorized');
    expect(classifySkopeoError('x509: certificate signed by unknown authority')).to.equal('tls');
    expect(classifySkopeoError('dial tcp 127.0.0.1:1: connect: connection refused')).to.equal('unreachable');
    expect(classifySkopeoError('something odd')).to.equal('other');
  });

  it('umoci unpack, rm, gc', () => {
    expect(unpackArgv('/o', 't', '/d')).to.deep.equal(['umoci', 'unpack', '--image', '/o:t', '/d']);
    expect(removeTagArgv('/o', 't')).to.deep.equal(['umoci', 'rm', '--image', '/o:t']);
    expect(gcArgv('/o')).to.deep.equal(['umoci', 'gc', '--layout', '/o']);
  });

  it('nspawn one-shot without machined', () => {
    expect(nspawnRunArgv({ directory: '/r', command: ['apt-get', 'update'], env: { DEBIAN_FRONTEND: 'noninteractive' }, register: false })).to.deep.equal([
      'systemd-nspawn', '--quiet', '--directory=/r', '--console=pipe', '--resolv-conf=copy-host', '--timezone=off',
      '--register=no', '--keep-unit', '--setenv=DEBIAN_FRONTEND=noninteractive', '--', 'apt-get', 'update',
    ]);
  });

  it('nspawn one-shot with machined and a private network', () => {
    expect(nspawnRunArgv({ directory: '/r', command: ['true'], register: true, machine: 'm1', privateNetwork: true })).to.deep.equal([
      'systemd-nspawn', '--quiet', '--directory=/r', '--console=pipe', '--resolv-conf=copy-host', '--timezone=off',
      '--register=yes', '--machine=m1', '--private-network', '--', 'true',
    ]);
  });

  it('tar: a root filesystem as one reproducible layer, numeric owners and file capabilities kept', () => {
    expect(rootfsLayerArgv('/s/rootfs', '/s/layer.tar')).to.deep.equal([
      'tar', '--create', '--file=/s/layer.tar', '--format=posix', '--numeric-owner', '--xattrs',
      '--xattrs-include=security.capability', '--sort=name', '--directory=/s/rootfs', '.',
    ]);
  });
});
