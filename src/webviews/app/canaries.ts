// Canaries: for each prompt, the base model's sample beside the tuned one, with
// the words the tuning removed struck through (<del>) and the words it brought
// in marked (<ins>). An epoch picker walks through training; a compared run's
// tuned sample for the same prompt sits in a third column.
import { type CanaryGroup, canaryGroups, changedShare, type DiffPart, samplingSettings, wordDiff } from '../canaryModel';
import type { CanarySample } from '../../core/runs/runModel';
import { type Child, fill, h, percent } from './dom';
import type { RunView } from './state';
import { send } from './vscodeApi';

export class Canaries {
  readonly el = h('section', { class: 'canaries', 'aria-label': 'Canary samples' });
  private readonly body = h('div');
  /** The epoch the writer picked per prompt; absent = follow the newest. */
  private readonly chosen = new Map<string, number>();

  constructor() {
    this.el.append(h('h2', {}, 'Canaries: base vs tuned'), this.body);
  }

  update(primary: RunView | null, compare: RunView | null): void {
    if (!primary) return fill(this.body);
    const groups = groupsOf(primary);
    if (groups.length === 0) {
      return fill(this.body, h('p', { class: 'muted' }, primary.model.state === 'running'
        ? 'The first canary samples appear at the end of the first epoch.'
        : 'This run has no canary samples.'));
    }
    const other = compare ? new Map(groupsOf(compare).map((g) => [g.promptId, g])) : undefined;
    const config = primary.model.started?.config ?? primary.files.config;
    fill(this.body, groups.map((g) => this.card(g, config, other?.get(g.promptId), compare?.snapshot.name)));
  }

  private card(g: CanaryGroup, config: Record<string, unknown> | null, other: CanaryGroup | undefined, otherName: string | undefined): HTMLElement {
    const latest = g.epochs[g.epochs.length - 1]!;
    const sample = g.epochs.find((e) => e.epoch === this.chosen.get(g.promptId)) ?? latest;
    const index = g.epochs.indexOf(sample);
    const previous = index > 0 ? g.epochs[index - 1] : undefined;
    const picker = h('vscode-single-select', { 'aria-label': `Epoch for ${g.promptId}`, class: 'epoch-picker' },
      g.epochs.map((e) => h('vscode-option', { value: e.epoch, selected: e === sample }, `epoch ${e.epoch}`)));
    picker.addEventListener('change', () => {
      this.chosen.set(g.promptId, Number((picker as HTMLElement & { value: string }).value));
      this.el.dispatchEvent(new CustomEvent('canary-epoch'));
    });
    const sampling = samplingSettings(sample, config);
    const counterpart = other?.epochs.find((e) => e.epoch === sample.epoch) ?? other?.epochs.at(-1);
    return h('article', { class: 'canary', 'data-prompt': g.promptId },
      h('header', {}, h('h3', {}, g.promptId), picker, movedBadge(sample, previous)),
      g.prompt ? h('p', { class: 'prompt' }, g.prompt) : null,
      h('p', { class: 'sampling muted' }, sampling.length ? `Sampling: ${sampling.map(([k, v]) => `${k} ${v}`).join(' · ')}` : 'Sampling settings not recorded.'),
      sample.tuned.map((tuned, i) => pair(sample, i, tuned, counterpart, otherName)),
    );
  }
}

function groupsOf(view: RunView): CanaryGroup[] {
  return canaryGroups(view.model.canaries, view.files.canaries);
}

/** How far the tuned sample moved since the previous epoch: the voice changing while the loss may not. */
function movedBadge(sample: CanarySample, previous: CanarySample | undefined): Child {
  const now = sample.tuned[0];
  const before = previous?.tuned[0];
  if (now === undefined || before === undefined) return null;
  return h('vscode-badge', { title: `Share of words that changed in the first tuned sample since epoch ${previous!.epoch}` },
    `${percent(changedShare(wordDiff(before, now)))} moved since epoch ${previous!.epoch}`);
}

function pair(sample: CanarySample, i: number, tuned: string, other: CanarySample | undefined, otherName: string | undefined): HTMLElement {
  const base = sample.base[i] ?? '';
  const parts = wordDiff(base, tuned);
  const otherTuned = other?.tuned[i];
  return h('div', { class: `pair${otherTuned !== undefined ? ' three' : ''}`, 'data-sample': i },
    side('Base', base, parts, 'del'),
    side(`Tuned, epoch ${sample.epoch} (${percent(changedShare(parts))} of words differ)`, tuned, parts, 'ins'),
    otherTuned !== undefined
      ? side(`${otherName ?? 'Compared run'}, epoch ${other!.epoch}`, otherTuned, wordDiff(other!.base[i] ?? '', otherTuned), 'ins')
      : null,
  );
}

/** One column: the parts this side has, with its own changes marked. */
function side(title: string, text: string, parts: DiffPart[], mark: 'ins' | 'del'): HTMLElement {
  const drop = mark === 'ins' ? 'del' : 'ins';
  const body = parts.filter((p) => p.kind !== drop).map((p) => (p.kind === 'same' ? p.text : h(mark, {}, p.text)));
  const copy = h('vscode-button', { secondary: true, class: 'copy', title: `Copy this ${mark === 'del' ? 'base' : 'tuned'} sample` }, 'Copy');
  copy.addEventListener('click', () => send({ type: 'action/copy', text }));
  return h('div', { class: `side ${mark === 'del' ? 'base' : 'tuned'}` }, h('h4', {}, title), h('p', { class: 'sample' }, body), copy);
}
