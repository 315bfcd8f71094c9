// `voice-draft choose <run> --step N`: make a kept checkpoint the run's voice (the writer's
// pick over the best voice score training chose), then export it for writing.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runEngineCommand, reportEngineFailure } from './engine';
import { printEngineProgress } from './progress';

const USAGE = 'usage: voice-draft choose <run folder> --step N [--no-export]\n';

export async function chooseCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, strict: true, options: { step: { type: 'string' }, 'no-export': { type: 'boolean' } } });
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const [run] = parsed.positionals;
  const step = parsed.values.step;
  if (!run || parsed.positionals.length > 1 || !step || !/^\d+$/.test(step)) {
    process.stderr.write(USAGE);
    return 2;
  }
  const runDir = resolve(run);
  try {
    await runEngineCommand(['choose', '--run', runDir, '--step', step], { onEvent: printEngineProgress });
    process.stdout.write(`step ${step} is now the voice of ${runDir}\n`);
    if (parsed.values['no-export']) return 0;
    const done = await runEngineCommand(['export', '--run', runDir], { onEvent: printEngineProgress });
    if (done.event === 'export.done') process.stdout.write(`voice exported: ${String(done.onnx ?? '')}\n`);
    return 0;
  } catch (e) {
    return reportEngineFailure(e);
  }
}
