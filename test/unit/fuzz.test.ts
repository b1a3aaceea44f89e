import { expect } from 'chai';
import fc from 'fast-check';
import { splitAtFirstPositional } from '../../cli/trailing.js';
import { runValueOptions } from '../../cli/commands/run.js';
import { UsageError } from '../../lib/errors.js';
import { formatReference, parseReference } from '../../lib/registry/reference.js';
import { parseEnvFile, parseVolume } from '../../lib/container/spec.js';

// Generated input: no crash, only clean UsageErrors; what parses round-trips.
const refChars = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCZ0123456789._-/:@'.split(''), ';', '$', '`', ' ', '\n', '\0', '..');
const refLike = fc.array(refChars, { maxLength: 80 }).map((a) => a.join(''));

describe('fuzz (property-based)', () => {
  it('parseReference: a reference or a UsageError, nothing else; canonical form is a fixed point', () => {
    fc.assert(
      fc.property(fc.oneof(refLike, fc.string({ maxLength: 300 })), (input) => {
        let ref;
        try {
          ref = parseReference(input);
        } catch (err) {
          expect(err).to.be.instanceOf(UsageError);
          expect((err as Error).message).to.match(/^invalid reference format|repository name|invalid/);
          return;
        }
        const canonical = formatReference(ref);
        expect(formatReference(parseReference(canonical))).to.equal(canonical);
        expect(canonical).not.to.match(/[\s;$`\0]/);
      }),
      { numRuns: 3000 },
    );
  });

  it('the run/exec argv split never loses or invents a token', () => {
    const token = fc.oneof(fc.constantFrom('-e', '--env', '-it', '--rm', '-v', '--name=x', '--', '-', '-eA=1', 'img', 'ls', '-la'), fc.string({ maxLength: 12 }));
    fc.assert(
      fc.property(fc.array(token, { maxLength: 20 }), (args) => {
        const { options, trailing } = splitAtFirstPositional(args, runValueOptions);
        const rebuilt = [...options, ...(trailing.target !== undefined ? [trailing.target] : []), ...trailing.command];
        // Options are a prefix of argv; only a `--` right after them may be dropped.
        expect(options).to.deep.equal(args.slice(0, options.length));
        const separator = args[options.length] === '--';
        expect(rebuilt).to.deep.equal(separator ? [...options, ...args.slice(options.length + 1)] : args);
      }),
      { numRuns: 3000 },
    );
  });

  it('env files and -v specs: parsed or a UsageError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        for (const fn of [() => parseEnvFile(text, 'f'), () => parseVolume(text)]) {
          try {
            fn();
          } catch (err) {
            expect(err).to.be.instanceOf(UsageError);
          }
        }
      }),
      { numRuns: 3000 },
    );
  });
});
