/** The Engine API's status for an error comes from its kind (lib/errors.ts), never from its wording. */
import { expect } from 'chai';
import {
  CommandError, ConflictError, ForbiddenError, MissingToolError, NotFoundError, PermissionError, RackerError, TestbedError, UsageError,
} from '../../lib/errors.js';
import { ApiError, messageOf, statusOf } from '../../lib/api/errors.js';

describe('Engine API statuses (lib/api/errors.ts)', () => {
  it('each kind has its status, as dockerd answers', () => {
    const cases: [unknown, number][] = [
      [new ApiError(418, 'chosen by the handler'), 418],
      [new NotFoundError('No such container: x'), 404],
      [new UsageError('invalid reference format'), 400],
      [new PermissionError('racker must run as root'), 403],
      [new ForbiddenError('bridge is a pre-defined network and cannot be removed'), 403],
      [new ConflictError('Conflict. The container name "/a" is already in use'), 409],
      [new RackerError('the command was not found', { exitCode: 127 }), 400],
      [new RackerError('permission denied running it', { exitCode: 126 }), 400],
      [new TestbedError('no overlayfs'), 500],
      [new MissingToolError('skopeo', 'skopeo'), 500],
      [new CommandError(['umoci', 'unpack'], 1, undefined, 'broken'), 500],
      [new Error('a bug'), 500],
      ['not even an Error', 500],
    ];
    expect(cases.map(([err]) => statusOf(err))).to.deep.equal(cases.map(([, status]) => status));
  });

  it('a reworded conflict is still 409, and a message that merely sounds like one is not', () => {
    expect(statusOf(new ConflictError('that name is taken'))).to.equal(409);
    expect(statusOf(new RackerError('conflict: Conflict. is already in use, container is running, is not running, is paused'))).to.equal(500);
  });

  it('the message carries the hint, as one line', () => {
    expect(messageOf(new MissingToolError('skopeo', 'skopeo'))).to.equal('skopeo is not installed (install it with: apt-get install skopeo)');
    expect(messageOf(new ConflictError('x is running'))).to.equal('x is running');
    expect(messageOf('plain')).to.equal('plain');
  });
});
