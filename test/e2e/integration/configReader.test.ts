// The typed settings reader (src/config.ts) reads the keys package.json contributes: every
// setting is set to a value unlike its default, and each field the reader exposes must
// follow. A misspelt key in the reader would return its fallback and fail here.
import * as assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { dataSettings, engineSettings, inlineSettings, runsFolderSetting, trainingSettings } from '../../../src/config';
import { test } from './runner';
import { type ContributedSetting, manifest } from './extension';

interface Declared extends ContributedSetting { minimum?: number; maximum?: number; enum?: unknown[] }

/** A valid value for the setting that differs from its default. */
function otherValue(key: string, d: Declared): unknown {
  const leaf = key.split('.').pop() ?? key;
  if (d.enum) return d.enum.find((v) => v !== d.default);
  switch (d.type) {
    case 'boolean': return !d.default;
    case 'integer':
    case 'number': {
      const def = Number(d.default);
      const max = d.maximum ?? def * 4 + 10;
      const candidate = d.type === 'integer' ? def + 1 : (def + max) / 2;
      return candidate <= max ? candidate : (d.minimum ?? 0);
    }
    case 'array': return [`e2e/${leaf}/**`];
    case 'object': return { e2e: true };
    // Paths point nowhere real, so nothing is created or run while they are set.
    default: return /path|folder/i.test(leaf) ? join(tmpdir(), 'voice-draft-e2e-unused', leaf) : `e2e-${leaf}`;
  }
}

/** Every field the reader exposes, by the last segment of its setting key. */
function readerFields(): Record<string, unknown> {
  return { runsFolder: runsFolderSetting(), ...dataSettings(), ...trainingSettings(), ...inlineSettings(), ...engineSettings() };
}

test('the typed settings reader follows every contributed key it exposes', async () => {
  const config = () => vscode.workspace.getConfiguration();
  const properties = Object.entries(manifest().contributes.configuration.properties) as [string, Declared][];
  try {
    for (const [key, declared] of properties) await config().update(key, otherValue(key, declared), vscode.ConfigurationTarget.Global);
    const fields = readerFields();
    const checked: string[] = [];
    for (const [key, declared] of properties) {
      const leaf = key.split('.').pop() ?? key;
      if (!(leaf in fields)) continue;
      const effective = config().get(key); // the workspace may still win over the user value
      assert.notDeepEqual(effective, declared.default, `${key} did not change: the check would be vacuous`);
      assert.deepEqual(fields[leaf], effective, `src/config.ts reads ${JSON.stringify(fields[leaf])} for ${key}, VS Code has ${JSON.stringify(effective)}`);
      checked.push(key);
    }
    assert.ok(checked.length >= 10, `only ${checked.length} settings are exposed by the reader`);
    const unread = properties.map(([k]) => k).filter((k) => !checked.includes(k));
    if (unread.length) console.log(`[voice-draft e2e] settings not exposed by src/config.ts: ${unread.join(', ')}`);
  } finally {
    for (const [key] of properties) await config().update(key, undefined, vscode.ConfigurationTarget.Global);
  }
});
