// How sure the model was of a suggestion, from the probabilities it gave its own tokens
// (the decode loop's log-probabilities): ghost text stays quiet below a threshold
// (voiceDraft.inline.minConfidence), the way an editor's assistant learns when not to
// interrupt. The first token's probability tells a suggestion that starts with the writer's
// own next word from one that does not better than the first four tokens' or all tokens'
// geometric mean (ROC AUC 0.86 / 0.77 / 0.66 for the tuned MacDowell voice;
// bench/would_i_write_this.ts measures all three and each threshold's silence).

/** The probability (0..1) the model gave the suggestion's first token; undefined for an empty suggestion. */
export function suggestionConfidence(logprobs: readonly number[]): number | undefined {
  return logprobs.length === 0 ? undefined : Math.exp(logprobs[0]!);
}

/** The geometric mean probability of the first `n` tokens (the bench compares it). */
export function meanProbability(logprobs: readonly number[], n = logprobs.length): number | undefined {
  const head = logprobs.slice(0, n);
  return head.length === 0 ? undefined : Math.exp(head.reduce((a, b) => a + b, 0) / head.length);
}
