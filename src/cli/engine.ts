// Shared plumbing for CLI commands that talk to the engine.
import { choosePython, localEngine } from '../engine/locate';
import { runEngineToCompletion, EngineReportedError, EngineStartError, EngineCrashError, type RunOptions } from '../engine/client';
import type { EngineEvent } from '../core/runs/protocol';

/** Runs an engine command, echoing progress to stderr; returns the terminal event. */
export async function runEngineCommand(args: string[], opts: RunOptions & { verbose?: boolean } = {}): Promise<EngineEvent> {
  const { python } = choosePython(process.env.VOICE_DRAFT_PYTHON);
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    const { terminal } = await runEngineToCompletion(localEngine(python, args), {
      signal: opts.signal ?? controller.signal,
      onStderr: opts.onStderr ?? ((line) => { if (opts.verbose) process.stderr.write(`${line}\n`); }),
      onMalformed: (line, reason) => process.stderr.write(`[engine] ignored a stdout line (${reason}): ${line.slice(0, 120)}\n`),
      onEvent: opts.onEvent,
    });
    return terminal;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** Turns engine failures into one readable message and an exit code. */
export function reportEngineFailure(e: unknown): number {
  if (e instanceof EngineReportedError) {
    process.stderr.write(`error [${e.event.code}]: ${e.event.message}\n`);
    if (e.event.hint) process.stderr.write(`next: ${e.event.hint}\n`);
    return e.event.code === 'cancelled' ? 130 : 1; // Ctrl-C: the shell's code for an interrupt, as train and data give
  }
  if (e instanceof EngineStartError) {
    process.stderr.write(`error: ${e.message}\nnext: ${e.hint}\n`);
    return 1;
  }
  if (e instanceof EngineCrashError) {
    process.stderr.write(`error: ${e.message}\n`);
    return 1;
  }
  throw e;
}
