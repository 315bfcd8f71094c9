// Every contributed "Voice Draft: …" command can be found in the command palette (those
// whose when-clause needs another state, e.g. an open rewrite preview, belong to the
// scenarios that create that state).
import * as assert from 'node:assert/strict';
import { paletteExpectations } from '../manifest.mjs';

export default {
  name: 'every Voice Draft command is in the palette',
  async run({ wb }) {
    // A markdown editor with a selection: the state most when-clauses ask for.
    await wb.openFile('the-case-for-short-meetings.md');
    await wb.waitForStatusBar(/^Voice/);
    await wb.selectAllInEditor();
    const { shown, other } = paletteExpectations('markdown');
    assert.ok(shown.length >= 6, `only ${shown.length} commands expected in the palette`);
    const listed = new Set(await wb.paletteCommands('Voice Draft:'));
    const missing = [];
    for (const { title } of shown) {
      // The palette list is virtualised; ask for a title on its own if the bulk list lacks it.
      if (!listed.has(title) && !(await wb.paletteCommands(title)).includes(title)) missing.push(title);
    }
    assert.deepEqual(missing, [], `missing from the palette: ${missing.join(', ')}`);
    if (other.length) console.log(`[e2e]   not checked here (other when-clauses): ${other.map((c) => `${c.title} [${c.when}]`).join('; ')}`);
  },
};
