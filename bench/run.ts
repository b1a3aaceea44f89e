/**
 * npm run bench: racker against the floor (the same job scripted directly with
 * systemd-nspawn) on this machine, in one run, so every figure is also a ratio.
 * Prepares its own images from the test fixture registry (cached), checks that every
 * case really ran, cleans up what it made. Results: a table on stdout, bench/results.json.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRegistry } from '../test/helpers/registry.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const racker = path.join(repo, 'dist/cli/racker.js');
const N = Number(process.env.BENCH_N ?? 10);

interface Stats {
  median: number;
  min: number;
  max: number;
}

function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, min: s[0]!, max: s[s.length - 1]! };
}

/** Run argv, fail loudly unless it exits 0; seconds taken. */
function timed(argv: string[], env: NodeJS.ProcessEnv = process.env): number {
  const t0 = performance.now();
  const r = spawnSync(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const t = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`bench: ${argv.join(' ')} exited ${r.status}: ${r.stderr.toString().trim()}`);
  return t;
}

function repeat(n: number, once: () => number): Stats {
  once(); // warm-up: caches, page cache
  return stats(Array.from({ length: n }, once));
}

/** Peak RSS in MB of one run, via GNU time. */
function peakRssMb(argv: string[], env: NodeJS.ProcessEnv): number {
  const r = spawnSync('/usr/bin/time', ['-f', '%M', ...argv], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`bench: ${argv.join(' ')} failed under /usr/bin/time`);
  const lines = r.stderr.toString().trim().split('\n');
  return Number(lines[lines.length - 1]) / 1024;
}

/** The floor for boot-run: overlay + nspawn --boot + poll is-system-running + exec true + SIGKILL + umount. */
function floorBootScript(image: string, dir: string): string {
  return `set -e
d=${dir}/floor; rm -rf "$d"; mkdir -p "$d/u" "$d/w" "$d/m"
mount -t overlay overlay -o lowerdir=${image},upperdir=$d/u,workdir=$d/w "$d/m"
systemd-nspawn --quiet --boot --register=no --keep-unit -D "$d/m" --console=read-only >/dev/null 2>&1 </dev/null &
ns=$!
while :; do l=$(cut -d' ' -f1 /proc/$ns/task/$ns/children 2>/dev/null || true); [ -n "$l" ] && [ "$(cat /proc/$l/comm 2>/dev/null)" = systemd ] && break; sleep 0.005; done
while :; do s=$(nsenter -t $l -a systemctl is-system-running 2>/dev/null || true); case $s in running|degraded) break;; esac; sleep 0.01; done
nsenter -t $l -a true
kill -KILL $l; wait $ns || true
umount "$d/m"`;
}

function floorDirectScript(image: string, dir: string): string {
  return `set -e
d=${dir}/floord; rm -rf "$d"; mkdir -p "$d/u/usr" "$d/w" "$d/m"
mount -t overlay overlay -o lowerdir=${image},upperdir=$d/u,workdir=$d/w "$d/m"
systemd-nspawn --quiet --register=no --keep-unit -D "$d/m" --console=pipe /bin/true 2>/dev/null
umount "$d/m"`;
}

async function main(): Promise<void> {
  const reg = await startRegistry();
  const root = mkdtempSync(path.join(os.tmpdir(), 'racker-bench-'));
  const env = { ...process.env, RACKER_ROOT: root };
  const debian = `${reg.host}/library/debian:bookworm`;
  const busybox = `${reg.host}/racker/busybox:latest`;
  const results: Record<string, unknown> = { machine: { cpus: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30), kernel: os.release(), node: process.version }, n: N };
  const rows: string[][] = [];
  const row = (name: string, s: Stats, base?: Stats, target?: string) => {
    rows.push([name, s.median.toFixed(3), s.min.toFixed(3), s.max.toFixed(3), base ? (s.median / base.median).toFixed(2) : '', target ?? '']);
    results[name] = { ...s, ...(base ? { ratio: s.median / base.median } : {}), ...(target ? { target } : {}) };
  };
  try {
    // pull-cold against skopeo copy + umoci unpack directly.
    const pullCold = repeat(Math.min(N, 5), () => {
      rmSync(path.join(root, 'lib'), { recursive: true, force: true });
      return timed(['node', racker, 'pull', '-q', debian], env);
    });
    const direct = mkdtempSync(path.join(os.tmpdir(), 'racker-bench-oci-'));
    const pullFloor = repeat(Math.min(N, 5), () => {
      rmSync(direct, { recursive: true, force: true });
      mkdirSync(direct);
      return timed(['skopeo', 'copy', '--src-tls-verify=false', `docker://${debian}`, `oci:${direct}/oci:t`]) + timed(['umoci', 'unpack', '--image', `${direct}/oci:t`, `${direct}/b`]);
    });
    rmSync(direct, { recursive: true, force: true });
    row('pull-cold', pullCold, pullFloor, '≤ 1.1×');
    row('pull-cold floor (skopeo+umoci)', pullFloor);
    row('pull-warm', repeat(N, () => timed(['node', racker, 'pull', '-q', debian], env)), undefined, '≤ 0.3 s');
    timed(['node', racker, 'pull', '-q', busybox], env);

    const imageDir = (ref: string) => {
      const rows = execFileSync('node', [racker, 'images', '--format', 'json', '--no-trunc'], { env }).toString().trim().split('\n').map((l) => JSON.parse(l) as { Repository: string; Tag: string; ID: string });
      const r = rows.find((x) => `${x.Repository}:${x.Tag}` === ref)!;
      return path.join(root, 'lib/images', r.ID.replace('sha256:', ''), 'rootfs');
    };
    const work = mkdtempSync(path.join(os.tmpdir(), 'racker-bench-floor-'));
    const floorBoot = repeat(N, () => timed(['bash', '-c', floorBootScript(imageDir(debian), work)]));
    row('boot-run', repeat(N, () => timed(['node', racker, 'run', '--rm', debian, 'true'], env)), floorBoot, '≤ 1.3×');
    row('boot-run floor', floorBoot);
    const floorDirect = repeat(N, () => timed(['bash', '-c', floorDirectScript(imageDir(busybox), work)]));
    row('direct-run busybox', repeat(N, () => timed(['node', racker, 'run', '--rm', busybox, 'true'], env)), floorDirect, '≤ 1.5×');
    row('direct-run --no-boot debian', repeat(N, () => timed(['node', racker, 'run', '--rm', '--no-boot', debian, 'true'], env)), floorDirect, '≤ 1.5×');
    row('direct-run floor', floorDirect);
    rmSync(work, { recursive: true, force: true });

    // parallel: 8 system containers started with -d at once, until all are ready; then removed.
    const one = repeat(3, () => {
      const t = timed(['node', racker, 'run', '-d', '--name', 'bench-one', debian], env);
      timed(['node', racker, 'rm', '-f', 'bench-one'], env);
      return t;
    });
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        new Promise<void>((resolve, reject) => {
          const c = spawn('node', [racker, 'run', '-d', '--name', `bench-${i}`, debian], { env, stdio: 'ignore' });
          c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`bench: run -d bench-${i} exited ${code}`))));
        }),
      ),
    );
    const parallel = (performance.now() - t0) / 1000;
    timed(['node', racker, 'rm', '-f', ...Array.from({ length: 8 }, (_, i) => `bench-${i}`)], env);
    row('parallel 8 × run -d (wall)', { median: parallel, min: parallel, max: parallel }, { median: one.median * 8, min: 0, max: 0 }, 'report');

    const nodeFloor = repeat(N, () => timed(['node', '-e', '0']));
    row('cli --version', repeat(N, () => timed(['node', racker, '--version'], env)), nodeFloor, 'report');
    row('cli ps (0 containers)', repeat(N, () => timed(['node', racker, 'ps', '-a'], env)), nodeFloor, 'report');
    for (let i = 0; i < 50; i++) timed(['node', racker, 'run', '--name', `ps-${i}`, busybox, 'true'], env);
    row('cli ps (50 containers)', repeat(N, () => timed(['node', racker, 'ps', '-a'], env)), nodeFloor, '≤ 0.3 s');
    timed(['node', racker, 'rm', ...Array.from({ length: 50 }, (_, i) => `ps-${i}`)], env);
    row('node -e 0', nodeFloor);

    const rssBoot = peakRssMb(['node', racker, 'run', '--rm', debian, 'true'], env);
    const leftover = readdirSync(path.join(root, 'lib/containers'));
    if (leftover.length) throw new Error(`bench: ${leftover.length} containers left behind`);
    rmSync(path.join(root, 'lib'), { recursive: true, force: true });
    const rssPull = peakRssMb(['node', racker, 'pull', '-q', debian], env);
    rows.push(['peak RSS boot-run (MB)', rssBoot.toFixed(0), '', '', '', '≤ 100 MB'], ['peak RSS pull-cold (MB)', rssPull.toFixed(0), '', '', '', '≤ 100 MB']);
    results['rss-boot-run-mb'] = rssBoot;
    results['rss-pull-cold-mb'] = rssPull;
  } finally {
    spawnSync('node', [racker, 'rm', '-f', ...Array.from({ length: 8 }, (_, i) => `bench-${i}`), 'bench-one'], { env, stdio: 'ignore' });
    await reg.stop();
    rmSync(root, { recursive: true, force: true });
  }
  const header = ['case', 'median s', 'min s', 'max s', 'ratio', 'target'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  for (const r of [header, ...rows]) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
  writeFileSync(path.join(repo, 'bench/results.json'), `${JSON.stringify(results, null, 2)}\n`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
