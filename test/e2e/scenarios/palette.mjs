// Every contributed "Voice Draft: …" command can be found in the command palette.
import * as assert from 'node:assert/strict';
import { contributedCommands } from '../manifest.mjs';

export default {
  name: 'every Voice Draft command is in the palette',
  async run({ wb }) {
    // A markdown editor with a selection satisfies every command's `when` clause.
    await wb.openFile('the-case-for-short-meetings.md');
    await wb.waitForStatusBar(/^Voice/);
    await wb.selectAllInEditor();
    const listed = new Set(await wb.paletteCommands('Voice Draft:'));
    const missing = [];
    for (const { title } of contributedCommands()) {
      // The palette list is virtualised; ask for a title on its own if the bulk list lacks it.
      if (!listed.has(title) && !(await wb.paletteCommands(title)).includes(title)) missing.push(title);
    }
    assert.deepEqual(missing, [], `missing from the palette: ${missing.join(', ')}`);
  },
};
