import { expect } from 'chai';
import { throwsMessage } from '../helpers/assert.js';
import { mismatch, parseCurlResponse, statusMatches, validateExpectations } from '../../probes/network.js';
import { classifyPackage, downloadName, installFileArgv } from '../../probes/package.js';
import { familyFromOsRelease } from '../../lib/container/family.js';
import { junitXml, summaryText, SYMBOLS, type ImageReport } from '../../lib/postroj/report.js';
import { validateSpec } from '../../lib/postroj/pkgprobe.js';

describe('HTTP probe logic', () => {
  it('parses curl -i output, taking the last header block after redirects', () => {
    const text = 'HTTP/1.1 302 Found\r\nLocation: /login\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-A: b: c\r\n\r\n<h1>hi</h1>\n';
    expect(parseCurlResponse(text)).to.deep.equal({ status: 200, headers: { 'content-type': 'text/html', 'x-a': 'b: c' }, body: '<h1>hi</h1>\n' });
    expect(parseCurlResponse('HTTP/2 302 \r\nlocation: /login\r\n\r\n')).to.deep.equal({ status: 302, headers: { location: '/login' }, body: '' });
    expect(throwsMessage(() => parseCurlResponse('garbage'))).to.equal('not an HTTP answer: "garbage"');
  });

  it('matches status specs', () => {
    expect(statusMatches(undefined, 200)).to.equal(true);
    expect(statusMatches(undefined, 302)).to.equal(true);
    expect(statusMatches(undefined, 404)).to.equal(false);
    expect(statusMatches('302', 302)).to.equal(true);
    expect(statusMatches('200', 302)).to.equal(false);
    expect(statusMatches('2xx', 204)).to.equal(true);
    expect(statusMatches('200,302', 302)).to.equal(true);
    expect(statusMatches('4xx|500', 500)).to.equal(true);
  });

  it('says what is wrong with an answer', () => {
    const a = { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: 'Welcome to nginx!' };
    expect(mismatch(a, {})).to.equal(undefined);
    expect(mismatch(a, { body: 'Welcome to \\w+', headers: ['Content-Type: ^text/html'] })).to.equal(undefined);
    expect(mismatch(a, { status: '302' })).to.equal('status 200, expected 302');
    expect(mismatch({ ...a, status: 404 }, {})).to.equal('status 404, expected 2xx or 3xx');
    expect(mismatch(a, { body: 'Grafana' })).to.equal('body does not match /Grafana/');
    expect(mismatch(a, { headers: ['Location: /login'] })).to.equal('no header location');
    expect(mismatch(a, { headers: ['Content-Type: json'] })).to.equal('header content-type: text/html; charset=utf-8 does not match /json/');
  });

  it('refuses bad expectations up front', () => {
    expect(throwsMessage(() => validateExpectations({ status: '99x' }))).to.equal('invalid --expect-status "99x": use e.g. 200, 2xx or 200,302');
    expect(throwsMessage(() => validateExpectations({ headers: ['NoColon'] }))).to.equal(`invalid --expect-header "NoColon": use 'Name: regex'`);
    expect(throwsMessage(() => validateExpectations({ body: '(' }))).to.match(/^invalid regular expression: /);
    validateExpectations({ status: '200,3xx', body: 'x', headers: ['A: b'] });
  });
});

describe('package probe logic', () => {
  it('classifies a spec as URL, file or repository name', () => {
    expect(classifyPackage('nginx')).to.deep.equal({ kind: 'name', name: 'nginx' });
    expect(classifyPackage('https://example.org/x_1.0_amd64.deb')).to.deep.equal({ kind: 'url', url: 'https://example.org/x_1.0_amd64.deb' });
    expect(classifyPackage('/etc/hostname')).to.deep.equal({ kind: 'file', path: '/etc/hostname' });
    expect(throwsMessage(() => classifyPackage('./dist/nope_1.2_amd64.deb'))).to.equal('package file not found: ./dist/nope_1.2_amd64.deb');
    expect(throwsMessage(() => classifyPackage('nope.rpm'))).to.equal('package file not found: nope.rpm');
  });

  it('a downloaded package keeps its decoded name, never a path out of the download directory', () => {
    expect(downloadName('https://example.org/pool/x_1.0%2Bb1_amd64.deb')).to.equal('x_1.0+b1_amd64.deb');
    // path.join(tmp, "/../../etc/passwd") was /etc/passwd: the download overwrote it.
    expect(downloadName('https://evil.example/%2F..%2F..%2Fetc%2Fpasswd')).to.equal('_.._.._etc_passwd');
    expect(downloadName('https://evil.example/..')).to.equal('package');
    expect(downloadName('https://evil.example/%2E%2E')).to.equal('package');
    expect(downloadName('https://example.org/')).to.equal('package');
    expect(downloadName('https://example.org/bad%zz.deb')).to.equal('bad%zz.deb');
  });

  it('installs package files with each family’s own tool', () => {
    expect(installFileArgv('apt', '/var/tmp/postroj-x.deb')).to.deep.equal([
      ['apt-get', 'update'],
      ['apt-get', 'install', '-y', '--no-install-recommends', '/var/tmp/postroj-x.deb'],
    ]);
    expect(installFileArgv('dnf', '/var/tmp/x.rpm')).to.deep.equal([['dnf', 'install', '-y', '--setopt=install_weak_deps=False', '/var/tmp/x.rpm']]);
    expect(installFileArgv('zypper', '/var/tmp/x.rpm')).to.deep.equal([['zypper', '--non-interactive', 'install', '--allow-unsigned-rpm', '/var/tmp/x.rpm']]);
    expect(installFileArgv('pacman', '/var/tmp/x.pkg.tar.zst')).to.deep.equal([['pacman', '-U', '--noconfirm', '/var/tmp/x.pkg.tar.zst']]);
  });

  it('tells the family from os-release', () => {
    const none = () => false;
    expect(familyFromOsRelease('ID=debian\n', none)).to.equal('apt');
    expect(familyFromOsRelease('ID=linuxmint\nID_LIKE="ubuntu debian"\n', none)).to.equal('apt');
    expect(familyFromOsRelease('ID="opensuse-leap"\nID_LIKE="suse opensuse"\n', none)).to.equal('zypper');
    expect(familyFromOsRelease('ID=arch\n', none)).to.equal('pacman');
    expect(familyFromOsRelease('ID="rocky"\nID_LIKE="rhel centos fedora"\n', (t) => t === 'dnf')).to.equal('dnf');
    expect(familyFromOsRelease('ID="rhel"\n', (t) => t === 'microdnf')).to.equal('microdnf');
    expect(familyFromOsRelease('ID="amzn"\nVERSION_ID="2"\n', none)).to.equal('yum');
    expect(familyFromOsRelease('ID=alpine\n', none)).to.equal(undefined);
  });

  it('validates a whole spec before starting a machine', () => {
    const spec = { packages: [], units: [], network: ['ftp://x'], commands: [], http: {}, timeoutMs: 1, bootTimeoutSeconds: 1 };
    expect(throwsMessage(() => validateSpec(spec))).to.equal('invalid --check-network "ftp://x": use http(s)://… or tcp://HOST:PORT');
  });
});

describe('probe reports', () => {
  const reports: ImageReport[] = [
    {
      image: 'debian-bookworm',
      ok: false,
      durationMs: 12_345,
      probes: [
        { name: 'package nginx', ok: true, durationMs: 6900, evidence: '$ apt-get install → 0' },
        { name: 'http http://localhost/', ok: false, durationMs: 2000, evidence: 'status 404, expected 2xx or 3xx\n<a & b>' },
      ],
    },
    { image: 'fedora-43', ok: false, durationMs: 100, probes: [], error: 'cannot reach registry docker.io' },
  ];

  it('text summary ends with the plain count line', () => {
    expect(summaryText(reports)).to.equal(
      [
        'FAIL debian-bookworm (12.3 s)',
        '  ok   package nginx (6.9 s)',
        '  FAIL http http://localhost/ (2.0 s)',
        '       status 404, expected 2xx or 3xx',
        '       <a & b>',
        'FAIL fedora-43 (0.1 s)',
        '  error: cannot reach registry docker.io',
        '1 passed, 2 failed',
        '',
      ].join('\n'),
    );
  });

  it('✓/✗ marks for a terminal', () => {
    expect(summaryText([reports[0]!], SYMBOLS).split('\n').slice(0, 3)).to.deep.equal([
      '✗ debian-bookworm (12.3 s)',
      '  ✓ package nginx (6.9 s)',
      '  ✗ http http://localhost/ (2.0 s)',
    ]);
  });

  it('JUnit XML: a suite per image, a case per probe, escaped', () => {
    expect(junitXml(reports)).to.equal(
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<testsuites name="postroj" tests="3" failures="2">',
        '  <testsuite name="debian-bookworm" tests="2" failures="1" time="12.345">',
        '    <testcase classname="debian-bookworm" name="package nginx" time="6.900"/>',
        '    <testcase classname="debian-bookworm" name="http http://localhost/" time="2.000"><failure message="status 404, expected 2xx or 3xx">status 404, expected 2xx or 3xx\n&lt;a &amp; b&gt;</failure></testcase>',
        '  </testsuite>',
        '  <testsuite name="fedora-43" tests="1" failures="1" time="0.100">',
        '    <testcase classname="fedora-43" name="start machine" time="0"><failure message="cannot reach registry docker.io"/></testcase>',
        '  </testsuite>',
        '</testsuites>',
        '',
      ].join('\n'),
    );
  });
});
