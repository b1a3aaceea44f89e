import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { RackerError, UsageError } from '../../lib/errors.js';
import {
  authFileCandidates,
  authFileForWriting,
  canonicalRegistry,
  findCredentials,
  removeCredentials,
  saveCredentials,
  writeTemporaryAuthFile,
} from '../../lib/registry/auth.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('registry auth', () => {
  let base: string;
  let home: string;
  let runtime: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'racker-auth-'));
    home = path.join(base, 'home');
    runtime = path.join(base, 'run');
    fs.mkdirSync(home);
    fs.mkdirSync(runtime);
    env = { HOME: home, XDG_RUNTIME_DIR: runtime };
  });

  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  const xdgFile = () => path.join(runtime, 'containers', 'auth.json');
  const configFile = () => path.join(home, '.config', 'containers', 'auth.json');
  const dockerFile = () => path.join(home, '.docker', 'config.json');

  function put(file: string, doc: unknown): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, typeof doc === 'string' ? doc : JSON.stringify(doc));
  }
  const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;

  describe('authFileCandidates', () => {
    it('lists REGISTRY_AUTH_FILE, XDG_RUNTIME_DIR, ~/.config, ~/.docker in that order', () => {
      const custom = path.join(base, 'custom.json');
      expect(authFileCandidates({ ...env, REGISTRY_AUTH_FILE: custom })).to.deep.equal([
        custom,
        xdgFile(),
        configFile(),
        dockerFile(),
      ]);
    });

    it('skips what is not set, and honours XDG_CONFIG_HOME and DOCKER_CONFIG', () => {
      expect(authFileCandidates({ HOME: home })).to.deep.equal([configFile(), dockerFile()]);
      expect(authFileCandidates({ HOME: home, XDG_CONFIG_HOME: '/cfg', DOCKER_CONFIG: '/dk' })).to.deep.equal([
        '/cfg/containers/auth.json',
        '/dk/config.json',
      ]);
    });

    it('writes to REGISTRY_AUTH_FILE, else XDG_RUNTIME_DIR, else ~/.config', () => {
      expect(authFileForWriting({ ...env, REGISTRY_AUTH_FILE: '/x/a.json' })).to.equal('/x/a.json');
      expect(authFileForWriting(env)).to.equal(xdgFile());
      expect(authFileForWriting({ HOME: home })).to.equal(configFile());
    });
  });

  describe('canonicalRegistry', () => {
    it('normalises docker and containers key forms', () => {
      expect(canonicalRegistry('https://index.docker.io/v1/')).to.equal('docker.io');
      expect(canonicalRegistry('registry-1.docker.io')).to.equal('docker.io');
      expect(canonicalRegistry('Quay.IO')).to.equal('quay.io');
      expect(canonicalRegistry('http://127.0.0.1:5000/v2/')).to.equal('127.0.0.1:5000');
      expect(canonicalRegistry('127.0.0.1:5000')).to.equal('127.0.0.1:5000');
      expect(canonicalRegistry('quay.io/org/repo')).to.equal(undefined);
    });
  });

  describe('findCredentials', () => {
    it('returns undefined when no file exists', async () => {
      expect(await findCredentials('quay.io', env)).to.equal(undefined);
    });

    it('takes the first file in precedence order that has the registry', async () => {
      put(dockerFile(), { auths: { 'quay.io': { auth: b64('docker:d') } } });
      put(configFile(), { auths: { 'quay.io': { auth: b64('config:c') } } });
      expect(await findCredentials('quay.io', env)).to.deep.equal({ username: 'config', password: 'c' });
      put(xdgFile(), { auths: { 'quay.io': { auth: b64('xdg:x') } } });
      expect(await findCredentials('quay.io', env)).to.deep.equal({ username: 'xdg', password: 'x' });
      const custom = path.join(base, 'custom.json');
      put(custom, { auths: { 'quay.io': { auth: b64('custom:u') } } });
      expect(await findCredentials('quay.io', { ...env, REGISTRY_AUTH_FILE: custom })).to.deep.equal({
        username: 'custom',
        password: 'u',
      });
    });

    it('falls through files that have other registries only', async () => {
      put(xdgFile(), { auths: { 'ghcr.io': { auth: b64('g:g') } } });
      put(dockerFile(), { auths: { 'quay.io': { auth: b64('q:q') } } });
      expect(await findCredentials('quay.io', env)).to.deep.equal({ username: 'q', password: 'q' });
    });

    it('reads docker config.json: URL keys, Docker Hub aliases, credsStore ignored', async () => {
      put(dockerFile(), {
        auths: {
          'https://index.docker.io/v1/': { auth: b64('hubuser:hubpass') },
          'registry.example.com:5000': { auth: b64('ex:ex') },
          'ghcr.io': {},
        },
        credsStore: 'desktop',
        HttpHeaders: { 'User-Agent': 'x' },
      });
      expect(await findCredentials('docker.io', env)).to.deep.equal({ username: 'hubuser', password: 'hubpass' });
      expect(await findCredentials('index.docker.io', env)).to.deep.equal({ username: 'hubuser', password: 'hubpass' });
      expect(await findCredentials('registry.example.com:5000', env)).to.deep.equal({ username: 'ex', password: 'ex' });
      // an entry whose secret lives in a credential helper is not usable
      expect(await findCredentials('ghcr.io', env)).to.equal(undefined);
    });

    it('prefers the "docker.io" key for Docker Hub', async () => {
      put(configFile(), {
        auths: {
          'registry-1.docker.io': { auth: b64('old:old') },
          'docker.io': { auth: b64('new:new') },
        },
      });
      expect(await findCredentials('docker.io', env)).to.deep.equal({ username: 'new', password: 'new' });
    });

    it('splits user:password at the first colon, so passwords may contain ":"', async () => {
      put(configFile(), { auths: { 'quay.io': { auth: b64('robot:pa:ss:w0rd=') } } });
      expect(await findCredentials('quay.io', env)).to.deep.equal({ username: 'robot', password: 'pa:ss:w0rd=' });
    });

    it('reports a malformed file by name, without its content', async () => {
      const secret = 'hunter2-very-secret';
      put(configFile(), `{"auths": {"quay.io": {"auth": "${b64(`u:${secret}`)}"}, ${secret}`);
      let caught: unknown;
      await findCredentials('quay.io', env).catch((err: unknown) => (caught = err));
      expect(caught).to.be.instanceOf(RackerError);
      const err = caught as RackerError;
      expect(err.message).to.equal(`malformed registry auth file ${configFile()}`);
      const everything = `${err.message} ${err.hint ?? ''} ${String(err.cause ?? '')} ${err.stack ?? ''}`;
      expect(everything).not.to.include(secret);
      expect(everything).not.to.include(b64(`u:${secret}`));
    });

    it('reports wrong shapes and undecodable auth values as malformed', async () => {
      put(configFile(), { auths: { 'quay.io': { auth: 42 } } });
      await findCredentials('quay.io', env).then(
        () => expect.fail('should throw'),
        (err: unknown) => expect((err as Error).message).to.include('malformed'),
      );
      put(configFile(), { auths: { 'quay.io': { auth: b64('no-colon-here') } } });
      await findCredentials('quay.io', env).then(
        () => expect.fail('should throw'),
        (err: unknown) => {
          expect((err as Error).message).to.equal(`malformed registry auth file ${configFile()}`);
          expect((err as Error).message).not.to.include('no-colon-here');
        },
      );
    });
  });

  describe('saveCredentials', () => {
    it('writes the racker-owned file with mode 0600 in a 0700 directory', async () => {
      const file = await saveCredentials('quay.io', { username: 'u', password: 'p:w' }, env);
      expect(file).to.equal(xdgFile());
      expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
      expect(fs.statSync(path.dirname(file)).mode & 0o777).to.equal(0o700);
      expect(readJson(file)).to.deep.equal({ auths: { 'quay.io': { auth: b64('u:p:w') } } });
      expect(await findCredentials('quay.io', env)).to.deep.equal({ username: 'u', password: 'p:w' });
      // no temp files left behind
      expect(fs.readdirSync(path.dirname(file))).to.deep.equal(['auth.json']);
    });

    it('keeps other registries and other keys, and replaces aliases of the same registry', async () => {
      put(configFile(), {
        auths: {
          'ghcr.io': { auth: b64('g:g') },
          'https://index.docker.io/v1/': { auth: b64('old:old') },
        },
        credHelpers: { 'gcr.io': 'gcloud' },
      });
      const file = await saveCredentials('docker.io', { username: 'new', password: 'pw' }, { HOME: home });
      expect(file).to.equal(configFile());
      expect(readJson(file)).to.deep.equal({
        auths: { 'ghcr.io': { auth: b64('g:g') }, 'docker.io': { auth: b64('new:pw') } },
        credHelpers: { 'gcr.io': 'gcloud' },
      });
      expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
    });

    it('uses REGISTRY_AUTH_FILE when set', async () => {
      const custom = path.join(base, 'deep', 'custom.json');
      expect(await saveCredentials('quay.io', { username: 'u', password: 'p' }, { ...env, REGISTRY_AUTH_FILE: custom })).to.equal(
        custom,
      );
      expect(fs.existsSync(custom)).to.equal(true);
      expect(fs.existsSync(xdgFile())).to.equal(false);
    });

    it('does not overwrite a malformed file', async () => {
      put(xdgFile(), 'not json');
      await saveCredentials('quay.io', { username: 'u', password: 'p' }, env).then(
        () => expect.fail('should throw'),
        (err: unknown) => expect((err as Error).message).to.include('malformed'),
      );
      expect(fs.readFileSync(xdgFile(), 'utf8')).to.equal('not json');
    });

    it('refuses a user name containing ":"', async () => {
      await saveCredentials('quay.io', { username: 'a:b', password: 'p' }, env).then(
        () => expect.fail('should throw'),
        (err: unknown) => expect(err).to.be.instanceOf(UsageError),
      );
    });
  });

  describe('removeCredentials', () => {
    it('removes the registry from every file that has it, keeping the rest', async () => {
      put(xdgFile(), { auths: { 'quay.io': { auth: b64('a:a') }, 'ghcr.io': { auth: b64('g:g') } } });
      put(dockerFile(), { auths: { 'https://quay.io/v1/': { auth: b64('b:b') } }, credsStore: 'x' });
      expect(await removeCredentials('quay.io', env)).to.equal(true);
      expect(readJson(xdgFile())).to.deep.equal({ auths: { 'ghcr.io': { auth: b64('g:g') } } });
      expect(readJson(dockerFile())).to.deep.equal({ auths: {}, credsStore: 'x' });
      expect(await findCredentials('quay.io', env)).to.equal(undefined);
      expect(await findCredentials('ghcr.io', env)).to.deep.equal({ username: 'g', password: 'g' });
    });

    it('returns false when no file had it, and leaves files alone', async () => {
      put(configFile(), { auths: { 'ghcr.io': { auth: b64('g:g') } } });
      const before = fs.statSync(configFile()).mtimeMs;
      expect(await removeCredentials('quay.io', env)).to.equal(false);
      expect(fs.statSync(configFile()).mtimeMs).to.equal(before);
    });

    it('removes Docker Hub under any alias', async () => {
      put(configFile(), { auths: { 'docker.io': { auth: b64('a:a') }, 'index.docker.io': { auth: b64('b:b') } } });
      expect(await removeCredentials('docker.io', env)).to.equal(true);
      expect(readJson(configFile())).to.deep.equal({ auths: {} });
    });
  });

  describe('writeTemporaryAuthFile', () => {
    it('writes a 0600 file with only this registry, and removes it on dispose', async () => {
      const tmp = path.join(base, 'tmp');
      fs.mkdirSync(tmp);
      const handle = await writeTemporaryAuthFile('index.docker.io', { username: 'u', password: 'p:q' }, tmp);
      expect(path.dirname(handle.path)).to.equal(tmp);
      expect(fs.statSync(handle.path).mode & 0o777).to.equal(0o600);
      expect(readJson(handle.path)).to.deep.equal({ auths: { 'docker.io': { auth: b64('u:p:q') } } });
      // readable by our own lookup (and by skopeo --authfile: same format)
      expect(await findCredentials('docker.io', { REGISTRY_AUTH_FILE: handle.path, HOME: home })).to.deep.equal({
        username: 'u',
        password: 'p:q',
      });
      await handle.dispose();
      expect(fs.readdirSync(tmp)).to.deep.equal([]);
      await handle.dispose(); // idempotent
    });
  });

  // Written for the mutation score (doc/reliability.md, "Mutation score").
  describe('edges', () => {
    it('lists a file named twice once; without HOME, the account\'s home directory', () => {
      const xdg = xdgFile();
      expect(authFileCandidates({ ...env, REGISTRY_AUTH_FILE: xdg })).to.deep.equal([xdg, configFile(), dockerFile()]);
      const own = os.userInfo().homedir;
      expect(authFileCandidates({})).to.deep.equal([path.join(own, '.config', 'containers', 'auth.json'), path.join(own, '.docker', 'config.json')]);
      expect(authFileForWriting({})).to.equal(path.join(own, '.config', 'containers', 'auth.json'));
      expect(authFileForWriting({ HOME: home, XDG_CONFIG_HOME: '/cfg' })).to.equal('/cfg/containers/auth.json');
    });

    it('normalises schemes, API suffixes, trailing slashes and blanks', () => {
      expect(canonicalRegistry(' HTTP://Quay.IO/v2/ ')).to.equal('quay.io');
      expect(canonicalRegistry('https://quay.io')).to.equal('quay.io');
      expect(canonicalRegistry('quay.io/v1/')).to.equal('quay.io');
      expect(canonicalRegistry('quay.io/v2')).to.equal('quay.io');
      expect(canonicalRegistry('quay.io//')).to.equal('quay.io');
      expect(canonicalRegistry('index.docker.io')).to.equal('docker.io');
      expect(canonicalRegistry('docker.io')).to.equal('docker.io');
      expect(canonicalRegistry('   ')).to.equal(undefined);
      expect(canonicalRegistry('https://')).to.equal(undefined);
      expect(canonicalRegistry('quay.io/v3/')).to.equal(undefined);
      expect(canonicalRegistry('quay.io/v1beta')).to.equal(undefined);
      expect(canonicalRegistry('quay.io/org')).to.equal(undefined);
      expect(canonicalRegistry('http://quay.io/org/repo')).to.equal('quay.io');
      expect(canonicalRegistry('https://quay.io/org')).to.equal('quay.io');
    });

    it('looks Docker Hub up under its keys in docker\'s order, and a registry under its own key first', async () => {
      const hub = { 'registry-1.docker.io': { auth: b64('r1:p') }, 'https://index.docker.io/v1/': { auth: b64('url:p') }, 'index.docker.io': { auth: b64('index:p') }, 'docker.io': { auth: b64('hub:p') } };
      put(xdgFile(), { auths: hub });
      expect((await findCredentials('docker.io', env))?.username).to.equal('hub');
      put(xdgFile(), { auths: { ...hub, 'docker.io': undefined } });
      expect((await findCredentials('docker.io', env))?.username).to.equal('index');
      put(xdgFile(), { auths: { 'registry-1.docker.io': hub['registry-1.docker.io'], 'https://index.docker.io/v1/': hub['https://index.docker.io/v1/'] } });
      expect((await findCredentials('docker.io', env))?.username).to.equal('url');
      put(xdgFile(), { auths: { 'https://quay.io/v1/': { auth: b64('url:p') }, 'quay.io': { auth: b64('plain:p') } } });
      expect((await findCredentials('quay.io', env))?.username).to.equal('plain');
    });

    it('writes the auth file tab-indented, as podman does; refuses a user name with ":" by saying so', async () => {
      await saveCredentials('quay.io', { username: 'u', password: 'p' }, env);
      expect(fs.readFileSync(xdgFile(), 'utf8')).to.equal(`${JSON.stringify({ auths: { 'quay.io': { auth: b64('u:p') } } }, null, '\t')}\n`);
      let caught: unknown;
      await saveCredentials('quay.io', { username: 'a:b', password: 'p' }, env).catch((err: unknown) => (caught = err));
      expect((caught as Error | undefined)?.message).to.equal('a registry user name cannot contain ":"');
    });

    it('refuses a registry name that is none, with the name', async () => {
      let caught: unknown;
      await findCredentials('quay.io/org', env).catch((err: unknown) => (caught = err));
      expect(caught).to.be.instanceOf(UsageError);
      expect((caught as Error).message).to.equal('invalid registry name: "quay.io/org"');
    });

    it('an auth file that cannot be read: its name and the error code, nothing else', async () => {
      fs.mkdirSync(configFile(), { recursive: true });
      let caught: unknown;
      await findCredentials('quay.io', env).catch((err: unknown) => (caught = err));
      expect(caught).to.be.instanceOf(RackerError);
      expect((caught as Error).message).to.equal(`cannot read registry auth file ${configFile()}: EISDIR`);
    });

    it('skips a path under a file, an empty file, a file without auths and an empty auth', async () => {
      const notDir = path.join(base, 'plain');
      fs.writeFileSync(notDir, '');
      put(xdgFile(), '  \n');
      put(configFile(), { credsStore: 'desktop' });
      put(dockerFile(), { auths: { 'quay.io': { auth: '' }, 'https://quay.io/v1/': {} } });
      expect(await findCredentials('quay.io', { ...env, REGISTRY_AUTH_FILE: path.join(notDir, 'auth.json') })).to.equal(undefined);
      put(path.join(home, 'late.json'), { auths: { 'quay.io': { auth: b64('u:p') } } });
      expect(await findCredentials('quay.io', { ...env, DOCKER_CONFIG: undefined, REGISTRY_AUTH_FILE: path.join(home, 'late.json') })).to.deep.equal({ username: 'u', password: 'p' });
    });

    it('saves into an empty file, and a file that is not an object or has bad auths is malformed', async () => {
      put(xdgFile(), '');
      await saveCredentials('quay.io', { username: 'u', password: 'p' }, env);
      expect(readJson(xdgFile())).to.deep.equal({ auths: { 'quay.io': { auth: b64('u:p') } } });
      for (const bad of ['[]', 'null', '"x"', '{"auths": []}', '{"auths": {"quay.io": "x"}}', '{"auths": {"quay.io": null}}']) {
        put(xdgFile(), bad);
        let caught: unknown;
        await findCredentials('quay.io', env).catch((err: unknown) => (caught = err));
        expect((caught as Error | undefined)?.message, bad).to.equal(`malformed registry auth file ${xdgFile()}`);
        expect((caught as RackerError).hint, bad).to.equal('fix it, or remove it and log in again');
      }
    });

    it('an auth value with an empty user name, or that is not base64, is malformed', async () => {
      for (const auth of [b64(':password'), `${b64('u:p')}!`, `!${b64('u:p')}`]) {
        put(xdgFile(), { auths: { 'quay.io': { auth } } });
        let caught: unknown;
        await findCredentials('quay.io', env).catch((err: unknown) => (caught = err));
        expect((caught as Error | undefined)?.message, auth).to.equal(`malformed registry auth file ${xdgFile()}`);
      }
    });

    it('names a temporary auth file after its owner, so prune can tell a dead one', async () => {
      const tmp = path.join(base, 'tmp2');
      fs.mkdirSync(tmp);
      const handle = await writeTemporaryAuthFile('quay.io', { username: 'u', password: 'p' }, tmp);
      expect(path.basename(handle.path)).to.match(new RegExp(`^racker-auth-${process.pid}-[0-9a-f]{16}\\.json$`));
      expect(fs.readFileSync(handle.path, 'utf8')).to.equal(`${JSON.stringify({ auths: { 'quay.io': { auth: b64('u:p') } } })}\n`);
      await handle.dispose();
    });

    it('removes every alias of a registry from a file, and says whether it removed anything', async () => {
      put(xdgFile(), { auths: { 'quay.io': { auth: b64('a:b') }, 'https://quay.io/v1/': { auth: b64('c:d') }, 'ghcr.io': { auth: b64('e:f') } }, other: 1 });
      expect(await removeCredentials('https://quay.io', env)).to.equal(true);
      expect(readJson(xdgFile())).to.deep.equal({ auths: { 'ghcr.io': { auth: b64('e:f') } }, other: 1 });
      expect(await removeCredentials('quay.io', env)).to.equal(false);
    });
  });
});
