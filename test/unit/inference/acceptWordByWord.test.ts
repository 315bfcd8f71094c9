// Accepting a suggestion word by word or line by line (VS Code's own
// editor.action.inlineSuggest.acceptNextWord / acceptNextLine, bound in package.json): after
// each partial accept the editor asks again at the new cursor, and the rest of the same
// suggestion comes back from the suggestion cache, without the model, to its last word.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CompletionService, type CompletionSettings } from '../../../src/inference/completionService';
import { defaultModelOnWorker } from './realModel';

const real = defaultModelOnWorker();
const settings: CompletionSettings = { contextTokens: 1500, maxTokens: 24, stopAt: 'paragraph', temperature: 0, topK: 0, repetitionPenalty: 1.1, repetitionWindow: 0 };

const text = 'The harbour was quiet that morning. Two boats rocked at the pier, and a gull stood on';

/** What VS Code's acceptNextWord takes: the spaces before the next word and the word (with its punctuation). */
const nextWord = (rest: string) => /^\s*\S+/.exec(rest)![0];
/** What acceptNextLine takes: up to and including the next line break, or all. */
const nextLine = (rest: string) => { const i = rest.indexOf('\n'); return i < 0 ? rest : rest.slice(0, i + 1); };

for (const [name, take] of [['word by word', nextWord], ['line by line', nextLine]] as const) {
  test(`accepting ${name}: the rest of the suggestion comes from the cache each time`, { timeout: 600_000 }, async () => {
    const service = new CompletionService(real.model, () => settings);
    const first = await service.complete({ before: text, after: '' });
    assert.equal(first.fromCache, false);
    assert.ok(first.text.trim().split(/\s+/).length >= 3, `a suggestion of several words: ${JSON.stringify(first.text)}`);
    let accepted = '';
    let rest = first.text;
    let steps = 0;
    while (/\S/.test(rest)) {
      const piece = take(rest);
      accepted += piece;
      rest = rest.slice(piece.length);
      steps++;
      if (!/\S/.test(rest)) break;
      const next = await service.complete({ before: text + accepted, after: '' });
      assert.deepEqual([next.fromCache, next.text], [true, rest], `after accepting ${JSON.stringify(accepted)}`);
    }
    assert.equal(accepted, first.text);
    if (name === 'word by word') assert.equal(steps, first.text.trim().split(/\s+/).length);
  });
}
