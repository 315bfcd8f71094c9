// activate(): build the services, register commands and providers, and push
// every registration into context.subscriptions so deactivation releases all.
import * as vscode from 'vscode';
import { readRunSummary, runsRoot } from './core/runs/runFolder';
import { runsFolderSetting } from './config';
import { ActiveVoiceStore } from './features/activeVoice';
import { Commands } from './features/commandIds';
import { EngineService } from './features/engineSetup';
import { registerNotYetAvailable } from './features/notYetAvailable';
import { VoiceStatusBar } from './features/statusBar';
import { TrainingController } from './features/training/trainingController';
import { manageRuns } from './features/training/runsPicker';

export interface VoiceDraftApi {
  /** For integration tests: how many disposables activate() registered. */
  readonly registrations: number;
}

export function activate(context: vscode.ExtensionContext): VoiceDraftApi {
  const log = vscode.window.createOutputChannel('Voice Draft', { log: true });
  const status = new VoiceStatusBar();
  const voice = new ActiveVoiceStore(context.globalState);
  const engine = new EngineService(log);
  const root = () => runsRoot(runsFolderSetting());
  const training = new TrainingController({ engine, status, voice, log, runsRoot: root });
  context.subscriptions.push(log, status, voice);

  context.subscriptions.push(
    vscode.commands.registerCommand(Commands.setupEngine, () => engine.setup()),
    vscode.commands.registerCommand(Commands.manageVoices, () => manageRuns(root(), voice, status)),
  );

  context.subscriptions.push(
    registerNotYetAvailable(Commands.trainVoice, 'Training a voice'),
    registerNotYetAvailable(Commands.rewriteSelection, 'Rewriting in your voice'),
    registerNotYetAvailable(Commands.showDashboard, 'The training dashboard'),
    registerNotYetAvailable(Commands.toggleInline, 'Inline continuation'),
    registerNotYetAvailable(Commands.evaluateVoice, 'Voice evaluation'),
  );

  void showActiveVoice(voice, status);
  // A window reloaded mid-training re-attaches to the engine (or reports that it died).
  void training.recover().catch((e: unknown) => log.error(`recovering runs failed: ${String(e)}`));

  // A context key the walkthrough and the end-to-end tests wait on instead of sleeping.
  void vscode.commands.executeCommand('setContext', 'voiceDraft.activated', true);
  log.info(`Voice Draft ${String(context.extension.packageJSON.version)} activated`);
  return { registrations: context.subscriptions.length };
}

async function showActiveVoice(voice: ActiveVoiceStore, status: VoiceStatusBar): Promise<void> {
  const dir = voice.current();
  if (dir) status.show({ kind: 'active', voice: (await readRunSummary(dir).catch(() => undefined))?.name ?? dir });
}

export function deactivate(): void {
  // Everything is in context.subscriptions; VS Code disposes it.
}
