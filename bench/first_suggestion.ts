// The first suggestion in a document (issue #21, no cold start): a document with 1,500
// tokens before the cursor gets focus, the editor's cache warm-up starts (as
// src/features/cacheWarmUp.ts does, 150 ms after focus), and 2 s after opening the writer
// types a character and asks for a 24-token suggestion. Timed from the request to the
// suggestion, through CompletionService and the real inference worker, with the warm-up and
// without it (cold: what every first suggestion cost before); llama.cpp's cold figure
// (node-llama-cpp, same model's GGUF, same prompt) in the same run for scale. Every run is a
// different place in the essays, so nothing is left in the cache from the run before.
//
//   node --import tsx bench/first_suggestion.ts [--runs N] [--open-ms 2000] [--model DIR] [--gguf FILE] [--threads N] [--only onnx]
//
// Benchmarks print figures and never fail a build.
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fixedVoice } from '../src/inference/activeVoice';
import { CompletionService } from '../src/inference/completionService';
import { explicitModel, locateModel } from '../src/inference/modelLocator';
import { ModelTokenizer } from '../src/inference/modelTokenizer';
import { VoiceModel } from '../src/inference/voiceModel';
import { InferenceWorkerHost } from '../src/inference/workerHost';
import { arg, corpusText, findGguf, percentile } from './latencyShared';

type LlamaCpp = typeof import('node-llama-cpp', { with: { 'resolution-mode': 'import' } });

const PREFIX_TOKENS = 1500;
const SUGGESTION_TOKENS = 24;
/** As src/features/cacheWarmUp.ts: the warm-up starts this long after the document gets focus. */
const FOCUS_DELAY_MS = 150;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const runs = Number(arg('runs') ?? 8);
  const openMs = Number(arg('open-ms') ?? 2000);
  const threads = Number(arg('threads') ?? Math.min(2, availableParallelism()));
  const located = arg('model') ? explicitModel(arg('model')!, 'q8') : locateModel(undefined, { preferDtype: 'q8' });
  const tokenizer = await ModelTokenizer.load(located.dir);
  const ids = tokenizer.encode(corpusText(), { addSpecialTokens: false });
  // Run k's document: 1,500 tokens from its own stretch of the essays, then what the writer types.
  const places = Array.from({ length: runs + 1 }, (_, k) => {
    const start = k * (PREFIX_TOKENS + 300);
    if (start + PREFIX_TOKENS + 10 > ids.length) throw new Error(`the essays are too short for ${runs} runs`);
    const before = tokenizer.decode(ids.slice(start, start + PREFIX_TOKENS), { skipSpecialTokens: true });
    const typed = tokenizer.decode(ids.slice(start + PREFIX_TOKENS, start + PREFIX_TOKENS + 1), { skipSpecialTokens: true }).slice(0, 1);
    return { before, typed };
  });

  console.log(`Voice Draft first suggestion after opening a document — ${new Date().toISOString()}`);
  console.log(`machine: ${cpus()[0]?.model ?? 'cpu'} × ${availableParallelism()}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}, node ${process.version}`);
  console.log(`ONNX: ${located.dir} (${located.dtype}, ${threads} threads); ${PREFIX_TOKENS}-token prefix, ${SUGGESTION_TOKENS}-token suggestion (greedy, no early stop), asked ${openMs} ms after opening; ${runs} runs\n`);

  const host = new InferenceWorkerHost({ script: join(__dirname, '..', 'src', 'inference', 'worker.ts') });
  const model = new VoiceModel({ host, voice: fixedVoice(undefined), device: () => 'cpu', threads: () => threads, locate: () => located });
  const service = new CompletionService(model, () => ({ contextTokens: PREFIX_TOKENS + 200, maxTokens: SUGGESTION_TOKENS, stopAt: 'none', temperature: 0, topK: 0, repetitionPenalty: 1, repetitionWindow: 0 }));
  await model.ready();
  await service.complete({ before: places[runs]!.before, after: '' }); // first-run allocations

  const series = { warm: [] as number[], cold: [] as number[], warmedTokens: [] as number[], reused: [] as number[] };
  for (let k = 0; k < runs; k++) {
    const { before, typed } = places[k]!;
    for (const warmUp of [true, false]) {
      service.clear();
      const opened = performance.now();
      let warmed: Promise<unknown> = Promise.resolve();
      if (warmUp) {
        await sleep(FOCUS_DELAY_MS);
        warmed = service.warm({ before, after: '' }).then((s) => { if (s) series.warmedTokens.push(s.cachedTokens); });
      } else {
        // Cold: both caches (full and quick window) hold another document, as after a file switch without the warm-up.
        await service.warm({ before: places[(k + 1) % runs]!.before, after: '' });
      }
      if (warmUp) await sleep(Math.max(0, openMs - (performance.now() - opened)));
      const t = performance.now();
      const r = await service.complete({ before: before + typed, after: '' });
      const ms = performance.now() - t;
      await warmed;
      (warmUp ? series.warm : series.cold).push(ms);
      if (warmUp) series.reused.push(r.stats?.reusedTokens ?? 0);
    }
  }
  model.dispose();
  await host.dispose();

  const line = (name: string, ms: number[]) => `${name.padEnd(44)} p50 ${percentile(ms, 50).toFixed(0).padStart(6)} ms   p95 ${percentile(ms, 95).toFixed(0).padStart(6)} ms   (n=${ms.length})`;
  console.log(line('onnx, warmed while open (the editor now)', series.warm), `— cache held ${percentile(series.reused, 50).toFixed(0)} of ~${PREFIX_TOKENS} prompt tokens (p50)`);
  console.log(line('onnx, cold (before the warm-up)', series.cold));
  let cppCold: number[] | undefined;
  if (arg('only') !== 'onnx') cppCold = await llamaCold(places.slice(0, runs).map((p) => p.before + p.typed), threads);
  if (cppCold) console.log(line('llama.cpp, cold', cppCold));
  const warm50 = percentile(series.warm, 50);
  console.log(`\nwarmed / cold (p50): ${(warm50 / percentile(series.cold, 50)).toFixed(2)}×${cppCold ? `; warmed / llama.cpp cold: ${(warm50 / percentile(cppCold, 50)).toFixed(2)}×` : ''}`);
  console.log(`target: first suggestion after ${openMs} ms open p50 ≤ 1.0 s — ${warm50 <= 1000 ? 'met' : 'NOT met'} (${(warm50 / 1000).toFixed(2)} s)`);
  console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}

/** llama.cpp's cold first suggestion: the whole prompt evaluated, then 24 tokens. */
async function llamaCold(prompts: string[], threads: number): Promise<number[]> {
  const llamaCpp: LlamaCpp = await import('node-llama-cpp');
  const llama = await llamaCpp.getLlama({ gpu: false, build: 'never', logLevel: llamaCpp.LlamaLogLevel.error });
  const gmodel = await llama.loadModel({ modelPath: findGguf() });
  const context = await gmodel.createContext({ contextSize: 2048, threads, batchSize: 512 });
  const sequence = context.getSequence();
  const out: number[] = [];
  for (const [i, prompt] of [prompts[0]!, ...prompts].entries()) {
    const t = performance.now();
    await sequence.clearHistory();
    let n = 0;
    for await (const token of sequence.evaluate(gmodel.tokenize(prompt), { temperature: 0 })) {
      void token;
      if (++n >= SUGGESTION_TOKENS) break;
    }
    if (i > 0) out.push(performance.now() - t); // the first is a warm-up of the runtime itself
  }
  await context.dispose();
  await gmodel.dispose();
  await llama.dispose();
  return out;
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exitCode = 1;
});
