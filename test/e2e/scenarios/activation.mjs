// A writer opens an essay: Voice Draft is awake and its status bar item is there.
// (It may wake earlier: VS Code's own plain-text models fire onLanguage:plaintext at start-up.)
import * as assert from 'node:assert/strict';

export default {
  name: 'activates on a markdown file (status bar item appears)',
  async run({ wb }) {
    await wb.openFile('on-walking-to-work.md');
    const text = await wb.waitForStatusBar(/^Voice/);
    assert.equal(text, 'Voice Draft', 'a fresh profile has no active voice: the item should read "Voice Draft"');
  },
};
