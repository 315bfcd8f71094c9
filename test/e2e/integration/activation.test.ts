// Voice Draft is active once a markdown file is open, and reports its API.
// (Not "inactive before": VS Code itself creates plain-text models at start-up, which fires
// the onLanguage:plaintext activation event in an empty window; the extension-host log shows
// `activationEvent: 'onLanguage:plaintext'` seconds after the window opens.)
import * as assert from 'node:assert/strict';
import { test, waitFor } from './runner';
import { manifest, openWorkspaceFile, voiceDraft } from './extension';

test('is active once a markdown file is open', async () => {
  const ext = voiceDraft();
  assert.ok(manifest().activationEvents?.includes('onLanguage:markdown'), 'no onLanguage:markdown activation event');
  const editor = await openWorkspaceFile('on-walking-to-work.md');
  assert.equal(editor.document.languageId, 'markdown');
  await waitFor(() => ext.isActive, 'Voice Draft to activate');
  assert.ok(ext.exports.registrations > 0, `activate() reported ${ext.exports.registrations} registrations`);
}, { order: 'first' });
