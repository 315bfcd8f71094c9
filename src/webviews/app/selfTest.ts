// "Which is yours?": the writer's blind self-test (issue #19 item 5). Start shows
// pairs one at a time, A and B side by side: one of the writer's own held-out
// passages and the voice's continuation of the same opening, in an order and on
// sides the host drew. The writer clicks the one they wrote; after the last pair
// (or "Stop here") the host says how often the voice was taken for them, with a
// 95% interval, and the history of this voice's sessions.
import type { SelfTestHistory, Side } from '../protocol';
import { fill, h } from './dom';
import { pct, resultSentence, type SelfTestModel } from './selfTestModel';
import { send } from './vscodeApi';

export class SelfTest {
  readonly el = h('section', { class: 'selftest', 'aria-label': 'Which is yours?' });
  private readonly body = h('div', { 'aria-live': 'polite' });

  constructor(private readonly model: SelfTestModel) {
    this.el.append(
      h('h2', {}, 'Which is yours?'),
      h('p', { class: 'muted' },
        'A blind test only you can take. Each pair holds a passage you wrote (held out from training) and the voice\u2019s '
        + 'continuation of the same opening, cut to about the same length, in random order. Click the one you wrote. '
        + 'The more often you pick the voice\u2019s, the more it sounds like you; 50% means you could not tell them apart.'),
      this.body,
    );
  }

  update(): void {
    const m = this.model;
    this.el.dataset.phase = m.phase;
    if (!m.dir) return fill(this.body);
    switch (m.phase) {
      case 'running':
        return this.trial();
      case 'saving':
        return fill(this.body, h('p', { class: 'muted' }, 'Recording your answers\u2026'));
      case 'starting':
        return fill(this.body, h('p', { class: 'muted' }, 'Choosing pairs\u2026'));
      case 'done':
        return fill(this.body,
          m.result ? h('p', { class: 'selftest-result' }, h('strong', {}, resultSentence(m.result))) : null,
          this.startButton('Test again'),
          history(m.history));
      case 'idle':
        return fill(this.body, this.startButton('Start'), history(m.history));
      default: {
        const never: never = m.phase;
        return never;
      }
    }
  }

  private startButton(label: string): HTMLElement | null {
    const status = this.model.status;
    if (!status) return h('p', { class: 'muted' }, 'Looking for pairs\u2026');
    if (status.available === 0) return h('p', { class: 'muted selftest-none' }, status.reason ?? 'No pairs to judge.');
    const button = h('vscode-button', { class: 'selftest-start' }, `${label} (${status.sessionSize} pair${status.sessionSize === 1 ? '' : 's'})`);
    button.addEventListener('click', () => {
      const msg = this.model.start();
      if (msg) send(msg);
      this.update();
    });
    return h('div', { class: 'actions' }, button,
      h('span', { class: 'muted' }, `${status.available} pair${status.available === 1 ? '' : 's'} in this voice\u2019s evaluation.`));
  }

  private trial(): void {
    const s = this.model.session!;
    const i = this.model.current!;
    const t = s.trials[i]!;
    const choose = (side: Side, text: string) => {
      const button = h('vscode-button', { class: 'selftest-pick', 'data-side': side }, `I wrote ${side}`);
      button.addEventListener('click', () => {
        const msg = this.model.pick(side);
        if (msg) send(msg);
        this.update();
        // Keyboard users stay in the test: the next pair's first choice (once the element has rendered).
        requestAnimationFrame(() => this.el.querySelector<HTMLElement>('.selftest-pick, .selftest-start')?.focus());
      });
      return h('div', { class: 'side', 'data-side': side }, h('h4', {}, side), h('p', { class: 'sample' }, text), button);
    };
    const stop = h('vscode-button', { secondary: true, class: 'selftest-stop' }, i === 0 ? 'Cancel' : `Stop here (record ${i})`);
    stop.addEventListener('click', () => {
      const msg = this.model.stop();
      if (msg) send(msg);
      this.update();
    });
    fill(this.body,
      h('p', {}, h('strong', {}, `Pair ${i + 1} of ${s.trials.length}`)),
      t.opening ? h('p', { class: 'muted' }, 'Both continue this opening:') : null,
      t.opening ? h('blockquote', { class: 'sample selftest-opening' }, t.opening) : null,
      h('div', { class: 'pair', 'data-trial': i }, choose('A', t.a), choose('B', t.b)),
      h('div', { class: 'actions' }, stop),
    );
  }
}

function history(hist: SelfTestHistory | null): HTMLElement | null {
  if (!hist || hist.sessions.length === 0) return null;
  const ci = (low: number, high: number) => `${Math.round(low * 100)}\u2013${pct(high)}`;
  const rows = hist.sessions.slice().reverse().map((s) => h('tr', {},
    h('th', { scope: 'row' }, formatDate(s.date)),
    h('td', {}, `${s.k} of ${s.n}`),
    h('td', {}, pct(s.share)),
    h('td', {}, ci(s.low, s.high))));
  const overall = hist.overall && hist.sessions.length > 1
    ? h('tr', { class: 'selftest-overall' }, h('th', { scope: 'row' }, 'All sessions'),
      h('td', {}, `${hist.overall.k} of ${hist.overall.n}`), h('td', {}, pct(hist.overall.share)), h('td', {}, ci(hist.overall.low, hist.overall.high)))
    : null;
  return h('table', { class: 'score-table plain selftest-history' },
    h('caption', { class: 'muted' }, 'This voice\u2019s sessions, newest first'),
    h('thead', {}, h('tr', {}, ['Date', 'Voice taken for you', 'Share', '95% CI'].map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, overall, rows));
}

/** `2026-11-23 14:15` in the writer's time zone; the stored date is UTC. */
function formatDate(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}
