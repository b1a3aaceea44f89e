import { expect } from 'chai';
import path from 'node:path';
import { commandArgv, forwardedEnv, parseCliRequest } from '../../lib/api/cli-forward.js';
import { forMembers, match, memberRoute, route, type Handler } from '../../lib/api/router.js';
import { resolveBareEnv, serviceSockets } from '../../lib/client/forward.js';
import { RackerError, UsageError } from '../../lib/errors.js';

describe('access: resolveBareEnv (the client resolves -e NAME in its own environment)', () => {
  const env = { FOO: 'bar', EMPTY: '', SPACED: 'a b=c' };
  const table: [string, string[], string[]][] = [
    ['-e NAME', ['run', '-e', 'FOO', 'img'], ['run', '-e', 'FOO=bar', 'img']],
    ['--env NAME', ['run', '--env', 'FOO', 'img'], ['run', '--env', 'FOO=bar', 'img']],
    ['--env=NAME', ['run', '--env=FOO', 'img'], ['run', '--env=FOO=bar', 'img']],
    ['a value as it is', ['run', '-e', 'SPACED', '-e', 'EMPTY', 'img'], ['run', '-e', 'SPACED=a b=c', '-e', 'EMPTY=', 'img']],
    ['NAME=v untouched', ['run', '-e', 'FOO=mine', '--env', 'FOO=x', '--env=FOO=y', 'img'], ['run', '-e', 'FOO=mine', '--env', 'FOO=x', '--env=FOO=y', 'img']],
    ['an unset NAME left as it is', ['run', '-e', 'UNSET', '--env=UNSET', 'img'], ['run', '-e', 'UNSET', '--env=UNSET', 'img']],
    ['a trailing -e without a name', ['exec', 'web', '-e'], ['exec', 'web', '-e']],
    ['nothing after --', ['run', '-e', 'FOO', '--', 'img', 'grep', '-e', 'FOO', '--env=FOO'], ['run', '-e', 'FOO=bar', '--', 'img', 'grep', '-e', 'FOO', '--env=FOO']],
    ['other flags', ['run', '--name', 'FOO', '-t', 'img', 'FOO'], ['run', '--name', 'FOO', '-t', 'img', 'FOO']],
  ];
  for (const [what, argv, expected] of table) {
    it(what, () => {
      expect(resolveBareEnv(argv, env)).to.deep.equal(expected);
    });
  }

  it('only in the program\'s own words: the container\'s command after them is passed as typed', () => {
    // racker run -e FOO img grep -e FOO --env=FOO /etc/x: 3 words are racker's.
    const argv = ['run', '-e', 'FOO', 'img', 'grep', '-e', 'FOO', '--env=FOO', '/etc/x'];
    expect(resolveBareEnv(argv, env, 3)).to.deep.equal(['run', '-e', 'FOO=bar', 'img', 'grep', '-e', 'FOO', '--env=FOO', '/etc/x']);
    expect(resolveBareEnv(['exec', 'web', 'grep', '-e', 'FOO'], env, 1)).to.deep.equal(['exec', 'web', 'grep', '-e', 'FOO']);
    // A -e whose name is not among the own words is not resolved.
    expect(resolveBareEnv(['run', '-e', 'FOO'], env, 2)).to.deep.equal(['run', '-e', 'FOO']);
  });

  it('leaves the given argv as it was', () => {
    const argv = ['run', '-e', 'FOO', 'img'];
    resolveBareEnv(argv, env);
    expect(argv).to.deep.equal(['run', '-e', 'FOO', 'img']);
  });
});

describe('access: serviceSockets', () => {
  const fallback = '/run/racker/docker.sock';
  it('RACKER_HOST alone, as unix:// or a path; it wins over DOCKER_HOST', () => {
    expect(serviceSockets({ RACKER_HOST: 'unix:///tmp/r.sock' })).to.deep.equal(['/tmp/r.sock']);
    expect(serviceSockets({ RACKER_HOST: '/tmp/r.sock' })).to.deep.equal(['/tmp/r.sock']);
    expect(serviceSockets({ RACKER_HOST: '/tmp/r.sock', DOCKER_HOST: 'unix:///var/run/docker.sock', RACKER_ROOT: '/srv/r' })).to.deep.equal(['/tmp/r.sock']);
  });

  it('RACKER_HOST that is not a unix socket is a RackerError', () => {
    for (const bad of ['tcp://127.0.0.1:2375', 'ssh://me@host', 'relative.sock']) {
      expect(() => serviceSockets({ RACKER_HOST: bad }), bad).to.throw(RackerError, `RACKER_HOST must be a unix socket (unix:///path or /path), not ${bad}`);
    }
  });

  it('DOCKER_HOST on a unix socket first, then the default; a tcp:// DOCKER_HOST is passed over', () => {
    expect(serviceSockets({})).to.deep.equal([fallback]);
    expect(serviceSockets({ DOCKER_HOST: 'unix:///var/run/docker.sock' })).to.deep.equal(['/var/run/docker.sock', fallback]);
    expect(serviceSockets({ DOCKER_HOST: '/var/run/docker.sock' })).to.deep.equal(['/var/run/docker.sock', fallback]);
    expect(serviceSockets({ DOCKER_HOST: `unix://${fallback}` })).to.deep.equal([fallback]);
    expect(serviceSockets({ DOCKER_HOST: 'tcp://127.0.0.1:2375' })).to.deep.equal([fallback]);
  });

  it('RACKER_ROOT moves the default to $RACKER_ROOT/run/docker.sock', () => {
    expect(serviceSockets({ RACKER_ROOT: '/srv/racker' })).to.deep.equal(['/srv/racker/run/docker.sock']);
    expect(serviceSockets({ RACKER_ROOT: '/srv/racker', DOCKER_HOST: 'unix:///srv/racker/run/docker.sock' })).to.deep.equal(['/srv/racker/run/docker.sock']);
    expect(serviceSockets({ RACKER_ROOT: 'rel' })).to.deep.equal([path.resolve('rel', 'run', 'docker.sock')]);
  });
});

describe('access: POST /racker/v1/cli requests', () => {
  it('forwardedEnv keeps only the variables that shape output', () => {
    const kept = {
      TERM: 'xterm-256color',
      COLUMNS: '120',
      LINES: '40',
      NO_COLOR: '1',
      FORCE_COLOR: '0',
      LANG: 'de_DE.UTF-8',
      LANGUAGE: 'de',
      LC_ALL: 'C.UTF-8',
      LC_TIME: 'en_GB.UTF-8',
      TZ: 'Europe/Berlin',
      RACKER_DEBUG: '1',
    };
    const dropped = {
      RACKER_ROOT: '/tmp/mine',
      RACKER_CALLER: '0:0:root:/root',
      RACKER_HOST: '/tmp/x.sock',
      NODE_OPTIONS: '--require /tmp/evil.js',
      LD_PRELOAD: '/tmp/evil.so',
      PATH: '/tmp/bin',
      HOME: '/home/bob',
      LC_: 'x',
      lc_all: 'C',
      XTERM: 'x',
      TERMINFO: '/tmp/terminfo',
      UNDEFINED: undefined,
    };
    expect(forwardedEnv({ ...kept, ...dropped })).to.deep.equal(kept);
  });

  it('forwardedEnv keeps strings only: a request is JSON from anyone in the group', () => {
    expect(forwardedEnv({ TERM: 5, LANG: null, TZ: { a: 1 }, COLUMNS: ['1'], LINES: '24' } as unknown as Record<string, string>)).to.deep.equal({ LINES: '24' });
  });

  it('parseCliRequest: the fields checked, env filtered, tty only when true, size only when sane', () => {
    const ok = { program: 'racker', argv: ['ps'], cwd: '/home/bob' };
    expect(parseCliRequest({ ...ok, env: { TERM: 'dumb', PATH: '/x' }, tty: true, size: [24, 80] })).to.deep.equal({
      program: 'racker',
      argv: ['ps'],
      cwd: '/home/bob',
      env: { TERM: 'dumb' },
      tty: true,
      size: [24, 80],
    });
    expect(parseCliRequest({ ...ok, program: 'postroj' })).to.deep.equal({ program: 'postroj', argv: ['ps'], cwd: '/home/bob', env: {}, tty: false });
    expect(parseCliRequest({ ...ok, tty: 'true', env: null })).to.deep.equal({ ...ok, env: {}, tty: false });
    for (const size of [[0, 80], [24], [24, 80, 1], [24.5, 80], [10000, 80], [24, -1], ['24', '80'], '24 80']) {
      expect(parseCliRequest({ ...ok, size }), JSON.stringify(size)).to.not.have.property('size');
    }
    expect(parseCliRequest({ ...ok, size: [9999, 1] }).size).to.deep.equal([9999, 1]);
  });

  it('parseCliRequest: what is wrong, as a UsageError', () => {
    const cases: [unknown, string][] = [
      [undefined, 'program must be racker or postroj'],
      [{}, 'program must be racker or postroj'],
      [{ program: 'docker', argv: [], cwd: '/' }, 'program must be racker or postroj'],
      [{ program: 'racker', cwd: '/' }, 'argv must be a list of strings'],
      [{ program: 'racker', argv: 'ps', cwd: '/' }, 'argv must be a list of strings'],
      [{ program: 'racker', argv: ['ps', 1], cwd: '/' }, 'argv must be a list of strings'],
      [{ program: 'racker', argv: [] }, 'cwd must be a path'],
      [{ program: 'racker', argv: [], cwd: 5 }, 'cwd must be a path'],
    ];
    for (const [body, message] of cases) expect(() => parseCliRequest(body), JSON.stringify(body)).to.throw(UsageError, message);
  });

  it('commandArgv: node and the entry point with argv, without a terminal', () => {
    expect(commandArgv('/usr/bin/node', '/opt/racker/racker.js', { argv: ['run', '--rm', 'debian', 'echo', "it's"], tty: false, size: [24, 80] })).to.deep.equal([
      '/usr/bin/node',
      '/opt/racker/racker.js',
      'run',
      '--rm',
      'debian',
      'echo',
      "it's",
    ]);
  });

  it('commandArgv: under script with a terminal, each word single-quoted, sized with stty when the size is known', () => {
    expect(commandArgv('/usr/bin/node', '/opt/racker/racker.js', { argv: ['run', '-it', 'debian', 'echo', "it's $HOME"], tty: true, size: [24, 80] })).to.deep.equal([
      'script',
      '--quiet',
      '--return',
      '--flush',
      '--echo',
      'never',
      '--command',
      "stty rows 24 cols 80 2>/dev/null; exec '/usr/bin/node' '/opt/racker/racker.js' 'run' '-it' 'debian' 'echo' 'it'\\''s $HOME'",
      '/dev/null',
    ]);
    expect(commandArgv('/usr/bin/node', '/opt/racker/racker.js', { argv: ['ps'], tty: true })).to.deep.equal([
      'script',
      '--quiet',
      '--return',
      '--flush',
      '--echo',
      'never',
      '--command',
      "exec '/usr/bin/node' '/opt/racker/racker.js' 'ps'",
      '/dev/null',
    ]);
  });
});

describe('access: router access', () => {
  const a: Handler = () => undefined;
  const b: Handler = () => undefined;

  it('route defaults to root; memberRoute and an explicit access say member', () => {
    expect(route('GET', /^\/x$/, a).access).to.equal('root');
    expect(route('GET', /^\/x$/, a, 'member').access).to.equal('member');
    expect(memberRoute('POST', /^\/x$/, a)).to.deep.equal({ method: 'POST', pattern: /^\/x$/, handler: a, access: 'member' });
  });

  it('forMembers marks every route member and leaves the given ones as they were', () => {
    const routes = [route('GET', /^\/a$/, a), route('POST', /^\/b$/, b)];
    const open = forMembers(routes);
    expect(open.map((r) => [r.method, r.access, r.handler])).to.deep.equal([
      ['GET', 'member', a],
      ['POST', 'member', b],
    ]);
    expect(routes.map((r) => r.access)).to.deep.equal(['root', 'root']);
  });

  it('match returns the access of the route it found, HEAD through GET too', () => {
    const routes = [route('GET', /^\/images\/(.+)\/json$/, a), memberRoute('GET', /^\/containers\/([^/]+)\/json$/, b), route('DELETE', /^\/containers\/([^/]+)$/, a)];
    expect(match(routes, 'GET', '/containers/web%2F1/json')).to.deep.equal({ handler: b, access: 'member', params: ['web/1'] });
    expect(match(routes, 'HEAD', '/containers/web/json')).to.deep.equal({ handler: b, access: 'member', params: ['web'] });
    expect(match(routes, 'GET', '/images/debian/json')).to.deep.equal({ handler: a, access: 'root', params: ['debian'] });
    expect(match(routes, 'DELETE', '/containers/web')?.access).to.equal('root');
    expect(match(routes, 'POST', '/containers/web/json')).to.equal(undefined);
  });
});
