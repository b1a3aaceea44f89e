import { expect } from 'chai';
import path from 'node:path';
import { throwsMessage } from '../helpers/assert.js';
import { generateName, mergeEnv, parseEnvFile, parseVolume, resolveCommand, resolveUser } from '../../lib/container/spec.js';
import { hostnameFor, validateName } from '../../lib/container/record.js';
import { normalizeSignal } from '../../lib/container/control.js';
import { shellQuote } from '../../lib/container/exec.js';

describe('container spec', () => {
  it('resolves the command like docker (Entrypoint, Cmd, --entrypoint)', () => {
    const image = { Entrypoint: ['/ep'], Cmd: ['a', 'b'] };
    expect(resolveCommand(image, undefined, [])).to.deep.equal(['/ep', 'a', 'b']);
    expect(resolveCommand(image, undefined, ['x'])).to.deep.equal(['/ep', 'x']);
    expect(resolveCommand(image, '/other', [])).to.deep.equal(['/other']);
    expect(resolveCommand(image, '', ['ls'])).to.deep.equal(['ls']);
    expect(resolveCommand({ Cmd: ['bash'] }, undefined, [])).to.deep.equal(['bash']);
    expect(resolveCommand({}, undefined, [])).to.deep.equal([]);
  });

  it('parses env files like docker', () => {
    expect(parseEnvFile('# comment\n\nA=1\n  B=two words\nC\nD=\r\nE==x\n', 'f')).to.deep.equal(['A=1', 'B=two words', 'C', 'D=', 'E==x']);
    expect(throwsMessage(() => parseEnvFile('BAD KEY=1\n', 'f.env'))).to.equal("invalid env file f.env line 1: variable 'BAD KEY' contains whitespaces");
  });

  it('merges image env with -e; later wins; bare KEY from the host or dropped', () => {
    expect(mergeEnv(['PATH=/bin', 'A=1'], ['A=2', 'HOSTVAR', 'MISSING', 'B=x=y'], { HOSTVAR: 'h' })).to.deep.equal(['PATH=/bin', 'A=2', 'HOSTVAR=h', 'B=x=y']);
    expect(mergeEnv([], [], {})).to.deep.equal(['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
    expect(throwsMessage(() => mergeEnv([], ['=x'], {}))).to.equal('invalid environment variable: =x');
  });

  it('parses -v HOST:CONT[:ro] and refuses what it cannot do', () => {
    expect(parseVolume('/srv/data:/data')).to.deep.equal({ host: '/srv/data', container: '/data', readOnly: false });
    expect(parseVolume('/srv/x/../data:/data/:ro')).to.deep.equal({ host: '/srv/data', container: '/data/', readOnly: true });
    expect(throwsMessage(() => parseVolume('data:/data'))).to.equal(
      "invalid volume specification: 'data:/data': the host path must be absolute, or a volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]+)",
    );
    expect(throwsMessage(() => parseVolume('/a'))).to.equal("invalid volume specification: '/a' (expected HOST-PATH:CONTAINER-PATH[:ro])");
    expect(throwsMessage(() => parseVolume('/a:/b:/c:ro'))).to.equal("invalid volume specification: '/a:/b:/c:ro' (expected HOST-PATH:CONTAINER-PATH[:ro])");
    expect(throwsMessage(() => parseVolume('/a:b'))).to.equal("invalid volume specification: '/a:b': the container path must be absolute");
    expect(throwsMessage(() => parseVolume('/a:/b:rx'))).to.equal("invalid mode: rx in '/a:/b:rx'");
    // Issue 23 item 9: ./ and ../ from the current directory; docker's options that change nothing here.
    expect(parseVolume('./data:/data')).to.deep.equal({ host: path.resolve('data'), container: '/data', readOnly: false });
    expect(parseVolume('../x:/x:ro,z')).to.deep.equal({ host: path.resolve('..', 'x'), container: '/x', readOnly: true });
    expect(parseVolume('/a:/b:Z').readOnly).to.equal(false);
    expect(parseVolume('/a:/b:cached').readOnly).to.equal(false);
    expect(parseVolume('/a:/b:delegated,ro').readOnly).to.equal(true);
    expect(throwsMessage(() => parseVolume('/a:/b:ro,rw'))).to.equal("invalid mode: ro,rw in '/a:/b:ro,rw'");
    expect(throwsMessage(() => parseVolume('.data:/b'))).to.match(/or a volume name/);
  });

  it('resolves -u against the container passwd and group files', () => {
    const passwd = 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n';
    const group = 'root:x:0:\nstaff:x:50:\n';
    expect(resolveUser('nobody', passwd, group)).to.deep.equal({ name: 'nobody', uid: 65534, gid: 65534, home: '/nonexistent' });
    expect(resolveUser('0:staff', passwd, group)).to.deep.equal({ name: 'root', uid: 0, gid: 50, home: '/root' });
    expect(resolveUser('1234', passwd, group)).to.deep.equal({ uid: 1234, gid: 0, home: '/' });
    expect(resolveUser('nobody:7', passwd, group)).to.deep.equal({ name: 'nobody', uid: 65534, gid: 7, home: '/nonexistent' });
    expect(throwsMessage(() => resolveUser('ghost', passwd, group))).to.equal('unable to find user ghost: no matching entries in passwd file');
    expect(throwsMessage(() => resolveUser('root:ghosts', passwd, group))).to.equal('unable to find group ghosts: no matching entries in group file');
  });

  it('names: docker rule, hostnames, generated names', () => {
    validateName('web_1.a-b');
    for (const bad of ['/x', 'a/b', '..', 'a b', '-x', 'x'.repeat(129), '']) {
      expect(throwsMessage(() => validateName(bad)), bad).to.match(/^Invalid container name/);
    }
    expect(hostnameFor('quirky_turing')).to.equal('quirky-turing');
    expect(hostnameFor('Web.1')).to.equal('web-1');
    expect(hostnameFor('___')).to.equal('racker');
    expect(hostnameFor('a'.repeat(100))).to.have.length(63);
    expect(generateName(() => 0)).to.equal('admiring_babbage');
    expect(generateName(() => 0.999)).to.equal('zealous_wozniak');
  });

  it('signal names in any spelling', () => {
    expect(normalizeSignal('KILL')).to.equal('SIGKILL');
    expect(normalizeSignal('sigterm')).to.equal('SIGTERM');
    expect(normalizeSignal('9')).to.equal('SIGKILL');
    expect(normalizeSignal('HUP')).to.equal('SIGHUP');
    expect(throwsMessage(() => normalizeSignal('BOGUS'))).to.equal('invalid signal: BOGUS');
  });

  it('quotes argv for script(1) so that every argument survives', () => {
    expect(shellQuote(['nsenter', '--target=5', '--', 'echo', "it's", 'a b', '$HOME', ''])).to.equal(
      `nsenter --target=5 -- echo 'it'\\''s' 'a b' '$HOME' ''`,
    );
  });
});

describe('top: ps output filtered to a container', () => {
  it('keeps the rows of its PIDs, the command column whole; refuses ps options without PID', async () => {
    const { filterPs } = await import('../../lib/container/top.js');
    const ps = 'UID          PID    PPID  C STIME TTY          TIME CMD\nroot           1       0  0 10:00 ?        00:00:01 /sbin/init splash\nroot        4242    4200  0 10:01 ?        00:00:00 sleep 60 --x\n';
    expect(filterPs(ps, new Set([4242]))).to.deep.equal({
      Titles: ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'],
      Processes: [['root', '4242', '4200', '0', '10:01', '?', '00:00:00', 'sleep 60 --x']],
    });
    expect(() => filterPs('COMMAND\nsleep\n', new Set([1]))).to.throw("couldn't find PID field in ps output");
  });
});
