// How sure the model was of a suggestion, from the probabilities it gave its own tokens
// (the decode loop's log-probabilities): ghost text stays quiet below a threshold
// (voiceDraft.inline.minConfidence), the way an editor's assistant learns when not to
// interrupt. bench/would_i_write_this.ts measures how often a suggestion's first word is
// the writer's against this number, and how often each threshold stays silent.

/** Tokens at the start of a suggestion that decide it: the first word or two. */
export const CONFIDENCE_TOKENS = 4;

/**
 * The geometric mean probability (0..1) of a suggestion's first CONFIDENCE_TOKENS tokens;
 * undefined for an empty suggestion.
 */
export function suggestionConfidence(logprobs: readonly number[]): number | undefined {
  const head = logprobs.slice(0, CONFIDENCE_TOKENS);
  if (head.length === 0) return undefined;
  return Math.exp(head.reduce((a, b) => a + b, 0) / head.length);
}
