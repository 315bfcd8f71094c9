// RewriteService with a scripted model: the chat model's preamble and commentary never reach
// the writer (not in the result, not in the live preview), generation is interrupted at the
// stop rules, a paragraph with nothing usable keeps its draft, and each paragraph is scored.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SYSTEM_PROMPT } from '../../../src/core/dataset/prompts';
import type { GenerateRequest } from '../../../src/inference/workerHost';
import { RewriteService, type RewriteModel, type RewriteProgress } from '../../../src/inference/rewriteService';
import { abortError, isAbortError } from '../../../src/inference/workerHost';

/** Answers each request with the next scripted output, a few characters per "token", honouring interrupts between tokens. */
class ScriptedModel implements RewriteModel {
  requests: GenerateRequest[] = [];
  /** Characters streamed per request before it ended. */
  streamed: number[] = [];
  interrupted: boolean[] = [];
  constructor(private readonly outputs: string[], private readonly step = 5) {}

  async generate(req: GenerateRequest, opts: { signal?: AbortSignal; onText?: (t: string) => void } = {}) {
    this.requests.push(req);
    const out = this.outputs[this.requests.length - 1] ?? '';
    const n = this.requests.length - 1;
    this.interrupted[n] = false;
    for (let at = this.step; ; at += this.step) {
      await new Promise((r) => setImmediate(r));
      if (opts.signal?.aborted) {
        this.interrupted[n] = true;
        throw abortError();
      }
      const text = out.slice(0, Math.min(at, out.length));
      this.streamed[n] = text.length;
      opts.onText?.(text);
      if (at >= out.length) break;
    }
    const reason = out.length >= req.sampling.maxNewTokens * 4 ? 'max-tokens' as const : 'eos' as const;
    return { text: out.trim(), reason, stats: { promptTokens: 10, reusedTokens: 0, newTokens: out.length, ms: 1 } };
  }
}

const settings = () => ({ temperature: 0, topK: 0, repetitionPenalty: 1, maxTokens: 600 });
const DRAFT1 = 'money is something people think they need more of but really its a luxury and in 1911 people had less and were not less happy.';
const REWRITE1 = 'Money is something we think we need more of, though it is a luxury. In 1911 people had less, and they were not less happy.';
const DRAFT2 = 'my grandmother rosa never learned to drive, she walked to Brighton once which is 12 miles.';

test('the demo\'s answer becomes the passage alone; the cut parts and the content score are reported', async () => {
  const demo = "I'm glad you're happy with your essay! I'll just make sure to keep it polished and professional. Here's the edited version:\n\n"
    + `${REWRITE1}\n\nIn this revised paragraph, I've made several changes to enhance the flow. I changed "its" to "it's" and added commas.`
    + ' Let me know if you would like anything else changed. '.repeat(10);
  const model = new ScriptedModel([demo]);
  const seen: RewriteProgress[] = [];
  const result = await new RewriteService(model, settings).rewrite(DRAFT1, { onProgress: (p) => seen.push(p) });
  assert.equal(result.text, REWRITE1);
  assert.equal(result.unchanged, 0);
  const [report] = result.reports;
  assert.ok(report);
  assert.equal(report.stoppedBy, 'commentary');
  assert.ok(model.interrupted[0], 'the service interrupted the request at the commentary');
  assert.ok(model.streamed[0]! < demo.indexOf('In this revised') + 80, `streamed ${model.streamed[0]} of ${demo.length}`);
  assert.deepEqual(report.removed.map((r) => r.kind), ['preamble', 'commentary']);
  assert.equal(report.output.slice(0, 10), "I'm glad y");
  assert.ok(report.content && report.content.flags.length === 0, JSON.stringify(report.content?.flags));
  assert.ok(seen.every((p) => !/glad|edited version|In this revised/.test(p.text)), 'the live preview never showed the chatbot\'s words');
  // Nothing is appended after the chat template's generation prompt: the request ends with the user's turn, as training asked.
  const prompt = model.requests[0]!.prompt;
  assert.equal(prompt.kind, 'chat');
  assert.deepEqual(prompt.kind === 'chat' && prompt.messages.map((m) => m.role), ['system', 'user']);
  assert.equal(prompt.kind === 'chat' && prompt.messages[0]!.content, SYSTEM_PROMPT);
});

test('a paragraph with only commentary keeps its draft and says what the model wrote; the next is rewritten and flagged', async () => {
  const chatty = "I'd be happy to help you refine your essay. Please go ahead and share the edited version with me.";
  const lossy = 'Sure!\n\nMy grandmother walked everywhere and never drove.';
  const model = new ScriptedModel([chatty, lossy]);
  const selection = `${DRAFT1}\n\n${DRAFT2}\n`;
  const result = await new RewriteService(model, settings).rewrite(selection);
  assert.equal(result.paragraphs, 2);
  assert.equal(result.unchanged, 1);
  assert.equal(result.text, `${DRAFT1}\n\nMy grandmother walked everywhere and never drove.\n`);
  const [kept, flagged] = result.reports;
  assert.ok(kept && flagged);
  assert.equal(kept.keptDraft, true);
  assert.equal(kept.content, undefined);
  assert.deepEqual(kept.removed, [{ kind: 'preamble', text: chatty }]);
  assert.equal(flagged.keptDraft, false);
  assert.deepEqual(flagged.removed, [{ kind: 'preamble', text: 'Sure!' }]);
  assert.ok(flagged.content!.flags.includes('drops the number 12'), flagged.content!.flags.join('; '));
  assert.ok(flagged.content!.flags.includes('drops the name Brighton'), flagged.content!.flags.join('; '));
  // Offsets: each report points at its paragraph in the result and its draft in the selection.
  for (const r of result.reports) {
    assert.equal(selection.slice(r.draftStart, r.draftEnd), r.index === 0 ? DRAFT1 : DRAFT2);
  }
  assert.equal(result.text.slice(kept.start, kept.end), DRAFT1);
  assert.equal(result.text.slice(flagged.start, flagged.end), 'My grandmother walked everywhere and never drove.');
});

test('a rewrite cut by the token limit ends at its last full sentence; code between paragraphs is kept', async () => {
  const model = new ScriptedModel([`${REWRITE1} And yet we keep buy`]);
  const result = await new RewriteService(model, () => ({ ...settings(), maxTokens: 10 })).rewrite(`${DRAFT1}\n\n\`\`\`\ncode();\n\`\`\``);
  assert.equal(result.text, `${REWRITE1}\n\n\`\`\`\ncode();\n\`\`\``);
  assert.equal(result.reports[0]!.stoppedBy, 'max-tokens');
  assert.deepEqual(result.reports[0]!.removed, [{ kind: 'unfinished', text: 'And yet we keep buy' }]);
});

test('the writer\'s cancel still cancels (it is not taken for a stop rule)', async () => {
  const model = new ScriptedModel([`${REWRITE1} `.repeat(1)], 1);
  const controller = new AbortController();
  const run = new RewriteService(model, settings).rewrite(DRAFT1, {
    signal: controller.signal,
    onProgress: (p) => { if (p.text.length > 20) controller.abort(); },
  });
  await assert.rejects(run, (e) => isAbortError(e));
});

test('a sampling model that answered only with chat is asked once more; the second answer is used', async () => {
  const chatty = "I'd be happy to help you refine your essay. Please share the edited version with me.";
  const model = new ScriptedModel([chatty, `Here's the revised paragraph:\n\n${REWRITE1}`]);
  const result = await new RewriteService(model, () => ({ ...settings(), temperature: 0.5 })).rewrite(DRAFT1);
  assert.equal(model.requests.length, 2);
  assert.equal(result.text, REWRITE1);
  assert.equal(result.unchanged, 0);
  assert.equal(result.reports[0]!.attempts, 2);

  const stubborn = new ScriptedModel([chatty, chatty]);
  const kept = await new RewriteService(stubborn, () => ({ ...settings(), temperature: 0.5 })).rewrite(DRAFT1);
  assert.deepEqual([stubborn.requests.length, kept.text, kept.unchanged, kept.reports[0]!.keptDraft], [2, DRAFT1, 1, true]);
});
