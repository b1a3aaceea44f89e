/**
 * Platforms (os/architecture/variant), parsed and normalised as containerd's platforms
 * package does (aarch64 → arm64, armhf → arm/v7, x86_64 → amd64), and the names each tool
 * wants for one: Debian's architecture (mmdebstrap), qemu's (its binfmt_misc entry),
 * skopeo's override flags. Pure: nothing here reads the host but hostPlatform's default.
 */
import { UsageError } from '../errors.js';

export interface Platform {
  os: 'linux';
  /** OCI architecture name: amd64, arm64, arm, ppc64le, s390x, riscv64, 386. */
  architecture: string;
  /** Only arm has one that matters here (v6, v7); arm64's v8 is normalised away, as containerd does. */
  variant?: string;
}

interface ArchInfo {
  debian: string;
  /** qemu's name, as in /usr/lib/binfmt.d/qemu-<name>.conf and /proc/sys/fs/binfmt_misc/qemu-<name>. */
  qemu: string;
  /** What `uname -m` says inside. */
  machine: string;
}

/** What racker can run: natively, or through qemu-user-static. Keys are "arch" or "arch/variant". */
const ARCHES: Record<string, ArchInfo> = {
  amd64: { debian: 'amd64', qemu: 'x86_64', machine: 'x86_64' },
  arm64: { debian: 'arm64', qemu: 'aarch64', machine: 'aarch64' },
  'arm/v7': { debian: 'armhf', qemu: 'arm', machine: 'armv7l' },
  'arm/v6': { debian: 'armel', qemu: 'arm', machine: 'armv6l' },
  ppc64le: { debian: 'ppc64el', qemu: 'ppc64le', machine: 'ppc64le' },
  s390x: { debian: 's390x', qemu: 's390x', machine: 's390x' },
  riscv64: { debian: 'riscv64', qemu: 'riscv64', machine: 'riscv64' },
  '386': { debian: 'i386', qemu: 'i386', machine: 'i686' },
};

/** The names users and other tools write, mapped to OCI's (containerd's normalizeArch, plus Debian's names). */
const ARCH_ALIASES: Record<string, { architecture: string; variant?: string }> = {
  x86_64: { architecture: 'amd64' },
  'x86-64': { architecture: 'amd64' },
  aarch64: { architecture: 'arm64' },
  armhf: { architecture: 'arm', variant: 'v7' },
  armel: { architecture: 'arm', variant: 'v6' },
  i386: { architecture: '386' },
  i686: { architecture: '386' },
  ppc64el: { architecture: 'ppc64le' },
};

// In this order (an object's integer-like key "386" would come first).
export const SUPPORTED_PLATFORMS = ['amd64', 'arm64', 'arm/v7', 'arm/v6', 'ppc64le', 's390x', 'riscv64', '386'].map((k) => `linux/${k}`);

function key(p: { architecture: string; variant?: string | undefined }): string {
  return p.variant ? `${p.architecture}/${p.variant}` : p.architecture;
}

/** Normalise an (architecture, variant) pair the way containerd does; undefined when unknown. */
export function normalise(architecture: string, variant?: string): Platform | undefined {
  let arch = architecture.toLowerCase();
  let v = variant?.toLowerCase() || undefined;
  const alias = ARCH_ALIASES[arch];
  if (alias) {
    arch = alias.architecture;
    v = v ?? alias.variant;
  }
  if (arch === 'arm64' && (v === 'v8' || v === '8')) v = undefined;
  if (arch === 'amd64' && v === 'v1') v = undefined;
  if (arch === 'arm') v = v === undefined ? 'v7' : v.startsWith('v') ? v : `v${v}`;
  const p: Platform = { os: 'linux', architecture: arch, ...(v ? { variant: v } : {}) };
  return ARCHES[key(p)] ? p : undefined;
}

/** `--platform` as docker takes it: os/arch[/variant], or just arch (os linux). One line on anything else. */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().split('/');
  const bad = (why: string) =>
    new UsageError(`invalid platform ${JSON.stringify(text)}: ${why}`, { hint: `racker runs ${SUPPORTED_PLATFORMS.join(', ')}` });
  if (!text.trim() || parts.length > 3 || parts.some((s) => s === '')) throw bad('expected os/arch[/variant]');
  const [os, arch, variant] = parts.length === 1 ? ['linux', parts[0]!, undefined] : [parts[0]!.toLowerCase(), parts[1]!, parts[2]];
  if (os !== 'linux') throw bad(`operating system ${JSON.stringify(os)} is not supported`);
  const p = normalise(arch, variant);
  if (!p) throw bad(`architecture ${JSON.stringify(variant ? `${arch}/${variant}` : arch)} is not supported`);
  return p;
}

/** os/arch[/variant]. The fields may come from an image's config: anything odd in them is shown as "?", so a message stays one line. */
export function formatPlatform(p: { os?: string | undefined; architecture?: string | undefined; variant?: string | undefined }): string {
  const clean = (v: string) => v.slice(0, 40).replace(/[^A-Za-z0-9._+-]/g, '?');
  return [p.os ?? 'linux', p.architecture ?? 'unknown', ...(p.variant ? [p.variant] : [])].map(clean).join('/');
}

/** This machine's platform: node's process.arch in OCI's names. */
export function hostPlatform(arch: string = process.arch): Platform {
  const oci = ({ x64: 'amd64', ia32: '386', arm: 'arm', arm64: 'arm64', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[arch] ?? arch;
  return normalise(oci) ?? { os: 'linux', architecture: oci };
}

/**
 * Whether an image recorded as (architecture, variant) is `want`. An image without an
 * architecture (an old record, an import) counts as the host's.
 */
export function samePlatform(image: { architecture?: string | undefined; variant?: string | undefined }, want: Platform, host: Platform = hostPlatform()): boolean {
  const have = image.architecture ? normalise(image.architecture, image.variant) : host;
  if (!have) return false;
  // An arm image that names no variant matches any arm variant asked for (as containerd's matcher).
  if (have.architecture === 'arm' && want.architecture === 'arm' && !image.variant) return true;
  return key(have) === key(want);
}

/** The platform an image record names (the host's when it names none); undefined for one racker doesn't know. */
export function platformOf(image: { architecture?: string | undefined; variant?: string | undefined }, host: Platform = hostPlatform()): Platform | undefined {
  return image.architecture ? normalise(image.architecture, image.variant) : host;
}

export function debianArchitecture(p: Platform): string {
  return ARCHES[key(p)]!.debian;
}

export function qemuName(p: Platform): string {
  return ARCHES[key(p)]!.qemu;
}

export function unameMachine(p: Platform): string {
  return ARCHES[key(p)]!.machine;
}

/** Whether the host's kernel runs p's binaries itself (no emulator): the same platform, or 386 on amd64. */
export function runsNatively(p: Platform, host: Platform = hostPlatform()): boolean {
  return key(p) === key(host) || (host.architecture === 'amd64' && p.architecture === '386');
}
