// Substack exports: posts.csv + posts/*.html, whole, without posts.csv, with a binary
// "HTML" file, cut short, and not a zip at all.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { importWriting } from '../../../src/core/import/importWriting';
import { formatImportSummary } from '../../../src/core/import/summary';
import { ImportError } from '../../../src/core/import/types';
import { NATURE, NATURE_2, WALKING, WALKING_2, exportIn, substackZip, zip } from './exports';

const read = (dir: string, file: string) => readFileSync(path.join(dir, file), 'utf8');

test('a Substack zip becomes one markdown file per post, with what posts.csv says in the front matter', async (t) => {
  const { dir, input } = await exportIn(t, 'export.zip', substackZip());
  const out = path.join(dir, 'essays');
  const report = await importWriting({ input, out });
  assert.equal(report.format, 'substack');
  assert.deepEqual(report.changes.map((c) => [c.file, c.change]).sort(), [
    ['2021-03-04-walking.md', 'added'],
    ['2021-04-01-solitude.md', 'added'],
    ['2021-05-01-an-unfinished-thought.md', 'added'],
  ]);
  const walking = read(out, '2021-03-04-walking.md');
  assert.match(walking, /^---\ntitle: Walking\nsubtitle: On sauntering, and the Holy Land\ndate: 2021-03-04\nstatus: published\nsource: substack\n/);
  assert.ok(walking.includes(`${WALKING}\n\n${WALKING_2}\n`), walking);
  // Furniture: none of it in the text, all of it in the report.
  for (const gone of ['Thanks for reading', 'Subscribe', 'Share', 'A path in the woods', 'youtube', 'substackcdn', 'who understood the art of Walking\n']) {
    assert.ok(!walking.includes(gone), `"${gone}" left in:\n${walking}`);
  }
  for (const kind of ['subscribe box', 'button', 'image caption', 'image', 'embed', 'pull quote', 'paywall marker', 'script or style']) {
    assert.ok((report.removed.byKind[kind] ?? 0) > 0, `${kind} not listed: ${JSON.stringify(report.removed.byKind)}`);
  }
  assert.ok(report.removed.examples.some((e) => e.text.startsWith('Thanks for reading The Saunterer!')));

  const solitude = read(out, '2021-04-01-solitude.md');
  assert.match(solitude, /\npaywalled: true\n/);
  assert.ok(solitude.includes(`${NATURE}\n\n${NATURE_2}`) && !solitude.includes('track('), solitude);
  assert.match(read(out, '2021-05-01-an-unfinished-thought.md'), /\nstatus: draft\n/);
  assert.deepEqual(report.states, { published: 2, draft: 1, paywalled: 1 });
  // The podcast episode's show notes are left out, and said so.
  assert.deepEqual(report.skipped.map((s) => s.origin), ['posts/104.episode-one.html']);
  assert.match(report.skipped[0]?.reason ?? '', /podcast/);
  // Only the chosen folder was written: the pieces and the ledger.
  assert.deepEqual(readdirSync(dir).sort(), ['essays', 'export.zip']);
  assert.equal(readdirSync(out).filter((f) => !f.endsWith('.md')).join(), '.voice-draft-import.json');
  assert.match(formatImportSummary(report), /3 pieces: 3 added\n.*1 draft, 1 paywalled/);
});

test('without posts.csv the posts still come in, titled from their text, and the summary says what is missing', async (t) => {
  const { input, out } = await exportIn(t, 'export.zip', substackZip({ withCsv: false }));
  const report = await importWriting({ input, out });
  assert.equal(report.format, 'substack');
  assert.equal(report.changes.length, 4, 'without posts.csv nothing says which post is a podcast');
  assert.match(report.problems.map((p) => `${p.origin}: ${p.message}`).join('\n'), /posts\.csv: missing from the export.*Download the export again/);
  assert.ok(report.changes.some((c) => c.title === 'walking'));
});

test('a binary file named .html is refused by name; the other posts are imported', async (t) => {
  const { input, out } = await exportIn(t, 'export.zip', substackZip({ binaryPost: true }));
  const report = await importWriting({ input, out });
  assert.equal(report.changes.length, 3);
  assert.deepEqual(report.problems.map((p) => p.origin), ['posts/105.broken.html']);
  assert.match(report.problems[0]?.message ?? '', /binary, not text/);
  assert.match(formatImportSummary(report), /Could not import \(1\); everything else was imported:\n {2}posts\/105\.broken\.html: is binary/);
});

test('a zip cut short gives the posts before the cut and says to download it again', async (t) => {
  const whole = substackZip();
  // Cut inside the central directory: every post's data is there, the index at the end is not.
  const cut = whole.subarray(0, whole.length - 60);
  const { input, out } = await exportIn(t, 'export.zip', cut);
  const report = await importWriting({ input, out });
  assert.equal(report.format, 'substack');
  assert.equal(report.changes.length, 3);
  assert.match(report.problems[0]?.message ?? '', /damaged or cut short.*Download the export again/);

  // Cut in the middle of a post: the posts before it still come in.
  const files = { 'posts.csv': 'post_id,post_date,is_published,type,audience,title\n1.a,2020-01-01,true,newsletter,everyone,A\n2.b,2020-01-02,true,newsletter,everyone,B\n', 'posts/1.a.html': `<p>${WALKING}</p>`, 'posts/2.b.html': `<p>${NATURE}</p>`.repeat(40) };
  const bytes = zip(files);
  const half = await exportIn(t, 'export.zip', bytes.subarray(0, bytes.length - 200));
  const halfReport = await importWriting({ input: half.input, out: half.out });
  assert.deepEqual(halfReport.changes.map((c) => c.title), ['A']);
  assert.ok(halfReport.problems.some((p) => /cut short/.test(p.message)));
  assert.ok(halfReport.problems.some((p) => p.origin === 'posts/2.b.html'), JSON.stringify(halfReport.problems));
});

test('a file that is not a zip at all stops with a message saying what to do, and writes nothing', async (t) => {
  const { dir, input, out } = await exportIn(t, 'export.zip', 'this is not a zip file, just text');
  await assert.rejects(importWriting({ input, out }), (e: unknown) => e instanceof ImportError && /not a readable zip file.*Download the export again/s.test(e.message));
  assert.deepEqual(readdirSync(dir), ['export.zip']);
});
