import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { loadMarkdownParser, type MarkdownParser } from '../../../src/core/corpus/markdown';
import { parseEssay, titleFromFileName } from '../../../src/core/corpus/parse';
import { withPlaceholders } from '../../../src/core/corpus/plain-paragraphs';
import { BIERCE_NOTES, CORPORA, MACDOWELL, corporaMissing } from './fixtures';

let parse: MarkdownParser;
before(async () => {
  parse = await loadMarkdownParser();
});

/** The same file parsed by remark alone: the placeholder prefix in the text turns the fast path off. */
function parseWhole(markdown: string, file = 'x.md') {
  const essay = parseEssay(`${markdown}\n\nvdplainq`, file, parse);
  const last = essay.blocks[essay.blocks.length - 1];
  if (last?.text === 'vdplainq') essay.blocks.pop();
  return essay;
}

const texts = (markdown: string) => parseEssay(markdown, 'x.md', parse).blocks.map((b) => b.text);

test('keeps prose, quotes and lists; drops code, HTML, images, tables, footnotes and link URLs', () => {
  const essay = parseEssay(
    [
      '# The Title',
      '',
      'A paragraph with a [link](https://example.com/x) and an ![image](pic.png) and a note.[^1]',
      '',
      '> A quoted line,',
      '> and its continuation.',
      '',
      '- first item with *emphasis*',
      '- second item',
      '  1. nested',
      '',
      '```js',
      'const code = true;',
      '```',
      '',
      '<div class="x">raw html</div>',
      '',
      '| a | b |',
      '|---|---|',
      '| 1 | 2 |',
      '',
      'Inline <em>html</em> keeps its words; `inline code` too.',
      '',
      '[^1]: The footnote text.',
    ].join('\n'),
    'essay.md',
    parse,
  );
  assert.equal(essay.title, 'The Title');
  assert.deepEqual(
    essay.blocks.map((b) => [b.kind, b.text]),
    [
      ['paragraph', 'A paragraph with a link and an and a note.'],
      ['quote', 'A quoted line, and its continuation.'],
      ['list', '- first item with emphasis\n- second item\n  1. nested'],
      ['paragraph', 'Inline html keeps its words; inline code too.'],
    ],
  );
  assert.deepEqual(essay.removed, { codeBlocks: 1, html: 3, images: 1, tables: 1, footnotes: 1, linkUrls: 1 });
});

test('front matter gives title, subtitle, date and tags; the repeated title heading is dropped', () => {
  const essay = parseEssay('---\ntitle: On Walking\ndescription: Why I go out\nthesis: Walking is thinking\ndate: 2024-03-01\ntags: [habits, walking]\n---\n# On Walking\n\nI walk.\n', 'a.md', parse);
  assert.equal(essay.title, 'On Walking');
  assert.equal(essay.titleFrom, 'front matter');
  assert.equal(essay.subtitle, 'Why I go out');
  assert.equal(essay.thesis, 'Walking is thinking');
  assert.equal(essay.date, '2024-03-01');
  assert.deepEqual(essay.tags, ['habits', 'walking']);
  assert.deepEqual(essay.blocks.map((b) => b.text), ['I walk.']);
});

test('without a title in front matter or a heading, the file name gives one', () => {
  const essay = parseEssay('Just text.\n', 'posts/2023-05-01-the-long-way-home.md', parse);
  assert.equal(essay.title, 'The long way home');
  assert.equal(essay.titleFrom, 'file name');
  assert.equal(essay.date, '2023-05-01');
  assert.equal(titleFromFileName('notes/draft.md'), undefined);
});

test('broken YAML front matter: a warning, and the body is still used', () => {
  const essay = parseEssay('---\ntitle: "unterminated\ntags: [a, b\n---\n\nThe body survives.\n', 'a.md', parse);
  assert.equal(essay.warnings.length, 1);
  assert.match(essay.warnings[0] ?? '', /front matter is not valid YAML \(line \d+ of the file\)/);
  assert.deepEqual(essay.blocks.map((b) => b.text), ['The body survives.']);
  assert.equal(essay.title, undefined);
});

test('CRLF line endings and a byte-order mark read exactly like LF', () => {
  const lf = '---\ntitle: Same\n---\n\nFirst line\nsecond line.  \nA hard break.\n\n> quote\n';
  const crlf = `\ufeff${lf.replace(/\n/g, '\r\n')}`;
  assert.deepEqual(parseEssay(crlf, 'a.md', parse), parseEssay(lf, 'a.md', parse));
  assert.deepEqual(texts(lf), ['First line second line.\nA hard break.', 'quote']);
});

test('emoji and other astral characters pass through untouched', () => {
  assert.deepEqual(texts('Coffee ☕ and a rocket 🚀, in 𝄞 time.\n'), ['Coffee ☕ and a rocket 🚀, in 𝄞 time.']);
});

test('nested fences: a four-backtick fence holding a three-backtick one is one code block', () => {
  const essay = parseEssay('Before.\n\n````markdown\n```js\ncode();\n```\n\nStill code.\n````\n\nAfter.\n', 'a.md', parse);
  assert.deepEqual(essay.blocks.map((b) => b.text), ['Before.', 'After.']);
  assert.equal(essay.removed.codeBlocks, 1);
});

test('a line made only of links is flagged, visible text kept for the report', () => {
  const essay = parseEssay('[Twitter](https://t.co) · [RSS](/feed.xml)\n\nhttps://example.com/bare\n\nProse with a [link](x).\n', 'a.md', parse);
  assert.deepEqual(
    essay.blocks.map((b) => [b.text, b.linkOnly ?? false]),
    [
      ['Twitter · RSS', true],
      ['https://example.com/bare', true],
      ['Prose with a link.', false],
    ],
  );
});

test('the fast path for simple blocks gives exactly what remark gives, on every corpus file', { skip: corporaMissing }, () => {
  const files = [MACDOWELL, BIERCE_NOTES, path.join(CORPORA, 'bierce-notes', 'by-letter')].flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.md'))
      .map((f) => path.join(dir, f)),
  );
  let fastBytes = 0;
  let totalBytes = 0;
  for (const file of files) {
    const source = readFileSync(file, 'utf8');
    const placeholders = withPlaceholders(source);
    totalBytes += source.length;
    fastBytes += source.length - (placeholders?.markdown.length ?? source.length);
    const fast = parseEssay(source, file, parse);
    const whole = parseWhole(source, file);
    assert.deepEqual(fast, whole, file);
  }
  // The fast path must actually carry the load, or the benchmark would be measuring remark.
  assert.ok(fastBytes / totalBytes > 0.8, `fast path covered only ${Math.round((100 * fastBytes) / totalBytes)}% of the corpus`);
});

test('the fast path agrees with remark on a thousand generated markdown snippets', () => {
  const common = ['word', 'Word', 'the', 'é', '😀', ' ', ' ', ' ', ' ', ',', '.'];
  const rare = [
    '_', '*', '**', '__', '_it_', '*em*', '**bold**', 'snake_case', '(_a_)', '"_q_"', '_a._,', '2*3',
    '[^1]', '[^b]', '[^zz]', '[', ']', '[x]', '[a](http://x.y)', '[link text](u)', '[_e_](u)', '![i](x)', '[b](u_v)',
    '[example.com](example.com)', ' · ', '[^1](x)', '&amp;', 'R&D', '<b>', 'a < b', '<3', 'x@y.z', '@me', '~', '~~',
    'a|b', '\n|---|', '\n:--|', '  \n', '\n', '\t', '—', '-', '"', "'", '“', '”', '(', ')', '!', '?', ':', '1.', '>',
    '***', '\n\n[^1]: ', '\n[^2]: note', '\n\n    indented', '\n\n[^1]: ```', '\n\n[^b]: x\n\n  y', 'https://a.b', 'www.c.d',
    '\n\n```\n', '\n\n<!--', '-->', '\\*',
    // wrapped lines that start with a number: only a list item from 1 interrupts a paragraph
    '\n5. ', '\n1. ', '\n01) ', '\n1878.', '\n12) x', '\n> 3. ',
    // brackets that are plain text unless the document defines references
    '[sic]', '[Latin] ', ' [a]', '[x][]', '[x][y]', '[]', '![x]', '[a [b](u) c]', '[t](u "x")', '\n\n[x]: /u\n', '\n\n[Sic]: /u "t"\n',
    // escapes, and emphasis runs that stay text or open before punctuation
    '\\"', '\\.', '\\', '\\\\', '\\_', 'a\\', ' _$c_', ' *"q"* ', ' * ', ' _ ', '_lib.', 'II._,', '._.', '(_', '_)', ' __', '__ ', '\n_ _ _\n', '\n___',
    '\n\n[^1]: 11.\n', '\n\n[^b]: - x\n', '\n\n[^1]: # h\n', '\n\n[^1]: > q\n', '\n\n[^zz]: ***\n',
  ];
  let seed = 20261123;
  const random = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const fastKinds = new Map<string, number>();
  for (let n = 0; n < 1200; n++) {
    const paragraphs: string[] = [];
    for (let p = 0, count = 1 + Math.floor(random() * 4); p < count; p++) {
      let text = '';
      for (let i = 0, len = 2 + Math.floor(random() * 25); i < len; i++) text += random() < 0.7 ? pick(common) : pick(rare);
      const shape = random();
      if (shape < 0.1) text = pick(['# ', '## ', '###\t', '#', '####### ']) + text.replace(/\n/g, ' ');
      else if (shape < 0.3) text = text.split('\n').map((line) => (random() < 0.8 ? '> ' : '>') + line).join('\n');
      else if (shape < 0.45) {
        const marker = pick(['- ', '* ', '+ ', '1. ', '2) ', '-  ', '[ ] ', '- [ ] ', '* [x] ']);
        text = text.split(/\n| (?=[A-Z])/).map((line) => (random() < 0.9 ? marker : pick(['- ', '3. ', '  ', ''])) + line.trim()).join('\n');
      } else if (shape < 0.5) text = `${pick(['```', '~~~', '````', '``` js'])}\n${text}\n${pick(['```', '~~~', '````', ''])}`;
      paragraphs.push(text);
    }
    let doc = paragraphs.join(random() < 0.2 ? '\n>\n' : '\n\n');
    if (random() < 0.5) doc += '\n\n[^1]: note one\n';
    for (const block of withPlaceholders(doc)?.blocks.flat() ?? []) fastKinds.set(block.kind, (fastKinds.get(block.kind) ?? 0) + 1);
    assert.deepEqual(parseEssay(doc, 'x.md', parse), parseWhole(doc), JSON.stringify(doc));
  }
  // Every kind of block the fast path resolves must have been compared, many times.
  for (const kind of ['paragraph', 'quote', 'heading', 'list', 'code', 'footnote']) {
    assert.ok((fastKinds.get(kind) ?? 0) >= 15, `only ${fastKinds.get(kind) ?? 0} ${kind} blocks took the fast path: the comparison proves little`);
  }
});
