// Several rewrites per paragraph, ranked by the voice score: the best is shown first (one the
// content check flags never beats one it does not), the writer may pick another, and the
// result's text and offsets follow the pick.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseCandidate, RewriteService, type RewriteModel, type RewriteSettings } from '../../../src/inference/rewriteService';
import type { VoiceScorer } from '../../../src/inference/voiceScore';
import type { GenerateRequest } from '../../../src/inference/workerHost';

/** Answers request n with outputs[n], all at once. */
class Answers implements RewriteModel {
  requests: GenerateRequest[] = [];
  constructor(private readonly outputs: string[]) {}
  async generate(req: GenerateRequest, opts: { onText?: (t: string) => void } = {}) {
    this.requests.push(req);
    const text = this.outputs[this.requests.length - 1] ?? '';
    opts.onText?.(text);
    return { text, reason: 'eos' as const, stats: { promptTokens: 1, reusedTokens: 0, newTokens: 1, ms: 1 } };
  }
}

/** Scores a text by the marks it carries: "thus" and semicolons read like this writer. */
const scorer: VoiceScorer = { probability: (t) => Math.min(1, 0.2 + 0.3 * (t.match(/\bthus\b|;/g)?.length ?? 0)) };
const sampled = (candidates: number): (() => RewriteSettings) => () => ({ temperature: 0.7, topK: 40, repetitionPenalty: 1, maxTokens: 200, candidates });

const DRAFT = 'The mill closed in 1911 and the town was quiet after that.';
const PLAIN = 'The mill closed in 1911, and the town was quiet after that.';
const VOICED = 'The mill closed in 1911; thus the town fell quiet.';
const FLAGGED = 'The mill closed; thus the town fell quiet; thus it stayed.'; // drops 1911, reads most like the writer
const SECOND = 'The shop stayed open for years.';

test('the voice score ranks the candidates, and a flagged one comes last whatever its score', async () => {
  const model = new Answers([PLAIN, VOICED, FLAGGED]);
  const result = await new RewriteService(model, sampled(3), undefined, () => Promise.resolve(scorer)).rewrite(DRAFT);
  assert.equal(model.requests.length, 3);
  assert.equal(result.text, VOICED);
  const [r] = result.reports;
  assert.ok(r && !r.keptDraft && r.chosen === 0);
  assert.deepEqual(r.candidates.map((c) => c.text), [VOICED, PLAIN, FLAGGED]);
  assert.ok(r.candidates[0]!.voice! > r.candidates[1]!.voice! && r.candidates[2]!.content.flags.length > 0);
  assert.equal(r.output, VOICED);
  assert.deepEqual(r.content, r.candidates[0]!.content);
});

test('the writer picks another: the text, its report and the offsets after it follow', async () => {
  const draft = `${DRAFT}\n\nthe shop stayed open.`;
  const model = new Answers([PLAIN, VOICED, SECOND, `${SECOND} It did.`]);
  const result = await new RewriteService(model, sampled(2), undefined, () => Promise.resolve(scorer)).rewrite(draft);
  assert.equal(result.text, `${VOICED}\n\n${SECOND}`);
  const picked = chooseCandidate(result, 0, 1);
  assert.equal(picked.text, `${PLAIN}\n\n${SECOND}`);
  const [first, second] = picked.reports;
  assert.ok(first && second);
  assert.equal(first.chosen, 1);
  assert.equal(picked.text.slice(first.start, first.end), PLAIN);
  assert.equal(picked.text.slice(second.start, second.end), SECOND);
  assert.equal(first.output, PLAIN);
  assert.equal(result.text, `${VOICED}\n\n${SECOND}`, 'the first result is left as it was');
  assert.throws(() => chooseCandidate(result, 0, 5), RangeError);
});

test('greedy decoding asks once; an answer with nothing usable is replaced by one more request; no scorer keeps the order', async () => {
  const greedy = new Answers([PLAIN, VOICED]);
  await new RewriteService(greedy, () => ({ ...sampled(3)(), temperature: 0 })).rewrite(DRAFT);
  assert.equal(greedy.requests.length, 1);

  const chatty = new Answers(['Sure! I hope this helps.', PLAIN, VOICED]);
  const result = await new RewriteService(chatty, sampled(2)).rewrite(DRAFT);
  assert.equal(chatty.requests.length, 3);
  const [r] = result.reports;
  assert.ok(r);
  assert.equal(r.attempts, 3);
  assert.deepEqual(r.candidates.map((c) => [c.text, c.voice]), [[PLAIN, undefined], [VOICED, undefined]]);
});
