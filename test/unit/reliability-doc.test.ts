/**
 * Issue 22: doc/reliability.md names the test behind each guarantee. Every test file it cites
 * exists, and every test title it quotes after a file ("Proved by `file` ("title", …)") is a
 * title in that file, so a renamed or deleted test cannot leave a guarantee claimed by nothing.
 */
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../helpers/cli.js';

const WILD = Symbol('wild');

/** Test and suite titles as written: a literal, or a template whose ${…} parts stand for short values. */
function titlesIn(source: string): (string | typeof WILD)[][] {
  const found: (string | typeof WILD)[][] = [];
  for (const m of source.matchAll(/\b(?:it|describe)\(\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|`((?:[^`\\]|\\.)*)`)/g)) {
    const raw = (m[1] ?? m[2] ?? m[3]!).replace(/\\(.)/g, '$1');
    const tokens: (string | typeof WILD)[] = [];
    for (const part of m[3] !== undefined ? raw.split(/(\$\{[^}]*\})/) : [raw]) {
      if (part.startsWith('${')) tokens.push(WILD);
      else tokens.push(...part.split(''));
    }
    found.push(tokens);
  }
  return found;
}

/** What a ${…} in a title stands for: a short value ('SIGHUP', 'boot mode', 'write:repositories.json'), never a sentence. */
const WILD_MAX = 32;
const WILD_SPACES = 1;

/** Whether `quoted` is a piece of some title the template can produce. */
function pieceOf(quoted: string, tokens: (string | typeof WILD)[]): boolean {
  // States: token index, characters and spaces the wildcard at that index has taken, and
  // whether any character so far matched the title's own text (a quote all wildcard proves nothing).
  type State = `${number}:${number}:${number}:${0 | 1}`;
  const close = (states: Set<State>) => {
    for (const s of [...states]) {
      const [i, , , own] = s.split(':').map(Number) as [number, number, number, 0 | 1];
      for (let j = i; tokens[j] === WILD; j++) states.add(`${j + 1}:0:0:${own}`);
    }
    return states;
  };
  let states = close(new Set(tokens.map((_, i): State => `${i}:0:0:0`)));
  for (const c of quoted) {
    const next = new Set<State>();
    for (const s of states) {
      const [i, taken, spaces, own] = s.split(':').map(Number) as [number, number, number, 0 | 1];
      if (tokens[i] === WILD) {
        const sp = spaces + (c === ' ' ? 1 : 0);
        if (taken < WILD_MAX && sp <= WILD_SPACES) next.add(`${i}:${taken + 1}:${sp}:${own}`);
      } else if (tokens[i] === c) next.add(`${i + 1}:0:0:1`);
    }
    states = close(next);
    if (!states.size) return false;
  }
  return [...states].some((s) => s.endsWith(':1'));
}

const squash = (s: string) => s.replace(/\s+/g, ' ');

describe('doc/reliability.md cites tests that exist', () => {
  const doc = readFileSync(path.join(repoRoot, 'doc/reliability.md'), 'utf8');

  it('every test file it names exists', () => {
    const files = [...new Set([...doc.matchAll(/`(test\/[\w/.-]+\.test\.ts)`/g)].map((m) => m[1]!))];
    expect(files.length).to.be.greaterThan(10);
    expect(files.filter((f) => !existsSync(path.join(repoRoot, f)))).to.deep.equal([]);
  });

  it('every test title it quotes after a file is a title in that file', () => {
    const cited: [string, string][] = [];
    for (const m of doc.matchAll(/`(test\/[\w/.-]+\.test\.ts)`\s*\(((?:[^()]|\([^()]*\))*)\)/g)) {
      for (const t of m[2]!.matchAll(/"([^"]+)"/g)) cited.push([m[1]!, squash(t[1]!)]);
    }
    expect(cited.length).to.be.greaterThan(10);
    const missing = cited.filter(([file, quoted]) => {
      const titles = titlesIn(readFileSync(path.join(repoRoot, file), 'utf8')).map((t) => t.map((x) => (x === WILD ? x : squash(x))));
      return !titles.some((t) => pieceOf(quoted, t));
    });
    expect(missing).to.deep.equal([]);
  });

  it('the matcher itself: a piece of a literal or template title, and not a title that is not there', () => {
    const [literal] = titlesIn("it('a pull killed with SIGKILL half-way', () => {})");
    const [template] = titlesIn('it(`${signal} to racker run --rm: exit ${code} (${mode})`, async () => {})');
    expect(pieceOf('killed with SIGKILL', literal!)).to.equal(true);
    expect(pieceOf('killed by SIGKILL', literal!)).to.equal(false);
    expect(pieceOf('SIGHUP to racker run --rm', template!)).to.equal(true);
    expect(pieceOf('SIGHUP to racker start', template!)).to.equal(false);
  });
});
