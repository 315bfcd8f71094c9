// The training dashboard's webview app. It knows the host only through the
// shared protocol: it says `webview/ready`, then folds every host message into
// DashboardState and redraws the parts that message changed, once per frame.
// Curves and canaries sit side by side ("loss lied": never the curve alone),
// voice scores and the data report below them, then the writer's own blind test
// of the voice ("Which is yours?").
import './elements.js';
import { parseHostMessage, type SavedDashboard } from '../protocol';
import { Canaries } from './canaries';
import { Curves } from './curves';
import { DataSection } from './dataReport';
import { fill, h } from './dom';
import { Header } from './header';
import { Scores } from './scores';
import { SelfTest } from './selfTest';
import { DashboardState, type Part } from './state';
import { onThemeChange } from './theme';
import { saveState, send } from './vscodeApi';

const state = new DashboardState();
const header = new Header();
const notice = h('div', { class: 'notice', role: 'status', 'aria-live': 'polite' });
const curves = new Curves();
const canaries = new Canaries();
const scores = new Scores();
const data = new DataSection();
const selfTest = new SelfTest(state.selfTest);

const app = document.getElementById('app')!;
app.replaceChildren(
  header.el,
  notice,
  h('div', { class: 'side-by-side' }, curves.el, canaries.el),
  h('div', { class: 'side-by-side' }, scores.el, data.el),
  selfTest.el,
);
app.removeAttribute('aria-busy');

const dirty = new Set<Part>();
let frame = 0;

function schedule(parts: Iterable<Part>): void {
  for (const p of parts) dirty.add(p);
  if (!frame && dirty.size) frame = requestAnimationFrame(render);
}

function render(): void {
  frame = 0;
  const parts = new Set(dirty);
  dirty.clear();
  const now = Date.now();
  const compare = state.compare ? { model: state.compare.model, name: state.compareName() } : undefined;
  for (const part of parts) {
    switch (part) {
      case 'list': header.updateList(state); break;
      case 'header': header.update(state, now); break;
      case 'curves': curves.update(state.primary?.model ?? null, compare); break;
      case 'canaries': canaries.update(state.primary, state.compare); break;
      case 'data': data.update(state.primary?.files.manifest ?? null, state.primary?.model.drafts ?? null); break;
      case 'scores': scores.update(state.primary, state.compare); break;
      case 'selftest': selfTest.update(); break;
      case 'notice':
        fill(notice, state.notice ? h('p', { class: `notice-${state.notice.level}` }, state.notice.text) : null);
        break;
      default: {
        const never: never = part;
        return never;
      }
    }
  }
  // Tests and screen readers can tell that the page shows what the host last sent.
  document.body.dataset.rendered = String(Number(document.body.dataset.rendered ?? 0) + 1);
}

let saved: SavedDashboard = { selected: null, compare: null };
window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const msg = parseHostMessage(event.data);
  if (!msg) return;
  schedule(state.apply(msg));
  // The runs shown, for the host to show again after a window reload.
  const shown = { selected: state.primary?.dir ?? state.selected, compare: state.compare?.dir ?? null };
  if (shown.selected !== saved.selected || shown.compare !== saved.compare) saveState((saved = shown));
});
canaries.el.addEventListener('canary-epoch', () => schedule(['canaries']));
onThemeChange(() => curves.retheme());
setInterval(() => header.tick(state, Date.now()), 1000);

send({ type: 'webview/ready' });
