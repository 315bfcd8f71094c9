// Every contributed command is registered, nothing unlisted is, and the not-yet-available
// list names only real commands.
import * as assert from 'node:assert/strict';
import { notYetAvailable } from '../../../src/features/notYetAvailableList';
import { test } from './runner';
import { manifest, voiceDraft, voiceDraftCommands } from './extension';

test('every contributed command is registered, and only those', async () => {
  const contributed = manifest().contributes.commands.map((c) => c.command).sort();
  assert.ok(contributed.length >= 6, `only ${contributed.length} commands contributed`);
  assert.deepEqual(await voiceDraftCommands(), contributed);
});

test('each contributed command has a "Voice Draft" category and a title', () => {
  for (const c of manifest().contributes.commands) {
    assert.equal(c.category, 'Voice Draft', `${c.command} has category ${String(c.category)}`);
    assert.ok(c.title.trim().length > 0, `${c.command} has no title`);
  }
});

test('the not-yet-available list names contributed commands only', () => {
  const contributed = new Set(manifest().contributes.commands.map((c) => c.command));
  for (const id of Object.keys(notYetAvailable)) assert.ok(contributed.has(id), `${id} is listed as not yet available but not contributed`);
});

test('activate() registered at least one disposable per command', async () => {
  // Each command registration is a disposable in context.subscriptions, which the API counts.
  const { registrations } = voiceDraft().exports;
  const commands = (await voiceDraftCommands()).length;
  assert.ok(registrations >= commands, `${registrations} registrations for ${commands} commands`);
});
