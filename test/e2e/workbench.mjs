// User-level helpers over one code-server page: they act through the keyboard and the
// DOM a writer sees, and every wait polls for a real signal with a timeout.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const EDITOR = '.editor-instance .monaco-editor';
const PALETTE_INPUT = '.quick-input-widget input';
const PALETTE_ROWS = '.quick-input-list .monaco-list-row';
const TOASTS = '.notifications-toasts .notification-toast';

export class Workbench {
  /** @param {import('playwright-core').Page} page */
  constructor(page, { screenshotsDir, timeoutMs = 30_000 }) {
    this.page = page;
    this.screenshotsDir = screenshotsDir;
    this.timeoutMs = timeoutMs;
    page.setDefaultTimeout(timeoutMs);
  }

  /** Loads the workbench on the server's workspace and waits until it can take input. */
  async open(server, workspace) {
    await this.page.goto(`${server.url}?folder=${encodeURIComponent(workspace)}`);
    await this.waitForWorkbench();
  }

  async waitForWorkbench() {
    // The explorer lists the folder once the remote file system is connected.
    await this.page.locator('.monaco-workbench .part.statusbar').waitFor({ timeout: 90_000 });
    await this.page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 90_000 });
  }

  /** Opens a workspace file by name through Quick Open, and waits for its editor tab. */
  async openFile(name) {
    const base = name.split('/').pop();
    const input = await this.#quickInput('');
    await input.fill(name);
    const row = this.page.locator(PALETTE_ROWS, { hasText: base }).first();
    await row.waitFor();
    await expectFocused(row, name);
    await this.page.keyboard.press('Enter');
    await this.page.locator(`.tabs-container .tab.active[aria-label^="${base}"]`).waitFor();
    await this.page.locator(`${EDITOR} .view-lines`).first().waitFor();
  }

  /** Runs a command by its palette title ("Voice Draft: Evaluate Voice"): F1, type, Enter. */
  async runCommand(title) {
    const input = await this.#quickInput('>');
    await input.fill(`>${title}`);
    const row = this.page.locator(PALETTE_ROWS).filter({ has: this.page.locator('.label-name', { hasText: exactly(title) }) }).first();
    await row.waitFor();
    await expectFocused(row, title);
    await this.page.keyboard.press('Enter');
    await this.page.locator(PALETTE_INPUT).waitFor({ state: 'hidden' });
  }

  /** The palette titles matching `query` (the list is virtualised: keep queries narrow). */
  async paletteCommands(query) {
    const input = await this.#quickInput('>');
    await input.fill(`>${query}`);
    // The list fills asynchronously; it has settled when two reads a poll apart agree.
    let previous;
    const labels = await poll(async () => {
      const now = await this.page.locator(`${PALETTE_ROWS} .label-name`).allInnerTexts();
      const stable = previous !== undefined && now.length > 0 && now.join('\n') === previous.join('\n');
      previous = now;
      return stable ? now : undefined;
    }, { timeoutMs: this.timeoutMs, what: `palette results for "${query}"` }).catch(() => previous ?? []);
    await this.page.keyboard.press('Escape');
    return labels.map((l) => l.trim());
  }

  /** Waits for the Voice Draft status bar item to show `text` (string = substring, or RegExp). */
  async waitForStatusBar(text, { timeoutMs = 60_000 } = {}) {
    const item = this.statusBarItem('voice-draft.voice-draft.voiceDraft.status');
    const label = async () => ((await item.count()) ? (await item.innerText()).trim() : undefined);
    return poll(async () => {
      const now = await label();
      return now !== undefined && matches(now, text) ? now : undefined;
    }, { timeoutMs, what: `status bar item showing ${String(text)}`, seen: async () => `status bar ${JSON.stringify(await label())}, notifications ${JSON.stringify(await this.notifications())}` });
  }

  /** A status bar item by its id ("<publisher>.<name>.<item id>" for extensions). */
  statusBarItem(id) {
    return this.page.locator(`.statusbar-item[id="${id}"]`);
  }

  /** Messages of the notification toasts now on screen. */
  async notifications() {
    const texts = await this.page.locator(`${TOASTS} .notification-list-item-message`).allInnerTexts();
    return texts.map((t) => t.trim());
  }

  async waitForNotification(text, { timeoutMs = this.timeoutMs } = {}) {
    return poll(async () => (await this.notifications()).find((m) => matches(m, text)),
      { timeoutMs, what: `a notification saying ${String(text)}`, seen: async () => `notifications ${JSON.stringify(await this.notifications())}` });
  }

  /** Clears every notification and waits until no toast is left. */
  async clearNotifications() {
    if ((await this.page.locator(TOASTS).count()) === 0) return;
    await this.runCommand('Notifications: Clear All Notifications');
    await poll(async () => (await this.page.locator(TOASTS).count()) === 0 || undefined, { what: 'toasts to close' });
  }

  /** Selects the whole text of the active editor (puts the caret there first). */
  async selectAllInEditor() {
    await this.page.locator(`${EDITOR} .view-lines`).first().click();
    await this.page.keyboard.press('Control+A');
    await this.page.locator(`${EDITOR} .selected-text`).first().waitFor();
  }

  /** The content of the first webview panel (the iframe inside VS Code's webview iframe). */
  webviewFrame() {
    return this.page.frameLocator('iframe.webview').first().frameLocator('#active-frame');
  }

  async screenshot(name) {
    mkdirSync(this.screenshotsDir, { recursive: true });
    const path = join(this.screenshotsDir, `${name.replace(/[^\w.-]+/g, '-')}.png`);
    await this.page.screenshot({ path });
    return path;
  }

  async #quickInput(prefix) {
    const input = this.page.locator(PALETTE_INPUT);
    if (await input.isVisible()) await this.page.keyboard.press('Escape');
    await input.waitFor({ state: 'hidden' });
    // F1 opens the command palette; clearing its ">" turns it into Quick Open.
    await this.page.keyboard.press('F1');
    await input.waitFor();
    await input.fill(prefix);
    return input;
  }
}

/** Polls `probe` until it returns something other than undefined/false, or throws after the timeout. */
export async function poll(probe, { timeoutMs = 30_000, intervalMs = 150, what = 'a condition', seen } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (e) { lastError = e; }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  // What was on screen instead tells a timeout on a slow machine from a wrong state.
  const instead = seen ? await seen().catch(() => undefined) : undefined;
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${instead ? `; on screen: ${instead}` : ''}${lastError ? ` (last error: ${lastError.message})` : ''}`);
}

async function expectFocused(row, what) {
  // Enter acts on the focused row: make sure it is the one we want before pressing it.
  await poll(async () => (await row.getAttribute('class'))?.includes('focused') || undefined,
    { timeoutMs: 10_000, what: `"${what}" to be the focused palette row` });
}

const matches = (s, want) => (want instanceof RegExp ? want.test(s) : s.includes(want));
const exactly = (s) => new RegExp(`^\\s*${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
