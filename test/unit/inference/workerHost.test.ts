import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { GenerateRequest } from '../../../src/inference/workerHost';
import { InferenceWorkerHost, isAbortError } from '../../../src/inference/workerHost';
import { cudaProviderProblem } from '../../../src/inference/decoderSession';
import { onnxModelDir, WORKER_SOURCE } from './realModel';

const logs: string[] = [];
const fallbacks: string[] = [];
let host: InferenceWorkerHost;
let dir: string;

before(() => {
  dir = onnxModelDir();
  host = new InferenceWorkerHost({ script: WORKER_SOURCE, log: (level, m) => logs.push(`${level}: ${m}`), onDeviceFallback: (r) => fallbacks.push(r) });
});
after(() => host.dispose());

const essay = [
  'The lighthouse keeper climbed the stairs every evening. He counted them, as his father had, and the count was always the same.',
  'In winter the lamp smoked. He trimmed the wick with the small scissors that hung from a nail by the door, and wiped the glass until it shone.',
  'Nobody came to the island after October. The supply boat left',
].join('\n\n');

const greedy = (before: string, maxNewTokens: number, at: 'sentence' | 'none' = 'none'): GenerateRequest => ({
  prompt: { kind: 'continuation', before, budgetTokens: 1500 },
  sampling: { temperature: 0, topK: 0, repetitionPenalty: 1, repetitionWindow: 0, maxNewTokens },
  stop: { at, after: '' },
  reuseCache: true,
});

test('loads the model and writes a continuation; the next keystroke reuses the cache', { timeout: 600_000 }, async () => {
  const loaded = await host.ensureModel({ dir, device: 'cpu', dtype: 'q8', threads: 2 });
  assert.equal(loaded.device, 'cpu');
  assert.equal(loaded.dtype, 'q8');
  assert.equal(await host.ensureModel({ dir, device: 'cpu', dtype: 'q8', threads: 2 }), loaded, 'same model: loaded once');

  const first = await host.generate(greedy(essay, 12));
  assert.equal(first.reason, 'max-tokens');
  assert.equal(first.stats.newTokens, 12);
  assert.equal(first.stats.reusedTokens, 0);
  assert.match(first.text, /\S/);

  const second = await host.generate(greedy(`${essay} the`, 6));
  assert.ok(second.stats.reusedTokens >= first.stats.promptTokens - 2, `reused ${second.stats.reusedTokens} of ${second.stats.promptTokens}`);
  assert.ok(second.stats.promptTokens - second.stats.reusedTokens <= 3, 'only the typed word is computed');
});

test('the same folder with a new model file in it (a voice exported again) is loaded again', { timeout: 600_000 }, async () => {
  const spec = { dir, device: 'cpu' as const, dtype: 'q8' as const, threads: 2, version: 'exported once' };
  const first = await host.ensureModel(spec);
  assert.equal(await host.ensureModel({ ...spec }), first, 'the same file: kept');
  const again = await host.ensureModel({ ...spec, version: 'exported again' });
  assert.notEqual(again, first, 'a new file in the same folder: loaded again');
  assert.equal(again.dir, dir);
});

test('stops at the end of a sentence', { timeout: 300_000 }, async () => {
  const r = await host.generate(greedy('It was a quiet morning.', 64, 'sentence'));
  if (r.reason === 'sentence') assert.match(r.text, /[.!?…]["'”’)\]*_]*$/);
  else assert.equal(r.reason, 'eos', `a 64-token suggestion without a sentence end: ${JSON.stringify(r.text)}`);
});

test('an abort interrupts between tokens, and the worker goes on serving', { timeout: 300_000 }, async () => {
  const controller = new AbortController();
  const texts: string[] = [];
  const t0 = Date.now();
  const pending = host.generate(greedy(essay, 200), {
    signal: controller.signal,
    onText: (t) => { texts.push(t); if (texts.length === 2) controller.abort(); },
  });
  await assert.rejects(pending, (e) => isAbortError(e));
  assert.equal(texts.length, 2);
  const next = await host.generate(greedy(essay, 4));
  assert.equal(next.stats.newTokens, 4, 'the interrupted run ended early and the next one ran');
  assert.ok(Date.now() - t0 < 120_000);
  assert.ok(next.stats.reusedTokens > 0, 'the interrupted run left its cache for the next');
});

test('an aborted request that was still queued never runs', async () => {
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(host.generate(greedy(essay, 4), { signal: controller.signal }), (e) => isAbortError(e));
});

test('a worker that dies is restarted with the model reloaded, and the reason is logged', { timeout: 600_000 }, async () => {
  // Idle, so ending it is safe; from the host's side this is a crash.
  await (host as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
  assert.ok(logs.some((l) => l.startsWith('error: The inference worker stopped (it exited with code 1)')), logs.join('\n'));
  const r = await host.generate(greedy(essay, 3));
  assert.equal(r.stats.newTokens, 3);
  assert.equal(host.restarts, 1);
});

test('asking for CUDA where it cannot work falls back to the CPU and says why', { timeout: 600_000 }, async () => {
  const loaded = await host.ensureModel({ dir, device: 'cuda', dtype: 'q8', threads: 2 });
  assert.equal(loaded.device, 'cpu');
  // Without the CUDA provider's files (Voice Draft ships the CPU runtime) it is not even tried; with them, ONNX Runtime's error says why.
  const expected = cudaProviderProblem()
    ? /^CUDA was asked for \(voiceDraft\.inference\.device\), but ONNX Runtime's CUDA provider is not installed \(libonnxruntime_providers_cuda\.so.* missing from .+\): Voice Draft ships the CPU runtime only; writing on the CPU\.$/
    : /CUDA was asked for but could not be used \(.+\); using the CPU\./;
  assert.match(loaded.fallbackReason ?? '', expected);
  assert.deepEqual(fallbacks, [loaded.fallbackReason], 'the writer is told, once');
  assert.ok(logs.some((l) => l.startsWith('warn: CUDA was asked for')));
  const r = await host.generate(greedy(essay, 2));
  assert.equal(r.stats.newTokens, 2);
  assert.equal(r.stats.reusedTokens, 0, 'a swapped model starts without a cache');
});

test('a folder that is not a model is a clear error, not a crash', async () => {
  const bad = { dir: '/nonexistent', device: 'cpu' as const, dtype: 'q8' as const, threads: 1 };
  let first: unknown;
  await assert.rejects(host.ensureModel(bad), (e: unknown) => { first = e; return /not an ONNX model folder/.test(String(e)); });
  assert.equal(host.restarts, 1);
  // Asked again at the next keystroke: the same answer, without reading the folder again.
  await assert.rejects(host.ensureModel({ ...bad }), (e: unknown) => e === first);
  await assert.rejects(host.ensureModel({ ...bad, version: 'exported again' }), (e: unknown) => e !== first && /not an ONNX model folder/.test(String(e)));
});

test('a model folder with a broken generation config names the file and what to do', async () => {
  const model = onnxModelDir();
  const broken = mkdtempSync(join(tmpdir(), 'vd-broken-config-'));
  try {
    for (const entry of readdirSync(model)) if (entry !== 'generation_config.json') symlinkSync(join(model, entry), join(broken, entry));
    writeFileSync(join(broken, 'generation_config.json'), '{"eos_token_id": [2,');
    await assert.rejects(host.ensureModel({ dir: broken, device: 'cpu', dtype: 'q8', threads: 1 }), /generation_config\.json is not valid JSON .*: export the voice again/);
  } finally {
    rmSync(broken, { recursive: true, force: true });
  }
});

test('CUDA is offered only where ONNX Runtime\'s CUDA provider is installed, and the reason names what is missing', () => {
  const libs = mkdtempSync(join(tmpdir(), 'vd-ort-libs-'));
  try {
    assert.match(cudaProviderProblem('darwin', 'arm64', libs) ?? '', /CUDA provider for Linux x64 only \(this is darwin-arm64\)/);
    assert.match(cudaProviderProblem('win32', 'x64', libs) ?? '', /Linux x64 only/);
    assert.match(cudaProviderProblem('linux', 'x64', libs) ?? '', /libonnxruntime_providers_cuda\.so and libonnxruntime_providers_shared\.so missing from .*vd-ort-libs-/);
    writeFileSync(join(libs, 'libonnxruntime_providers_cuda.so'), '');
    assert.match(cudaProviderProblem('linux', 'x64', libs) ?? '', /\(libonnxruntime_providers_shared\.so missing/);
    writeFileSync(join(libs, 'libonnxruntime_providers_shared.so'), '');
    assert.equal(cudaProviderProblem('linux', 'x64', libs), undefined);
  } finally {
    rmSync(libs, { recursive: true, force: true });
  }
});
