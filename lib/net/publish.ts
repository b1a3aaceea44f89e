/**
 * Published ports, host side: the supervisor binds every host port itself, as docker-proxy
 * does. The bound socket is the reservation (a port another program holds fails the run at
 * once; two containers never get one port; a port the kernel picks for `-p 80` is free), and
 * it serves what the kernel's DNAT does not: IPv6 ([::1], the host's v6 addresses), which it
 * forwards to the container's IPv4 address. IPv4 traffic is DNATed by nft and never reaches it.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { once } from 'node:events';
import { connect, createServer, type Server } from 'node:net';
import { RackerError } from '../errors.js';
import type { PortSpec, PublishedPort } from './ports.js';

export interface PublishedSet {
  ports: PublishedPort[];
  close(): Promise<void>;
}

type Bound = { port: number; close: () => Promise<void> };

function shownHost(ip: string): string {
  return ip ? (ip.includes(':') ? `[${ip}]` : ip) : '0.0.0.0';
}

/** A TCP listener on ip:port (every address, both families, for ''), forwarding to the container. */
async function bindTcp(ip: string, port: number, target: { readonly address: string }, targetPort: number): Promise<Bound> {
  const server: Server = createServer({ pauseOnConnect: false }, (client) => {
    const upstream = connect(targetPort, target.address);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.listen({ host: ip || '::', port, ipv6Only: false, exclusive: true });
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([e]) => Promise.reject(e as Error))]);
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** A UDP socket holding ip:port (IPv4 datagrams are DNATed; this one only reserves). */
async function bindUdp(ip: string, port: number): Promise<Bound> {
  const socket: UdpSocket = createSocket({ type: ip && !ip.includes(':') ? 'udp4' : 'udp6', ipv6Only: false });
  socket.bind({ address: ip || '::', port, exclusive: true });
  await Promise.race([once(socket, 'listening'), once(socket, 'error').then(([e]) => Promise.reject(e as Error))]);
  return { port: socket.address().port, close: () => new Promise<void>((r) => socket.close(() => r())) };
}

function inUse(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
}

/** Bind one spec: its port, the first free one of its range, or one the kernel picks. */
async function bindSpec(spec: PortSpec, target: { readonly address: string }): Promise<{ published: PublishedPort; bound: Bound }> {
  const candidates = spec.hostPortEnd ? Array.from({ length: spec.hostPortEnd - spec.hostPort + 1 }, (_, i) => spec.hostPort + i) : [spec.hostPort];
  for (const port of candidates) {
    try {
      const bound = spec.protocol === 'tcp' ? await bindTcp(spec.hostIp, port, target, spec.containerPort) : await bindUdp(spec.hostIp, port);
      return { published: { hostIp: spec.hostIp, hostPort: bound.port, containerPort: spec.containerPort, protocol: spec.protocol }, bound };
    } catch (err) {
      if (!inUse(err)) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EADDRNOTAVAIL') throw new RackerError(`Bind for ${shownHost(spec.hostIp)}:${port} failed: ${spec.hostIp} is not an address of this host`);
        throw err;
      }
    }
  }
  const shown = spec.hostPortEnd ? `${spec.hostPort}-${spec.hostPortEnd}` : String(spec.hostPort);
  throw new RackerError(`Bind for ${shownHost(spec.hostIp)}:${shown} failed: port is already allocated`);
}

/**
 * Bind every spec, or none: on a failure what was bound is released before the error goes up.
 * `target.address` is the container's, known once its network is made (after the ports).
 */
export async function bindPorts(specs: readonly PortSpec[], target: { readonly address: string }): Promise<PublishedSet> {
  const done: { published: PublishedPort; bound: Bound }[] = [];
  try {
    for (const spec of specs) done.push(await bindSpec(spec, target));
  } catch (err) {
    await Promise.all(done.map((d) => d.bound.close()));
    throw err;
  }
  return { ports: done.map((d) => d.published), close: async () => void (await Promise.all(done.map((d) => d.bound.close()))) };
}
