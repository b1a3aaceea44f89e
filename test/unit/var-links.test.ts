/** An ostree/bootc image's links into /var get their targets before the container starts (lib/container/var-links.ts). */
import { expect } from 'chai';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ContainerRoot } from '../../lib/fs/in-root.js';
import { makeVarLinkTargets } from '../../lib/container/var-links.js';

describe('ostree-style links into /var (makeVarLinkTargets)', () => {
  let base: string;
  let dir: string;
  let host: string;
  const made = () => ContainerRoot.with(dir, (root) => makeVarLinkTargets(root));
  const mode = (p: string) => statSync(path.join(dir, p)).mode & 0o7777;

  beforeEach(() => {
    base = mkdtempSync(path.join(os.tmpdir(), 'racker-varlinks-'));
    dir = path.join(base, 'root');
    host = path.join(base, 'host');
    mkdirSync(path.join(dir, 'var'), { recursive: true });
    mkdirSync(path.join(dir, 'usr'), { recursive: true });
    mkdirSync(host);
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  it("makes the targets a fedora-bootc image's links name, with tmpfiles' modes, and says which", () => {
    // The links exactly as Fedora's bootc images ship them.
    symlinkSync('var/home', path.join(dir, 'home'));
    symlinkSync('var/roothome', path.join(dir, 'root'));
    symlinkSync('var/opt', path.join(dir, 'opt'));
    symlinkSync('var/srv', path.join(dir, 'srv'));
    symlinkSync('var/mnt', path.join(dir, 'mnt'));
    symlinkSync('run/media', path.join(dir, 'media')); // not into /var: left alone
    symlinkSync('../var/usrlocal', path.join(dir, 'usr/local'));
    expect(made()).to.deep.equal(['/var/home', '/var/roothome', '/var/opt', '/var/srv', '/var/mnt', '/var/usrlocal']);
    expect(mode('var/roothome')).to.equal(0o700);
    expect(mode('var/home')).to.equal(0o755);
    expect(statSync(path.join(dir, 'root')).isDirectory()).to.equal(true);
    expect(existsSync(path.join(dir, 'run/media'))).to.equal(false);
    // The links themselves are the image's, unchanged.
    expect(readlinkSync(path.join(dir, 'root'))).to.equal('var/roothome');
    // Once there, nothing more to do (the next start of the same container).
    expect(made()).to.deep.equal([]);
  });

  it('leaves a plain image alone: real directories, no links, an existing target keeps its mode', () => {
    mkdirSync(path.join(dir, 'root'), { mode: 0o700 });
    mkdirSync(path.join(dir, 'var/home'), { mode: 0o750 });
    symlinkSync('var/home', path.join(dir, 'home'));
    expect(made()).to.deep.equal([]);
    expect(mode('var/home')).to.equal(0o750);
    expect(lstatSync(path.join(dir, 'root')).isDirectory()).to.equal(true);
  });

  it("a hostile image's links are resolved inside its root: nothing is made on the host", () => {
    // An absolute link to a host path that exists only on the host, and one climbing out with ..
    symlinkSync(path.join(host, 'var/x'), path.join(dir, 'opt'));
    symlinkSync('../../../../../../../var/racker-escape-test', path.join(dir, 'srv'));
    // Resolved inside the root, /opt names <root>/<host>/var/x: not under /var, left alone;
    // /srv climbs no higher than the root's own /, so its target is the root's /var.
    expect(made()).to.deep.equal(['/var/racker-escape-test']);
    expect(existsSync(path.join(host, 'var'))).to.equal(false);
    expect(existsSync('/var/racker-escape-test')).to.equal(false);
    expect(statSync(path.join(dir, 'var/racker-escape-test')).isDirectory()).to.equal(true);
  });

  it('a link loop or a file on the way is the image\'s problem: skipped, the others still made', () => {
    symlinkSync('mnt', path.join(dir, 'mnt-loop'));
    symlinkSync('mnt-loop', path.join(dir, 'mnt'));
    writeFileSync(path.join(dir, 'var/file'), '');
    symlinkSync('var/file/home', path.join(dir, 'home'));
    symlinkSync('var/roothome', path.join(dir, 'root'));
    expect(made()).to.deep.equal(['/var/roothome']);
  });
});
