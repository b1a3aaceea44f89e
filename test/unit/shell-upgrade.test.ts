import { expect } from 'chai';
import { chosenPackagesArgv, parseChosen, toReinstall, upgradeLines } from '../../lib/shell/upgrade.js';

describe('racker shell --upgrade (lib/shell/upgrade.ts)', () => {
  it('asks each family for the packages the user asked for; microdnf and yum keep no such record', () => {
    expect(chosenPackagesArgv('apt')).to.deep.equal(['apt-mark', 'showmanual']);
    expect(chosenPackagesArgv('dnf')).to.deep.equal(['dnf', '--quiet', 'repoquery', '--userinstalled', '--queryformat', '%{name}\n']);
    expect(chosenPackagesArgv('pacman')).to.deep.equal(['pacman', '-Qqe']);
    expect(chosenPackagesArgv('zypper')?.slice(-2)).to.deep.equal(['packages', '--userinstalled']);
    expect([chosenPackagesArgv('microdnf'), chosenPackagesArgv('yum')]).to.deep.equal([undefined, undefined]);
  });

  it('reads the names: one a line (dnf 4\'s blank lines and noise skipped), zypper\'s table by its name column', () => {
    expect(parseChosen('dnf', 'vim-enhanced\n\ngit\n\ngit\nLast metadata expiration check: 0:01:02 ago\n')).to.deep.equal(['git', 'vim-enhanced']);
    expect(parseChosen('apt', 'hello\nlibc6:amd64\n')).to.deep.equal(['hello', 'libc6:amd64']);
    const zypper = ['S  | Repository | Name | Version | Arch', '---+------------+------+---------+-------', 'i+ | repo-oss   | vim  | 9.1-1.1 | x86_64', 'i  | repo-oss   | less | 643-1.1 | x86_64', 'v  | repo-oss   | foo  | 1-1     | noarch'].join('\n');
    expect(parseChosen('zypper', zypper)).to.deep.equal(['less', 'vim']);
  });

  it('installs again only what the new image does not already have chosen', () => {
    expect(toReinstall(['hello', 'git', 'systemd', 'git'], ['systemd', 'curl'])).to.deep.equal(['git', 'hello']);
  });

  it('the report: what was kept, installed again, not, and what is dropped', () => {
    expect(
      upgradeLines({ name: 'shell-a-deb', from: 'aaa', to: 'bbb', family: 'apt', reinstalled: ['hello'], failed: { packages: ['gone'], why: 'E: Unable to locate package gone' }, desktop: true, reexported: ['gedit'], notReexported: ['old-app'] }),
    ).to.deep.equal([
      'upgraded shell-a-deb: aaa -> bbb',
      'kept: your home, the desktop forwarding, the exports (gedit)',
      'installed again with apt: hello',
      'not installed again: gone (E: Unable to locate package gone)',
      'not exported again (not in the new image): old-app',
      'dropped: any other change made outside your home in the old shell',
    ]);
    expect(upgradeLines({ name: 'n', from: 'a', to: 'b', reinstalled: [], packagesSkipped: 'yum keeps no record of the packages asked for', desktop: false, reexported: [], notReexported: [] }).slice(1, 3)).to.deep.equal([
      'kept: your home',
      'packages: not carried over (yum keeps no record of the packages asked for)',
    ]);
  });
});
