// Runs one engine command as a subprocess (never through a shell) and turns
// its stdout into typed events. Cancel = SIGTERM (the engine checkpoints and
// says `train.cancelled`), then SIGKILL if it does not exit within the grace period.
import { spawn } from 'node:child_process';
import { LineSplitter } from '../core/runs/jsonLines';
import { type EngineEvent, type EngineErrorEvent, isTerminal, parseEventLine, ProtocolError } from '../core/runs/protocol';

export interface EngineInvocation {
  /** Program to run: a Python interpreter, or `ssh` for a remote engine. */
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export interface RunOptions {
  signal?: AbortSignal;
  onEvent?: (event: EngineEvent) => void;
  onStderr?: (line: string) => void;
  /** A stdout line that is not a valid event: logged, never fatal. */
  onMalformed?: (line: string, reason: string) => void;
  /** Milliseconds between SIGTERM and SIGKILL on cancel. */
  killGraceMs?: number;
}

export interface EngineResult {
  exitCode: number | null;
  exitSignal: NodeJS.Signals | null;
  events: EngineEvent[];
  /** The event that ended the command, if the engine got to say one. */
  terminal: EngineEvent | undefined;
  cancelled: boolean;
  stderrTail: string[];
}

/** The engine could not be started at all (missing Python, not executable). */
export class EngineStartError extends Error {
  constructor(message: string, readonly hint: string, readonly code: string | undefined) {
    super(message);
  }
}

/** The engine ended without a terminal event: it crashed or was killed. */
export class EngineCrashError extends Error {
  constructor(message: string, readonly result: EngineResult) {
    super(message);
  }
}

/** The engine reported an `error` event. */
export class EngineReportedError extends Error {
  constructor(readonly event: EngineErrorEvent, readonly result: EngineResult) {
    super(event.hint ? `${event.message} — ${event.hint}` : event.message);
  }
}

const STDERR_TAIL = 40;

export function runEngine(inv: EngineInvocation, opts: RunOptions = {}): Promise<EngineResult> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(opts.signal.reason ?? new Error('cancelled'));
      return;
    }
    const child = spawn(inv.command, inv.args, {
      cwd: inv.cwd,
      env: inv.env ?? process.env,
      shell: false,
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const events: EngineEvent[] = [];
    const stderrTail: string[] = [];
    let terminal: EngineEvent | undefined;
    let cancelled = false;
    let killTimer: NodeJS.Timeout | undefined;

    const handleLine = (line: string) => {
      let event: EngineEvent | undefined;
      try {
        event = parseEventLine(line);
      } catch (e) {
        opts.onMalformed?.(line, e instanceof ProtocolError ? e.message : String(e));
        return;
      }
      if (!event) return;
      events.push(event);
      if (isTerminal(event) && !terminal) terminal = event;
      opts.onEvent?.(event);
    };
    const out = new LineSplitter();
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk).forEach(handleLine));
    const err = new LineSplitter();
    const handleStderr = (line: string) => {
      stderrTail.push(line);
      if (stderrTail.length > STDERR_TAIL) stderrTail.shift();
      opts.onStderr?.(line);
    };
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk).forEach(handleStderr));

    const onAbort = () => {
      cancelled = true;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), opts.killGraceMs ?? 30_000);
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    child.on('error', (e: NodeJS.ErrnoException) => {
      opts.signal?.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      reject(engineStartError(inv.command, e));
    });
    child.on('close', (exitCode, exitSignal) => {
      opts.signal?.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      out.end().forEach(handleLine);
      err.end().forEach(handleStderr);
      resolve({ exitCode, exitSignal, events, terminal, cancelled, stderrTail });
    });
  });
}

/** What a failed spawn of the engine means to the writer, with what to do next. */
export function engineStartError(command: string, e: NodeJS.ErrnoException): EngineStartError {
  if (e.code === 'ENOENT') {
    return new EngineStartError(
      `Cannot start the training engine: "${command}" was not found.`,
      'Run "Voice Draft: Set Up Training Engine", or set voiceDraft.engine.pythonPath to a Python 3.10+ interpreter.',
      e.code,
    );
  }
  if (e.code === 'EACCES') {
    return new EngineStartError(
      `Cannot start the training engine: "${command}" is not executable.`,
      'Check voiceDraft.engine.pythonPath, or run "Voice Draft: Set Up Training Engine".',
      e.code,
    );
  }
  return new EngineStartError(`Cannot start the training engine: ${e.message}`, 'See the Voice Draft log.', e.code);
}

/**
 * Runs a command and insists that it ends well: resolves with the terminal
 * event, rejects with EngineReportedError or EngineCrashError otherwise.
 */
export async function runEngineToCompletion(inv: EngineInvocation, opts: RunOptions = {}): Promise<{ terminal: EngineEvent; result: EngineResult }> {
  const result = await runEngine(inv, opts);
  const { terminal } = result;
  if (terminal?.event === 'error') throw new EngineReportedError(terminal, result);
  if (!terminal) {
    const how = result.exitSignal ? `was killed (${result.exitSignal})` : `exited with code ${result.exitCode}`;
    const last = result.stderrTail.filter((l) => l.trim()).slice(-3).join('\n');
    throw new EngineCrashError(`The training engine ${how} before finishing.${last ? `\n${last}` : ''}`, result);
  }
  return { terminal, result };
}
