// The rewrite returns only the rewritten passage: the preamble, commentary, labels, fences
// and quotes that chat models put around it come off, and the writer's prose never does.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cleanRewrite, describeRemoved, partialRewrite, readRewrite, rewriteStop } from '../../../src/inference/rewriteCleanup';

const MONEY_DRAFT = 'money is something people think they need more of but really its a luxury, and most of what we buy we never use.';
const MONEY = 'Money is often viewed as a luxury that people can\'t live without. However, this notion does not hold up: most of what we buy we never use.';

function clean(output: string, draft = MONEY_DRAFT, truncated = false) {
  return cleanRewrite(output, draft, { truncated });
}

function assertPassage(output: string, expected: string, kinds: string[], draft = MONEY_DRAFT, truncated = false) {
  const r = clean(output, draft, truncated);
  assert.ok(r, `nothing usable in ${JSON.stringify(output)}`);
  assert.equal(r.text, expected);
  assert.deepEqual(r.removed.map((x) => x.kind), kinds, JSON.stringify(r.removed));
}

test('the demo\'s answer: a chatbot\'s preamble and a cut-off commentary around the passage', () => {
  const output = "I'm glad you're happy with your essay! I'll just make sure to keep it polished and professional. Here's the edited version:\n\n"
    + `${MONEY}\n\nIn this revised paragraph, I've made several changes to enhance`;
  const r = clean(output, MONEY_DRAFT, true);
  assert.ok(r);
  assert.equal(r.text, MONEY);
  assert.deepEqual(r.removed, [
    { kind: 'preamble', text: "I'm glad you're happy with your essay! I'll just make sure to keep it polished and professional. Here's the edited version:" },
    { kind: 'commentary', text: "In this revised paragraph, I've made several changes to enhance" },
  ]);
});

test('openers: "Sure! Here\'s a revised version of your paragraph:", "Certainly!", "Of course!", "Absolutely, here it is:"', () => {
  assertPassage(`Sure! Here's a revised version of your paragraph:\n\n${MONEY}`, MONEY, ['preamble']);
  assertPassage(`Certainly! ${MONEY}`, MONEY, ['preamble']);
  assertPassage(`Certainly!\n\n${MONEY}`, MONEY, ['preamble']);
  assertPassage(`Of course! Here is the rewritten paragraph, in your voice:\n${MONEY}`, MONEY, ['preamble']);
  assertPassage(`Absolutely, here it is:\n\n${MONEY}`, MONEY, ['preamble']);
  assertPassage(`Here's the edited version of your essay: ${MONEY}`, MONEY, ['preamble']);
  assertPassage(`To improve the clarity and grammar of this passage, I will make several adjustments:\n\n${MONEY}`, MONEY, ['preamble']);
  assertPassage(`I'd be happy to help you polish this draft. ${MONEY}`, MONEY, ['preamble']);
});

test('labels and headings: "**Revised:**", "# Revised", "Rewritten:", "Revised version (in your voice):", "### Response:"', () => {
  assertPassage(`**Revised:**\n${MONEY}`, MONEY, ['label']);
  assertPassage(`**Revised version:**\n\n${MONEY}`, MONEY, ['label']);
  assertPassage(`# Revised\n\n${MONEY}`, MONEY, ['label']);
  assertPassage(`## Money\n\n${MONEY}`, MONEY, ['label']);
  assertPassage(`Rewritten: ${MONEY}`, MONEY, ['preamble']);
  assertPassage(`Revised version (in your voice):\n${MONEY}`, MONEY, ['label']);
  assertPassage(`### Response:\n${MONEY}`, MONEY, ['label']);
  assertPassage(`Sure!\n\n**Final version:**\n\n${MONEY}`, MONEY, ['preamble', 'label']);
});

test('code fences around the passage, with talk before and after them', () => {
  assertPassage(`\`\`\`\n${MONEY}\n\`\`\``, MONEY, ['label', 'label']);
  assertPassage(`Here is the revised text:\n\n\`\`\`markdown\n${MONEY}\n\`\`\`\n\nLet me know if you'd like any changes.`, MONEY, ['preamble', 'label', 'label', 'commentary']);
  // Cut off by the token limit inside the fence: the passage is what came.
  assertPassage(`\`\`\`text\n${MONEY}`, MONEY, ['label']);
});

test('quotes or emphasis around the whole passage come off; quotations inside it stay', () => {
  assertPassage(`"${MONEY}"`, MONEY, ['wrapper']);
  assertPassage(`“${MONEY}”`, MONEY, ['wrapper']);
  assertPassage(`Here's the revised paragraph: "${MONEY}"`, MONEY, ['preamble', 'wrapper']);
  assertPassage(`*${MONEY}*`, MONEY, ['wrapper']);
  const quoting = 'My father called money "a loan from the future", and he never borrowed.';
  assertPassage(quoting, quoting, [], 'my father said money is "a loan from the future" and he never borrowed');
  // Dialogue is not a wrapper: it starts and ends with a quote but the quotes are the writer's.
  const dialogue = '"Money," she said, "is a loan from the future."';
  assertPassage(dialogue, dialogue, [], '"money" she said "is a loan from the future"');
  assertPassage(`"Money," she said, "is never enough."`, `"Money," she said, "is never enough."`, [], 'money she said is never enough');
});

test('trailing commentary and sign-offs: "I hope this helps!", "Let me know if…", "In this revision, I…", a list of changes', () => {
  assertPassage(`${MONEY} I hope this helps!`, MONEY, ['commentary']);
  assertPassage(`${MONEY}\n\nI hope this helps!`, MONEY, ['commentary']);
  assertPassage(`${MONEY}\n\nLet me know if you'd like any changes.`, MONEY, ['commentary']);
  assertPassage(`${MONEY}\n\nIn this revision, I tightened the second sentence and kept your voice.`, MONEY, ['commentary']);
  assertPassage(`${MONEY}\n\nI made a few changes to improve clarity and grammar:\n\n- Changed "its" to "it's"\n- Added a comma`, MONEY, ['commentary']);
  assertPassage(`${MONEY}\n\n---\n\nNote: I kept your original meaning.`, MONEY, ['label', 'commentary']);
  assertPassage(`${MONEY}\n\nKey changes:\n1. Capitalised the opening.`, MONEY, ['commentary']);
  assertPassage(`${MONEY}\n\nThis revised version keeps your meaning but reads more smoothly.`, MONEY, ['commentary']);
  assertPassage(`${MONEY}\n\nFeel free to adjust it further!`, MONEY, ['commentary']);
});

test('a second version after the first is commentary, and so is an "Original:" section\'s tail', () => {
  assertPassage(`${MONEY}\n\nHere's another version:\n\nMoney is a luxury.`, MONEY, ['commentary']);
  assertPassage(`Original passage:\n\n${MONEY}\n\nI changed "her" to "her" to correct the grammatical error.\n\nRevised passage:\n\nMoney`, MONEY,
    ['label', 'commentary']);
});

test('chat turns the model starts itself end the passage', () => {
  assertPassage(`${MONEY}<|im_end|>\n<|im_start|>user\nThanks!`, MONEY, ['turn']);
  assertPassage(`${MONEY}\nuser\nThanks, that is great.`, MONEY, ['turn']);
  assertPassage(`${MONEY}\n\nUser: Can you make it shorter?`, MONEY, ['turn']);
});

test('a model that answers only with commentary gives nothing usable, and says what it wrote', () => {
  const chatty = "I'd be happy to help you refine your essay. Please go ahead and share the edited version with me. I'll provide you with constructive feedback on grammar, style, clarity, and overall structure.";
  assert.equal(clean(chatty), undefined);
  assert.equal(clean(''), undefined);
  assert.equal(clean('Sure! Here is the revised version:'), undefined);
  assert.equal(clean('**Revised:**\n\n```\n```'), undefined);
  assert.equal(clean("Here's the edited version:\n\nMoney"), undefined, 'one word of a 20-word draft is a fragment');
  const r = readRewrite(chatty, MONEY_DRAFT);
  assert.equal(r.text, undefined);
  assert.deepEqual(r.removed.map((x) => x.kind), ['preamble']);
  assert.equal(r.removed[0]!.text, chatty);
  assert.match(describeRemoved(r.removed)[0]!, /^the model's preamble: “I'd be happy to help/);
});

test('the writer\'s prose survives: openings the draft shares, sentences the draft says, ordinary first person', () => {
  const ofCourse = 'Of course, the town changed after the mill closed. People left, and nobody talked about it much.';
  // Each passage is the writer's prose, kept whole; beside it, the draft it was written from.
  const kept: [passage: string, draft: string][] = [
    [ofCourse, 'Of course the town changed after the mill closed. people left and nobody talked about it'],
    ['Of course! The town changed after the mill closed, and nobody talked about it.', 'Of course! the town changed after the mill closed and nobody talked about it'],
    ['Here is my essay on money, which I wrote in a hurry and never finished.', 'here is my essay on money, i wrote it in a hurry and never finished it'],
    ['I made a few changes to the garden this year. The roses went, and the beans came in.', 'i made a few changes to the garden this year, the roses went and beans came in'],
    ['I have changed my mind about money. I hope it shows in what I buy.', 'i changed my mind about money, i hope it shows in what i buy'],
    ['Thanks to the mill, the town grew. The changes came slowly.', 'thanks to the mill the town grew, the changes came slow'],
    ['He had one rule: never borrow. Money, to him, was a promise.', 'he had one rule, never borrow. money was a promise to him'],
    ['- Rent is due on the first.\n- Food comes second.', '- rent due on the first\n- food second'],
  ];
  for (const [passage, draft] of kept) assertPassage(passage, passage, [], draft);
  // …but the same opening followed by an introduction is preamble.
  assertPassage(`Of course! Here's the revised version:\n\n${ofCourse}`, ofCourse, ['preamble'], 'Of course the town changed after the mill closed. people left and nobody talked about it');
});

test('a passage cut off by the token limit ends at its last full sentence', () => {
  assertPassage(`${MONEY} And yet we keep buy`, MONEY, ['unfinished'], MONEY_DRAFT, true);
  // Not truncated: a passage without a final stop is the writer's.
  assertPassage('Money is a luxury we keep buying', 'Money is a luxury we keep buying', [], 'money is a luxury we keep buying');
});

test('a model that repeats itself is cut at the repeat', () => {
  const s = 'She walked to Brighton once, which is twelve miles.';
  assertPassage(`${s} She never drove. ${s} She never drove.`, `${s} She never drove.`, ['repeat'], 'she walked to brighton once which is 12 miles, she never drove');
});

test('generation stops at commentary after the passage, at a new turn, a repeat, or twice the draft\'s length, and not during a preamble', () => {
  const intro = "Here's a revised version of your essay:\n\n";
  assert.equal(rewriteStop(intro, MONEY_DRAFT), undefined, 'a preamble alone: the passage is still to come');
  assert.equal(rewriteStop(`${intro}${MONEY}`, MONEY_DRAFT), undefined);
  assert.equal(rewriteStop(`${intro}${MONEY}\n\nI made`, MONEY_DRAFT), undefined, 'too few words to tell yet');
  const withNotes = `${intro}${MONEY}\n\nI made a few minor changes to enhance clarity.`;
  assert.deepEqual(rewriteStop(withNotes, MONEY_DRAFT), { at: withNotes.indexOf('I made'), rule: 'commentary' });
  const eightWords = `${intro}${MONEY}\n\nIn this revised paragraph, I've made several changes to`;
  assert.equal(rewriteStop(eightWords, MONEY_DRAFT)?.rule, 'commentary', 'eight words of an unfinished sentence are enough to tell');
  assert.equal(rewriteStop(`${MONEY}<|im_end|>`, MONEY_DRAFT)?.rule, 'turn');
  const long = `${MONEY} ${'And it goes on and on, and on again. '.repeat(3)}`;
  assert.equal(rewriteStop(long, MONEY_DRAFT)?.rule, 'repeat');
  const varied = `${MONEY} ${Array.from({ length: 12 }, (_, i) => `Sentence number ${i} adds something new.`).join(' ')} `;
  const stop = rewriteStop(varied, MONEY_DRAFT);
  assert.equal(stop?.rule, 'overlong');
  assert.ok(stop!.at <= MONEY_DRAFT.length + 121 && stop!.at > MONEY_DRAFT.length, `cut at ${stop!.at}`);
  const endless = "I'd be happy to help you refine your essay and improve its clarity. ".repeat(12);
  assert.equal(rewriteStop(endless, MONEY_DRAFT)?.rule, 'overlong', 'a preamble that never ends stops too');
});

test('the live preview shows the passage without the preamble, and nothing while only the preamble has come', () => {
  assert.equal(partialRewrite("Sure! Here's the edited version:\n\n", MONEY_DRAFT), '');
  assert.equal(partialRewrite("Sure! Here's the edited version:\n\nMoney is often", MONEY_DRAFT), 'Money is often');
  assert.equal(partialRewrite(`"${MONEY.slice(0, 30)}`, MONEY_DRAFT), MONEY.slice(0, 30));
  assert.equal(partialRewrite(`${MONEY}\n\nI hope this helps!`, MONEY_DRAFT), MONEY);
});

test('what was removed reads as a line for the writer', () => {
  const lines = describeRemoved([
    { kind: 'preamble', text: "Sure! Here's the revised version:" },
    { kind: 'commentary', text: 'x'.repeat(200) },
    { kind: 'wrapper', text: '"…"' },
  ], 40);
  assert.deepEqual(lines, [
    "the model's preamble: “Sure! Here's the revised version:”",
    `the model's commentary: “${'x'.repeat(39)}…”`,
    'quotes around the passage ("…")',
  ]);
});

test('one sentence that never ends is cut at a word past twice the draft\'s length', () => {
  const endless = `Money is ${'a thing and '.repeat(40)}`;
  const stop = rewriteStop(endless, MONEY_DRAFT);
  assert.equal(stop?.rule, 'overlong');
  const limit = Math.max(2 * MONEY_DRAFT.length, MONEY_DRAFT.length + 120); // short drafts get room to grow
  assert.ok(stop!.at <= limit && stop!.at > limit - 15 && endless[stop!.at] === ' ', `cut at ${stop!.at}`);
  const r = readRewrite(endless.slice(0, 400), MONEY_DRAFT, { truncated: true });
  assert.equal(r.text, endless.slice(0, stop!.at));
  assert.deepEqual(r.removed.map((x) => x.kind), ['overlong']);
});

test('sampled answers of the default model: offers, talk about "your essay", editing talk, a quote left open by the token limit', () => {
  const walk = 'the walk to work is long but i like it because you see stuff like the baker and the canal and its nice.';
  const passage = 'The walk to work is long, but I like it: you pass the baker and the canal.';
  assert.equal(clean("In your own voice, I'll make sure to preserve the original tone and style of your essay.", walk), undefined);
  assert.equal(clean("I'll make sure to keep that in mind going forward.", walk), undefined);
  assert.equal(clean("Remember, it's all about the right word choice and the right tone.", walk), undefined);
  assertPassage(`${passage} Remember, it's all about the right word choice and the right tone.`, passage, ['commentary'], walk);
  assertPassage(`"${passage} And the`, passage, ['unfinished', 'wrapper'], walk, true);
  // The writer's own "I'll" stays when the draft speaks so too.
  const promise = "I'll walk to work tomorrow, past the baker and the canal.";
  assertPassage(promise, promise, [], "i'll walk to work tomorrow past the baker and canal");
  assertPassage(`${passage} I will go again tomorrow.`, `${passage} I will go again tomorrow.`, [], `${walk} i will go again tomorrow`);
});

interface Answer { draft: string; prefill: 'none' | 'first-word'; seed: number; output: string }
const answers = (JSON.parse(readFileSync(join(__dirname, 'fixtures', 'smollm2-rewrite-answers.json'), 'utf8')) as { answers: Answer[] }).answers;
/** What a chat assistant says about its edit; none of it may reach the writer. */
const RESIDUE = /\b(?:here(?:'s| is)|revised|edited|rewritten|I(?:'ve| have)? made|I changed|I added|I'd be happy|let me know|I hope|in this|feedback|grammar|clarity|your essay|original (?:text|sentence|tone))\b/i;

test('the default model\'s real answers (18 unprefilled, 18 prefilled): no chat residue survives, and most give a passage', () => {
  let usable = 0;
  for (const a of answers) {
    const r = clean(a.output, a.draft, true);
    if (r) {
      usable += a.prefill === 'none' ? 1 : 0;
      assert.doesNotMatch(r.text, RESIDUE, `${a.prefill}/${a.seed}: ${r.text}`);
      assert.ok(r.text.length <= Math.max(2 * a.draft.length, a.draft.length + 120), r.text);
    }
  }
  // Two of the unprefilled answers are only an offer to help ("I'd be happy to help you refine your essay…").
  assert.equal(usable, 16);
});

test('stopping while the answer streams in (rewriteStop) and cleaning what came equals cleaning the whole answer', () => {
  for (const a of answers) {
    let came = a.output;
    let stopped = false;
    for (let i = 1; i <= a.output.length; i += 2) {
      if (rewriteStop(a.output.slice(0, i), a.draft)) {
        came = a.output.slice(0, i);
        stopped = true;
        break;
      }
    }
    assert.equal(clean(came, a.draft, !stopped)?.text, clean(a.output, a.draft, true)?.text, `${a.prefill}/${a.seed}: ${a.draft.slice(0, 30)}`);
  }
});

test('a question to the writer about their text is the assistant\'s', () => {
  assertPassage(`${MONEY}\n\nWhat do you have that needs editing?`, MONEY, ['commentary']);
  assert.equal(clean("I'd be happy to help you refine your essay. What do you have that needs editing?"), undefined);
  const asks = 'Money is a luxury. But do you ever need what you buy?';
  assertPassage(asks, asks, [], 'money is a luxury. but do you ever need what you buy');
});
