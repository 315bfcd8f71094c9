// The parser's guard (issue #25, finding 5): one hostile file used to stop the whole build
// (4 KB of '>' overflowed the stack, a YAML alias bomb threw, 1 MB of nested quotes took
// tens of seconds on the extension host's main thread). Now each such file is skipped and
// named in the data report (an alias bomb loses only its front matter, with a warning), the
// rest of the build goes on, and the parse runs on a worker thread with a time budget per file.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { nestingDepth, PARSE_LIMITS, shapeProblem } from '../../../src/core/corpus/parseGuard';
import { buildDataset } from '../../../src/core/dataset/build';
import { loadMarkdownParser } from '../../../src/core/corpus/markdown';
import { parseFile, type SourceFile } from '../../../src/core/dataset/parse-files';
import { ParsePool } from '../../../src/core/dataset/parse-pool';
import { formatDatasetSummary } from '../../../src/core/dataset/summary';
import { essay, folderWith, prose } from '../corpus/fixtures';

/** Billion laughs in front matter: about 300 bytes that expand to millions of strings. */
const ALIAS_BOMB = `---
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
---
An essay under it.
`;

/** About 1 MB of quotes nested ever deeper, 200 levels at most (10-40 s of parsing before). */
function nestedQuotes(): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < 1_000_000; i++) {
    const line = `${'> '.repeat(i % 200)}- - - word\n`;
    lines.push(line);
    size += line.length;
  }
  return lines.join('');
}

test('hostile files are skipped (an alias bomb loses only its front matter) and named; the rest of the build goes on', async () => {
  assert.ok(ALIAS_BOMB.length > 250 && ALIAS_BOMB.length < 400, `${ALIAS_BOMB.length} bytes`);
  const { dir, cleanup } = await folderWith({
    'walk.md': essay('On walking', 1, 8),
    'tide.md': essay('The tide', 2, 8),
    'quotes.md': '>'.repeat(4096),
    'bomb.md': ALIAS_BOMB,
    'nested.md': nestedQuotes(),
  });
  try {
    const started = Date.now();
    const build = await buildDataset({ folder: dir, useGitHistory: false });
    const skipped = new Map(build.manifest.skipped.map((s) => [s.path, s.reason]));
    assert.match(skipped.get('quotes.md') ?? '', /nested too deeply \(4096 quotes/);
    assert.match(skipped.get('nested.md') ?? '', /nested too deeply \(\d+ quotes or list levels in a line; the limit is 32\)/);
    // The alias bomb is never expanded: its front matter is dropped with a warning, its text kept.
    assert.equal(skipped.get('bomb.md'), undefined);
    assert.ok(build.manifest.warnings.some((w) => /bomb\.md.*front matter could not be read: Excessive alias count/.test(w)), build.manifest.warnings.join('\n'));
    assert.deepEqual(build.documents.map((d) => d.doc).sort(), ['bomb.md', 'tide.md', 'walk.md']);
    assert.ok(Date.now() - started < 30_000, `the build took ${Date.now() - started} ms`);
    // The data report names them.
    const summary = formatDatasetSummary(build.manifest);
    for (const name of ['quotes.md', 'bomb.md', 'nested.md']) assert.match(summary, new RegExp(`${name}: `));
    assert.ok(!build.documents.find((d) => d.doc === 'bomb.md')?.text.includes('lol'), 'the front matter is not in the text');
  } finally {
    await cleanup();
  }
});

test('the guard: nesting counted per line (thematic breaks open nothing), size, tree depth, a throwing parser', async () => {
  assert.equal(nestingDepth('> > - item\n'), 3);
  assert.equal(nestingDepth('      - six spaces in\n'), 4);
  assert.equal(nestingDepth(`${'- '.repeat(60)}\n`), 0, 'a thematic break of spaced dashes');
  assert.equal(nestingDepth('plain text\n    indented code\n'), 0);
  assert.equal(shapeProblem('x'.repeat(PARSE_LIMITS.maxChars + 1))?.startsWith('too large to parse'), true);
  const parse = await loadMarkdownParser();
  // Within the line limit, but emphasis nested past the tree limit.
  const deep = parseFile({ path: 'deep.md', text: `${'*a _'.repeat(200)}b${'_ a*'.repeat(200)}\n` }, parse);
  assert.match(deep.failed ?? '', /^nested too deeply \(\d+ levels of markup; the limit is 128\)$/);
  const throws = parseFile({ path: 'x.md', text: '| a | b |\n|---|---|\n| 1 | 2 |\n\n<div>html</div>\n' }, () => { throw new RangeError('Maximum call stack size exceeded'); });
  assert.equal(throws.failed, 'nested too deeply to read (the parser ran out of stack)');
  assert.deepEqual(throws.essay.blocks, []);
});

test('a file over its time budget is left out and named, off the main thread, and its batch goes on', async () => {
  const files: SourceFile[] = [
    { path: 'a.md', text: essay('First', 3, 4) },
    // Quadratic for the parser: seconds, though far inside every size and nesting limit.
    { path: 'slow.md', text: `${'['.repeat(200_000)}x${']'.repeat(200_000)}` },
    { path: 'b.md', text: essay('Second', 4, 4) },
  ];
  const pool = new ParsePool(1, undefined, (chars) => (chars > 100_000 ? 1500 : 60_000));
  const parse = await loadMarkdownParser();
  let longestGap = 0;
  let last = Date.now();
  const ticker = setInterval(() => { const now = Date.now(); longestGap = Math.max(longestGap, now - last); last = now; }, 10);
  try {
    const parsed = await pool.parseAll(files);
    assert.equal(parsed[1]?.failed, 'took longer than 1.5 s to parse (the time budget)');
    assert.deepEqual(parsed[0], parseFile(files[0]!, parse));
    assert.deepEqual(parsed[2], parseFile(files[2]!, parse));
    assert.equal(pool.workers, 1, 'the stopped worker was replaced');
  } finally {
    clearInterval(ticker);
    await pool.close();
  }
  assert.ok(longestGap < 1000, `the main thread was blocked for ${longestGap} ms`);
});

test('a file that ends its worker is left out and named; the others of its batch are parsed', async () => {
  const files: SourceFile[] = Array.from({ length: 6 }, (_, i) => ({ path: `e${i}.md`, text: i === 3 ? `CRASH ${prose(i)}` : essay(`Essay ${i}`, i, 3) }));
  const pool = new ParsePool(1, path.join(__dirname, 'fixtures', 'crashingParseWorker.ts'));
  const parse = await loadMarkdownParser();
  try {
    const parsed = await pool.parseAll(files);
    assert.equal(parsed[3]?.failed, 'stopped the parser');
    for (const i of [0, 1, 2, 4, 5]) assert.deepEqual(parsed[i], parseFile(files[i]!, parse), `e${i}.md`);
    assert.equal(pool.workers, 1, 'the worker was replaced');
  } finally {
    await pool.close();
  }
});
