/**
 * Issue 15: behaviours docker-py 5.0.3's own test suite found missing, checked here with
 * Debian's python3-docker as the client (the suite itself is not part of the repository;
 * doc/engine-api.md gives its score): an exec made with a terminal keeps it when started
 * without one; kill returns once the container is down; inspect reports the create body's
 * fields as given; an unknown log driver is refused; a name-only Env entry is kept; an exec
 * that can't start is 126.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import { promisify } from 'node:util';
import { racker, tempRoot } from '../helpers/cli.js';
import { killLeftovers } from '../helpers/containers.js';
import { startService, type Service } from '../helpers/docker.js';
import { requireIntegration } from '../helpers/integration.js';
import { startRegistry, type FixtureRegistry } from '../helpers/registry.js';

/** Debian's python3 (python3-docker 5.0.3 is for it), not whatever python3 a PATH names first. */
const PYTHON = '/usr/bin/python3';

const SCRIPT = String.raw`
import json, sys, docker
client = docker.APIClient(base_url=sys.argv[1], version='auto')
image = sys.argv[2]
out = {}

c = client.create_container(image, ['sleep', '300'], host_config=client.create_host_config(cpu_shares=512, mem_limit='64m', pid_mode='host', init=True), stop_timeout=4, environment={'Foo': None, 'Other': 'one'})
client.start(c)
e = client.exec_create(c, 'echo hello out', tty=True)
out['exec_tty'] = client.exec_start(e).decode()
e = client.exec_create(c, 'echo plain')
out['exec_plain'] = client.exec_start(e).decode()
e = client.exec_create(c, 'no-such-command')
client.exec_start(e)
out['exec_missing'] = client.exec_inspect(e)['ExitCode']
info = client.inspect_container(c)
out['host_config'] = {k: info['HostConfig'][k] for k in ('CpuShares', 'Memory', 'PidMode', 'Init')}
out['stop_timeout'] = info['Config'].get('StopTimeout')
out['env'] = [v for v in info['Config']['Env'] if v.split('=')[0] in ('Foo', 'Other')]
client.kill(c)
out['running_after_kill'] = client.inspect_container(c)['State']['Running']
client.remove_container(c, force=True)

try:
    client.create_container(image, ['true'], host_config=client.create_host_config(log_config={'type': 'asdf', 'config': {}}))
    out['log_driver'] = 'accepted'
except docker.errors.APIError as err:
    out['log_driver'] = [err.status_code, err.explanation]
print(json.dumps(out))
`;

describe('docker-py (python3-docker 5.0.3) against racker system service (integration, issue 15)', function () {
  this.timeout(120_000);
  let reg: FixtureRegistry;
  let root: string;
  let service: Service;

  before(async function () {
    requireIntegration(this);
    if (!existsSync(PYTHON)) throw new Error('python3 is not installed (run ./scripts/setup.sh --with-tests)');
    reg = await startRegistry();
    root = tempRoot('racker-docker-py-');
    service = await startService(root);
  });
  after(async function () {
    this.timeout(60_000);
    if (service) expect(await service.stop()).to.equal(0);
    if (root) {
      await killLeftovers(root);
      await fs.rm(root, { recursive: true, force: true });
    }
    await reg?.stop();
  });

  it('exec tty from the create request, kill waits for the end, create fields reported back, log driver checked, Env names kept', async () => {
    const image = `${reg.host}/racker/busybox:latest`;
    expect((await racker(['pull', '-q', image], { root })).code).to.equal(0);
    const { stdout } = await promisify(execFile)(PYTHON, ['-c', SCRIPT, service.host, image], { env: { PATH: '/usr/bin:/bin' }, timeout: 90_000 });
    expect(JSON.parse(stdout)).to.deep.equal({
      exec_tty: 'hello out\r\n',
      exec_plain: 'plain\n',
      exec_missing: 126,
      host_config: { CpuShares: 512, Memory: 67108864, PidMode: 'host', Init: true },
      stop_timeout: 4,
      env: ['Other=one', 'Foo'],
      running_after_kill: false,
      log_driver: [400, "logger: no log driver named 'asdf' is registered"],
    });
  });
});
