// No cold start: when a markdown or text document gets focus, or the cursor comes to rest
// somewhere new (a click, a jump), the model's key/value cache is filled in the background
// for a suggestion there (CacheWarmer, CompletionService.warm), the way llama.vscode warms
// its server when a file opens. Typing cancels it; the worker runs it only when idle and
// stops it between chunks for any request, so it never holds up a suggestion.
import * as vscode from 'vscode';
import { inlineSettings } from '../config';
import { CacheWarmer } from '../inference/cacheWarmer';
import type { CompletionService } from '../inference/completionService';
import { ghostTextPlace } from './inlineProvider';

/** After a document gets focus: long enough to skip editors flicked through. */
const FOCUS_DELAY_MS = 150;
/** After the cursor moves without typing: a click or a jump, once it stays put. */
const REST_MS = 600;
/** A selection change this soon after an edit is the edit's own (typing moves the cursor). */
const EDIT_ECHO_MS = 50;

export function registerCacheWarmUp(completions: CompletionService, log: vscode.LogOutputChannel): vscode.Disposable {
  const warmer = new CacheWarmer({
    warm: async (place) => {
      const stats = await completions.warm(place);
      if (stats) log.trace(`cache warm-up: ${stats.computedTokens} tokens computed in ${stats.ms} ms, ${stats.cachedTokens} of ${stats.promptTokens} cached${stats.complete ? '' : ' (stopped)'}`);
    },
    cancel: () => completions.cancelWarm(),
  });
  let lastEdit = 0;
  const restAt = (editor: vscode.TextEditor | undefined, delayMs: number) => {
    if (!editor || !inlineSettings().warmUp) return;
    warmer.restAt(() => {
      // Read when the rest is over: the editor may have closed or moved on.
      if (vscode.window.activeTextEditor !== editor || !editor.selection.isEmpty) return undefined;
      return ghostTextPlace(editor.document, editor.selection.active);
    }, delayMs);
  };
  restAt(vscode.window.activeTextEditor, FOCUS_DELAY_MS);
  return vscode.Disposable.from(
    vscode.window.onDidChangeActiveTextEditor((editor) => restAt(editor, FOCUS_DELAY_MS)),
    vscode.window.onDidChangeTextEditorSelection((e) => {
      if (e.textEditor !== vscode.window.activeTextEditor || performance.now() - lastEdit < EDIT_ECHO_MS) return;
      restAt(e.textEditor, REST_MS);
    }),
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.contentChanges.length === 0 || e.document !== vscode.window.activeTextEditor?.document) return;
      lastEdit = performance.now();
      warmer.typed();
    }),
    { dispose: () => warmer.dispose() },
  );
}
