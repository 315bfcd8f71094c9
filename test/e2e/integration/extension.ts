// The installed Voice Draft extension as the tests see it.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { VoiceDraftApi } from '../../../src/extension';

export const EXTENSION_ID = 'voice-draft.voice-draft';

export interface ContributedSetting { default?: unknown; scope?: string; type?: string | string[] }
export interface Manifest {
  main: string;
  activationEvents?: string[];
  contributes: {
    commands: { command: string; title: string; category?: string }[];
    configuration: { properties: Record<string, ContributedSetting> };
  };
}

export function voiceDraft(): vscode.Extension<VoiceDraftApi> {
  const ext = vscode.extensions.getExtension<VoiceDraftApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not installed in this VS Code`);
  return ext;
}

export function manifest(): Manifest {
  return voiceDraft().packageJSON as Manifest;
}

/** Opens a file of the fixture workspace in an editor. */
export async function openWorkspaceFile(relative: string): Promise<vscode.TextEditor> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'no workspace folder is open');
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, relative));
  return vscode.window.showTextDocument(doc);
}

export async function voiceDraftCommands(): Promise<string[]> {
  return (await vscode.commands.getCommands(true)).filter((c) => c.startsWith('voiceDraft.')).sort();
}
