// Canary prompts are the writer's best evidence that the voice moved ("loss
// lied": flat validation loss while the samples changed a lot). This groups the
// samples per prompt and epoch, and diffs base vs tuned word by word. Pure: the
// webview and the Node tests share it.
import { diffWords } from 'diff';
import { type CanarySample, canaryKey } from '../core/runs/runModel';

export interface CanaryGroup {
  promptId: string;
  prompt?: string;
  /** One entry per epoch, in epoch order. */
  epochs: CanarySample[];
}

export interface DiffPart {
  kind: 'same' | 'ins' | 'del';
  text: string;
}

/**
 * Canaries from the live event stream and from canaries.json, one per prompt and
 * epoch; the file wins on a clash (it is what the engine kept once the epoch ended).
 */
export function canaryGroups(fromEvents: ReadonlyMap<string, CanarySample>, file: unknown): CanaryGroup[] {
  const all = new Map(fromEvents);
  for (const c of canariesFromFile(file)) all.set(canaryKey(c.promptId, c.epoch), c);
  const groups = new Map<string, CanaryGroup>();
  for (const c of all.values()) {
    const g = groups.get(c.promptId) ?? { promptId: c.promptId, epochs: [] };
    g.prompt ??= c.prompt;
    g.epochs.push(c);
    groups.set(c.promptId, g);
  }
  for (const g of groups.values()) g.epochs.sort((a, b) => a.epoch - b.epoch);
  return [...groups.values()].sort((a, b) => a.promptId.localeCompare(b.promptId));
}

interface Context { promptId?: string; prompt?: string; sampling?: Record<string, unknown>; epoch?: number }

/**
 * Reads canaries.json leniently: any nesting of lists and objects whose leaves
 * carry `base` and `tuned` samples, with the prompt id, prompt, sampling and
 * epoch found on the leaf or inherited from an enclosing object (or its key).
 */
export function canariesFromFile(json: unknown): CanarySample[] {
  const book = fromBook(json);
  if (book) return book;
  const out: CanarySample[] = [];
  collect(json, {}, out, 0);
  return out;
}

/**
 * The engine's own layout (its CanaryBook): `prompts` [{id, prompt, sampling}],
 * `base` {id: samples} and `epochs` [{epoch, step, tuned: {id: samples}}].
 */
function fromBook(json: unknown): CanarySample[] | undefined {
  if (!isRecord(json) || !Array.isArray(json.epochs) || !isRecord(json.base)) return undefined;
  const prompts = new Map<string, Record<string, unknown>>();
  for (const p of Array.isArray(json.prompts) ? json.prompts : []) if (isRecord(p) && typeof p.id === 'string') prompts.set(p.id, p);
  const out: CanarySample[] = [];
  for (const e of json.epochs) {
    if (!isRecord(e) || typeof e.epoch !== 'number' || !isRecord(e.tuned)) continue;
    for (const [promptId, value] of Object.entries(e.tuned)) {
      const tuned = samples(value);
      const p = prompts.get(promptId);
      if (!tuned) continue;
      out.push({
        epoch: e.epoch,
        promptId,
        prompt: typeof p?.prompt === 'string' ? p.prompt : undefined,
        sampling: isRecord(p?.sampling) ? p.sampling : undefined,
        base: samples(json.base[promptId]) ?? [],
        tuned,
      });
    }
  }
  return out;
}

function collect(v: unknown, ctx: Context, out: CanarySample[], depth: number): void {
  if (depth > 6) return;
  if (Array.isArray(v)) {
    for (const item of v) collect(item, ctx, out, depth + 1);
    return;
  }
  if (typeof v !== 'object' || v === null) return;
  const o = v as Record<string, unknown>;
  const id = [o.prompt_id, o.promptId, o.id].find((x) => typeof x === 'string') as string | undefined;
  const here: Context = {
    promptId: id ?? ctx.promptId,
    prompt: typeof o.prompt === 'string' ? o.prompt : ctx.prompt,
    sampling: isRecord(o.sampling) ? o.sampling : ctx.sampling,
    epoch: typeof o.epoch === 'number' ? o.epoch : ctx.epoch,
  };
  const base = samples(o.base);
  const tuned = samples(o.tuned);
  if (base && tuned && here.promptId !== undefined && here.epoch !== undefined) {
    out.push({ epoch: here.epoch, promptId: here.promptId, prompt: here.prompt, sampling: here.sampling, base, tuned });
    return;
  }
  for (const [key, child] of Object.entries(o)) {
    if (typeof child !== 'object' || child === null || key === 'sampling') continue;
    // A map keyed by prompt id or by epoch names its children.
    const keyed: Context = { ...here };
    if (/^\d+$/.test(key)) keyed.epoch ??= Number(key);
    else if (isRecord(child) && !['canaries', 'prompts', 'epochs', 'samples'].includes(key)) keyed.promptId ??= key;
    collect(child, keyed, out, depth + 1);
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function samples(v: unknown): string[] | undefined {
  if (typeof v === 'string') return [v];
  return Array.isArray(v) && v.every((s) => typeof s === 'string') ? v : undefined;
}

/** Word-level diff of a base sample against the tuned one: deletions are base-only words. */
export function wordDiff(base: string, tuned: string): DiffPart[] {
  return diffWords(base, tuned).map((c) => ({ kind: c.added ? 'ins' : c.removed ? 'del' : 'same', text: c.value }));
}

const words = (text: string) => text.match(/[\p{L}\p{N}'’]+|[^\s\p{L}\p{N}]/gu)?.length ?? 0;

/** Share of the words in both texts that the diff marks as changed: 0 = identical, 1 = nothing shared. */
export function changedShare(parts: readonly DiffPart[]): number {
  let changed = 0;
  let total = 0;
  for (const p of parts) {
    const n = words(p.text);
    total += p.kind === 'same' ? 2 * n : n;
    if (p.kind !== 'same') changed += n;
  }
  return total === 0 ? 0 : changed / total;
}

/** Sampling settings to show beside a canary: the event's own, else the config's canary/sampling keys. */
export function samplingSettings(sample: CanarySample, config: Record<string, unknown> | null): [string, string][] {
  const from = sample.sampling ?? Object.fromEntries(
    Object.entries(config ?? {}).filter(([k]) => /^(canary|sampl|temperature$|top_k$|top_p$|max_new_tokens$|seed$)/.test(k)),
  );
  return Object.entries(from).filter(([, v]) => v !== null && typeof v !== 'object').map(([k, v]) => [k, String(v)]);
}
