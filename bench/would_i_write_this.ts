// "Would I have written this?": ghost text against what the writer actually wrote next.
// Held-out essays (a run's dataset/documents.jsonl, split "val", or a folder of essays no
// model was trained on) are cut inside paragraphs the way fill-in-the-middle training cuts
// them (src/core/dataset/fim.ts fimCuts, other seeds): the text before the cut is the
// prompt, the writer's own words up to the end of that sentence are the reference, the
// text after them is what follows the cursor. Each model writes a suggestion there through
// the real inference worker, with the text before the cursor only ("prefix") and with the
// text after it too ("suffix", the fill-in-the-middle prompt), and is scored on:
//   - first word: the suggestion's first word is the writer's (case and punctuation aside);
//   - chrF@10: chrF (character 1–6-grams, β = 2) of the suggestion's first ten words
//     against the writer's first ten;
//   - length: words of the suggestion against the writer's words to the end of the sentence.
// Then, per confidence threshold (src/inference/confidence.ts), how often ghost text would
// stay quiet and how often the suggestions it still shows start with the writer's word.
// Intervals are 95% bootstrap intervals over the cuts (seeded); "paired" compares two
// configurations on the same cuts.
//
//   node --import tsx bench/would_i_write_this.ts --model base=DIR --model tuned=RUN/onnx [--run RUN | --essays FOLDER]
//        [--cuts N] [--context TOKENS] [--max-tokens N] [--threads N] [--modes prefix,suffix] [--json FILE]
//
// Greedy decoding (temperature 0) with the editor's repetition penalty and sentence stop, so
// the figures do not move between runs. Benchmarks print figures and never fail a build.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { countWords } from '../src/core/corpus/text';
import { afterTextForPrompt, fimCuts, type FimCut } from '../src/core/dataset/fim';
import { DEFAULT_DATASET_SETTINGS } from '../src/core/dataset/options';
import type { EssayDocument } from '../src/core/dataset/types';
import { seededRandom } from '../src/core/seededRandom';
import { meanProbability, suggestionConfidence } from '../src/inference/confidence';
import { chrF } from '../src/inference/contentKept';
import { explicitModel } from '../src/inference/modelLocator';
import { InferenceWorkerHost } from '../src/inference/workerHost';

function args(name: string): string[] {
  const out: string[] = [];
  process.argv.forEach((a, i) => { if (a === `--${name}` && process.argv[i + 1] !== undefined) out.push(process.argv[i + 1]!); });
  return out;
}
const arg = (name: string) => args(name).at(-1);

interface Essay { doc: string; text: string }

/** Held-out essays: a run's validation documents, or every essay in a folder (for a model never trained on it). */
function heldOut(): { essays: Essay[]; source: string } {
  const run = arg('run');
  if (run) {
    const file = join(run, 'dataset', 'documents.jsonl');
    const essays = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Essay & { split: string })
      .filter((d) => d.split === 'val');
    return { essays, source: `${file} (split val)` };
  }
  const folder = arg('essays') ?? '/work/shared/corpora/bierce-notes/by-letter';
  const essays = readdirSync(folder).filter((f) => f.endsWith('.md')).sort()
    .map((f) => ({ doc: f, text: readFileSync(join(folder, f), 'utf8').replace(/^---\n[\s\S]*?\n---\n/, '').replace(/^#.*\n/gm, '').trim() }));
  return { essays, source: folder };
}

function asDocument(e: Essay): EssayDocument {
  const paragraphs = e.text.split(/\n[ \t]*\n+/).map((p) => p.trim()).filter(Boolean);
  const blocks = paragraphs.map((text) => ({ kind: 'paragraph' as const, text }));
  const blockWords = paragraphs.map(countWords);
  return { doc: e.doc, tags: [], blocks, blockWords, words: blockWords.reduce((a, b) => a + b, 0), drafts: [] };
}

/** `n` cuts spread over the essays: fimCuts with seed after seed until there are enough, no cut twice. */
function cutsOf(essays: Essay[], n: number): Array<FimCut & { doc: string }> {
  const docs = essays.map(asDocument);
  const out: Array<FimCut & { doc: string }> = [];
  const seen = new Set<string>();
  for (let seed = 1; out.length < n && seed < 200; seed++) {
    for (const d of docs) {
      for (const c of fimCuts(d, { fimCutsPerEssay: 100, fimBeforeWords: 100_000, fimAfterWords: DEFAULT_DATASET_SETTINGS.fimAfterWords }, seed)) {
        const key = `${d.doc}:${c.before.length}`;
        if (seen.has(key) || out.length >= n) continue;
        seen.add(key);
        out.push({ ...c, doc: d.doc });
      }
    }
  }
  return out;
}

const firstWord = (text: string) => /[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/u.exec(text)?.[0]?.toLowerCase();
const firstWords = (text: string, n: number) => text.trim().split(/\s+/).slice(0, n).join(' ');

interface Sample { cut: number; text: string; firstWord: boolean; chrf10: number; words: number; referenceWords: number; confidence: number | undefined; first4Prob: number | undefined; meanProb: number | undefined; ms: number }

function score(cut: number, text: string, reference: string, logprobs: number[], ms: number): Sample {
  const fw = firstWord(text);
  return {
    cut, text, ms,
    firstWord: fw !== undefined && fw === firstWord(reference),
    chrf10: text.trim() ? chrF(firstWords(text, 10), firstWords(reference, 10)) : 0,
    words: countWords(text),
    referenceWords: countWords(reference),
    confidence: suggestionConfidence(logprobs),
    first4Prob: meanProbability(logprobs, 4),
    meanProb: meanProbability(logprobs),
  };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length ? (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2 : NaN; };

/** 95% bootstrap interval of mean(f(i)) over the cut indices (seeded). */
function bootstrap(n: number, f: (i: number) => number, resamples = 2000): [number, number] {
  const random = seededRandom(2121);
  const stats: number[] = [];
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += f(Math.floor(random() * n));
    stats.push(s / n);
  }
  stats.sort((a, b) => a - b);
  return [stats[Math.floor(0.025 * resamples)]!, stats[Math.floor(0.975 * resamples)]!];
}

/** Area under the ROC curve of `score` for telling first-word matches from misses (0.5: no better than chance). */
function auc(samples: Sample[], key: 'confidence' | 'first4Prob' | 'meanProb'): number {
  const pos = samples.filter((s) => s.firstWord).map((s) => s[key] ?? 0);
  const neg = samples.filter((s) => !s.firstWord).map((s) => s[key] ?? 0);
  if (!pos.length || !neg.length) return NaN;
  let wins = 0;
  for (const p of pos) for (const q of neg) wins += p > q ? 1 : p === q ? 0.5 : 0;
  return wins / (pos.length * neg.length);
}

const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
const ci = ([a, b]: [number, number], f: (x: number) => string) => `[${f(a)}, ${f(b)}]`;

async function main(): Promise<void> {
  const models = args('model').map((m) => { const i = m.indexOf('='); return { label: m.slice(0, i), dir: resolve(m.slice(i + 1)) }; });
  if (models.length === 0) throw new Error('name the models: --model base=DIR --model tuned=RUN/onnx');
  const modes = (arg('modes') ?? 'prefix,suffix').split(',') as Array<'prefix' | 'suffix'>;
  const n = Number(arg('cuts') ?? 40);
  const context = Number(arg('context') ?? 512);
  const maxTokens = Number(arg('max-tokens') ?? 24);
  const threads = Number(arg('threads') ?? Math.min(2, availableParallelism()));
  const { essays, source } = heldOut();
  const cuts = cutsOf(essays, n);

  console.log(`Voice Draft "would I have written this?" — ${new Date().toISOString()}`);
  console.log(`machine: ${cpus()[0]?.model ?? 'cpu'} × ${availableParallelism()}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log(`held out: ${essays.length} essays from ${source}; ${cuts.length} cuts; prompt ≤ ${context} tokens, ≤ ${maxTokens} new tokens, greedy, repetition penalty 1.1, stop at the sentence end`);
  console.log(`writer's words to the end of the sentence at the cuts: median ${median(cuts.map((c) => countWords(c.middle)))}\n`);

  const results = new Map<string, Sample[]>();
  for (const m of models) {
    const located = explicitModel(m.dir, 'q8');
    const host = new InferenceWorkerHost({ script: join(__dirname, '..', 'src', 'inference', 'worker.ts') });
    await host.ensureModel({ dir: located.dir, dtype: located.dtype, device: 'cpu', threads });
    for (const mode of modes) {
      const samples: Sample[] = [];
      const t0 = performance.now();
      for (const [i, c] of cuts.entries()) {
        const after = mode === 'suffix' ? afterTextForPrompt(c.after, DEFAULT_DATASET_SETTINGS.fimAfterWords) : undefined;
        const t = performance.now();
        const r = await host.generate({
          prompt: { kind: 'continuation', before: c.before, budgetTokens: context, ...(after ? { after } : {}) },
          sampling: { temperature: 0, topK: 0, repetitionPenalty: 1.1, repetitionWindow: 0, maxNewTokens: maxTokens },
          stop: { at: 'sentence', after: c.after.slice(0, 300) },
          reuseCache: false,
        });
        samples.push(score(i, r.text, c.middle, r.logprobs ?? [], performance.now() - t));
      }
      results.set(`${m.label}/${mode}`, samples);
      console.log(`${m.label}/${mode}: ${cuts.length} suggestions in ${((performance.now() - t0) / 1000).toFixed(0)} s (${located.dir})`);
    }
    await host.dispose();
  }

  console.log('\n| model / prompt | first word | chrF@10 | words (median) | writer\'s words (median) | empty |');
  console.log('|---|---|---|---|---|---|');
  for (const [key, s] of results) {
    console.log(`| ${key} | ${pct(mean(s.map((x) => +x.firstWord)))} ${ci(bootstrap(s.length, (i) => +s[i]!.firstWord), pct)} | ${mean(s.map((x) => x.chrf10)).toFixed(3)} ${ci(bootstrap(s.length, (i) => s[i]!.chrf10), (x) => x.toFixed(3))} | ${median(s.map((x) => x.words))} | ${median(s.map((x) => x.referenceWords))} | ${pct(mean(s.map((x) => +(x.text.trim() === ''))))} |`);
  }

  const keys = [...results.keys()];
  const pairs: Array<[string, string]> = [];
  for (const mode of modes) for (let a = 0; a < models.length; a++) for (let b = a + 1; b < models.length; b++) pairs.push([`${models[a]!.label}/${mode}`, `${models[b]!.label}/${mode}`]);
  for (const m of models) if (modes.length === 2) pairs.push([`${m.label}/prefix`, `${m.label}/suffix`]);
  if (pairs.length) {
    console.log('\npaired differences (second − first, same cuts):');
    for (const [a, b] of pairs) {
      const x = results.get(a)!, y = results.get(b)!;
      const dFirst = bootstrap(x.length, (i) => +y[i]!.firstWord - +x[i]!.firstWord);
      const dChrf = bootstrap(x.length, (i) => y[i]!.chrf10 - x[i]!.chrf10);
      console.log(`  ${b} − ${a}: first word ${(100 * (mean(y.map((s) => +s.firstWord)) - mean(x.map((s) => +s.firstWord)))).toFixed(0)} points ${ci(dFirst, (v) => (100 * v).toFixed(0))}, chrF@10 ${(mean(y.map((s) => s.chrf10)) - mean(x.map((s) => s.chrf10))).toFixed(3)} ${ci(dChrf, (v) => v.toFixed(3))}`);
    }
  }

  console.log('\nconfidence as a predictor of the first word (ROC AUC; 0.5 = chance):');
  for (const [key, s] of results) console.log(`  ${key}: first token (confidence.ts) ${auc(s, 'confidence').toFixed(2)}, first 4 tokens ${auc(s, 'first4Prob').toFixed(2)}, all tokens ${auc(s, 'meanProb').toFixed(2)}`);

  console.log('\nstaying quiet: per voiceDraft.inline.minConfidence, the share of places left without a suggestion, and the first-word match of those shown');
  const thresholds = [0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5];
  console.log(`| model / prompt | ${thresholds.map((t) => `≥ ${t}`).join(' | ')} |`);
  console.log(`|---|${thresholds.map(() => '---').join('|')}|`);
  for (const key of keys) {
    const s = results.get(key)!;
    const cells = thresholds.map((t) => {
      const shown = s.filter((x) => x.text.trim() !== '' && (x.confidence ?? 0) >= t);
      return `${pct(1 - shown.length / s.length)} quiet, ${shown.length ? pct(mean(shown.map((x) => +x.firstWord))) : '–'}`;
    });
    console.log(`| ${key} | ${cells.join(' | ')} |`);
  }
  const json = arg('json');
  if (json) writeFileSync(json, JSON.stringify({ cuts, results: Object.fromEntries(results) }, null, 1));
  console.log(`\nload average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exitCode = 1;
});
