// Host side of the training dashboard: one webview panel (revealed if open),
// fed from run folders. The panel shows a run (the newest, or one passed in)
// and optionally a second one to compare; each is followed live by watchRun.
// The webview asks for actions; this side checks them against what it listed
// (a webview is untrusted input) and delegates to the training controller.
import * as vscode from 'vscode';
import { type Stats, unwatchFile, watchFile } from 'node:fs';
import { stat } from 'node:fs/promises';
import { listRuns, readRunSummary } from '../core/runs/runFolder';
import { readRunFiles } from '../core/runs/snapshot';
import { checkpointStep } from '../core/runs/voiceChoice';
import { watchRun } from '../core/runs/watchRun';
import { liveEngine } from '../engine/detached';
import { isRemoteRun } from '../engine/remote/remoteState';
import { isTerminal } from '../core/runs/protocol';
import { affects } from '../config';
import { Commands } from '../features/commandIds';
import { dashboardHtml, newNonce } from './dashboardHtml';
import { DASHBOARD_VIEW_TYPE, type HostMessage, parseWebviewMessage, type Role, type RunControls, type SavedDashboard, type WebviewMessage } from './protocol';
import { SelfTestHost } from './selfTestHost';

/** What the dashboard can ask of the rest of the extension (wired in extension.ts). */
export interface RunActions {
  cancel(runDir: string): Promise<boolean>;
  resume(runDir: string): Promise<void>;
  exportVoice(runDir: string): Promise<void>;
  /** Makes kept checkpoint `step` the run's voice, then exports and activates it. */
  chooseVoice(runDir: string, step: number): Promise<void>;
  activate(runDir: string): Promise<void>;
  activeVoice(): string | undefined;
  /** This window is already following a training (a second one would be refused). */
  busy(): boolean;
}

export interface DashboardDeps {
  extensionUri: vscode.Uri;
  runsRoot(): string;
  log: vscode.LogOutputChannel;
  actions: RunActions;
  /** Fires when something the controls depend on changes outside the run folder (the active voice). */
  onDidChangeControls: vscode.Event<unknown>;
}

export class Dashboard implements vscode.Disposable {
  private session: DashboardSession | undefined;

  constructor(private readonly deps: DashboardDeps) {}

  /** Opens (or reveals) the dashboard, on `runDir` when given, else on the newest run. */
  show(runDir?: string): void {
    if (this.session) {
      this.session.reveal(runDir);
      return;
    }
    this.session = new DashboardSession(this.deps, runDir, () => { this.session = undefined; });
  }

  /** A window reload brings the panel back (the serializer in registerDashboard.ts): show the runs it showed. */
  restore(panel: vscode.WebviewPanel, saved: SavedDashboard): void {
    if (this.session) {
      panel.dispose(); // one dashboard per window
      return;
    }
    this.session = new DashboardSession(this.deps, undefined, () => { this.session = undefined; }, { panel, saved });
  }

  dispose(): void {
    this.session?.dispose();
  }
}

class DashboardSession implements vscode.Disposable {
  private readonly panel: vscode.WebviewPanel;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly feeds = new Map<Role, AbortController>();
  /** Run folders the webview may name: listed ones and ones passed to show(). */
  private readonly known = new Set<string>();
  /** The webview has said `webview/ready` and is visible: messages reach it. */
  private ready = false;
  private selected: string | null;
  /** The writer chose the run (picker or command argument); otherwise the newest run is followed as runs appear. */
  private pinned: boolean;
  private compare: string | null = null;
  private stopRootWatch: (() => void) | undefined;
  /** "Which is yours?": the open session of the primary run and its history. */
  private readonly selfTest = new SelfTestHost();
  /** eval.json as last seen per run, so the self-test's pairs are re-read only when it changes. */
  private readonly evalSeen = new Map<string, string>();

  /** Runs a restored panel showed; taken once the runs folder lists them (webview/ready). */
  private saved: SavedDashboard | undefined;

  constructor(private readonly deps: DashboardDeps, runDir: string | undefined, private readonly onDispose: () => void,
    restored?: { panel: vscode.WebviewPanel; saved: SavedDashboard }) {
    const bundle = vscode.Uri.joinPath(deps.extensionUri, 'dist', 'webviews');
    this.selected = runDir ?? null;
    this.pinned = runDir !== undefined;
    if (runDir) this.known.add(runDir);
    const options = { enableScripts: true, localResourceRoots: [bundle, vscode.Uri.joinPath(deps.extensionUri, 'media')] };
    if (restored) {
      this.panel = restored.panel;
      this.panel.webview.options = options;
      this.saved = restored.saved;
    } else {
      this.panel = vscode.window.createWebviewPanel(DASHBOARD_VIEW_TYPE, 'Voice Draft: Training', vscode.ViewColumn.Active, options);
    }
    const nonce = newNonce();
    this.panel.webview.html = dashboardHtml({
      cspSource: this.panel.webview.cspSource,
      scriptUri: this.panel.webview.asWebviewUri(vscode.Uri.joinPath(bundle, 'dashboard.js')).toString(),
      styleUri: this.panel.webview.asWebviewUri(vscode.Uri.joinPath(bundle, 'dashboard.css')).toString(),
      nonce,
    });
    this.disposables.push(
      this.panel.onDidDispose(() => this.dispose()),
      this.panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)),
      deps.onDidChangeControls(() => { if (this.selected) void this.sendControls(this.selected); }),
      // A hidden webview is torn down (no retainContextWhenHidden): stop reading run folders for
      // it; when shown again it reloads and says `webview/ready`, and everything is sent afresh.
      this.panel.onDidChangeViewState(() => { if (!this.panel.visible) this.pause(); }),
    );
    this.watchRoot();
    this.disposables.push(vscode.workspace.onDidChangeConfiguration((e) => {
      if (!affects(e, 'runsFolder')) return;
      this.watchRoot();
      void this.refreshList();
    }));
  }

  private watchRoot(): void {
    this.stopRootWatch?.();
    this.stopRootWatch = watchDir(this.deps.runsRoot(), () => void this.refreshList());
  }

  reveal(runDir: string | undefined): void {
    this.panel.reveal();
    if (runDir && runDir !== this.selected) {
      this.known.add(runDir);
      this.select(runDir);
    }
    if (runDir) this.pinned = true;
  }

  private post(message: HostMessage): void {
    if (this.ready) void this.panel.webview.postMessage(message);
  }

  private onMessage(raw: unknown): void {
    const msg = parseWebviewMessage(raw);
    if (!msg) {
      this.deps.log.warn(`dashboard: ignored a malformed webview message ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    void this.handle(msg).catch((e: unknown) => {
      this.deps.log.error(`dashboard: ${msg.type} failed: ${String(e)}`);
      this.post({ type: 'host/notice', level: 'error', text: e instanceof Error ? e.message : String(e) });
    });
  }

  private async handle(msg: WebviewMessage): Promise<void> {
    const { actions } = this.deps;
    switch (msg.type) {
      case 'webview/ready':
        // Also after the webview was reloaded (hidden and shown): start over from the folders.
        this.ready = true;
        await this.sendList();
        await this.takeSaved();
        this.selected ??= this.newest;
        if (this.selected) this.follow('primary', this.selected);
        if (this.compare) this.follow('compare', this.compare);
        return;
      case 'run/select':
        if (!this.known.has(msg.dir)) return;
        this.pinned = true;
        this.select(msg.dir);
        return;
      case 'compare/select':
        if (msg.dir === null || !this.known.has(msg.dir)) {
          this.compare = null;
          this.feeds.get('compare')?.abort();
          this.post({ type: 'compare/cleared' });
        } else {
          this.compare = msg.dir;
          this.follow('compare', msg.dir);
        }
        return;
      case 'action/copy':
        await vscode.env.clipboard.writeText(msg.text);
        vscode.window.setStatusBarMessage('Voice Draft: sample copied', 2500);
        return;
      case 'action/openFolder':
        if (this.known.has(msg.dir)) await openFolder(msg.dir);
        return;
      case 'action/cancel':
        if (!this.known.has(msg.dir)) return;
        if (!(await actions.cancel(msg.dir))) this.post({ type: 'host/notice', level: 'info', text: 'No engine is training this run on this machine.' });
        return;
      case 'action/resume':
        // Resolves only when training ends; the feed shows its events meanwhile.
        if (this.known.has(msg.dir)) void this.guard(actions.resume(msg.dir), msg.dir);
        return;
      case 'action/export':
        if (this.known.has(msg.dir)) void this.guard(actions.exportVoice(msg.dir), msg.dir);
        return;
      case 'action/choose': {
        if (!this.known.has(msg.dir)) return;
        // Only a checkpoint the folder still keeps, and only when the controls allow it now.
        const [files, controls] = await Promise.all([readRunFiles(msg.dir), this.controls(msg.dir)]);
        if (!controls.choose || !files.checkpoints.some((name) => checkpointStep(name) === msg.step)) {
          this.post({ type: 'host/notice', level: 'info', text: `Step ${msg.step} cannot be made the voice now (not a kept checkpoint, or the run is busy).` });
          return;
        }
        void this.guard(actions.chooseVoice(msg.dir, msg.step), msg.dir);
        return;
      }
      case 'action/activate':
        if (this.known.has(msg.dir)) await this.guard(actions.activate(msg.dir), msg.dir);
        return;
      case 'action/evaluate':
        // The evaluator writes eval.json into the run folder; the file watch brings it here.
        if (this.known.has(msg.dir)) await vscode.commands.executeCommand(Commands.evaluateVoice, msg.dir);
        return;
      case 'selftest/start':
        if (this.known.has(msg.dir) && msg.dir === this.selected) this.post(await this.selfTest.start(msg.dir));
        return;
      case 'selftest/finish': {
        if (!this.known.has(msg.dir)) return;
        const result = await this.selfTest.finish(msg.dir, msg.session, msg.picks);
        if (result) this.post(result);
        else this.deps.log.warn(`dashboard: ignored self-test picks for a session that is not open (${msg.session})`);
        return;
      }
      default: {
        const never: never = msg;
        return never;
      }
    }
  }

  /** Runs a long action, reporting failure in the panel, and refreshes the controls after it. */
  private async guard(work: Promise<unknown>, dir: string): Promise<void> {
    try {
      await work;
    } catch (e) {
      this.post({ type: 'host/notice', level: 'error', text: e instanceof Error ? e.message : String(e) });
    } finally {
      await this.sendControls(dir);
    }
  }

  /** After a reload: the runs the panel showed, if the runs folder still lists them (a webview's state is untrusted input). */
  private async takeSaved(): Promise<void> {
    const saved = this.saved;
    this.saved = undefined;
    if (!saved) return;
    let took = false;
    if (saved.selected && this.known.has(saved.selected)) {
      this.selected = saved.selected;
      this.pinned = true;
      took = true;
    }
    if (saved.compare && saved.compare !== this.selected && this.known.has(saved.compare)) {
      this.compare = saved.compare;
      took = true;
    }
    if (took) await this.sendList(); // the picker shows the restored choice
  }

  private select(dir: string): void {
    if (dir !== this.selected) this.selfTest.drop();
    this.selected = dir;
    if (this.compare === dir) {
      this.compare = null;
      this.feeds.get('compare')?.abort();
      this.post({ type: 'compare/cleared' });
    }
    void this.sendList();
    this.follow('primary', dir);
  }

  /** The newest run under the runs folder at the last listing. */
  private newest: string | null = null;

  private async sendList(): Promise<void> {
    const root = this.deps.runsRoot();
    const runs = await listRuns(root);
    this.newest = runs[0]?.dir ?? null;
    // A run opened by path from outside the runs folder still belongs in the picker.
    if (this.selected && !runs.some((r) => r.dir === this.selected)) {
      const outside = await readRunSummary(this.selected).catch(() => undefined);
      if (outside) runs.unshift(outside);
    }
    for (const r of runs) this.known.add(r.dir);
    this.post({
      type: 'run/list',
      runsRoot: root,
      runs: runs.map((r) => ({ dir: r.dir, id: r.id, name: r.name, state: r.state, baseModel: r.baseModel })),
      selected: this.selected ?? this.newest,
      compare: this.compare,
    });
  }

  /** Runs appeared or went: relist, and move to a new newest run unless the writer chose one. */
  private async refreshList(): Promise<void> {
    await this.sendList();
    if (!this.pinned && this.newest && this.newest !== this.selected && this.ready) this.select(this.newest);
  }

  /** Stops every feed until the webview is ready again. */
  private pause(): void {
    this.ready = false;
    this.selfTest.drop(); // the reloaded webview has lost its session
    for (const f of this.feeds.values()) f.abort();
    this.feeds.clear();
  }

  private follow(role: Role, dir: string): void {
    this.feeds.get(role)?.abort();
    const stop = new AbortController();
    this.feeds.set(role, stop);
    const { log } = this.deps;
    void (async () => {
      // Controls first: the snapshot must reach the webview before any live event.
      const controls = await this.controls(dir);
      if (stop.signal.aborted) return;
      await watchRun(dir, {
        onSnapshot: (snapshot) => {
          this.post({ type: 'run/snapshot', role, snapshot, controls });
          if (role === 'primary') {
            this.evalSeen.set(dir, evalKey(snapshot.files.evaluation));
            void this.sendSelfTest(dir);
          }
        },
        onEvents: (events) => {
          this.post({ type: 'run/events', role, dir, events, lastEventMs: Date.now() });
          // A run that starts, resumes or ends changes what can be done with it.
          if (role === 'primary' && events.some((e) => isTerminal(e) || e.event === 'train.started')) {
            void this.sendControls(dir);
            void this.sendList();
          }
        },
        onFiles: (files) => {
          this.post({ type: 'run/files', role, dir, files });
          if (role === 'primary') void this.goneOr(dir, () => this.sendControls(dir));
          // A new evaluation brings new pairs (training's checkpoints change nothing here).
          if (role === 'primary' && this.evalSeen.get(dir) !== evalKey(files.evaluation)) {
            this.evalSeen.set(dir, evalKey(files.evaluation));
            void this.sendSelfTest(dir);
          }
        },
        onError: (e) => log.warn(`dashboard: reading ${dir} failed: ${String(e)}`),
      }, stop.signal);
    })().catch((e: unknown) => {
      log.error(`dashboard: following ${dir} failed: ${String(e)}`);
      this.post({ type: 'host/notice', level: 'error', text: `Could not read the run folder ${dir}: ${String(e)}` });
    });
  }

  private async sendSelfTest(dir: string): Promise<void> {
    try {
      this.post(await this.selfTest.status(dir));
    } catch (e) {
      this.deps.log.warn(`dashboard: reading the self-test of ${dir} failed: ${String(e)}`);
    }
  }

  private async sendControls(dir: string): Promise<void> {
    try {
      const controls = await this.controls(dir);
      this.post({ type: 'run/controls', dir, controls });
    } catch (e) {
      this.deps.log.warn(`dashboard: reading ${dir} failed: ${String(e)}`);
    }
  }

  /**
   * The shown run's folder went (deleted from Manage Voices, moved): its feed stops, the
   * writer is told, and the newest run is shown instead. Otherwise `then` runs.
   */
  private async goneOr(dir: string, then: () => Promise<void>): Promise<void> {
    if (await stat(dir).then(() => true, () => false)) return then();
    if (this.selected !== dir) return;
    this.feeds.get('primary')?.abort();
    this.feeds.delete('primary');
    this.known.delete(dir);
    this.selfTest.drop();
    this.selected = null;
    this.pinned = false;
    this.post({ type: 'host/notice', level: 'info', text: `The run folder ${dir} is gone (deleted or moved); showing the newest run.` });
    await this.sendList();
    if (this.newest && this.ready) this.select(this.newest);
  }

  private async controls(dir: string): Promise<RunControls> {
    const { actions } = this.deps;
    const [summary, files, local, remote] = await Promise.all([readRunSummary(dir), readRunFiles(dir), liveEngine(dir), isRemoteRun(dir)]);
    // A run on a remote host has no pid here; its follower re-attaches or reports a crash, so a
    // "running" remote run counts as alive (cancel goes over ssh).
    const alive = remote ? summary.state === 'running' : local !== undefined;
    const active = actions.activeVoice() === dir;
    const stopped = summary.state === 'cancelled' || summary.state === 'failed' || summary.state === 'running';
    return {
      engineAlive: alive,
      active,
      cancel: alive,
      // Resume continues from the newest checkpoint, so there must be one; "running" with no engine = crashed.
      resume: !alive && stopped && files.checkpoints.length > 0 && !actions.busy(),
      export: files.hasWeights && !alive,
      activate: files.hasVoice && !active,
      choose: !remote && !alive && summary.state === 'done' && files.checkpoints.length > 0 && !actions.busy(),
    };
  }

  dispose(): void {
    for (const f of this.feeds.values()) f.abort();
    this.feeds.clear();
    this.stopRootWatch?.();
    this.stopRootWatch = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
    this.onDispose();
  }
}

/** Which evaluation eval.json holds: its creation time and sample count (null: none). */
function evalKey(evaluation: unknown): string {
  if (typeof evaluation !== 'object' || evaluation === null) return 'none';
  const e = evaluation as { created?: unknown; samples?: unknown };
  return JSON.stringify([e.created ?? null, Array.isArray(e.samples) ? e.samples.length : 0]);
}

/**
 * Notices runs appearing or disappearing under the runs folder: its mtime moves when
 * an entry is added or removed. Stat polling also works before the folder exists.
 */
function watchDir(dir: string, onChange: () => void): () => void {
  const listener = (now: Stats, before: Stats) => { if (now.mtimeMs !== before.mtimeMs) onChange(); };
  watchFile(dir, { interval: 2000, persistent: false }, listener);
  return () => unwatchFile(dir, listener);
}

/** The OS file manager on a local desktop; elsewhere (remote, web) a new window on the folder. */
async function openFolder(dir: string): Promise<void> {
  const uri = vscode.Uri.file(dir);
  if (vscode.env.uiKind === vscode.UIKind.Desktop && !vscode.env.remoteName) {
    await vscode.commands.executeCommand('revealFileInOS', uri);
  } else {
    await vscode.commands.executeCommand('vscode.openFolder', uri, { forceNewWindow: true });
  }
}
