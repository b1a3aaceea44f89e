/** redact(): what racker shows of a command line or a log line never holds a secret it was given. */
import { expect } from 'chai';
import { redact } from '../../lib/exec/run.js';

describe('redact (lib/exec/run.ts)', () => {
  it('every occurrence of every secret becomes ***', () => {
    expect(redact('skopeo copy --src-creds alice:s3cret docker://x s3cret', ['alice:s3cret', 's3cret'])).to.equal('skopeo copy --src-creds *** docker://x ***');
  });

  it('a secret that contains regular-expression characters is matched literally', () => {
    expect(redact('pw=a.b*c+(d) and a_b_c', ['a.b*c+(d)'])).to.equal('pw=*** and a_b_c');
  });

  it('no secrets, or an empty one, changes nothing (an empty string would match everywhere)', () => {
    expect(redact('plain text')).to.equal('plain text');
    expect(redact('plain text', [''])).to.equal('plain text');
  });

  it('a secret inside another (a password inside user:password) never leaves the rest of the longer one behind', () => {
    expect(redact('token=abcdef', ['abcdef', 'abc'])).to.equal('token=***');
    expect(redact('token=abcdef', ['abc', 'abcdef'])).to.equal('token=***');
  });
});
