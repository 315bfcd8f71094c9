// `voice-draft choose <run> --step N`: make a kept checkpoint the run's voice (the writer's
// pick over the best voice score training chose), then export it for writing.
import { command, UsageError } from './commandLine';
import { COMMANDS } from './commands';
import { runEngineCommand, reportEngineFailure } from './engine';
import { printEngineProgress } from './progress';
import { runFolderArgument } from './runFolderArgument';

export const chooseCommand = command(COMMANDS.choose, async ({ values: v, positionals: [run] }) => {
  if (v.step === undefined) throw new UsageError('name the checkpoint with --step N');
  const step = String(v.step);
  const runDir = await runFolderArgument(run!);
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
});
