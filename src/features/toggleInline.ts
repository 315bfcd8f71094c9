// "Toggle Inline Continuation": turns ghost text on or off everywhere (user setting).
import * as vscode from 'vscode';
import { inlineSettings, setInlineEnabled } from '../config';
import { Commands } from './commandIds';

export function registerToggleInline(onToggled: (enabled: boolean) => void): vscode.Disposable {
  return vscode.commands.registerCommand(Commands.toggleInline, async () => {
    const enabled = !inlineSettings().enabled;
    await setInlineEnabled(enabled);
    onToggled(enabled);
    void vscode.window.setStatusBarMessage(`Voice Draft: inline continuation ${enabled ? 'on' : 'off'}`, 3000);
  });
}
