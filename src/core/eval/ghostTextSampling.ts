// How the engine's `eval` draws its samples: as this writer's ghost text is drawn, so the
// scores describe the suggestions they are shown (voice_metrics/command.py's flags; its
// defaults are package.json's, which test_editor_sampling.py checks).

/** The ghost-text settings that shape a draw (voiceDraft.inline.*). */
export interface GhostTextSampling {
  temperature: number;
  topK: number;
  repetitionPenalty: number;
  repetitionWindow: number;
}

/** The engine's eval flags for `s`, each within the range the engine takes. */
export function evalSamplingArgs(s: GhostTextSampling): string[] {
  return [
    '--temperature', String(Math.max(0, s.temperature)),
    '--top-k', String(Math.max(0, Math.floor(s.topK))),
    '--repetition-penalty', String(Math.max(1, s.repetitionPenalty)),
    '--repetition-window', String(Math.max(0, Math.floor(s.repetitionWindow))),
  ];
}
