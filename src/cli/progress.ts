// One readable line per engine event for the terminal.
import type { EngineEvent, TrainDrafts } from '../core/runs/protocol';

export function describeEvent(e: EngineEvent): string | undefined {
  switch (e.event) {
    case 'setup.progress': case 'model.progress': case 'export.progress': case 'eval.progress':
      return `${e.stage}: ${e.message}${e.percent !== undefined ? ` (${Math.round(e.percent)}%)` : ''}`;
    case 'export.artifact':
      return `wrote ${e.path} (${(e.bytes / 2 ** 20).toFixed(1)} MB${e.seconds !== undefined ? `, ${e.seconds.toFixed(1)} s` : ''})`;
    case 'train.started':
      return [
        // A resume that had to pass over a damaged checkpoint says which, and why (runs from #25 on).
        ...(Array.isArray(e.damaged_checkpoints) ? e.damaged_checkpoints : [])
          .map((d) => `checkpoint ${String(d?.checkpoint)} is damaged (${String(d?.problem)}); set aside as ${String(d?.moved_to)}`),
        `training on ${e.dataset.train_pairs} pairs (${e.dataset.val_pairs} held out), base model ${String(e.config.base_model ?? '?')}`
          + (typeof e.device === 'string' ? ` on ${e.device} (${e.dtype ?? '?'}${typeof e.autocast === 'string' ? `, ${e.autocast} autocast` : ''})` : '')
          + (typeof e.resumed_from === 'string' ? `, resumed from ${e.resumed_from}` : ''),
      ].join('\n');
    case 'train.drafts':
      return describeDrafts(e);
    case 'train.progress':
      return `step ${e.step}${e.total_steps ? `/${e.total_steps}` : ''}  epoch ${e.epoch.toFixed(2)}  loss ${e.loss?.toFixed(4) ?? '—'}  lr ${e.lr.toExponential(2)}${e.tokens_per_s ? `  ${Math.round(e.tokens_per_s)} tok/s` : ''}${e.eta_s ? `  eta ${Math.round(e.eta_s)} s` : ''}`;
    case 'train.eval':
      return `eval at step ${e.step}: val loss ${e.val_loss?.toFixed(4) ?? '—'}, perplexity ${e.val_ppl?.toFixed(2) ?? '—'}`;
    case 'train.voice':
      return `voice at step ${e.step}: ${Math.round(e.score * 100)}% like the writer (${Math.round(e.attributed * 100)}% of ${e.samples} continuations attributed)`;
    case 'train.canary':
      return `canary "${e.prompt_id}" (epoch ${e.epoch}): ${(e.tuned[0] ?? e.base[0] ?? '').replace(/\s+/g, ' ').slice(0, 100)}…`;
    case 'train.checkpoint':
      return `checkpoint ${e.path}`;
    case 'train.done':
      return e.chosen_by === 'voice' && e.chosen_step != null
        ? `done: the voice is step ${e.chosen_step} (best voice score${e.best_voice_score != null ? ` ${Math.round(e.best_voice_score * 100)}%` : ''}); lowest val loss ${e.best_val_loss?.toFixed(4) ?? '—'} at step ${e.best_step ?? '—'}`
        : e.best_voice_score != null
          ? `done: the voice is step ${e.chosen_step ?? e.best_step ?? '—'}, the lowest val loss ${e.best_val_loss?.toFixed(4) ?? '—'} (the best voice score, ${Math.round(e.best_voice_score * 100)}%, did not lead it by more than the check's noise)`
          : `done: best step ${e.best_step ?? '—'}, best val loss ${e.best_val_loss?.toFixed(4) ?? '—'}`;
    case 'voice.chosen':
      return `the voice is now step ${e.step} (your pick)`;
    case 'train.cancelled':
      return 'cancelled (checkpoint kept; resume with --resume)';
    default:
      return undefined;
  }
}

/** Synthetic drafts for the rewrite (issue #20), made before training starts. */
export function describeDrafts(e: TrainDrafts): string {
  if (e.stage !== 'done') {
    return `synthetic drafts (${e.stage}): ${e.done} of ${e.total}${e.eta_s != null ? `, about ${Math.round(e.eta_s)} s left` : ''}`;
  }
  if (e.skipped) return `synthetic drafts: none (${e.skipped})`;
  const rejected = Object.entries(e.rejected ?? {}).map(([why, k]) => `${k} ${why}`).join(', ');
  return `synthetic drafts (${e.method ?? '?'}): ${e.kept ?? 0} of ${e.total} paragraphs kept as rewrite pairs${rejected ? ` (left out: ${rejected})` : ''}${e.seconds != null ? `, ${e.seconds.toFixed(1)} s` : ''}`;
}

export function printEngineProgress(e: EngineEvent): void {
  const line = describeEvent(e);
  if (line) process.stderr.write(`${line}\n`);
}

/** A long step's progress as one line on a terminal's stderr, rewritten in place; none when stderr is not a terminal. */
export function progressLine(): { update: (message: string) => void; clear: () => void } | undefined {
  if (!process.stderr.isTTY) return undefined;
  let shown = false;
  return {
    update: (message) => {
      process.stderr.write(`\r\x1b[K${message}`);
      shown = true;
    },
    clear: () => {
      if (shown) process.stderr.write('\r\x1b[K');
      shown = false;
    },
  };
}
