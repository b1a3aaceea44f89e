import { expect } from 'chai';
import { extractTrailing, splitAtFirstPositional, trailing, valueOptionsOf } from '../../cli/trailing.js';
import { expandManagementCommand } from '../../cli/management.js';
import { throwsMessage } from '../helpers/assert.js';
import { runValueOptions } from '../../cli/commands/run.js';

describe('run/exec argv split (options after IMAGE belong to the command)', () => {
  const split = (args: string[]) => splitAtFirstPositional(args, runValueOptions);

  it('hands -la to the command', () => {
    expect(split(['--rm', 'debian:bookworm', 'ls', '-la', '/'])).to.deep.equal({
      options: ['--rm'],
      trailing: { target: 'debian:bookworm', command: ['ls', '-la', '/'] },
    });
  });

  it('skips the values of value options, in every spelling', () => {
    expect(split(['-e', 'A=1', '--env', 'B=2', '--name=x', '-w', '/tmp', '-it', 'img', 'sh'])).to.deep.equal({
      options: ['-e', 'A=1', '--env', 'B=2', '--name=x', '-w', '/tmp', '-it'],
      trailing: { target: 'img', command: ['sh'] },
    });
    expect(split(['-eA=1', 'img'])).to.deep.equal({ options: ['-eA=1'], trailing: { target: 'img', command: [] } });
    expect(split(['-ite', 'A=1', 'img'])).to.deep.equal({ options: ['-ite', 'A=1'], trailing: { target: 'img', command: [] } });
    expect(split(['-v', '/a:/b', '--rm', 'img', '--rm'])).to.deep.equal({
      options: ['-v', '/a:/b', '--rm'],
      trailing: { target: 'img', command: ['--rm'] },
    });
  });

  it('-- ends the options', () => {
    expect(split(['--rm', '--', 'img', '--', 'x'])).to.deep.equal({ options: ['--rm'], trailing: { target: 'img', command: ['--', 'x'] } });
  });

  it('no image at all', () => {
    expect(split(['--rm'])).to.deep.equal({ options: ['--rm'], trailing: { command: [] } });
  });

  it('value options come from the yargs table, booleans excluded', () => {
    expect([...valueOptionsOf({ a: { type: 'boolean', alias: 'x' }, b: { type: 'string', alias: ['y', 'z'] }, c: { type: 'number' } })].sort()).to.deep.equal(['b', 'c', 'y', 'z']);
    for (const name of ['e', 'env', 'w', 'u', 'v', 'name', 'network', 'p', 'env-file', 'entrypoint', 'hostname', 'pull', 'boot-timeout']) {
      expect(runValueOptions.has(name), name).to.equal(true);
    }
    for (const name of ['i', 't', 'd', 'rm', 'boot', 'no-boot']) expect(runValueOptions.has(name), name).to.equal(false);
  });

  it('extractTrailing keeps global flags and the command word, and only for run/exec', () => {
    expect(extractTrailing(['--debug', 'run', '--rm', 'img', 'ls', '-l'], { run: runValueOptions })).to.deep.equal(['--debug', 'run', '--rm']);
    expect(trailing()).to.deep.equal({ target: 'img', command: ['ls', '-l'] });
    expect(extractTrailing(['images', '-q'], { run: runValueOptions })).to.deep.equal(['images', '-q']);
    // --help among racker's options shows racker's help; after IMAGE it is the command's.
    expect(extractTrailing(['run', '--help'], { run: runValueOptions })).to.deep.equal(['run', '--help']);
    expect(extractTrailing(['run', 'img', 'grep', '--help'], { run: runValueOptions })).to.deep.equal(['run']);
    expect(trailing()).to.deep.equal({ target: 'img', command: ['grep', '--help'] });
  });
});

describe("docker's management commands (issue 23 item 10)", () => {
  it('container VERB and image VERB become racker verbs; global flags stay in front', () => {
    expect(expandManagementCommand(['container', 'ls', '-a'])).to.deep.equal(['ps', '-a']);
    expect(expandManagementCommand(['--debug', 'container', 'run', '--rm', 'img', 'ls', '-l'])).to.deep.equal(['--debug', 'run', '--rm', 'img', 'ls', '-l']);
    expect(expandManagementCommand(['container', 'prune', '-f'])).to.deep.equal(['system', 'prune', '-f']);
    expect(expandManagementCommand(['image', 'rm', 'x'])).to.deep.equal(['rmi', 'x']);
    expect(expandManagementCommand(['image', 'ls'])).to.deep.equal(['images']);
    expect(expandManagementCommand(['container', 'create', 'img'])).to.deep.equal(['create', 'img']);
    expect(expandManagementCommand(['image', 'tag', 'a', 'b'])).to.deep.equal(['tag', 'a', 'b']);
    expect(expandManagementCommand(['ps', 'container'])).to.deep.equal(['ps', 'container']);
  });

  it('a group without a verb, or with one it lacks, is one line naming the verbs it has', () => {
    expect(throwsMessage(() => expandManagementCommand(['image']))).to.equal("'image' needs a command: image has ls, list, pull, rm, remove, inspect, import, build, tag, save, load, history, prune");
    expect(throwsMessage(() => expandManagementCommand(['container', 'checkpoint']))).to.match(/^'container checkpoint' is not a racker command: container has ls, /);
    expect(expandManagementCommand(['container', 'cp', 'c:/x', '-'])).to.deep.equal(['cp', 'c:/x', '-']);
  });
});
