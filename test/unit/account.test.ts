import { expect } from 'chai';
import { invokingUser, parsePasswdLine, petName, shellWorkdir, withAccount, type Account } from '../../lib/shell/account.js';

const alice: Account = { name: 'alice', uid: 1000, gid: 1000, gecos: 'Alice,,,', home: '/home/alice', shell: '/usr/bin/zsh' };

describe('racker shell accounts', () => {
  it('parses passwd lines and refuses malformed ones', () => {
    expect(parsePasswdLine('alice:x:1000:1000:Alice,,,:/home/alice:/usr/bin/zsh\n')).to.deep.equal(alice);
    expect(parsePasswdLine('alice:x:1000')).to.equal(undefined);
    expect(parsePasswdLine('alice:x:a:1000:::/bin/sh')).to.equal(undefined);
  });

  it('takes SUDO_USER, else the current uid; root as SUDO_USER means root', async () => {
    const asked: string[] = [];
    const lookup = async (key: string) => {
      asked.push(key);
      return key === 'alice' ? 'alice:x:1000:1000:Alice,,,:/home/alice:/usr/bin/zsh' : key === '0' ? 'root:x:0:0:root:/root:/bin/bash' : undefined;
    };
    expect((await invokingUser({ SUDO_USER: 'alice' }, 0, lookup)).uid).to.equal(1000);
    expect((await invokingUser({}, 0, lookup)).name).to.equal('root');
    expect((await invokingUser({ SUDO_USER: 'root' }, 0, lookup)).name).to.equal('root');
    expect(asked).to.deep.equal(['alice', '0', '0']);
    await invokingUser({ SUDO_USER: 'ghost' }, 0, lookup).then(
      () => expect.fail('resolved'),
      (err: Error) => expect(err.message).to.equal('cannot find the account of user ghost on this host (getent passwd ghost)'),
    );
  });

  it('names the pet container after user and image, in docker name characters', () => {
    expect(petName('alice', 'debian-bookworm')).to.equal('shell-alice-debian-bookworm');
    expect(petName('alice', '127.0.0.1:5000/library/debian:bookworm')).to.equal('shell-alice-127.0.0.1-5000-library-debian-bookworm');
    expect(petName('a', 'x'.repeat(300))).to.have.length(128);
  });

  it('keeps the working directory only under home', () => {
    expect(shellWorkdir('/home/alice/src/app', '/home/alice')).to.equal('/home/alice/src/app');
    expect(shellWorkdir('/home/alice', '/home/alice')).to.equal('/home/alice');
    expect(shellWorkdir('/home/alice2', '/home/alice')).to.equal('/home/alice');
    expect(shellWorkdir('/tmp', '/home/alice')).to.equal('/home/alice');
  });

  describe('withAccount', () => {
    const image = {
      passwd: 'root:x:0:0:root:/root:/bin/bash\nubuntu:x:1000:1000:Ubuntu:/home/ubuntu:/bin/bash\n',
      group: 'root:x:0:\nubuntu:x:1000:\n',
      shadow: 'root:*:19000:0:99999:7:::\nubuntu:!:19000:0:99999:7:::\n',
    };

    it('adds the account; an image account with the same uid gives way', () => {
      const r = withAccount(image, alice, '/bin/bash');
      expect(r.passwd).to.equal('root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n');
      // gid 1000 exists as "ubuntu": kept, only the number matters.
      expect(r.group).to.equal(image.group);
      expect(r.shadow).to.equal('root:*:19000:0:99999:7:::\nubuntu:!:19000:0:99999:7:::\nalice:!:::::::\n');
    });

    it('adds a group named after the user when the gid is free', () => {
      const r = withAccount({ passwd: 'root:x:0:0:root:/root:/bin/bash\n', group: 'root:x:0:\n' }, alice, '/bin/sh');
      expect(r.group).to.equal('root:x:0:\nalice:x:1000:\n');
      expect(r.shadow).to.equal(undefined);
    });

    it('is idempotent: a second pass changes nothing', () => {
      const once = withAccount(image, alice, '/bin/bash');
      const twice = withAccount(once, alice, '/bin/bash');
      expect(twice).to.deep.equal(once);
      expect(twice.passwd).to.equal(once.passwd);
    });

    it('replaces an older entry of the same name (changed shell)', () => {
      const once = withAccount(image, alice, '/bin/sh');
      expect(withAccount(once, alice, '/bin/bash').passwd.split('\n').filter((l) => l.startsWith('alice:'))).to.deep.equal([
        'alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash',
      ]);
    });
  });
});
