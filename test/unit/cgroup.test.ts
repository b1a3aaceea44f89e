/** The pure parts of resource control: layout, places, limit files, the wrapper, stats figures. */
import { expect } from 'chai';
import { cgroupParent, checkDeviceRule, deviceRuleWrites, freezeWrite, hostHasDevicesCgroup, layoutFromMountinfo, placeFor, placeFromProcCgroup, procsFiles } from '../../lib/container/cgroup.js';
import { cpuWeight, limitWrites, mergeResources, nspawnProperties, parseBytes, parseCpus, resourcesFromHostConfig, validateResources } from '../../lib/container/limits.js';
import { bytesSize, humanSize3, parseIoStatV2, parseNetDev, statsRow } from '../../lib/container/stats.js';
import { inCgroupArgv } from '../../lib/tools/cgroup.js';

const HYBRID = [
  '30 24 0:26 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755',
  '31 30 0:27 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw',
  '32 30 0:28 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd',
  '33 30 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct',
  '34 30 0:30 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory',
  '35 30 0:31 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids',
].join('\n');
const V2 = '30 24 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate';
const ID = 'a'.repeat(64);

describe('cgroup layout and places', () => {
  it('reads a hybrid layout: each controller at its mount (co-mounted ones share it), name=systemd and unified', () => {
    expect(layoutFromMountinfo(HYBRID)).to.deep.equal({
      version: 1,
      mounts: {
        'name=systemd': '/sys/fs/cgroup/systemd',
        cpu: '/sys/fs/cgroup/cpu,cpuacct',
        cpuacct: '/sys/fs/cgroup/cpu,cpuacct',
        memory: '/sys/fs/cgroup/memory',
        pids: '/sys/fs/cgroup/pids',
        unified: '/sys/fs/cgroup/unified',
      },
    });
  });

  it('reads a v2-only layout, and none without cgroups', () => {
    expect(layoutFromMountinfo(V2)).to.deep.equal({ version: 2, root: '/sys/fs/cgroup' });
    expect(layoutFromMountinfo('22 1 8:1 / / rw - ext4 /dev/sda1 rw')).to.equal(undefined);
  });

  it('puts a container at <parent>/<id> in every hierarchy; the wrapper enters each directory once', () => {
    const place = placeFor(layoutFromMountinfo(HYBRID)!, '/racker', ID);
    expect(place.dirs.memory).to.equal(`/sys/fs/cgroup/memory/racker/${ID}`);
    expect(procsFiles(place)).to.have.length(5); // cpu and cpuacct share one directory
    expect(placeFor(layoutFromMountinfo(V2)!, '/racker', ID)).to.deep.equal({ version: 2, dirs: { unified: `/sys/fs/cgroup/racker/${ID}` } });
  });

  it('RACKER_CGROUP_PARENT: normalized, and no way out of the hierarchy', () => {
    expect(cgroupParent({})).to.equal('/racker');
    expect(cgroupParent({ RACKER_CGROUP_PARENT: 'ci/racker/' })).to.equal('/ci/racker');
    expect(() => cgroupParent({ RACKER_CGROUP_PARENT: '/a/../..' })).to.throw(/not a cgroup path/);
  });

  it('finds a registered machine from /proc/PID/cgroup', () => {
    const place = placeFromProcCgroup(layoutFromMountinfo(HYBRID)!, '4:memory:/machine.slice/m.scope\n3:cpu,cpuacct:/machine.slice/m.scope\n0::/machine.slice/m.scope/payload\n');
    expect(place.dirs).to.deep.equal({
      memory: '/sys/fs/cgroup/memory/machine.slice/m.scope',
      cpu: '/sys/fs/cgroup/cpu,cpuacct/machine.slice/m.scope',
      cpuacct: '/sys/fs/cgroup/cpu,cpuacct/machine.slice/m.scope',
      unified: '/sys/fs/cgroup/unified/machine.slice/m.scope/payload',
    });
  });

  it('freezes with freezer.state (v1) and cgroup.freeze (v2)', () => {
    expect(freezeWrite({ version: 1, dirs: { freezer: '/f/x' } }, true)).to.deep.equal({ file: '/f/x/freezer.state', value: 'FROZEN' });
    expect(freezeWrite({ version: 2, dirs: { unified: '/u/x' } }, false)).to.deep.equal({ file: '/u/x/cgroup.freeze', value: '0' });
  });

  it('the wrapper takes the files as arguments and execs the command', () => {
    expect(inCgroupArgv(['/a/cgroup.procs'], ['systemd-nspawn', '-q'])).to.deep.equal(['sh', '-c', 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"', 'racker-cgroup', '/a/cgroup.procs', '--', 'systemd-nspawn', '-q']);
    expect(inCgroupArgv([], ['nsenter'])).to.deep.equal(['nsenter']);
  });
});

describe('limits: values and files', () => {
  it('parses sizes and CPUs as docker does', () => {
    expect(parseBytes('64m', '--memory')).to.equal(64 * 1024 * 1024);
    expect(parseBytes('1G', '--memory')).to.equal(1024 ** 3);
    expect(parseBytes('512kb', '--memory')).to.equal(512 * 1024);
    expect(() => parseBytes('lots', '--memory')).to.throw('invalid argument "lots" for "--memory" flag');
    expect(parseCpus('1.5')).to.equal(1_500_000_000);
  });

  it('checks them with docker messages', () => {
    expect(() => validateResources({ memory: 1024 }, 2)).to.throw('Minimum memory limit allowed is 6MB');
    expect(() => validateResources({ memorySwap: 1 << 30 }, 2)).to.throw('You should always set the Memory limit when using Memoryswap limit');
    expect(() => validateResources({ nanoCpus: 1e9, cpuPeriod: 50000 }, 2)).to.throw('Conflicting options: Nano CPUs and CPU Period cannot both be set');
    expect(() => validateResources({ nanoCpus: 3e9 }, 2)).to.throw('Range of CPUs is from 0.01 to 2.00');
    expect(() => validateResources({ cpusetCpus: '5' }, 2)).to.throw('Requested CPUs are not available - requested 5, available: 0-1');
    expect(() => validateResources({ cpusetCpus: '0;1' }, 2)).to.throw('Invalid value 0;1 for cpuset cpus');
  });

  it('v1 files: swap lifted first and set last (twice the memory by default), quota from --cpus, pids', () => {
    const w = limitWrites(1, { memory: 64 << 20, nanoCpus: 500_000_000, pidsLimit: 20, cpusetCpus: '0' }).map((x) => `${x.file}=${x.value}`);
    expect(w).to.deep.equal([
      'memory.memsw.limit_in_bytes=-1',
      `memory.limit_in_bytes=${64 << 20}`,
      `memory.memsw.limit_in_bytes=${128 << 20}`,
      'cpu.shares=1024',
      'cpu.cfs_period_us=100000',
      'cpu.cfs_quota_us=50000',
      'cpuset.cpus=0',
      'pids.max=20',
    ]);
  });

  it('v2 files: memory.max, swap beyond memory, cpu.max and cpu.weight, unlimited as max', () => {
    const w = limitWrites(2, { memory: 64 << 20, memorySwap: -1, cpuShares: 512, cpuQuota: 20000, cpuPeriod: 50000 }).map((x) => `${x.file}=${x.value}`);
    expect(w).to.deep.equal(['memory.max=67108864', 'memory.swap.max=max', `cpu.weight=${cpuWeight(512)}`, 'cpu.max=20000 50000', 'pids.max=max']);
    expect(cpuWeight(1024)).to.equal(39);
    expect(cpuWeight(2)).to.equal(1);
  });

  it('a registered machine gets them as scope properties', () => {
    expect(nspawnProperties({ memory: 64 << 20, nanoCpus: 1_500_000_000, pidsLimit: 20 })).to.deep.equal([
      `--property=MemoryMax=${64 << 20}`,
      `--property=MemorySwapMax=${64 << 20}`,
      '--property=CPUQuota=150%',
      '--property=CPUQuotaPeriodSec=100000us',
      '--property=TasksMax=20',
    ]);
  });

  it('HostConfig fields in, 0 as unset, wrong types refused; an update replaces what it names', () => {
    expect(resourcesFromHostConfig({ Memory: 67108864, CpuShares: 0, CpusetCpus: '', PidsLimit: 20, Privileged: true })).to.deep.equal({ memory: 67108864, pidsLimit: 20 });
    expect(() => resourcesFromHostConfig({ Memory: '64m' })).to.throw('Memory must be an integer');
    expect(mergeResources({ memory: 1 << 30, nanoCpus: 1e9 }, { cpuQuota: 50000 })).to.deep.equal({ memory: 1 << 30, cpuQuota: 50000 });
  });
});

describe('stats figures', () => {
  it("formats sizes as docker's units package", () => {
    expect(bytesSize(64 * 1024 * 1024)).to.equal('64MiB');
    expect(bytesSize(1261568)).to.equal('1.203MiB');
    expect(humanSize3(1234)).to.equal('1.23kB');
    expect(humanSize3(0)).to.equal('0B');
  });

  it('reads net/dev without loopback and io.stat as read/write', () => {
    const dev = 'Inter-|   Receive\n face |bytes packets errs drop fifo frame compressed multicast|bytes packets errs drop fifo colls carrier compressed\n    lo: 10 1 0 0 0 0 0 0 10 1 0 0 0 0 0 0\n  eth0: 736 8 0 0 0 0 0 0 426 5 0 0 0 0 0 0\n';
    expect(parseNetDev(dev)).to.deep.equal({ eth0: { rx_bytes: 736, rx_packets: 8, rx_errors: 0, rx_dropped: 0, tx_bytes: 426, tx_packets: 5, tx_errors: 0, tx_dropped: 0 } });
    expect(parseIoStatV2('8:0 rbytes=4096 wbytes=8192 rios=1 wios=2')).to.deep.equal([
      { major: 8, minor: 0, op: 'read', value: 4096 },
      { major: 8, minor: 0, op: 'write', value: 8192 },
    ]);
  });

  it("computes the table row as the docker CLI: CPU % from the deltas, memory without inactive file pages", () => {
    const row = statsRow('web', {
      id: ID,
      name: '/web',
      cpu_stats: { cpu_usage: { total_usage: 1.5e9 }, system_cpu_usage: 12e9, online_cpus: 2 },
      precpu_stats: { cpu_usage: { total_usage: 1e9 }, system_cpu_usage: 10e9 },
      memory_stats: { usage: 10 << 20, limit: 64 << 20, stats: { total_inactive_file: 2 << 20 } },
      networks: { eth0: { rx_bytes: 1500, tx_bytes: 0 } as never },
      blkio_stats: { io_service_bytes_recursive: [{ major: 8, minor: 0, op: 'read', value: 4096 }] },
      pids_stats: { current: 3 },
    });
    expect(row).to.deep.equal({ Container: 'web', ID: ID.slice(0, 12), Name: 'web', CPUPerc: '50.00%', MemUsage: '8MiB / 64MiB', MemPerc: '12.50%', NetIO: '1.5kB / 0B', BlockIO: '4.1kB / 0B', PIDs: '3' });
  });
});

describe('--device-cgroup-rule (cgroup.ts)', () => {
  it("checks docker's form: TYPE MAJOR:MINOR ACCESS", () => {
    expect(checkDeviceRule('c 7:128 rwm')).to.equal('c 7:128 rwm');
    expect(checkDeviceRule('b *:* m')).to.equal('b *:* m');
    for (const bad of ['c 7:128', 'x 1:2 r', 'c 1:2 rx', 'c a:1 r', 'c 1:2 rwmr']) expect(() => checkDeviceRule(bad), bad).to.throw(`invalid device cgroup rule: '${bad}'`);
  });

  it("denies everything, then allows docker's defaults and the rules, in the v1 devices directory", () => {
    const writes = deviceRuleWrites('/sys/fs/cgroup/devices/racker/x', ['c 7:128 rwm']);
    expect(writes[0]).to.deep.equal({ file: '/sys/fs/cgroup/devices/racker/x/devices.deny', value: 'a' });
    expect(writes.slice(1).every((w) => w.file === '/sys/fs/cgroup/devices/racker/x/devices.allow')).to.equal(true);
    expect(writes.map((w) => w.value)).to.include.members(['c 1:3 rwm', 'c 136:* rwm', 'c *:* m']);
    expect(writes.at(-1)).to.deep.equal({ file: '/sys/fs/cgroup/devices/racker/x/devices.allow', value: 'c 7:128 rwm' });
  });

  it('needs a v1 devices hierarchy', () => {
    expect(hostHasDevicesCgroup(layoutFromMountinfo(HYBRID))).to.equal(false);
    expect(hostHasDevicesCgroup(layoutFromMountinfo(`${HYBRID}\n36 30 0:32 / /sys/fs/cgroup/devices rw - cgroup cgroup rw,devices`))).to.equal(true);
    expect(hostHasDevicesCgroup(layoutFromMountinfo(V2))).to.equal(false);
  });
});
