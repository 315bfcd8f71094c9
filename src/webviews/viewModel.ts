// What the dashboard's header says about a run, from the run's model (core/runs/runModel.ts,
// the one reducer of engine events): status, duration, the step, the best checkpoint and
// what chose it. No DOM and no I/O, so the webview app and the Node unit tests run the same code.
import { type RunModel, type RunState } from '../core/runs/runModel';
import { bestVoice, type ChosenBy, voiceChoiceSoFar } from '../core/runs/voiceChoice';
import { formatNumber } from './reports';
import type { EngineErrorEvent } from '../core/runs/protocol';

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
  const points = m.voice.step.map((step, i) => ({ step, score: m.voice.score[i]!, stderr: m.voice.stderr[i] ?? 0 }));
  const choice = (m.state === 'done' ? m.choice : null) ?? voiceChoiceSoFar(points, bestStep);
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
    bestVoiceScore: choice.bestVoiceScore ?? bestVoice(points)?.score ?? null,
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
  const facts = [
    sum.bestValLoss !== null && step === sum.bestStep ? `validation loss ${formatNumber(sum.bestValLoss)}` : null,
    // The voice check ran, but no score led the lowest-loss step's by more than its noise.
    sum.bestVoiceScore !== null ? `no voice score led it by more than the check's noise; best ${percent(sum.bestVoiceScore)}` : null,
  ].filter((f) => f !== null);
  return `${step}${facts.length ? ` (${facts.join('; ')})` : ''}`;
}
