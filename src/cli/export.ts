// `voice-draft export <run>`: the merged ONNX voice (and LoRA GGUF) from a trained run.
import { resolve } from 'node:path';
import { runEngineCommand, reportEngineFailure } from './engine';
import { printEngineProgress } from './progress';

export async function exportCommand(args: string[]): Promise<number> {
  const run = args.find((a) => !a.startsWith('--'));
  if (!run) {
    process.stderr.write('usage: voice-draft export <run folder> [--base-gguf]\n');
    return 2;
  }
  try {
    const done = await runEngineCommand(['export', '--run', resolve(run), ...args.filter((a) => a === '--base-gguf')], { onEvent: printEngineProgress });
    if (done.event === 'export.done') process.stdout.write(`voice exported: ${String(done.onnx ?? '')}\n`);
    return 0;
  } catch (e) {
    return reportEngineFailure(e);
  }
}
