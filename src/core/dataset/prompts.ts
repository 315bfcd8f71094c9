// Instruction wording for each tier. It varies a little (so the model learns the task,
// not one sentence) and lives only in system/user messages, never in what the model
// learns to write. Exported so writing-time prompts can ask the same way.

import type { InstructionTier } from './types';
import { fnv1a } from '../corpus/text';

export const SYSTEM_PROMPT = "You are a writing partner. You write in the author's own voice.";

export interface PromptSlots {
  title?: string;
  subtitle?: string;
  thesis?: string;
  tags?: string[];
  /** The draft (T1) or the opening (T3). */
  text?: string;
}

type Template = (slots: PromptSlots) => string;

const quoted = (title?: string) => (title ? ` "${title}"` : '');
const subtitleLine = (s: PromptSlots) => (s.subtitle ? `\nSubtitle: ${s.subtitle}` : '');
const thesisLine = (s: PromptSlots) => (s.thesis ? `\nThesis: ${s.thesis}` : '');
const topicsLine = (s: PromptSlots) => (s.tags && s.tags.length > 0 ? `\nTopics: ${s.tags.join(', ')}` : '');

export const TEMPLATES: Readonly<Record<InstructionTier, readonly Template[]>> = {
  T1: [
    (s) => `Here is a rough draft of my essay${quoted(s.title)}. Edit it into the finished piece, in my voice.\n\n${s.text ?? ''}`,
    (s) => `Revise this draft${quoted(s.title)} into the finished essay. Keep my voice; cut what does not earn its place.\n\n${s.text ?? ''}`,
    (s) => `Turn my rough draft${quoted(s.title)} into the final version.\n\n${s.text ?? ''}`,
  ],
  T2: [
    (s) => `Write an essay titled "${s.title ?? ''}".${subtitleLine(s)}${thesisLine(s)}${topicsLine(s)}`,
    (s) => `Title: ${s.title ?? ''}${subtitleLine(s)}${thesisLine(s)}${topicsLine(s)}\n\nWrite the essay.`,
    (s) => `Write the essay${quoted(s.title)}${s.subtitle ? ` (${s.subtitle})` : ''}, in my voice.${thesisLine(s)}${topicsLine(s)}`,
  ],
  T3: [
    (s) => `Continue my essay${quoted(s.title)} from where it stops.\n\n${s.text ?? ''}`,
    (s) => `Here is how my essay${quoted(s.title)} goes so far. Write what comes next.\n\n${s.text ?? ''}`,
    (s) => `Keep writing${quoted(s.title)}:\n\n${s.text ?? ''}`,
  ],
  T4: [
    (s) => `Write a short note on ${s.title ?? ''}.`,
    (s) => `A brief piece about ${s.title ?? ''}, please.`,
    (s) => `Jot down a short note: ${s.title ?? ''}.`,
  ],
};

/** The fixed wording of the tier's templates, lower-cased: what must never turn up in an assistant message. */
export function templateWording(tier: InstructionTier): string[] {
  return TEMPLATES[tier].flatMap(fixedParts);
}

/**
 * The user message for one pair: a template picked by a hash of the pair's id (stable
 * across runs), skipping any whose fixed wording the answer happens to contain.
 */
export function instructionFor(tier: InstructionTier, id: string, slots: PromptSlots, answer: string): string {
  const templates = TEMPLATES[tier];
  const start = fnv1a(id) % templates.length;
  for (let k = 0; k < templates.length; k++) {
    const template = templates[(start + k) % templates.length];
    if (template && !leakPattern(template).test(answer)) return template(slots);
  }
  return (templates[start] ?? templates[0] ?? (() => ''))(slots);
}

const leakPatterns = new Map<Template, RegExp>();

/** One case-insensitive search for all of a template's fixed wording. */
function leakPattern(template: Template): RegExp {
  let pattern = leakPatterns.get(template);
  if (!pattern) {
    const parts = fixedParts(template).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    pattern = parts.length > 0 ? new RegExp(parts.join('|'), 'i') : /(?!)/;
    leakPatterns.set(template, pattern);
  }
  return pattern;
}

/** A template's own words between the slots (12+ characters: shorter bits such as "Title:" are ordinary prose). */
function fixedParts(template: Template): string[] {
  const slot = '\u0000';
  return template({ title: slot, subtitle: slot, thesis: slot, tags: [slot], text: slot })
    .split(slot)
    .map((part) => part.replace(/^[\s"().:,—-]+|[\s"().:,—-]+$/g, '').toLowerCase())
    .filter((part) => part.length >= 12);
}

/** The rewrite request's wording, for the engine: `{title}` and `{draft}` mark the slots. */
export interface RewriteTemplates {
  system: string;
  /** Each T1 template, as it reads with a title and without one. */
  T1: Array<{ titled: string; untitled: string }>;
}

/**
 * The T1 templates as text with slots, written into manifest.json so the engine asks for a
 * rewrite in exactly these words when it makes synthetic drafts (training) and scores the
 * voice's rewrites (`eval`): the wording lives here only. The first is the editor's own.
 */
export function rewriteTemplates(): RewriteTemplates {
  return {
    system: SYSTEM_PROMPT,
    T1: TEMPLATES.T1.map((t) => ({ titled: t({ title: '{title}', text: '{draft}' }), untitled: t({ text: '{draft}' }) })),
  };
}
