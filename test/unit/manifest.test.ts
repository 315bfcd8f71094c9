// The extension's manifest (package.json) as VS Code and the Marketplace read it (issue #24):
// keybindings for the writer's actions, an icon of the size the Marketplace shows, the
// repository, the AI category, the dashboard's reload activation, packaging without escape
// flags, and settings that say what they need.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { inflateSync } from 'node:zlib';
import { DASHBOARD_VIEW_TYPE, readSavedDashboard } from '../../src/webviews/protocol';

const ROOT = join(__dirname, '..', '..');
interface Keybinding { command: string; key: string; mac?: string; when?: string }
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  icon?: string;
  repository?: { type: string; url: string };
  categories: string[];
  activationEvents: string[];
  contributes: {
    commands: Array<{ command: string }>;
    keybindings?: Keybinding[];
    configuration: { properties: Record<string, { enum?: string[]; enumDescriptions?: string[]; markdownDescription?: string }> };
  };
};

test('keybindings: rewrite, accept the next word or line of ghost text (VS Code\'s own commands), toggle ghost text', () => {
  const keys = manifest.contributes.keybindings ?? [];
  const byCommand = new Map(keys.map((k) => [k.command, k]));
  const ours = new Set(manifest.contributes.commands.map((c) => c.command));
  for (const command of ['voiceDraft.rewriteSelection', 'voiceDraft.toggleInline', 'editor.action.inlineSuggest.acceptNextWord', 'editor.action.inlineSuggest.acceptNextLine']) {
    const k = byCommand.get(command);
    assert.ok(k, `a key for ${command}`);
    assert.ok(k.key && k.mac, `${command} has a key on every platform`);
    // Only where Voice Draft writes: a writer's keys in code editors stay as they were.
    assert.match(k.when ?? '', /editorLangId =~ \/\^\(markdown\|plaintext\)\$\//, `${command} is limited to markdown and plain text`);
  }
  for (const k of keys) assert.ok(ours.has(k.command) || k.command.startsWith('editor.action.inlineSuggest.'), `${k.command} is a command that exists`);
  for (const accept of ['acceptNextWord', 'acceptNextLine']) assert.match(byCommand.get(`editor.action.inlineSuggest.${accept}`)!.when!, /inlineSuggestionVisible/);
  assert.match(byCommand.get('voiceDraft.rewriteSelection')!.when!, /editorHasSelection && !editorReadonly/);
  const chords = keys.map((k) => `${k.key} | ${k.when}`);
  assert.equal(new Set(chords).size, chords.length, 'no two bindings share a key in the same context');
});

test('the icon is a 128x128 PNG, and the manifest names the repository and the AI category', () => {
  assert.equal(manifest.icon, 'media/icon.png');
  const png = readFileSync(join(ROOT, manifest.icon));
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [128, 128]);
  // Decodes (the image data is whole) and is drawn: corners transparent, the middle opaque.
  const idat = png.subarray(png.indexOf('IDAT') + 4, png.indexOf('IEND') - 8);
  const rows = inflateSync(idat);
  assert.equal(rows.length, 128 * (1 + 128 * 4));
  const alpha = (x: number, y: number) => rows[y * (1 + 128 * 4) + 1 + x * 4 + 3]!;
  assert.equal(alpha(0, 0), 0);
  assert.equal(alpha(64, 64), 255);
  assert.match(manifest.repository?.url ?? '', /^https:\/\/github\.com\/[\w-]+\/[\w-]+\.git$/);
  assert.equal(manifest.repository?.type, 'git');
  assert.ok(manifest.categories.includes('AI'));
});

test('packaging passes no escape flags: no --allow-missing-repository, --skip-license or other --allow-*', () => {
  const script = readFileSync(join(ROOT, 'scripts', 'package.mjs'), 'utf8');
  assert.doesNotMatch(script, /--allow-|--skip-license/);
});

test('the dashboard comes back after a window reload: activation on its panel, saved state read as untrusted input', () => {
  assert.ok(manifest.activationEvents.includes(`onWebviewPanel:${DASHBOARD_VIEW_TYPE}`));
  assert.deepEqual(readSavedDashboard({ selected: '/runs/a', compare: '/runs/b' }), { selected: '/runs/a', compare: '/runs/b' });
  for (const junk of [undefined, null, 7, 'text', [], { selected: 3, compare: {} }, { selected: '', compare: 'x'.repeat(5000) }]) {
    assert.deepEqual(readSavedDashboard(junk), { selected: null, compare: null }, JSON.stringify(junk)?.slice(0, 40));
  }
});

test('inference.device says that cuda needs a runtime Voice Draft does not ship, and that it falls back', () => {
  const device = manifest.contributes.configuration.properties['voiceDraft.inference.device']!;
  const cuda = device.enumDescriptions![device.enum!.indexOf('cuda')]!;
  assert.match(cuda, /CUDA provider, which Voice Draft does not ship/);
  assert.match(cuda, /writes on the CPU and Voice Draft tells you why/);
  assert.match(device.markdownDescription ?? '', /\*\*not included\*\*/);
});
