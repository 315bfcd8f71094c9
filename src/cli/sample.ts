// `voice-draft sample-workspace <dir>`: the demo's essays, built from a Debian package.
import { resolve } from 'node:path';
import { writeDevilsDictionaryWorkspace } from '../core/sample/devilsDictionary';
import { command } from './commandLine';
import { COMMANDS } from './commands';

export const sampleCommand = command(COMMANDS['sample-workspace'], async ({ values, positionals: [folder] }) => {
  const dir = resolve(folder!);
  try {
    const n = await writeDevilsDictionaryWorkspace(dir, values.notes ?? 150);
    process.stdout.write(`wrote ${n} notes from The Devil's Dictionary to ${dir}/notes\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n`);
    return 1;
  }
});
