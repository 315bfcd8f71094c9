import assert from 'node:assert/strict';
import { test } from 'node:test';
import { proseOnly, regionAt } from '../../../src/inference/markdownContext';

const doc = ['---', 'title: A', '---', '', 'Prose one.', '', '```js', 'const x = 1;', '', 'y();', '```', '', 'Prose two.'].join('\n');

test('front matter and fenced code (blank lines inside included) are not prose', () => {
  assert.equal(regionAt(doc, doc.indexOf('title')), 'frontMatter');
  assert.equal(regionAt(doc, doc.indexOf('Prose one.') + 3), 'prose');
  assert.equal(regionAt(doc, doc.indexOf('y();')), 'code');
  assert.equal(regionAt(doc, doc.indexOf('const')), 'code');
  assert.equal(regionAt(doc, doc.indexOf('Prose two.')), 'prose');
  assert.equal(regionAt(doc, doc.length), 'prose');
});

test('an unclosed fence runs to the end: typing inside a new code block gets no ghost text', () => {
  const open = 'Text.\n\n~~~\nsome code';
  assert.equal(regionAt(open, open.length), 'code');
  assert.equal(regionAt('Text.\n\n```', 'Text.\n\n```'.length), 'code', 'the cursor on the fence line itself');
});

test('a closing fence needs the same character, at least as long', () => {
  const t = '````\n```\nstill code\n````\nprose';
  assert.equal(regionAt(t, t.indexOf('still')), 'code');
  assert.equal(regionAt(t, t.indexOf('prose')), 'prose');
});

test('proseOnly keeps the paragraphs and drops front matter and code', () => {
  assert.equal(proseOnly(doc).trim(), 'Prose one.\n\nProse two.');
  assert.ok(!proseOnly(doc).includes('\n\n\n'), 'at most one blank line where a block was');
});
