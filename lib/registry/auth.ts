/**
 * Registry credentials, stored where podman and docker keep them so `podman login` /
 * `docker login` work for racker and the other way round.
 *
 * File format (containers-auth.json(5), same as the "auths" part of ~/.docker/config.json):
 *   { "auths": { "quay.io": { "auth": base64("user:password") }, … }, …other keys kept… }
 * Keys may be "host", "host:port" or docker's URL form "https://host/v1/". Docker Hub is
 * saved as "docker.io" and found under any of its aliases.
 *
 * Not supported: docker's credential helpers ("credsStore", "credHelpers") — an entry
 * that only exists in a helper is not found (the keys are kept untouched when we write);
 * "identitytoken" entries (OAuth refresh tokens); podman's per-repository keys
 * ("quay.io/org"), since racker asks per registry.
 *
 * Nothing here ever puts a secret into an error message: an auth file may be full of them.
 */
import { randomBytes } from '../startup/builtins.js';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RackerError, UsageError } from '../errors.js';
import { writeFileAtomic } from '../state/atomic.js';

export interface Credentials {
  username: string;
  password: string;
}

/** Keys Docker Hub credentials are looked up under, in this order. */
const DOCKER_HUB_KEYS = ['docker.io', 'index.docker.io', 'https://index.docker.io/v1/', 'registry-1.docker.io'];
const DOCKER_HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

interface AuthEntry {
  auth?: string;
  [other: string]: unknown;
}

interface AuthFile {
  auths?: Record<string, AuthEntry>;
  [other: string]: unknown;
}

/**
 * Where credentials are looked for, most specific first: REGISTRY_AUTH_FILE,
 * $XDG_RUNTIME_DIR/containers/auth.json, ~/.config/containers/auth.json (or under
 * $XDG_CONFIG_HOME), ~/.docker/config.json (or $DOCKER_CONFIG/config.json).
 */
export function authFileCandidates(env: NodeJS.ProcessEnv): string[] {
  const files: string[] = [];
  if (env.REGISTRY_AUTH_FILE) files.push(path.resolve(env.REGISTRY_AUTH_FILE));
  if (env.XDG_RUNTIME_DIR) files.push(path.join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'));
  const home = homeDir(env);
  const configHome = env.XDG_CONFIG_HOME || (home && path.join(home, '.config'));
  if (configHome) files.push(path.join(configHome, 'containers', 'auth.json'));
  if (env.DOCKER_CONFIG) files.push(path.join(env.DOCKER_CONFIG, 'config.json'));
  else if (home) files.push(path.join(home, '.docker', 'config.json'));
  return [...new Set(files)];
}

/**
 * The file `racker login` writes: REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json,
 * else ~/.config/containers/auth.json — persistent, unlike podman's /run/containers/0/auth.json
 * for root, so a login survives a reboot as with docker.
 */
export function authFileForWriting(env: NodeJS.ProcessEnv): string {
  if (env.REGISTRY_AUTH_FILE) return path.resolve(env.REGISTRY_AUTH_FILE);
  if (env.XDG_RUNTIME_DIR) return path.join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json');
  const home = homeDir(env);
  const configHome = env.XDG_CONFIG_HOME || (home && path.join(home, '.config'));
  if (!configHome) throw new RackerError('cannot tell where to store registry credentials: HOME is not set');
  return path.join(configHome, 'containers', 'auth.json');
}

/** "https://Index.Docker.io/v1/" → "docker.io"; "quay.io" → "quay.io"; "quay.io/org" → undefined. */
export function canonicalRegistry(key: string): string | undefined {
  let k = key.trim().toLowerCase();
  const hadScheme = /^https?:\/\//.test(k);
  k = k.replace(/^https?:\/\//, '');
  if (hadScheme) k = k.split('/')[0] ?? '';
  else k = k.replace(/\/v[12]\/?$/, '').replace(/\/+$/, '');
  // Without a scheme, a path means a per-repository entry, not the whole registry.
  if (k === '' || k.includes('/')) return undefined;
  return DOCKER_HUB_HOSTS.has(k) ? 'docker.io' : k;
}

export async function findCredentials(registry: string, env: NodeJS.ProcessEnv): Promise<Credentials | undefined> {
  const wanted = registryOrThrow(registry);
  for (const file of authFileCandidates(env)) {
    const doc = await readAuthFile(file);
    if (!doc?.auths) continue;
    for (const key of matchingKeys(doc.auths, wanted)) {
      const auth = doc.auths[key]?.auth;
      // docker leaves `{}` (or "auth": "") behind when a credential helper holds the secret.
      if (auth) return decodeAuth(auth, file);
    }
  }
  return undefined;
}

export async function saveCredentials(registry: string, creds: Credentials, env: NodeJS.ProcessEnv): Promise<string> {
  const key = registryOrThrow(registry);
  const auth = encodeAuth(creds);
  const file = authFileForWriting(env);
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  // A file we cannot parse is not overwritten: it may hold other credentials.
  const doc: AuthFile = (await readAuthFile(file)) ?? {};
  const auths: Record<string, AuthEntry> = { ...doc.auths };
  for (const alias of matchingKeys(auths, key)) delete auths[alias];
  auths[key] = { auth };
  await writeAuthFile(file, { ...doc, auths });
  return file;
}

export async function removeCredentials(registry: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  const wanted = registryOrThrow(registry);
  let removed = false;
  for (const file of authFileCandidates(env)) {
    const doc = await readAuthFile(file);
    if (!doc?.auths) continue;
    const keys = matchingKeys(doc.auths, wanted);
    if (keys.length === 0) continue;
    const auths = { ...doc.auths };
    for (const k of keys) delete auths[k];
    await writeAuthFile(file, { ...doc, auths });
    removed = true;
  }
  return removed;
}

/**
 * A private auth file holding only this registry, for `skopeo --authfile` (credentials never
 * go on argv, where `ps` shows them). Created with O_EXCL and mode 0600; dispose() deletes it.
 */
export async function writeTemporaryAuthFile(
  registry: string,
  creds: Credentials,
  dir: string,
): Promise<{ path: string; dispose(): Promise<void> }> {
  const key = registryOrThrow(registry);
  // The owner's PID in the name: `system prune` deletes the file if a killed pull left it.
  const file = path.join(dir, `racker-auth-${process.pid}-${randomBytes(8).toString('hex')}.json`);
  const doc: AuthFile = { auths: { [key]: { auth: encodeAuth(creds) } } };
  await fs.writeFile(file, `${JSON.stringify(doc)}\n`, { mode: 0o600, flag: 'wx' });
  return {
    path: file,
    dispose: () => fs.rm(file, { force: true }),
  };
}

function registryOrThrow(registry: string): string {
  const r = canonicalRegistry(registry);
  if (!r) throw new UsageError(`invalid registry name: ${JSON.stringify(registry)}`);
  return r;
}

/** Keys of `auths` that mean `registry` (canonical), best first. */
function matchingKeys(auths: Record<string, AuthEntry>, registry: string): string[] {
  const preferred = registry === 'docker.io' ? DOCKER_HUB_KEYS : [registry];
  const exact = preferred.filter((k) => Object.hasOwn(auths, k));
  const others = Object.keys(auths).filter((k) => !exact.includes(k) && canonicalRegistry(k) === registry);
  return [...exact, ...others];
}

function encodeAuth(creds: Credentials): string {
  if (creds.username.includes(':')) throw new UsageError('a registry user name cannot contain ":"');
  return Buffer.from(`${creds.username}:${creds.password}`, 'utf8').toString('base64');
}

function decodeAuth(auth: string, file: string): Credentials {
  const text = Buffer.from(auth, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0 || !/^[A-Za-z0-9+/=\s]+$/.test(auth)) throw malformed(file);
  // The user name cannot hold ':', the password can.
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** undefined if the file does not exist. */
async function readAuthFile(file: string): Promise<AuthFile | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new RackerError(`cannot read registry auth file ${file}: ${code ?? 'error'}`);
  }
  if (text.trim() === '') return {};
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text around the error, which may be a secret.
    throw malformed(file);
  }
  if (!isObject(doc)) throw malformed(file);
  const auths = doc.auths;
  if (auths !== undefined) {
    if (!isObject(auths)) throw malformed(file);
    for (const entry of Object.values(auths)) {
      if (!isObject(entry) || (entry.auth !== undefined && typeof entry.auth !== 'string')) throw malformed(file);
    }
  }
  return doc as AuthFile;
}

async function writeAuthFile(file: string, doc: AuthFile): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(doc, null, '\t')}\n`, 0o600);
}

function malformed(file: string): RackerError {
  return new RackerError(`malformed registry auth file ${file}`, { hint: 'fix it, or remove it and log in again' });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function homeDir(env: NodeJS.ProcessEnv): string | undefined {
  if (env.HOME) return env.HOME;
  try {
    return os.userInfo().homedir || undefined;
  } catch {
    return undefined;
  }
}
