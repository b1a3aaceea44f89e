/**
 * Issue 23 item 8: docker's --format templates, checked against the examples of docker's
 * "Format command and log output" page and the ps, images and inspect references.
 */
import { expect } from 'chai';
import { alignColumns, parseTemplate, renderRows, renderTemplate } from '../../lib/format/template.js';
import { throwsMessage } from '../helpers/assert.js';

const container = {
  Id: 'abc123',
  Name: '/web',
  Args: ['-g', 'daemon off;'],
  State: { Status: 'running', Running: true, Pid: 4242, ExitCode: 0 },
  Config: { Env: ['A=1', 'B=2'], Labels: { 'com.example.vendor': 'ACME', empty: '' }, Cmd: null },
  Mounts: [
    { Source: '/srv/a', Destination: '/a' },
    { Source: '/srv/b', Destination: '/b' },
  ],
  NetworkSettings: { Networks: { bridge: { IPAddress: '172.17.0.2' } } },
};

describe('--format templates (Go text/template, as docker uses it)', () => {
  const t = (format: string, value: unknown = container) => renderTemplate(format, value);

  it('fields, nested fields, . and a missing field', () => {
    expect(t('{{.State.Status}}')).to.equal('running');
    expect(t('{{.State.Pid}} {{.State.Running}}')).to.equal('4242 true');
    expect(t('{{.Nope}}|{{.Config.Cmd}}')).to.equal('<no value>|<no value>');
    expect(t('{{.}}', 'x')).to.equal('x');
    expect(t('{{.Args}}')).to.equal('[-g daemon off;]');
    expect(t('{{.Config.Labels}}')).to.equal('map[com.example.vendor:ACME empty:]');
  });

  it("docker's functions: json, join, split, upper, lower, title, println, truncate, pad", () => {
    expect(t('{{json .Mounts}}')).to.equal('[{"Source":"/srv/a","Destination":"/a"},{"Source":"/srv/b","Destination":"/b"}]');
    expect(t('{{json .Config.Cmd}}')).to.equal('null');
    expect(t('{{json "<a&b>"}}')).to.equal('"\\u003ca\\u0026b\\u003e"');
    expect(t('{{join .Args ", "}}')).to.equal('-g, daemon off;');
    expect(t('{{split "docker:latest" ":"}}')).to.equal('[docker latest]');
    expect(t('{{upper .State.Status}} {{lower "ABC"}} {{title "hello racker world"}}')).to.equal('RUNNING abc Hello Racker World');
    expect(t('{{println .Name}}{{println "a" "b"}}')).to.equal('/web\na b\n');
    expect(t('{{truncate .Id 3}}|{{pad .Name 1 2}}|')).to.equal('abc| /web  |');
  });

  it('pipelines, Go built-ins, if/else if/else, range, with, index, len, comments, trimming', () => {
    expect(t('{{.Name | upper}}')).to.equal('/WEB');
    expect(t('{{index .Config.Labels "com.example.vendor"}}')).to.equal('ACME');
    expect(t('{{len .Mounts}} {{len .Config.Env}}')).to.equal('2 2');
    expect(t('{{range .Mounts}}{{.Source}}:{{.Destination}} {{end}}')).to.equal('/srv/a:/a /srv/b:/b ');
    expect(t('{{range .Config.Cmd}}x{{else}}none{{end}}')).to.equal('none');
    expect(t('{{range $.NetworkSettings.Networks}}{{.IPAddress}}{{end}}')).to.equal('172.17.0.2');
    expect(t('{{if .State.Running}}up{{else}}down{{end}}')).to.equal('up');
    expect(t('{{if eq .State.Status "exited"}}gone{{else if eq .State.Status "running"}}here{{else}}?{{end}}')).to.equal('here');
    expect(t('{{if and .State.Running .State.Pid}}both{{end}}{{if or .Nope .Name}}-{{or .Nope .Name}}{{end}}{{if not .Nope}}!{{end}}')).to.equal('both-/web!');
    expect(t('{{with .State}}{{.Status}}{{end}}{{with .Nope}}x{{else}}-{{end}}')).to.equal('running-');
    expect(t('{{printf "%s=%d" .Name .State.Pid}}')).to.equal('/web=4242');
    expect(t('{{/* a comment */}}a {{- " b" -}}  c')).to.equal('a bc');
    expect(t('{{.Name}}\\t{{.Id}}')).to.equal('/web\tabc123');
  });

  it('errors are one line: an unknown function, an unclosed action, a missing end', () => {
    expect(throwsMessage(() => parseTemplate('{{nope .Name}}'))).to.equal('template parsing error: function "nope" not defined');
    expect(throwsMessage(() => parseTemplate('{{.Name'))).to.equal('template parsing error: unclosed action in "{{.Name"');
    expect(throwsMessage(() => parseTemplate('{{if .X}}a'))).to.equal('template parsing error: unexpected EOF: missing {{end}}');
    expect(throwsMessage(() => parseTemplate('{{end}}'))).to.equal('template parsing error: unexpected {{end}}');
  });

  it("table: docker's headers, columns aligned at tabs (as wide as the widest cell plus 3, at least 10)", () => {
    const rows = [
      { ID: 'a1b2c3d4e5f6', Names: 'web', Status: 'Up 2 minutes' },
      { ID: '0123456789ab', Names: 'database-primary', Status: 'Exited (0) 1 hour ago' },
    ];
    expect(renderRows('table {{.ID}}\\t{{.Names}}\\t{{.Status}}', rows, { ID: 'CONTAINER ID', Names: 'NAMES', Status: 'STATUS' })).to.equal(
      [
        'CONTAINER ID   NAMES              STATUS',
        'a1b2c3d4e5f6   web                Up 2 minutes',
        '0123456789ab   database-primary   Exited (0) 1 hour ago',
        '',
      ].join('\n'),
    );
    expect(renderRows('{{.Names}}', rows, {})).to.equal('web\ndatabase-primary\n');
    expect(renderRows('table {{.Unknown}}', rows.slice(0, 1), {})).to.equal('UNKNOWN\n<no value>\n');
    expect(alignColumns(['a\tb', 'ccc\td'])).to.equal('a         b\nccc       d\n');
  });

  it('a parenthesized pipeline as an argument or with fields after it (docker inspect of a network\'s address)', () => {
    const c = { NetworkSettings: { Networks: { 'my-net': { IPAddress: '10.90.0.2', Aliases: ['a', 'b'] } } } };
    expect(renderTemplate('{{(index .NetworkSettings.Networks "my-net").IPAddress}}', c)).to.equal('10.90.0.2');
    expect(renderTemplate('{{len (index .NetworkSettings.Networks "my-net").Aliases}}', c)).to.equal('2');
    expect(renderTemplate('{{join (index .NetworkSettings.Networks "my-net").Aliases ","}}', c)).to.equal('a,b');
    expect(renderTemplate('{{(index .NetworkSettings.Networks "other").IPAddress}}', c)).to.equal('<no value>');
    expect(() => renderTemplate('{{(index .NetworkSettings.Networks}}', c)).to.throw('template parsing error: unclosed left paren in {{(index .NetworkSettings.Networks}}');
  });
});
