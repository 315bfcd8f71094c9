// A writer types at the end of an essay: ghost text in their voice appears after a pause,
// and Tab accepts it into the document.
import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { poll } from '../workbench.mjs';
import { linkModelIntoSandbox, missingModel, userSettings } from '../writingModel.mjs';

const EDITOR = '.editor-instance .monaco-editor';
const GHOST = `${EDITOR} .ghost-text-decoration, ${EDITOR} .ghost-text-decoration-preview, ${EDITOR} .ghost-text`;
const clean = (s) => s.replace(/\u00a0/g, ' ');
const TYPED = 'The canal was grey that morning, and the';

export default {
  name: 'ghost text appears while typing in markdown and Tab accepts it',
  skip: () => missingModel(),
  async prepare({ workspace }) {
    linkModelIntoSandbox(workspace);
    // One visual line per document line, so the line read back is the whole line. Every
    // suggestion shown, however unsure (this checks showing and accepting, not staying quiet).
    await userSettings(workspace, { '[markdown]': { 'editor.wordWrap': 'off' }, 'voiceDraft.inline.minConfidence': 0 });
  },
  async run({ wb, page, workspace }) {
    // A file of its own: code-server saves what is typed, and a retry must start clean.
    const name = `ghost-${Date.now()}.md`;
    writeFileSync(join(workspace, name), readFileSync(join(workspace, 'on-walking-to-work.md'), 'utf8'));
    await wb.openFile(name);
    await wb.waitForStatusBar(/^Voice/);
    await page.locator(`${EDITOR} .view-lines`).first().click();
    await page.keyboard.press('Control+End');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');
    // Typed as a writer types: the provider is asked again after each key, and each
    // newer request cancels the one before it.
    await page.keyboard.type(TYPED, { delay: 60 });

    // The first suggestion waits for the model to load in the worker (seconds on a busy machine).
    const ghost = await poll(async () => {
      // The inline part (on the cursor's line); further lines of a suggestion are view zones.
      const parts = await page.locator(`${EDITOR} .ghost-text-decoration`).allInnerTexts();
      const text = clean(parts.join(''));
      return text.trim() ? text : undefined;
    }, { timeoutMs: 180_000, intervalMs: 250, what: 'ghost text to appear' });
    await wb.screenshot('ghost-text-shown');

    const typedLine = page.locator(`${EDITOR} .view-line`).filter({ hasText: TYPED }).first();
    await page.keyboard.press('Tab');
    await poll(async () => ((await page.locator(GHOST).count()) === 0 ? true : undefined), { what: 'ghost text to be accepted' });
    const line = clean(await typedLine.innerText()).trimEnd();
    assert.ok(line.startsWith(TYPED), `the typed text is still there: ${JSON.stringify(line)}`);
    assert.equal(line, (TYPED + ghost).trimEnd(), 'the line is what was typed plus the accepted suggestion');
    await wb.screenshot('ghost-text-accepted');
  },
};
