// Benchmark: build the dataset of 1,000 essays (~2 million words). The essays are made
// from the shared corpora: paragraphs shuffled across essays, their sentences reordered
// and mixed so no two paragraphs are identical (an exact repeat would be dropped as a
// duplicate, and the benchmark would measure less than it claims). Some essays carry
// what real ones do: front matter, headings, emphasis, footnotes, quotes, links, code,
// a newsletter footer, a sign-off. Prints files, words, seconds, where the time went
// (step by step) and the machine's load; never fails a build.
//
// It measures the code that ships: the dataset build bundled by esbuild as dist/ is
// (cli.js, extension.js, with parse-worker.js beside them), built into out/bench-dataset/
// (never packaged) before the clock starts. Under tsx every parse worker would compile
// the TypeScript sources again as it starts; `--code tsx` measures that way anyway.
//
//   node --import tsx bench/dataset_build.ts [--essays N] [--words-per-essay N] [--workers N] [--code bundle|tsx] [--keep]
//
// --workers sets the parse pool (default: defaultParseWorkers(), one worker below 4 cores; 0 parses in-process).

import * as esbuild from 'esbuild';
import { promises as fs, readdirSync, readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { countWords } from '../src/core/corpus/text';
import { seededRandom } from '../src/core/seededRandom';
import type * as sources from './dataset_sources';

const ROOT = path.resolve(__dirname, '..');
const CORPORA = path.resolve(ROOT, '..', 'shared', 'corpora');
const BUNDLE_DIR = path.join(ROOT, 'out', 'bench-dataset');

/** What the benchmark times, from the bundle or from the sources. */
type DatasetCode = typeof sources;

/** Bundles the build as esbuild.mjs bundles the shipped entries (Node 20, CommonJS, --production), parse worker beside it. */
async function bundledCode(): Promise<{ code: DatasetCode; file: string; ms: number }> {
  const start = performance.now();
  const options: esbuild.BuildOptions = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', minify: true, logLevel: 'warning', external: ['vscode', 'onnxruntime-node'] };
  await esbuild.build({
    ...options,
    entryPoints: { 'dataset-build': path.join(__dirname, 'dataset_sources.ts'), 'parse-worker': path.join(ROOT, 'src', 'core', 'dataset', 'parse-worker.ts') },
    outdir: BUNDLE_DIR,
  });
  await esbuild.stop(); // its service process has nothing more to do
  const file = path.join(BUNDLE_DIR, 'dataset-build.js');
  return { code: createRequire(__filename)(file) as DatasetCode, file, ms: performance.now() - start };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      essays: { type: 'string', default: '1000' },
      'words-per-essay': { type: 'string', default: '2000' },
      workers: { type: 'string' },
      code: { type: 'string', default: 'bundle' },
      keep: { type: 'boolean', default: false },
    },
  });
  const essays = Number(values.essays);
  const wordsPerEssay = Number(values['words-per-essay']);
  if (values.code !== 'bundle' && values.code !== 'tsx') throw new Error(`--code is bundle or tsx, not ${values.code}`);
  if (!existsSync(CORPORA)) {
    console.log(`skipped: the shared corpora are not at ${CORPORA}`);
    return;
  }

  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'voice-draft-bench-'));
  const corpus = path.join(work, 'essays');
  try {
    const made = await makeEssays(corpus, essays, wordsPerEssay);
    console.log(`made ${made.files} essays, ${made.words.toLocaleString('en-US')} words (${(made.bytes / 1e6).toFixed(1)} MB) in ${corpus}`);

    let codeLine: string;
    let buildDataset: DatasetCode['buildDataset'];
    let writeDataset: DatasetCode['writeDataset'];
    let defaultParseWorkers: DatasetCode['defaultParseWorkers'];
    if (values.code === 'bundle') {
      const bundled = await bundledCode();
      ({ buildDataset, writeDataset, defaultParseWorkers } = bundled.code);
      codeLine = `bundled by esbuild, as dist/ ships: ${path.relative(ROOT, bundled.file)} and parse-worker.js beside it (bundled in ${(bundled.ms / 1000).toFixed(2)} s, not timed)`;
    } else {
      ({ buildDataset, writeDataset, defaultParseWorkers } = createRequire(__filename)('./dataset_sources') as DatasetCode);
      codeLine = 'the TypeScript sources under tsx (each parse worker compiles them as it starts)';
    }
    const parseWorkers = values.workers === undefined ? defaultParseWorkers() : Number(values.workers);
    const cpu = process.cpuUsage();
    const mainCpu = mainThreadCpu();
    const start = performance.now();
    const build = await buildDataset({ folder: corpus, parseWorkers });
    const built = performance.now();
    await writeDataset(path.join(work, 'dataset'), build);
    const end = performance.now();
    const used = process.cpuUsage(cpu);
    const mainUsed = mainCpu === undefined ? undefined : (mainThreadCpu() ?? mainCpu) - mainCpu;

    const m = build.manifest;
    const steps = { ...build.timings, write: end - built };
    const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
    console.log(`code     ${codeLine}`);
    console.log(`files    ${m.documents.total}`);
    console.log(`words    ${m.words.toLocaleString('en-US')}`);
    console.log(`pairs    ${(m.pairs.train + m.pairs.val).toLocaleString('en-US')} (T1 ${m.tiers.T1}, T2 ${m.tiers.T2}, T3 ${m.tiers.T3}, T4 ${m.tiers.T4}, raw ${m.tiers.raw})`);
    console.log(`seconds  ${((end - start) / 1000).toFixed(2)} (build ${((built - start) / 1000).toFixed(2)}, write ${((end - built) / 1000).toFixed(2)})`);
    console.log(`steps    ${Object.entries(steps).map(([step, ms]) => `${step} ${(ms / 1000).toFixed(2)}`).join(', ')}`);
    console.log(`cpu      ${((used.user + used.system) / 1e6).toFixed(2)} s all threads${mainUsed === undefined ? '' : `, ${mainUsed.toFixed(2)} s main thread`}; parse workers ${parseWorkers > 0 ? parseWorkers : 'none (in-process)'}`);
    console.log(`load     ${load} (1, 5, 15 min) on ${os.cpus().length} cores: a busy machine slows the wall-clock figure`);
  } finally {
    if (values.keep) console.log(`kept ${work}`);
    else await fs.rm(work, { recursive: true, force: true });
  }
}

/** CPU seconds of this process's main thread (Linux; undefined elsewhere): the part the workers cannot take. */
function mainThreadCpu(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 10 ms
  } catch {
    return undefined;
  }
}

/** Paragraph-sized pieces of the corpora's bodies (front matter and headings left out). */
function corpusParagraphs(): { prose: string[]; quotes: string[] } {
  const files = [
    ...listMarkdown(path.join(CORPORA, 'macdowell-essays')),
    ...listMarkdown(path.join(CORPORA, 'bierce-notes', 'notes')),
  ];
  const prose: string[] = [];
  const quotes: string[] = [];
  for (const file of files) {
    const body = readFileSync(file, 'utf8').replace(/^---\n[\s\S]*?\n---\n/, '');
    for (const block of body.split(/\n{2,}/)) {
      const text = block.trim();
      if (!text || text.startsWith('#') || /^\[\^\w+\]:/.test(text)) continue;
      if (text.startsWith('>')) quotes.push(text);
      else if (countWords(text) >= 12) prose.push(text.replace(/\[\^\w+\]/g, ''));
    }
  }
  return { prose, quotes };
}

function listMarkdown(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => path.join(dir, f));
}

async function makeEssays(dir: string, count: number, wordsPerEssay: number): Promise<{ files: number; words: number; bytes: number }> {
  const rand = seededRandom(20261123);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  const { prose, quotes } = corpusParagraphs();
  const sentences = prose.flatMap((p) => p.split(/(?<=[.!?])\s+(?=[A-Z"'])/));
  const titleWords = sentences.flatMap((s) => s.split(/\s+/)).filter((w) => /^[A-Za-z]{5,}$/.test(w));

  await fs.mkdir(dir, { recursive: true });
  let words = 0;
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const title = Array.from({ length: 3 + Math.floor(rand() * 4) }, () => pick(titleWords)).join(' ');
    const parts: string[] = [`---\ntitle: "${title}"\ndate: 2024-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}\ntags: [music, ${pick(titleWords).toLowerCase()}]\n---`];
    let essayWords = 0;
    let footnotes = 0;
    while (essayWords < wordsPerEssay) {
      const roll = rand();
      let block: string;
      if (roll < 0.04) block = `## ${pick(titleWords)} and ${pick(titleWords)}`;
      else if (roll < 0.1) block = pick(quotes);
      else {
        // A source paragraph, its sentences reordered, plus one sentence from elsewhere.
        const own = pick(prose).split(/(?<=[.!?])\s+(?=[A-Z"'])/);
        for (let k = own.length - 1; k > 0; k--) {
          const j = Math.floor(rand() * (k + 1));
          [own[k], own[j]] = [own[j] as string, own[k] as string];
        }
        own.splice(Math.floor(rand() * (own.length + 1)), 0, pick(sentences));
        block = own.join(' ');
        if (rand() < 0.05) block += ` See [the notes](https://example.com/${i}) for more.`;
        if (rand() < 0.05) block += `[^${++footnotes}]`;
      }
      parts.push(block);
      essayWords += countWords(block);
      if (rand() < 0.01) parts.push('```js\nconst tempo = 120;\n```');
    }
    for (let f = 1; f <= footnotes; f++) parts.push(`[^${f}]: ${pick(sentences)}`);
    if (rand() < 0.2) parts.push('Thanks for reading! Subscribe for free to receive new posts and support my work.');
    if (rand() < 0.3) parts.push('— Edward');
    const text = `${parts.join('\n\n')}\n`;
    words += essayWords;
    bytes += Buffer.byteLength(text);
    await fs.writeFile(path.join(dir, `essay-${String(i).padStart(4, '0')}.md`), text);
  }
  return { files: count, words, bytes };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
