import { expect } from 'chai';
import { filterImageRows } from '../../lib/image/list-filter.js';
import type { ImageRow } from '../../lib/image/list.js';
import { throwsMessage } from '../helpers/assert.js';

describe('images --filter (issue 23 item 9)', () => {
  const row = (repository: string, tag: string, id: string, created: string, labels: Record<string, string> = {}): ImageRow =>
    ({ repository, tag, id: `sha256:${id.repeat(64 / id.length)}`, created, size: 1, record: { config: { Labels: labels } } }) as unknown as ImageRow;
  const rows = [
    row('old', 'latest', 'a', '2024-01-01T00:00:00Z', { team: 'x' }),
    row('mid', '1', 'b', '2024-02-01T00:00:00Z', { team: 'y', solo: '' }),
    row('<none>', '<none>', 'c', '2024-03-01T00:00:00Z'),
    row('new', 'latest', 'd', '2024-04-01T00:00:00Z'),
  ];
  const names = (...f: string[]) => filterImageRows(rows, f).map((r) => r.repository);

  it('before= and since= compare with the named image (REPOSITORY[:TAG] or an ID prefix)', () => {
    expect(names('before=mid:1')).to.deep.equal(['old']);
    expect(names('since=mid:1')).to.deep.equal(['<none>', 'new']);
    expect(names('since=old', 'before=dddd')).to.deep.equal(['mid', '<none>']);
    expect(throwsMessage(() => names('before=nothing'))).to.equal('No such image: nothing');
  });

  it('dangling=, label=KEY and label=KEY=VALUE, reference= globs; one key alternatives, keys all', () => {
    expect(names('dangling=true')).to.deep.equal(['<none>']);
    expect(names('dangling=false')).to.deep.equal(['old', 'mid', 'new']);
    expect(names('label=team')).to.deep.equal(['old', 'mid']);
    expect(names('label=team=y')).to.deep.equal(['mid']);
    expect(names('label=team=x', 'label=solo')).to.deep.equal(['old', 'mid']);
    expect(names('reference=n*')).to.deep.equal(['new']);
    expect(names('reference=*', 'label=team')).to.deep.equal(['old', 'mid']);
  });

  it('refuses an unknown key or a bad dangling value', () => {
    expect(throwsMessage(() => names('color=red'))).to.equal("invalid filter 'color=red' (racker supports dangling, label, before, since, reference)");
    expect(throwsMessage(() => names('dangling=maybe'))).to.equal("invalid filter 'dangling=maybe': true or false");
  });
});
