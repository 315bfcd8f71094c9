// "Import Writing…": the writer picks their archive (a Substack/Medium zip, a WordPress
// .xml, a Ghost .json, a .docx, an Obsidian vault or a folder), then where the markdown
// goes; the import runs with a cancellable progress notification and the summary opens
// beside them: what came in, what was cut, what could not be read.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ImportReport } from '../core/import/importWriting';
import { slug } from '../core/import/pieces';
import { ImportError } from '../core/import/types';
import { abortOnCancel } from './cancellation';
import { Commands } from './commandIds';

export function registerImportCommand(log: vscode.LogOutputChannel): vscode.Disposable {
  let busy = false;
  return vscode.commands.registerCommand(Commands.importWriting, async () => {
    if (busy) {
      void vscode.window.showInformationMessage('Voice Draft: an import is already running.');
      return;
    }
    busy = true;
    try {
      const input = await pickExport();
      if (!input) return;
      const out = await pickDestination(input);
      if (!out) return;
      await runImport(log, input, out, false);
    } finally {
      busy = false;
    }
  });
}

async function pickExport(): Promise<vscode.Uri | undefined> {
  const kind = await vscode.window.showQuickPick(
    [
      { label: '$(file-zip) An export file', detail: 'A Substack or Medium export .zip, a WordPress .xml, a Ghost .json, or a Word .docx', folders: false },
      { label: '$(folder) A folder', detail: 'An Obsidian vault, an export you unzipped, or a folder of .docx files', folders: true },
    ],
    { title: 'Voice Draft: Import Writing', placeHolder: 'Where is the writing you want to bring in?' },
  );
  if (!kind) return undefined;
  const picked = await vscode.window.showOpenDialog({
    canSelectFiles: !kind.folders,
    canSelectFolders: kind.folders,
    canSelectMany: false,
    openLabel: 'Import This',
    ...(kind.folders ? {} : { filters: { 'Exports': ['zip', 'xml', 'json', 'docx'], 'All files': ['*'] } }),
  });
  return picked?.[0];
}

async function pickDestination(input: vscode.Uri): Promise<vscode.Uri | undefined> {
  const workspace = vscode.workspace.workspaceFolders?.[0]?.uri;
  const name = slug(path.basename(input.fsPath).replace(/\.[^.]+$/, '')) || 'imported';
  const suggested = workspace ? vscode.Uri.joinPath(workspace, 'imported', name) : undefined;
  if (suggested) {
    const choice = await vscode.window.showQuickPick(
      [
        { label: `$(new-folder) imported/${name}`, detail: 'In this workspace, where Train Voice Adapter will find the essays', uri: suggested },
        { label: '$(folder-opened) Choose a folder…', detail: 'Anywhere else (the export itself stays as it is)', uri: undefined },
      ],
      { title: 'Voice Draft: Import Writing', placeHolder: 'Where should the markdown essays go?' },
    );
    if (!choice) return undefined;
    if (choice.uri) return choice.uri;
  }
  const picked = await vscode.window.showOpenDialog({ canSelectFiles: false, canSelectFolders: true, canSelectMany: false, openLabel: 'Import Into This Folder', ...(workspace ? { defaultUri: workspace } : {}) });
  return picked?.[0];
}

/** The importers and their parsers (HTML, XML, zip, Word) load on the first import, not when the extension starts. */
function importer(): typeof import('../core/import/importWriting') & typeof import('../core/import/summary') {
  return {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ...(require('../core/import/importWriting') as typeof import('../core/import/importWriting')),
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ...(require('../core/import/summary') as typeof import('../core/import/summary')),
  };
}

async function runImport(log: vscode.LogOutputChannel, input: vscode.Uri, out: vscode.Uri, includeDailyNotes: boolean): Promise<void> {
  const { importWriting, formatImportSummary } = importer();
  let report: ImportReport;
  try {
    report = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Voice Draft: importing your writing', cancellable: true },
      (progress, token) =>
        importWriting({ input: input.fsPath, out: out.fsPath, includeDailyNotes, signal: abortOnCancel(token), onProgress: (message) => progress.report({ message }) }),
    );
  } catch (e) {
    if (e instanceof ImportError) {
      void vscode.window.showErrorMessage(`Voice Draft: ${e.message}`, { modal: true });
      return;
    }
    if (e instanceof Error && e.name === 'AbortError') {
      void vscode.window.showInformationMessage('Voice Draft: import cancelled; nothing was written.');
      return;
    }
    log.error(`import failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    void vscode.window.showErrorMessage(`Voice Draft: the import failed (${e instanceof Error ? e.message : String(e)}). The export was not changed; details are in the Voice Draft log.`);
    return;
  }

  const summary = formatImportSummary(report, 50);
  log.info(summary);
  const written = report.changes.length;
  const dailyNotes = !includeDailyNotes && report.skipped.some((s) => /daily note|template/.test(s.reason));
  const message = written > 0
    ? `Voice Draft: ${written} ${written === 1 ? 'piece' : 'pieces'} from the ${report.formatLabel} in ${out.fsPath}${report.problems.length > 0 ? `; ${report.problems.length} could not be read (see the summary)` : ''}.`
    : `Voice Draft: nothing could be imported from ${input.fsPath}; the summary says why.`;
  const actions = ['Show Summary', ...(written > 0 ? ['Reveal Folder'] : []), ...(dailyNotes ? ['Import Daily Notes Too'] : [])];
  const pick = await (written > 0 && report.problems.length === 0 ? vscode.window.showInformationMessage(message, ...actions) : vscode.window.showWarningMessage(message, ...actions));
  if (pick === 'Show Summary') {
    const doc = await vscode.workspace.openTextDocument({ content: summary, language: 'plaintext' });
    await vscode.window.showTextDocument(doc, { preview: true });
  } else if (pick === 'Reveal Folder') {
    await vscode.commands.executeCommand('revealFileInOS', out);
  } else if (pick === 'Import Daily Notes Too') {
    await runImport(log, input, out, true);
  }
}
