/**
 * Issue 15 (events, disk usage): every action racker performs is in its event log, whoever
 * performed it; `racker events` and GET /events answer old events and follow new ones with
 * docker's filters and line format; `system df` and GET /system/df count what was created.
 */
import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import Docker from 'dockerode';
import { racker, tempRoot } from '../helpers/cli.js';
import { eventually, killLeftovers, startRacker } from '../helpers/containers.js';
import { docker as dockerCli, dockerClient, startService, type Service } from '../helpers/docker.js';
import { requireIntegration } from '../helpers/integration.js';
import { startRegistry, type FixtureRegistry } from '../helpers/registry.js';

/** Unix seconds with nanoseconds, the form the docker CLI sends. */
const stamp = (ms = Date.now()) => `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}000000`;

describe('events and system df (integration, issue 15)', function () {
  this.timeout(120_000);
  let reg: FixtureRegistry;
  let root: string;
  let BUSYBOX: string;
  let service: Service | undefined;
  // TZ=UTC: the default line prints local time, as the docker CLI does.
  const rk = (args: string[]) => racker(args, { root, timeoutMs: 120_000, env: { TZ: 'UTC' } });

  before(async function () {
    requireIntegration(this);
    reg = await startRegistry();
    root = tempRoot('racker-events-');
    BUSYBOX = `${reg.host}/racker/busybox:latest`;
    expect((await rk(['pull', '-q', BUSYBOX])).code).to.equal(0);
  });
  afterEach(async () => {
    await service?.stop();
    service = undefined;
    if (root) {
      for (const c of (await rk(['ps', '-aq'])).stdout.split('\n').filter(Boolean)) await rk(['rm', '-f', c]);
      await rk(['volume', 'prune', '-af']);
    }
  });
  after(async () => {
    if (root) {
      await killLeftovers(root);
      await fs.rm(root, { recursive: true, force: true });
    }
    await reg?.stop();
  });

  it('run, rm: exactly create, start, die (with the exit code), destroy for that container, in docker\'s line format', async () => {
    const since = stamp();
    expect((await rk(['run', '--name', 'ev-run', BUSYBOX, 'sh', '-c', 'exit 3'])).code).to.equal(3);
    const id = (await rk(['inspect', '-f', '{{.Id}}', 'ev-run'])).stdout.trim();
    expect((await rk(['rm', 'ev-run'])).code).to.equal(0);
    const r = await rk(['events', '--since', since, '--until', stamp(), '--filter', `container=${id}`]);
    expect(r.code, r.stderr).to.equal(0);
    const attrs = `image=${BUSYBOX}, name=ev-run`;
    const time = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z';
    const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const expected = [
      `container create ${id} (${attrs})`,
      `container start ${id} (${attrs})`,
      `container die ${id} (exitCode=3, ${attrs})`,
      `container destroy ${id} (${attrs})`,
    ];
    const lines = r.stdout.split('\n').filter(Boolean);
    expect(lines.map((l) => l.replace(new RegExp(`^${time} `), ''))).to.deep.equal(expected);
    for (const [i, l] of lines.entries()) expect(l).to.match(new RegExp(`^${time} ${esc(expected[i]!)}$`));
  });

  it('run -d, stop, rm: kill with the signal, die 137 after the grace time, stop; the network connect and disconnect are network events', async () => {
    const since = stamp();
    const id = (await rk(['run', '-d', '--name', 'ev-stop', BUSYBOX, 'sleep', '100'])).stdout.trim();
    // busybox sleep as PID 1 ignores SIGTERM: SIGKILL after one second, as docker.
    expect((await rk(['stop', '-t', '1', 'ev-stop'])).code).to.equal(0);
    expect((await rk(['rm', 'ev-stop'])).code).to.equal(0);
    const until = stamp();
    const actions = await rk(['events', '--since', since, '--until', until, '--filter', 'container=ev-stop', '--format', '{{.Action}}{{with .Actor.Attributes.signal}} {{.}}{{end}}{{with .Actor.Attributes.exitCode}} {{.}}{{end}}']);
    expect(actions.stdout).to.equal('create\nstart\nkill 15\nkill 9\ndie 137\nstop\ndestroy\n');
    const network = await rk(['events', '--since', since, '--until', until, '--filter', 'type=network', '--format', '{{.Action}} {{.Actor.Attributes.container}} {{.Actor.Attributes.name}}']);
    expect(network.stdout).to.equal(`connect ${id} bridge\ndisconnect ${id} bridge\n`);
    // {{json .}}: the stored line, docker's shape with the legacy fields.
    const json = await rk(['events', '--since', since, '--until', until, '--filter', 'event=start', '--format', '{{json .}}']);
    const ev = JSON.parse(json.stdout);
    expect(ev).to.deep.include({ status: 'start', id, from: BUSYBOX, Type: 'container', Action: 'start', scope: 'local' });
    expect(ev.Actor).to.deep.equal({ ID: id, Attributes: { image: BUSYBOX, name: 'ev-stop' } });
    expect(String(ev.timeNano).slice(0, 10)).to.equal(String(ev.time));
  });

  it('a follower (racker events in the background) sees a container start while it happens, and ends on SIGTERM', async () => {
    const follower = startRacker(['events', '--since', stamp(), '--filter', 'event=start', '--format', '{{.Actor.Attributes.name}} {{.Action}}'], { root });
    let out = '';
    follower.child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    expect((await rk(['run', '-d', '--name', 'ev-follow', BUSYBOX, 'sleep', '30'])).code).to.equal(0);
    await eventually(() => out.includes('ev-follow start\n'), 10_000, 'the follower to see the start');
    process.kill(follower.pid, 'SIGTERM');
    const r = await follower.result;
    expect({ code: r.code, stdout: r.stdout }).to.deep.equal({ code: 0, stdout: 'ev-follow start\n' });
  });

  it('image and volume events: pull, tag, untag; volume create, mount, destroy', async () => {
    const since = stamp();
    expect((await rk(['pull', '-q', BUSYBOX])).code).to.equal(0);
    expect((await rk(['tag', BUSYBOX, 'ev/tagged:1'])).code).to.equal(0);
    expect((await rk(['rmi', 'ev/tagged:1'])).code).to.equal(0);
    expect((await rk(['run', '--rm', '-v', 'ev-data:/data', BUSYBOX, 'true'])).code).to.equal(0);
    expect((await rk(['volume', 'rm', 'ev-data'])).code).to.equal(0);
    const until = stamp();
    const imageId = (await rk(['images', '--no-trunc', '-q', BUSYBOX])).stdout.trim();
    const images = await rk(['events', '--since', since, '--until', until, '--filter', 'type=image', '--format', '{{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}}']);
    expect(images.stdout).to.equal(`pull ${BUSYBOX} ${reg.host}/racker/busybox\ntag ${imageId} ev/tagged:1\nuntag ${imageId} ${imageId}\n`);
    // image= matches by the image's name without its tag too, as docker's filter.
    const byImage = await rk(['events', '--since', since, '--until', until, '--filter', `image=${reg.host}/racker/busybox`, '--filter', 'type=image', '--format', '{{.Action}}']);
    expect(byImage.stdout).to.equal('pull\n');
    const volumes = await rk(['events', '--since', since, '--until', until, '--filter', 'volume=ev-data', '--format', '{{.Action}} {{.Actor.Attributes.destination}}']);
    expect(volumes.stdout).to.equal('create <no value>\nmount /data\ndestroy <no value>\n');
  });

  it('commit, save, load: a container commit event, image save and load events', async () => {
    const since = stamp();
    expect((await rk(['run', '--name', 'ev-commit', BUSYBOX, 'sh', '-c', 'echo x > /made'])).code).to.equal(0);
    const image = (await rk(['commit', '-m', 'made it', 'ev-commit', 'ev/committed:1'])).stdout.trim();
    const archive = `${root}/committed.tar`;
    expect((await rk(['save', '-o', archive, 'ev/committed:1'])).code).to.equal(0);
    expect((await rk(['load', '-i', archive])).code).to.equal(0);
    const until = stamp();
    const commit = await rk(['events', '--since', since, '--until', until, '--filter', 'event=commit', '--format', '{{.Actor.Attributes.name}} {{.Actor.Attributes.comment}} {{.Actor.Attributes.imageID}} {{.Actor.Attributes.imageRef}}']);
    expect(commit.stdout).to.equal(`ev-commit made it ${image} ev/committed:1\n`);
    const images = await rk(['events', '--since', since, '--until', until, '--filter', 'type=image', '--filter', 'event=save', '--filter', 'event=load', '--format', '{{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}}']);
    expect(images.stdout).to.equal(`save ${image} ev/committed:1\nload ${image} ev/committed:1\n`);
    await fs.rm(archive);
    await rk(['rm', 'ev-commit']);
    await rk(['rmi', 'ev/committed:1']);
  });

  it('GET /events: old events end at until (the docker CLI), new ones are followed until the client goes (HTTP)', async () => {
    service = await startService(root);
    const client = new Docker({ socketPath: service.socket });
    const since = stamp();
    const c = await client.createContainer({ Image: BUSYBOX, Cmd: ['sleep', '30'], name: 'ev-api', Labels: { team: 'qa' } });
    // A follower over plain HTTP, before the start.
    const seen: string[] = [];
    const req = http.get({ socketPath: service.socket, path: `/v1.41/events?filters=${encodeURIComponent(JSON.stringify({ container: ['ev-api'], event: ['start'] }))}` });
    const res = await new Promise<http.IncomingMessage>((resolve) => req.once('response', resolve));
    expect(res.statusCode).to.equal(200);
    res.on('data', (b: Buffer) => seen.push(...b.toString().split('\n').filter(Boolean)));
    await new Promise((r) => setTimeout(r, 300)); // the follower has read where the log ends
    await c.start();
    await eventually(() => seen.length > 0, 10_000, 'the HTTP follower to see the start');
    req.destroy();
    const started = JSON.parse(seen[0]!);
    expect(started).to.deep.include({ Type: 'container', Action: 'start', id: c.id });
    expect(started.Actor.Attributes).to.deep.equal({ image: BUSYBOX, name: 'ev-api', team: 'qa' });
    await c.remove({ force: true });
    const until = stamp();
    // label= and a bounded query through the docker CLI, which ends at until.
    const bin = dockerClient();
    if (bin) {
      const r = await dockerCli(bin, service.host, ['events', '--since', since, '--until', until, '--filter', 'label=team=qa', '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}']);
      expect({ code: r.code, stdout: r.stdout }).to.deep.equal({ code: 0, stdout: 'container start ev-api\ncontainer kill ev-api\ncontainer die ev-api\ncontainer destroy ev-api\n' });
    }
    const bad = await fetchJson(service.socket, `/events?filters=${encodeURIComponent('{"colour":["red"]}')}&until=${until}`);
    expect(bad).to.deep.equal({ status: 400, body: { message: "invalid filter 'colour'" } });
  });

  it('system df and GET /system/df: a volume with a 1 MiB file reports at least 1 MiB; images and containers counted', async () => {
    expect((await rk(['run', '--name', 'ev-df', '-v', 'ev-big:/big', BUSYBOX, 'sh', '-c', 'head -c 1048576 /dev/zero > /big/file; echo hi > /written'])).code).to.equal(0);
    const table = await rk(['system', 'df']);
    expect(table.code, table.stderr).to.equal(0);
    const lines = table.stdout.split('\n');
    expect(lines[0]).to.match(/^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE$/);
    expect(lines[1]).to.match(/^Images\s+1\s+1\s+\S+\s+0B \(0%\)$/);
    expect(lines[2]).to.match(/^Containers\s+1\s+0\s+\d+B\s+\d+B \(100%\)$/);
    expect(lines[3]).to.match(/^Local Volumes\s+1\s+1\s+1\.049MB\s+0B \(0%\)$/);
    expect(lines[4]).to.match(/^Build Cache\s+0\s+0\s+0B\s+0B$/);
    const verbose = await rk(['system', 'df', '-v']);
    expect(verbose.stdout).to.match(/\nLocal Volumes space usage:\n\nVOLUME NAME\s+LINKS\s+SIZE\nev-big\s+1\s+1\.049MB\n/);
    service = await startService(root);
    const df = await fetchJson(service.socket, '/v1.41/system/df');
    expect(df.status).to.equal(200);
    const body = df.body as { Volumes: { Name: string; UsageData: { Size: number; RefCount: number } }[]; Containers: { Names: string[]; SizeRw: number }[]; Images: { Containers: number; Size: number }[]; BuildCache: unknown[]; LayersSize: number };
    expect(body.Volumes.map((v) => [v.Name, v.UsageData.RefCount])).to.deep.equal([['ev-big', 1]]);
    expect(body.Volumes[0]!.UsageData.Size).to.be.at.least(1024 * 1024);
    expect(body.Containers.map((c) => c.Names)).to.deep.equal([['/ev-df']]);
    expect(body.Containers[0]!.SizeRw).to.be.at.least(3); // "hi\n" in /written
    expect(body.Images.map((i) => i.Containers)).to.deep.equal([1]);
    expect(body.LayersSize).to.equal(body.Images[0]!.Size);
    expect(body.BuildCache).to.deep.equal([]);
  });
});

function fetchJson(socket: string, path: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    http
      .get({ socketPath: socket, path }, (res) => {
        let text = '';
        res.on('data', (b: Buffer) => (text += b.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      })
      .on('error', reject);
  });
}
