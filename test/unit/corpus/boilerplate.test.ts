import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { boilerplateKind, detectRepeatedSignoffs, stripBoilerplate, stripSignoffs } from '../../../src/core/corpus/boilerplate';
import { loadMarkdownParser } from '../../../src/core/corpus/markdown';
import { parseEssay, type ProseBlock } from '../../../src/core/corpus/parse';
import { BIERCE_NOTES, MACDOWELL, corporaMissing } from './fixtures';

const p = (text: string): ProseBlock => ({ kind: 'paragraph', text });

test('newsletter calls to action, thanks-for-reading lines and footers are recognised', () => {
  const furniture: Array<[string, string]> = [
    ['Subscribe now', 'call to action'],
    ['Share', 'call to action'],
    ['Leave a comment', 'call to action'],
    ['If you liked this, share this post with a friend who would too.', 'call to action'],
    ['Subscribe to my newsletter for more essays like this one.', 'call to action'],
    ['Buy me a coffee if this helped.', 'call to action'],
    ['Become a paid subscriber to support my writing.', 'call to action'],
    ['Thanks for reading The Weekly Walk! Subscribe for free to receive new posts and support my work.', 'thanks for reading'],
    ['Thank you so much for reading.', 'thanks for reading'],
    ['This essay was originally published in The Atlantic.', 'footer'],
    ['© 2024 Jane Writer. All rights reserved.', 'footer'],
  ];
  for (const [text, kind] of furniture) assert.equal(boilerplateKind(p(text)), kind, text);
  assert.equal(boilerplateKind({ kind: 'paragraph', text: 'Twitter · RSS', linkOnly: true }), 'link-only line');
});

test('prose that merely mentions those words is kept', () => {
  const prose = [
    'I do not subscribe to the view that walking is a waste of time.',
    'We share a kitchen, a habit of silence, and a dislike of Mondays.',
    'Her comment at dinner stayed with me for a week.',
    'Copyright law is older than the printing press in spirit if not in letter.',
    `Thanks for reading my letter, my mother wrote, and then ${'she went on about the garden and the weather and the neighbours '.repeat(4)}`,
  ];
  for (const text of prose) assert.equal(boilerplateKind(p(text)), undefined, text);
  const { blocks, removed } = stripBoilerplate([p('Real prose.'), p('Subscribe now'), p('More prose.')]);
  assert.deepEqual(blocks.map((b) => b.text), ['Real prose.', 'More prose.']);
  assert.deepEqual(removed, [{ kind: 'call to action', text: 'Subscribe now' }]);
});

test('a sign-off that ends many documents is detected and stripped; an occasional one is kept', () => {
  const docs = Array.from({ length: 10 }, (_, i) => [p(`Essay ${i} body text that is long enough to be prose.`), p(i < 4 ? '— Jane' : `Closing thought ${i}.`)]);
  docs[5]?.push(p('G.J.'));
  const signoffs = detectRepeatedSignoffs(docs);
  assert.deepEqual([...signoffs], ['jane']);
  const { blocks, removed } = stripSignoffs(docs[0] ?? [], signoffs);
  assert.deepEqual(blocks.map((b) => b.text), ['Essay 0 body text that is long enough to be prose.']);
  assert.deepEqual(removed, [{ kind: 'repeated sign-off', text: '— Jane' }]);
  // Two documents out of ten is not "many".
  assert.equal(detectRepeatedSignoffs(docs.map((d, i) => (i < 2 ? d : d.slice(0, 1)))).size, 0);
});

test('nothing is stripped from the shared corpora: they have no newsletter furniture', { skip: corporaMissing }, async () => {
  const parse = await loadMarkdownParser();
  const documents: ProseBlock[][] = [];
  for (const dir of [MACDOWELL, BIERCE_NOTES]) {
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.md'))) {
      const essay = parseEssay(readFileSync(path.join(dir, f), 'utf8'), f, parse);
      const { removed } = stripBoilerplate(essay.blocks);
      assert.deepEqual(removed, [], f);
      documents.push(essay.blocks);
    }
  }
  // Bierce signs ten of his 150 notes "G.J.": a recurring signature, not a newsletter sign-off.
  assert.equal(detectRepeatedSignoffs(documents).size, 0);
});
