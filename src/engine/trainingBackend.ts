// Where a run trains: this machine, or a remote GPU host. Both take a prepared run
// folder through one lifecycle: start (a remote backend sends the run first), follow
// its events to the end, export the voice, then release what the run still holds
// elsewhere. The extension's TrainingController and the CLI drive this one sequence,
// whichever backend the run has. Editor-free.
import type { EngineEvent } from '../core/runs/protocol';
import type { RunOptions } from './client';
import { cancelEngine, clearPidFile, liveEngine } from './detached';
import {
  cancelRemoteTraining, cleanUpRemoteCopy, exportRemoteVoice, followRemoteTraining, readRemoteState, startRemote,
  type FollowRemoteTrainingOptions, type RemoteTarget,
} from './remoteTraining';
import { validateHost } from './remote/sshTarget';
import { exportVoice, followTraining, startTraining } from './training';

export interface BackendStartOptions {
  resume?: boolean;
  signal?: AbortSignal;
  /** Each step of a remote start (connecting, setting up the engine there, sending the data), for a progress message. */
  onStage?: (message: string) => void;
  /** Engine set-up events on a remote host. */
  onEvent?: (e: EngineEvent) => void;
  onStderr?: (line: string) => void;
}

/** A cancel, the host's ssh messages, and a failed copy back of a remote run's results (the next copy tries again). */
export type FollowOptions = Pick<FollowRemoteTrainingOptions, 'signal' | 'onStderr' | 'onPullError'>;

export interface FollowOutcome {
  /** What ended the run: train.done, train.cancelled or error; undefined: the engine died without a word. */
  terminal: EngineEvent | undefined;
  /** The link to the host went down and stayed down: the run goes on there (a local run never drops). */
  dropped: boolean;
  /** Everything the run left is in its folder here (a remote run: its last copy back succeeded). */
  complete: boolean;
}

export interface TrainingBackend {
  /** The host's name, for the writer; undefined on this machine. */
  readonly host: string | undefined;
  /**
   * Starts the engine on the prepared run folder and returns its pid (on the machine it runs on);
   * a second training refuses (TrainingBusyError here, RemoteBusyError on a host).
   */
  start(runDir: string, opts?: BackendStartOptions): Promise<number>;
  /** Follows the run's events (from the start of events.jsonl) until its engine ends. */
  follow(runDir: string, onEvent: (e: EngineEvent) => void, opts?: FollowOptions): Promise<FollowOutcome>;
  /** SIGTERM to the engine (it checkpoints, then says train.cancelled); false when none runs. */
  cancel(runDir: string, signal?: AbortSignal): Promise<boolean>;
  /** Merges the chosen weights and writes the ONNX voice into the run folder here. */
  exportVoice(runDir: string, opts?: RunOptions): Promise<EngineEvent>;
  /** The run is over and all of it is here: what it holds elsewhere goes. Returns what was deleted, if anything. */
  release(runDir: string, opts?: { signal?: AbortSignal; onStderr?: (line: string) => void }): Promise<string | undefined>;
}

export interface LocalSettings {
  /** The engine's Python on this machine. */
  python: () => string;
  runsRoot: () => string;
  env?: NodeJS.ProcessEnv;
}

/** Training on this machine: a detached engine per run, followed through events.jsonl. */
export function localBackend(settings: LocalSettings): TrainingBackend {
  const started = new Map<string, number>();
  return {
    host: undefined,
    async start(runDir, opts = {}) {
      const engine = await startTraining(runDir, { python: settings.python(), runsRoot: settings.runsRoot(), resume: opts.resume, env: settings.env });
      started.set(runDir, engine.pid);
      return engine.pid;
    },
    async follow(runDir, onEvent, opts = {}) {
      const pid = started.get(runDir) ?? (await liveEngine(runDir))?.pid;
      started.delete(runDir);
      // No engine runs it: what events.jsonl holds is all there is (read once, then the follow ends).
      const signal = pid === undefined ? AbortSignal.abort() : opts.signal;
      const { terminal } = await followTraining(runDir, pid, onEvent, signal);
      await clearPidFile(runDir);
      return { terminal, dropped: false, complete: true };
    },
    async cancel(runDir) {
      const live = await liveEngine(runDir);
      if (!live) return false;
      cancelEngine(live.pid);
      return true;
    },
    exportVoice(runDir, opts = {}) {
      return exportVoice(runDir, settings.python(), { ...opts, env: settings.env });
    },
    async release() {
      return undefined; // nothing of it is anywhere else
    },
  };
}

export interface RemoteSettings {
  /** voiceDraft.engine.keepRemoteCopy: the run's folder on the host stays once its results are here. */
  keepCopy: () => boolean;
  /** Local folder holding voice_draft_engine/ (default: the one shipped with the extension). */
  packageDir?: string;
}

/** Training on a remote GPU host over SSH: the run is sent there, its events and results come back. */
export function remoteBackend(target: RemoteTarget, settings: RemoteSettings): TrainingBackend {
  return {
    host: target.host,
    async start(runDir, opts = {}) {
      return (await startRemote(runDir, target, { ...opts, packageDir: settings.packageDir })).pid;
    },
    async follow(runDir, onEvent, opts = {}) {
      const result = await followRemoteTraining(runDir, target, onEvent, opts);
      return { terminal: result.terminal, dropped: result.dropped, complete: result.pulled };
    },
    cancel(runDir, signal) {
      return cancelRemoteTraining(runDir, target, signal);
    },
    exportVoice(runDir, opts = {}) {
      return exportRemoteVoice(runDir, target, opts); // the host's GPU merges; onnx/ comes back
    },
    release(runDir, opts = {}) {
      return cleanUpRemoteCopy(runDir, target, settings.keepCopy(), opts);
    },
  };
}

export interface BackendChoice {
  local: LocalSettings;
  remote: RemoteSettings;
  /** voiceDraft.engine.remoteHost: where new trainings go; empty: this machine. */
  remoteHost: string;
}

/** The backend that owns a run: the host it was sent to (its follow, cancel and export go there), else this machine. */
export async function ownerOf(runDir: string, choice: BackendChoice): Promise<TrainingBackend> {
  const state = await readRemoteState(runDir);
  return state ? remoteBackend({ host: state.host }, choice.remote) : localBackend(choice.local);
}

/**
 * Where a start goes: a resume goes back to the host the run trained on; anything else
 * to the configured host, or this machine. Throws RemoteTargetError for a host that is
 * not a plain ssh destination.
 */
export async function backendToStart(runDir: string, resume: boolean, choice: BackendChoice): Promise<TrainingBackend> {
  const state = resume ? await readRemoteState(runDir) : undefined;
  const host = state?.host ?? choice.remoteHost;
  return host ? remoteBackend({ host: validateHost(host) }, choice.remote) : localBackend(choice.local);
}
