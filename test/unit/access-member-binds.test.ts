import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bindMaps, holderArgv, holderWhy } from '../../lib/access/member-binds.js';

const bob = { hostUid: 1000, hostGid: 1001, uid: 0, gid: 0 };

describe('access: member binds', () => {
  it("maps the member (the mount's namespace id) to the container's user, one id each", () => {
    expect(bindMaps(bob)).to.deep.equal({ uidMap: '1000 0 1\n', gidMap: '1001 0 1\n' });
    // racker shell: the member's account inside is the member: the identity.
    expect(bindMaps({ hostUid: 1000, hostGid: 1001, uid: 1000, gid: 1001 })).to.deep.equal({ uidMap: '1000 1000 1\n', gidMap: '1001 1001 1\n' });
  });

  it('opens the path as the member (setpriv with their ids and groups), the path and mode as arguments, never in the script', () => {
    const argv = holderArgv(bob, "/home/bob/it's; rm -rf /", true);
    expect(argv.slice(0, 8)).to.deep.equal(['setpriv', '--reuid=1000', '--regid=1001', '--init-groups', '--reset-env', '--', 'sh', '-c']);
    expect(argv.slice(9)).to.deep.equal(['sh', "/home/bob/it's; rm -rf /", 'ro']);
    expect(argv[8]).to.not.include('/home/bob');
    expect(holderArgv(bob, '/srv', false).at(-1)).to.equal('rw');
  });

  it("gives dash's and mkdir's errors without their prefixes", () => {
    expect(holderWhy('sh: 4: cannot open /root: Permission denied\n')).to.equal('Permission denied');
    expect(holderWhy("mkdir: cannot create directory '/etc/x': Permission denied\n")).to.equal("cannot create directory '/etc/x': Permission denied");
    expect(holderWhy('you may not write to it (mount it read-only: :ro)\n')).to.equal('you may not write to it (mount it read-only: :ro)');
    expect(holderWhy('')).to.equal('it cannot be opened');
  });

  describe('the holder script, run here as root (the member checks are the integration tests)', () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'racker-holder-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));
    const run = (p: string, mode: 'ro' | 'rw') => {
      // The script alone (argv[8]), without setpriv: its answers for kinds of paths.
      const script = holderArgv(bob, p, mode === 'ro')[8]!;
      try {
        return { out: execFileSync('sh', ['-c', script, 'sh', p, mode], { input: '', encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] }), err: '' };
      } catch (e) {
        return { out: String((e as { stdout?: string }).stdout ?? ''), err: String((e as { stderr?: string }).stderr ?? '') };
      }
    };
    it('says ready for a directory and a file, makes a missing directory, refuses a FIFO without opening it', () => {
      writeFileSync(path.join(dir, 'f'), 'x');
      expect(run(dir, 'rw').out).to.equal('ready\n');
      expect(run(path.join(dir, 'f'), 'ro').out).to.equal('ready\n');
      expect(run(path.join(dir, 'new/deep'), 'rw').out).to.equal('ready\n');
      execFileSync('mkfifo', [path.join(dir, 'fifo')]);
      expect(run(path.join(dir, 'fifo'), 'ro')).to.deep.equal({ out: '', err: 'not a directory or a regular file\n' });
      // A dangling link is not "missing": nothing is made where it points.
      symlinkSync(path.join(dir, 'nowhere'), path.join(dir, 'dangling'));
      expect(run(path.join(dir, 'dangling'), 'rw').out).to.equal('');
      expect(() => execFileSync('test', ['-e', path.join(dir, 'nowhere')])).to.throw();
    });
  });
});
