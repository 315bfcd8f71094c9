// `voice-draft sample-workspace <dir>`: the demo's essays, built from a Debian package.
import { resolve } from 'node:path';
import { writeDevilsDictionaryWorkspace } from '../core/sample/devilsDictionary';

export async function sampleCommand(args: string[]): Promise<number> {
  const dir = args.find((a) => !a.startsWith('--'));
  if (!dir) {
    process.stderr.write('usage: voice-draft sample-workspace <folder> [--notes N]\n');
    return 2;
  }
  const limitArg = args.indexOf('--notes');
  const limit = limitArg >= 0 ? Number(args[limitArg + 1]) : 150;
  try {
    const n = await writeDevilsDictionaryWorkspace(resolve(dir), limit);
    process.stdout.write(`wrote ${n} notes from The Devil's Dictionary to ${resolve(dir)}/notes\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n`);
    return 1;
  }
}
