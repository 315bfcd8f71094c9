// `voice-draft delete-remote <run folder>`: delete the run's copy on the remote host it
// trained on (issue #25): the training data (the writer's essays), checkpoints and results
// there. What is not here yet is copied back first; nothing goes while it still trains there.
// The editor does this by itself once a remote run's results are back, unless
// voiceDraft.engine.keepRemoteCopy is on; this is the same for a terminal, or for a kept copy.
import { resolve } from 'node:path';
import { RemoteError } from '../engine/remote/exec';
import { deleteRemoteCopy, readRemoteState } from '../engine/remoteTraining';
import { command } from './commandLine';
import { COMMANDS } from './commands';

export const deleteRemoteCommand = command(COMMANDS['delete-remote'], async ({ positionals: [run] }) => {
  const runDir = resolve(run!);
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
});
