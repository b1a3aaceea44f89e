import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { asCallerArgv } from '../../lib/access/as-caller.js';
import { callerFor, callerFromEnv, callerToEnv, isMember, mayAct, type Caller } from '../../lib/access/caller.js';
import { checkOwner, checkRootOnly, createRefusal, hostEnvFor, unprivilegedPortStart, type CreateRequest } from '../../lib/access/policy.js';
import { mergeEnv } from '../../lib/container/spec.js';
import { ForbiddenError, UsageError } from '../../lib/errors.js';

const root: Caller = { uid: 0, gid: 0, name: 'root', home: '/root' };
const bob: Caller = { uid: 1000, gid: 1000, name: 'bob', home: '/home/bob' };
const NOT_FOR_MEMBERS = 'not for members of the racker group (doc/security.md)';

/** A request a member may make: nothing of the host in it. */
const plain: CreateRequest = { network: 'bridge', volumes: [], publish: [], deviceCgroupRules: [] };
const port = (hostPort: number, containerPort = 80) => ({ hostIp: '', hostPort, containerPort, protocol: 'tcp' as const });

describe('access: createRefusal', () => {
  const refused: [string, Partial<CreateRequest>, string][] = [
    ['--network host', { network: 'host' }, `--network host is ${NOT_FOR_MEMBERS}: a container on the host's network can bind its privileged ports`],
    ['--network container:x', { network: 'container:x' }, `--network container:… is ${NOT_FOR_MEMBERS}`],
    ['another user\'s volume', { volumes: [{ name: 'alices', exists: true, owner: { uid: 1001, name: 'alice' } }] }, 'volume alices belongs to user alice'],
    ['root\'s volume (no owner)', { volumes: [{ name: 'shared', exists: true }] }, 'volume shared belongs to root'],
    ['root\'s volume (owner uid 0)', { volumes: [{ name: 'sys', exists: true, owner: { uid: 0, name: 'root' } }] }, 'volume sys belongs to user root'],
    ['host port 80', { publish: [port(80)] }, `publishing host port 80 is ${NOT_FOR_MEMBERS}: ports below 1024 are root's`],
    ['host port 1023', { publish: [port(8080, 8080), port(1023)] }, `publishing host port 1023 is ${NOT_FOR_MEMBERS}: ports below 1024 are root's`],
    ['a device cgroup rule', { deviceCgroupRules: ['c 1:3 rwm'] }, `--device-cgroup-rule is ${NOT_FOR_MEMBERS}: it opens host devices to the container`],
    ['a host source', { hostSource: './rootfs.tar' }, `running a host file or directory (./rootfs.tar) is ${NOT_FOR_MEMBERS}: use an image reference or a URL`],
  ];

  for (const [what, change, message] of refused) {
    it(`refuses a member ${what}, with its message`, () => {
      expect(createRefusal(bob, { ...plain, ...change })).to.equal(message);
    });
  }

  it('never refuses root or a request without a caller', () => {
    for (const [, change] of refused) {
      expect(createRefusal(root, { ...plain, ...change })).to.equal(undefined);
      expect(createRefusal(undefined, { ...plain, ...change })).to.equal(undefined);
    }
  });

  it('allows a member a plain request, their own volume, a volume not made yet, random and high ports', () => {
    expect(createRefusal(bob, plain)).to.equal(undefined);
    expect(createRefusal(bob, { ...plain, network: 'mynet' })).to.equal(undefined);
    expect(createRefusal(bob, { ...plain, volumes: [{ name: 'mine', exists: true, owner: { uid: 1000, name: 'bob' } }] })).to.equal(undefined);
    expect(createRefusal(bob, { ...plain, volumes: [{ name: 'new', exists: false }] })).to.equal(undefined);
    expect(createRefusal(bob, { ...plain, volumes: [{ name: 'taken', exists: false, owner: { uid: 1001, name: 'alice' } }] })).to.equal(undefined);
    expect(createRefusal(bob, { ...plain, publish: [port(0), port(1024), port(8080)] })).to.equal(undefined);
  });

  it('measures ports against the start it is given: the start itself is allowed, the port below it is not', () => {
    expect(createRefusal(bob, { ...plain, publish: [port(80)] }, 80)).to.equal(undefined);
    expect(createRefusal(bob, { ...plain, publish: [port(79)] }, 80)).to.equal(`publishing host port 79 is ${NOT_FOR_MEMBERS}: ports below 80 are root's`);
    expect(createRefusal(bob, { ...plain, publish: [port(1)] }, 0)).to.equal(undefined);
    expect(createRefusal(bob, { ...plain, publish: [port(0)] }, 65535)).to.equal(undefined);
  });

  it('says the first reason in its order: network, volumes, ports, devices, source', () => {
    const all: CreateRequest = {
      network: 'host',
      volumes: [{ name: 'v', exists: true }],
      publish: [port(22)],
      deviceCgroupRules: ['a *:* rwm'],
      hostSource: '/tmp/rootfs',
    };
    expect(createRefusal(bob, all)).to.match(/^--network host/);
    expect(createRefusal(bob, { ...all, network: 'bridge' })).to.equal('volume v belongs to root');
    expect(createRefusal(bob, { ...all, network: 'bridge', volumes: [] })).to.match(/^publishing host port 22/);
    expect(createRefusal(bob, { ...all, network: 'bridge', volumes: [], publish: [] })).to.match(/^--device-cgroup-rule/);
    expect(createRefusal(bob, { ...all, network: 'bridge', volumes: [], publish: [], deviceCgroupRules: [] })).to.match(/^running a host file/);
  });
});

describe('access: unprivilegedPortStart', () => {
  const cases: [string, () => string, number][] = [
    ['the number read', () => '1024\n', 1024],
    ['a lowered start', () => '80\n', 80],
    ['zero (every port open)', () => '0\n', 0],
    ['garbage', () => 'nonsense\n', 1024],
    ['a negative number', () => '-1\n', 1024],
    ['a fraction', () => '80.5\n', 1024],
    ['an empty file', () => '', 1024],
    ['blank space', () => ' \n', 1024],
    ['hex', () => '0x10\n', 1024],
    [
      'a read that throws',
      () => {
        throw new Error('ENOENT');
      },
      1024,
    ],
  ];
  for (const [what, read, expected] of cases) {
    it(`${what} → ${expected}`, () => {
      expect(unprivilegedPortStart(read)).to.equal(expected);
    });
  }
});

describe('access: checkOwner and checkRootOnly', () => {
  it('checkOwner throws a ForbiddenError naming the owner, for members only', () => {
    expect(() => checkOwner(bob, { uid: 1001, name: 'alice' }, 'container web')).to.throw(ForbiddenError, /^container web belongs to user alice$/);
    expect(() => checkOwner(bob, undefined, 'volume v')).to.throw(ForbiddenError, /^volume v belongs to root$/);
    expect(checkOwner(bob, { uid: 1000, name: 'bob' }, 'container mine')).to.equal(undefined);
    expect(checkOwner(root, { uid: 1001, name: 'alice' }, 'container web')).to.equal(undefined);
    expect(checkOwner(undefined, undefined, 'container web')).to.equal(undefined);
  });

  it('checkRootOnly refuses members the verb, with exit 125', () => {
    let err: unknown;
    try {
      checkRootOnly(bob, 'rmi');
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ForbiddenError);
    expect((err as ForbiddenError).message).to.equal(`rmi is root's: ${NOT_FOR_MEMBERS}`);
    expect((err as ForbiddenError).exitCode).to.equal(125);
    expect(checkRootOnly(root, 'rmi')).to.equal(undefined);
    expect(checkRootOnly(undefined, 'rmi')).to.equal(undefined);
  });
});

describe('access: hostEnvFor (where a bare -e NAME takes its value)', () => {
  const serviceEnv = { SECRET: 'root-only', PATH: '/usr/bin' };

  it('root and no caller: the environment racker runs in', () => {
    expect(hostEnvFor(root, serviceEnv)).to.equal(serviceEnv);
    expect(hostEnvFor(undefined, serviceEnv)).to.equal(serviceEnv);
  });

  it('a member: none, so the service\'s (root\'s) variables never reach their container', () => {
    expect(hostEnvFor(bob, serviceEnv)).to.deep.equal({});
    expect(mergeEnv(['SECRET=image'], ['SECRET', 'MINE=1'], hostEnvFor(bob, serviceEnv))).to.deep.equal(['MINE=1', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
    expect(mergeEnv([], ['SECRET'], hostEnvFor(root, serviceEnv))).to.deep.equal(['SECRET=root-only', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
  });
});

describe('access: callers', () => {
  it('isMember: any uid but 0; no caller is root', () => {
    expect(isMember(undefined)).to.equal(false);
    expect(isMember(root)).to.equal(false);
    expect(isMember(bob)).to.equal(true);
    expect(isMember({ ...root, uid: 1, name: 'daemon' })).to.equal(true);
  });

  it('mayAct: root and no caller act on anything; a member on what has their uid only', () => {
    const table: [Caller | undefined, { uid: number; name: string } | undefined, boolean][] = [
      [undefined, undefined, true],
      [undefined, { uid: 1000, name: 'bob' }, true],
      [root, undefined, true],
      [root, { uid: 1001, name: 'alice' }, true],
      [bob, { uid: 1000, name: 'bob' }, true],
      // The uid decides, not the name.
      [bob, { uid: 1000, name: 'renamed' }, true],
      [bob, { uid: 1001, name: 'bob' }, false],
      [bob, { uid: 0, name: 'root' }, false],
      [bob, undefined, false],
    ];
    for (const [caller, owner, expected] of table) expect(mayAct(caller, owner), `${caller?.name} on ${owner?.name}`).to.equal(expected);
  });

  it('RACKER_CALLER: round trip, empty and unset are no caller', () => {
    expect(callerToEnv(bob)).to.equal('1000:1000:bob:/home/bob');
    expect(callerFromEnv(callerToEnv(bob))).to.deep.equal(bob);
    // A home with a colon survives: only the first three fields are split.
    const odd = { uid: 5, gid: 7, name: 'x', home: '/a:b' };
    expect(callerFromEnv(callerToEnv(odd))).to.deep.equal(odd);
    expect(callerFromEnv('0:0:root:/root')).to.deep.equal(root);
    expect(callerFromEnv(undefined)).to.equal(undefined);
    expect(callerFromEnv('')).to.equal(undefined);
  });

  it('RACKER_CALLER: a malformed value is a UsageError saying the format', () => {
    for (const bad of ['bob', '1000', '1000:1000:bob', 'x:1000:bob:/home/bob', '1000:-1:bob:/home/bob', ' 1000:1000:bob:/']) {
      expect(() => callerFromEnv(bad), bad).to.throw(UsageError, `RACKER_CALLER must be uid:gid:name:home, not ${bad}`);
    }
  });

  describe('callerFor', () => {
    let dir: string;
    let passwd: string;
    before(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'racker-access-'));
      passwd = path.join(dir, 'passwd');
      writeFileSync(
        passwd,
        [
          'root:x:0:0:root:/root:/bin/bash',
          'broken:x:1000',
          'notanumber:x:1000x:1000::/nowhere:/bin/sh',
          'bob:x:1000:1000:Bob,,,:/home/bob:/bin/bash',
          'bob2:x:1000:1000::/home/bob2:/bin/bash',
          'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
          '',
        ].join('\n'),
      );
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('takes name and home from the first entry with the uid; gid is the one given', async () => {
      expect(await callerFor(1000, 1234, passwd)).to.deep.equal({ uid: 1000, gid: 1234, name: 'bob', home: '/home/bob' });
      expect(await callerFor(0, 0, passwd)).to.deep.equal(root);
      expect(await callerFor(65534, 65534, passwd)).to.deep.equal({ uid: 65534, gid: 65534, name: 'nobody', home: '/nonexistent' });
    });

    it('a uid without an entry keeps its number as name and / as home; so does a missing file', async () => {
      expect(await callerFor(4242, 100, passwd)).to.deep.equal({ uid: 4242, gid: 100, name: '4242', home: '/' });
      expect(await callerFor(1000, 1000, path.join(dir, 'missing'))).to.deep.equal({ uid: 1000, gid: 1000, name: '1000', home: '/' });
    });
  });
});

describe('access: asCallerArgv', () => {
  it('setpriv with the caller\'s uid, gid and account groups, a reset environment, then the command', () => {
    expect(asCallerArgv(bob, ['cat', '--', '/home/bob/.env'])).to.deep.equal([
      'setpriv',
      '--reuid=1000',
      '--regid=1000',
      '--init-groups',
      '--reset-env',
      '--',
      'cat',
      '--',
      '/home/bob/.env',
    ]);
    expect(asCallerArgv({ uid: 1001, gid: 50 }, ['-x'])).to.deep.equal([
      'setpriv',
      '--reuid=1001',
      '--regid=50',
      '--init-groups',
      '--reset-env',
      '--',
      '-x',
    ]);
  });
});
