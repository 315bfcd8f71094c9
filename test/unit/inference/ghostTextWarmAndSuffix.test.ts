// Ghost text on the real worker and model (issue #21): the cache warm-up fills exactly the
// cache a suggestion at that place reads; a voice that learned fill-in-the-middle is asked
// with the text after the cursor in the training format, one that did not is not; and a
// suggestion below the confidence threshold is not shown.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { afterTextForPrompt, fillInTheMiddlePrompt } from '../../../src/core/dataset/fim';
import { fixedVoice } from '../../../src/inference/activeVoice';
import { CompletionService, type CompletionSettings } from '../../../src/inference/completionService';
import { explicitModel, type LocatedModel } from '../../../src/inference/modelLocator';
import { ModelTokenizer } from '../../../src/inference/modelTokenizer';
import { VoiceModel } from '../../../src/inference/voiceModel';
import { InferenceWorkerHost } from '../../../src/inference/workerHost';
import { onnxModelDir, WORKER_SOURCE } from './realModel';

let host: InferenceWorkerHost;
let tokenizer: ModelTokenizer;
let plain: LocatedModel;
const models: VoiceModel[] = [];
const settings: CompletionSettings = { contextTokens: 1500, maxTokens: 6, stopAt: 'none', temperature: 0, topK: 0, repetitionPenalty: 1, repetitionWindow: 0 };

before(async () => {
  host = new InferenceWorkerHost({ script: WORKER_SOURCE });
  plain = explicitModel(onnxModelDir(), 'q8');
  tokenizer = await ModelTokenizer.load(plain.dir);
});
after(async () => {
  for (const m of models) m.dispose();
  await host.dispose();
});

/** A voice's run folder: the default export as its onnx/, and a dataset manifest with or without fill-in-the-middle pairs. */
function runWith(fimPairs: number, fimAfterWords = 12, config: Record<string, unknown> = {}): LocatedModel {
  const run = mkdtempSync(join(tmpdir(), 'voice-run-'));
  symlinkSync(plain.dir, join(run, 'onnx'));
  mkdirSync(join(run, 'dataset'));
  writeFileSync(join(run, 'dataset', 'manifest.json'), JSON.stringify({ tiersBySplit: { train: { fim: fimPairs }, val: { fim: 0 } }, settings: { fimAfterWords } }));
  writeFileSync(join(run, 'config.json'), JSON.stringify(config));
  return { ...plain, runDir: run };
}

function service(located: LocatedModel, s: CompletionSettings = settings): CompletionService {
  const model = new VoiceModel({ host, voice: fixedVoice(located.runDir), device: () => 'cpu', threads: () => 2, locate: () => located });
  models.push(model);
  return new CompletionService(model, () => s);
}

const essay = [
  'The lighthouse keeper climbed the stairs every evening. He counted them, as his father had, and the count was always the same.',
  'In winter the lamp smoked. He trimmed the wick with the small scissors that hung from a nail by the door, and',
].join('\n\n');
const rest = ' wiped the glass until it shone. Nobody came to the island after October. The supply boat left a crate on the rocks and did not wait.';

test('a warm-up fills what the suggestion there reads: all of its prompt but the last token', { timeout: 600_000 }, async () => {
  const s = service(plain);
  const warmed = await s.warm({ before: essay, after: rest });
  assert.ok(warmed?.complete);
  assert.equal(warmed.cachedTokens, warmed.promptTokens - 1);
  assert.equal(warmed.computedTokens, warmed.cachedTokens, 'a cold cache: everything computed');
  const again = await s.warm({ before: essay, after: rest });
  assert.equal(again?.computedTokens, 0, 'a second warm-up at the same place computes nothing');

  const suggestion = await s.complete({ before: essay, after: rest });
  assert.equal(suggestion.stats?.promptTokens, warmed.promptTokens);
  assert.equal(suggestion.stats?.reusedTokens, warmed.promptTokens - 1);
});

test('a voice without fill-in-the-middle is asked with the text before the cursor only', { timeout: 600_000 }, async () => {
  // The default model; a dataset without the pairs; a run whose training left them out (a CPU's default).
  for (const located of [plain, runWith(0), runWith(40, 13, { fim_pairs: false })]) {
    const r = await service(located).complete({ before: essay, after: rest });
    assert.equal(r.stats?.promptTokens, tokenizer.encode(essay).length);
  }
});

test('a voice that learned fill-in-the-middle is shown the text after the cursor, whole sentences within its training length', { timeout: 600_000 }, async () => {
  const s = service(runWith(40, 13));
  const r = await s.complete({ before: essay, after: rest });
  const shown = afterTextForPrompt(rest, 13)!;
  assert.equal(shown, 'wiped the glass until it shone. Nobody came to the island after October.');
  assert.equal(r.stats?.promptTokens, tokenizer.encode(fillInTheMiddlePrompt(essay, shown)).length);
  // Warm-up and suggestion share the prompt: the suffix-first order keeps the cache across a keystroke.
  const warmed = await s.warm({ before: `${essay} then`, after: rest });
  assert.ok(warmed && warmed.computedTokens <= 3, `${warmed?.computedTokens} tokens computed after typing one word`);
});

test('a suggestion below the confidence threshold is not shown, and the place stays quiet', { timeout: 600_000 }, async () => {
  const shown = await service(plain).complete({ before: essay, after: '' });
  assert.ok(shown.confidence !== undefined && shown.confidence > 0 && shown.confidence <= 1, `confidence ${shown.confidence}`);
  assert.equal(shown.silenced, false);
  assert.notEqual(shown.text, '');

  // A threshold no suggestion reaches: written, judged, not shown.
  const strict = service(plain, { ...settings, minConfidence: 1 });
  const quiet = await strict.complete({ before: essay, after: '' });
  assert.deepEqual([quiet.text, quiet.silenced], ['', true]);
  assert.ok(quiet.stats && quiet.stats.newTokens > 0 && quiet.confidence! < 1);
  const again = await strict.complete({ before: essay, after: '' });
  assert.deepEqual([again.text, again.fromCache], ['', true]);
});
