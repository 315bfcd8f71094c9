// Commands whose feature has not landed answer honestly instead of faking a result.
import * as vscode from 'vscode';

export function registerNotYetAvailable(id: string, what: string): vscode.Disposable {
  return vscode.commands.registerCommand(id, () =>
    vscode.window.showInformationMessage(`Voice Draft: ${what} is not available yet in this version.`),
  );
}
