// Wires the dashboard to the rest of the extension: its actions go to the
// training controller and the active-voice store, and *Show Training Dashboard*
// (also the status bar item's command) opens it, optionally on a given run; after a
// window reload the serializer brings it back.
import * as vscode from 'vscode';
import type { ActiveVoiceStore } from '../features/activeVoice';
import { Commands } from '../features/commandIds';
import type { TrainingController } from '../features/training/trainingController';
import { Dashboard } from './dashboardPanel';
import { DASHBOARD_VIEW_TYPE, readSavedDashboard } from './protocol';

export interface DashboardWiring {
  extensionUri: vscode.Uri;
  log: vscode.LogOutputChannel;
  runsRoot: () => string;
  training: TrainingController;
  voice: ActiveVoiceStore;
  /** Called after the writer activated a voice from the dashboard (status bar and the like). */
  onActivated: () => Promise<void>;
}

export function registerDashboard(w: DashboardWiring): vscode.Disposable[] {
  const dashboard = new Dashboard({
    extensionUri: w.extensionUri,
    runsRoot: w.runsRoot,
    log: w.log,
    onDidChangeControls: w.voice.onDidChange,
    actions: {
      cancel: (dir) => w.training.cancel(dir),
      resume: async (dir) => { await w.training.start(dir, true); },
      exportVoice: (dir) => w.training.exportAndActivate(dir),
      chooseVoice: (dir, step) => w.training.chooseAndExport(dir, step),
      activate: async (dir) => {
        await w.voice.set(dir);
        await w.onActivated();
      },
      activeVoice: () => w.voice.current(),
      busy: () => w.training.busy,
    },
  });
  // The argument is a run folder: a path from other commands, or a Uri from a menu.
  const command = vscode.commands.registerCommand(Commands.showDashboard, (run?: unknown) =>
    dashboard.show(run instanceof vscode.Uri ? run.fsPath : typeof run === 'string' && run ? run : undefined));
  // A window reload brings the dashboard back on the runs it showed (package.json's onWebviewPanel activation).
  const serializer = vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, {
    deserializeWebviewPanel: async (panel, state) => dashboard.restore(panel, readSavedDashboard(state)),
  });
  return [dashboard, command, serializer];
}
