// The editor's voice score gives scikit-learn's own probabilities (test/fixtures/voice-score,
// written by the engine's portable_writer_classifier and predict_proba).
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadVoiceScorer, parseVoiceScorer, VOICE_SCORE_FILE, VoiceScoreError } from '../../../src/inference/voiceScore';

const FIXTURE = join(__dirname, '../../fixtures/voice-score');

test('P(writer) equals scikit-learn’s for every case, punctuation, accents, empty text and numbers included', async () => {
  const scorer = parseVoiceScorer(JSON.parse(await readFile(join(FIXTURE, 'scorer.json'), 'utf8')));
  const cases = JSON.parse(await readFile(join(FIXTURE, 'cases.json'), 'utf8')) as Array<{ text: string; probability: number }>;
  assert.ok(cases.length >= 6);
  for (const c of cases) assert.ok(Math.abs(scorer.probability(c.text) - c.probability) < 1e-4, `${c.text}: ${scorer.probability(c.text)} vs ${c.probability}`);
  // The writer's own lines rank above the chat assistant's.
  assert.ok(scorer.probability(cases[0]!.text) > 0.5 && scorer.probability(cases[2]!.text) < 0.5);
});

test('a run without voice-score.json has no scorer; a broken one is refused with the reason', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'voice-score-'));
  assert.equal(await loadVoiceScorer(dir), undefined);
  assert.equal(await loadVoiceScorer(undefined), undefined);
  await writeFile(join(dir, VOICE_SCORE_FILE), JSON.stringify({ format: 1, words: { terms: ['a'], idf: [1] }, chars: { terms: [], idf: [] }, coef: [], intercept: 0 }));
  await assert.rejects(loadVoiceScorer(dir), (e: unknown) => e instanceof VoiceScoreError && /coef/.test(e.message));
  assert.throws(() => parseVoiceScorer({ format: 2 }), VoiceScoreError);
});
