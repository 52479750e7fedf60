// The figures the docs quote are the last full bench's: the block in each of FIGURE_DOCS must be
// the one bench/RESULTS.md carries (npm run bench writes them all at once).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { FIGURE_DOCS, FIGURES_BEGIN, FIGURES_END, figuresBlock, withFigures } from '../../../bench/figures.ts';

const read = (file: string) => readFileSync(file, 'utf8');

test('the docs that quote the bench carry the figures block of bench/RESULTS.md as it stands', () => {
  const results = figuresBlock(read('bench/RESULTS.md'));
  assert.ok(results, 'bench/RESULTS.md has a figures block (run npm run bench)');
  assert.match(results, /CPU-s per heartbeat/);
  assert.ok(FIGURE_DOCS.includes('docs/scaling.md'), 'docs/scaling.md sizes replicas from the figures');
  for (const doc of FIGURE_DOCS) {
    assert.equal(figuresBlock(read(doc)), results, `${doc}: its figures differ from bench/RESULTS.md; rerun npm run bench, or copy the block`);
  }
});

test('no other doc quotes the figures: npm run bench would leave its block behind', () => {
  const docs = [
    'README.md',
    ...readdirSync('docs')
      .filter((name) => name.endsWith('.md'))
      .map((name) => `docs/${name}`),
  ];
  assert.ok(docs.includes('docs/scaling.md'), JSON.stringify(docs));
  const quoting = docs.filter((doc) => read(doc).includes(FIGURES_BEGIN));
  assert.deepEqual(quoting.sort(), [...FIGURE_DOCS].sort(), 'quote the figures only in FIGURE_DOCS (bench/figures.ts), or add the doc there');
});

test('withFigures replaces only the block, and leaves a text without one as it is', () => {
  const text = `before\n${FIGURES_BEGIN}\nold $1 $& figures\n${FIGURES_END}\nafter`;
  const block = `${FIGURES_BEGIN}\nnew $1 figures\n${FIGURES_END}`;
  assert.equal(withFigures(text, block), `before\n${block}\nafter`);
  assert.equal(withFigures('no block here', block), 'no block here');
});
