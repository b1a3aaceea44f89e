import { expect } from 'chai';
import { existsSync, promises as fs, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { racker, tempRoot } from '../helpers/cli.js';
import { requireIntegration } from '../helpers/integration.js';
import { startRegistry, type FixtureRegistry } from '../helpers/registry.js';

const PASSWORD = 'pa55:w0rd-Zq9';

/** Every process's argv, to prove the password never appears on a command line. */
function allCmdlines(): string {
  let text = '';
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      text += readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ') + '\n';
    } catch {
      /* gone */
    }
  }
  return text;
}

describe('login, logout and private registries (integration)', function () {
  let reg: FixtureRegistry;
  let root: string;
  let env: Record<string, string>;
  let authFile: string;

  before(async function () {
    requireIntegration(this);
    reg = await startRegistry({ auth: { user: 'alice', password: PASSWORD } });
    root = tempRoot();
    authFile = path.join(root, 'home/auth.json');
    env = { HOME: path.join(root, 'home'), REGISTRY_AUTH_FILE: authFile, XDG_RUNTIME_DIR: '', DOCKER_CONFIG: '' };
  });

  after(async () => {
    await reg?.stop();
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  it('a pull without credentials is refused with a login hint', async () => {
    const r = await racker(['pull', `${reg.host}/racker/busybox:latest`], { root, env });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal(
      `racker: unauthorized: access to ${reg.host}/racker/busybox:latest was denied (run: racker login ${reg.host})\n`,
    );
  });

  it('a wrong password is refused and nothing is saved', async () => {
    const r = await racker(['login', '-u', 'alice', '--password-stdin', reg.host], { root, env, input: 'wrong\n' });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal(`racker: login to ${reg.host} failed: unauthorized: incorrect username or password\n`);
    expect(existsSync(authFile)).to.equal(false);
  });

  it('login --password-stdin saves the credentials in a 0600 auth file', async () => {
    const r = await racker(['login', '-u', 'alice', '--password-stdin', reg.host], { root, env, input: `${PASSWORD}\n` });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.equal('Login Succeeded\n');
    expect(statSync(authFile).mode & 0o777).to.equal(0o600);
    const auths = JSON.parse(readFileSync(authFile, 'utf8')).auths;
    expect(Buffer.from(auths[reg.host].auth, 'base64').toString()).to.equal(`alice:${PASSWORD}`);
  });

  it('pulls with the saved credentials; the password is in no argv and no log line', async () => {
    let sawSkopeo = false;
    let leaked = false;
    const pull = racker(['--debug', 'pull', `${reg.host}/racker/busybox:latest`], { root, env });
    let done = false;
    void pull.finally(() => (done = true));
    while (!done) {
      const cmdlines = allCmdlines();
      if (cmdlines.includes('skopeo copy')) sawSkopeo = true;
      if (cmdlines.includes(PASSWORD) || cmdlines.includes(Buffer.from(`alice:${PASSWORD}`).toString('base64'))) leaked = true;
      await new Promise((r) => setTimeout(r, 5));
    }
    const r = await pull;
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain(`Status: Downloaded newer image for ${reg.host}/racker/busybox:latest`);
    expect(sawSkopeo).to.equal(true);
    expect(leaked).to.equal(false);
    expect(r.stderr).to.contain('--src-authfile');
    // Neither the password nor its base64 form (the auth file's, a Basic header's) in the output,
    // nor in any file racker wrote (logs, events, state) but the auth file itself.
    const encoded = Buffer.from(`alice:${PASSWORD}`).toString('base64');
    for (const text of [r.stdout, r.stderr]) expect(text).not.to.contain(PASSWORD).and.not.to.contain(encoded);
    const holding = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) return holding(p);
        if (!e.isFile() || p === authFile || statSync(p).size > 1 << 20) return [];
        const text = readFileSync(p, 'latin1');
        return text.includes(PASSWORD) || text.includes(encoded) ? [path.relative(root, p)] : [];
      });
    expect(holding(root)).to.deep.equal([]);
    // The temporary auth file given to skopeo is gone.
    expect(readdirSync(path.join(root, 'run')).filter((f) => f.includes('auth'))).to.deep.equal([]);
  });

  it('logout removes the entry; a second logout says so', async () => {
    const r = await racker(['logout', reg.host], { root, env });
    expect(r.stdout).to.equal(`Removing login credentials for ${reg.host}\n`);
    expect(JSON.parse(readFileSync(authFile, 'utf8')).auths[reg.host]).to.equal(undefined);
    const again = await racker(['logout', reg.host], { root, env });
    expect(again.code).to.equal(0);
    expect(again.stdout).to.equal(`Not logged in to ${reg.host}\n`);
  });

  it('login without a TTY and without a password is a usage error', async () => {
    const r = await racker(['login', '-u', 'alice', reg.host], { root, env });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal('racker: Cannot perform an interactive login from a non TTY device\n');
  });
});
