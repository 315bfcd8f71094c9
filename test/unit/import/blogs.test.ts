// Medium, WordPress and Ghost exports, including a page full of scripts, broken XML
// and JSON, and a post with no HTML.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { importWriting } from '../../../src/core/import/importWriting';
import { ImportError } from '../../../src/core/import/types';
import { BIERCE, NATURE, NATURE_2, WALKING, WALKING_2, WXR_ITEMS, exportIn, ghostJson, mediumZip, wxr, wxrItem } from './exports';

const read = (dir: string, file: string) => readFileSync(path.join(dir, file), 'utf8');

test('Medium: each story with its title, subtitle, date, author and link; the repeated title, figures and cards cut; scripts never reach the text', async (t) => {
  const { input, out } = await exportIn(t, 'medium-export.zip', mediumZip());
  const report = await importWriting({ input, out });
  assert.equal(report.format, 'medium');
  const files = report.changes.map((c) => c.file).sort();
  assert.deepEqual(files, ['2019-01-02-walking.md', '2019-02-03-nature.md', '2019-03-01-scripts.md']);
  const walking = read(out, '2019-01-02-walking.md');
  assert.match(walking, /^---\ntitle: Walking\nsubtitle: A word for Nature\ndate: 2019-01-02\nauthor: Henry Saunterer\nstatus: published\nsource: medium\nsource_url: https:\/\/medium\.com\/@saunterer\/x-3f2a1b9c8d7e\n/);
  const body = walking.slice(walking.indexOf('\n---\n') + 5).trim();
  assert.equal(body, `${WALKING}\n\n${WALKING_2}`, 'only the two paragraphs: no repeated title, subtitle, figure, caption, link card or footer');
  assert.match(read(out, '2019-02-03-nature.md'), /\nstatus: draft\n/);
  const scripts = read(out, '2019-03-01-scripts.md');
  assert.ok(scripts.includes(NATURE_2));
  for (const s of ['alert', 'tracking', 'Enable JavaScript', '.x{}']) assert.ok(!scripts.includes(s), `${s} in:\n${scripts}`);
  assert.equal(report.removed.byKind['script or style'], 3);
  assert.equal(report.removed.byKind['repeated title'], 2);
});

test('WordPress: posts and pages with tags, authors and states; classic paragraphs kept apart; captions, embeds and calls to action cut; attachments and trash left out', async (t) => {
  const { input, out } = await exportIn(t, 'saunterer.WordPress.2024-05-01.xml', wxr(WXR_ITEMS));
  const report = await importWriting({ input, out });
  assert.equal(report.format, 'wordpress');
  const walking = read(out, '2018-01-01-walking-sauntering.md');
  assert.match(walking, /^---\ntitle: Walking & Sauntering\ndate: 2018-01-01\nauthor: Henry D\. Thoreau\ntags:\n {2}- walking\n {2}- nature\nstatus: published\nsource: wordpress\nsource_url: https:\/\/saunterer\.example\.com\/11\/\n/);
  assert.ok(walking.endsWith(`---\n\n${WALKING}\n\n${WALKING_2}\n`), `classic editor paragraphs, caption cut:\n${walking}`);
  const nature = read(out, '2018-01-01-nature.md');
  assert.ok(nature.endsWith(`---\n\n${NATURE}\n\n${NATURE_2}\n`), nature);
  assert.match(nature, /\nstatus: draft\n/);
  assert.match(read(out, '2018-01-01-about.md'), /\npaywalled: true\ntype: page\n/);
  assert.deepEqual(report.removed.byKind, { 'image caption': 1, 'thanks for reading': 1 });
  assert.deepEqual(report.skipped.map((s) => s.reason).sort(), ['1 attachment item (not writing)', 'in the WordPress trash']);
});

test('WordPress: a file with broken XML is read item by item; a broken item costs only itself', async (t) => {
  const good = wxrItem({ id: 21, title: 'Walking', content: `<p>${WALKING}</p>` });
  const broken = wxrItem({ id: 22, title: 'Broken <b>unclosed', content: `<p>${NATURE}</p>` });
  const alsoGood = wxrItem({ id: 23, title: 'Cynic', content: `<p>${BIERCE}</p>` });
  // …and the file stops before its end, as a download cut short would.
  const xml = wxr([good, broken, alsoGood]).replace('</channel>\n</rss>', '');
  const { input, out } = await exportIn(t, 'export.xml', xml);
  const report = await importWriting({ input, out });
  assert.deepEqual(report.changes.map((c) => c.title).sort(), ['Cynic', 'Walking']);
  assert.equal(report.problems.length, 1);
  assert.match(report.problems[0]?.message ?? '', /not well-formed XML \(line \d+: .+\); read item by item: 2 items recovered, 1 broken ones? left out\. Export again/);
});

test('WordPress: an XML file that is not a WordPress export is not taken for one', async (t) => {
  const { input, out } = await exportIn(t, 'feed.xml', '<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>');
  await assert.rejects(importWriting({ input, out }), (e: unknown) => e instanceof ImportError && /Nothing in .* looks like an export.*WordPress export \.xml/s.test(e.message));
});

test('Ghost: paid posts marked paywalled, signup and button cards and the members-only marker cut, internal tags dropped, a post without HTML named', async (t) => {
  const { input, out } = await exportIn(t, 'saunterer.ghost.2024-05-01.json', ghostJson());
  const report = await importWriting({ input, out });
  assert.equal(report.format, 'ghost');
  const walking = read(out, '2022-05-06-walking.md');
  assert.match(walking, /^---\ntitle: Walking\nsubtitle: A word for Nature\ndate: 2022-05-06\nauthor: Henry Saunterer\ntags:\n {2}- Walking\nstatus: published\npaywalled: true\nsource: ghost\n/);
  assert.ok(walking.endsWith(`---\n\n${WALKING}\n\n${WALKING_2}\n`), walking);
  assert.match(read(out, '2022-06-01-nature.md'), /\nstatus: draft\n[\s\S]*\n\nTo go into solitude/);
  assert.deepEqual(report.removed.byKind, { 'subscribe box': 1, embed: 1, 'paywall marker': 1, button: 1 });
  assert.deepEqual(report.problems.map((p) => p.origin), ['saunterer.ghost.2024-05-01.json: Only lexical']);
  assert.match(report.problems[0]?.message ?? '', /no HTML.*export again from Ghost 5/);
});

test('Ghost: a damaged JSON file is named with what to do, and nothing is written', async (t) => {
  const json = ghostJson();
  const { input, out } = await exportIn(t, 'ghost.json', json.slice(0, Math.floor(json.length / 2)));
  const report = await importWriting({ input, out });
  assert.equal(report.changes.length, 0);
  assert.match(report.problems[0]?.message ?? '', /not valid JSON .*damaged or cut short\. Export again from Ghost/);
  assert.ok(!existsSync(out), 'the folder to import into was not even made');
});
