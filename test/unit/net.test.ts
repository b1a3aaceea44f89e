/** The pure networking modules of lib/net: subnets, -p parsing and display, ip/nft text, hosts/resolv.conf, routes, network filters. */
import { expect } from 'chai';
import { UsageError } from '../../lib/errors.js';
import { addressOfVeth, bridgeLines, containerSideLines, hostSideLines, hostVethName, netnsName, nftTableLine, type Attachment } from '../../lib/net/argv.js';
import { hostsFile, parseAddHost, resolvConf } from '../../lib/net/files.js';
import { networkMatches } from '../../lib/net/networks.js';
import { checkMac } from '../../lib/net/settings.js';
import { checkDistinct, exposedPorts, parsePublish, portLines, portMap, portsColumn, type PublishedPort } from '../../lib/net/ports.js';
import { hostRoutes, predefinedNetworks, validateNetworkName, type NetworkRecord } from '../../lib/net/store.js';
import { contains, firstHost, formatIPv4, formatSubnet, isHostAddress, lowestFree, macFor, overlaps, parseIPv4, parseSubnet, size } from '../../lib/net/subnet.js';
import { throwsMessage } from '../helpers/assert.js';

/** The error `fn` throws, checked to be a UsageError. */
function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected an error');
}

const ip = (text: string): number => {
  const n = parseIPv4(text);
  if (n === undefined) throw new Error(`not an address: ${text}`);
  return n;
};

describe('lib/net/subnet.ts', () => {
  it('parseIPv4 reads dotted quads as 32-bit numbers and formatIPv4 writes them back', () => {
    expect(parseIPv4('10.89.0.2')).to.equal(0x0a590002);
    expect(parseIPv4('0.0.0.0')).to.equal(0);
    expect(parseIPv4('255.255.255.255')).to.equal(0xffffffff);
    expect(formatIPv4(0x0a590002)).to.equal('10.89.0.2');
    expect(formatIPv4(0xffffffff)).to.equal('255.255.255.255');
    expect(formatIPv4(0)).to.equal('0.0.0.0');
    expect(formatIPv4(ip('192.168.1.254'))).to.equal('192.168.1.254');
  });

  it('parseIPv4 refuses anything but four decimal octets', () => {
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.0.0.1', '01.2.3.4', '1.2.3.-1', 'a.b.c.d', '1.2.3.4 ', '::1', '1..3.4']) {
      expect(parseIPv4(bad), bad).to.equal(undefined);
    }
  });

  it('parseSubnet reads a network and formatSubnet/size describe it', () => {
    const s = parseSubnet('10.89.0.0/16');
    expect(s).to.deep.equal({ base: 0x0a590000, prefix: 16 });
    expect(formatSubnet(s)).to.equal('10.89.0.0/16');
    expect(size(s)).to.equal(65536);
    expect(parseSubnet('10.0.0.0/8')).to.deep.equal({ base: 0x0a000000, prefix: 8 });
    expect(parseSubnet('192.168.1.4/30')).to.deep.equal({ base: ip('192.168.1.4'), prefix: 30 });
    expect(formatSubnet(parseSubnet('172.16.0.0/12'))).to.equal('172.16.0.0/12');
  });

  it('parseSubnet refuses an address with host bits set and suggests the network', () => {
    expect(usageMessage(() => parseSubnet('10.89.1.5/24'))).to.equal("invalid subnet 10.89.1.5/24: the address is not the network's (did you mean 10.89.1.0/24?)");
    expect(usageMessage(() => parseSubnet('192.168.255.255/16'))).to.equal("invalid subnet 192.168.255.255/16: the address is not the network's (did you mean 192.168.0.0/16?)");
  });

  it('parseSubnet refuses prefixes outside 8..30 and garbage', () => {
    const msg = (t: string) => `invalid subnet ${JSON.stringify(t)}: give an IPv4 network as A.B.C.D/N with N from 8 to 30`;
    for (const bad of ['10.0.0.0/7', '0.0.0.0/0', '10.0.0.0/31', '10.0.0.0/32', '10.0.0.0/', '10.0.0.0', 'garbage', '', '10.0.0.256/24', '10.0.0.0/024', 'fd00::/64', ' 10.0.0.0/24']) {
      expect(usageMessage(() => parseSubnet(bad)), bad).to.equal(msg(bad));
    }
  });

  it('contains and isHostAddress: network and broadcast addresses are in the subnet but not hosts', () => {
    const s = parseSubnet('10.89.0.0/24');
    expect(contains(s, ip('10.89.0.0'))).to.equal(true);
    expect(contains(s, ip('10.89.0.255'))).to.equal(true);
    expect(contains(s, ip('10.89.1.0'))).to.equal(false);
    expect(contains(s, ip('10.88.255.255'))).to.equal(false);
    expect(isHostAddress(s, ip('10.89.0.0'))).to.equal(false);
    expect(isHostAddress(s, ip('10.89.0.1'))).to.equal(true);
    expect(isHostAddress(s, ip('10.89.0.254'))).to.equal(true);
    expect(isHostAddress(s, ip('10.89.0.255'))).to.equal(false);
    expect(isHostAddress(s, ip('10.89.1.1'))).to.equal(false);
    expect(formatIPv4(firstHost(s))).to.equal('10.89.0.1');
  });

  it('contains works above 128.0.0.0 (no sign trouble in the bit operations)', () => {
    const s = parseSubnet('192.168.0.0/16');
    expect(contains(s, ip('192.168.200.1'))).to.equal(true);
    expect(contains(s, ip('192.169.0.1'))).to.equal(false);
    expect(isHostAddress(parseSubnet('255.255.255.0/24'), ip('255.255.255.255'))).to.equal(false);
    expect(isHostAddress(parseSubnet('255.255.255.0/24'), ip('255.255.255.254'))).to.equal(true);
  });

  it('overlaps: nesting either way and identity overlap; neighbours do not', () => {
    const p = parseSubnet;
    expect(overlaps(p('10.89.0.0/16'), p('10.89.3.0/24'))).to.equal(true);
    expect(overlaps(p('10.89.3.0/24'), p('10.89.0.0/16'))).to.equal(true);
    expect(overlaps(p('10.90.0.0/24'), p('10.90.0.0/24'))).to.equal(true);
    expect(overlaps(p('10.90.0.0/24'), p('10.90.1.0/24'))).to.equal(false);
    expect(overlaps(p('10.88.0.0/16'), p('10.89.0.0/16'))).to.equal(false);
    expect(overlaps(p('10.0.0.0/8'), p('192.168.0.0/16'))).to.equal(false);
    expect(overlaps(p('192.168.0.0/16'), p('192.168.128.0/17'))).to.equal(true);
  });

  it('lowestFree picks the lowest unused host address and undefined when full', () => {
    const s = parseSubnet('10.89.0.0/29');
    expect(lowestFree(s, new Set())).to.equal(ip('10.89.0.1'));
    expect(lowestFree(s, new Set([ip('10.89.0.1'), ip('10.89.0.2'), ip('10.89.0.4')]))).to.equal(ip('10.89.0.3'));
    const all = new Set([1, 2, 3, 4, 5, 6].map((n) => ip(`10.89.0.${n}`)));
    expect(lowestFree(s, all)).to.equal(undefined);
    const tiny = parseSubnet('10.89.0.4/30');
    expect(lowestFree(tiny, new Set([ip('10.89.0.5')]))).to.equal(ip('10.89.0.6'));
    expect(lowestFree(tiny, new Set([ip('10.89.0.5'), ip('10.89.0.6')]))).to.equal(undefined);
  });

  it("macFor is docker's 02:42 and the address's four octets in hex", () => {
    expect(macFor(ip('10.89.0.2'))).to.equal('02:42:0a:59:00:02');
    expect(macFor(ip('172.17.0.2'))).to.equal('02:42:ac:11:00:02');
    expect(macFor(ip('255.255.255.254'))).to.equal('02:42:ff:ff:ff:fe');
    expect(macFor(ip('0.0.0.0'))).to.equal('02:42:00:00:00:00');
  });
});

describe('lib/net/ports.ts: parsePublish', () => {
  it('"80": the container port on a port the kernel picks, every address, tcp', () => {
    expect(parsePublish('80')).to.deep.equal([{ hostIp: '', hostPort: 0, containerPort: 80, protocol: 'tcp' }]);
  });

  it('"8080:80": host port to container port', () => {
    expect(parsePublish('8080:80')).to.deep.equal([{ hostIp: '', hostPort: 8080, containerPort: 80, protocol: 'tcp' }]);
  });

  it('"127.0.0.1:8080:80" and "0.0.0.0:8080:80" (0.0.0.0 is every address)', () => {
    expect(parsePublish('127.0.0.1:8080:80')).to.deep.equal([{ hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'tcp' }]);
    expect(parsePublish('0.0.0.0:8080:80')).to.deep.equal([{ hostIp: '', hostPort: 8080, containerPort: 80, protocol: 'tcp' }]);
  });

  it('"127.0.0.1::80": an address with a port the kernel picks', () => {
    expect(parsePublish('127.0.0.1::80')).to.deep.equal([{ hostIp: '127.0.0.1', hostPort: 0, containerPort: 80, protocol: 'tcp' }]);
  });

  it('"[::1]:8080:80": an IPv6 address in brackets', () => {
    expect(parsePublish('[::1]:8080:80')).to.deep.equal([{ hostIp: '::1', hostPort: 8080, containerPort: 80, protocol: 'tcp' }]);
    expect(parsePublish('[fd00::1]:53:53/udp')).to.deep.equal([{ hostIp: 'fd00::1', hostPort: 53, containerPort: 53, protocol: 'udp' }]);
  });

  it('"8000-8002:80-82": ranges of equal length pair up port by port', () => {
    expect(parsePublish('8000-8002:80-82')).to.deep.equal([
      { hostIp: '', hostPort: 8000, containerPort: 80, protocol: 'tcp' },
      { hostIp: '', hostPort: 8001, containerPort: 81, protocol: 'tcp' },
      { hostIp: '', hostPort: 8002, containerPort: 82, protocol: 'tcp' },
    ]);
  });

  it('"80-82": a container range alone gets three kernel-picked ports', () => {
    expect(parsePublish('80-82/udp')).to.deep.equal([
      { hostIp: '', hostPort: 0, containerPort: 80, protocol: 'udp' },
      { hostIp: '', hostPort: 0, containerPort: 81, protocol: 'udp' },
      { hostIp: '', hostPort: 0, containerPort: 82, protocol: 'udp' },
    ]);
  });

  it('"8000-8010:80": a host range for one container port is one spec with hostPortEnd', () => {
    expect(parsePublish('8000-8010:80')).to.deep.equal([{ hostIp: '', hostPort: 8000, hostPortEnd: 8010, containerPort: 80, protocol: 'tcp' }]);
    expect(parsePublish('127.0.0.1:8000-8010:80/udp')).to.deep.equal([{ hostIp: '127.0.0.1', hostPort: 8000, hostPortEnd: 8010, containerPort: 80, protocol: 'udp' }]);
  });

  it('"53/udp" and an upper-case protocol', () => {
    expect(parsePublish('53/udp')).to.deep.equal([{ hostIp: '', hostPort: 0, containerPort: 53, protocol: 'udp' }]);
    expect(parsePublish('5353:53/UDP')).to.deep.equal([{ hostIp: '', hostPort: 5353, containerPort: 53, protocol: 'udp' }]);
    expect(parsePublish('8080:80/tcp')).to.deep.equal([{ hostIp: '', hostPort: 8080, containerPort: 80, protocol: 'tcp' }]);
  });

  it('"80/sctp" is refused, and so is an unknown protocol', () => {
    expect(usageMessage(() => parsePublish('80/sctp'))).to.equal('80/sctp: racker publishes tcp and udp ports, not sctp');
    expect(usageMessage(() => parsePublish('80/SCTP'))).to.equal('80/SCTP: racker publishes tcp and udp ports, not sctp');
    expect(usageMessage(() => parsePublish('80/icmp'))).to.equal('invalid proto: icmp');
    expect(usageMessage(() => parsePublish('80/'))).to.equal('invalid proto: ');
  });

  it('ports out of 1..65535 or not numbers', () => {
    expect(usageMessage(() => parsePublish('70000:80'))).to.equal('invalid hostPort: 70000 (ports are 1 to 65535)');
    expect(usageMessage(() => parsePublish('8080:70000'))).to.equal('invalid containerPort: 70000 (ports are 1 to 65535)');
    expect(usageMessage(() => parsePublish('abc'))).to.equal('invalid containerPort: abc (ports are 1 to 65535)');
    expect(usageMessage(() => parsePublish('0'))).to.equal('invalid containerPort: 0 (ports are 1 to 65535)');
    expect(usageMessage(() => parsePublish('123456'))).to.equal('invalid containerPort: 123456 (ports are 1 to 65535)');
    expect(usageMessage(() => parsePublish('8080:'))).to.equal('invalid containerPort: 8080: (ports are 1 to 65535)');
  });

  it('"1:2:3:4": an unbracketed IPv6 address is refused with a hint', () => {
    expect(usageMessage(() => parsePublish('1:2:3:4'))).to.equal('invalid port specification: 1:2:3:4 (an IPv6 address goes in brackets: [::1]:8080:80)');
    expect(usageMessage(() => parsePublish('::1:8080:80'))).to.equal('invalid port specification: ::1:8080:80 (an IPv6 address goes in brackets: [::1]:8080:80)');
  });

  it('"8000-8001:80-82": ranges of different lengths', () => {
    expect(usageMessage(() => parsePublish('8000-8001:80-82'))).to.equal('invalid ranges specified for container and host ports: 80-82 and 8000-8001');
    expect(usageMessage(() => parsePublish('8080:80-82'))).to.equal('invalid ranges specified for container and host ports: 80-82 and 8080-8080');
  });

  it('backwards ranges, three-part ranges, bad addresses and an empty spec', () => {
    expect(usageMessage(() => parsePublish('82-80'))).to.equal('invalid containerPort: 82-80 (the range ends before it starts)');
    expect(usageMessage(() => parsePublish('8010-8000:80'))).to.equal('invalid hostPort: 8010-8000 (the range ends before it starts)');
    expect(usageMessage(() => parsePublish('80-81-82'))).to.equal('invalid containerPort: 80-81-82');
    expect(usageMessage(() => parsePublish('1.2.3:8080:80'))).to.equal('invalid IP address: 1.2.3');
    expect(usageMessage(() => parsePublish('localhost:8080:80'))).to.equal('invalid IP address: localhost');
    expect(usageMessage(() => parsePublish('[nope]:8080:80'))).to.equal('invalid IP address in [nope]:8080:80');
    expect(usageMessage(() => parsePublish('[::1]8080:80'))).to.equal('invalid IP address in [::1]8080:80');
    expect(usageMessage(() => parsePublish('/udp'))).to.equal('no port specified: /udp');
    expect(usageMessage(() => parsePublish(''))).to.equal('no port specified: ');
  });
});

describe('lib/net/ports.ts: -P and duplicates', () => {
  it('exposedPorts reads ExposedPorts keys, tcp by default, skipping what cannot be published', () => {
    expect(exposedPorts({ '80/tcp': {}, '53/udp': {}, '8080': {}, '132/sctp': {}, 'x/tcp': {}, '0/tcp': {}, '70000/tcp': {} })).to.deep.equal([
      // A bare "8080" is an integer-like key: JavaScript lists it before the others.
      { hostIp: '', hostPort: 0, containerPort: 8080, protocol: 'tcp' },
      { hostIp: '', hostPort: 0, containerPort: 80, protocol: 'tcp' },
      { hostIp: '', hostPort: 0, containerPort: 53, protocol: 'udp' },
    ]);
    expect(exposedPorts(undefined)).to.deep.equal([]);
    expect(exposedPorts({})).to.deep.equal([]);
  });

  it('checkDistinct refuses one host port asked twice for one protocol and address', () => {
    expect(usageMessage(() => checkDistinct([...parsePublish('8080:80'), ...parsePublish('8080:81')]))).to.equal('Bind for 0.0.0.0:8080 failed: port is already allocated');
    expect(usageMessage(() => checkDistinct([...parsePublish('127.0.0.1:8080:80'), ...parsePublish('127.0.0.1:8080:81')]))).to.equal(
      'Bind for 127.0.0.1:8080 failed: port is already allocated',
    );
    expect(usageMessage(() => checkDistinct(parsePublish('8000-8001:80-81').concat(parsePublish('8001:90'))))).to.equal('Bind for 0.0.0.0:8001 failed: port is already allocated');
  });

  it('checkDistinct lets through other protocols, other addresses and kernel-picked ports', () => {
    expect(() => checkDistinct([...parsePublish('8080:80'), ...parsePublish('8080:80/udp')])).to.not.throw();
    expect(() => checkDistinct([...parsePublish('127.0.0.1:8080:80'), ...parsePublish('[::1]:8080:80')])).to.not.throw();
    expect(() => checkDistinct([...parsePublish('80'), ...parsePublish('80'), ...parsePublish('127.0.0.1::80')])).to.not.throw();
    expect(() => checkDistinct([])).to.not.throw();
  });

  // `-p 8000-8010:80 -p 8000-8010:81`: docker (and bindSpec, which tries the range's ports in
  // turn) gives each its own free port of the range, so the early check must not refuse it.
  it('checkDistinct lets two specs share a host port range (each gets its own port of it)', () => {
    expect(() => checkDistinct([...parsePublish('8000-8010:80'), ...parsePublish('8000-8010:81')])).to.not.throw();
  });
});

describe('lib/net/ports.ts: how published ports are shown', () => {
  const every: PublishedPort = { hostIp: '', hostPort: 8080, containerPort: 80, protocol: 'tcp' };
  const local: PublishedPort = { hostIp: '127.0.0.1', hostPort: 5353, containerPort: 53, protocol: 'udp' };
  const v6: PublishedPort = { hostIp: '::1', hostPort: 9090, containerPort: 90, protocol: 'tcp' };

  it('portsColumn: every address shows both families, like docker ps', () => {
    expect(portsColumn([every])).to.equal('0.0.0.0:8080->80/tcp, :::8080->80/tcp');
    expect(portsColumn([local])).to.equal('127.0.0.1:5353->53/udp');
    expect(portsColumn([v6])).to.equal('[::1]:9090->90/tcp');
    expect(portsColumn([every, local, v6])).to.equal('0.0.0.0:8080->80/tcp, :::8080->80/tcp, 127.0.0.1:5353->53/udp, [::1]:9090->90/tcp');
    expect(portsColumn([])).to.equal('');
  });

  it('portLines lists every binding sorted by container port, tcp before udp', () => {
    const udp80: PublishedPort = { hostIp: '', hostPort: 8081, containerPort: 80, protocol: 'udp' };
    expect(portLines([v6, udp80, every, local])).to.deep.equal([
      '53/udp -> 127.0.0.1:5353',
      '80/tcp -> 0.0.0.0:8080',
      '80/tcp -> :::8080',
      '80/udp -> 0.0.0.0:8081',
      '80/udp -> :::8081',
      '90/tcp -> [::1]:9090',
    ]);
    expect(portLines([])).to.deep.equal([]);
  });

  it('portLines with a port asked: only the host side of that port and protocol', () => {
    const second: PublishedPort = { hostIp: '::1', hostPort: 8443, containerPort: 80, protocol: 'tcp' };
    expect(portLines([every, local, second], { port: 80, protocol: 'tcp' })).to.deep.equal(['0.0.0.0:8080', ':::8080', '[::1]:8443']);
    expect(portLines([every, local], { port: 53, protocol: 'udp' })).to.deep.equal(['127.0.0.1:5353']);
    expect(portLines([every, local], { port: 80, protocol: 'udp' })).to.deep.equal([]);
  });

  it('portLines does not reorder the caller\'s array', () => {
    const ports = [v6, every];
    portLines(ports);
    expect(ports).to.deep.equal([v6, every]);
  });

  it("portMap: inspect's NetworkSettings.Ports, host ports as strings, both families for every address", () => {
    const again: PublishedPort = { hostIp: '10.0.0.5', hostPort: 8088, containerPort: 80, protocol: 'tcp' };
    expect(portMap([every, local, v6, again])).to.deep.equal({
      '80/tcp': [
        { HostIp: '0.0.0.0', HostPort: '8080' },
        { HostIp: '::', HostPort: '8080' },
        { HostIp: '10.0.0.5', HostPort: '8088' },
      ],
      '53/udp': [{ HostIp: '127.0.0.1', HostPort: '5353' }],
      '90/tcp': [{ HostIp: '::1', HostPort: '9090' }],
    });
    expect(portMap([])).to.deep.equal({});
  });
});

describe('lib/net/argv.ts', () => {
  const id = 'abcdef0123456789'.padEnd(64, '0');
  const attachment = (over: Partial<Attachment> = {}): Attachment => ({
    id,
    bridge: 'racker0',
    address: '10.89.0.2',
    gateway: '10.89.0.1',
    prefix: 16,
    subnet: '10.89.0.0/16',
    mac: '02:42:0a:59:00:02',
    internal: false,
    ports: [],
    ifname: 'eth0',
    primary: true,
    ...over,
  });

  it('hostVethName and addressOfVeth: rv and the address in 8 hex, both ways', () => {
    expect(hostVethName('10.89.0.2')).to.equal('rv0a590002');
    expect(addressOfVeth('rv0a590002')).to.equal('10.89.0.2');
    for (const a of ['0.0.0.0', '10.90.255.254', '255.255.255.255', '192.168.1.10', '172.17.0.2']) {
      const name = hostVethName(a);
      expect(name.length, name).to.be.at.most(15);
      expect(name).to.match(/^rv[0-9a-f]{8}$/);
      expect(addressOfVeth(name)).to.equal(a);
    }
    expect(hostVethName('255.255.255.255')).to.equal('rvffffffff');
  });

  it('addressOfVeth: undefined for any other link name', () => {
    for (const other of ['eth0', 'racker0', 'rk-abcdef012345', 'rv0a59000', 'rv0a5900021', 'rv0A590002', 'xrv0a590002', 'veth1234']) {
      expect(addressOfVeth(other), other).to.equal(undefined);
    }
  });

  it('netnsName is racker- and the first 12 hex of the ID', () => {
    expect(netnsName(id)).to.equal('racker-abcdef012345');
  });

  it('bridgeLines: make the bridge, give it the gateway, bring it up', () => {
    expect(bridgeLines('rk-0123456789ab', '10.90.3.1', 24)).to.deep.equal([
      'link add name rk-0123456789ab type bridge',
      'addr add 10.90.3.1/24 dev rk-0123456789ab',
      'link set rk-0123456789ab up',
    ]);
  });

  it('hostSideLines with the namespace line', () => {
    expect(hostSideLines(attachment(), { name: netnsName(id), create: true })).to.deep.equal([
      'netns add racker-abcdef012345',
      'link add rv0a590002 type veth peer name eth0 address 02:42:0a:59:00:02 netns racker-abcdef012345',
      'link set rv0a590002 master racker0 up',
    ]);
  });

  it('hostSideLines without the namespace line (an earlier try made it)', () => {
    expect(hostSideLines(attachment({ bridge: 'rk-0123456789ab', address: '10.90.0.7', mac: '02:42:0a:5a:00:07' }), { name: netnsName(id), create: false })).to.deep.equal([
      'link add rv0a5a0007 type veth peer name eth0 address 02:42:0a:5a:00:07 netns racker-abcdef012345',
      'link set rv0a5a0007 master rk-0123456789ab up',
    ]);
  });

  it('hostSideLines for a running container: the peer goes to its PID, under the interface name asked', () => {
    expect(hostSideLines(attachment({ bridge: 'rk-0123456789ab', address: '10.90.0.7', mac: '02:42:0a:5a:00:07', ifname: 'eth1', primary: false }), { pid: 4242 })).to.deep.equal([
      'link add rv0a5a0007 type veth peer name eth1 address 02:42:0a:5a:00:07 netns 4242',
      'link set rv0a5a0007 master rk-0123456789ab up',
    ]);
  });

  it('containerSideLines: loopback, address, eth0 up and the default route', () => {
    expect(containerSideLines(attachment())).to.deep.equal(['link set lo up', 'addr add 10.89.0.2/16 dev eth0', 'link set eth0 up', 'route add default via 10.89.0.1']);
  });

  it('containerSideLines of an internal network: no default route', () => {
    expect(containerSideLines(attachment({ internal: true }))).to.deep.equal(['link set lo up', 'addr add 10.89.0.2/16 dev eth0', 'link set eth0 up']);
  });

  it('containerSideLines of a network connected later: its interface only, no loopback line, no default route', () => {
    expect(containerSideLines(attachment({ address: '10.90.0.7', prefix: 24, gateway: '10.90.0.1', ifname: 'eth1', primary: false }))).to.deep.equal([
      'addr add 10.90.0.7/24 dev eth1',
      'link set eth1 up',
    ]);
  });

  // Every container's table keeps it out of other racker networks (a published port excepted).
  const FORWARD = 'chain forward { type filter hook forward priority filter; ip saddr 10.89.0.2 ct status dnat accept; ip saddr 10.89.0.2 oifname "racker0" oifname != "racker0" drop; ip saddr 10.89.0.2 oifname "rk-*" oifname != "racker0" drop; }; }';

  it('nftTableLine: tcp on every address, udp on 127.0.0.1, an IPv6-only binding without a DNAT rule', () => {
    const a = attachment({
      ports: [
        { hostIp: '', hostPort: 8080, containerPort: 80, protocol: 'tcp' },
        { hostIp: '127.0.0.1', hostPort: 5353, containerPort: 53, protocol: 'udp' },
        { hostIp: '::1', hostPort: 9090, containerPort: 90, protocol: 'tcp' },
      ],
    });
    const dnat = 'fib daddr type local tcp dport 8080 dnat to 10.89.0.2:80; ip daddr 127.0.0.1 udp dport 5353 dnat to 10.89.0.2:53; ';
    expect(nftTableLine(a)).to.equal(
      'add table ip racker-abcdef012345 { flags owner; ' +
        `chain prerouting { type nat hook prerouting priority dstnat; ${dnat}}; ` +
        `chain output { type nat hook output priority -100; ${dnat}}; ` +
        'chain postrouting { type nat hook postrouting priority srcnat; ' +
        'ip daddr 10.89.0.2 ct status dnat ip saddr { 127.0.0.0/8, 10.89.0.0/16 } masquerade; ' +
        'ip saddr 10.89.0.2 ip daddr != 10.89.0.0/16 masquerade; }; ' +
        FORWARD,
    );
  });

  it('nftTableLine: no ports (or IPv6 only) means empty DNAT chains and only the outbound masquerade', () => {
    const expected =
      'add table ip racker-abcdef012345 { flags owner; ' +
      'chain prerouting { type nat hook prerouting priority dstnat; }; ' +
      'chain output { type nat hook output priority -100; }; ' +
      'chain postrouting { type nat hook postrouting priority srcnat; ip saddr 10.89.0.2 ip daddr != 10.89.0.0/16 masquerade; }; ' +
      FORWARD;
    expect(nftTableLine(attachment())).to.equal(expected);
    expect(nftTableLine(attachment({ ports: [{ hostIp: '::1', hostPort: 9090, containerPort: 90, protocol: 'tcp' }] }))).to.equal(expected);
  });

  it('nftTableLine of an internal container: DNAT kept, no outbound masquerade rule', () => {
    const a = attachment({ internal: true, ports: [{ hostIp: '', hostPort: 8080, containerPort: 80, protocol: 'tcp' }] });
    const dnat = 'fib daddr type local tcp dport 8080 dnat to 10.89.0.2:80; ';
    expect(nftTableLine(a)).to.equal(
      'add table ip racker-abcdef012345 { flags owner; ' +
        `chain prerouting { type nat hook prerouting priority dstnat; ${dnat}}; ` +
        `chain output { type nat hook output priority -100; ${dnat}}; ` +
        'chain postrouting { type nat hook postrouting priority srcnat; ip daddr 10.89.0.2 ct status dnat ip saddr { 127.0.0.0/8, 10.89.0.0/16 } masquerade; }; ' +
        FORWARD,
    );
    expect(nftTableLine(attachment({ internal: true }))).to.equal(
      'add table ip racker-abcdef012345 { flags owner; ' +
        'chain prerouting { type nat hook prerouting priority dstnat; }; ' +
        'chain output { type nat hook output priority -100; }; ' +
        'chain postrouting { type nat hook postrouting priority srcnat; }; ' +
        FORWARD,
    );
  });

  it('nftTableLine is one line (one nft -i transaction)', () => {
    const line = nftTableLine(attachment({ ports: [{ hostIp: '', hostPort: 1, containerPort: 2, protocol: 'udp' }] }));
    expect(line.includes('\n')).to.equal(false);
  });
});

describe('lib/net/files.ts', () => {
  it('hostsFile: docker\'s fixed lines, --add-host entries, the container, then its peers, names de-duplicated', () => {
    const text = hostsFile(
      { address: '10.89.0.2', names: ['web', 'abcdef012345', 'web'] },
      [
        { address: '10.89.0.3', names: ['db', 'db', 'database'] },
        { address: '10.89.0.4', names: ['cache'] },
      ],
      [{ address: '192.168.1.10', names: ['printer'] }],
    );
    expect(text).to.equal(
      '127.0.0.1\tlocalhost\n' +
        '::1\tlocalhost ip6-localhost ip6-loopback\n' +
        'fe00::0\tip6-localnet\n' +
        'ff00::0\tip6-mcastprefix\n' +
        'ff02::1\tip6-allnodes\n' +
        'ff02::2\tip6-allrouters\n' +
        '192.168.1.10\tprinter\n' +
        '10.89.0.2\tweb abcdef012345\n' +
        '10.89.0.3\tdb database\n' +
        '10.89.0.4\tcache\n',
    );
  });

  it('hostsFile with no peers and no extra entries', () => {
    expect(hostsFile({ address: '10.89.0.9', names: ['abcdef012345'] }, [], [])).to.equal(
      '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n10.89.0.9\tabcdef012345\n',
    );
  });

  const noUpstream = (): string => {
    throw new Error('upstream must not be read');
  };

  it('resolvConf: loopback servers dropped, search/options/domain lines kept, no upstream read', () => {
    const host = '# generated\nnameserver 127.0.0.1\nnameserver 10.0.0.1\nnameserver ::1\ndomain example.org\nsearch lan example.org\noptions ndots:2 edns0\nnameserver 10.0.0.2\n';
    expect(resolvConf([], host, noUpstream)).to.equal('domain example.org\nsearch lan example.org\noptions ndots:2 edns0\nnameserver 10.0.0.1\nnameserver 10.0.0.2\n');
  });

  it('resolvConf: only a systemd-resolved stub left: the upstream file is used instead, its search line with it', () => {
    const host = 'nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch stub.lan\n';
    const upstream = 'nameserver 192.168.1.1\nnameserver 127.0.0.1\nnameserver 2001:db8::53\nsearch corp.example\n';
    expect(resolvConf([], host, () => upstream)).to.equal('search corp.example\nnameserver 192.168.1.1\nnameserver 2001:db8::53\n');
  });

  it("resolvConf: no server anywhere gives docker's 8.8.8.8 and 8.8.4.4", () => {
    expect(resolvConf([], '', () => '')).to.equal('nameserver 8.8.8.8\nnameserver 8.8.4.4\n');
    expect(resolvConf([], 'nameserver 127.0.0.53\n', () => 'nameserver 127.0.0.1\n')).to.equal('nameserver 8.8.8.8\nnameserver 8.8.4.4\n');
  });

  it('resolvConf: --dns replaces the servers, the search and options lines stay', () => {
    expect(resolvConf(['1.1.1.1', '9.9.9.9'], 'nameserver 10.0.0.1\nsearch lan\noptions rotate\n', noUpstream)).to.equal(
      'search lan\noptions rotate\nnameserver 1.1.1.1\nnameserver 9.9.9.9\n',
    );
    expect(resolvConf(['1.1.1.1'], '', () => '')).to.equal('nameserver 1.1.1.1\n');
  });

  it('parseAddHost: NAME:IP, NAME=IP, bare and bracketed IPv6', () => {
    expect(parseAddHost('db:10.0.0.5')).to.deep.equal({ address: '10.0.0.5', names: ['db'] });
    expect(parseAddHost('db=10.0.0.5')).to.deep.equal({ address: '10.0.0.5', names: ['db'] });
    expect(parseAddHost('v6:[::1]')).to.deep.equal({ address: '::1', names: ['v6'] });
    expect(parseAddHost('v6:::1')).to.deep.equal({ address: '::1', names: ['v6'] });
    expect(parseAddHost('v6=fd00::5')).to.deep.equal({ address: 'fd00::5', names: ['v6'] });
  });

  it('parseAddHost: a UsageError for no separator, a bad address or no name', () => {
    expect(usageMessage(() => parseAddHost('nocolon'))).to.equal('invalid argument "nocolon" for --add-host: use NAME:IP');
    expect(usageMessage(() => parseAddHost('db:not-an-ip'))).to.equal('invalid argument "db:not-an-ip" for --add-host: use NAME:IP');
    expect(usageMessage(() => parseAddHost(':10.0.0.5'))).to.equal('invalid argument ":10.0.0.5" for --add-host: use NAME:IP');
    expect(usageMessage(() => parseAddHost('db:'))).to.equal('invalid argument "db:" for --add-host: use NAME:IP');
    expect(usageMessage(() => parseAddHost('db:10.0.0.256'))).to.equal('invalid argument "db:10.0.0.256" for --add-host: use NAME:IP');
  });

  // docker's `--add-host host.docker.internal:host-gateway`: the special value stands for the
  // host's address as the container sees it (hosts.ts puts the network's gateway there).
  it('parseAddHost accepts docker\'s special host-gateway value', () => {
    expect(parseAddHost('host.docker.internal:host-gateway')).to.deep.equal({ address: 'host-gateway', names: ['host.docker.internal'] });
  });
});

describe('lib/net/store.ts', () => {
  it('hostRoutes: the default route is skipped, subnets read from little-endian hex', () => {
    const text = [
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT                                                       ',
      'eth0\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0                                                                               ',
      'eth0\t0002A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0                                                                               ',
      'docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0                                                                               ',
      '',
    ].join('\n');
    expect(hostRoutes(text)).to.deep.equal([
      { iface: 'eth0', subnet: { base: ip('192.168.2.0'), prefix: 24 } },
      { iface: 'docker0', subnet: { base: ip('172.17.0.0'), prefix: 16 } },
    ]);
  });

  it('hostRoutes: a host route is a /32; a header-only file gives nothing', () => {
    const header = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT';
    expect(hostRoutes(`${header}\nwg0\t0100000A\t00000000\t0005\t0\t0\t0\tFFFFFFFF\t0\t0\t0\n`)).to.deep.equal([{ iface: 'wg0', subnet: { base: ip('10.0.0.1'), prefix: 32 } }]);
    expect(hostRoutes(`${header}\n`)).to.deep.equal([]);
  });

  it('validateNetworkName: docker\'s [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 128 characters', () => {
    for (const good of ['a', 'backend', 'my-net_1.x', '9lives', 'x'.repeat(128)]) expect(() => validateNetworkName(good), good).to.not.throw();
    const msg = (n: string) => `invalid network name ${JSON.stringify(n)}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed (at most 128 characters)`;
    for (const bad of ['', '-bad', '.hidden', '_x', 'a b', 'a/b', 'ümlaut', 'x'.repeat(129)]) {
      expect(usageMessage(() => validateNetworkName(bad)), bad).to.equal(msg(bad));
    }
  });
});

describe('lib/net/networks.ts: networkMatches', () => {
  const [bridge, host, none] = predefinedNetworks() as [NetworkRecord, NetworkRecord, NetworkRecord];
  const backend: NetworkRecord = {
    id: 'f00d'.padEnd(64, '1'),
    name: 'backend',
    created: '2026-01-01T00:00:00.000Z',
    driver: 'bridge',
    subnet: '10.90.0.0/24',
    gateway: '10.90.0.1',
    bridge: 'rk-f00d11111111',
    internal: false,
    labels: { env: 'prod', tier: '' },
    predefined: false,
  };
  const all = [bridge, host, none, backend];
  const names = (filters: string[]) => all.filter((n) => networkMatches(n, filters)).map((n) => n.name);

  it('no filter matches everything', () => {
    expect(names([])).to.deep.equal(['bridge', 'host', 'none', 'backend']);
  });

  it('name= is a substring', () => {
    expect(names(['name=o'])).to.deep.equal(['host', 'none']);
    expect(names(['name=back'])).to.deep.equal(['backend']);
    expect(names(['name=end'])).to.deep.equal(['backend']);
    expect(names(['name=nothing'])).to.deep.equal([]);
  });

  it('id= is a prefix of the ID', () => {
    expect(names(['id=f00d'])).to.deep.equal(['backend']);
    expect(names([`id=${bridge.id.slice(0, 12)}`])).to.deep.equal(['bridge']);
  });

  it('driver= is exact', () => {
    expect(names(['driver=bridge'])).to.deep.equal(['bridge', 'backend']);
    expect(names(['driver=null'])).to.deep.equal(['none']);
    expect(names(['driver=bri'])).to.deep.equal([]);
  });

  it('label=k asks for the label, label=k=v for its value', () => {
    expect(names(['label=env'])).to.deep.equal(['backend']);
    expect(names(['label=tier'])).to.deep.equal(['backend']);
    expect(names(['label=env=prod'])).to.deep.equal(['backend']);
    expect(names(['label=env=dev'])).to.deep.equal([]);
    expect(names(['label=tier='])).to.deep.equal(['backend']);
    expect(names(['label=missing'])).to.deep.equal([]);
  });

  it('type=custom and type=builtin', () => {
    expect(names(['type=custom'])).to.deep.equal(['backend']);
    expect(names(['type=builtin'])).to.deep.equal(['bridge', 'host', 'none']);
    expect(names(['scope=local'])).to.deep.equal(['bridge', 'host', 'none', 'backend']);
    expect(names(['scope=global'])).to.deep.equal([]);
  });

  it('values of one key are alternatives; different keys must all match', () => {
    expect(names(['name=host', 'name=none'])).to.deep.equal(['host', 'none']);
    expect(names(['driver=bridge', 'type=custom'])).to.deep.equal(['backend']);
    expect(names(['driver=bridge', 'name=host'])).to.deep.equal([]);
    expect(names(['type=builtin', 'type=custom', 'name=n'])).to.deep.equal(['none', 'backend']);
  });

  it('an unknown key or a filter without a value is refused', () => {
    expect(usageMessage(() => networkMatches(backend, ['colour=red']))).to.equal("invalid filter 'colour'");
    expect(usageMessage(() => networkMatches(backend, ['name']))).to.equal('bad format of filter (expected name=value): name');
    expect(usageMessage(() => networkMatches(backend, ['=x']))).to.equal('bad format of filter (expected name=value): =x');
    expect(throwsMessage(() => networkMatches(bridge, ['type=custom', 'foo=bar']))).to.equal("invalid filter 'foo'");
  });

  // docker's id filter matches "all or part of a network's ID": id=00d finds f00d….
  it('id= matches part of the ID, not only its start', () => {
    expect(names(['id=00d'])).to.deep.equal(['backend']);
  });

  // label=k looks at the network's own labels only, never at Object.prototype's names.
  it('label=constructor matches only a network with that label', () => {
    expect(names(['label=constructor'])).to.deep.equal([]);
    expect(names(['label=toString'])).to.deep.equal([]);
  });
});

describe('--mac-address (lib/net/settings.ts checkMac)', () => {
  it('keeps a unicast address, lower-case with colons', () => {
    expect(checkMac('02:42:AC:11:00:0A')).to.equal('02:42:ac:11:00:0a');
    expect(checkMac('92-d0-c6-0a-29-33')).to.equal('92:d0:c6:0a:29:33');
  });

  it('refuses what the kernel would: malformed, multicast, all zeros', () => {
    for (const bad of ['02:42:ac:11:00', '02:42:ac:11:00:0g', '02:42-ac:11:00:0a', '01:00:5e:00:00:01', '00:00:00:00:00:00', '']) {
      expect(() => checkMac(bad), bad).to.throw(UsageError, `invalid MAC address: ${bad}`);
    }
  });
});
