// The typed settings reader (src/config.ts) reads keys that package.json contributes: with
// every contributed setting changed to a valid non-default value, every field of every
// reader (each exported `…Setting(s)()` function) must change too. A field that reads a
// misspelt or uncontributed key keeps returning its fallback, and fails here.
import * as assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import * as config from '../../../src/config';
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

/** Every field of every reader, as "reader.field" → value. */
function readAll(): Map<string, unknown> {
  const fields = new Map<string, unknown>();
  for (const [name, fn] of Object.entries(config)) {
    if (typeof fn !== 'function' || fn.length !== 0 || !/Settings?$/.test(name)) continue;
    const value: unknown = (fn as () => unknown)();
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [field, v] of Object.entries(value)) fields.set(`${name}().${field}`, v);
    } else {
      fields.set(`${name}()`, value);
    }
  }
  return fields;
}

test('every field of the typed settings reader follows a contributed key', async () => {
  const properties = Object.entries(manifest().contributes.configuration.properties) as [string, Declared][];
  const targetOf = (d: Declared) => (d.scope === 'machine' ? vscode.ConfigurationTarget.Global : vscode.ConfigurationTarget.Workspace);
  const before = readAll();
  // What to put back afterwards (the fixture workspace sets some of these on purpose).
  const original = new Map(properties.map(([key, d]) => {
    const inspected = vscode.workspace.getConfiguration().inspect(key);
    return [key, targetOf(d) === vscode.ConfigurationTarget.Global ? inspected?.globalValue : inspected?.workspaceValue];
  }));
  assert.ok(before.size >= 10, `only ${before.size} reader fields found in src/config.ts`);
  try {
    // Workspace beats user settings, so ordinary keys go there (the fixture sets one already);
    // machine-scoped keys can only be set for the user.
    for (const [key, d] of properties) await vscode.workspace.getConfiguration().update(key, otherValue(key, d), targetOf(d));
    const after = readAll();
    const stuck = [...before].filter(([field, value]) => JSON.stringify(after.get(field)) === JSON.stringify(value)).map(([field]) => field);
    assert.deepEqual(stuck, [], `these reader fields ignore every contributed setting: ${stuck.join(', ')}`);
  } finally {
    for (const [key, d] of properties) await vscode.workspace.getConfiguration().update(key, original.get(key), targetOf(d));
  }
});
