// The training dashboard survives a window reload (issue #24): VS Code brings the panel back
// through the extension's webview serializer (onWebviewPanel activation), on the run the
// writer had picked, not merely the newest. Two copies of the recorded run: the writer picks
// the older one, reloads the window, and finds the dashboard showing it without asking again.
import * as assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { repoRoot } from '../harness.mjs';
import { poll } from '../workbench.mjs';

const fixture = join(repoRoot, 'test', 'fixtures', 'runs', 'tiny-bierce');
const PICKED = 'reload-a-picked';
const NEWEST = 'reload-z-newest';

export default {
  name: 'training dashboard comes back after a window reload, on the run the writer picked',
  skip() {
    return existsSync(join(fixture, 'events.jsonl')) ? undefined : 'no recorded run in test/fixtures/runs/tiny-bierce yet';
  },
  async run({ wb, page, workspace }) {
    await wb.openFile('on-walking-to-work.md');
    await wb.waitForStatusBar(/^Voice/);
    // code-server runs with HOME = the sandbox's home (harness createSandbox).
    const runs = join(dirname(workspace), 'home', '.voice-draft', 'runs');
    mkdirSync(runs, { recursive: true });
    const picked = join(runs, PICKED);
    const newest = join(runs, NEWEST);
    for (const dir of [picked, newest]) {
      rmSync(dir, { recursive: true, force: true });
      cpSync(fixture, dir, { recursive: true });
    }
    try {
      await wb.runCommand('Voice Draft: Show Training Dashboard');
      let frame = wb.webviewFrame();
      await frame.locator('#run-picker').waitFor();
      const title = () => wb.webviewFrame().locator('.run-header h1');
      await frame.locator('#run-picker').evaluate((el, dir) => { el.value = dir; el.dispatchEvent(new el.ownerDocument.defaultView.Event('change')); }, picked);
      await poll(async () => (await title().innerText()).trim() === PICKED || undefined, { what: `the dashboard to show ${PICKED}` });

      // As a writer reloads: VS Code's own command, which saves the window's state (the open
      // panel and the webview's saved state) on the way out; a bare page reload may not.
      await wb.runCommand('Developer: Reload Window');
      await page.waitForLoadState('domcontentloaded');
      await wb.waitForWorkbench();
      // No command this time: the restored panel is the extension's own (deserializeWebviewPanel).
      frame = wb.webviewFrame();
      await frame.locator('#run-picker').waitFor({ timeout: 90_000 });
      await poll(async () => (await title().innerText()).trim() || undefined, { what: 'the restored dashboard to show a run' });
      assert.equal((await title().innerText()).trim(), PICKED, 'the run the writer picked, not the newest');
      assert.equal(await frame.locator('#run-picker').evaluate((el) => el.value), picked, 'the picker shows it too');
      await wb.screenshot('dashboard-after-reload');
    } finally {
      for (const dir of [picked, newest]) rmSync(dir, { recursive: true, force: true });
    }
  },
};
