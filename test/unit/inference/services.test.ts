// The editor-free services on the real worker and model: ghost-text completion (cache,
// type-through, cancellation) and rewrite (T1 prompt, paragraph progress, cancel).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SYSTEM_PROMPT, TEMPLATES } from '../../../src/core/dataset/prompts';
import { CompletionService, type CompletionSettings } from '../../../src/inference/completionService';
import { buildRewritePrompt } from '../../../src/inference/prompt';
import { RewriteService, type RewriteProgress } from '../../../src/inference/rewriteService';
import { isAbortError } from '../../../src/inference/workerHost';
import { fixedVoice } from '../../../src/inference/activeVoice';
import { explicitModel } from '../../../src/inference/modelLocator';
import { VoiceModel } from '../../../src/inference/voiceModel';
import { defaultModelOnWorker, onnxModelDir } from './realModel';

const real = defaultModelOnWorker();
const settings: CompletionSettings = { contextTokens: 1500, maxTokens: 8, stopAt: 'paragraph', temperature: 0, topK: 0, repetitionPenalty: 1, repetitionWindow: 0 };

const text = 'The harbour was quiet that morning. Two boats rocked at the pier, and a gull stood on';

test('a suggestion, then the same place answered from the cache, then typed-through', { timeout: 600_000 }, async () => {
  const service = new CompletionService(real.model, () => settings);
  const first = await service.complete({ before: text, after: '' });
  assert.equal(first.fromCache, false);
  assert.ok(first.text.length > 1, JSON.stringify(first.text));
  assert.equal(first.stats?.newTokens, 8);

  const again = await service.complete({ before: text, after: '' });
  assert.deepEqual([again.fromCache, again.text], [true, first.text]);

  const typed = first.text.slice(0, 2);
  const through = await service.complete({ before: text + typed, after: '' });
  assert.deepEqual([through.fromCache, through.text], [true, first.text.slice(2)]);
});

test('a keystroke finds the voice\'s export once: its cache key, prompt and loaded model agree', { timeout: 600_000 }, async () => {
  let looked = 0;
  const located = explicitModel(onnxModelDir(), 'q8');
  const model = new VoiceModel({ host: real.host, voice: fixedVoice(undefined), device: () => 'cpu', threads: () => 2, locate: () => { looked += 1; return located; } });
  const service = new CompletionService(model, () => settings);
  await service.complete({ before: `${text} a`, after: '' });
  assert.equal(looked, 1);
  await service.warm({ before: `${text} a post`, after: '' });
  assert.equal(looked, 2);
  await service.continueParagraph({ before: `${text} a post`, after: '' }, 4);
  assert.equal(looked, 3);
  model.dispose();
});

test('a new keystroke cancels the request in flight', { timeout: 600_000 }, async () => {
  // The older request is long, the newer one short: settings are read when a request starts.
  let current: CompletionSettings = { ...settings, maxTokens: 200, stopAt: 'none' };
  const service = new CompletionService(real.model, () => current);
  const older = service.complete({ before: `${text} the`, after: '' });
  current = { ...settings, maxTokens: 4, stopAt: 'none' };
  const newer = service.complete({ before: `${text} the rail`, after: '' });
  await assert.rejects(older, (e) => isAbortError(e));
  const r = await newer;
  assert.equal(r.fromCache, false);
  assert.ok(r.stats!.reusedTokens > 0, 'the newer request reused the cache the interrupted one left');

  const controller = new AbortController();
  const cancelled = service.complete({ before: `${text} the railing`, after: '' }, controller.signal);
  controller.abort();
  await assert.rejects(cancelled, (e) => isAbortError(e));
});

test('the rewrite prompt is the dataset builder\'s tier-T1 wording', () => {
  const messages = buildRewritePrompt('my rough draft', 'On Harbours');
  assert.deepEqual(messages, [
    { role: 'system', content: SYSTEM_PROMPT },
    { role: 'user', content: TEMPLATES.T1[0]!({ title: 'On Harbours', text: 'my rough draft' }) },
  ]);
  assert.ok(messages[1]!.content.endsWith('\n\nmy rough draft'));
});

test('a rewrite goes paragraph by paragraph with progress, returns the passage alone, and stops when cancelled', { timeout: 600_000 }, async () => {
  // Room for the base model's "Here's a revised version …:" and a sentence after it.
  const rewrites = new RewriteService(real.model, () => ({ temperature: 0, topK: 0, repetitionPenalty: 1, maxTokens: 60 }));
  const draft = 'the boats was rocking at the pier alot.\n\n```\nkeep();\n```\n\nA gull stood on the railing, looking at nothing.';
  const seen: RewriteProgress[] = [];
  const result = await rewrites.rewrite(draft, { onProgress: (p) => seen.push(p) });
  assert.equal(result.paragraphs, 2);
  assert.deepEqual([...new Set(seen.map((p) => p.done))], [0, 1, 2]);
  assert.ok(seen.every((p) => p.total === 2));
  assert.ok(result.text.includes('\n\n```\nkeep();\n```\n\n'), 'the code block is kept, with its blank lines around it');
  // The base model answers like a chat assistant; none of that reaches the text, live or final.
  const chat = /\b(?:here(?:'s| is)|revised|edited|rewritten|I(?:'d| would) be happy|I made|I've|let me know|I hope)\b/i;
  for (const p of [...seen, result]) assert.doesNotMatch(p.text, chat);
  assert.equal(result.reports.length, 2);
  for (const r of result.reports) {
    assert.ok(r.keptDraft ? r.content === undefined : r.content !== undefined, JSON.stringify(r));
    assert.equal(result.text.slice(r.start, r.end), r.keptDraft ? draft.slice(r.draftStart, r.draftEnd) : result.text.slice(r.start, r.end));
  }
  assert.ok(result.reports.some((r) => !r.keptDraft), `nothing usable from the default model: ${JSON.stringify(result.reports.map((r) => r.output))}`);
  assert.notEqual(result.text, draft);

  const controller = new AbortController();
  const cancelled = rewrites.rewrite(draft, { signal: controller.signal, onProgress: (p) => { if (p.done === 1) controller.abort(); } });
  await assert.rejects(cancelled, (e) => isAbortError(e));
});
