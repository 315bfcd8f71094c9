// Importing a Substack-sized export: N posts (default 1,000) of about 900 words each,
// with the furniture Substack puts in them (images and captions, subscribe boxes, share
// buttons, embeds, a paywall marker), zipped as Substack does; then the same import
// again (every file unchanged). Prints the seconds of each and posts per second.
// Issue #22's goal: 1,000 posts in under 10 s on 2 cores.
//
//   node --import tsx bench/import_substack.ts [--posts N] [--keep]
//
// Benchmarks print figures and never fail a build.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { importWriting } from '../src/core/import/importWriting';
import { seededRandom } from '../src/core/seededRandom';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const POSTS = Number(arg('posts') ?? 1000);
const WORDS = ['walk', 'river', 'morning', 'letter', 'stubborn', 'orchard', 'winter', 'question', 'village', 'patience', 'thread', 'bridge', 'shadow', 'kitchen', 'journey', 'meadow', 'habit', 'compass', 'the', 'a', 'of', 'and', 'in', 'to', 'was', 'I', 'we', 'it'];

function paragraph(random: () => number, words: number): string {
  const out = Array.from({ length: words }, () => WORDS[Math.floor(random() * WORDS.length)] ?? 'word');
  return `${out.join(' ').replace(/^./, (c) => c.toUpperCase())}.`;
}

function postHtml(random: () => number, i: number): string {
  const paragraphs = Array.from({ length: 10 }, () => `<p>${paragraph(random, 90)} <em>${paragraph(random, 6)}</em> <a href="https://example.com/${i}">${paragraph(random, 3)}</a></p>`);
  return [
    `<div class="captioned-image-container"><figure><img src="https://substackcdn.com/${i}.jpg"><figcaption class="image-caption">Photo ${i}</figcaption></figure></div>`,
    ...paragraphs.slice(0, 4),
    '<div class="subscription-widget-wrap-editor"><div class="subscription-widget"><p class="cta-caption">Thanks for reading! Subscribe for free to receive new posts.</p><form><input type="email"></form></div></div>',
    ...paragraphs.slice(4, 7),
    '<div class="paywall-jump" data-component-name="PaywallToDOM"></div>',
    '<h2>A heading</h2><blockquote><p>A quotation from someone else, at some length.</p></blockquote>',
    ...paragraphs.slice(7),
    '<p class="button-wrapper"><a class="button primary" href="https://x.substack.com/p/a?action=share"><span>Share</span></a></p>',
    `<div class="youtube-wrap"><iframe src="https://www.youtube-nocookie.com/embed/${i}"></iframe></div>`,
  ].join('\n');
}

function substackExport(posts: number): Uint8Array {
  const random = seededRandom(22);
  const files: Record<string, Uint8Array> = {};
  const rows = ['post_id,post_date,is_published,email_sent_at,inbox_sent_at,type,audience,title,subtitle,podcast_url'];
  for (let i = 0; i < posts; i++) {
    const id = `${100000 + i}.post-${i}`;
    const date = new Date(Date.UTC(2015, 0, 1) + i * 86_400_000 * 3).toISOString();
    rows.push(`${id},${date},true,${date},,newsletter,${i % 5 === 0 ? 'only_paid' : 'everyone'},"Post ${i}: ${paragraph(random, 4)}","${paragraph(random, 8)}",`);
    files[`posts/${id}.html`] = strToU8(postHtml(random, i));
    files[`posts/${id}.opens.csv`] = strToU8('email,timestamp\n');
  }
  files['posts.csv'] = strToU8(rows.join('\n'));
  return zipSync(files, { level: 6 });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'voice-draft-import-bench-'));
  try {
    let t = performance.now();
    const zip = substackExport(POSTS);
    writeFileSync(join(dir, 'export.zip'), zip);
    const madeMs = performance.now() - t;
    const out = join(dir, 'essays');

    t = performance.now();
    const first = await importWriting({ input: join(dir, 'export.zip'), out });
    const firstS = (performance.now() - t) / 1000;
    t = performance.now();
    const again = await importWriting({ input: join(dir, 'export.zip'), out });
    const againS = (performance.now() - t) / 1000;

    const added = first.changes.filter((c) => c.change === 'added').length;
    const unchanged = again.changes.filter((c) => c.change === 'unchanged').length;
    console.log(`Substack export: ${POSTS} posts, ${(zip.length / 1e6).toFixed(1)} MB zipped (made in ${(madeMs / 1000).toFixed(1)} s); ${availableParallelism()} cores`);
    console.log(`  import:    ${firstS.toFixed(2)} s  (${Math.round(POSTS / firstS)} posts/s; ${added} added, ${first.removed.total} furniture parts cut, ${first.problems.length} problems)`);
    console.log(`  re-import: ${againS.toFixed(2)} s  (${unchanged} unchanged)`);
    console.log(`  goal (#22): 1,000 posts under 10 s: ${POSTS >= 1000 ? (firstS < 10 * (POSTS / 1000) ? 'met' : 'missed') : 'run with --posts 1000'}`);
    if (process.argv.includes('--keep')) console.log(`  kept: ${dir}`);
  } finally {
    if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
  }
}

void main();
