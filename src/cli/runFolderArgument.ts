// A run folder named on the command line is checked before anything starts: a folder that
// is not a run (the essays folder, a typo) gets a usage error, and nothing is written into it.
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { RUN_FILES } from '../core/runs/runFolder';
import { UsageError } from './commandLine';

/** The absolute run folder, or a UsageError saying what is wrong with the one named. */
export async function runFolderArgument(given: string): Promise<string> {
  const dir = resolve(given);
  const folder = await stat(dir).then((s) => s.isDirectory(), () => undefined);
  if (folder === undefined) throw new UsageError(`${dir} does not exist: name a run folder (train prints the one it makes)`);
  if (!folder) throw new UsageError(`${dir} is a file: name a run folder`);
  // dataset/ alone: config.json may be gone (the engine trains on defaults without one, and its
  // config_invalid hint says to fix or delete it).
  if (!(await stat(join(dir, RUN_FILES.dataset)).then((s) => s.isDirectory(), () => false))) {
    throw new UsageError(`${dir} is not a run folder (a run folder holds ${RUN_FILES.dataset}/): name one that train made`);
  }
  return dir;
}
