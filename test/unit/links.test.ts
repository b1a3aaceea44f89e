import { expect } from 'chai';
import { UsageError } from '../../lib/errors.js';
import { linkEnv, parseLink } from '../../lib/container/links.js';

describe('legacy links (lib/container/links.ts)', () => {
  it('parses NAME[:ALIAS] as docker (a leading / dropped, the alias defaults to the name)', () => {
    expect(parseLink('db:mydb')).to.deep.equal({ name: 'db', alias: 'mydb' });
    expect(parseLink('/db')).to.deep.equal({ name: 'db', alias: 'db' });
    for (const bad of ['', ':x', 'a:', 'a:b:c']) expect(() => parseLink(bad), bad).to.throw(UsageError, `invalid link format: ${bad}`);
  });

  it("makes docker's variables: the first port, four per port, ranges (written after the port that ends them), the name, the environment but HOME and PATH", () => {
    const env = linkEnv('web', 'my-db', {
      address: '10.88.0.5',
      env: ['FOO=1', 'PATH=/bin', 'HOME=/root', 'EQ=a=b', 'BARE'],
      ports: [{ port: 53, protocol: 'udp' }, { port: 6001, protocol: 'tcp' }, { port: 5432, protocol: 'tcp' }, { port: 6000, protocol: 'tcp' }],
    });
    expect(env).to.deep.equal([
      'MY_DB_PORT=tcp://10.88.0.5:5432',
      'MY_DB_PORT_5432_TCP=tcp://10.88.0.5:5432',
      'MY_DB_PORT_5432_TCP_ADDR=10.88.0.5',
      'MY_DB_PORT_5432_TCP_PORT=5432',
      'MY_DB_PORT_5432_TCP_PROTO=tcp',
      'MY_DB_PORT_6000_TCP=tcp://10.88.0.5:6000',
      'MY_DB_PORT_6000_TCP_ADDR=10.88.0.5',
      'MY_DB_PORT_6000_TCP_PORT=6000',
      'MY_DB_PORT_6000_TCP_PROTO=tcp',
      'MY_DB_PORT_6001_TCP=tcp://10.88.0.5:6001',
      'MY_DB_PORT_6001_TCP_ADDR=10.88.0.5',
      'MY_DB_PORT_6001_TCP_PORT=6001',
      'MY_DB_PORT_6001_TCP_PROTO=tcp',
      'MY_DB_PORT_53_UDP=udp://10.88.0.5:53',
      'MY_DB_PORT_53_UDP_ADDR=10.88.0.5',
      'MY_DB_PORT_53_UDP_PORT=53',
      'MY_DB_PORT_53_UDP_PROTO=udp',
      'MY_DB_PORT_6000_TCP_START=tcp://10.88.0.5:6000',
      'MY_DB_PORT_6000_TCP_PORT_START=6000',
      'MY_DB_PORT_6000_TCP_END=tcp://10.88.0.5:6001',
      'MY_DB_PORT_6000_TCP_PORT_END=6001',
      'MY_DB_NAME=/web/my-db',
      'MY_DB_ENV_FOO=1',
      'MY_DB_ENV_EQ=a=b',
    ]);
  });

  it('without ports: only the name and the environment', () => {
    expect(linkEnv('c3', 'mylink1', { address: '10.88.0.2', env: ['FOO=1'], ports: [] })).to.deep.equal(['MYLINK1_NAME=/c3/mylink1', 'MYLINK1_ENV_FOO=1']);
  });
});
