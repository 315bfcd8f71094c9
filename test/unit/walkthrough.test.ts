// The walkthrough's "Write with it" step shows the keys that accept ghost text whole, by word
// and by line, as package.json binds them (VS Code's own inline-suggestion commands).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const root = join(__dirname, '..', '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  contributes: { keybindings: Array<{ command: string; key: string; mac?: string }>; walkthroughs: Array<{ steps: Array<{ id: string; description: string; media: { markdown?: string } }> }> };
};
const step = manifest.contributes.walkthroughs.flatMap((w) => w.steps).find((s) => s.id === 'write')!;
const page = readFileSync(join(root, step.media.markdown!), 'utf8');

/** `ctrl+right` as the page writes it: <kbd>Ctrl</kbd>+<kbd>→</kbd>. */
function shown(key: string): string {
  const names: Record<string, string> = { ctrl: 'Ctrl', cmd: 'Cmd', alt: 'Alt', shift: 'Shift', right: '→', left: '←', down: '↓', up: '↑', tab: 'Tab' };
  return key.split('+').map((k) => `<kbd>${names[k] ?? k.toUpperCase()}</kbd>`).join('+');
}

for (const command of ['editor.action.inlineSuggest.acceptNextWord', 'editor.action.inlineSuggest.acceptNextLine']) {
  test(`the walkthrough shows ${command.split('.').at(-1)}'s keys on every platform`, () => {
    const binding = manifest.contributes.keybindings.find((k) => k.command === command);
    assert.ok(binding, `${command} is bound in package.json`);
    assert.ok(page.includes(shown(binding.key)), `${shown(binding.key)} on the page`);
    assert.ok(page.includes(shown(binding.mac ?? binding.key)), `${shown(binding.mac ?? binding.key)} on the page`);
    const plain = (k: string) => k.split('+').map((p) => (p === 'right' ? 'Right' : p === 'down' ? 'Down' : p[0]!.toUpperCase() + p.slice(1))).join('+');
    assert.ok(step.description.includes(plain(binding.key)), `the step's own text names ${plain(binding.key)}`);
  });
}

test('the walkthrough names Tab for the whole suggestion', () => {
  assert.match(page, /accept all of it \| <kbd>Tab<\/kbd>/);
});
