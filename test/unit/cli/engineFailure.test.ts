// What an engine failure becomes on the command line: the message, what to do next, and an
// exit code a script can tell apart (130 for a cancel, as for any interrupted command).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { reportEngineFailure } from '../../../src/cli/engine';
import { EngineReportedError, type EngineResult } from '../../../src/engine/client';
import { captureOutput } from '../helpers/captureOutput';

const result: EngineResult = { exitCode: 1, exitSignal: null, events: [], terminal: undefined, cancelled: false, stderrTail: [] };

test('a cancelled engine command exits 130; another error exits 1 with its hint', async () => {
  const cancelled = await captureOutput(async () => reportEngineFailure(
    new EngineReportedError({ event: 'error', code: 'cancelled', message: 'Evaluation cancelled; eval.json was left as it was.', hint: '' }, result)));
  assert.equal(cancelled.code, 130);
  assert.equal(cancelled.stderr, 'error [cancelled]: Evaluation cancelled; eval.json was left as it was.\n');
  const failed = await captureOutput(async () => reportEngineFailure(
    new EngineReportedError({ event: 'error', code: 'run_not_found', message: 'no run', hint: 'name a run folder' }, result)));
  assert.equal(failed.code, 1);
  assert.equal(failed.stderr, 'error [run_not_found]: no run\nnext: name a run folder\n');
});
