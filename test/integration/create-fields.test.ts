/**
 * Create fields docker-py's own tests found missing: a restart policy's waiting time reads as
 * restarting (rm refused), update of the policy, --mac-address on the interface, legacy
 * links (environment, /etc/hosts, removal), --device-cgroup-rule, HostConfig.Runtime.
 */
import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { racker, seen, tempRoot } from '../helpers/cli.js';
import { killLeftovers } from '../helpers/containers.js';
import { startService, type Service } from '../helpers/docker.js';
import { requireIntegration } from '../helpers/integration.js';
import { startRegistry, type FixtureRegistry } from '../helpers/registry.js';

function api(socket: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socket, method, path, headers: { 'Content-Type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

describe('create fields (integration): restarting, update --restart, --mac-address, links, device cgroup rules, Runtime', function () {
  this.timeout(60_000);
  let reg: FixtureRegistry;
  let root: string;
  let BUSYBOX: string;
  let service: Service | undefined;
  const rk = (args: string[]) => racker(args, { root, timeoutMs: 60_000 });
  const inspect = async (id: string) => JSON.parse((await rk(['inspect', id])).stdout)[0];

  before(async function () {
    requireIntegration(this);
    this.timeout(300_000);
    reg = await startRegistry();
    root = tempRoot('racker-create-fields-');
    BUSYBOX = `${reg.host}/racker/busybox:latest`;
    expect((await rk(['pull', '-q', BUSYBOX])).code).to.equal(0);
  });
  afterEach(async () => {
    if (service) expect(await service.stop()).to.equal(0);
    service = undefined;
    const ids = (await rk(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
    if (ids.length) expect((await rk(['rm', '-f', ...ids])).code).to.equal(0);
  });
  after(async () => {
    if (root) {
      await killLeftovers(root);
      await fs.rm(root, { recursive: true, force: true });
    }
    await reg?.stop();
  });

  it('a container waiting to be restarted is restarting (inspect, ps), rm without -f refuses it, update --restart no leaves it down', async () => {
    const id = (await rk(['run', '-d', '--restart', 'always', '--network', 'none', BUSYBOX, 'sh', '-c', 'exit 3'])).stdout.trim();
    // Each restart in a row doubles the delay (100 ms, 200 ms, …): after the fourth it is 1.6 s, long enough to look.
    let state: { Status: string; Running: boolean; Restarting: boolean; ExitCode: number } | undefined;
    for (let i = 0; i < 300; i++) {
      const seenNow = await inspect(id);
      state = seenNow.State;
      if (state?.Restarting && seenNow.RestartCount >= 4) break;
      await sleep(50);
    }
    expect(state).to.include({ Status: 'restarting', Running: true, Restarting: true, ExitCode: 3 });
    expect((await rk(['ps', '-a', '--filter', 'status=restarting', '--format', '{{.Status}}'])).stdout).to.match(/^Restarting \(3\) .* ago\n$/);
    const rm = await rk(['rm', id]);
    expect(rm.stderr).to.equal(`racker: You cannot remove a restarting container ${id}. Stop the container before attempting removal or force remove\n`);
    expect(rm.code).to.not.equal(0);
    expect(seen(await rk(['update', '--restart', 'no', id]))).to.deep.equal({ code: 0, stdout: `${id}\n`, stderr: '' });
    const after = await inspect(id);
    expect(after.HostConfig.RestartPolicy).to.deep.equal({ Name: 'no', MaximumRetryCount: 0 });
    expect(after.State).to.include({ Status: 'exited', Restarting: false });
    expect(seen(await rk(['rm', id]))).to.deep.equal({ code: 0, stdout: `${id}\n`, stderr: '' });
  });

  it('Engine API: DELETE of an ended container its policy restarts is 409; update sets RestartPolicy; Runtime runc kept, others refused', async () => {
    service = await startService(root);
    const sock = service.socket;
    const created = await api(sock, 'POST', '/containers/create', { Image: BUSYBOX, Cmd: ['sleep', '0.3'], HostConfig: { RestartPolicy: { Name: 'always' }, NetworkMode: 'none', Runtime: 'runc' } });
    expect(created.status).to.equal(201);
    const id = (created.json as { Id: string }).Id;
    expect((await api(sock, 'POST', `/containers/${id}/start`)).status).to.equal(204);
    expect((await api(sock, 'POST', `/containers/${id}/wait`)).json).to.deep.equal({ StatusCode: 0, Error: null });
    const refused = await api(sock, 'DELETE', `/containers/${id}`);
    expect(refused.status).to.equal(409);
    expect((refused.json as { message: string }).message).to.match(new RegExp(`^You cannot remove a (restarting|running) container ${id}\\. Stop the container before attempting removal or force remove$`));
    expect((await api(sock, 'POST', `/containers/${id}/update`, { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 42 } })).status).to.equal(200);
    const host = ((await api(sock, 'GET', `/containers/${id}/json`)).json as { HostConfig: { RestartPolicy: unknown; Runtime: string } }).HostConfig;
    expect(host.RestartPolicy).to.deep.equal({ Name: 'on-failure', MaximumRetryCount: 42 });
    expect(host.Runtime).to.equal('runc');
    expect((await api(sock, 'DELETE', `/containers/${id}?force=1`)).status).to.equal(204);
    expect(await api(sock, 'POST', '/containers/create', { Image: BUSYBOX, Cmd: ['true'], HostConfig: { Runtime: 'crun' } })).to.deep.equal({ status: 400, json: { message: 'unknown or invalid runtime name: crun' } });
  });

  it('--mac-address: the interface has it from the start; inspect reports it; the API takes MacAddress', async () => {
    const r = await rk(['run', '--rm', '--mac-address', '92:D0:C6:0A:29:33', BUSYBOX, 'cat', '/sys/class/net/eth0/address']);
    expect(seen(r)).to.deep.equal({ code: 0, stdout: '92:d0:c6:0a:29:33\n', stderr: '' });
    expect(seen(await rk(['run', '--rm', '--mac-address', '01:00:5e:00:00:01', BUSYBOX, 'true']))).to.deep.equal({ code: 125, stdout: '', stderr: 'racker: invalid MAC address: 01:00:5e:00:00:01\n' });
    service = await startService(root);
    const created = await api(service.socket, 'POST', '/containers/create', { Image: BUSYBOX, Cmd: ['sleep', '60'], MacAddress: '02:42:ac:11:00:0a' });
    const id = (created.json as { Id: string }).Id;
    expect((await api(service.socket, 'POST', `/containers/${id}/start`)).status).to.equal(204);
    const settings = ((await api(service.socket, 'GET', `/containers/${id}/json`)).json as { NetworkSettings: { MacAddress: string } }).NetworkSettings;
    expect(settings.MacAddress).to.equal('02:42:ac:11:00:0a');
  });

  it('--link: the linked container\'s variables and an /etc/hosts line; inspect shows the link; rm --link and DELETE ?link=1 drop it', async () => {
    const db = (await rk(['run', '-d', '--name', 'db', '-e', 'FOO=1', BUSYBOX, 'sleep', '60'])).stdout.trim();
    const address = (await inspect(db)).NetworkSettings.IPAddress;
    const web = await rk(['run', '--rm', '--name', 'web', '--link', 'db:my-db', BUSYBOX, 'sh', '-c', 'env | grep ^MY_DB_ | sort; grep my-db /etc/hosts']);
    expect(seen(web)).to.deep.equal({ code: 0, stdout: `MY_DB_ENV_FOO=1\nMY_DB_NAME=/web/my-db\n${address}\tmy-db ${db.slice(0, 12)} db\n`, stderr: '' });
    expect((await rk(['create', '--name', 'w2', '--link', 'db', BUSYBOX, 'true'])).code).to.equal(0);
    expect((await inspect('w2')).HostConfig.Links).to.deep.equal(['/db:/w2/db']);
    expect(seen(await rk(['rm', '--link', 'w2/db']))).to.deep.equal({ code: 0, stdout: 'w2/db\n', stderr: '' });
    expect((await inspect('w2')).HostConfig.Links).to.equal(null);
    expect((await rk(['ps', '-aq'])).stdout.split('\n').filter(Boolean)).to.have.length(2);
    expect(seen(await rk(['create', '--link', 'nosuch:x', BUSYBOX, 'true']))).to.deep.equal({ code: 125, stdout: '', stderr: 'racker: could not get container for nosuch: No such container: nosuch\n' });
    service = await startService(root);
    const created = await api(service.socket, 'POST', '/containers/create?name=w3', { Image: BUSYBOX, Cmd: ['true'], HostConfig: { Links: ['db:alias1'] } });
    expect(created.status).to.equal(201);
    const links = () => api(service!.socket, 'GET', '/containers/w3/json').then((r) => (r.json as { HostConfig: { Links: unknown } }).HostConfig.Links);
    expect(await links()).to.deep.equal(['/db:/w3/alias1']);
    expect((await api(service.socket, 'DELETE', '/containers/w3/alias1?link=True')).status).to.equal(204);
    expect(await links()).to.equal(null);
  });

  it('--device-cgroup-rule: the container\'s devices cgroup denies all but docker\'s defaults and the rule; inspect and the API report it', async function () {
    const { hostHasDevicesCgroup } = await import('../../lib/container/cgroup.js');
    const rule = 'c 7:128 rwm';
    if (!hostHasDevicesCgroup()) {
      // cgroup v2: refused at create, clearly.
      const r = await rk(['create', '--device-cgroup-rule', rule, BUSYBOX, 'true']);
      expect(r.code).to.equal(125);
      expect(r.stderr).to.match(/^racker: device cgroup rules need a cgroup v1 devices hierarchy/);
      return;
    }
    const r = await rk(['run', '--rm', '--device-cgroup-rule', rule, BUSYBOX, 'sh', '-c', 'cat /sys/fs/cgroup/devices/devices.list; head -c 1 /dev/zero | wc -c']);
    expect(r.code).to.equal(0);
    const list = r.stdout.split('\n');
    expect(list).to.include(rule);
    expect(list).to.include('c 1:5 rwm');
    expect(list).to.not.include('a *:* rwm');
    expect(list.at(-2)).to.equal('1'); // /dev/zero still reads
    expect(seen(await rk(['create', '--device-cgroup-rule', 'x 1:2 r', BUSYBOX, 'true']))).to.deep.equal({ code: 125, stdout: '', stderr: "racker: invalid device cgroup rule: 'x 1:2 r' (TYPE MAJOR:MINOR ACCESS, e.g. 'c 7:128 rwm')\n" });
    service = await startService(root);
    const created = await api(service.socket, 'POST', '/containers/create', { Image: BUSYBOX, Cmd: ['true'], HostConfig: { DeviceCgroupRules: [rule] } });
    const id = (created.json as { Id: string }).Id;
    expect(((await api(service.socket, 'GET', `/containers/${id}/json`)).json as { HostConfig: { DeviceCgroupRules: unknown } }).HostConfig.DeviceCgroupRules).to.deep.equal([rule]);
  });
});
