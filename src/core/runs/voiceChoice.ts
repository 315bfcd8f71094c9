// Which checkpoint became the voice (issue #19, "the loss lied"): the engine scores the
// voice at every evaluation (`train.voice`) and exports the best-scoring checkpoint when its
// lead over the lowest-loss one is larger than the check's noise (else the lowest-loss one);
// `train.done` says which (`chosen_step`, `chosen_by`, `best_voice_score`). Runs from
// before the voice check, or with it off, chose by validation loss: an old train.done
// without the fields reads as chosen_by "loss", chosen_step = best_step. Read leniently:
// a terminal event is never dropped for an odd optional field.

export type ChosenBy = 'voice' | 'loss' | 'writer';

export interface CheckpointChoice {
  /** The step whose weights were exported (null: the last weights, no evaluation chose). */
  chosenStep: number | null;
  chosenBy: ChosenBy;
  /** Best voice score (0..1), null when the check was off. */
  bestVoiceScore: number | null;
}

const isStep = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isShare = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1;

/** The choice a train.done event reports, old runs included. */
export function checkpointChoice(done: Record<string, unknown>): CheckpointChoice {
  const bestStep = isStep(done.best_step) ? done.best_step : null;
  const bestVoiceScore = isShare(done.best_voice_score) ? done.best_voice_score : null;
  if (done.chosen_by === 'voice' && isStep(done.chosen_step)) {
    return { chosenStep: done.chosen_step, chosenBy: 'voice', bestVoiceScore };
  }
  const chosenStep = isStep(done.chosen_step) || done.chosen_step === null ? done.chosen_step : bestStep;
  return { chosenStep, chosenBy: 'loss', bestVoiceScore };
}

/** After `choose` (a `voice.chosen` event): the writer's pick replaces training's choice. */
export function writerChoice(choice: CheckpointChoice | undefined, step: number): CheckpointChoice {
  return { chosenStep: step, chosenBy: 'writer', bestVoiceScore: choice?.bestVoiceScore ?? null };
}

export interface VoicePoint { step: number; score: number; stderr?: number }

/** The highest score, the earliest step on a tie (train.py keeps a new best only when it is strictly higher). */
export function bestVoice(points: Iterable<VoicePoint>): VoicePoint | null {
  let best: VoicePoint | null = null;
  for (const p of points) if (!best || p.score > best.score) best = p;
  return best;
}

/**
 * The engine's choice (train.py, chosen_checkpoint), also while a run is still training: the
 * best voice score when it is the lowest-loss step's, or beats that step's score by more than
 * the two scores' combined standard error (a check scores a few short continuations, so a lead
 * within that is luck); otherwise the lowest validation loss.
 */
export function voiceChoiceSoFar(points: readonly VoicePoint[], lossBestStep: number | null): CheckpointChoice {
  const best = bestVoice(points);
  if (!best) return { chosenStep: lossBestStep, chosenBy: 'loss', bestVoiceScore: null };
  const atLoss = points.find((p) => p.step === lossBestStep);
  const margin = atLoss ? Math.hypot(best.stderr ?? 0, atLoss.stderr ?? 0) : 0;
  if (!atLoss || atLoss.step === best.step || best.score - atLoss.score > margin) {
    return { chosenStep: best.step, chosenBy: 'voice', bestVoiceScore: best.score };
  }
  return { chosenStep: atLoss.step, chosenBy: 'loss', bestVoiceScore: best.score };
}

/** A kept checkpoint's folder under checkpoints/ (`step-000040`, the engine's checkpoint_name). */
const CHECKPOINT_FOLDER = /^step-(\d{6,12})$/;

/** The step a checkpoint folder holds; null for anything else in checkpoints/. */
export function checkpointStep(name: string): number | null {
  const m = CHECKPOINT_FOLDER.exec(name);
  return m ? Number(m[1]) : null;
}
