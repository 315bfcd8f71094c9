import assert from 'node:assert/strict';
import { test } from 'node:test';
import { splitForRewrite } from '../../../src/inference/rewriteService';

test('a selection splits into paragraphs; code, headings and rules are kept; whitespace survives', () => {
  const text = '\n# Title\n\nFirst draft para.\nStill first.\n\n```\ncode\n\nmore code\n```\n\n---\n\nSecond para.  \n';
  const { leading, segments } = splitForRewrite(text);
  assert.equal(leading, '\n');
  assert.deepEqual(segments.map((s) => [s.kind, s.text]), [
    ['keep', '# Title'],
    ['rewrite', 'First draft para.\nStill first.'],
    ['keep', '```\ncode\n\nmore code\n```'],
    ['keep', '---'],
    ['rewrite', 'Second para.'],
  ]);
  assert.equal(leading + segments.map((s) => s.text + s.separator).join(''), text, 'nothing is lost when nothing is rewritten');
});

test('a single paragraph is one segment', () => {
  const { segments } = splitForRewrite('Just one sentence here.');
  assert.deepEqual(segments, [{ kind: 'rewrite', text: 'Just one sentence here.', separator: '' }]);
});
