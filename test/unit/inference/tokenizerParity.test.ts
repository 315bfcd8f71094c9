// The worker's tokenizer (@huggingface/tokenizers + @huggingface/jinja, modelTokenizer.ts)
// against the engine's Python tokenizer on the sample corpora: token ids with and without
// special tokens, decoded text, the rendered chat template, and the chat prompt ids that
// training made (data.prompt_ids). Both read the same folders: the offline default model
// and its ONNX export (the folder the worker loads).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { DICT_DEVIL_DIR, readDictd } from '../../../src/core/sample/devilsDictionary';
import { defaultExportDir } from '../../../src/inference/modelLocator';
import { ModelTokenizer, type ChatMessage } from '../../../src/inference/modelTokenizer';
import { REPO_ROOT, runPython } from '../helpers/python';
import { tokenizerDir } from './realModel';

interface Reference {
  encoded: number[][];
  encoded_plain: number[][];
  decoded: string[];
  rendered: string[];
  rendered_whole: string[];
  prompt_ids: number[][];
  eos_token_id: number;
}

function markdownUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => f.endsWith('.md') && statSync(f).isFile())
    .sort()
    .map((f) => readFileSync(f, 'utf8'));
}

/** Text a tokenizer gets wrong first: spacing, unicode, emoji, code, special tokens written in the text. */
const HARD = [
  '', ' ', '\n\n\n', 'two  spaces,\tand a tab', '   leading and trailing   ', 'naïve café — “quotes” ‘single’ … ½ ﬁ',
  'Emoji 🙂👩‍👩‍👧 and CJK 漢字かな and Arabic مرحبا', 'He said: "It\'s 3:45 p.m." and left.\r\nNew line.',
  '```ts\nconst x = a?.b ?? 1;\n```', '<|im_start|>user\nhello<|im_end|>', 'A sentence ending in <|endoftext|> mid text',
  'Mr. Smith\'s 1,234.56 $ & 100% — isn\'t it?', '   \n  indented\n\n\n\nmany blank lines',
];

let work: string;
let texts: string[];
let chats: ChatMessage[][];
let answers: string[];
const folders = () => [tokenizerDir(), defaultExportDir()].filter((d, i, all) => existsSync(join(d, 'tokenizer.json')) && all.indexOf(d) === i);

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'vd-tokenizer-parity-'));
  const corpora = resolve(REPO_ROOT, '..', 'shared', 'corpora');
  const documents = [
    ...markdownUnder(join(REPO_ROOT, 'test', 'fixtures', 'workspace')),
    ...markdownUnder(join(corpora, 'macdowell-essays')),
    ...markdownUnder(join(corpora, 'bierce-notes')),
  ];
  if (existsSync(join(DICT_DEVIL_DIR, 'devil.index'))) {
    const entries = await readDictd(join(DICT_DEVIL_DIR, 'devil.index'), join(DICT_DEVIL_DIR, 'devil.dict.dz'));
    documents.push(...entries.slice(0, 300).map((e) => `${e.headword}\n\n${e.body}`));
  }
  console.log(`  ${documents.length} documents, ${(documents.join('').length / 1e6).toFixed(2)} M characters`);
  texts = [...HARD, ...documents];
  const paragraphs = documents.flatMap((d) => d.split(/\n\s*\n/)).filter((p) => p.trim().length > 40).slice(0, 60);
  chats = paragraphs.map((p, i) => (i % 3 === 0
    ? [{ role: 'user', content: p }]
    : [{ role: 'system', content: 'Rewrite the draft in the writer\'s voice. Keep its meaning.' }, { role: 'user', content: p }]));
  chats.push([{ role: 'user', content: HARD[5]! }], [{ role: 'user', content: '' }]);
  answers = chats.map((c) => c[c.length - 1]!.content.split(' ').reverse().join(' '));
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

async function reference(dir: string): Promise<Reference> {
  const request = join(work, 'request.json');
  await writeFile(request, JSON.stringify({ dir, texts, chats, answers }));
  const { stdout } = await runPython(join(REPO_ROOT, 'test', 'unit', 'inference', 'fixtures', 'tokenizer_reference.py'), [request], { timeoutMs: 300_000 });
  return JSON.parse(stdout) as Reference;
}

function firstDifference(a: readonly number[], b: readonly number[]): string {
  const i = a.findIndex((x, k) => x !== b[k]);
  const at = i < 0 ? Math.min(a.length, b.length) : i;
  return `first difference at token ${at} of ${a.length} vs ${b.length}: ${JSON.stringify(a.slice(at, at + 5))} vs ${JSON.stringify(b.slice(at, at + 5))}`;
}

test('token ids, decoded text, chat template and chat prompt ids are Python\'s, on the sample corpora', { timeout: 600_000 }, async () => {
  const dirs = folders();
  assert.ok(dirs.length > 0, 'no tokenizer: run `npm run setup`');
  for (const dir of dirs) {
    const py = await reference(dir);
    const js = await ModelTokenizer.load(dir);
    let tokens = 0;
    texts.forEach((text, i) => {
      const label = `${dir}: text ${i} (${JSON.stringify(text.slice(0, 40))})`;
      const ids = js.encode(text);
      assert.deepEqual(ids, py.encoded[i], `${label}, with special tokens: ${firstDifference(ids, py.encoded[i]!)}`);
      const plain = js.encode(text, { addSpecialTokens: false });
      assert.deepEqual(plain, py.encoded_plain[i], `${label}, without special tokens: ${firstDifference(plain, py.encoded_plain[i]!)}`);
      assert.equal(js.decode(plain, { skipSpecialTokens: true }), py.decoded[i], `${label}, decoded`);
      tokens += plain.length;
    });
    assert.ok(js.chatTemplate, `${dir} has a chat template`);
    chats.forEach((chat, i) => {
      const rendered = js.renderChat(chat, { addGenerationPrompt: true });
      assert.equal(rendered, py.rendered[i], `${dir}: chat ${i} rendered with the generation prompt`);
      assert.equal(js.renderChat([...chat, { role: 'assistant', content: answers[i]! }]), py.rendered_whole[i], `${dir}: chat ${i} with its answer`);
      // What the worker sends the model for a chat prompt (worker.ts generate), against what training made.
      const ids = js.encode(rendered, { addSpecialTokens: false });
      assert.deepEqual(ids, py.prompt_ids[i], `${dir}: chat ${i} prompt ids: ${firstDifference(ids, py.prompt_ids[i]!)}`);
    });
    assert.equal(js.eosTokenId, py.eos_token_id);
    console.log(`  ${dir}: ${texts.length} texts (${tokens} tokens) and ${chats.length} chats identical`);
  }
});

test('a folder without a usable tokenizer is a clear error', async () => {
  await assert.rejects(ModelTokenizer.load(work), /tokenizer\.json cannot be read as a tokenizer .*export the voice again/);
  await writeFile(join(work, 'tokenizer.json'), '{"version": ');
  await assert.rejects(ModelTokenizer.load(work), /tokenizer\.json cannot be read as a tokenizer/);
});
