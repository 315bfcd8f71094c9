// `voice-draft eval <run>`: the voice scores of a trained run (base vs tuned on
// held-out documents), through the same engine client the extension uses.
import { resolve } from 'node:path';
import { formatTable, readEvalJson, scoreRows } from '../core/eval/voiceScores';
import { runEngineCommand, reportEngineFailure } from './engine';
import { printEngineProgress } from './progress';

const NUMERIC_OPTIONS = ['--samples', '--prompts', '--max-new-tokens', '--continuation-prompts', '--continuation-tokens', '--seed', '--resamples', '--perplexity-tokens'];
const USAGE = `usage: voice-draft eval <run folder> [--json] [--verbose] ${NUMERIC_OPTIONS.map((o) => `[${o} N]`).join(' ')}\n`;

export async function evalCommand(args: string[]): Promise<number> {
  const engineArgs: string[] = [];
  let run: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (NUMERIC_OPTIONS.includes(a)) {
      const v = args[++i];
      if (!v || !/^\d+$/.test(v)) {
        process.stderr.write(`${a} needs a whole number\n${USAGE}`);
        return 2;
      }
      engineArgs.push(a, v);
    } else if (a === '--json' || a === '--verbose') {
      continue;
    } else if (!a.startsWith('--') && !run) {
      run = a;
    } else {
      process.stderr.write(`unknown option ${a}\n${USAGE}`);
      return 2;
    }
  }
  if (!run) {
    process.stderr.write(USAGE);
    return 2;
  }
  const runDir = resolve(run);
  try {
    const done = await runEngineCommand(['eval', '--run', runDir, ...engineArgs], { onEvent: printEngineProgress, verbose: args.includes('--verbose') });
    if (done.event !== 'eval.done') throw new Error(`unexpected ${done.event}`);
    const scores = await readEvalJson(runDir);
    if (!scores) throw new Error(`the engine said it wrote ${done.path}, but it cannot be read`);
    if (args.includes('--json')) process.stdout.write(`${JSON.stringify(scores)}\n`);
    else process.stdout.write(formatTable(scoreRows(scores)) + `\nwritten to ${done.path}\n`);
    return 0;
  } catch (e) {
    return reportEngineFailure(e);
  }
}
