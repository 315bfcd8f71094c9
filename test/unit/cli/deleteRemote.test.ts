// `voice-draft delete-remote <run>` (issue #25, finding 4): the command line; the deletion
// itself (pull first, never while training, only a run copy) is tested against a real sshd
// in test/unit/remote/remoteRun.test.ts.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { deleteRemoteCommand } from '../../../src/cli/deleteRemote';
import { captureOutput } from '../helpers/captureOutput';

test('delete-remote: a run that never went to a host has nothing to delete; a bad command line is a usage error', async () => {
  const run = await mkdtemp(join(tmpdir(), 'vd-delete-remote-'));
  try {
    const none = await captureOutput(() => deleteRemoteCommand([run]));
    assert.equal(none.code, 1);
    assert.match(none.stderr, /never trained on a remote host/);
    assert.equal((await captureOutput(() => deleteRemoteCommand([]))).code, 2);
    assert.equal((await captureOutput(() => deleteRemoteCommand([run, '--keep']))).code, 2);
    assert.match((await captureOutput(() => deleteRemoteCommand(['--help']))).stdout, /usage: voice-draft delete-remote <run folder>/);
  } finally {
    await rm(run, { recursive: true, force: true });
  }
});
