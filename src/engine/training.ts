// Training a voice from the client's side, editor-free (the CLI and the
// extension both use it): one training at a time per runs folder, a detached
// engine per run, and the export that turns an adapter into a voice.
import { hostname } from 'node:os';
import { join } from 'node:path';
import { listRuns, RUN_FILES } from '../core/runs/runFolder';
import { runEngineToCompletion, type RunOptions } from './client';
import { clearPidFile, followRun, isAlive, liveEngine, lockHolder, readPidFile, startDetached, type DetachedEngine, type FollowResult } from './detached';
import { localEngine } from './locate';
import type { EngineEvent } from '../core/runs/protocol';

/** Another run of this runs folder is still training, or this very run is. */
export class TrainingBusyError extends Error {
  constructor(readonly runDir: string, readonly pid: number, message?: string) {
    super(message ?? `A voice is already training (${runDir.split(/[\\/]/).pop()}). Wait for it to finish or cancel it from the dashboard, then train again.`);
  }
}

/** What to say when `runDir` itself is still training: a second engine there would undo the first's work. */
export function stillTrainingMessage(runDir: string, pid: number, host?: string): string {
  const where = host && host !== hostname() ? ` on ${host}` : '';
  return `${runDir} is still training (engine pid ${pid}${where}); a second engine on the same run would undo the first one's checkpoints. `
    + 'Follow it in the dashboard (Voice Draft: Show Training Dashboard), or wait for it to end. '
    + `To stop it, cancel it there or run "kill -TERM ${pid}"${where}: it saves a checkpoint first. Then resume: voice-draft train --resume ${runDir}`;
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
  // This run first (it may lie outside the runs folder: `train --resume <any folder>`), by its pid file and the engine's own lock.
  const own = (await liveEngine(runDir)) ?? (await lockHolder(runDir));
  if (own) throw new TrainingBusyError(runDir, own.pid, stillTrainingMessage(runDir, own.pid, own.host));
  const busy = await activeTraining(opts.runsRoot);
  if (busy) throw new TrainingBusyError(busy.runDir, busy.pid);
  const args = ['train', '--run', runDir, ...(opts.resume ? ['--resume'] : [])];
  return startDetached(localEngine(opts.python, args, opts.env), runDir);
}

/**
 * Follows a run until the engine ends; a missing terminal event means it crashed. Once
 * the engine is gone, its engine.pid goes too: a pid the system hands out again later must
 * not make the run look busy.
 */
export async function followTraining(runDir: string, pid: number | undefined, onEvent: (e: EngineEvent) => void, signal?: AbortSignal): Promise<FollowResult> {
  const result = await followRun(runDir, pid, onEvent, { signal });
  if (pid !== undefined && !isAlive(pid)) {
    const recorded = await readPidFile(runDir);
    if (recorded?.pid === pid) await clearPidFile(runDir);
  }
  return result;
}

/** Merges the adapter and writes the ONNX voice the editor writes with. The adapter is never touched. */
export async function exportVoice(runDir: string, python: string, opts: RunOptions & { env?: NodeJS.ProcessEnv } = {}): Promise<EngineEvent> {
  const { terminal } = await runEngineToCompletion(localEngine(python, ['export', '--run', runDir], opts.env), opts);
  return terminal;
}

/**
 * Makes kept checkpoint `step` the run's voice (`choose`: rewrites adapter/ or model/ from it
 * and records `voice.chosen`); an export afterwards makes it what the editor writes with.
 */
export async function chooseCheckpoint(runDir: string, step: number, python: string, opts: RunOptions & { env?: NodeJS.ProcessEnv } = {}): Promise<EngineEvent> {
  const { terminal } = await runEngineToCompletion(localEngine(python, ['choose', '--run', runDir, '--step', String(step)], opts.env), opts);
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
