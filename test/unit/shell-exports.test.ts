import { expect } from 'chai';
import { binLauncher, execQuote, hostDesktopEntry, matchingExports, shQuote } from '../../lib/shell/exports.js';
import { isShellOf } from '../../lib/shell/list.js';
import type { ContainerRecord } from '../../lib/container/record.js';

const target = { pet: 'shell-alice-debian-bookworm', image: 'debian-bookworm', owner: { uid: 1000, gid: 1000, home: '/home/alice' } };

describe('racker shell exports (lib/shell/exports.ts)', () => {
  it('a desktop entry: every Exec through racker shell, names say where, TryExec and D-Bus activation gone, the mark added, the icon replaced', () => {
    const entry = [
      '[Desktop Entry]',
      'Type=Application',
      'Name=Text Editor',
      'Name[de]=Texteditor',
      'GenericName=Editor',
      'Exec=gedit %U',
      'TryExec=gedit',
      'DBusActivatable=true',
      'Icon=org.gnome.gedit',
      'Actions=new-window;',
      '',
      '[Desktop Action new-window]',
      'Name=New Window',
      'Exec=gedit --new-window',
      '',
    ].join('\n');
    expect(hostDesktopEntry(entry, target, '/home/alice/.local/share/icons/racker-x.svg')).to.equal(
      [
        '[Desktop Entry]',
        'X-Racker-Shell=shell-alice-debian-bookworm',
        'Type=Application',
        'Name=Text Editor (on debian-bookworm)',
        'Name[de]=Texteditor (on debian-bookworm)',
        'GenericName=Editor',
        'Exec=racker shell debian-bookworm -- gedit %U',
        'Icon=/home/alice/.local/share/icons/racker-x.svg',
        'Actions=new-window;',
        '',
        '[Desktop Action new-window]',
        'Name=New Window',
        'Exec=racker shell debian-bookworm -- gedit --new-window',
        '',
      ].join('\n'),
    );
    // Exported twice: one mark, the icon name kept when no file was copied.
    const again = hostDesktopEntry(hostDesktopEntry('[Desktop Entry]\nIcon=gedit\nExec=gedit\n', target), target);
    expect(again.match(/X-Racker-Shell=/g)).to.have.length(1);
    expect(again).to.include('Icon=gedit\n');
  });

  it('quoting: desktop-entry Exec rules and sh rules', () => {
    expect(execQuote('registry.example:5000/team/dev:1.2')).to.equal('registry.example:5000/team/dev:1.2');
    expect(execQuote('a b"$`\\')).to.equal('"a b\\"\\$\\`\\\\"');
    expect(shQuote("it's")).to.equal(`'it'\\''s'`);
  });

  it('a program launcher runs it in the shell with its arguments, and says whose it is', () => {
    expect(binLauncher('/usr/bin/htop', target)).to.equal(
      [
        '#!/bin/sh',
        '# X-Racker-Shell=shell-alice-debian-bookworm: /usr/bin/htop in racker shell debian-bookworm (racker shell --unexport /usr/bin/htop debian-bookworm removes this)',
        'exec racker shell debian-bookworm -- /usr/bin/htop "$@"',
        '',
      ].join('\n'),
    );
  });

  it('--unexport NAME finds an app by id (with or without .desktop), a program by path or base name', () => {
    const exports = [
      { kind: 'app' as const, name: 'gedit', files: ['a'] },
      { kind: 'bin' as const, name: '/usr/bin/htop', files: ['b'] },
    ];
    expect(matchingExports(exports, 'gedit.desktop').map((e) => e.files[0])).to.deep.equal(['a']);
    expect(matchingExports(exports, 'htop').map((e) => e.files[0])).to.deep.equal(['b']);
    expect(matchingExports(exports, '/usr/bin/htop').map((e) => e.files[0])).to.deep.equal(['b']);
    expect(matchingExports(exports, 'vim')).to.deep.equal([]);
  });

  it('shell ls: a shell is one whose record names the user, or (made before records did) a booted container named shell-USER-…', () => {
    const rec = (name: string, config: Partial<ContainerRecord['config']>) => ({ name, config: { boot: true, ...config } }) as unknown as ContainerRecord;
    const user = { uid: 1000, gid: 1000, name: 'alice', home: '/home/alice' };
    expect(isShellOf(rec('x', { shell: { user } }), 1000, 'alice')).to.equal(true);
    expect(isShellOf(rec('shell-alice-debian', { shell: { user: { ...user, uid: 1001 } } }), 1000, 'alice')).to.equal(false);
    expect(isShellOf(rec('shell-alice-debian', {}), 1000, 'alice')).to.equal(true);
    expect(isShellOf(rec('shell-alicex-debian', {}), 1000, 'alice')).to.equal(false);
    expect(isShellOf(rec('shell-alice-debian', { boot: false }), 1000, 'alice')).to.equal(false);
  });
});
