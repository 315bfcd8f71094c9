// activate(): build the services, register commands and providers, and push
// every registration into context.subscriptions so deactivation releases all.
import * as vscode from 'vscode';
import { Commands } from './features/commandIds';
import { registerNotYetAvailable } from './features/notYetAvailable';
import { VoiceStatusBar } from './features/statusBar';

export interface VoiceDraftApi {
  /** For integration tests: how many disposables activate() registered. */
  readonly registrations: number;
}

export function activate(context: vscode.ExtensionContext): VoiceDraftApi {
  const log = vscode.window.createOutputChannel('Voice Draft', { log: true });
  const status = new VoiceStatusBar();
  context.subscriptions.push(log, status);

  context.subscriptions.push(
    registerNotYetAvailable(Commands.trainVoice, 'Training a voice'),
    registerNotYetAvailable(Commands.rewriteSelection, 'Rewriting in your voice'),
    registerNotYetAvailable(Commands.showDashboard, 'The training dashboard'),
    registerNotYetAvailable(Commands.toggleInline, 'Inline continuation'),
    registerNotYetAvailable(Commands.evaluateVoice, 'Voice evaluation'),
    registerNotYetAvailable(Commands.setupEngine, 'Engine set-up'),
  );

  // A context key the walkthrough and the end-to-end tests wait on instead of sleeping.
  void vscode.commands.executeCommand('setContext', 'voiceDraft.activated', true);
  log.info(`Voice Draft ${String(context.extension.packageJSON.version)} activated`);
  return { registrations: context.subscriptions.length };
}

export function deactivate(): void {
  // Everything is in context.subscriptions; VS Code disposes it.
}
