// The dataset's records, as docs/contracts.md pins them for the Python trainer.

import type { ProseBlock } from '../corpus/parse';
import type { DraftOrigin } from '../corpus/drafts';

export type InstructionTier = 'T1' | 'T2' | 'T3' | 'T4';
export type Tier = InstructionTier | 'raw' | 'fim';
export const TIERS: readonly Tier[] = ['T1', 'T2', 'T3', 'T4', 'raw', 'fim'];

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** T1–T4: system (optional), user, then exactly one assistant message, last. */
export interface InstructionExample {
  id: string;
  doc: string;
  tier: InstructionTier;
  messages: ChatMessage[];
}

/** Plain continuation text. */
export interface RawExample {
  id: string;
  doc: string;
  tier: 'raw';
  text: string;
}

/**
 * Fill-in-the-middle (fim.ts): `prompt` is the text after a cut and the text before it in
 * fillInTheMiddlePrompt's format, `completion` the writer's missing middle. Trained like raw
 * text (no chat template in any framing): the completion and end-of-sequence, the prompt masked.
 */
export interface FimExample {
  id: string;
  doc: string;
  tier: 'fim';
  prompt: string;
  completion: string;
}

export type TrainingExample = InstructionExample | RawExample | FimExample;

/** A finished essay, cleaned, ready to be cut into pairs. */
export interface EssayDocument {
  /** Document id: the path relative to the folder, `/`-separated. */
  doc: string;
  title?: string;
  subtitle?: string;
  thesis?: string;
  date?: string;
  /** The author its front matter names (`author:`, or the first of `authors:`): the corpus health check compares them. */
  author?: string;
  tags: string[];
  blocks: ProseBlock[];
  /** Words per block (parallel to `blocks`). */
  blockWords: number[];
  words: number;
  drafts: DraftProse[];
}

export interface DraftProse {
  origin: DraftOrigin;
  label: string;
  blocks: ProseBlock[];
  blockWords: number[];
  words: number;
}

/** Blocks a pair's text comes from: what near-duplicate detection compares. */
export interface BlockSpan {
  /** -1: the essay; n ≥ 0: its draft n. */
  source: number;
  start: number;
  end: number;
}

export interface BuiltPair {
  example: TrainingExample;
  spans: BlockSpan[];
}
