// Keystroke-to-suggestion latency of ghost text: a 24-token suggestion after a
// 1,500-token prefix, cold (prefix computed from scratch) and with the key/value cache
// carried over from the previous keystroke, through the real inference worker; then
// the same model (the GGUF the offline default is built from) in llama.cpp through
// node-llama-cpp, the same way, in the same run. Prints p50/p95 of each and the ratio.
//
//   node --import tsx bench/completion_latency.ts [--model DIR] [--gguf FILE] [--keystrokes N] [--cold N] [--dtype q8|fp32] [--threads N] [--only onnx|llama]
//
// Benchmarks print figures and never fail a build.
import { availableParallelism, cpus, homedir, loadavg } from 'node:os';
import { join } from 'node:path';
import { explicitModel, locateModel } from '../src/inference/modelLocator';
import { ModelTokenizer } from '../src/inference/modelTokenizer';
import type { Dtype } from '../src/inference/protocol';
import { InferenceWorkerHost, type GenerateRequest } from '../src/inference/workerHost';
import { arg, corpusText, findGguf, percentile } from './latencyShared';

type LlamaCpp = typeof import('node-llama-cpp', { with: { 'resolution-mode': 'import' } });

const PREFIX_TOKENS = 1500;
const SUGGESTION_TOKENS = 24;

interface Series { name: string; ms: number[]; tokens: number[] }

function summary(s: Series): string {
  const meanTokens = s.tokens.reduce((a, b) => a + b, 0) / s.tokens.length;
  return `${s.name.padEnd(34)} p50 ${percentile(s.ms, 50).toFixed(0).padStart(6)} ms   p95 ${percentile(s.ms, 95).toFixed(0).padStart(6)} ms   (n=${s.ms.length}, ${meanTokens.toFixed(1)} tokens/suggestion)`;
}

async function main(): Promise<void> {
  const dtype = (arg('dtype') ?? 'q8') as Dtype;
  const threads = Number(arg('threads') ?? Math.min(2, availableParallelism()));
  const keystrokes = Number(arg('keystrokes') ?? 30);
  const coldRuns = Number(arg('cold') ?? 8);
  const model = arg('model') ? explicitModel(arg('model')!, dtype) : locateModel(undefined, { preferDtype: dtype });
  const gguf = findGguf();

  // The prefix: whole paragraphs of the essays, cut to exactly PREFIX_TOKENS tokens; then the text the "writer" types.
  const tokenizer = await ModelTokenizer.load(model.dir);
  const text = corpusText();
  const ids = tokenizer.encode(text, { addSpecialTokens: false });
  if (ids.length < PREFIX_TOKENS + 400) throw new Error(`the text is too short (${ids.length} tokens)`);
  const prefix = tokenizer.decode(ids.slice(0, PREFIX_TOKENS), { skipSpecialTokens: true });
  const typed = text.slice(prefix.length, prefix.length + 400);
  /** What is before the cursor after keystroke k: the prefix plus k typed characters. */
  const at = (k: number) => prefix + typed.slice(0, k);

  console.log(`Voice Draft completion latency — ${new Date().toISOString()}`);
  console.log(`machine: ${cpus()[0]?.model ?? 'cpu'} × ${availableParallelism()}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}, node ${process.version}`);
  console.log(`ONNX: ${model.dir} (${model.dtype}, ${threads} threads)   GGUF: ${gguf.replace(homedir(), '~')}`);
  console.log(`prefix ${PREFIX_TOKENS} tokens, suggestion ${SUGGESTION_TOKENS} tokens (greedy, no early stop), ${keystrokes} keystrokes, ${coldRuns} cold runs\n`);

  const only = arg('only');
  const ours = only === 'llama' ? undefined : await benchOnnx({ dir: model.dir, dtype: model.dtype, threads, keystrokes, coldRuns, at });
  const cpp = only === 'onnx' ? undefined : await benchLlama({ gguf, threads, keystrokes, coldRuns, at });

  if (ours && cpp) {
    const ratio = (a: Series, b: Series) => (percentile(a.ms, 50) / percentile(b.ms, 50)).toFixed(2);
    console.log(`\nratio ours/llama.cpp (p50): cold ${ratio(ours.cold, cpp.cold)}×, KV reuse ${ratio(ours.warm, cpp.warm)}×`);
  }
  if (ours) {
    const warm50 = percentile(ours.warm.ms, 50);
    const vsCpp = cpp ? `p50 no slower than llama.cpp — ${warm50 <= percentile(cpp.warm.ms, 50) ? 'met' : 'NOT met'}; ` : '';
    console.log(`target: ${vsCpp}≤ 150 ms p50 with KV reuse — ${warm50 <= 150 ? 'met' : 'NOT met'} (${warm50.toFixed(0)} ms)`);
  }
  console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}

interface BenchInput {
  threads: number;
  keystrokes: number;
  coldRuns: number;
  /** The text before the cursor after keystroke k. */
  at: (k: number) => string;
}

/** Ours: the inference worker, as ghost text uses it (continuation prompt, KV slot). */
async function benchOnnx(o: BenchInput & { dir: string; dtype: Dtype }): Promise<{ cold: Series; warm: Series }> {
  const host = new InferenceWorkerHost({ script: join(__dirname, '..', 'src', 'inference', 'worker.ts') });
  const t0 = performance.now();
  await host.ensureModel({ dir: o.dir, dtype: o.dtype, device: 'cpu', threads: o.threads });
  console.log(`ONNX model loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const request = (before: string, reuseCache: boolean): GenerateRequest => ({
    // A budget above the prefix so the whole 1,500 tokens are the prompt, as in the llama.cpp run.
    prompt: { kind: 'continuation', before, budgetTokens: PREFIX_TOKENS + 200 },
    sampling: { temperature: 0, topK: 0, repetitionPenalty: 1, repetitionWindow: 0, maxNewTokens: SUGGESTION_TOKENS },
    stop: { at: 'none', after: '' },
    reuseCache,
  });
  const timed = async (before: string, reuse: boolean) => {
    const t = performance.now();
    const r = await host.generate(request(before, reuse));
    return { ms: performance.now() - t, tokens: r.stats.newTokens, reused: r.stats.reusedTokens, prompt: r.stats.promptTokens };
  };
  const cold: Series = { name: 'onnx cold (no cache)', ms: [], tokens: [] };
  const warm: Series = { name: 'onnx KV reuse (per keystroke)', ms: [], tokens: [] };
  await timed(o.at(0), false); // warm-up: first-run allocations
  for (let k = 1; k <= o.coldRuns; k++) {
    const r = await timed(o.at(k), false);
    cold.ms.push(r.ms);
    cold.tokens.push(r.tokens);
  }
  await timed(o.at(0), true);
  let reusedShare = 0;
  let prompt = 0;
  for (let k = 1; k <= o.keystrokes; k++) {
    const r = await timed(o.at(k), true);
    warm.ms.push(r.ms);
    warm.tokens.push(r.tokens);
    reusedShare += r.reused / r.prompt / o.keystrokes;
    prompt = r.prompt;
  }
  await host.dispose();
  console.log(`(onnx prompt: ${prompt} tokens)`);
  console.log(summary(cold));
  console.log(summary(warm), `— ${(reusedShare * 100).toFixed(1)}% of prompt tokens from the cache`);
  return { cold, warm };
}

/** llama.cpp through node-llama-cpp's prebuilt CPU binary, with the same cache policy. */
async function benchLlama(o: BenchInput & { gguf: string }): Promise<{ cold: Series; warm: Series }> {
  const llamaCpp: LlamaCpp = await import('node-llama-cpp');
  const llama = await llamaCpp.getLlama({ gpu: false, build: 'never', logLevel: llamaCpp.LlamaLogLevel.error });
  const t1 = performance.now();
  const gmodel = await llama.loadModel({ modelPath: o.gguf });
  const context = await gmodel.createContext({ contextSize: 2048, threads: o.threads, batchSize: 512 });
  const sequence = context.getSequence();
  console.log(`\nGGUF model loaded in ${((performance.now() - t1) / 1000).toFixed(1)} s (llama.cpp ${llama.buildType} build, ${context.currentThreads} threads)`);
  const generate = async (before: string, reuse: boolean) => {
    const t = performance.now();
    const tokens = gmodel.tokenize(before);
    if (!reuse) await sequence.clearHistory();
    else {
      // Same policy as ours: keep the longest common prefix, recompute at least the last prompt token.
      const keep = Math.min(sequence.compareContextTokens(tokens).firstDifferentIndex, tokens.length - 1);
      if (keep < sequence.nextTokenIndex) await sequence.eraseContextTokenRanges([{ start: keep, end: sequence.nextTokenIndex }]);
    }
    const fresh = tokens.slice(sequence.nextTokenIndex);
    let n = 0;
    for await (const token of sequence.evaluate(fresh, { temperature: 0 })) {
      void token;
      if (++n >= SUGGESTION_TOKENS) break;
    }
    return { ms: performance.now() - t, tokens: n, prompt: tokens.length };
  };
  const cold: Series = { name: 'llama.cpp cold (no cache)', ms: [], tokens: [] };
  const warm: Series = { name: 'llama.cpp KV reuse (per keystroke)', ms: [], tokens: [] };
  const first = await generate(o.at(0), false);
  for (let k = 1; k <= o.coldRuns; k++) {
    const r = await generate(o.at(k), false);
    cold.ms.push(r.ms);
    cold.tokens.push(r.tokens);
  }
  await generate(o.at(0), true);
  for (let k = 1; k <= o.keystrokes; k++) {
    const r = await generate(o.at(k), true);
    warm.ms.push(r.ms);
    warm.tokens.push(r.tokens);
  }
  console.log(`(llama.cpp prompt: ${first.prompt} tokens)`);
  console.log(summary(cold));
  console.log(summary(warm));
  await context.dispose();
  await gmodel.dispose();
  await llama.dispose();
  return { cold, warm };
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exitCode = 1;
});
