// Commands whose feature has not landed say so honestly when run from the palette. The list
// comes from src/features/notYetAvailableList.ts; when it is empty there is nothing to check.
import * as assert from 'node:assert/strict';
import { notYetAvailableCommands } from '../manifest.mjs';

export default {
  name: 'not-yet-available commands say so',
  async skip() {
    return (await notYetAvailableCommands()).length === 0 ? 'every command is available' : undefined;
  },
  async run({ wb }) {
    await wb.openFile('on-walking-to-work.md');
    await wb.waitForStatusBar(/^Voice/);
    await wb.selectAllInEditor(); // Rewrite Selection is only offered with a selection
    for (const { id, title, message } of await notYetAvailableCommands()) {
      assert.ok(title, `${id} is not contributed in package.json`);
      await wb.runCommand(title);
      const shown = await wb.waitForNotification(message);
      assert.equal(shown, message);
      await wb.clearNotifications();
    }
  },
};
