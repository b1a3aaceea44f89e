import { expect } from 'chai';
import { bundleWord, NO_COMMAND } from '../../cli/bundle-choice.js';

describe("which bundle runs an argv (cli/bundle-choice.ts): a command word's own, or the whole program's", () => {
  const words = new Set(['ps', 'images', 'image', 'inspect', 'run', 'rm', 'system', '__supervise', NO_COMMAND]);
  const choose = (...argv: string[]) => bundleWord(argv, (w) => words.has(w));

  it("the command word's, after racker's own flags; --version alone has its own", () => {
    expect(choose('ps', '-a')).to.equal('ps');
    expect(choose('--debug', 'ps')).to.equal('ps');
    expect(choose('-D', 'run', '--rm', 'img', 'true')).to.equal('run');
    expect(choose('--version', 'ps')).to.equal('ps');
    expect(choose('system', 'df')).to.equal('system');
    expect(choose('__supervise', 'abc')).to.equal('__supervise');
    expect(choose('--version')).to.equal(NO_COMMAND);
  });

  it("a management group's verb: the bundle of the command it stands for", () => {
    expect(choose('container', 'ls', '-a')).to.equal('ps');
    expect(choose('image', 'ls')).to.equal('images');
    expect(choose('image', 'inspect', 'x')).to.equal('inspect');
    expect(choose('image', 'prune')).to.equal('image');
    expect(choose('container', 'remove', 'c1')).to.equal('rm');
  });

  it('the whole program for help, completion, no command, and what is no command (their answers list the others)', () => {
    expect(choose()).to.equal(undefined);
    expect(choose('--debug')).to.equal(undefined);
    expect(choose('ps', '--help')).to.equal(undefined);
    expect(choose('-h', 'ps')).to.equal(undefined);
    // Even in run's trailing command: never wrong, only slower.
    expect(choose('run', 'img', 'ls', '-h')).to.equal(undefined);
    expect(choose('--get-yargs-completions', 'racker', 'ru')).to.equal(undefined);
    expect(choose('completion')).to.equal(undefined);
    expect(choose('nosuch')).to.equal(undefined);
    expect(choose(NO_COMMAND)).to.equal(undefined);
    expect(choose('container')).to.equal(undefined);
    expect(choose('container', 'nosuch')).to.equal(undefined);
    expect(choose('container', 'start')).to.equal(undefined); // a verb whose command has no bundle here
    expect(choose('constructor')).to.equal(undefined);
    expect(choose('container', 'constructor')).to.equal(undefined);
    expect(choose('container', '__proto__')).to.equal(undefined);
  });

  it('the whole program when there are no command bundles (postroj)', () => {
    expect(bundleWord(['--version'], () => false)).to.equal(undefined);
    expect(bundleWord(['pkgprobe', '--image', 'x'], () => false)).to.equal(undefined);
  });
});
