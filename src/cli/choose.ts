// `voice-draft choose <run> --step N`: make a kept checkpoint the run's voice (the writer's
// pick over the best voice score training chose), then export it for writing.
import { resolve } from 'node:path';
import { defineCommand, readCommandLine, usageProblem } from './commandLine';
import { runEngineCommand, reportEngineFailure } from './engine';
import { printEngineProgress } from './progress';

export const CHOOSE_COMMAND = defineCommand({
  name: 'choose',
  synopsis: '<run folder> --step N [--no-export]',
  about: "Makes a kept checkpoint (checkpoints/step-NNNNNN) the run's voice, then exports it.",
  positionals: { min: 1, max: 1, names: 'one run folder' },
  options: {
    step: { kind: 'int', min: 0, help: "the checkpoint's step" },
    'no-export': { kind: 'flag', help: 'only choose; export later with voice-draft export' },
  },
});

export async function chooseCommand(args: string[]): Promise<number> {
  const line = readCommandLine(CHOOSE_COMMAND, args);
  if (typeof line === 'number') return line;
  const { values: v, positionals: [run] } = line;
  if (v.step === undefined) return usageProblem(CHOOSE_COMMAND, 'name the checkpoint with --step N');
  const step = String(v.step);
  const runDir = resolve(run!);
  try {
    await runEngineCommand(['choose', '--run', runDir, '--step', step], { onEvent: printEngineProgress });
    process.stdout.write(`step ${step} is now the voice of ${runDir}\n`);
    if (v['no-export']) return 0;
    const done = await runEngineCommand(['export', '--run', runDir], { onEvent: printEngineProgress });
    if (done.event === 'export.done') process.stdout.write(`voice exported: ${String(done.onnx ?? '')}\n`);
    return 0;
  } catch (e) {
    return reportEngineFailure(e);
  }
}
