/** Issue 23 item 6: `ps --filter` as docker has it. */
import { expect } from 'chai';
import type { ContainerRecord } from '../../lib/container/record.js';
import { matchesFilter, validateFilters } from '../../lib/container/view.js';
import { throwsMessage } from '../helpers/assert.js';

function exited(name: string, imageName = 'debian:12'): ContainerRecord {
  return {
    id: `${name.charCodeAt(0).toString(16)}`.padEnd(64, '0'),
    name,
    created: '2026-01-01T00:00:00Z',
    image: { id: 'sha256:abc', name: imageName },
    config: { imageName, imageId: 'sha256:abc', command: [], env: [], hostname: name, tty: false, interactive: false, binds: [], network: 'host', boot: true, autoRemove: false },
    state: { status: 'exited', exitCode: 0 },
  };
}

describe('ps --filter (issue 23 item 6)', () => {
  const [web, db, webby] = [exited('web'), exited('db', 'postgres:16'), exited('webby')];
  const names = (filters: string[]) => [web, db, webby].filter((r) => matchesFilter(r, filters)).map((r) => r.name);

  it('filters of one key are alternatives; different keys must all match', () => {
    expect(names(['name=web', 'name=db'])).to.deep.equal(['web', 'db', 'webby']);
    expect(names(['name=^web$', 'name=^db$'])).to.deep.equal(['web', 'db']);
    expect(names(['name=^db$', 'ancestor=debian:12'])).to.deep.equal([]);
    expect(names(['status=exited', 'status=running'])).to.deep.equal(['web', 'db', 'webby']);
    expect(names(['status=running'])).to.deep.equal([]);
  });

  it('name= is a regular expression, matched against the name with its leading / too', () => {
    expect(names(['name=^/we'])).to.deep.equal(['web', 'webby']);
    expect(names(['name=b$'])).to.deep.equal(['web', 'db']);
  });

  it('an unknown state, key or a broken expression is an error, not an empty list', () => {
    expect(throwsMessage(() => validateFilters(['status=bogus']))).to.equal("invalid filter 'status=bogus': one of created, restarting, running, removing, paused, exited, dead");
    expect(throwsMessage(() => validateFilters(['colour=red']))).to.equal("invalid filter 'colour=red'");
    expect(throwsMessage(() => validateFilters(['name']))).to.equal("invalid filter 'name'");
    expect(throwsMessage(() => validateFilters(['name=(']))).to.equal("invalid filter 'name=(': not a regular expression");
    validateFilters(['name=a', 'status=created', 'id=ab', 'ancestor=x']);
  });
});
