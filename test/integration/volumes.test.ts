/**
 * Issue 15 (named volumes): `-v NAME:/path` binds a volume made on first use; its files
 * outlive the container; `racker volume` creates, lists, inspects, removes and prunes them;
 * a volume a container uses is not removed.
 */
import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import { racker, seen, tempRoot } from '../helpers/cli.js';
import { killLeftovers } from '../helpers/containers.js';
import { requireIntegration } from '../helpers/integration.js';
import { startRegistry, type FixtureRegistry } from '../helpers/registry.js';

describe('named volumes (integration, issue 15)', function () {
  this.timeout(120_000);
  let reg: FixtureRegistry;
  let root: string;
  let BUSYBOX: string;
  const rk = (args: string[]) => racker(args, { root, timeoutMs: 120_000 });

  before(async function () {
    requireIntegration(this);
    reg = await startRegistry();
    root = tempRoot('racker-volumes-');
    BUSYBOX = `${reg.host}/racker/busybox:latest`;
    expect((await rk(['pull', '-q', BUSYBOX])).code).to.equal(0);
  });
  after(async () => {
    if (root) {
      await killLeftovers(root);
      await fs.rm(root, { recursive: true, force: true });
    }
    await reg?.stop();
  });

  it('-v NAME:/path: made on first use, its files outlive the container, read-only when asked; inspect shows a volume mount', async () => {
    expect(seen(await rk(['run', '--name', 'writer', '-v', 'notes:/notes', BUSYBOX, 'sh', '-c', 'echo kept > /notes/a']))).to.deep.equal({ code: 0, stdout: '', stderr: '' });
    const mounts = JSON.parse((await rk(['inspect', 'writer'])).stdout)[0].Mounts;
    expect(mounts).to.deep.equal([{ Type: 'volume', Name: 'notes', Source: `${root}/lib/volumes/notes/_data`, Destination: '/notes', Driver: 'local', Mode: '', RW: true }]);
    expect(JSON.parse((await rk(['inspect', 'writer'])).stdout)[0].HostConfig.Binds).to.deep.equal(['notes:/notes']);
    expect(seen(await rk(['run', '--rm', '-v', 'notes:/n:ro', BUSYBOX, 'sh', '-c', 'cat /n/a; echo x > /n/b']))).to.deep.include({ code: 1, stdout: 'kept\n' });
    expect((await rk(['volume', 'ls'])).stdout).to.equal('DRIVER   VOLUME NAME\nlocal    notes\n');
    expect((await rk(['volume', 'inspect', '-f', '{{.Driver}} {{.Mountpoint}}', 'notes'])).stdout).to.equal(`local ${root}/lib/volumes/notes/_data\n`);
    // In use by a container (even a stopped one): refused, as docker.
    const inUse = await rk(['volume', 'rm', 'notes']);
    expect(inUse.code).to.equal(1);
    expect(inUse.stderr).to.match(/^racker: remove notes: volume is in use - \[[0-9a-f]{64}\]\n$/);
    expect((await rk(['rm', 'writer'])).code).to.equal(0);
    expect(seen(await rk(['volume', 'rm', 'notes']))).to.deep.equal({ code: 0, stdout: 'notes\n', stderr: '' });
    expect(seen(await rk(['volume', 'inspect', 'notes']))).to.deep.equal({ code: 1, stdout: '', stderr: 'racker: get notes: no such volume\n' });
    expect(seen(await rk(['volume', 'rm', '-f', 'notes']))).to.deep.equal({ code: 0, stdout: 'notes\n', stderr: '' });
  });

  it('volume create (a name, labels, or a random name), prune: anonymous ones, or named ones too with -a', async () => {
    expect(seen(await rk(['volume', 'create', '--label', 'team=qa', 'cache']))).to.deep.equal({ code: 0, stdout: 'cache\n', stderr: '' });
    expect((await rk(['volume', 'create', 'cache'])).stdout).to.equal('cache\n'); // docker: the same one again
    expect((await rk(['volume', 'inspect', '-f', '{{json .Labels}}', 'cache'])).stdout).to.equal('{"team":"qa"}\n');
    expect((await rk(['volume', 'create'])).stdout).to.match(/^[0-9a-f]{64}\n$/);
    expect(seen(await rk(['volume', 'create', 'a b']))).to.deep.equal({ code: 1, stdout: '', stderr: 'racker: create a b: "a b" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed\n' });
    expect((await rk(['volume', 'prune', '-f'])).stdout).to.match(/^Deleted Volumes:\n[0-9a-f]{64}\n$/);
    expect((await rk(['volume', 'ls', '-q'])).stdout).to.equal('cache\n');
    expect((await rk(['volume', 'prune', '-f', '-a'])).stdout).to.equal('Deleted Volumes:\ncache\n');
    expect((await rk(['volume', 'ls', '-q'])).stdout).to.equal('');
  });
});
