// Commands whose feature has not landed answer honestly instead of faking a result.
import * as vscode from 'vscode';
import { notYetAvailable, notYetAvailableMessage } from './notYetAvailableList';

export function registerNotYetAvailable(id: string, what: string): vscode.Disposable {
  return vscode.commands.registerCommand(id, () => vscode.window.showInformationMessage(notYetAvailableMessage(what)));
}

/** Registers every command still listed in notYetAvailableList.ts. */
export function registerNotYetAvailableCommands(): vscode.Disposable[] {
  return Object.entries(notYetAvailable).map(([id, what]) => registerNotYetAvailable(id, what));
}
