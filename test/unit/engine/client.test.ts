// The client against real processes: the real engine for doctor, and small
// Python programs that misbehave the ways a real engine can.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EngineCrashError, EngineReportedError, EngineStartError, runEngine, runEngineToCompletion } from '../../../src/engine/client';
import { choosePython, localEngine } from '../../../src/engine/locate';

const python = choosePython(process.env.VOICE_DRAFT_PYTHON).python;
const script = (code: string) => ({ command: python, args: ['-c', code] });

test('doctor through the real engine reports the protocol and a device', async () => {
  const { terminal } = await runEngineToCompletion(localEngine(python, ['doctor']));
  assert.equal(terminal.event, 'engine.ready');
  if (terminal.event !== 'engine.ready') return;
  assert.equal(terminal.protocol, 1);
  assert.ok(['cpu', 'cuda', 'mps'].includes(terminal.device));
  assert.match(terminal.torch, /^\d+\.\d+/);
});

test('partial writes, blank lines, garbage and unknown events do not derail the stream', async () => {
  const malformed: string[] = [];
  const stderr: string[] = [];
  const result = await runEngine(script(String.raw`
import sys, time
w = sys.stdout.write
w('{"event":"train.pro'); sys.stdout.flush(); time.sleep(0.05)
w('gress","step":1,"epoch":0.1,"loss":2.5,"lr":0.0001}\n\n')
w('hello from a stray print\n')
w('{"event":"brand.new","x":1}\n')
sys.stderr.write("a log line\n")
w('{"event":"train.done","adapter":"adapter","best_step":1,"best_val_loss":2.4}')
`), { onMalformed: (l) => malformed.push(l), onStderr: (l) => stderr.push(l) });
  assert.deepEqual(result.events.map((e) => e.event), ['train.progress', 'unknown', 'train.done']);
  assert.equal(result.terminal?.event, 'train.done');
  assert.deepEqual(malformed, ['hello from a stray print']);
  assert.deepEqual(stderr, ['a log line']);
});

test('an engine that dies without a terminal event is a crash, with its last stderr', async () => {
  await assert.rejects(
    runEngineToCompletion(script('import sys; sys.stderr.write("Segmentation fault (pretend)\\n"); sys.exit(3)')),
    (e: unknown) => e instanceof EngineCrashError && /code 3/.test(e.message) && /Segmentation/.test(e.message),
  );
});

test('an error event becomes EngineReportedError carrying code and hint', async () => {
  await assert.rejects(
    runEngineToCompletion(script('print(\'{"event":"error","code":"cuda_oom","message":"out of memory","hint":"lower the batch size"}\')')),
    (e: unknown) => e instanceof EngineReportedError && e.event.code === 'cuda_oom' && /lower the batch size/.test(e.message),
  );
});

test('a missing interpreter says what to do next', async () => {
  await assert.rejects(
    runEngine({ command: '/nonexistent/python3', args: [] }),
    (e: unknown) => e instanceof EngineStartError && /Set Up Training Engine/.test(e.hint),
  );
});

test('abort sends SIGTERM and the engine gets to say it was cancelled', async () => {
  const controller = new AbortController();
  const run = runEngine(script(String.raw`
import signal, sys, time
def stop(*_):
    print('{"event":"train.cancelled","step":7}', flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
print('{"event":"train.progress","step":7,"epoch":0.5,"loss":2.0,"lr":0.0001}', flush=True)
time.sleep(30)
`), {
    signal: controller.signal,
    onEvent: (e) => { if (e.event === 'train.progress') controller.abort(); },
  });
  const result = await run;
  assert.equal(result.cancelled, true);
  assert.equal(result.terminal?.event, 'train.cancelled');
  assert.equal(result.exitCode, 0);
});

test('an engine that ignores SIGTERM is killed after the grace period', async () => {
  const controller = new AbortController();
  const result = await runEngine(script(String.raw`
import signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print('{"event":"train.progress","step":1,"epoch":0.1,"loss":2.0,"lr":0.0001}', flush=True)
time.sleep(30)
`), { signal: controller.signal, killGraceMs: 300, onEvent: () => controller.abort() });
  assert.equal(result.exitSignal, 'SIGKILL');
  assert.equal(result.terminal, undefined);
});
