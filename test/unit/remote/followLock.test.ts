// One window follows a remote run at a time: a second is told where it is followed, and a
// window that is gone leaves nothing that blocks the next one.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, mkdtemp, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { processStart } from '../../../src/engine/detached';
import { FOLLOW_LOCK, FollowedElsewhereError, takeFollowLock } from '../../../src/engine/remote/followLock';
import { commitEvents, type RemoteRunState } from '../../../src/engine/remote/remoteState';

test('a run followed by a live window elsewhere is refused; a gone window frees it; release removes the lock', async () => {
  const run = await mkdtemp(join(tmpdir(), 'run-'));
  const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  await new Promise((resolve) => other.once('spawn', resolve));
  try {
    const lock = join(run, FOLLOW_LOCK);
    await writeFile(lock, JSON.stringify({ pid: other.pid, host: hostname(), start: processStart(other.pid!) ?? null }));
    await assert.rejects(takeFollowLock(run), (e: unknown) => e instanceof FollowedElsewhereError && /another VS Code window/.test(e.message));
    other.kill('SIGKILL');
    await new Promise((resolve) => other.once('exit', resolve));
    const release = await takeFollowLock(run);
    assert.ok(existsSync(lock));
    await release();
    assert.ok(!existsSync(lock));

    await writeFile(lock, JSON.stringify({ pid: 1, host: 'another-machine', start: null }));
    await assert.rejects(takeFollowLock(run), (e: unknown) => e instanceof FollowedElsewhereError && e.message.includes('followed from another-machine') && e.message.includes(lock));
  } finally {
    other.kill('SIGKILL');
  }
});

test('events are never appended after bytes this follow did not write', async () => {
  const run = await mkdtemp(join(tmpdir(), 'run-'));
  const state = { offset: 0 } as RemoteRunState;
  const first = await commitEvents(run, state, Buffer.from('{"event":"train.started"}\n'));
  await appendFile(join(run, 'events.jsonl'), '{"event":"train.started"}\n'); // a second follower's copy of the same bytes
  await assert.rejects(commitEvents(run, first, Buffer.from('{"event":"train.progress"}\n')), /another window may be following the run/);
});
