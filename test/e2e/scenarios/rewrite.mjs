// A writer selects a rough paragraph and rewrites it in their voice: the rewrite streams
// into a side-by-side preview; Accept replaces the selection, and one Undo brings the
// draft back.
import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { poll } from '../workbench.mjs';
import { linkModelIntoSandbox, missingModel, userSettings } from '../writingModel.mjs';

const EDITOR = '.editor-instance .monaco-editor';
const DRAFT = 'the walk to work is long but i like it because you see stuff like the baker and the canal and its nice.';
const clean = (s) => s.replace(/\u00a0/g, ' ');

export default {
  name: 'rewrite a selection: preview, Accept changes the document, Undo restores it',
  skip: () => missingModel(),
  async prepare({ workspace }) {
    linkModelIntoSandbox(workspace);
    // A short rewrite keeps the scenario quick on a busy 2-core machine.
    // One visual line per document line and no whitespace dots in the selection, so the
    // editor's rendered text reads back as the document's text.
    await userSettings(workspace, { 'voiceDraft.rewrite.maxTokens': 48, '[markdown]': { 'editor.wordWrap': 'off' }, 'editor.renderWhitespace': 'none' });
  },
  async run({ wb, page, workspace }) {
    writeFileSync(join(workspace, 'rough-draft.md'), `${DRAFT}\n`);
    await wb.openFile('rough-draft.md');
    await wb.waitForStatusBar(/^Voice/);
    await wb.selectAllInEditor();
    const editorText = async () => clean(await page.locator(`${EDITOR} .view-lines`).first().innerText()).trim();
    assert.equal(await editorText(), DRAFT);

    // The untuned default model sometimes answers only with chat ("I'd be happy to help…"):
    // the draft then stays as it is and the writer is told, and asks again, as a writer would.
    for (let attempt = 1; ; attempt++) {
      await wb.runCommand('Voice Draft: Rewrite Selection in My Voice');
      const said = await wb.waitForNotification(/the rewrite is ready|nothing usable came back/, { timeoutMs: 300_000 });
      if (/the rewrite is ready/.test(said)) break;
      assert.equal(await editorText(), DRAFT, 'nothing usable: the draft is unchanged');
      assert.ok(attempt < 4, `four rewrites in a row came back with nothing usable: ${said}`);
      await wb.clearNotifications();
      await wb.selectAllInEditor();
    }
    await page.locator('.monaco-diff-editor').first().waitFor({ timeout: 60_000 });
    await wb.screenshot('rewrite-preview');

    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'the rewrite is ready' });
    await toast.locator('.monaco-button', { hasText: 'Accept' }).click();
    await poll(async () => ((await page.locator('.monaco-diff-editor').count()) === 0 ? true : undefined), { what: 'the preview to close' });
    const rewritten = await poll(async () => {
      const t = await editorText();
      return t !== DRAFT && t !== '' ? t : undefined;
    }, { what: 'the document to hold the rewrite' });
    await wb.screenshot('rewrite-accepted');

    await page.locator(`${EDITOR} .view-lines`).first().click();
    await page.keyboard.press('Control+Z');
    await poll(async () => ((await editorText()) === DRAFT ? true : undefined), { what: `one Undo to restore the draft (now ${JSON.stringify(rewritten.slice(0, 80))})` });
    await wb.screenshot('rewrite-undone');
  },
};
