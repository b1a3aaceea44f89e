/**
 * Issue 22: doc/reliability.md and the tests say the same thing. Every test file the page
 * cites exists, and every test it quotes by title ("…" in the parentheses after a file) is
 * in that file: renaming or removing a test that proves a guarantee fails here until the
 * page is mended.
 */
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

/** `test/…test.ts` citations with the quoted titles that follow them in parentheses. Pure. */
export function citations(markdown: string): { file: string; titles: string[] }[] {
  const text = squash(markdown);
  const out: { file: string; titles: string[] }[] = [];
  for (const m of text.matchAll(/`(test\/[\w/-]+\.test\.ts)`( ?\()?/g)) {
    const titles: string[] = [];
    if (m[2]) {
      // The parenthesis, to its matching end (quotes may hold parentheses of their own).
      let depth = 1;
      let i = m.index! + m[0].length;
      let inQuote = false;
      const start = i;
      for (; i < text.length && depth > 0; i++) {
        const ch = text[i];
        if (ch === '"') inQuote = !inQuote;
        else if (!inQuote && ch === '(') depth++;
        else if (!inQuote && ch === ')') depth--;
      }
      for (const q of text.slice(start, i - 1).matchAll(/"([^"]+)"/g)) titles.push(q[1]!);
    }
    out.push({ file: m[1]!, titles });
  }
  return out;
}

const ANY = '\0';

/** The titles a test file gives: plain ones as they are, template ones with ANY for each `${…}`. */
function titlesIn(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/\b(?:it|describe)\(\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/g)) {
    out.push(squash(m[1] === '`' ? m[2]!.replace(/\$\{[^}]*\}/g, ANY) : m[2]!).replace(/\\(.)/g, '$1'));
  }
  return out;
}

/**
 * Whether `quote` is a piece of some title `pattern` could give (ANY stands for any text), with
 * at least 8 of its characters (all, when shorter) matched by the title's own words: a quote
 * that a placeholder alone could produce proves nothing. Pure.
 */
export function quotes(pattern: string, quote: string): boolean {
  const need = Math.min(8, quote.length);
  type State = { p: number; k: number };
  const key = (x: State) => `${x.p}:${x.k}`;
  const closure = (states: Map<string, State>) => {
    for (const x of [...states.values()]) for (let q = x.p; pattern[q] === ANY; q++) states.set(key({ p: q + 1, k: x.k }), { p: q + 1, k: x.k });
    return states;
  };
  // Anywhere in the title may be where the quote starts, and anywhere where it ends.
  let at = closure(new Map(Array.from({ length: pattern.length + 1 }, (_, p) => [key({ p, k: 0 }), { p, k: 0 }])));
  for (const ch of quote) {
    const next = new Map<string, State>();
    for (const x of at.values()) {
      const y = pattern[x.p] === ANY ? x : pattern[x.p] === ch ? { p: x.p + 1, k: Math.min(need, x.k + 1) } : undefined;
      if (y) next.set(key(y), y);
    }
    at = closure(next);
    if (!at.size) return false;
  }
  return [...at.values()].some((x) => x.k >= need);
}

describe('doc/reliability.md cites tests that exist', () => {
  const doc = readFileSync(path.join(repo, 'doc/reliability.md'), 'utf8');
  const cited = citations(doc);

  it('finds the citations (the page is read, not skipped)', () => {
    expect(cited.length).to.be.greaterThan(20);
    expect(cited.flatMap((c) => c.titles).length).to.be.greaterThan(10);
  });

  it('every cited test file exists', () => {
    const missing = [...new Set(cited.map((c) => c.file))].filter((f) => !existsSync(path.join(repo, f)));
    expect(missing).to.deep.equal([]);
  });

  it('every quoted test title is in the file cited for it', () => {
    const missing: string[] = [];
    for (const { file, titles } of cited) {
      if (!existsSync(path.join(repo, file))) continue;
      const given = titlesIn(readFileSync(path.join(repo, file), 'utf8'));
      for (const t of titles) if (!given.some((g) => quotes(g, t))) missing.push(`${file}: "${t}"`);
    }
    expect(missing).to.deep.equal([]);
  });

  it('matches a quote against plain and template titles, as a piece of them', () => {
    expect(quotes('pull killed at \0: no image', 'pull killed at write:repositories.json')).to.equal(true);
    expect(quotes('\0 to racker run --rm: exit \0', 'SIGHUP to racker run --rm')).to.equal(true);
    expect(quotes('a plain title', 'plain')).to.equal(true);
    expect(quotes('a plain title', 'plain titles')).to.equal(false);
    expect(quotes('\0 to racker run', 'SIGHUP from racker')).to.equal(false);
    expect(titlesIn("it('one', …); describe(\"two\", …); it(`three ${x} four`, …)")).to.deep.equal(['one', 'two', 'three \0 four']);
  });

  it('reads a quoted title inside its parentheses only, across line breaks', () => {
    expect(citations('by `test/unit/a.test.ts` ("one (1)", "two\n  lines") and "not this"')).to.deep.equal([{ file: 'test/unit/a.test.ts', titles: ['one (1)', 'two lines'] }]);
    expect(citations('`test/unit/b.test.ts` checks "nothing quoted here"')).to.deep.equal([{ file: 'test/unit/b.test.ts', titles: [] }]);
  });
});
