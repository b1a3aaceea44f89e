import type { CommandModule } from 'yargs';
import { UsageError } from '../../lib/errors.js';
import { contextFor, out, type GlobalArgs } from '../common.js';

interface LoginArgs extends GlobalArgs {
  server?: string;
  username?: string;
  password?: string;
  'password-stdin'?: boolean;
  'tls-verify'?: boolean;
}

/** "https://reg.example/v2/" → "reg.example"; nothing → docker.io. */
export function registryArgument(server: string | undefined): string {
  if (!server) return 'docker.io';
  const host = server.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  if (!host || /[\s;$`'"\\]/.test(host)) throw new UsageError(`invalid registry ${JSON.stringify(server)}`);
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let data = '';
  for await (const chunk of stream) data += String(chunk);
  return data;
}

async function prompt(question: string, hidden: boolean): Promise<string> {
  const { createInterface } = await import('node:readline');
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  if (hidden) (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
    if (s.startsWith(question)) process.stderr.write(question);
  };
  const answer = await new Promise<string>((resolve) => rl.question(question, resolve));
  rl.close();
  if (hidden) process.stderr.write('\n');
  return answer;
}

export const loginCommand: CommandModule<object, LoginArgs> = {
  command: 'login [server]',
  describe: 'Log in to a registry (credentials go to the containers auth file, mode 0600)',
  builder: (y) =>
    y
      .positional('server', { type: 'string', describe: 'Registry host (default docker.io)' })
      .option('username', { alias: 'u', type: 'string' })
      .option('password', { alias: 'p', type: 'string', describe: 'Insecure: visible in the process list; use --password-stdin' })
      .option('password-stdin', { type: 'boolean', describe: 'Take the password from stdin' })
      .option('tls-verify', { type: 'boolean' }),
  handler: async (args) => {
    const ctx = contextFor(args);
    const registry = registryArgument(args.server);
    let { username, password } = args;
    if (args['password-stdin']) {
      if (password) throw new UsageError('--password and --password-stdin are mutually exclusive');
      if (!username) throw new UsageError('Must provide --username with --password-stdin');
      password = (await readAll(process.stdin)).replace(/\r?\n$/, '');
    } else if (password) {
      process.stderr.write('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
    }
    if (!username || !password) {
      if (!process.stdin.isTTY) throw new UsageError('Cannot perform an interactive login from a non TTY device');
      username ??= await prompt('Username: ', false);
      password ??= await prompt('Password: ', true);
    }
    if (!username || !password) throw new UsageError('username and password are required');
    const { checkLogin } = await import('../../lib/registry/client.js');
    const { saveCredentials } = await import('../../lib/registry/auth.js');
    const { isLoopbackRegistry } = await import('../../lib/registry/reference.js');
    const credentials = { username, password };
    await checkLogin(registry, { credentials, tlsVerify: args['tls-verify'] ?? !isLoopbackRegistry(registry), log: ctx.log });
    const file = await saveCredentials(registry, credentials, ctx.env);
    ctx.log.debug(`credentials saved in ${file}`);
    out('Login Succeeded');
  },
};

export const logoutCommand: CommandModule<object, GlobalArgs & { server?: string }> = {
  command: 'logout [server]',
  describe: 'Log out from a registry',
  builder: (y) => y.positional('server', { type: 'string', describe: 'Registry host (default docker.io)' }),
  handler: async (args) => {
    const ctx = contextFor(args);
    const registry = registryArgument(args.server);
    const { removeCredentials } = await import('../../lib/registry/auth.js');
    if (await removeCredentials(registry, ctx.env)) out(`Removing login credentials for ${registry}`);
    else out(`Not logged in to ${registry}`);
  },
};
