// VS Code cancellation tokens become AbortSignals, which everything below the editor speaks.
import type * as vscode from 'vscode';

export function abortOnCancel(token: vscode.CancellationToken): AbortSignal {
  const controller = new AbortController();
  if (token.isCancellationRequested) controller.abort();
  else token.onCancellationRequested(() => controller.abort());
  return controller.signal;
}
