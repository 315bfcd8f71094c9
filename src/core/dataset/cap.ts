// No single essay may supply more than a set share of the training pairs:
// a long essay cut into many pairs would otherwise teach its own tics as "the voice".

import type { Tier } from './types';

export interface CapResult<T> {
  kept: T[];
  dropped: number;
  /** Most pairs any one document may keep (Infinity when nothing had to go). */
  perDocumentLimit: number;
  /** The share actually enforced: the setting, or looser when there are too few documents to honour it. */
  effectiveShare: number;
}

/**
 * Keeps at most `limit` pairs per document, with `limit` the largest count for which
 * every document's share of the kept pairs stays within `maxShare`. With fewer than
 * 2/maxShare documents that would leave almost nothing (five essays at 20% must be
 * cut to equal size), so the share relaxes to twice a fair share (2 / documents).
 * Within a document, the rarer tiers (T1, T2, T4) are kept first, and T3, raw
 * segments and fill-in-the-middle pairs are thinned evenly along the essay.
 */
export function capDocumentShare<T extends { doc: string; tier: Tier }>(pairs: readonly T[], maxShare: number): CapResult<T> {
  const byDoc = new Map<string, T[]>();
  for (const p of pairs) {
    const list = byDoc.get(p.doc);
    if (list) list.push(p);
    else byDoc.set(p.doc, [p]);
  }
  const documents = byDoc.size;
  const effectiveShare = documents === 0 ? maxShare : Math.min(1, Math.max(maxShare, 2 / documents));
  const counts = [...byDoc.values()].map((l) => l.length);
  const limit = largestLimit(counts, effectiveShare);
  if (limit >= Math.max(0, ...counts)) return { kept: [...pairs], dropped: 0, perDocumentLimit: Infinity, effectiveShare };

  const keep = new Set<T>();
  for (const list of byDoc.values()) for (const p of choose(list, limit)) keep.add(p);
  const kept = pairs.filter((p) => keep.has(p));
  return { kept, dropped: pairs.length - kept.length, perDocumentLimit: limit, effectiveShare };
}

/** Largest c with c ≤ share · Σ min(countᵢ, c). The condition holds on an interval from 0, so bisect. */
function largestLimit(counts: readonly number[], share: number): number {
  const fits = (c: number) => c <= share * counts.reduce((s, n) => s + Math.min(n, c), 0) + 1e-9;
  let lo = 1;
  let hi = Math.max(1, ...counts);
  if (fits(hi)) return hi;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

const PROTECTED: ReadonlySet<Tier> = new Set<Tier>(['T1', 'T2', 'T4']);

function choose<T extends { tier: Tier }>(list: readonly T[], limit: number): T[] {
  if (list.length <= limit) return [...list];
  const rare = list.filter((p) => PROTECTED.has(p.tier));
  if (rare.length >= limit) return evenly(rare, limit);
  const budget = limit - rare.length;
  const t3 = list.filter((p) => p.tier === 'T3');
  const raw = list.filter((p) => p.tier === 'raw');
  const fim = list.filter((p) => p.tier === 'fim');
  // Fill-in-the-middle pairs keep their share of the budget; T3 and raw split the rest as before.
  const fimBudget = Math.min(fim.length, Math.round((budget * fim.length) / list.filter((p) => !PROTECTED.has(p.tier)).length));
  const rest = budget - fimBudget;
  const t3Budget = Math.min(t3.length, Math.round((rest * t3.length) / Math.max(1, t3.length + raw.length)));
  const rawBudget = Math.min(raw.length, rest - t3Budget);
  return [...rare, ...evenly(t3, t3Budget + (rest - t3Budget - rawBudget)), ...evenly(raw, rawBudget), ...evenly(fim, fimBudget)];
}

/** n items spread evenly along the list. */
function evenly<T>(items: readonly T[], n: number): T[] {
  if (n >= items.length) return [...items];
  const out: T[] = [];
  for (let k = 0; k < n; k++) {
    const item = items[Math.floor(((k + 0.5) * items.length) / n)];
    if (item !== undefined) out.push(item);
  }
  return out;
}
