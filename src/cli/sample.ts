// `voice-draft sample-workspace <dir>`: the demo's essays, built from a Debian package.
import { resolve } from 'node:path';
import { writeDevilsDictionaryWorkspace } from '../core/sample/devilsDictionary';
import { defineCommand, readCommandLine } from './commandLine';

export const SAMPLE_COMMAND = defineCommand({
  name: 'sample-workspace',
  synopsis: '<folder> [--notes N]',
  about: "Writes sample notes from Bierce's Devil's Dictionary (Debian's dict-devil) to <folder>/notes.",
  positionals: { min: 1, max: 1, names: 'one folder' },
  options: {
    notes: { kind: 'int', min: 1, help: 'how many notes (default 150)' },
  },
});

export async function sampleCommand(args: string[]): Promise<number> {
  const line = readCommandLine(SAMPLE_COMMAND, args);
  if (typeof line === 'number') return line;
  const dir = resolve(line.positionals[0]!);
  try {
    const n = await writeDevilsDictionaryWorkspace(dir, line.values.notes ?? 150);
    process.stdout.write(`wrote ${n} notes from The Devil's Dictionary to ${dir}/notes\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n`);
    return 1;
  }
}
