// Whether the voice writing now learned fill-in-the-middle (its run's dataset had tier `fim`
// pairs, src/core/dataset/fim.ts, and its training did not leave them out: config.json's
// `fim_pairs`, false on a CPU), and so whether ghost text shows it the text after the
// cursor. A voice trained before those pairs (or the default model) never saw the format:
// asked that way it does worse than with the text before alone (bench/would_i_write_this.ts).
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterTextForPrompt } from '../core/dataset/fim';
import { DEFAULT_DATASET_SETTINGS } from '../core/dataset/options';
import { RUN_FILES } from '../core/runs/runFolder';

export interface FillInTheMiddle {
  /** Words of the text after the cursor the voice was shown in training (its dataset's fimAfterWords). */
  afterWords: number;
}

interface ManifestPart {
  tiersBySplit?: { train?: { fim?: unknown } };
  settings?: { fimAfterWords?: unknown };
}

const known = new Map<string, { stamp: string; value: FillInTheMiddle | undefined }>();

/** The run's config.json says its training left the pairs out (absent: an older run, which trained every pair). */
function leftOut(runDir: string): boolean {
  try {
    return (JSON.parse(readFileSync(join(runDir, RUN_FILES.config), 'utf8')) as { fim_pairs?: unknown }).fim_pairs === false;
  } catch {
    return false;
  }
}

function mtime(file: string): number | undefined {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/** The fill-in-the-middle a run's voice learned, from its dataset's manifest; undefined when none (or no run). */
export function learnedFillInTheMiddle(runDir: string | undefined): FillInTheMiddle | undefined {
  if (!runDir) return undefined;
  const file = join(runDir, RUN_FILES.dataset, 'manifest.json');
  const manifestTime = mtime(file);
  if (manifestTime === undefined) return undefined;
  const stamp = `${manifestTime}:${mtime(join(runDir, RUN_FILES.config)) ?? ''}`;
  const cached = known.get(file);
  if (cached?.stamp === stamp) return cached.value;
  let value: FillInTheMiddle | undefined;
  try {
    const m = JSON.parse(readFileSync(file, 'utf8')) as ManifestPart;
    const pairs = m.tiersBySplit?.train?.fim;
    const words = m.settings?.fimAfterWords;
    if (typeof pairs === 'number' && pairs > 0 && !leftOut(runDir)) value = { afterWords: typeof words === 'number' && words > 0 ? words : DEFAULT_DATASET_SETTINGS.fimAfterWords };
  } catch {
    value = undefined; // an unreadable manifest: ask as before
  }
  known.set(file, { stamp, value });
  return value;
}

/** The text after the cursor as the prompt shows it (whole sentences, as in training), or undefined when there is none to show. */
export function afterForPrompt(after: string, fim: FillInTheMiddle | undefined): string | undefined {
  return fim ? afterTextForPrompt(after, fim.afterWords) : undefined;
}
