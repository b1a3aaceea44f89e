/** redact(): what racker shows of a command line or a log line never holds a secret it was given. */
import { expect } from 'chai';
import { redact } from '../../lib/exec/run.js';
import { redactUrl } from '../../lib/registry/redact-url.js';

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

describe('redactUrl (lib/registry/redact-url.ts)', () => {
  it('user and password become *** and nothing', () => {
    expect(redactUrl('https://alice:s3cret@example.com/a.tar?x=1')).to.equal('https://***@example.com/a.tar?x=1');
  });

  it('a token alone in the user part goes too', () => {
    expect(redactUrl('https://ghp_token@example.com/a.tar')).to.equal('https://***@example.com/a.tar');
    expect(redactUrl('https://:s3cret@example.com/a.tar')).to.equal('https://***@example.com/a.tar');
  });

  it('a URL without credentials, and text that is no URL, stay as they are', () => {
    expect(redactUrl('https://example.com/a.tar')).to.equal('https://example.com/a.tar');
    expect(redactUrl('./rootfs.tar')).to.equal('./rootfs.tar');
  });
});
