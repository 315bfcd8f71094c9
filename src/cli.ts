#!/usr/bin/env node
// `voice-draft`: the command line over src/core, src/engine and src/inference.
// It never imports `vscode` — it is the proof that those layers are editor-free.
import { chooseCommand } from './cli/choose';
import { COMMANDS, type CommandName } from './cli/commands';
import { dataCommand } from './cli/data';
import { deleteRemoteCommand } from './cli/deleteRemote';
import { doctorCommand } from './cli/doctor';
import { evalCommand } from './cli/eval';
import { exportCommand } from './cli/export';
import { importCommand } from './cli/import';
import { sampleCommand } from './cli/sample';
import { trainCommand } from './cli/train';
import { writeCommand } from './cli/write';

/** What each command of the table (cli/commands.ts) runs. */
const RUN: Record<CommandName, (args: string[]) => Promise<number>> = {
  doctor: doctorCommand,
  import: importCommand,
  data: dataCommand,
  eval: evalCommand,
  choose: chooseCommand,
  export: exportCommand,
  train: trainCommand,
  write: writeCommand,
  'delete-remote': deleteRemoteCommand,
  'sample-workspace': sampleCommand,
};

function usage(): string {
  const specs = Object.values(COMMANDS);
  const width = Math.max(...specs.map((c) => c.name.length));
  return ['usage: voice-draft <command> [options]   (voice-draft <command> --help: its options)', '', 'commands:',
    ...specs.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`), ''].join('\n');
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
  if (!Object.hasOwn(RUN, name)) {
    process.stderr.write(`voice-draft: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  return RUN[name as CommandName](rest);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    process.stderr.write(`voice-draft: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
