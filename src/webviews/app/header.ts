// The run header: which run (and which to compare with), its status and facts,
// the actions the host says are possible now, and the resolved configuration.
import type { RunChoice, RunControls } from '../protocol';
import { formatNumber, formatScalar } from '../reports';
import { checkpointRows, type CheckpointRow } from '../checkpointModel';
import { bestStepText, percent, summarize } from '../viewModel';
import { fill, formatDuration, h } from './dom';
import type { DashboardState } from './state';
import { send } from './vscodeApi';

type Select = HTMLElement & { value: string };

export class Header {
  readonly el = h('header', { class: 'run-header' });
  private readonly pickers = h('div', { class: 'pickers' });
  private readonly title = h('div', { class: 'title' });
  private readonly facts = h('dl', { class: 'facts' });
  private readonly actions = h('div', { class: 'actions', role: 'toolbar', 'aria-label': 'Run actions' });
  private readonly checkpoints = h('div', { class: 'checkpoints' });
  private readonly problem = h('div', { class: 'problem', role: 'alert' });
  private readonly config = h('div', { class: 'config' });

  constructor() {
    this.el.append(this.pickers, this.title, this.facts, this.actions, this.checkpoints, this.problem, this.config);
  }

  updateList(s: DashboardState): void {
    if (s.runs.length === 0) {
      fill(this.pickers, h('p', {}, `No training runs in ${s.runsRoot ?? 'the runs folder'} yet. Run `, h('strong', {}, 'Voice Draft: Train Voice Adapter'), ' to make one.'));
      return;
    }
    const run = picker('run-picker', 'Run', s.runs.map((r) => option(r, r.dir === s.selected)));
    run.addEventListener('change', () => send({ type: 'run/select', dir: run.value }));
    const others = s.runs.filter((r) => r.dir !== s.selected);
    const compare = picker('compare-picker', 'Compare with', [
      h('vscode-option', { value: '', selected: s.compareDir === null }, 'nothing'),
      ...others.map((r) => option(r, r.dir === s.compareDir)),
    ]);
    compare.addEventListener('change', () => send({ type: 'compare/select', dir: compare.value || null }));
    fill(this.pickers, labelled('Run', run), others.length ? labelled('Compare with', compare) : null);
  }

  update(s: DashboardState, nowMs: number): void {
    const p = s.primary;
    if (!p) {
      fill(this.title);
      fill(this.facts);
      fill(this.actions);
      fill(this.checkpoints);
      fill(this.config);
      return;
    }
    const sum = summarize(p.model, { startedMs: p.snapshot.startedMs, lastEventMs: p.lastEventMs }, p.files.config, nowMs);
    const c = s.controls;
    // "running" in the folder but no engine alive on this machine: it died without a terminal event.
    const state = sum.state === 'running' && c && !c.engineAlive ? 'interrupted' : sum.state;
    fill(this.title,
      h('h1', {}, p.snapshot.name),
      h('vscode-badge', { class: `state state-${state}`, 'data-state': state }, state),
      c?.active ? h('vscode-badge', { class: 'active-voice' }, 'active voice') : null);
    const dataset = p.model.started?.dataset;
    const progress = sum.lastStep === null ? null
      : `step ${sum.lastStep}${sum.totalSteps ? ` of ${sum.totalSteps}` : ''}${sum.epoch !== null ? `, epoch ${formatNumber(sum.epoch)}` : ''}`;
    fill(this.facts, [
      fact('Base model', sum.baseModel),
      fact('Device', sum.device),
      // File times are all there is (events carry no clock); a copied run folder has lost them.
      fact('Duration', sum.durationMs === null || (sum.state !== 'running' && sum.durationMs < 1000) ? null : formatDuration(sum.durationMs), 'duration'),
      fact('Progress', progress),
      // The checkpoint exported as the voice: by voice score when the run has one, else by validation loss.
      fact('Best step', bestStepText(sum), 'best-step'),
      fact('Time left', sum.etaS === null || sum.etaS <= 0 ? null : `about ${formatDuration(sum.etaS * 1000)}`),
      fact('Pairs', dataset ? `${dataset.train_pairs} train, ${dataset.val_pairs} validation` : null),
    ]);
    fill(this.actions, actionButtons(p.dir, c));
    const rows = sum.state === 'done' ? checkpointRows(p.model, p.files.checkpoints, sum) : [];
    fill(this.checkpoints, rows.length > 1 || rows.some((r) => !r.isVoice) ? checkpointTable(p.dir, rows, c?.choose === true) : null);
    const err = sum.error;
    fill(this.problem, err ? [h('strong', {}, `Training failed (${err.code}): `), err.message, err.hint ? h('p', {}, `Next: ${err.hint}`) : null]
      : state === 'interrupted' ? 'The engine stopped without finishing or saying why. Resume continues from the newest checkpoint.' : null);
    const config = p.model.started?.config ?? p.files.config;
    fill(this.config, config ? h('vscode-collapsible', { heading: 'Configuration' },
      h('table', { class: 'config-table' }, h('tbody', {}, Object.entries(config).map(([k, v]) =>
        h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, typeof v === 'object' && v !== null ? JSON.stringify(v) : formatScalar(v))))))) : null);
  }

  /** Refreshes only the duration of a running run (once a second). */
  tick(s: DashboardState, nowMs: number): void {
    const p = s.primary;
    const el = this.facts.querySelector('[data-fact="duration"]');
    if (!p || !el || p.model.state !== 'running' || p.snapshot.startedMs === null) return;
    el.textContent = formatDuration(nowMs - p.snapshot.startedMs);
  }
}

function picker(id: string, label: string, options: HTMLElement[]): Select {
  return h('vscode-single-select', { id, 'aria-label': label }, options) as Select;
}

function labelled(text: string, control: HTMLElement): HTMLElement {
  return h('div', { class: 'picker' }, h('vscode-label', { for: control.id }, text), control);
}

function option(r: RunChoice, selected: boolean): HTMLElement {
  return h('vscode-option', { value: r.dir, selected, description: r.baseModel ?? '' }, `${r.name} \u2014 ${r.state}`);
}

function fact(term: string, value: string | null, key?: string): HTMLElement[] {
  return value === null ? [] : [h('dt', {}, term), h('dd', { 'data-fact': key }, value)];
}

const ACTIONS: { type: 'action/cancel' | 'action/resume' | 'action/activate' | 'action/export'; key: keyof RunControls; label: string; why: string }[] = [
  { type: 'action/cancel', key: 'cancel', label: 'Cancel', why: 'Stops training after a checkpoint (it can be resumed).' },
  { type: 'action/resume', key: 'resume', label: 'Resume', why: 'Continues from the newest checkpoint.' },
  { type: 'action/activate', key: 'activate', label: 'Activate this voice', why: 'Writes with this run from now on.' },
  { type: 'action/export', key: 'export', label: 'Export', why: 'Merges the adapter into a model the editor writes with.' },
];

function actionButtons(dir: string, c: RunControls | null): HTMLElement[] {
  const buttons = ACTIONS.map((a) => {
    const enabled = c?.[a.key] === true;
    // Activating is the step a finished run leads to: the one primary button, when it is possible.
    const b = h('vscode-button', { 'data-action': a.type, disabled: !enabled, secondary: !(enabled && a.type === 'action/activate'), title: a.why }, a.label);
    b.addEventListener('click', () => { if (enabled) send({ type: a.type, dir }); });
    return b;
  });
  const open = h('vscode-button', { secondary: true, 'data-action': 'action/openFolder', title: dir }, 'Open run folder');
  open.addEventListener('click', () => send({ type: 'action/openFolder', dir }));
  return [...buttons, open];
}

/**
 * The kept checkpoints, each with what was measured at its step: the voice is the
 * best-scoring one unless the writer, who heard the canaries or took the blind test,
 * makes another one the voice.
 */
function checkpointTable(dir: string, rows: CheckpointRow[], canChoose: boolean): HTMLElement {
  const body = rows.map((r) => {
    let pick: HTMLElement | string = 'the voice';
    if (!r.isVoice) {
      pick = h('vscode-button', { secondary: true, disabled: !canChoose, 'data-action': 'action/choose', 'data-step': String(r.step),
        title: 'Makes this checkpoint the voice, then exports it for writing.' }, 'Make this the voice');
      pick.addEventListener('click', () => { if (canChoose) send({ type: 'action/choose', dir, step: r.step }); });
    }
    return h('tr', { 'data-checkpoint': String(r.step) },
      h('th', { scope: 'row' }, `step ${r.step}`),
      h('td', {}, r.voiceScore === null ? '\u2014' : percent(r.voiceScore)),
      h('td', {}, r.valLoss === null ? '\u2014' : formatNumber(r.valLoss)),
      h('td', {}, pick));
  });
  return h('vscode-collapsible', { heading: 'Kept checkpoints', open: true },
    h('table', { class: 'checkpoint-table' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Checkpoint'), h('th', { scope: 'col' }, 'Voice score'),
        h('th', { scope: 'col' }, 'Validation loss'), h('th', { scope: 'col' }, ''))),
      h('tbody', {}, body)));
}
