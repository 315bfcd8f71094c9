// "Rewrite Selection in My Voice": the selection is rewritten (paragraph by paragraph,
// with progress and cancel) into a virtual document shown side by side with the draft
// in a diff editor, filling in as tokens arrive. Accept replaces the selection with one
// WorkspaceEdit (one Undo restores the draft); Reject leaves the document alone. Both
// are offered in a notification and as buttons in the diff editor's title bar.
// The preview shows the rewritten passage only (the model's preamble and commentary are
// cut in src/inference); beside each paragraph it says what was cut and, in the warning
// colour, why its meaning may have changed ("drops the number 1911"), with the dropped
// words underlined on the draft's side. The notification sums it up; when nothing usable
// came back the preview closes and the writer is told that the draft stays as it is.
// With several rewrites per paragraph (voiceDraft.rewrite.candidates), the preview shows the
// one that sounds most like the writer; Choose Another Rewrite (title bar, notification)
// lists them all with their voice scores and flags, and the preview follows the pick.
import * as vscode from 'vscode';
import { nothingUsable, paragraphNotes, rewriteLines, rewriteSummary } from '../inference/rewriteReport';
import { chooseCandidate, type ParagraphReport, type RewriteResult, type RewriteService } from '../inference/rewriteService';
import { NoModelError } from '../inference/modelLocator';
import { isAbortError } from '../inference/workerHost';
import { abortOnCancel } from './cancellation';
import { Commands } from './commandIds';

export const REWRITE_SCHEME = 'voice-draft-rewrite';
const PREVIEW_CONTEXT = 'voiceDraft.rewritePreviewOpen';
/** Redraw the preview at most this often while tokens stream in. */
const REDRAW_MS = 120;

interface Pending {
  document: vscode.TextDocument;
  range: vscode.Range;
  original: string;
  draftUri: vscode.Uri;
  rewriteUri: vscode.Uri;
  /** Set when the rewrite has finished. */
  rewritten?: string;
  /** The finished rewrite's reports, for the notes beside the preview. */
  result?: RewriteResult;
}

/** The two sides of the preview, as virtual read-only documents. */
class PreviewDocuments implements vscode.TextDocumentContentProvider {
  private readonly contents = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? '';
  }

  set(uri: vscode.Uri, text: string): void {
    this.contents.set(uri.toString(), text);
    this.changed.fire(uri);
  }

  delete(uri: vscode.Uri): void {
    this.contents.delete(uri.toString());
  }

  dispose(): void {
    this.changed.dispose();
  }
}

export interface RewriteDeps {
  rewrites: RewriteService;
  log: vscode.LogOutputChannel;
}

/** The notes beside the preview: flags in the warning colour, cuts and kept drafts quieter, dropped words underlined in the draft. */
class PreviewNotes implements vscode.Disposable {
  private readonly warn = vscode.window.createTextEditorDecorationType({
    overviewRulerColor: new vscode.ThemeColor('editorWarning.foreground'),
    overviewRulerLane: vscode.OverviewRulerLane.Right,
    after: { color: new vscode.ThemeColor('editorWarning.foreground'), margin: '0 0 0 1.5em', fontStyle: 'italic' },
  });
  private readonly info = vscode.window.createTextEditorDecorationType({
    after: { color: new vscode.ThemeColor('descriptionForeground'), margin: '0 0 0 1.5em', fontStyle: 'italic' },
  });
  private readonly lost = vscode.window.createTextEditorDecorationType({
    textDecoration: 'underline wavy',
    color: new vscode.ThemeColor('editorWarning.foreground'),
    overviewRulerColor: new vscode.ThemeColor('editorWarning.foreground'),
    overviewRulerLane: vscode.OverviewRulerLane.Left,
  });

  /** Puts the notes on whichever of the preview's editors are visible and show the finished texts. */
  show(p: Pending): void {
    const result = p.result;
    if (!result || p.rewritten === undefined) return;
    for (const editor of vscode.window.visibleTextEditors) {
      const uri = editor.document.uri.toString();
      if (uri === p.rewriteUri.toString() && editor.document.getText() === p.rewritten) this.onRewrite(editor, result);
      else if (uri === p.draftUri.toString() && editor.document.getText() === p.original) this.onDraft(editor, result);
    }
  }

  private onRewrite(editor: vscode.TextEditor, result: RewriteResult): void {
    const warn: vscode.DecorationOptions[] = [];
    const info: vscode.DecorationOptions[] = [];
    const doc = editor.document;
    for (const r of result.reports) {
      const n = paragraphNotes(r, result.paragraphs);
      const end = doc.positionAt(r.end);
      const at = new vscode.Range(end, end);
      const hover = new vscode.MarkdownString();
      hover.appendMarkdown(`**Voice Draft — ${n.name}**\n\n`);
      const lines = [
        ...(n.kept ? [n.kept] : []),
        ...(n.choice ? [`${n.choice[0]!.toUpperCase()}${n.choice.slice(1)} — Voice Draft: Choose Another Rewrite.`] : []),
        ...(n.score ? [`${n.score[0]!.toUpperCase()}${n.score.slice(1)}.`] : []),
        ...n.flags.map((f) => `⚠ ${f}`),
        ...n.removed.map((line) => `✂ cut ${line}`),
      ];
      for (const line of lines) {
        hover.appendText(line);
        hover.appendMarkdown('\n\n');
      }
      const range = new vscode.Range(doc.positionAt(r.start), end);
      if (n.flags.length > 0) {
        warn.push({ range: at, hoverMessage: hover, renderOptions: { after: { contentText: `⚠ ${n.flags.join('; ')}` } } });
        if (!range.isEmpty) warn.push({ range, hoverMessage: hover });
      } else if (n.kept || n.removed.length > 0 || n.choice) {
        const text = n.kept ? 'kept as drafted: nothing usable came back'
          : [n.choice ? `↻ ${r.chosen + 1} of ${r.candidates.length}` : '', n.removed.length > 0 ? `✂ cut ${n.removed.map((x) => x.replace(/:.*$/s, '')).join(', ')}` : '']
            .filter(Boolean).join(' · ');
        info.push({ range: at, hoverMessage: hover, renderOptions: { after: { contentText: text } } });
      }
    }
    editor.setDecorations(this.warn, warn);
    editor.setDecorations(this.info, info);
  }

  private onDraft(editor: vscode.TextEditor, result: RewriteResult): void {
    const doc = editor.document;
    const lost: vscode.DecorationOptions[] = result.reports.flatMap((r) => (r.content?.lost ?? []).map((item) => ({
      range: new vscode.Range(doc.positionAt(r.draftStart + item.start), doc.positionAt(r.draftStart + item.end)),
      hoverMessage: `The rewrite drops this ${item.kind}.`,
    })));
    editor.setDecorations(this.lost, lost);
  }

  dispose(): void {
    this.warn.dispose();
    this.info.dispose();
    this.lost.dispose();
  }
}

export function registerRewriteCommands(deps: RewriteDeps): vscode.Disposable[] {
  const docs = new PreviewDocuments();
  const notes = new PreviewNotes();
  let pending: Pending | undefined;
  let busy = false;
  let serial = 0;
  const redrawNotes = () => { if (pending) notes.show(pending); };

  const closePreview = async (p: Pending) => {
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) =>
      t.input instanceof vscode.TabInputTextDiff && t.input.modified.toString() === p.rewriteUri.toString());
    if (tabs.length > 0) await vscode.window.tabGroups.close(tabs);
    docs.delete(p.draftUri);
    docs.delete(p.rewriteUri);
    if (pending === p) {
      pending = undefined;
      await vscode.commands.executeCommand('setContext', PREVIEW_CONTEXT, false);
    }
  };

  const accept = async (p: Pending | undefined = pending): Promise<boolean> => {
    if (!p || p !== pending || p.rewritten === undefined) return false;
    const range = currentRange(p);
    if (!range) {
      void vscode.window.showWarningMessage('Voice Draft: the drafted text changed since the rewrite started; the rewrite was not applied.');
      await closePreview(p);
      return false;
    }
    const edit = new vscode.WorkspaceEdit();
    edit.replace(p.document.uri, range, p.rewritten);
    // One WorkspaceEdit is one step on the undo stack: Undo brings the whole draft back.
    const ok = await vscode.workspace.applyEdit(edit);
    await closePreview(p);
    if (ok) {
      const editor = await vscode.window.showTextDocument(p.document, { preserveFocus: false });
      const start = range.start;
      const end = p.document.positionAt(p.document.offsetAt(start) + p.rewritten.length);
      editor.selection = new vscode.Selection(start, end);
    } else void vscode.window.showErrorMessage('Voice Draft: the rewrite could not be applied.');
    return ok;
  };

  const reject = async (p: Pending | undefined = pending): Promise<void> => {
    if (p && p === pending) await closePreview(p);
  };

  /** The writer picks another of a paragraph's rewrites; the preview and its notes follow. */
  const choose = async (p: Pending | undefined = pending): Promise<void> => {
    if (!p || p !== pending || !p.result) {
      void vscode.window.showInformationMessage('Voice Draft: open a rewrite preview first (Rewrite Selection in My Voice).');
      return;
    }
    const several = p.result.reports.filter((r) => r.candidates.length > 1);
    if (several.length === 0) {
      void vscode.window.showInformationMessage('Voice Draft: each paragraph has one rewrite. For several to choose from, set voiceDraft.rewrite.candidates to 2 or more (with a temperature above 0).');
      return;
    }
    const report = several.length === 1 ? several[0] : (await vscode.window.showQuickPick(
      several.map((r) => ({ label: `Paragraph ${r.index + 1}`, description: excerpt(p.result!.text.slice(r.start, r.end)), report: r })),
      { title: 'Voice Draft: which paragraph?' }))?.report;
    if (!report) return;
    const picked = await vscode.window.showQuickPick(candidateItems(report), {
      title: `Voice Draft: rewrites of ${p.result.paragraphs === 1 ? 'the paragraph' : `paragraph ${report.index + 1}`}, the one most like you first`,
      matchOnDetail: true,
    });
    if (!picked || picked.pick === report.chosen || p !== pending || !p.result) return;
    p.result = chooseCandidate(p.result, report.index, picked.pick);
    p.rewritten = p.result.text;
    docs.set(p.rewriteUri, p.rewritten);
    notes.show(p);
  };

  const run = async () => {
    const editor = vscode.window.activeTextEditor;
    if (!editor || editor.selection.isEmpty) {
      void vscode.window.showInformationMessage('Voice Draft: select the draft text to rewrite first.');
      return;
    }
    if (busy) {
      void vscode.window.showInformationMessage('Voice Draft: a rewrite is already running.');
      return;
    }
    busy = true;
    try {
      if (pending) await reject(pending);
      const document = editor.document;
      const range = new vscode.Range(editor.selection.start, editor.selection.end);
      const original = document.getText(range);
      const n = ++serial;
      const ext = document.languageId === 'markdown' ? 'md' : 'txt';
      const p: Pending = {
        document, range, original,
        draftUri: vscode.Uri.from({ scheme: REWRITE_SCHEME, path: `/draft-${n}.${ext}` }),
        rewriteUri: vscode.Uri.from({ scheme: REWRITE_SCHEME, path: `/rewritten-${n}.${ext}` }),
      };
      pending = p;
      docs.set(p.draftUri, original);
      docs.set(p.rewriteUri, original);
      await vscode.commands.executeCommand('setContext', PREVIEW_CONTEXT, true);
      await vscode.commands.executeCommand('vscode.diff', p.draftUri, p.rewriteUri, 'Draft ↔ In your voice (preview)',
        { viewColumn: vscode.ViewColumn.Beside, preview: true, preserveFocus: true });

      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'Voice Draft: rewriting in your voice', cancellable: true },
        async (progress, token) => {
          let lastDraw = 0;
          let reported = 0;
          return deps.rewrites.rewrite(original, {
            title: documentTitle(document.getText()),
            signal: abortOnCancel(token),
            onProgress: ({ done, total, text }) => {
              if (total > 0 && done > reported) {
                progress.report({ increment: ((done - reported) / total) * 100, message: `${done} of ${total} paragraphs` });
                reported = done;
              } else if (reported === 0 && done === 0) progress.report({ message: `paragraph 1 of ${total}` });
              const now = Date.now();
              if (now - lastDraw >= REDRAW_MS || done === total) {
                lastDraw = now;
                docs.set(p.rewriteUri, text);
              }
            },
          });
        },
      );
      deps.log.info(`rewrote ${result.paragraphs} paragraphs (${result.unchanged} kept as drafted)`);
      for (const line of rewriteLines(result)) deps.log.info(`  ${line}`);
      for (const r of result.reports) {
        // What the model wrote as it came: in the log at once when nothing of it was used, else on trace.
        const line = `  paragraph ${r.index + 1}: the model wrote (${r.stoppedBy}, ${r.attempts} ${r.attempts === 1 ? 'try' : 'tries'}): ${JSON.stringify(r.output)}`;
        if (r.keptDraft) deps.log.info(line);
        else deps.log.trace(line);
      }
      if (nothingUsable(result)) {
        await closePreview(p);
        const choice = await vscode.window.showWarningMessage(
          'Voice Draft: nothing usable came back — the model answered with a chat preamble or commentary instead of a rewrite. Your draft is unchanged.',
          'Show What It Wrote',
        );
        if (choice === 'Show What It Wrote') deps.log.show(true);
        return;
      }
      p.rewritten = result.text;
      p.result = result;
      docs.set(p.rewriteUri, result.text);
      notes.show(p);
      const summary = rewriteSummary(result);
      // The title-bar buttons may answer meanwhile; then `pending` has moved on and the answer here does nothing.
      for (;;) {
        const message = `Voice Draft: the rewrite is ready${summary ? ` — ${summary}` : ''}.`;
        const canChoose = p.result.reports.some((r) => r.candidates.length > 1);
        const buttons = ['Accept', 'Reject', ...(canChoose ? ['Choose Another'] : []), ...(summary ? ['Details'] : [])];
        const choice = flaggedOrKept(result)
          ? await vscode.window.showWarningMessage(message, ...buttons)
          : await vscode.window.showInformationMessage(message, ...buttons);
        if (choice === 'Accept') await accept(p);
        else if (choice === 'Reject') await reject(p);
        else if (choice === 'Details' && pending === p) {
          deps.log.show(true);
          continue;
        } else if (choice === 'Choose Another' && pending === p) {
          await choose(p);
          continue;
        }
        break;
      }
    } catch (e) {
      if (pending) await closePreview(pending);
      if (isAbortError(e)) void vscode.window.showInformationMessage('Voice Draft: rewrite cancelled; the draft is unchanged.');
      else if (e instanceof NoModelError) void vscode.window.showWarningMessage(`Voice Draft: ${e.message}`);
      else {
        deps.log.error(`rewrite failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
        void vscode.window.showErrorMessage(`Voice Draft: the rewrite failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    } finally {
      busy = false;
    }
  };

  return [
    docs,
    notes,
    // The preview's editors come and go (tabs, layout) and fill in after the content changes: put the notes back each time.
    vscode.window.onDidChangeVisibleTextEditors(redrawNotes),
    vscode.workspace.onDidChangeTextDocument((e) => { if (e.document.uri.scheme === REWRITE_SCHEME) redrawNotes(); }),
    vscode.workspace.registerTextDocumentContentProvider(REWRITE_SCHEME, docs),
    vscode.commands.registerCommand(Commands.rewriteSelection, run),
    vscode.commands.registerCommand(Commands.acceptRewrite, () => accept()),
    vscode.commands.registerCommand(Commands.rejectRewrite, () => reject()),
    vscode.commands.registerCommand(Commands.chooseRewrite, () => choose()),
  ];
}

/** A paragraph's rewrites for the picker: rank, voice score, flags, the text. */
function candidateItems(report: ParagraphReport): Array<vscode.QuickPickItem & { pick: number }> {
  return report.candidates.map((c, k) => ({
    label: `${k === report.chosen ? '$(check) ' : ''}${k + 1}.${c.voice !== undefined ? ` ${Math.round(c.voice * 100)}% like you` : ''}`,
    description: c.content.flags.length > 0 ? `⚠ ${c.content.flags.join('; ')}` : `keeps ${Math.round(c.content.recall * 100)}% of the draft's content words`,
    detail: c.text,
    pick: k,
  }));
}

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 80 ? `${flat.slice(0, 79)}…` : flat;
}

/** Something in the result asks the writer to look: a flagged paragraph, or one kept as drafted. */
function flaggedOrKept(result: RewriteResult): boolean {
  return result.unchanged > 0 || result.reports.some((r) => (r.content?.flags.length ?? 0) > 0);
}

/** Where the drafted text is now: its original range, or (edits elsewhere moved it) its only occurrence. */
function currentRange(p: Pending): vscode.Range | undefined {
  if (p.document.isClosed) return undefined;
  if (p.document.getText(p.range) === p.original) return p.range;
  const text = p.document.getText();
  const at = text.indexOf(p.original);
  if (at < 0 || text.indexOf(p.original, at + 1) >= 0) return undefined;
  return new vscode.Range(p.document.positionAt(at), p.document.positionAt(at + p.original.length));
}

/** The essay's title, for the T1 instruction: front matter `title:`, else the first `# ` heading. */
export function documentTitle(text: string): string | undefined {
  const fm = /^---\r?\n([\s\S]*?)\r?\n---/.exec(text);
  const fromFm = fm ? /^title:\s*["']?(.+?)["']?\s*$/m.exec(fm[1] ?? '')?.[1] : undefined;
  return fromFm ?? /^#\s+(.+?)\s*#*\s*$/m.exec(text)?.[1];
}
