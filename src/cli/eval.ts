// `voice-draft eval <run>`: the voice scores of a trained run (base vs tuned on
// held-out documents), through the same engine client the extension uses.
import { formatTable, readEvalJson, scoreRows } from '../core/eval/voiceScores';
import { command } from './commandLine';
import { COMMANDS, EVAL_ENGINE_COUNTS, EVAL_ENGINE_NUMBERS, EVAL_ENGINE_REALS } from './commands';
import { runEngineCommand, reportEngineFailure } from './engine';
import { printEngineProgress } from './progress';
import { runFolderArgument } from './runFolderArgument';

export const evalCommand = command(COMMANDS.eval, async ({ values: v, positionals: [run] }) => {
  const engineArgs = [...Object.keys(EVAL_ENGINE_NUMBERS), ...Object.keys(EVAL_ENGINE_COUNTS), ...Object.keys(EVAL_ENGINE_REALS), 'seed'].flatMap((name) => {
    const value = v[name as keyof typeof v];
    return value === undefined ? [] : [`--${name}`, String(value)];
  });
  const runDir = await runFolderArgument(run!);
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
});
