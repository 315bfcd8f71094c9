// Training a voice from the client's side, editor-free (the CLI and the
// extension both use it): one training at a time per runs folder, a detached
// engine per run, and the export that turns an adapter into a voice.
import { join } from 'node:path';
import { listRuns, RUN_FILES } from '../core/runs/runFolder';
import { runEngineToCompletion, type RunOptions } from './client';
import { followRun, liveEngine, startDetached, type DetachedEngine, type FollowResult } from './detached';
import { localEngine } from './locate';
import type { EngineEvent } from './protocol';

/** Another run of this runs folder is still training. */
export class TrainingBusyError extends Error {
  constructor(readonly runDir: string, readonly pid: number) {
    super(`A voice is already training (${runDir.split(/[\\/]/).pop()}). Wait for it to finish or cancel it from the dashboard, then train again.`);
  }
}

/** The run whose engine is alive right now, if any. */
export async function activeTraining(runsRoot: string): Promise<{ runDir: string; pid: number } | undefined> {
  for (const run of await listRuns(runsRoot)) {
    const live = await liveEngine(run.dir);
    if (live) return { runDir: run.dir, pid: live.pid };
  }
  return undefined;
}

export interface StartOptions {
  python: string;
  runsRoot: string;
  resume?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** Starts (or resumes) the engine on a prepared run folder; refuses a second concurrent training. */
export async function startTraining(runDir: string, opts: StartOptions): Promise<DetachedEngine> {
  const busy = await activeTraining(opts.runsRoot);
  if (busy) throw new TrainingBusyError(busy.runDir, busy.pid);
  const args = ['train', '--run', runDir, ...(opts.resume ? ['--resume'] : [])];
  return startDetached(localEngine(opts.python, args, opts.env), runDir);
}

/** Follows a run until the engine ends; a missing terminal event means it crashed. */
export function followTraining(runDir: string, pid: number | undefined, onEvent: (e: EngineEvent) => void, signal?: AbortSignal): Promise<FollowResult> {
  return followRun(runDir, pid, onEvent, { signal });
}

/** Merges the adapter and writes the ONNX voice the editor writes with. The adapter is never touched. */
export async function exportVoice(runDir: string, python: string, opts: RunOptions & { env?: NodeJS.ProcessEnv } = {}): Promise<EngineEvent> {
  const { terminal } = await runEngineToCompletion(localEngine(python, ['export', '--run', runDir], opts.env), opts);
  return terminal;
}

/** Progress through a run, from its events: what a progress bar and a status item need. */
export interface TrainProgressView {
  percent: number;
  etaSeconds?: number;
  step?: number;
  totalSteps?: number;
  loss?: number | null;
}

export function progressFrom(e: EngineEvent, previous: TrainProgressView): TrainProgressView {
  if (e.event !== 'train.progress') return previous;
  const total = e.total_steps ?? previous.totalSteps;
  const percent = total ? Math.min(100, (100 * e.step) / total) : previous.percent;
  return { percent, etaSeconds: e.eta_s ?? undefined, step: e.step, totalSteps: total, loss: e.loss };
}

export function formatEta(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '';
  if (seconds < 60) return `${Math.round(seconds)} s left`;
  const m = Math.round(seconds / 60);
  return m < 60 ? `${m} min left` : `${Math.floor(m / 60)} h ${m % 60} min left`;
}

export function engineLogPath(runDir: string): string {
  return join(runDir, RUN_FILES.log);
}
