import { expect } from 'chai';
import { anonymousVolumesFrom } from '../../lib/api/config-volumes.js';
import { ApiError } from '../../lib/api/errors.js';

describe('Engine API: Config.Volumes as anonymous volumes', () => {
  it('one per path, unless a bind or mount already serves it', () => {
    expect(anonymousVolumesFrom({ '/vol1': {}, '/data/': {}, '/etc/x': {} }, ['/host:/etc/x:ro', 'named:/other'])).to.deep.equal(['/vol1', '/data']);
    expect(anonymousVolumesFrom({ '/a': {} }, ['/a'])).to.deep.equal([]);
    expect(anonymousVolumesFrom(undefined, [])).to.deep.equal([]);
    expect(anonymousVolumesFrom(null, [])).to.deep.equal([]);
  });

  it('refuses what is not a container path: 400', () => {
    for (const bad of [['x'], { rel: {} }, { '/': {} }, { '/a:/b': {} }]) {
      expect(() => anonymousVolumesFrom(bad, []), JSON.stringify(bad)).to.throw(ApiError).with.property('status', 400);
    }
  });
});
