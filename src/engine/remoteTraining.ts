// Training on a remote GPU host, editor-free, in the same shape as training.ts:
// start (push + engine + detached train), follow (events back live, each
// checkpoint pulled as it is announced, everything pulled at the end), export,
// cancel. The extension and the CLI both drive it; the writer's consent to send
// the essays is asked by the caller before startRemote is called.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RUN_FILES } from '../core/runs/runFolder';
import type { RunOptions } from './client';
import type { EngineEvent } from '../core/runs/protocol';
import {
  cancelRemote, connect, deleteRemoteCopy, engineChecks, ensureRemoteEngine, exportRemote, pullResults, pushRun, remoteStatus,
  RemoteBusyError, RemoteRun, type FollowRemoteOptions, type FollowRemoteResult, type RemoteEngine,
} from './remote/remoteRun';
import { takeFollowLock } from './remote/followLock';
import { ensureRemoteDefaultModel } from './remote/remoteModel';
import { readRemoteState } from './remote/remoteState';
import { isCheckpointPath } from './remote/runLayout';
import type { RemoteTarget } from './remote/sshTarget';

export { isRemoteRun, readRemoteState } from './remote/remoteState';
export type { RemoteTarget } from './remote/sshTarget';

/** What the writer is told before anything leaves the machine. */
export interface SendSummary {
  files: number;
  words: number;
  /**
   * Earlier drafts that go with the essays (T1 inputs): draft files, and versions taken
   * from git history, which are no file of the workspace but the writer's text all the same.
   */
  drafts: { total: number; fromGit: number; words: number | null };
}

const NO_DRAFTS: SendSummary['drafts'] = { total: 0, fromGit: 0, words: 0 };

/** Counts the essays and drafts a run would send, from its dataset manifest (documents.jsonl as a fallback). */
export async function sendSummary(runDir: string): Promise<SendSummary> {
  const dataset = join(runDir, RUN_FILES.dataset);
  try {
    const m = JSON.parse(await readFile(join(dataset, 'manifest.json'), 'utf8')) as {
      documents?: { total?: number }; words?: number; drafts?: { used?: Record<string, unknown>; words?: unknown };
    };
    if (typeof m.documents?.total === 'number' && typeof m.words === 'number') {
      const used = Object.values(m.drafts?.used ?? {}).map(Number).filter(Number.isFinite);
      const drafts = {
        total: used.reduce((a, b) => a + b, 0),
        fromGit: Number(m.drafts?.used?.['git history']) || 0,
        words: typeof m.drafts?.words === 'number' ? m.drafts.words : null,
      };
      return { files: m.documents.total, words: m.words, drafts };
    }
  } catch { /* fall through */ }
  const docs = (await readFile(join(dataset, 'documents.jsonl'), 'utf8').catch(() => '')).split('\n').filter((l) => l.trim());
  let words = 0;
  for (const line of docs) {
    try { words += Number((JSON.parse(line) as { words?: number }).words) || 0; } catch { /* skip */ }
  }
  return { files: docs.length, words, drafts: NO_DRAFTS };
}

/** "12 files, 34,000 words, and 3 earlier drafts of them (2 from git history, 2,100 words)". */
export function describeSend(s: SendSummary): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const essays = `${n(s.files)} ${s.files === 1 ? 'file' : 'files'}, ${n(s.words)} words`;
  if (s.drafts.total === 0) return essays;
  const details = [
    ...(s.drafts.fromGit ? [`${n(s.drafts.fromGit)} from git history`] : []),
    ...(s.drafts.words !== null ? [`${n(s.drafts.words)} words`] : []),
  ];
  return `${essays}, and ${n(s.drafts.total)} earlier ${s.drafts.total === 1 ? 'draft' : 'drafts'} of them${details.length ? ` (${details.join(', ')})` : ''}`;
}

export interface StartRemoteOptions {
  resume?: boolean;
  /** Local folder holding voice_draft_engine/ (default: the one shipped with the extension). */
  packageDir?: string;
  /** Engine set-up and doctor events on the host. */
  onEvent?: (e: EngineEvent) => void;
  onStderr?: (line: string) => void;
  /** Where this machine keeps built models (tests); default: the engine cache's models/. */
  localModelsDir?: string;
  /** Each step, for a progress message. */
  onStage?: (message: string) => void;
  signal?: AbortSignal;
}

export interface RemoteStarted {
  pid: number;
  engine: RemoteEngine;
  remoteDir: string;
}

/** Sends the run to the host and starts the engine there, detached; resuming refuses a run still alive there. */
export async function startRemote(runDir: string, target: RemoteTarget, opts: StartRemoteOptions = {}): Promise<RemoteStarted> {
  const stage = opts.onStage ?? (() => undefined);
  stage(`connecting to ${target.host}`);
  const host = await connect(target, opts.signal, await engineChecks(opts.packageDir));
  const previous = await readRemoteState(runDir); // remote.json, read once for the whole start
  if (opts.resume && previous?.host === target.host) {
    const status = await new RemoteRun(target, runDir, previous).status(opts.signal);
    if (status.alive) throw new RemoteBusyError(`This run is still training on ${target.host}.`, 'Re-attach to it instead of resuming.');
  }
  stage(`preparing the engine on ${target.host}`);
  const engine = await ensureRemoteEngine(host, { packageDir: opts.packageDir, onEvent: opts.onEvent, onStderr: opts.onStderr, signal: opts.signal });
  await ensureRemoteDefaultModel(host, engine, runDir, { localModelsDir: opts.localModelsDir, signal: opts.signal, onStage: stage });
  stage(`copying the training data to ${target.host}`);
  const state = await pushRun(host, runDir, { resume: opts.resume, previous, signal: opts.signal, onStderr: opts.onStderr });
  stage(`starting the engine on ${target.host}`);
  const pid = await new RemoteRun(target, runDir, state).start(engine, { resume: opts.resume, signal: opts.signal });
  return { pid, engine, remoteDir: state.remoteDir };
}

export interface FollowRemoteTrainingOptions extends FollowRemoteOptions {
  /** A pull failed (the link, the disk); the run goes on and the next pull tries again. */
  onPullError?: (e: unknown) => void;
}

/**
 * Follows a remote run until its engine ends (or the link stays down): events
 * into the local events.jsonl, each announced checkpoint pulled right away, and
 * everything else pulled once the engine is gone — whatever made it back stays.
 */
export async function followRemoteTraining(runDir: string, target: RemoteTarget, onEvent: (e: EngineEvent) => void, opts: FollowRemoteTrainingOptions = {}): Promise<FollowRemoteTrainingResult> {
  const release = await takeFollowLock(runDir); // throws FollowedElsewhereError when another window follows it
  try {
    return await followHeld(runDir, target, onEvent, opts);
  } finally {
    await release();
  }
}

async function followHeld(runDir: string, target: RemoteTarget, onEvent: (e: EngineEvent) => void, opts: FollowRemoteTrainingOptions): Promise<FollowRemoteTrainingResult> {
  const run = await RemoteRun.open(runDir, target); // remote.json, read once for the follow and every pull
  let pulls = Promise.resolve(true);
  const pull = (only?: string[]) => {
    pulls = pulls.then(() => run.pull({ only, signal: opts.signal, onStderr: opts.onStderr }))
      .then(() => true, (e: unknown) => { opts.onPullError?.(e); return false; });
    return pulls;
  };
  const result = await run.follow((e) => {
    // Checkpoint paths are relative to the run folder and name one checkpoint (`checkpoints/step-000040`);
    // anything else (`checkpoints/..`, an absolute path) comes from a host that is not our engine: never pulled.
    if (e.event === 'train.checkpoint') {
      if (isCheckpointPath(e.path)) void pull([e.path]);
      else opts.onStderr?.(`ignored a checkpoint event from ${target.host} with the path ${JSON.stringify(e.path)}`);
    }
    onEvent(e);
  }, opts);
  if (!result.dropped && !result.aborted) return { ...result, pulled: await pull() };
  await pulls;
  return { ...result, pulled: false };
}

export interface FollowRemoteTrainingResult extends FollowRemoteResult {
  /** The engine ended and everything it left on the host was copied here (the last pull succeeded). */
  pulled: boolean;
}

/**
 * After the results are copied back: the run's folder on the host is deleted (the
 * writer's essays, its checkpoints and results; deleteRemoteCopy pulls once more
 * first and deletes nothing it could not bring back), unless the writer asked to keep
 * it (voiceDraft.engine.keepRemoteCopy). Returns the folder deleted, or undefined when kept.
 */
export async function cleanUpRemoteCopy(runDir: string, target: RemoteTarget, keep: boolean, opts: { signal?: AbortSignal; onStderr?: (line: string) => void } = {}): Promise<string | undefined> {
  if (keep) return undefined;
  return (await deleteRemoteCopy(target, runDir, opts)).remoteDir;
}

export { deleteRemoteCopy };

/** Exports the voice on the host (its GPU merges the adapter) and pulls onnx/ back. */
export function exportRemoteVoice(runDir: string, target: RemoteTarget, opts: RunOptions = {}): Promise<EngineEvent> {
  return exportRemote(target, runDir, opts);
}

export function cancelRemoteTraining(runDir: string, target: RemoteTarget, signal?: AbortSignal): Promise<boolean> {
  return cancelRemote(target, runDir, signal);
}

export { remoteStatus, pullResults };
