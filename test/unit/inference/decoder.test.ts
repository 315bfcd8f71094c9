// The decode loop against a reference without any cache: the whole sequence computed
// afresh for every token, the next one its argmax after Hugging Face's repetition penalty,
// on the real offline model (fp32: the q8 model quantizes activations per call, so only
// fp32 must match exactly).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { Decoder, kvLayout } from '../../../src/inference/decoder';
import { openDecoderSession } from '../../../src/inference/decoderSession';
import { modelFile, modelFiles } from '../../../src/inference/modelLocator';
import { ModelTokenizer } from '../../../src/inference/modelTokenizer';
import type { SamplingOptions } from '../../../src/inference/protocol';
import { allLogits, argmax } from '../export/onnxParity';
import { onnxModelDir } from './realModel';

/** The export's whole graph, present.* included. */
let session: InferenceSession;
let ids: (text: string) => number[];
/** The default export's own binding (kept, from export format 4) and the appending one. */
let decoder: Decoder;
let appending: Decoder;
/** The worker's own: the session decoderSession.ts opens, without present.*. */
let trimmed: Decoder;
let trimmedSession: InferenceSession;

before(async () => {
  const dir = onnxModelDir();
  const tokenizer = await ModelTokenizer.load(dir);
  ids = (text) => tokenizer.encode(text);
  session = await InferenceSession.create(modelFile(dir, modelFiles(dir)!, 'fp32'), { intraOpNumThreads: 2 });
  decoder = new Decoder(session, Tensor);
  appending = new Decoder(session, Tensor, { appended: true });
  trimmedSession = (await openDecoderSession(modelFile(dir, modelFiles(dir)!, 'fp32'), { device: 'cpu', threads: 2 })).session;
  trimmed = new Decoder(trimmedSession, Tensor);
});
after(async () => {
  await session.release();
  await trimmedSession.release();
});
const name = (d: Decoder) => (d === trimmed ? 'trimmed' : d.layout.kept ? 'kept' : 'appended');

const greedy = (maxNewTokens: number, repetitionPenalty = 1, repetitionWindow = 0): SamplingOptions =>
  ({ temperature: 0, topK: 0, repetitionPenalty, repetitionWindow, maxNewTokens });

/**
 * The greedy continuation of `prompt` with no cache at all: every token recomputes the whole
 * sequence. The penalty is Hugging Face's: a token among the last `window` (0: all) has its
 * logit divided by it when positive, multiplied when negative.
 */
async function reference(prompt: number[], maxNewTokens: number, repetitionPenalty = 1, window = 0): Promise<number[]> {
  const tokens = [...prompt];
  for (let i = 0; i < maxNewTokens; i++) {
    const last = Float32Array.from((await allLogits(session, tokens)).at(-1)!);
    for (const t of new Set(window > 0 ? tokens.slice(-window) : tokens)) last[t] = last[t]! > 0 ? last[t]! / repetitionPenalty : last[t]! * repetitionPenalty;
    tokens.push(argmax(last));
  }
  return tokens.slice(prompt.length);
}

const opening = 'The lighthouse keeper climbed the stairs every evening, and';

test('the cache layout comes from the session: SmolLM2 has 30 layers of 3 KV heads of 64', () => {
  const layout = decoder.layout;
  assert.equal(layout.names.length, 60);
  assert.deepEqual([layout.heads, layout.headDim, layout.type], [3, 64, 'float32']);
  assert.ok(layout.kept, 'export format 4 outputs new_key_values.* (npm run setup rebuilds an older default export)');
  assert.equal(appending.layout.kept, false);
  assert.ok(trimmed.layout.kept);
  assert.ok(!trimmedSession.outputNames.some((n) => n.startsWith('present.')), 'the worker\'s session has no present outputs');
  assert.throws(() => kvLayout({ inputMetadata: [], outputNames: [] }), /no past_key_values/);
});

test('greedy decoding writes exactly what recomputing the whole text for each token writes, with and without a repetition penalty', { timeout: 600_000 }, async () => {
  const prompt = ids(opening);
  for (const [penalty, window] of [[1, 0], [1.3, 0], [1.3, 4]] as const) {
    const want = await reference(prompt, 12, penalty, window);
    for (const d of [decoder, appending, trimmed]) {
      const got = await d.generate({ prompt, cache: d.newCache(), reuseCache: false, eos: [], sampling: greedy(12, penalty, window) });
      assert.deepEqual(got.generated, want, `repetition penalty ${penalty} over ${window || 'all'} tokens, ${name(d)} cache`);
      assert.equal(got.reused, 0);
    }
  }
});

for (const kind of ['kept', 'appended', 'trimmed'] as const) test(`a reused, cropped cache and a cache that grew give what a fresh one gives (${kind})`, { timeout: 600_000 }, async () => {
  const d = { kept: decoder, appended: appending, trimmed }[kind];
  const cache = d.newCache(4); // small: every request below outgrows it
  const first = await d.generate({ prompt: ids(opening), cache, reuseCache: true, eos: [], sampling: greedy(8) });
  assert.equal(cache.length, ids(opening).length + 7, 'the cache covers the prompt and all but the last token');
  assert.ok(cache.capacity >= cache.length);
  // The writer rejected the suggestion and typed something else: the cache holds the old suggestion too.
  const next = ids('The lighthouse keeper climbed the stairs every evening, but one night');
  const warm = await d.generate({ prompt: next, cache, reuseCache: true, eos: [], sampling: greedy(10) });
  assert.ok(warm.reused >= 8 && warm.reused < next.length, `reused ${warm.reused} of ${next.length}`);
  const cold = await d.generate({ prompt: next, cache: d.newCache(), reuseCache: true, eos: [], sampling: greedy(10) });
  assert.equal(cold.reused, 0);
  assert.deepEqual(warm.generated, cold.generated);
  assert.notDeepEqual(first.generated, [], 'the first request wrote something');
});

test('generation stops at an end token or when the caller says so', { timeout: 600_000 }, async () => {
  const prompt = ids(opening);
  const [firstToken] = await reference(prompt, 1);
  const ended = await decoder.generate({ prompt, cache: decoder.newCache(), reuseCache: false, eos: [firstToken!], sampling: greedy(12) });
  const { logprobs, ...result } = ended;
  assert.deepEqual(result, { generated: [firstToken], reused: 0, eos: true });
  assert.equal(logprobs.length, 1, 'one log-probability per token');
  const seen: number[] = [];
  const stopped = await decoder.generate({
    prompt, cache: decoder.newCache(), reuseCache: false, eos: [], sampling: greedy(12),
    onToken: (generated) => { seen.push(generated.length); return generated.length === 3; },
  });
  assert.equal(stopped.generated.length, 3);
  assert.deepEqual(seen, [1, 2, 3]);
  assert.deepEqual((await decoder.generate({ prompt, cache: decoder.newCache(), reuseCache: false, eos: [], sampling: greedy(0) })).generated, []);
});

test('a long prompt being read stops between its runs when asked, and what was read stays cached', { timeout: 600_000 }, async () => {
  const prompt = ids(`${opening} ${'He counted the steps as his father had, and the count was always the same. '.repeat(40)}`);
  assert.ok(prompt.length > 600, `a prompt of several runs (${prompt.length} tokens)`);
  const cache = decoder.newCache();
  let asked = 0;
  const stopped = await decoder.generate({ prompt, cache, reuseCache: true, eos: [], sampling: greedy(4), shouldStop: () => ++asked > 1 });
  assert.equal(stopped.stopped, true);
  assert.deepEqual(stopped.generated, []);
  const read = cache.length;
  assert.ok(read > 0 && read < prompt.length - 1, `one run read (${read} of ${prompt.length})`);
  const resumed = await decoder.generate({ prompt, cache, reuseCache: true, eos: [], sampling: greedy(4) });
  assert.equal(resumed.reused, read, 'the next keystroke starts from what was read');
  assert.deepEqual(resumed.generated, await reference(prompt, 4));
});
