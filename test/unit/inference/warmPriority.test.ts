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
  prompt: prompt(before), sampling: { temperature: 0, topK: 0, repetitionPenalty: 1, repetitionWindow: 0, maxNewTokens }, stop: { at: 'none', after: '' }, reuseCache: true,
});

test('a suggestion arriving during a warm-up stops it after one chunk and reads what it computed', { skip: corporaMissing, timeout: 600_000 }, async () => {
  await host.generate({ ...request('Clear the cache.', 1), reuseCache: false });
  const short = long.slice(0, 1400); // within the quick window's length: one window, one cache
  const warming = host.warm(prompt(short));
  const suggestion = host.generate(request(short, 4));
  const [warmed, written] = await Promise.all([warming, suggestion]);
  assert.equal(warmed.quick, undefined);
  assert.equal(warmed.complete, false, 'stopped');
  assert.ok(warmed.cachedTokens > 0 && warmed.cachedTokens < warmed.promptTokens - 1, `${warmed.cachedTokens} of ${warmed.promptTokens} warmed`);
  assert.ok(warmed.cachedTokens <= 128, 'a chunk, not the whole prompt, ran before the suggestion');
  assert.equal(written.stats.reusedTokens, warmed.cachedTokens, 'the suggestion took the warmed part from the cache');
  assert.equal(written.stats.newTokens, 4);
});

test('an edit far back: the quick window writes at once, the full one is read in the background and then writes', { skip: corporaMissing, timeout: 600_000 }, async () => {
  const warmed = await host.warm(prompt(long));
  assert.ok(warmed.complete && warmed.quick && warmed.quick.cachedTokens === warmed.quick.promptTokens - 1, 'both windows read');
  const edited = `Now ${long}`; // the full window's start changed; the quick window's text did not
  const first = await host.generate(request(edited, 2));
  assert.equal(first.stats.window, 'quick');
  assert.equal(first.stats.reusedTokens, first.stats.promptTokens - 1);
  // The worker reads the full window in the background; a warm-up sent now takes over and finishes it.
  assert.ok((await host.warm(prompt(edited))).complete);
  const next = await host.generate(request(`${edited} and`, 2));
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
