// The inference layer's view of the active voice. The extension implements it with the
// run folder kept in global state (src/features/activeVoice.ts, key
// `voiceDraft.activeVoice`, docs/contracts.md); the CLI and tests with a plain value.

export interface ActiveVoiceSource {
  /** The active run folder, or undefined for the offline default model. */
  current(): string | undefined;
  onDidChange(listener: (runDir: string | undefined) => unknown): { dispose(): unknown };
}

/** A fixed voice (CLI, tests, benchmarks). */
export function fixedVoice(runDir: string | undefined): ActiveVoiceSource {
  return { current: () => runDir, onDidChange: () => ({ dispose: () => undefined }) };
}
