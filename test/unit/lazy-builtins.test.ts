import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childProcess, createHash, randomBytes } from '../../lib/startup/builtins.js';
import * as crypto from 'node:crypto';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

describe('Node modules loaded at first use (lib/startup/builtins.ts)', () => {
  it("no module of racker's imports node:crypto itself: a command that never hashes does not load it", () => {
    const direct = ['lib', 'cli']
      .flatMap((d) => tsFiles(join(ROOT, d)))
      // A static import (an import() is loaded when reached, as these are).
      .filter((f) => /^import (?!type )[^;]*from 'node:crypto';/m.test(readFileSync(f, 'utf8')))
      .map((f) => relative(ROOT, f));
    // builtins.ts itself only imports its types.
    expect(direct).to.deep.equal([]);
  });

  it("gives node:crypto's and node:child_process's own functions", () => {
    expect(createHash('sha256').update('racker').digest('hex')).to.equal(crypto.createHash('sha256').update('racker').digest('hex'));
    const b = randomBytes(8);
    expect([Buffer.isBuffer(b), b.length]).to.deep.equal([true, 8]);
    expect(childProcess().spawnSync('true').status).to.equal(0);
  });
});
