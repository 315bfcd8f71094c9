// `voice-draft delete-remote <run folder>`: delete the run's copy on the remote host it
// trained on (issue #25): the training data (the writer's essays), checkpoints and results
// there. What is not here yet is copied back first; nothing goes while it still trains there.
// The editor does this by itself once a remote run's results are back, unless
// voiceDraft.engine.keepRemoteCopy is on; this is the same for a terminal, or for a kept copy.
import { resolve } from 'node:path';
import { RemoteError } from '../engine/remote/exec';
import { deleteRemoteCopy, readRemoteState } from '../engine/remoteTraining';
import { defineCommand, readCommandLine } from './commandLine';

export const DELETE_REMOTE_COMMAND = defineCommand({
  name: 'delete-remote',
  synopsis: '<run folder>',
  about: "Deletes the run's folder on the remote host it trained on (your essays, checkpoints, results there),\n"
    + 'after copying back what is not here yet. The run folder here is kept whole; a resume sends what it needs again.',
  positionals: { min: 1, max: 1, names: 'one run folder' },
  options: {},
});

export async function deleteRemoteCommand(args: string[]): Promise<number> {
  const line = readCommandLine(DELETE_REMOTE_COMMAND, args);
  if (typeof line === 'number') return line;
  const runDir = resolve(line.positionals[0]!);
  const state = await readRemoteState(runDir);
  if (!state) {
    process.stderr.write(`error: ${runDir} never trained on a remote host (it has no remote.json); there is no copy to delete\n`);
    return 1;
  }
  try {
    const { remoteDir, pulled } = await deleteRemoteCopy({ host: state.host }, runDir, { onStderr: (l) => process.stderr.write(`${l}\n`) });
    if (pulled.length) process.stdout.write(`copied back first: ${pulled.join(', ')}\n`);
    process.stdout.write(`deleted ${remoteDir} on ${state.host}\n`);
    return 0;
  } catch (e) {
    if (!(e instanceof RemoteError)) throw e;
    process.stderr.write(`error: ${e.message}\nnext: ${e.hint}\n`);
    return 1;
  }
}
