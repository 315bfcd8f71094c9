// Voice scores from eval.json, whatever keys the evaluator wrote: base-vs-tuned
// comparisons as rows with their change, other values as they are, nesting as
// sub-sections. A compared run's scores sit beside the primary run's.
import { formatNumber, type ScoreNode, scoreTree } from '../reports';
import { fill, h } from './dom';
import type { RunView } from './state';
import { send } from './vscodeApi';

export class Scores {
  readonly el = h('section', { class: 'scores', 'aria-label': 'Voice scores' });
  private readonly body = h('div', { class: 'score-columns' });

  constructor() {
    this.el.append(h('h2', {}, 'Voice scores'), this.body);
  }

  update(primary: RunView | null, compare: RunView | null): void {
    if (!primary) return fill(this.body);
    fill(this.body, column(primary, compare !== null), compare ? column(compare, true) : null);
  }
}

function column(view: RunView, titled: boolean): HTMLElement {
  const tree = scoreTree(view.files.evaluation);
  const title = titled ? h('h3', {}, view.snapshot.name) : null;
  if (!tree) {
    const evaluate = h('vscode-button', { secondary: true }, 'Evaluate Voice');
    evaluate.addEventListener('click', () => send({ type: 'action/evaluate', dir: view.dir }));
    return h('div', { class: 'score-column', 'data-evaluated': 'false' }, title,
      h('p', { class: 'muted' }, 'Not evaluated yet \u2014 run Evaluate Voice to measure held-out perplexity and style against your essays.'),
      evaluate);
  }
  return h('div', { class: 'score-column', 'data-evaluated': 'true' }, title, nodes(tree, 3));
}

/** In eval.json's own order: runs of rows as one table, each group as a folding section. */
function nodes(list: ScoreNode[], level: number): HTMLElement {
  const out: HTMLElement[] = [];
  let rows: ScoreNode[] = [];
  const flush = () => {
    // Base/tuned columns only where something compares; plain values read as a list.
    const compares = rows.some((r) => r.kind === 'compare');
    if (rows.length) out.push(h('table', { class: `score-table${compares ? '' : ' plain'}` },
      compares ? h('thead', {}, h('tr', {}, ['', 'base', 'tuned', 'change'].map((t) => h('th', { scope: 'col' }, t)))) : null,
      h('tbody', {}, rows.map(row))));
    rows = [];
  };
  for (const n of list) {
    if (n.kind !== 'group') {
      rows.push(n);
      continue;
    }
    flush();
    // Generated samples and long lists start folded, so the numbers stay in view.
    out.push(h('details', { class: 'score-group', open: !bulky(n) },
      h('summary', {}, h(`h${Math.min(level + 1, 6)}`, {}, n.label)), nodes(n.children, level + 1)));
  }
  flush();
  return h('div', {}, out);
}

function bulky(n: ScoreNode): boolean {
  let leaves = 0;
  let long = false;
  const walk = (x: ScoreNode) => {
    if (x.kind === 'group') x.children.forEach(walk);
    else if (x.kind === 'value') { leaves++; long ||= x.value.length > 160; } else leaves++;
  };
  walk(n);
  return long || leaves > 24;
}

function row(n: ScoreNode): HTMLElement {
  switch (n.kind) {
    case 'compare': {
      const delta = n.tuned - n.base;
      const rel = n.base !== 0 ? ` (${delta >= 0 ? '+' : ''}${formatNumber((delta / Math.abs(n.base)) * 100)}%)` : '';
      return h('tr', {}, h('th', { scope: 'row' }, n.label, n.extra.length ? h('span', { class: 'muted' }, ` ${n.extra.map(([k, v]) => `${k} ${v}`).join(', ')}`) : null),
        h('td', {}, formatNumber(n.base)), h('td', {}, formatNumber(n.tuned)), h('td', {}, `${delta >= 0 ? '+' : ''}${formatNumber(delta)}${rel}`));
    }
    case 'value':
      return h('tr', {}, h('th', { scope: 'row' }, n.label), h('td', { colspan: 3 }, n.value));
    case 'group':
      return h('tr'); // groups are rendered as sections, never as rows
    default: {
      const never: never = n;
      return never;
    }
  }
}
