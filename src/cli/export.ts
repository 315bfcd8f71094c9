// `voice-draft export <run>`: the merged ONNX voice (and LoRA GGUF) from a trained run;
// `voice-draft export --model FOLDER --out DIR`: one plain model folder for the editor.
import { resolve } from 'node:path';
import { command, UsageError, type CommandLine } from './commandLine';
import { COMMANDS } from './commands';
import { runEngineCommand, reportEngineFailure } from './engine';
import { printEngineProgress } from './progress';

/** The engine's command line for what was asked, or a problem with how the options go together. */
export function exportEngineArgs(line: CommandLine<typeof COMMANDS.export.options>): string[] | string {
  const { values: v, positionals: [run] } = line;
  if (v.model !== undefined) {
    if (run !== undefined) return `give either a run folder or --model, not both ("${run}")`;
    if (v.out === undefined) return '--model needs --out DIR';
    if (v['base-gguf'] || v['base-gguf-dtype'] || v['no-base']) return '--base-gguf, --base-gguf-dtype and --no-base are for a run folder, not --model';
    return ['export', '--model', resolve(v.model), '--out', resolve(v.out), ...(v.force ? ['--force'] : [])];
  }
  if (run === undefined) return 'name the run folder to export (or --model FOLDER --out DIR)';
  if (v.out !== undefined) return '--out goes with --model; a run\'s export goes into the run folder';
  const dtype = v['base-gguf-dtype'];
  return [
    'export', '--run', resolve(run),
    ...(v['base-gguf'] || dtype ? ['--base-gguf'] : []),
    ...(dtype ? ['--base-gguf-dtype', dtype] : []),
    ...(v['no-base'] ? ['--no-base'] : []),
    ...(v.force ? ['--force'] : []),
  ];
}

export const exportCommand = command(COMMANDS.export, async (line) => {
  const engineArgs = exportEngineArgs(line);
  if (typeof engineArgs === 'string') throw new UsageError(engineArgs);
  try {
    const done = await runEngineCommand(engineArgs, { onEvent: printEngineProgress });
    if (done.event === 'export.done') {
      process.stdout.write(`voice exported: ${String(done.onnx ?? '')}\n`);
      if (done.gguf) process.stdout.write(`for llama.cpp and Ollama: ${done.gguf} (README: "Your voice in llama.cpp, llama.vscode and Ollama")\n`);
    }
    return 0;
  } catch (e) {
    return reportEngineFailure(e);
  }
});
