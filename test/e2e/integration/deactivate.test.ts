// deactivate() releases what activate() registered. VS Code only deactivates when the
// extension host shuts down, where no test can look; so this calls the loaded module's
// deactivate() itself (the same instance the host activated) and checks the commands are gone.
import * as assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { test } from './runner';
import { manifest, voiceDraft, voiceDraftCommands } from './extension';

test('deactivate() releases the registered commands', async () => {
  const ext = voiceDraft();
  assert.ok(ext.isActive, 'Voice Draft is not active');
  assert.ok((await voiceDraftCommands()).length > 0, 'no Voice Draft command is registered');
  const main = path.join(ext.extensionPath, manifest().main);
  const mod = createRequire(main)(main) as { deactivate?: () => unknown };
  assert.equal(typeof mod.deactivate, 'function', `${main} exports no deactivate()`);
  await mod.deactivate?.();
  assert.deepEqual(await voiceDraftCommands(), [], 'commands still registered after deactivate()');
}, { order: 'last' });
