// What a failed write into the runs folder means to the writer, and what to do next.

/** A failed write into the runs folder, said with what to do next. */
export function runFolderWriteProblem(e: unknown, runsRoot: string): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return `The disk holding ${runsRoot} is full, so the run folder could not be written (nothing of it was kept). `
      + 'Free some space (old runs and their checkpoints are the usual suspects), or set voiceDraft.runsFolder to a folder on another disk, then train again.';
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return `${runsRoot} cannot be written to (${code}), so the run folder could not be made. `
      + 'Set voiceDraft.runsFolder to a folder you can write to, then train again.';
  }
  return `The run folder could not be written in ${runsRoot}: ${(e as Error).message}`;
}
