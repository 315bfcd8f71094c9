// activate(): build the services, register commands and providers, and push
// every registration into context.subscriptions so deactivation releases all.
import * as vscode from 'vscode';
import { readRunSummary, runsRoot } from './core/runs/runFolder';
import { runsFolderSetting } from './config';
import { ActiveVoiceStore } from './features/activeVoice';
import { Commands } from './features/commandIds';
import { EngineService } from './features/engineSetup';
import { registerEvaluateCommand } from './features/evaluateCommand';
import { registerImportCommand } from './features/importCommand';
import { registerNotYetAvailableCommands } from './features/notYetAvailable';
import { VoiceStatusBar } from './features/statusBar';
import { TrainingController } from './features/training/trainingController';
import { manageRuns } from './features/training/runsPicker';
import { trainVoice } from './features/training/trainCommand';
import { registerWriting } from './features/writing';
import { registerDashboard } from './webviews/registerDashboard';

export interface VoiceDraftApi {
  /** For integration tests: how many disposables activate() registered. */
  readonly registrations: number;
}

export function activate(context: vscode.ExtensionContext): VoiceDraftApi {
  subscriptions = context.subscriptions;
  const log = vscode.window.createOutputChannel('Voice Draft', { log: true });
  const status = new VoiceStatusBar();
  const voice = new ActiveVoiceStore(context.globalState);
  const engine = new EngineService(log);
  const root = () => runsRoot(runsFolderSetting());
  const training = new TrainingController({ engine, status, voice, log, runsRoot: root });
  context.subscriptions.push(log, status, voice);

  context.subscriptions.push(
    vscode.commands.registerCommand(Commands.setupEngine, () => engine.setup()),
    vscode.commands.registerCommand(Commands.trainVoice, () => trainVoice({ engine, training, status, log, runsRoot: root })),
    vscode.commands.registerCommand(Commands.manageVoices, () => manageRuns(root(), voice, status)),
    vscode.commands.registerCommand(Commands.deleteRemoteCopy, (runDir?: string) => training.deleteRemoteCopy(typeof runDir === 'string' ? runDir : undefined)),
    registerEvaluateCommand({ engine, voice, log, runsRoot: root }),
    registerImportCommand(log),
    ...registerWriting({ extensionPath: context.extensionPath, voice, log }),
    ...registerDashboard({ extensionUri: context.extensionUri, log, runsRoot: root, training, voice, onActivated: () => showActiveVoice(voice, status) }),
  );

  // Commands whose feature has not landed yet (listed in features/notYetAvailableList.ts).
  context.subscriptions.push(...registerNotYetAvailableCommands());

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

let subscriptions: { dispose(): unknown }[] = [];

export function deactivate(): void {
  // VS Code disposes context.subscriptions after this returns; releasing them here (newest
  // first, each once) lets the integration tests check that nothing outlives deactivation.
  for (const d of subscriptions.splice(0).reverse()) d.dispose();
}
