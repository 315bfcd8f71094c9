// A run's state from its engine events: the one reducer every reader of events.jsonl
// uses (docs/architecture.md, "The run folder"). The dashboard's series (train and
// validation loss, raw and smoothed; the voice score at each evaluation), canary samples,
// status and the checkpoint chosen; the run list's summary (runFolder.ts) and the
// followers' "how did it end" (detached.ts, remoteRun.ts) read the same model. No DOM and
// no I/O, so the webview bundle, the extension host and the CLI run the same code.
// `applyEvents` folds events into a model it owns (appending, so a live run costs
// O(new events)).
import type { EngineErrorEvent, EngineEvent, TrainCancelled, TrainDone, TrainDrafts, TrainStarted } from './protocol';
import { isTerminal } from './protocol';
import { checkpointChoice, type CheckpointChoice, writerChoice } from './voiceChoice';

export type RunState = 'new' | 'running' | 'done' | 'cancelled' | 'failed';

/** TensorBoard's default: visibly smoother than raw per-step loss, still follows a short run's shape. */
export const DEFAULT_SMOOTHING = 0.6;

type Y = number | null;

export interface TrainSeries { step: number[]; epoch: number[]; loss: Y[]; smoothed: Y[]; lr: number[]; tokensPerS: Y[] }
export interface ValSeries { step: number[]; loss: Y[]; ppl: Y[] }
/** The voice score after each evaluation (`train.voice`): score and attributed are shares, 0..1;
 * stderr the score's standard error (0 in runs from before it was sent). */
export interface VoiceSeries { step: number[]; score: number[]; attributed: number[]; delta: Y[]; samples: number[]; stderr: number[] }

export interface CanarySample {
  epoch: number;
  promptId: string;
  prompt?: string;
  sampling?: Record<string, unknown>;
  base: string[];
  tuned: string[];
}

export interface RunModel {
  state: RunState;
  train: TrainSeries;
  val: ValSeries;
  /** Empty when the run's voice check was off, and in runs from before it. */
  voice: VoiceSeries;
  /** Canaries from the event stream, keyed `promptId\u0000epoch` (a resumed epoch replaces its samples). */
  canaries: Map<string, CanarySample>;
  started: TrainStarted | null;
  /** The synthetic drafts made for the rewrite before training (issue #20): the last `train.drafts`, its counts once done. */
  drafts: TrainDrafts | null;
  device: { device: string; gpu: string | null } | null;
  done: TrainDone | null;
  /**
   * The checkpoint exported as the voice and what chose it: train.done's choice, replaced by
   * the writer's pick (`choose`: voice.chosen); null until then, and again when a resume starts.
   */
  choice: CheckpointChoice | null;
  cancelled: TrainCancelled | null;
  error: EngineErrorEvent | null;
  checkpoints: { step: number; path: string }[];
  /** Steps at which a resumed segment picked up (the curve restarts there). */
  resumedAt: number[];
  totalSteps: number | null;
  etaS: number | null;
  /** The event that ended the latest segment (train.done, train.cancelled, error); null while it runs. */
  ended: EngineEvent | null;
  smoothing: number;
  ema: EmaState;
}

export function emptyModel(smoothing = DEFAULT_SMOOTHING): RunModel {
  return {
    state: 'new',
    train: { step: [], epoch: [], loss: [], smoothed: [], lr: [], tokensPerS: [] },
    val: { step: [], loss: [], ppl: [] },
    voice: { step: [], score: [], attributed: [], delta: [], samples: [], stderr: [] },
    canaries: new Map(),
    choice: null,
    started: null,
    drafts: null,
    device: null,
    done: null,
    cancelled: null,
    error: null,
    checkpoints: [],
    resumedAt: [],
    totalSteps: null,
    etaS: null,
    ended: null,
    smoothing,
    ema: { raw: 0, count: 0 },
  };
}

export function modelFromEvents(events: readonly EngineEvent[], smoothing = DEFAULT_SMOOTHING): RunModel {
  return applyEvents(emptyModel(smoothing), events);
}

/** Folds events into the model (mutating it) and returns it. */
export function applyEvents(m: RunModel, events: readonly EngineEvent[]): RunModel {
  for (const e of events) applyEvent(m, e);
  return m;
}

/** Folds one event into the model. */
export function applyEvent(m: RunModel, e: EngineEvent): void {
  if (e.event === 'train.started') m.ended = null; // a resumed run starts a new segment
  else if (isTerminal(e)) m.ended = e;
  switch (e.event) {
    case 'engine.ready':
      m.device = { device: e.device, gpu: e.gpu ?? null };
      return;
    case 'train.started':
      // A resume appends a new segment to the same events.jsonl: the run is live again.
      m.state = 'running';
      m.started = e;
      m.error = null;
      m.cancelled = null;
      m.choice = null;
      if (typeof e.device === 'string') m.device = { device: e.device, gpu: null };
      return;
    case 'train.drafts':
      m.drafts = e;
      return;
    case 'train.progress':
      addProgress(m, e.step, e.epoch, e.loss, e.lr, e.tokens_per_s ?? null);
      if (e.total_steps !== undefined) m.totalSteps = e.total_steps;
      m.etaS = e.eta_s ?? null;
      return;
    case 'train.eval': {
      const keep = firstAtOrAfter(m.val.step, e.step);
      truncate(m.val, keep);
      m.val.step.push(e.step);
      m.val.loss.push(e.val_loss);
      m.val.ppl.push(e.val_ppl ?? (e.val_loss === null ? null : Math.exp(e.val_loss)));
      return;
    }
    case 'train.voice': {
      // A resumed run re-scores the evaluations it replays: the new point replaces the old.
      truncate(m.voice, firstAtOrAfter(m.voice.step, e.step));
      m.voice.step.push(e.step);
      m.voice.score.push(e.score);
      m.voice.attributed.push(e.attributed);
      m.voice.delta.push(e.delta);
      m.voice.samples.push(e.samples);
      m.voice.stderr.push(e.stderr ?? 0);
      return;
    }
    case 'train.canary':
      m.canaries.set(canaryKey(e.prompt_id, e.epoch), {
        epoch: e.epoch, promptId: e.prompt_id, prompt: e.prompt, sampling: e.sampling, base: e.base, tuned: e.tuned,
      });
      return;
    case 'train.checkpoint':
      m.checkpoints.push({ step: e.step, path: e.path });
      return;
    case 'train.done':
      m.state = 'done';
      m.done = e;
      m.choice = checkpointChoice(e as unknown as Record<string, unknown>);
      m.etaS = null;
      return;
    case 'voice.chosen':
      m.choice = writerChoice(m.choice ?? undefined, e.step);
      return;
    case 'train.cancelled':
      m.state = 'cancelled';
      m.cancelled = e;
      m.etaS = null;
      return;
    case 'error':
      // An error after train.done (say, in a late canary write) does not undo a finished adapter.
      if (m.state !== 'done') m.state = 'failed';
      m.error = e;
      m.etaS = null;
      return;
    case 'setup.progress': case 'model.progress': case 'export.progress': case 'eval.progress': case 'setup.plan':
    case 'setup.done': case 'model.ready': case 'export.artifact': case 'export.done': case 'eval.done':
    case 'unknown':
      return; // other commands' events: not part of the training curves
    default: {
      const never: never = e;
      return never;
    }
  }
}

function addProgress(m: RunModel, step: number, epoch: number, loss: Y, lr: number, tps: Y): void {
  const t = m.train;
  const keep = firstAtOrAfter(t.step, step);
  if (keep < t.step.length) {
    // A resumed run replays steps after its checkpoint: the new segment replaces them,
    // so the x axis stays increasing and the curve shows the run that really continued.
    truncate(t, keep);
    m.resumedAt.push(step);
    m.ema = { raw: 0, count: 0 };
    t.smoothed = ema(t.loss, m.smoothing, m.ema);
  }
  t.step.push(step);
  t.epoch.push(epoch);
  t.loss.push(loss);
  t.lr.push(lr);
  t.tokensPerS.push(tps);
  t.smoothed.push(emaStep(m.ema, loss, m.smoothing));
}

/** Index of the first x >= value (x is increasing): everything from there on is superseded. */
function firstAtOrAfter(xs: number[], value: number): number {
  let i = xs.length;
  while (i > 0 && xs[i - 1]! >= value) i--;
  return i;
}

function truncate(series: TrainSeries | ValSeries | VoiceSeries, length: number): void {
  for (const values of Object.values(series) as unknown[][]) values.length = Math.min(values.length, length);
}

/** Running state of the debiased EMA: the raw average and how many values went in. */
export interface EmaState { raw: number; count: number }

/**
 * One step of a debiased exponential moving average, as TensorBoard smooths
 * scalars: the first value comes out unchanged (no pull towards 0), a missing
 * value stays missing and does not move the average.
 */
export function emaStep(s: EmaState, y: Y, weight: number): Y {
  if (y === null || !Number.isFinite(y)) return null;
  const w = Math.min(Math.max(weight, 0), 0.999); // w = 1 would never move and divide by zero
  s.raw = s.raw * w + (1 - w) * y;
  s.count++;
  return s.count === 1 ? y : s.raw / (1 - w ** s.count); // exact, not y·(1-w)/(1-w)
}

export function ema(values: readonly Y[], weight: number, state: EmaState = { raw: 0, count: 0 }): Y[] {
  return values.map((y) => emaStep(state, y, weight));
}

export function canaryKey(promptId: string, epoch: number): string {
  return `${promptId}\u0000${epoch}`;
}

/**
 * An events.jsonl line as it was recorded, read leniently for a run's summary: a line that
 * is not a JSON event (a half-written last line) is passed over, but an event is not
 * dropped for a field it lacks, so the list never loses how a run ended. (The dashboard
 * and the followers read lines strictly: protocol.ts's parseEventLine.)
 */
export function recordedEvent(line: string): EngineEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  const ok = typeof value === 'object' && value !== null && typeof (value as { event?: unknown }).event === 'string';
  return ok ? (value as EngineEvent) : undefined;
}
