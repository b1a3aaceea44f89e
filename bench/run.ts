/**
 * npm run bench: racker against the floor (the same job scripted directly with
 * systemd-nspawn) and against a peer (podman), on this machine, in one run, so every
 * figure is also a ratio. Cases that are compared run interleaved (a, b, a, b, …), so a
 * load change on a shared machine hits both sides alike.
 *
 * Prepares its own images from the test fixture registry (cached) and a ≥ 1 GB image from
 * a cached tarball (scripts/build-bench-image.sh), checks that every case really ran,
 * cleans up what it made (containers, mounts, nspawn processes, podman storage, registry).
 *
 *   BENCH_N=10        repetitions per case (after one warm-up round)
 *   BENCH_ONLY=a,b    run only these groups (pull, boot, direct, pool, network, parallel, cli, memory, pkgcache, foreign, build, members);
 *                     a partial run prints its table but writes no files
 *
 * Results: a markdown table on stdout, bench/results.md (paste into doc/performance.md)
 * and bench/results.json.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startService } from '../test/helpers/docker.js';
import { startRegistry } from '../test/helpers/registry.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const racker = path.join(repo, 'dist/bin/racker.js');
const N = Number(process.env.BENCH_N ?? 10);
if (!Number.isInteger(N) || N < 1) throw new Error(`BENCH_N must be a positive integer, not ${process.env.BENCH_N}`);
const GROUPS = ['pull', 'boot', 'direct', 'pool', 'network', 'parallel', 'cli', 'memory', 'pkgcache', 'foreign', 'build', 'members'] as const;
type Group = (typeof GROUPS)[number];
const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim()).filter(Boolean);
for (const g of only ?? []) if (!(GROUPS as readonly string[]).includes(g)) throw new Error(`BENCH_ONLY: unknown group ${g} (${GROUPS.join(', ')})`);
const selected = (g: Group) => !only || only.includes(g);

interface Stats {
  median: number;
  min: number;
  max: number;
  samples: number[];
}

function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length / 2;
  const median = s.length % 2 ? s[Math.floor(mid)]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]!, samples };
}

// Ctrl-C: the running subprocess gets the signal too and fails; the next step throws and `finally` cleans up.
// Subprocesses run asynchronously for this: under tsx, a child whose event loop is blocked (spawnSync) cannot
// acknowledge the relayed signal in time and is SIGKILLed, cleanup and all.
let interrupted: string | undefined;
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.on(sig, () => {
    if (!interrupted) console.error(`bench: ${sig}, cleaning up`);
    interrupted = sig;
  });

interface RunOptions {
  env?: NodeJS.ProcessEnv;
  timeoutS?: number;
}

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Run argv to its end (SIGKILL after the timeout); never throws for the exit status. */
function run(argv: string[], o: RunOptions = {}): Promise<RunResult> {
  if (interrupted) return Promise.reject(new Error(`bench: interrupted (${interrupted})`));
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(argv[0]!, argv.slice(1), { env: o.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-4000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), (o.timeoutS ?? 120) * 1000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`bench: ${argv.join(' ')}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: err, seconds: (performance.now() - t0) / 1000 });
    });
  });
}

/** Run argv, fail loudly unless it exits 0 in time; its result. */
async function must(argv: string[], o: RunOptions = {}): Promise<RunResult> {
  const r = await run(argv, o);
  if (interrupted) throw new Error(`bench: interrupted (${interrupted})`);
  if (r.code !== 0) throw new Error(`bench: ${argv.join(' ')} exited ${r.code ?? r.signal}: ${r.stderr.trim().slice(-2000)}`);
  return r;
}

/** Seconds a successful run of argv took. */
const timed = async (argv: string[], o: RunOptions = {}): Promise<number> => (await must(argv, o)).seconds;
const bash = (script: string, o: RunOptions = {}) => timed(['bash', '-c', script], o);

type Case = () => Promise<number>;

/** One warm-up round, then n rounds of every case in turn; stats per case. */
async function interleaved<K extends string>(n: number, cases: Record<K, Case>): Promise<Record<K, Stats>> {
  const keys = Object.keys(cases) as K[];
  for (const k of keys) await cases[k]();
  const samples = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (let i = 0; i < n; i++) for (const k of keys) samples[k].push(await cases[k]());
  return Object.fromEntries(keys.map((k) => [k, stats(samples[k])])) as Record<K, Stats>;
}

const repeat = async (n: number, once: Case): Promise<Stats> => (await interleaved(n, { once })).once;

/** Peak RSS in MB of one run, via GNU time. */
async function peakRssMb(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const r = await must(['/usr/bin/time', '-f', '%M', ...argv], { env, timeoutS: 300 });
  const lines = r.stderr.trim().split('\n');
  return Number(lines[lines.length - 1]) / 1024;
}

const READY_TIMEOUT_S = 30;

/** node tcp-send.cjs HOST PORT MB: send MB MiB, print the seconds from connect until the peer has closed. */
const TCP_SEND = `const net = require('net');
const [host, port, mb] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const buf = Buffer.alloc(1 << 20, 120);
const s = net.connect(port, host, () => {
  const t0 = performance.now();
  let n = 0;
  const write = () => { while (n < mb) { n++; if (!s.write(buf)) return s.once('drain', write); } s.end(); };
  s.on('close', () => console.log(((performance.now() - t0) / 1000).toFixed(4)));
  write();
});
s.on('error', (e) => { console.error(e.message); process.exit(1); });
`;

/** Waits until PID 1 of the container whose leader is $l says running/degraded, as racker does. */
const waitReady = `
t0=$SECONDS
while :; do s=$(nsenter -t "$l" -a systemctl is-system-running 2>/dev/null || true); case $s in running|degraded) break;; esac
  [ $((SECONDS - t0)) -lt ${READY_TIMEOUT_S} ] || { echo "not ready after ${READY_TIMEOUT_S} s: $s" >&2; exit 1; }; sleep 0.01; done`;

/** The floor for boot-run: overlay + nspawn --boot + poll is-system-running + exec true + SIGKILL + umount. */
function floorBootScript(image: string, dir: string): string {
  return `set -e
d=${dir}/floor; rm -rf "$d"; mkdir -p "$d/u" "$d/w" "$d/m"
mount -t overlay overlay -o lowerdir=${image},upperdir=$d/u,workdir=$d/w "$d/m"
ns= l=
# The same teardown on success and failure: SIGKILL to the container's PID 1 (or nspawn), umount.
trap 'if [ -n "$l" ]; then kill -KILL $l 2>/dev/null || true; elif [ -n "$ns" ]; then kill -KILL $ns 2>/dev/null || true; fi; [ -z "$ns" ] || wait $ns 2>/dev/null || true; umount "$d/m"' EXIT
systemd-nspawn --quiet --boot --register=no --keep-unit -D "$d/m" --console=read-only >/dev/null 2>&1 </dev/null &
ns=$!
t0=$SECONDS
while :; do c=$(cut -d' ' -f1 /proc/$ns/task/$ns/children 2>/dev/null || true); [ -n "$c" ] && [ "$(cat /proc/$c/comm 2>/dev/null)" = systemd ] && break
  [ $((SECONDS - t0)) -lt ${READY_TIMEOUT_S} ] || { echo "no systemd after ${READY_TIMEOUT_S} s" >&2; exit 1; }; sleep 0.005; done
l=$c
${waitReady}
nsenter -t $l -a true`;
}

function floorDirectScript(image: string, dir: string): string {
  return `set -e
d=${dir}/floord; rm -rf "$d"; mkdir -p "$d/u/usr" "$d/w" "$d/m"
mount -t overlay overlay -o lowerdir=${image},upperdir=$d/u,workdir=$d/w "$d/m"
trap 'umount "$d/m"' EXIT
systemd-nspawn --quiet --register=no --keep-unit -D "$d/m" --console=pipe /bin/true 2>/dev/null`;
}

/** podman with its own storage under the bench root, plus the flags this host needs. */
function podmanArgv(dir: string, flags: string[]): string[] {
  return ['podman', '--root', `${dir}/root`, '--runroot', `${dir}/run`, '--tmpdir', `${dir}/tmp`, '--storage-driver', 'overlay', ...flags];
}

/**
 * Container rlimits podman can set here. Its defaults (nofile 1048576, nproc as the host) fail without
 * CAP_SYS_RESOURCE: "setrlimit RLIMIT_NOFILE: Operation not permitted". nofile up to the hard limit works;
 * nproc above ~32768 failed even under the hard limit (96365) with runc, so a modest 4096 is used.
 */
function podmanUlimits(): string[] {
  const [nofile, nproc] = execFileSync('bash', ['-c', 'ulimit -Hn; ulimit -Hu']).toString().trim().split('\n').map((s) => s.trim());
  const cap = (v: string | undefined, max: number) => (v === undefined || v === 'unlimited' ? max : Math.min(Number(v), max));
  return ['--ulimit', `nofile=${cap(nofile, 1048576)}:${cap(nofile, 1048576)}`, '--ulimit', `nproc=${cap(nproc, 4096)}:${cap(nproc, 4096)}`];
}

/** podman doing racker's boot-run: run -d --systemd=always, wait for running, exec true, rm -f. */
function podmanBootScript(podman: string[], ulimits: string[], image: string, dir: string): string {
  const p = podman.map((a) => `'${a}'`).join(' ');
  return `set -e
c=racker-bench-peer pf=${dir}/peer.pid ok=
rm -f "$pf"
trap '[ -n "$ok" ] || ${p} rm -f -t 0 $c >/dev/null 2>&1 || true' EXIT
${p} run -d --systemd=always --network host ${ulimits.join(' ')} --pidfile "$pf" --name $c ${image} /sbin/init >/dev/null
l=$(cat "$pf")
${waitReady}
${p} exec $c true
${p} rm -f -t 0 $c >/dev/null
ok=1`;
}

interface Row {
  /** Stable id, checked against the list of expected cases. */
  key: string;
  name: string;
  s?: Stats;
  /** A single figure (MB, or one wall time) instead of stats. */
  value?: string;
  ratio?: number;
  /** What the ratio divides: "÷ floor", "boot-run ÷ podman". */
  ratioOf?: string;
  target?: string;
  note?: string;
}

/** Is the target met? Targets read "≤ 1.3×" (ratio), "≤ 0.3 s" (median), "≤ 100 MB" (value). */
function verdict(r: Row): string {
  const m = /^(≤|≥) ([\d.]+) ?(×|s|MB|ms)$/.exec(r.target ?? '');
  if (!m) return '';
  const limit = Number(m[2]);
  const got = m[3] === '×' ? r.ratio : m[3] === 's' ? r.s?.median : Number(r.value);
  if (got === undefined || Number.isNaN(got)) return '';
  if (m[1] === '≥') return got >= limit ? 'met' : `missed by ${((1 - got / limit) * 100).toFixed(0)} %`;
  return got <= limit ? 'met' : `missed by ${((got / limit - 1) * 100).toFixed(0)} %`;
}

const fmt = (x: number) => (x >= 10 ? x.toFixed(2) : x.toFixed(3));

function markdownTable(rows: Row[]): string {
  const lines = ['| case | median s | min s | max s | ratio | target | met |', '|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    const ratio = r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}${r.ratioOf ? ` (${r.ratioOf})` : ''}`;
    const cells = r.s ? [fmt(r.s.median), fmt(r.s.min), fmt(r.s.max)] : [r.value ?? r.note ?? '', '', ''];
    lines.push(`| ${r.name} | ${cells.join(' | ')} | ${ratio} | ${r.target ?? ''} | ${verdict(r)} |`);
  }
  return lines.join('\n');
}

function firstLine(argv: string[]): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  return r.status === 0 ? r.stdout.toString().split('\n')[0]!.trim() : 'not installed';
}

const loadavg = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

/**
 * The cleanup, also as a detached shell that outlives this process: under npm and tsx a Ctrl-C can end
 * in SIGKILL for this process (tsx kills a child that does not acknowledge a relayed signal within
 * 30 ms, easily missed on a loaded machine), and then no `finally` runs. The guard waits for this
 * process to go, then removes racker's containers and podman's, kills what still runs from the bench's
 * directory, unmounts what is mounted under it and deletes it and the registry's directory.
 * Paths reach it through the environment, so no process command line names the bench's directory but
 * its own workers'.
 */
const CLEANUP = `
r=$BENCH_ROOT
if [ -d "$r/lib/containers" ]; then
  ids=$(ls "$r/lib/containers")
  [ -z "$ids" ] || RACKER_ROOT="$r" timeout 120 node "$BENCH_RACKER" rm -f $ids >/dev/null 2>&1
fi
if [ -d "$r/podman/root" ]; then
  timeout 120 podman --root "$r/podman/root" --runroot "$r/podman/run" --tmpdir "$r/podman/tmp" --storage-driver overlay --runtime runc rm -af -t 0 >/dev/null 2>&1
fi
for c in /proc/[0-9]*/cmdline; do
  p=\${c#/proc/}; p=\${p%/cmdline}
  [ "$p" = $$ ] && continue
  grep -qF "$r/" "$c" 2>/dev/null && kill -KILL "$p" 2>/dev/null
done
findmnt -rn -o TARGET | grep -F "$r/" | sort -r | while read -r m; do umount -l "$m"; done
rm -rf "$r"
[ -z "$BENCH_REGISTRY_DIR" ] || rm -rf "$BENCH_REGISTRY_DIR"
`;

function startGuard(root: string, registryDir: string): void {
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 0.5; done; [ -d "$BENCH_ROOT" ] || exit 0\n${CLEANUP}`;
  const child = spawn('setsid', ['bash', '-c', script], {
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, BENCH_ROOT: root, BENCH_RACKER: racker, BENCH_REGISTRY_DIR: registryDir },
  });
  child.unref();
}

/** The registry helper's temporary directory, from its process (our child): config at DIR/config.yml. */
function registryDir(): string {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const ppid = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1];
      if (Number(ppid) !== process.pid) continue;
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const config = argv.find((a) => a.endsWith('/config.yml'));
      if (argv.some((a) => a.endsWith('docker-registry')) && config) return path.dirname(config);
    } catch {
      // gone
    }
  }
  return '';
}

async function main(): Promise<void> {
  const started = performance.now();
  const startedAt = new Date();
  const startLoad = loadavg();
  const reg = await startRegistry();
  const root = mkdtempSync(path.join(os.tmpdir(), 'racker-bench-'));
  startGuard(root, registryDir());
  const env = { ...process.env, RACKER_ROOT: root };
  const work = path.join(root, 'work');
  const podmanDir = path.join(root, 'podman');
  mkdirSync(work);
  const debian = `${reg.host}/library/debian:bookworm`;
  const busybox = `${reg.host}/racker/busybox:latest`;
  const big = 'racker-bench/big:1g';
  const rows: Row[] = [];
  const skipped: string[] = [];
  const notes: string[] = [];
  const expected: string[] = [];
  const r = (key: string, name: string, o: Omit<Row, 'name' | 'key'> = {}) => rows.push({ key, name, ...o });
  const racker_ = (...args: string[]) => timed(['node', racker, ...args], { env, timeoutS: 600 });
  const podmanVersion = firstLine(['podman', '--version']);
  let podman: string[] | undefined;
  const groupSeconds: Record<string, number> = {};
  let mark = performance.now();
  const done = (group: Group) => {
    const now = performance.now();
    groupSeconds[group] = Math.round((now - mark) / 1000);
    mark = now;
    console.error(`bench: ${group} done in ${groupSeconds[group]} s (load ${loadavg()})`);
  };
  try {
    if (selected('pull')) {
      expected.push('pull-cold', 'pull-cold floor', 'pull-warm');
      const direct = path.join(work, 'oci');
      const pull = await interleaved(N, {
        racker: () => {
          rmSync(path.join(root, 'lib'), { recursive: true, force: true });
          return racker_('pull', '-q', debian);
        },
        floor: async () => {
          rmSync(direct, { recursive: true, force: true });
          mkdirSync(direct);
          return (await timed(['skopeo', 'copy', '--src-tls-verify=false', `docker://${debian}`, `oci:${direct}/oci:t`], { timeoutS: 600 })) + (await timed(['umoci', 'unpack', '--image', `${direct}/oci:t`, `${direct}/b`], { timeoutS: 600 }));
        },
      });
      rmSync(direct, { recursive: true, force: true });
      r('pull-cold', 'pull-cold (143 MB Debian image)', { s: pull.racker, ratio: pull.racker.median / pull.floor.median, ratioOf: '÷ floor', target: '≤ 1.1×' });
      r('pull-cold floor', 'pull-cold floor (skopeo copy + umoci unpack)', { s: pull.floor });
      r('pull-warm', 'pull-warm (image up to date)', { s: await repeat(N, () => racker_('pull', '-q', debian)), target: '≤ 0.3 s' });
      done('pull');
    }
    await racker_('pull', '-q', debian);
    await racker_('pull', '-q', busybox);

    const imageDir = async (ref: string) => {
      const list = (await must(['node', racker, 'images', '--format', 'json', '--no-trunc'], { env })).stdout.trim().split('\n');
      const images = list.map((l) => JSON.parse(l) as { Repository: string; Tag: string; ID: string; VirtualSize: number });
      const img = images.find((x) => `${x.Repository}:${x.Tag}` === ref || `docker.io/${ref}` === `${x.Repository}:${x.Tag}`);
      if (!img) throw new Error(`bench: image ${ref} not in the store`);
      return { rootfs: path.join(root, 'lib/images', img.ID.replace('sha256:', ''), 'rootfs'), size: img.VirtualSize };
    };

    if (selected('boot')) {
      expected.push('boot-run', 'boot-run floor', 'boot-run 1 GB', 'peer-boot');
      // The ≥ 1 GB image: a cached tarball (built once), imported into this store.
      const built = await must(['bash', path.join(repo, 'scripts/build-bench-image.sh')], { timeoutS: 900 });
      const tarball = built.stdout.trim();
      if (built.stderr.trim()) console.error(built.stderr.trim());
      const importS = await racker_('import', '-q', tarball, big);
      const bigSize = (await imageDir(big)).size;
      if (bigSize < 1e9) throw new Error(`bench: ${big} is only ${bigSize} bytes`);
      await timed(['sync']); // the import's dirty pages would otherwise be flushed by the first overlay umounts
      // It really is that image, and it boots.
      await timed(['node', racker, 'run', '--rm', big, 'sh', '-c', 'test "$(ls /opt/racker-bench | wc -l)" = 16 && systemctl is-system-running'], { env });

      // The peer: podman, when installed and able to run a container here.
      let peerImage = '';
      if (podmanVersion === 'not installed') {
        skipped.push('peer-boot: podman is not installed (optional: apt-get install podman runc)');
      } else {
        mkdirSync(podmanDir);
        const pulled = await run([...podmanArgv(podmanDir, []), 'pull', '-q', '--tls-verify=false', debian], { timeoutS: 300 });
        if (pulled.code !== 0) {
          skipped.push(`peer-boot: podman pull failed: ${pulled.stderr.trim().split('\n').pop()}`);
        } else {
          peerImage = pulled.stdout.trim();
          const errors: string[] = [];
          // Try podman's defaults first; on this kind of host (hybrid cgroups, PID 1 not systemd) crun fails and runc
          // works (podman picks the cgroupfs manager by itself; the last set is for hosts where it does not).
          for (const flags of [[], ['--runtime', 'runc'], ['--cgroup-manager=cgroupfs', '--runtime', 'runc']]) {
            const t = await run([...podmanArgv(podmanDir, flags), 'run', '--rm', '--network', 'host', ...podmanUlimits(), peerImage, 'true'], { timeoutS: 60 });
            if (t.code === 0) {
              podman = podmanArgv(podmanDir, flags);
              if (flags.length) notes.push(`podman ${podmanVersion.replace(/^podman version /, '')} needs \`${flags.join(' ')}\` and \`--ulimit\` within the host's hard limits here.`);
              break;
            }
            errors.push(`${flags.join(' ') || 'defaults'}: ${t.stderr.trim().split('\n').pop()}`);
          }
          if (!podman) skipped.push(`peer-boot: podman cannot run a container here (${errors.join('; ')})`);
        }
      }

      const floorImage = (await imageDir(debian)).rootfs;
      const ulimits = podmanUlimits();
      const bootCases: Record<string, Case> = {
        floor: () => bash(floorBootScript(floorImage, work)),
        racker: () => racker_('run', '--rm', debian, 'true'),
        big: () => racker_('run', '--rm', big, 'true'),
      };
      const peer = podman;
      if (peer) bootCases.podman = () => bash(podmanBootScript(peer, ulimits, peerImage, work));
      const boot = (await interleaved(N, bootCases)) as Record<'floor' | 'racker' | 'big', Stats> & { podman?: Stats };
      r('boot-run', 'boot-run (`run --rm debian true`, systemd booted)', { s: boot.racker, ratio: boot.racker.median / boot.floor.median, ratioOf: '÷ floor', target: '≤ 1.3×' });
      r('boot-run floor', 'boot-run floor (overlay + nspawn --boot + poll + exec + SIGKILL + umount)', { s: boot.floor });
      r('boot-run 1 GB', `boot-run on the ${(bigSize / 1e9).toFixed(1)} GB image (size independence)`, { s: boot.big, ratio: boot.big.median / boot.racker.median, ratioOf: '÷ boot-run', target: '≤ 1.1×' });
      r('import 1 GB', `import of the ${(bigSize / 1e9).toFixed(1)} GB tarball (setup, once)`, { value: fmt(importS) });
      if (boot.podman) r('peer-boot', 'podman, same job (`run -d --systemd=always`, poll, `exec true`, `rm -f -t 0`)', { s: boot.podman, ratio: boot.racker.median / boot.podman.median, ratioOf: 'boot-run ÷ podman', target: '≤ 0.5×' });
      else r('peer-boot', 'podman, same job', { note: 'skipped (see below)', target: '≤ 0.5×' });
      if (podman) {
        await run([...podman, 'rm', '-af', '-t', '0']);
        await run([...podman, 'rmi', '-af']);
      }
      await racker_('rmi', big);
      done('boot');
    }

    if (selected('direct')) {
      expected.push('direct-run busybox', 'direct-run --no-boot debian', 'direct-run floor');
      const floorImage = (await imageDir(busybox)).rootfs;
      const d = await interleaved(N, {
        floor: () => bash(floorDirectScript(floorImage, work)),
        busybox: () => racker_('run', '--rm', busybox, 'true'),
        noboot: () => racker_('run', '--rm', '--no-boot', debian, 'true'),
      });
      r('direct-run busybox', 'direct-run busybox (`run --rm busybox true`)', { s: d.busybox, ratio: d.busybox.median / d.floor.median, ratioOf: '÷ floor', target: '≤ 1.5×' });
      r('direct-run --no-boot debian', 'direct-run `--no-boot` debian', { s: d.noboot, ratio: d.noboot.median / d.floor.median, ratioOf: '÷ floor', target: '≤ 1.5×' });
      r('direct-run floor', 'direct-run floor (`systemd-nspawn -D overlay /bin/true`)', { s: d.floor });
      done('direct');
    }

    if (selected('pool')) {
      // Warm machines (racker pool): a run --rm and a probe round on a machine booted ahead,
      // against the nspawn boot floor. Each sample waits (untimed) until both pools are full
      // again, so no refill boots while one is measured.
      expected.push('warm-run', 'warm-run floor', 'warm-probe', 'cold-probe', 'pool node -e 0');
      const postrojBin = path.join(repo, 'dist/bin/postroj.js');
      await must(['node', racker, 'pool', 'create', debian, '--size', '2'], { env, timeoutS: 300 });
      await must(['node', racker, 'pool', 'create', debian, '--size', '2', '--network', 'none'], { env, timeoutS: 300 });
      const full = async () => {
        for (let i = 0; i < 6000; i++) {
          const rows = (await must(['node', racker, 'pool', 'ls', '--format', '{{.Size}} {{.Ready}}'], { env })).stdout.trim().split('\n');
          if (rows.every((l) => l.split(' ')[0] === l.split(' ')[1])) return;
          await new Promise((res) => setTimeout(res, 100));
        }
        throw new Error('bench: the pools did not fill up');
      };
      const floorImage = (await imageDir(debian)).rootfs;
      const w = await interleaved(N, {
        floor: async () => (await full(), bash(floorBootScript(floorImage, work))),
        warm: async () => (await full(), racker_('run', '--rm', debian, 'true')),
        probe: async () => (await full(), timed(['node', postrojBin, 'pkgprobe', '--warm', '--image', debian, '--check-command', 'true'], { env, timeoutS: 300 })),
        cold: async () => (await full(), timed(['node', postrojBin, 'pkgprobe', '--image', debian, '--check-command', 'true'], { env, timeoutS: 300 })),
        // What Node's own start costs in the same rounds (most of a warm run on a busy machine).
        node: () => timed(['node', '-e', '0']),
      });
      await must(['node', racker, 'pool', 'rm', debian], { env, timeoutS: 300 });
      r('warm-run', 'warm-run (`run --rm debian true` on a pooled, booted machine)', { s: w.warm, ratio: w.warm.median / w.floor.median, ratioOf: '÷ boot floor', target: '≤ 0.5×' });
      r('warm-run floor', 'boot-run floor, same rounds', { s: w.floor });
      r('warm-probe', '`postroj pkgprobe --warm --check-command true` (a probe round on a warm machine)', { s: w.probe, ratio: w.probe.median / w.cold.median, ratioOf: '÷ cold probe', target: '≤ 0.3 s' });
      r('cold-probe', '`postroj pkgprobe --check-command true` (boots its machine)', { s: w.cold });
      r('pool node -e 0', '`node -e 0`, same rounds', { s: w.node });
      done('pool');
    }

    if (selected('network')) {
      // What the default bridge network costs a boot-run, against the host's network.
      expected.push('boot-run bridge', 'boot-run host net', 'bridge cost', 'tcp published', 'tcp direct');
      const net = await interleaved(N, {
        bridge: () => racker_('run', '--rm', debian, 'true'),
        host: () => racker_('run', '--rm', '--network', 'host', debian, 'true'),
      });
      const addedMs = (net.bridge.median - net.host.median) * 1000;
      r('boot-run bridge', 'boot-run on the default bridge network', { s: net.bridge, ratio: net.bridge.median / net.host.median, ratioOf: '÷ --network host', target: 'report' });
      r('boot-run host net', 'boot-run with `--network host`', { s: net.host });
      r('bridge cost', 'what the bridge adds to the boot-run median (ms)', { value: addedMs.toFixed(0), target: '≤ 30 ms' });
      // A bulk TCP transfer (1 GiB) through a published port (nft DNAT) against the same to the container's address.
      const sink = path.join(work, 'sink');
      mkdirSync(sink, { recursive: true });
      writeFileSync(path.join(sink, 'sink.sh'), '#!/bin/sh\nexec cat >/dev/null\n', { mode: 0o755 });
      const client = path.join(work, 'tcp-send.cjs');
      writeFileSync(client, TCP_SEND);
      await racker_('run', '-d', '--name', 'bench-sink', '-p', '127.0.0.1::80', '-v', `${sink}:/sink:ro`, busybox, 'busybox', 'nc', '-ll', '-p', '80', '-e', '/sink/sink.sh');
      const address = (await must(['node', racker, 'inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'bench-sink'], { env })).stdout.trim();
      const published = (await must(['node', racker, 'port', 'bench-sink', '80'], { env })).stdout.trim().split(':');
      const send = async (host: string, port: string) => Number((await must(['node', client, host, port, '1024'], { timeoutS: 120 })).stdout.trim());
      const tcp = await interleaved(N, { published: () => send(published[0]!, published[1]!), direct: () => send(address, '80') });
      await racker_('rm', '-f', 'bench-sink');
      const mbps = (s: Stats) => (1024 / s.median).toFixed(0);
      r('tcp published', `1 GiB over TCP through a published port (${mbps(tcp.published)} MiB/s)`, { s: tcp.published, ratio: tcp.direct.median / tcp.published.median, ratioOf: 'throughput ÷ direct', target: '≥ 0.5×' });
      r('tcp direct', `1 GiB over TCP to the container's address (${mbps(tcp.direct)} MiB/s)`, { s: tcp.direct });
      done('network');
    }

    if (selected('parallel')) {
      // 8 system containers started with -d at once, until all are ready; against 8 × one.
      expected.push('parallel');
      const names = Array.from({ length: 8 }, (_, i) => `bench-${i}`);
      const p = await interleaved(N, {
        one: async () => {
          const t = await racker_('run', '-d', '--name', 'bench-one', debian);
          await racker_('rm', '-f', 'bench-one');
          return t;
        },
        eight: async () => {
          const t = await bash(`pids=; for n in ${names.join(' ')}; do node '${racker}' run -d --name $n '${debian}' >/dev/null & pids="$pids $!"; done
f=0; for p in $pids; do wait $p || f=1; done; exit $f`, { env, timeoutS: 300 });
          await racker_('rm', '-f', ...names);
          return t;
        },
      });
      r('parallel', 'parallel: 8 × `run -d` at once, until all ready (wall)', { s: p.eight, ratio: p.eight.median / (8 * p.one.median), ratioOf: '÷ 8 × one', target: 'report' });
      r('parallel one', 'one `run -d` until ready', { s: p.one });
      done('parallel');
    }

    if (selected('cli')) {
      expected.push('cli --version', 'cli ps 0', 'cli ps 50', 'node -e 0');
      const c = await interleaved(N, {
        node: () => timed(['node', '-e', '0']),
        version: () => racker_('--version'),
        ps: () => racker_('ps', '-a'),
      });
      for (let i = 0; i < 50; i++) await racker_('run', '--name', `ps-${i}`, busybox, 'true');
      const ps50 = await repeat(N, () => racker_('ps', '-a'));
      await racker_('rm', ...Array.from({ length: 50 }, (_, i) => `ps-${i}`));
      // The code cache (cli/launcher.ts) is in place after the warm-up round, as after a user's first run.
      r('cli --version', '`racker --version`', { s: c.version, ratio: c.version.median / c.node.median, ratioOf: '÷ node -e 0', target: '≤ 1.15×' });
      r('cli ps 0', '`racker ps -a`, 0 containers', { s: c.ps, ratio: c.ps.median / c.node.median, ratioOf: '÷ node -e 0', target: '≤ 1.15×' });
      r('cli ps 50', '`racker ps -a`, 50 containers', { s: ps50, ratio: ps50.median / c.node.median, ratioOf: '÷ node -e 0', target: '≤ 0.3 s' });
      r('node -e 0', '`node -e 0`', { s: c.node });
      // Node 20 loads these certificates at every start, before any script: both sides pay it.
      if (process.env.NODE_EXTRA_CA_CERTS) notes.push(`NODE_EXTRA_CA_CERTS is set (${process.env.NODE_EXTRA_CA_CERTS}): Node reads it at each start, \`node -e 0\` included, which lowers the cli ratios; see doc/performance.md.`);
      done('cli');
    }

    if (selected('pkgcache')) {
      // postroj pkgprobe --package nginx-light from the Debian archive: with an empty package
      // cache (first), then again with what the first kept (second). Each round empties it first.
      expected.push('pkgprobe first', 'pkgprobe second');
      const postroj = path.join(repo, 'dist/bin/postroj.js');
      const reportFile = path.join(work, 'pkgprobe.json');
      const pkgprobe = async () => {
        const t = await timed(['node', postroj, 'pkgprobe', '--image', debian, '--package', 'nginx-light', '--report-json', reportFile], { env, timeoutS: 600 });
        const evidence = (JSON.parse(readFileSync(reportFile, 'utf8')) as { probes: { evidence: string }[] }[])[0]!.probes[0]!.evidence;
        return { t, line: evidence.split('\n').pop()! };
      };
      const p = await interleaved(N, {
        first: async () => {
          rmSync(path.join(root, 'lib/cache/packages'), { recursive: true, force: true });
          const { t, line } = await pkgprobe();
          if (!/: 0 from the cache /.test(line)) throw new Error(`bench: pkgprobe first used the cache: ${line}`);
          return t;
        },
        second: async () => {
          const { t, line } = await pkgprobe();
          if (!/, 0 kept$/.test(line) || /: 0 from the cache /.test(line)) throw new Error(`bench: pkgprobe second did not come from the cache: ${line}`);
          return t;
        },
      });
      r('pkgprobe first', 'pkgprobe `--package nginx-light`, package cache empty', { s: p.first });
      r('pkgprobe second', 'pkgprobe `--package nginx-light` again, from the package cache', { s: p.second, ratio: p.second.median / p.first.median, ratioOf: '÷ first', target: '≤ 0.6×' });
      done('pkgcache');
    }

    if (selected('build')) {
      // racker build of a one-line Containerfile against `buildah bud` of the same file with the
      // same storage flags and isolation, in a storage of its own that has the base (the floor:
      // buildah's image is usable once bud ends). Each sample builds a RUN line no build ran
      // before, on both sides: the edited-file case, where the layer cache cannot make the
      // build trivial (--no-cache would do the same for one step, but is not how one rebuilds).
      if (firstLine(['buildah', '--version']) === 'not installed') {
        skipped.push('build: buildah is not installed (./scripts/setup.sh installs it)');
      } else {
        expected.push('build', 'build floor');
        const ctxDir = path.join(work, 'build');
        mkdirSync(ctxDir);
        const floorStorage = [`--root=${path.join(root, 'buildah-floor')}`, `--runroot=${path.join(root, 'buildah-floor-run')}`, '--storage-driver=overlay'];
        await must(['skopeo', 'copy', '--quiet', '--src-tls-verify=false', `docker://${debian}`, `containers-storage:[overlay@${path.join(root, 'buildah-floor')}+${path.join(root, 'buildah-floor-run')}]${debian}`], { timeoutS: 300 });
        let n = 0;
        const containerfile = (side: string) => {
          const file = path.join(ctxDir, `${side}-${++n}.containerfile`);
          writeFileSync(file, `FROM ${debian}\nRUN echo ${side}-${n}-${Date.now()} > /hi\n`);
          return file;
        };
        const b = await interleaved(N, {
          racker: () => racker_('build', '-q', '-f', containerfile('racker'), '-t', `racker-bench/build:${n}`, ctxDir),
          floor: () => timed(['buildah', ...floorStorage, 'bud', '--isolation=chroot', '--pull=never', '--layers', '--force-rm', '--quiet', `--iidfile=${path.join(work, 'floor-iid')}`, `--file=${containerfile('floor')}`, ctxDir], { timeoutS: 300 }),
        });
        // The last image racker built is a normal image that runs (not timed).
        const hi = (await must(['node', racker, 'run', '--rm', `racker-bench/build:${n - 1}`, 'cat', '/hi'], { env })).stdout;
        if (!hi.startsWith(`racker-${n - 1}-`)) throw new Error(`bench: the built image's /hi is ${JSON.stringify(hi)}`);
        r('build', 'build of a one-line Containerfile (`FROM` Debian + a new `RUN echo … > /hi`)', { s: b.racker, ratio: b.racker.median / b.floor.median, ratioOf: '÷ floor', target: '≤ 1.2×' });
        r('build floor', 'build floor (`buildah bud`, same flags and storage driver, base in its storage)', { s: b.floor });
      }
      done('build');
    }

    if (selected('members')) {
      // Issue 19, racker without sudo: a member of the group racker runs `racker run --rm` of the
      // booted Debian through `racker system service --group racker` (the client forwards the
      // command, the service runs it as root under the member policy), against root's direct path.
      // The member is a real user (setpriv: their uid, gid and groups); dist/ is copied where they
      // may read it, as test/integration/members.test.ts does. Removes the user (and the group) it made.
      expected.push('member boot-run', 'member boot-run root', 'member ps', 'member ps root', 'member --version', 'member --version root');
      const user = 'racker-bench-member';
      const has = (kind: string, name: string) => spawnSync('getent', [kind, name]).status === 0;
      const made = { user: false, group: false };
      let service: Awaited<ReturnType<typeof startService>> | undefined;
      try {
        if (!has('group', 'racker')) {
          await must(['groupadd', '--system', 'racker']);
          made.group = true;
        }
        if (has('passwd', user)) await must(['userdel', '-r', user]); // a run that was killed
        await must(['useradd', '--create-home', '-G', 'racker', user]);
        made.user = true;
        chmodSync(root, 0o755);
        mkdirSync(path.join(root, 'run'), { recursive: true, mode: 0o755 });
        chmodSync(path.join(root, 'run'), 0o755);
        const memberDist = path.join(root, 'member-dist');
        cpSync(path.join(repo, 'dist'), memberDist, { recursive: true });
        service = await startService(root, { args: ['--group', 'racker'] });
        const memberEnv: NodeJS.ProcessEnv = { ...process.env, RACKER_ROOT: root, HOME: `/home/${user}`, USER: user, LOGNAME: user };
        delete memberEnv.XDG_CACHE_HOME; // root's; the member's code cache is in their home
        const asMember = (...args: string[]) => ['setpriv', `--reuid=${user}`, `--regid=${user}`, '--init-groups', 'node', path.join(memberDist, 'bin/racker.js'), ...args];
        const member_ = (...args: string[]) => timed(asMember(...args), { env: memberEnv, timeoutS: 600 });
        // It is the member's own container, booted, through the service (not timed).
        const comm = (await must(asMember('run', '--rm', debian, 'cat', '/proc/1/comm'), { env: memberEnv })).stdout;
        if (comm !== 'systemd\n') throw new Error(`bench: the member's container has ${JSON.stringify(comm)} as PID 1`);
        const m = await interleaved(N, {
          root: () => racker_('run', '--rm', debian, 'true'),
          member: () => member_('run', '--rm', debian, 'true'),
          rootPs: () => racker_('ps'),
          memberPs: () => member_('ps'),
          rootVersion: () => racker_('--version'),
          memberVersion: () => member_('--version'),
        });
        const ms = (x: number) => `${(x * 1000).toFixed(0)} ms`;
        r('member boot-run', 'member boot-run (`run --rm debian true` as a member of the group racker, through the service)', { s: m.member, ratio: m.member.median / m.root.median, ratioOf: "÷ root's", target: '≤ 1.1×' });
        r('member boot-run root', "root's boot-run, same rounds (direct)", { s: m.root });
        r('member ps', `\`racker ps\` as a member, through the service (+${ms(m.memberPs.median - m.rootPs.median)})`, { s: m.memberPs, ratio: m.memberPs.median / m.rootPs.median, ratioOf: "÷ root's", target: 'report' });
        r('member ps root', "root's `racker ps`, same rounds", { s: m.rootPs });
        r('member --version', '`racker --version` as the member (setpriv, their code cache; no service)', { s: m.memberVersion, ratio: m.memberVersion.median / m.rootVersion.median, ratioOf: "÷ root's", target: 'report' });
        r('member --version root', "root's `racker --version`, same rounds", { s: m.rootVersion });
      } finally {
        if (service) await service.stop();
        chmodSync(root, 0o700);
        // Synchronous: run() refuses once interrupted, and these must go anyway.
        if (made.user) spawnSync('userdel', ['-r', user], { stdio: 'ignore' });
        if (made.group) spawnSync('groupdel', ['racker'], { stdio: 'ignore' });
      }
      done('members');
    }

    const leftover = existsSync(path.join(root, 'lib/containers')) ? readdirSync(path.join(root, 'lib/containers')) : [];
    if (leftover.length) throw new Error(`bench: ${leftover.length} containers left behind`);

    if (selected('foreign')) {
      // An arm64 Debian booted under qemu-user-static against the native one: a report, no target.
      // Its fixture takes 10–20 min to build once (scripts/build-foreign-fixtures.sh debian).
      expected.push('boot-run arm64');
      const freg = await startRegistry({ foreign: 'debian' });
      try {
        const arm = `${freg.host}/racker/debian:bookworm`;
        await racker_('pull', '-q', '--platform', 'linux/arm64', arm);
        const f = await interleaved(N, {
          native: () => racker_('run', '--rm', debian, 'true'),
          arm64: () => racker_('run', '--rm', '--platform', 'linux/arm64', arm, 'true'),
        });
        r('boot-run arm64', 'boot-run of an arm64 Debian (`run --rm --platform linux/arm64 … true`, emulated)', { s: f.arm64, ratio: f.arm64.median / f.native.median, ratioOf: '÷ native boot-run', target: 'report' });
        await racker_('rmi', arm);
      } finally {
        await freg.stop();
      }
      done('foreign');
    }

    if (selected('memory')) {
      expected.push('rss boot-run', 'rss pull-cold');
      const rssBoot = await peakRssMb(['node', racker, 'run', '--rm', debian, 'true'], env);
      rmSync(path.join(root, 'lib'), { recursive: true, force: true });
      const rssPull = await peakRssMb(['node', racker, 'pull', '-q', debian], env);
      r('rss boot-run', 'peak RSS, boot-run (MB)', { value: rssBoot.toFixed(0), target: '≤ 100 MB' });
      r('rss pull-cold', 'peak RSS, pull-cold (MB)', { value: rssPull.toFixed(0), target: '≤ 100 MB' });
      done('memory');
    }
  } finally {
    // The guard's cleanup, run now; the registry is stopped by its helper.
    spawnSync('bash', ['-c', CLEANUP], { stdio: 'ignore', timeout: 300_000, env: { ...process.env, BENCH_ROOT: root, BENCH_RACKER: racker, BENCH_REGISTRY_DIR: '' } });
    await reg.stop();
  }

  // Every selected case ran N times, or was skipped with its reason.
  const problems = expected.flatMap((key) => {
    const row = rows.find((x) => x.key === key);
    if (!row) return [`${key}: no result`];
    if (row.s && row.s.samples.length !== N) return [`${key}: ${row.s.samples.length} samples, not ${N}`];
    if (!row.s && row.value === undefined && !skipped.some((s) => s.startsWith(`${key}:`))) return [`${key}: neither measured nor skipped with a reason`];
    return [];
  });
  if (problems.length) throw new Error(`bench: cases did not run: ${problems.join('; ')}`);
  const seconds = (performance.now() - started) / 1000;
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? '?'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Debian ${readFileSync('/etc/debian_version', 'utf8').trim()}, kernel ${os.release()}, Node ${process.version.slice(1)}, ${firstLine(['systemd-nspawn', '--version'])}, ${podmanVersion}`;
  const header = [
    `Run ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, \`BENCH_N=${N}\`${only ? `, groups ${only.join(',')}` : ''}, ${(seconds / 60).toFixed(1)} min (without \`npm run build\`).`,
    `Machine: ${machine}.`,
    `Load average (1/5/15 min) at the start: ${startLoad}; at the end: ${loadavg()}.`,
    ...(Math.max(...startLoad.split(' ').map(Number)) > os.cpus().length / 2
      ? ['**The machine was busy (load average above half the CPUs): absolute figures and ratios are noisy.**']
      : []),
  ];
  const tail = [...notes, ...skipped.map((s) => `Skipped — ${s}.`)];
  const md = [...header, '', markdownTable(rows), ...(tail.length ? ['', ...tail] : [])].join('\n') + '\n';
  console.log(md);
  console.log(`bench: ${rows.length} cases, ${skipped.length} skipped, ${seconds.toFixed(0)} s`);
  if (!only) {
    writeFileSync(path.join(repo, 'bench/results.md'), md);
    writeFileSync(path.join(repo, 'bench/results.json'), `${JSON.stringify({ date: startedAt.toISOString(), n: N, seconds, machine, load: { start: startLoad, end: loadavg() }, groupSeconds, skipped, notes, rows: rows.map((x) => ({ ...x, met: verdict(x) })) }, null, 2)}\n`);
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
