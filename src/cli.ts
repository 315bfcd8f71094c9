#!/usr/bin/env node
// `voice-draft`: the command line over src/core, src/engine and src/inference.
// It never imports `vscode` — it is the proof that those layers are editor-free.
import { dataCommand } from './cli/data';
import { deleteRemoteCommand } from './cli/deleteRemote';
import { doctorCommand } from './cli/doctor';
import { evalCommand } from './cli/eval';
import { chooseCommand } from './cli/choose';
import { exportCommand } from './cli/export';
import { importCommand } from './cli/import';
import { sampleCommand } from './cli/sample';
import { trainCommand } from './cli/train';
import { writeCommand } from './cli/write';

type Command = { run: (args: string[]) => Promise<number>; help: string };

const COMMANDS: Record<string, Command> = {
  doctor: { run: doctorCommand, help: 'check Python, PyTorch and the GPU the engine would use' },
  import: { run: importCommand, help: 'bring your writing in from a Substack, Medium, WordPress, Ghost, Obsidian or Word export (markdown, one file per piece)' },
  data: { run: dataCommand, help: 'build the training data from a folder of essays and print what went in' },
  eval: { run: evalCommand, help: 'score how much a trained voice sounds like you: base vs tuned on held-out essays (eval.json)' },
  choose: { run: chooseCommand, help: 'make a kept checkpoint the voice (your pick over the best voice score), then export it' },
  export: { run: exportCommand, help: 'merge a trained voice and export it for writing (ONNX) and for llama.cpp (LoRA GGUF)' },
  train: { run: trainCommand, help: 'train a voice on a folder of essays (dataset, training, export)' },
  write: { run: writeCommand, help: 'continue (or --rewrite) text with a trained voice, beside the base model' },
  'delete-remote': { run: deleteRemoteCommand, help: "delete a run's copy on the remote host it trained on (your essays there), after copying back what is missing" },
  'sample-workspace': { run: sampleCommand, help: "write sample notes (Bierce's Devil's Dictionary, from Debian's dict-devil) to a folder" },
};

function usage(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length));
  return ['usage: voice-draft <command> [options]   (voice-draft <command> --help: its options)', '', 'commands:',
    ...names.map((n) => `  ${n.padEnd(width)}  ${COMMANDS[n]!.help}`), ''].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h') {
    process.stdout.write(usage());
    return 0;
  }
  if (!name) {
    process.stderr.write(usage());
    return 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`voice-draft: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    process.stderr.write(`voice-draft: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
