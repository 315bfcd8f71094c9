// What the dashboard knows about a run, derived from engine events and nothing
// else: train/validation series (raw and smoothed), canary samples, status and
// the header's summary, including the voice score at each evaluation and the
// checkpoint chosen by it (charts: chartModel.ts, diffs: canaryModel.ts). No DOM and
// no I/O, so the webview app and the Node unit tests run the same code.
// `applyEvents` folds events into a model it owns (appending, so a live run costs
// O(new events)).
import type { RunState } from '../core/runs/runFolder';
import { bestVoice, checkpointChoice, type ChosenBy, writerChoice } from '../core/runs/voiceChoice';
import { formatNumber } from './reports';
import type { EngineErrorEvent, EngineEvent, TrainCancelled, TrainDone, TrainDrafts, TrainStarted } from '../core/runs/protocol';

/** TensorBoard's default: visibly smoother than raw per-step loss, still follows a short run's shape. */
export const DEFAULT_SMOOTHING = 0.6;

type Y = number | null;

export interface TrainSeries { step: number[]; epoch: number[]; loss: Y[]; smoothed: Y[]; lr: number[]; tokensPerS: Y[] }
export interface ValSeries { step: number[]; loss: Y[]; ppl: Y[] }
/** The voice score after each evaluation (`train.voice`): score and attributed are shares, 0..1. */
export interface VoiceSeries { step: number[]; score: number[]; attributed: number[]; delta: Y[]; samples: number[] }

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
  /** The checkpoint the writer made the voice afterwards (`choose`), if any. */
  writerStep: number | null;
  cancelled: TrainCancelled | null;
  error: EngineErrorEvent | null;
  checkpoints: { step: number; path: string }[];
  /** Steps at which a resumed segment picked up (the curve restarts there). */
  resumedAt: number[];
  totalSteps: number | null;
  etaS: number | null;
  smoothing: number;
  ema: EmaState;
}

export function emptyModel(smoothing = DEFAULT_SMOOTHING): RunModel {
  return {
    state: 'new',
    train: { step: [], epoch: [], loss: [], smoothed: [], lr: [], tokensPerS: [] },
    val: { step: [], loss: [], ppl: [] },
    voice: { step: [], score: [], attributed: [], delta: [], samples: [] },
    canaries: new Map(),
    writerStep: null,
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

function applyEvent(m: RunModel, e: EngineEvent): void {
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
      m.writerStep = null;
      m.etaS = null;
      return;
    case 'voice.chosen':
      m.writerStep = e.step;
      return;
    case 'train.cancelled':
      m.state = 'cancelled';
      m.cancelled = e;
      m.etaS = null;
      return;
    case 'error':
      // Same rule as runFolder.stateFromEvents: an error after train.done (say, in a late
      // canary write) does not undo a finished adapter.
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

// ---- Run header ---------------------------------------------------------------

export interface RunTimes {
  startedMs: number | null;
  lastEventMs: number | null;
}

export interface RunSummaryView {
  state: RunState;
  durationMs: number | null;
  lastStep: number | null;
  totalSteps: number | null;
  epoch: number | null;
  etaS: number | null;
  /** Lowest validation loss: the engine's once done, else the lowest evaluation so far. */
  bestStep: number | null;
  bestValLoss: number | null;
  /**
   * The checkpoint exported as the voice and what chose it: the engine's choice once done
   * (old runs: by loss, its best step); before that the best so far by the engine's rule
   * (the highest voice score when the run reports any, else the lowest validation loss).
   */
  chosenStep: number | null;
  chosenBy: ChosenBy;
  /** Best voice score (0..1), null when the run has none. */
  bestVoiceScore: number | null;
  baseModel: string | null;
  device: string | null;
  error: EngineErrorEvent | null;
}

export function summarize(m: RunModel, times: RunTimes, config: Record<string, unknown> | null, nowMs: number): RunSummaryView {
  const resolved = m.started?.config ?? config ?? {};
  const best = bestEval(m);
  const end = m.state === 'running' ? nowMs : times.lastEventMs;
  // The engine times a finished training itself; otherwise the events file's times are all there is.
  const measured = m.state === 'done' && typeof m.done?.seconds === 'number' ? m.done.seconds * 1000 : null;
  const bestStep = m.done?.best_step ?? best?.step ?? null;
  const voiceSoFar = bestVoice(m.voice.step.map((step, i) => ({ step, score: m.voice.score[i]! })));
  const trained = m.state === 'done' && m.done ? checkpointChoice(m.done) : null;
  const choice = trained && m.writerStep !== null ? writerChoice(trained, m.writerStep) : trained ?? (voiceSoFar
    ? { chosenStep: voiceSoFar.step, chosenBy: 'voice' as const, bestVoiceScore: voiceSoFar.score }
    : { chosenStep: bestStep, chosenBy: 'loss' as const, bestVoiceScore: null });
  return {
    state: m.state,
    durationMs: measured ?? (times.startedMs !== null && end !== null ? Math.max(0, end - times.startedMs) : null),
    lastStep: m.train.step.at(-1) ?? null,
    totalSteps: m.totalSteps,
    epoch: m.train.epoch.at(-1) ?? null,
    etaS: m.state === 'running' ? m.etaS : null,
    // The engine's own choice wins (it early-stops on val loss); else the lowest eval seen so far.
    bestStep,
    bestValLoss: m.done?.best_val_loss ?? best?.loss ?? null,
    chosenStep: choice.chosenStep,
    chosenBy: choice.chosenBy,
    bestVoiceScore: choice.bestVoiceScore ?? voiceSoFar?.score ?? null,
    baseModel: typeof resolved.base_model === 'string' ? resolved.base_model : null,
    device: m.device ? (m.device.gpu ? `${m.device.device} (${m.device.gpu})` : m.device.device) : null,
    error: m.state === 'failed' ? m.error : null,
  };
}

function bestEval(m: RunModel): { step: number; loss: number } | undefined {
  let best: { step: number; loss: number } | undefined;
  m.val.loss.forEach((loss, i) => {
    if (loss !== null && (!best || loss < best.loss)) best = { step: m.val.step[i]!, loss };
  });
  return best;
}

/** A share (0..1) as a whole percentage: 0.62 -> "62%". */
export function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

/**
 * The header's best-step line. Chosen by voice: "voice: step 40 (best voice score 62%;
 * lowest val loss at step 60)"; chosen by loss (the check off, or an older run): the
 * step and its validation loss, as before. Null before the first evaluation.
 */
export function bestStepText(sum: RunSummaryView): string | null {
  if (sum.chosenBy === 'writer' && sum.chosenStep !== null) {
    return `voice: step ${sum.chosenStep} (your pick)`;
  }
  if (sum.chosenBy === 'voice' && sum.chosenStep !== null) {
    const facts = [
      sum.bestVoiceScore !== null ? `best voice score ${percent(sum.bestVoiceScore)}` : null,
      sum.bestStep === null ? null : sum.bestStep === sum.chosenStep ? 'also the lowest val loss' : `lowest val loss at step ${sum.bestStep}`,
    ].filter((f) => f !== null);
    return `voice: step ${sum.chosenStep}${facts.length ? ` (${facts.join('; ')})` : ''}`;
  }
  const step = sum.chosenStep ?? sum.bestStep;
  if (step === null) return null;
  return `${step}${sum.bestValLoss !== null && step === sum.bestStep ? ` (validation loss ${formatNumber(sum.bestValLoss)})` : ''}`;
}
