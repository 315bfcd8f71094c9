// The cache warm-up's place in the worker's queue (issue #21: never blocking a suggestion):
// a request arriving during a warm-up stops it after the chunk in flight and takes what it
// computed from the cache; a newer warm-up replaces one still queued; an abort stops one.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { InferenceWorkerHost, isAbortError, type GenerateRequest } from '../../../src/inference/workerHost';
import type { PromptInput } from '../../../src/inference/protocol';
import { MACDOWELL, corporaMissing } from '../corpus/fixtures';
import { onnxModelDir, WORKER_SOURCE } from './realModel';

let host: InferenceWorkerHost;
/** About 1,500 tokens of MacDowell's essays: a warm-up of many chunks. */
let long = '';

before(async () => {
  host = new InferenceWorkerHost({ script: WORKER_SOURCE });
  await host.ensureModel({ dir: onnxModelDir(), device: 'cpu', dtype: 'q8', threads: 2 });
  if (!corporaMissing) {
    long = readdirSync(MACDOWELL).filter((f) => f.endsWith('.md')).sort().slice(0, 3)
      .map((f) => readFileSync(join(MACDOWELL, f), 'utf8').replace(/^---\n[\s\S]*?\n---\n/, '')).join('\n\n').slice(0, 7000);
  }
});
after(() => host.dispose());

const prompt = (before: string): PromptInput => ({ kind: 'continuation', before, budgetTokens: 1500 });
const request = (before: string, maxNewTokens: number): GenerateRequest => ({
  prompt: prompt(before), sampling: { temperature: 0, topK: 0, repetitionPenalty: 1, maxNewTokens }, stop: { at: 'none', after: '' }, reuseCache: true,
});

test('a suggestion arriving during a warm-up stops it after one chunk and reads what it computed', { skip: corporaMissing, timeout: 600_000 }, async () => {
  await host.generate({ ...request('Clear the cache.', 1), reuseCache: false });
  const warming = host.warm(prompt(long));
  const suggestion = host.generate(request(long, 4));
  const [warmed, written] = await Promise.all([warming, suggestion]);
  assert.equal(warmed.complete, false, 'stopped');
  // The quick window is read first (contextWindow.ts): one chunk of it, then the suggestion.
  const quick = warmed.quick!;
  assert.ok(quick.cachedTokens > 0 && quick.cachedTokens < quick.promptTokens - 1, `${quick.cachedTokens} of ${quick.promptTokens} warmed`);
  assert.ok(quick.cachedTokens <= 128, 'a chunk, not the whole window, ran before the suggestion');
  assert.equal(warmed.cachedTokens, 0, 'the full window was not reached');
  assert.equal(written.stats.window, 'quick', 'the full window had everything left to read: the quick one wrote');
  assert.equal(written.stats.reusedTokens, quick.cachedTokens, 'the suggestion took the warmed part from the cache');
  assert.equal(written.stats.newTokens, 4);
});

test('after a suggestion from the quick window, the full one is read in the background and then writes', { skip: corporaMissing, timeout: 600_000 }, async () => {
  await host.generate({ ...request('Clear the cache.', 1), reuseCache: false });
  const first = await host.generate(request(long, 2));
  assert.equal(first.stats.window, 'quick');
  // The worker reads the full window in the background; a warm-up sent now takes over and finishes it.
  const warmed = await host.warm(prompt(long));
  assert.ok(warmed.complete);
  const next = await host.generate(request(`${long} and`, 2));
  assert.equal(next.stats.window, 'full');
  assert.ok(next.stats.promptTokens - next.stats.reusedTokens <= 3, 'only the typed word is computed');
});

test('a newer warm-up replaces one still queued; an abort stops one', { skip: corporaMissing, timeout: 600_000 }, async () => {
  const busy = host.generate({ ...request(long, 8), reuseCache: false });
  const older = host.warm(prompt(`${long} and`));
  const newer = host.warm(prompt(long.slice(0, 2000)));
  const [dropped, , ran] = await Promise.all([older, busy, newer]);
  assert.deepEqual([dropped.complete, dropped.computedTokens], [false, 0], 'the older one never ran');
  assert.ok(ran.complete && ran.cachedTokens === ran.promptTokens - 1);

  const controller = new AbortController();
  const aborted = host.warm(prompt(long), { signal: controller.signal });
  controller.abort();
  await assert.rejects(aborted, isAbortError);
  const after = await host.generate(request('The worker goes on serving.', 2));
  assert.equal(after.stats.newTokens, 2);
});
