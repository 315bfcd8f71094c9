// "Continue Paragraph": a longer continuation in your voice, to the end of the
// paragraph, inserted at the cursor as one edit (one Undo takes it back).
import * as vscode from 'vscode';
import { inferenceSettings } from '../config';
import { AFTER_CHARS, type CompletionService } from '../inference/completionService';
import { regionAt } from '../inference/markdownContext';
import { isAbortError } from '../inference/workerHost';
import { abortOnCancel } from './cancellation';
import { Commands } from './commandIds';

export function registerContinueParagraph(completions: CompletionService, log: vscode.LogOutputChannel): vscode.Disposable {
  let busy = false;
  return vscode.commands.registerCommand(Commands.continueParagraph, async () => {
    const editor = vscode.window.activeTextEditor;
    if (!editor) return;
    if (busy) {
      void vscode.window.showInformationMessage('Voice Draft: already continuing a paragraph.');
      return;
    }
    const document = editor.document;
    const position = editor.selection.active;
    const text = document.getText();
    const offset = document.offsetAt(position);
    if (document.languageId === 'markdown' && regionAt(text, offset) !== 'prose') {
      void vscode.window.showInformationMessage('Voice Draft: put the cursor in a paragraph of prose (not in front matter or code) to continue it.');
      return;
    }
    busy = true;
    try {
      const version = document.version;
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'Voice Draft: continuing in your voice…', cancellable: true },
        (_progress, token) => completions.continueParagraph(
          { before: text.slice(0, offset), after: text.slice(offset, offset + AFTER_CHARS), plainText: document.languageId !== 'markdown' },
          inferenceSettings().continueMaxTokens,
          abortOnCancel(token),
        ),
      );
      if (result.text === '') {
        void vscode.window.showInformationMessage('Voice Draft: the model had nothing to add here.');
        return;
      }
      if (document.version !== version) {
        void vscode.window.showWarningMessage('Voice Draft: the document changed while the continuation was written; nothing was inserted.');
        return;
      }
      // One edit, so one Undo removes the whole continuation.
      const ok = await editor.edit((b) => b.insert(position, result.text));
      if (!ok) void vscode.window.showWarningMessage('Voice Draft: the continuation could not be inserted.');
      log.info(`continued a paragraph: ${result.stats?.newTokens ?? 0} tokens in ${result.ms.toFixed(0)} ms (${result.reason})`);
    } catch (e) {
      if (isAbortError(e)) return;
      void vscode.window.showErrorMessage(`Voice Draft: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      busy = false;
    }
  });
}
