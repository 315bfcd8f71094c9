// `voice-draft eval <run>`: the voice scores of a trained run (base vs tuned on
// held-out documents), through the same engine client the extension uses.
import { resolve } from 'node:path';
import { formatTable, readEvalJson, scoreRows } from '../core/eval/voiceScores';
import { defineCommand, readCommandLine } from './commandLine';
import { runEngineCommand, reportEngineFailure } from './engine';
import { printEngineProgress } from './progress';

/** The engine's own eval options (voice_metrics/command.py), passed on as given; it knows their defaults. */
const ENGINE_NUMBERS = {
  samples: 'samples per prompt and model',
  prompts: 'held-out prompts to use',
  'max-new-tokens': 'tokens per sample',
  'continuation-prompts': 'held-out paragraph boundaries to continue as ghost text would',
  'continuation-tokens': 'tokens per continuation (each cut at its first paragraph break)',
  resamples: 'bootstrap resamples',
  'perplexity-tokens': 'held-out tokens scored for perplexity',
} as const;

export const EVAL_COMMAND = defineCommand({
  name: 'eval',
  synopsis: '<run folder> [options]',
  about: 'Scores the run\'s voice against the base model on held-out essays and writes <run>/eval.json.',
  positionals: { min: 1, max: 1, names: 'one run folder' },
  options: {
    json: { kind: 'flag', help: 'print eval.json instead of the table' },
    verbose: { kind: 'flag', help: 'show the engine\'s log' },
    seed: { kind: 'int', min: 0, help: 'sampling and bootstrap seed' },
    ...(Object.fromEntries(Object.entries(ENGINE_NUMBERS).map(([name, help]) => [name, { kind: 'int', min: 1, help }])) as
      Record<keyof typeof ENGINE_NUMBERS, { kind: 'int'; min: number; help: string }>),
  },
});

export async function evalCommand(args: string[]): Promise<number> {
  const line = readCommandLine(EVAL_COMMAND, args);
  if (typeof line === 'number') return line;
  const { values: v, positionals: [run] } = line;
  const engineArgs = [...Object.keys(ENGINE_NUMBERS), 'seed'].flatMap((name) => {
    const value = v[name as keyof typeof v];
    return value === undefined ? [] : [`--${name}`, String(value)];
  });
  const runDir = resolve(run!);
  try {
    const done = await runEngineCommand(['eval', '--run', runDir, ...engineArgs], { onEvent: printEngineProgress, verbose: v.verbose === true });
    if (done.event !== 'eval.done') throw new Error(`unexpected ${done.event}`);
    const scores = await readEvalJson(runDir);
    if (!scores) throw new Error(`the engine said it wrote ${done.path}, but it cannot be read`);
    if (v.json) process.stdout.write(`${JSON.stringify(scores)}\n`);
    else process.stdout.write(formatTable(scoreRows(scores)) + `\nwritten to ${done.path}\n`);
    return 0;
  } catch (e) {
    return reportEngineFailure(e);
  }
}
