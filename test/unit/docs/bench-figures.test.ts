// The figures the docs quote are the last full bench's: the block in docs/scaling.md and README.md
// must be the one bench/RESULTS.md carries (npm run bench writes all three at once).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { FIGURES_BEGIN, FIGURES_END, figuresBlock, withFigures } from '../../../bench/figures.ts';

const read = (file: string) => readFileSync(file, 'utf8');

test('docs/scaling.md and README.md quote the figures block of bench/RESULTS.md as it stands', () => {
  const results = figuresBlock(read('bench/RESULTS.md'));
  assert.ok(results, 'bench/RESULTS.md has a figures block (run npm run bench)');
  assert.match(results, /CPU-s per heartbeat/);
  for (const doc of ['docs/scaling.md', 'README.md']) {
    assert.equal(figuresBlock(read(doc)), results, `${doc}: its figures differ from bench/RESULTS.md; rerun npm run bench, or copy the block`);
  }
});

test('withFigures replaces only the block, and leaves a text without one as it is', () => {
  const text = `before\n${FIGURES_BEGIN}\nold $1 $& figures\n${FIGURES_END}\nafter`;
  const block = `${FIGURES_BEGIN}\nnew $1 figures\n${FIGURES_END}`;
  assert.equal(withFigures(text, block), `before\n${block}\nafter`);
  assert.equal(withFigures('no block here', block), 'no block here');
});
