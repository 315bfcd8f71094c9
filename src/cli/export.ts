// `voice-draft export <run>`: the merged ONNX voice (and LoRA GGUF) from a trained run;
// `voice-draft export --model FOLDER --out DIR`: one plain model folder for the editor.
import { resolve } from 'node:path';
import { defineCommand, readCommandLine, usageProblem, type CommandLine } from './commandLine';
import { runEngineCommand, reportEngineFailure } from './engine';
import { printEngineProgress } from './progress';

export const EXPORT_COMMAND = defineCommand({
  name: 'export',
  synopsis: '<run folder> [options]\n       voice-draft export --model FOLDER --out DIR [--force]',
  about: `Writes <run>/onnx (the voice the editor writes with), <run>/onnx-base (the base model,
for comparison) and <run>/gguf/adapter.gguf (the LoRA adapter for llama.cpp and Ollama).`,
  positionals: { min: 0, max: 1, names: 'one run folder' },
  options: {
    'base-gguf': { kind: 'flag', help: 'also write gguf/base.gguf, the base model the adapter goes on' },
    'base-gguf-dtype': { kind: 'text', choices: ['f16', 'f32'], help: 'precision of base.gguf (default f16; implies --base-gguf)' },
    'no-base': { kind: 'flag', help: 'skip onnx-base/, the base model\'s export' },
    force: { kind: 'flag', help: 're-export the base model even when a cached export matches' },
    model: { kind: 'text', value: 'FOLDER', help: 'export this model folder instead of a run (with --out)' },
    out: { kind: 'text', value: 'DIR', help: 'where --model\'s export goes' },
  },
});

/** The engine's command line for what was asked, or a problem with how the options go together. */
export function exportEngineArgs(line: CommandLine<typeof EXPORT_COMMAND.options>): string[] | string {
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

export async function exportCommand(args: string[]): Promise<number> {
  const line = readCommandLine(EXPORT_COMMAND, args);
  if (typeof line === 'number') return line;
  const engineArgs = exportEngineArgs(line);
  if (typeof engineArgs === 'string') return usageProblem(EXPORT_COMMAND, engineArgs);
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
}
