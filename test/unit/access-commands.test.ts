import { expect } from 'chai';
import { trailingCommands } from '../../cli/commands/index.js';
import { expandManagementCommand } from '../../cli/management.js';
import { ownWords, viaService } from '../../cli/program.js';
import { extractTrailing } from '../../cli/trailing.js';
import { commandRefusal } from '../../lib/access/commands.js';

const rootOnly = (shown: string, program = 'racker') => `${program} ${shown} is root's: not for members of the racker group (doc/security.md)`;

describe('access: commandRefusal', () => {
  const allowed: [('racker' | 'postroj'), string[]][] = [
    ['racker', ['run', '-d', '--name', 'web']],
    ['racker', ['create']],
    ['racker', ['ps', '-a']],
    ['racker', ['logs', '-f', 'web']],
    ['racker', ['exec', '-it', 'web']],
    ['racker', ['rm', '-f', 'web']],
    ['racker', ['pull', 'debian:12']],
    ['racker', ['shell']],
    ['racker', ['__supervise', 'abc']],
    ['racker', ['volume', 'ls']],
    ['racker', ['volume', 'create', 'data']],
    ['racker', ['volume', 'rm', 'data']],
    ['racker', ['network', 'inspect', 'racker0']],
    ['racker', ['network', 'ls', '-q']],
    ['racker', ['system', 'df']],
    ['racker', ['system', 'info']],
    ['postroj', ['pkgprobe', '--image', 'debian:12', 'curl']],
    ['postroj', ['list-images']],
    // Files they name are written with their rights (access/as-caller.ts).
    ['racker', ['save', '-o', 'x.tar', 'debian']],
    ['racker', ['cp', 'web:/etc/passwd', '/tmp/x']],
    ['racker', ['export', '-o', 'x.tar', 'web']],
    ['postroj', ['pkgprobe', '--report-json', 'out.json', '--report-junit=out.xml', 'curl']],
    ['postroj', ['selftest', '--report-json', 'out.json']],
  ];
  for (const [program, argv] of allowed) {
    it(`allows ${program} ${argv.join(' ')}`, () => {
      expect(commandRefusal(program, argv)).to.equal(undefined);
    });
  }

  const refused: [('racker' | 'postroj'), string[], string][] = [
    ['racker', ['rmi', 'debian:12'], rootOnly('rmi')],
    ['racker', ['build', '-t', 'x', '.'], rootOnly('build')],
    ['racker', ['login', 'registry.example'], rootOnly('login')],
    ['racker', ['pool', 'ls'], rootOnly('pool')],
    // cp's host half, run as the member by the service: never by the service's root for them.
    ['racker', ['__cp-local', 'stat', '/etc/shadow'], rootOnly('__cp-local')],
    ['racker', ['system', 'prune', '-f'], rootOnly('system prune')],
    ['racker', ['system', 'service'], rootOnly('system service')],
    ['racker', ['volume', 'prune'], rootOnly('volume prune')],
    ['racker', ['network', 'create', 'mine'], rootOnly('network create')],
    ['racker', ['network', 'rm', 'mine'], rootOnly('network rm')],
    // A management word alone (no subcommand) is not one of the allowed pairs.
    ['racker', ['volume'], rootOnly('volume')],
    ['racker', ['nosuchword'], rootOnly('nosuchword')],
    ['postroj', ['summary', 'x.json'], rootOnly('summary', 'postroj')],
    // racker's words are not postroj's, nor the other way round.
    ['postroj', ['run'], rootOnly('run', 'postroj')],
    ['racker', ['pkgprobe'], rootOnly('pkgprobe')],
  ];
  for (const [program, argv, message] of refused) {
    it(`refuses ${program} ${argv.join(' ')}`, () => {
      expect(commandRefusal(program, argv)).to.equal(message);
    });
  }

  it('reads the command word after global flags', () => {
    expect(commandRefusal('racker', ['--debug', 'run', '-d'])).to.equal(undefined);
    expect(commandRefusal('racker', ['--debug', '-D', 'rmi', 'x'])).to.equal(rootOnly('rmi'));
    expect(commandRefusal('racker', ['--debug', 'build', '.'])).to.equal(rootOnly('build'));
    expect(commandRefusal('racker', ['--debug', 'system', 'prune'])).to.equal(rootOnly('system prune'));
    expect(commandRefusal('racker', ['--debug', 'volume', '--quiet', 'ls'])).to.equal(undefined);
  });

  it('has nothing to say without a command word (yargs answers that)', () => {
    expect(commandRefusal('racker', [])).to.equal(undefined);
    expect(commandRefusal('racker', ['--debug'])).to.equal(undefined);
    expect(commandRefusal('postroj', ['--no-color'])).to.equal(undefined);
  });
});

describe('access: viaService', () => {
  const member = 1000;
  const table: [string[], boolean][] = [
    [['ps'], true],
    [['--debug', 'ps'], true],
    [['run', '-it', 'debian'], true],
    [['system', 'df'], true],
    [['rmi', 'x'], true],
    // The --help belongs to ls, inside the container.
    [['run', 'img', 'ls', '--help'], true],
    [['run', '-it', 'img', 'ls', '-h'], true],
    [['exec', 'web', 'cat', '--version'], true],
    [[], false],
    [['--version'], false],
    [['--help'], false],
    [['-h'], false],
    [['--debug', '--help'], false],
    [['run', '--help'], false],
    [['run', '-h'], false],
    [['run', '-it', '--help'], false],
    [['--help', 'run'], false],
    [['--version', 'ps'], false],
    [['ps', '--get-yargs-completions'], false],
    [['completion'], false],
    [['system', 'service'], false],
    [['system', 'service', '--group', 'racker'], false],
    [['__supervise', 'abc'], false],
    [['__pool-refill'], false],
  ];
  for (const [argv, expected] of table) {
    it(`${expected ? 'forwards' : 'runs here'}: ${argv.join(' ') || '(nothing)'}`, () => {
      expect(viaService(argv, member)).to.equal(expected);
    });
  }

  it('never for root', () => {
    for (const [argv] of table) expect(viaService(argv, 0)).to.equal(false);
  });

  it("postroj: probes go to the service; the label list, a CI matrix and a report's summary run here", () => {
    const postroj: [string[], boolean][] = [
      [['pkgprobe', '--image', 'debian-bookworm', '--check-command', 'true'], true],
      [['selftest'], true],
      [['list-images'], false],
      [['matrix'], false],
      [['summary', 'report.json'], false],
      [['pkgprobe', '--help'], false],
    ];
    for (const [argv, expected] of postroj) expect(viaService(argv, member, 'postroj'), argv.join(' ')).to.equal(expected);
    // racker has no such words: `racker summary` is no local command.
    expect(viaService(['summary'], member, 'racker')).to.equal(true);
  });
});

describe('access: ownWords (racker\'s own words, before run\'s or exec\'s command)', () => {
  // racker's prepare, without the flag checks.
  const prepare = (argv: string[]) => extractTrailing(expandManagementCommand(argv), trailingCommands);
  const table: [string[], number][] = [
    [['run', '-e', 'FOO', 'img', 'grep', '-e', 'FOO'], 3],
    [['--debug', 'run', '--name', 'x', '-e', 'FOO', 'img'], 6],
    [['run', '-e', 'FOO', '--', 'img', 'sh', '-c', 'echo'], 4],
    [['container', 'run', '-it', 'img', 'ls', '-e'], 3],
    [['exec', '-e', 'FOO', 'web', 'env', '-e'], 3],
    [['create', 'img'], 1],
    [['ps', '-a'], 2],
    [['volume', 'ls'], 2],
    [['top', 'web', '-e'], 1],
    [['run', '--help'], 2],
  ];
  for (const [argv, expected] of table) {
    it(`${argv.join(' ')} → ${expected}`, () => {
      expect(ownWords(argv, prepare)).to.equal(expected);
    });
  }

  it('a command without a trailing part after one with it: nothing left over from before', () => {
    expect(ownWords(['run', 'img', 'a', 'b'], prepare)).to.equal(1);
    expect(ownWords(['ps', '-a', '-q'], prepare)).to.equal(3);
  });
});
