import { expect } from 'chai';
import { formatBar } from '../../cli/progress.js';

describe('progress bars', () => {
  it("draws docker's bar: filled part, arrow head, sizes", () => {
    expect(formatBar('Extracting', 50e6, 100e6, 80)).to.equal(`Extracting [${'='.repeat(25)}>${' '.repeat(24)}]  50MB/100MB`);
    expect(formatBar('Downloading', 0, 1000, 80)).to.equal(`Downloading [>${' '.repeat(49)}]  0B/1kB`);
  });

  it('is full at the end and never overfull', () => {
    expect(formatBar('Extracting', 100e6, 100e6, 80)).to.equal(`Extracting [${'='.repeat(50)}]  100MB/100MB`);
    expect(formatBar('Extracting', 120e6, 100e6, 80)).to.equal(`Extracting [${'='.repeat(50)}]  100MB/100MB`);
  });

  it('fits narrow terminals and falls back to a count without a total', () => {
    const narrow = formatBar('Extracting', 1, 2, 40);
    expect(narrow.length).to.be.at.most(40);
    expect(narrow).to.equal(`Extracting [${'='.repeat(9)}>${' '.repeat(9)}]  1B/2B`);
    expect(formatBar('Downloading', 5_590_000, undefined)).to.equal('Downloading 5.59MB');
  });
});
