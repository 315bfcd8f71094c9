// A model folder's tokenizer and chat template, as the engine's Python tokenizer reads
// them: tokenizer.json through @huggingface/tokenizers, the chat template through
// @huggingface/jinja. These are the two parts of transformers.js the worker used; taking
// them alone leaves out its ONNX Runtime for the web, its image library and their
// native binaries (test/unit/inference/tokenizerParity.test.ts holds them to Python's).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Template } from '@huggingface/jinja' with { 'resolution-mode': 'import' };
import type { Tokenizer } from '@huggingface/tokenizers' with { 'resolution-mode': 'import' };

type Tokenizers = typeof import('@huggingface/tokenizers', { with: { 'resolution-mode': 'import' } });
type Jinja = typeof import('@huggingface/jinja', { with: { 'resolution-mode': 'import' } });

/** Both are ES modules and this file CommonJS: they load once, on first use. */
let libraries: Promise<[Tokenizers, Jinja]> | undefined;
const load = () => (libraries ??= Promise.all([import('@huggingface/tokenizers'), import('@huggingface/jinja')]));

export interface ChatMessage {
  role: string;
  content: string;
}

/** tokenizer_config.json's special tokens: a string, or an AddedToken object saved by Python. */
type TokenEntry = string | { content?: string; __type?: string } | null | undefined;

interface TokenizerConfig {
  chat_template?: string | Array<{ name: string; template: string }>;
  [key: string]: unknown;
}

/** The variables Python's apply_chat_template gives a template besides the messages. */
const SPECIAL_TOKENS = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'] as const;

function tokenText(entry: TokenEntry): string | undefined {
  if (typeof entry === 'string') return entry || undefined;
  if (entry && typeof entry === 'object' && typeof entry.content === 'string') return entry.content;
  return undefined;
}

function readJson<T>(file: string, what: string): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new Error(`${file} cannot be read as ${what} (${e instanceof Error ? e.message : String(e)}): export the voice again, or run set-up for the default model.`, { cause: e });
  }
}

/**
 * The chat template Python's tokenizer would use: chat_template.jinja beside the config
 * (where newer transformers save it) wins over the config's own; of named templates, "default".
 */
function chatTemplateOf(dir: string, config: TokenizerConfig): string | undefined {
  const file = join(dir, 'chat_template.jinja');
  if (existsSync(file)) return readFileSync(file, 'utf8');
  const t = config.chat_template;
  if (typeof t === 'string') return t || undefined;
  if (Array.isArray(t)) return t.find((x) => x.name === 'default')?.template;
  return undefined;
}

export class ModelTokenizer {
  /** The id of tokenizer_config.json's eos_token, when the vocabulary has it. */
  readonly eosTokenId: number | undefined;
  readonly chatTemplate: string | undefined;
  private readonly template: Template | undefined;
  private readonly specialTokens: Record<string, string>;

  private constructor(private readonly tokenizer: Tokenizer, config: TokenizerConfig, chatTemplate: string | undefined, jinja: Jinja) {
    this.specialTokens = {};
    for (const key of SPECIAL_TOKENS) {
      const text = tokenText(config[key] as TokenEntry);
      if (text) this.specialTokens[key] = text;
    }
    const eos = this.specialTokens.eos_token;
    this.eosTokenId = eos === undefined ? undefined : tokenizer.token_to_id(eos);
    this.chatTemplate = chatTemplate;
    this.template = chatTemplate ? new jinja.Template(chatTemplate) : undefined;
  }

  /** Reads tokenizer.json and tokenizer_config.json (and chat_template.jinja) from a model folder. */
  static async load(dir: string): Promise<ModelTokenizer> {
    const [tokenizers, jinja] = await load();
    const json = readJson<object>(join(dir, 'tokenizer.json'), 'a tokenizer');
    const configFile = join(dir, 'tokenizer_config.json');
    const config = existsSync(configFile) ? readJson<TokenizerConfig>(configFile, 'a tokenizer config') : {};
    return new ModelTokenizer(new tokenizers.Tokenizer(json, config), config, chatTemplateOf(dir, config), jinja);
  }

  /** Token ids of `text`; with the tokenizer's own special tokens (a BOS, say) unless told not to. */
  encode(text: string, opts: { addSpecialTokens?: boolean } = {}): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: opts.addSpecialTokens ?? true }).ids;
  }

  /** Text of token ids, spaces as the model wrote them (no clean-up: " ." stays " ."). */
  decode(ids: readonly number[], opts: { skipSpecialTokens?: boolean } = {}): string {
    if (ids.length === 0) return ''; // the library refuses an empty list
    return this.tokenizer.decode([...ids], { skip_special_tokens: opts.skipSpecialTokens ?? false, clean_up_tokenization_spaces: false });
  }

  /** The chat template rendered as Python's apply_chat_template(tokenize=False) renders it. */
  renderChat(messages: readonly ChatMessage[], opts: { addGenerationPrompt?: boolean } = {}): string {
    if (!this.template) throw new Error('this model has no chat template');
    return this.template.render({
      messages, add_generation_prompt: opts.addGenerationPrompt ?? false, tools: null, documents: null, ...this.specialTokens,
    });
  }
}
