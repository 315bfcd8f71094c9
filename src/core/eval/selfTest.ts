// "Which is yours?" sessions: which pairs a session shows and in what order (seeded,
// so a session can be replayed and the tests are deterministic), what the writer's
// picks say (the share of pairs where the voice was taken for the writer, with a
// Wilson score interval), and the history kept per voice in its run folder
// (`<run>/self-test.json`, written atomically). Editor-free: the dashboard host
// drives it; the webview never writes files.
import { rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readJson, writeJsonAtomic } from '../runs/runFolder';
import { seededRandom } from '../seededRandom';
import type { SelfTestPair } from './selfTestPairs';

export const SELF_TEST_FILE = 'self-test.json';
export const SELF_TEST_FORMAT = 1;
/** Pairs per session unless fewer exist: enough for a first reading, short enough to finish. */
export const DEFAULT_SESSION_PAIRS = 10;

export type Side = 'A' | 'B';

export interface SelfTestPick {
  prompt_id: string;
  seed: number | null;
  /** Position of the sample in eval.json's `samples`. */
  sample: number;
  chose: 'writer' | 'voice';
}

/** One session as self-test.json keeps it. */
export interface SelfTestSession {
  /** ISO 8601, UTC. */
  date: string;
  n: number;
  /** Pairs where the writer picked the voice's text as their own. */
  picked_voice: number;
  /** The session's shuffle seed: which pairs, their order and sides. */
  seed: number;
  /** eval.json's `created`: which evaluation the pairs came from. */
  eval_created: string | null;
  pairs: SelfTestPick[];
}

export interface SelfTestScore {
  /** Pairs where the voice was taken for the writer. */
  k: number;
  n: number;
  share: number;
  /** 95% Wilson score interval of the share. */
  low: number;
  high: number;
}

export interface SelfTestSessionScore extends SelfTestScore {
  date: string;
  evalCreated: string | null;
}

export interface SelfTestHistory {
  /** Oldest first. */
  sessions: SelfTestSessionScore[];
  /** All sessions' pairs pooled (a pair judged in two sessions counts twice). */
  overall: SelfTestScore | null;
}

/** z for a two-sided 95% interval. */
const Z95 = 1.959963984540054;

/**
 * The Wilson score interval of a binomial share k/n: unlike the normal approximation
 * it stays inside [0, 1] and is honest about 0/10 or 10/10, which a session of ten
 * pairs often gives. Null for n = 0.
 */
export function wilson(k: number, n: number, z = Z95): { low: number; high: number } | null {
  if (!(n > 0) || k < 0 || k > n) return null;
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return { low: Math.max(0, center - half), high: Math.min(1, center + half) };
}

export function score(k: number, n: number): SelfTestScore | null {
  const ci = wilson(k, n);
  return ci && { k, n, share: k / n, low: ci.low, high: ci.high };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export interface Trial {
  pair: SelfTestPair;
  /** The side the writer's text is shown on; the voice's is on the other. */
  writerSide: Side;
}

const pickKey = (promptId: string, seed: number | null, sample: number) => `${promptId}\u0000${seed ?? ''}\u0000${sample}`;

/**
 * The trials of a new session: up to `n` pairs, those the writer has judged least often
 * (for this evaluation) first, one per opening before a second sample of the same one,
 * in a seeded random order, each with the writer's text on a seeded random side.
 */
export function planSession(pairs: SelfTestPair[], history: SelfTestSession[], options: { n?: number; seed: number; evalCreated?: string | null }): Trial[] {
  const random = seededRandom(options.seed);
  const n = Math.max(0, Math.min(options.n ?? DEFAULT_SESSION_PAIRS, pairs.length));
  const seen = new Map<string, number>();
  for (const s of history) {
    // A pair's position means another sample once eval.json was rewritten.
    if (options.evalCreated !== undefined && s.eval_created !== options.evalCreated) continue;
    for (const p of s.pairs) seen.set(pickKey(p.prompt_id, p.seed, p.sample), (seen.get(pickKey(p.prompt_id, p.seed, p.sample)) ?? 0) + 1);
  }
  const shuffled = shuffle(pairs, random);
  const perOpening = new Map<string, number>();
  const ranked = shuffled.map((pair, order) => {
    const rank = perOpening.get(pair.promptId) ?? 0;
    perOpening.set(pair.promptId, rank + 1);
    return { pair, order, times: seen.get(pickKey(pair.promptId, pair.seed, pair.sample)) ?? 0, rank };
  });
  ranked.sort((a, b) => a.times - b.times || a.rank - b.rank || a.order - b.order);
  const chosen = shuffle(ranked.slice(0, n).map((r) => r.pair), random);
  return chosen.map((pair) => ({ pair, writerSide: random() < 0.5 ? 'A' : 'B' }));
}

/** What the writer's picks (A/B per trial, in order; a session stopped early has fewer) come to. */
export function recordSession(trials: Trial[], picks: Side[], meta: { seed: number; date: Date; evalCreated: string | null }): SelfTestSession {
  if (picks.length === 0 || picks.length > trials.length) throw new Error(`expected 1 to ${trials.length} picks, got ${picks.length}`);
  const pairs = picks.map((side, i): SelfTestPick => {
    const t = trials[i]!;
    return { prompt_id: t.pair.promptId, seed: t.pair.seed, sample: t.pair.sample, chose: side === t.writerSide ? 'writer' : 'voice' };
  });
  return {
    date: meta.date.toISOString(),
    n: pairs.length,
    picked_voice: pairs.filter((p) => p.chose === 'voice').length,
    seed: meta.seed,
    eval_created: meta.evalCreated,
    pairs,
  };
}

export function summarize(sessions: SelfTestSession[]): SelfTestHistory {
  const scored = sessions.flatMap((s) => {
    const sc = score(s.picked_voice, s.n);
    return sc ? [{ ...sc, date: s.date, evalCreated: s.eval_created }] : [];
  });
  const k = scored.reduce((a, s) => a + s.k, 0);
  const n = scored.reduce((a, s) => a + s.n, 0);
  return { sessions: scored, overall: score(k, n) };
}

// ---- self-test.json -----------------------------------------------------------------

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** Sessions from self-test.json's contents, oldest first; malformed entries are dropped, never guessed. */
export function parseHistory(value: unknown): SelfTestSession[] {
  const list = Array.isArray(value) ? value : isObj(value) && Array.isArray(value.sessions) ? value.sessions : [];
  const out: SelfTestSession[] = [];
  for (const s of list) {
    if (!isObj(s) || typeof s.date !== 'string' || !Array.isArray(s.pairs)) continue;
    const pairs = s.pairs.flatMap((p): SelfTestPick[] => {
      if (!isObj(p) || typeof p.prompt_id !== 'string' || (p.chose !== 'writer' && p.chose !== 'voice')) return [];
      return [{ prompt_id: p.prompt_id, seed: typeof p.seed === 'number' ? p.seed : null, sample: isCount(p.sample) ? p.sample : -1, chose: p.chose }];
    });
    // n and picked_voice are what the pairs say; a file edited by hand cannot make them disagree.
    const n = pairs.length || (isCount(s.n) ? s.n : 0);
    const picked = pairs.length ? pairs.filter((p) => p.chose === 'voice').length : isCount(s.picked_voice) ? s.picked_voice : 0;
    if (n === 0 || picked > n) continue;
    out.push({
      date: s.date,
      n,
      picked_voice: picked,
      seed: typeof s.seed === 'number' ? s.seed : 0,
      eval_created: typeof s.eval_created === 'string' ? s.eval_created : null,
      pairs,
    });
  }
  return out.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}

export async function readHistory(runDir: string): Promise<SelfTestSession[]> {
  return parseHistory(await readJson<unknown>(join(runDir, SELF_TEST_FILE)));
}

/** One write at a time per file: a second session must not lose the first's append. */
const writing = new Map<string, Promise<unknown>>();

/**
 * Appends a session to `<run>/self-test.json` (temp file + rename: a crash leaves the
 * old file or the new one, never half of one) and returns the whole history. A file
 * that exists but cannot be read as JSON is kept beside it, renamed, rather than
 * overwritten: it is the writer's history.
 */
export async function appendSession(runDir: string, session: SelfTestSession): Promise<SelfTestSession[]> {
  const path = join(runDir, SELF_TEST_FILE);
  const previous = writing.get(path) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(async () => {
    const raw = await readJson<unknown>(path);
    if (raw === undefined && (await stat(path).then(() => true, () => false))) {
      await rename(path, join(runDir, `self-test.unreadable-${Date.now()}.json`));
    }
    const sessions = [...parseHistory(raw), session];
    await writeJsonAtomic(path, { format: SELF_TEST_FORMAT, sessions });
    return parseHistory({ sessions });
  });
  writing.set(path, next);
  try {
    return await next;
  } finally {
    if (writing.get(path) === next) writing.delete(path);
  }
}
