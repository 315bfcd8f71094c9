// The kept checkpoints as the writer chooses among them: each with the voice score and
// validation loss measured at its step, which one is the voice now, and which could be
// made the voice instead (issue #19: "the exported voice is the best-scoring checkpoint
// unless the writer picks another"). No DOM: the Node tests check it directly.
import { checkpointStep } from '../core/runs/voiceChoice';
import type { RunModel } from '../core/runs/runModel';
import type { RunSummaryView } from './viewModel';

export interface CheckpointRow {
  step: number;
  /** Voice score (0..1) of the evaluation at this step; null when none ran there. */
  voiceScore: number | null;
  valLoss: number | null;
  /** This checkpoint's weights are the run's voice now. */
  isVoice: boolean;
}

/** Kept checkpoints (folder names under checkpoints/), oldest first. */
export function checkpointRows(model: RunModel, kept: readonly string[], summary: Pick<RunSummaryView, 'chosenStep'>): CheckpointRow[] {
  const steps = [...new Set(kept.map(checkpointStep).filter((s): s is number => s !== null))].sort((a, b) => a - b);
  return steps.map((step) => {
    const v = model.voice.step.lastIndexOf(step);
    const l = model.val.step.lastIndexOf(step);
    return {
      step,
      voiceScore: v >= 0 ? model.voice.score[v] ?? null : null,
      valLoss: l >= 0 ? model.val.loss[l] ?? null : null,
      isVoice: summary.chosenStep === step,
    };
  });
}
