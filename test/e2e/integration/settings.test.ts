// Settings read through the real configuration service: package.json defaults, workspace
// values applied, machine-scoped values from a workspace ignored.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { engineSettings, runsFolderSetting } from '../../../src/config';
import { test } from './runner';
import { manifest } from './extension';

const settings = () => Object.entries(manifest().contributes.configuration.properties);
/** Settings that name an executable or a host (the fixture workspace sets these two). */
const sensitive = () => settings().filter(([key]) => /(python|path|executable|command|host)$/i.test(key) && !/folder/i.test(key));

test('every setting reads its package.json default (or the fixture workspace value)', () => {
  const config = vscode.workspace.getConfiguration();
  for (const [key, declared] of settings()) {
    const inspected = config.inspect(key);
    assert.ok(inspected, `${key} is not a known setting`);
    assert.deepEqual(inspected.defaultValue, declared.default, `${key}: default differs from package.json`);
    const expected = declared.scope === 'machine' || inspected.workspaceValue === undefined ? declared.default : inspected.workspaceValue;
    assert.deepEqual(config.get(key), expected, `${key}: read value`);
  }
});

test('the fixture workspace settings are applied (the machine-scope check below is not vacuous)', () => {
  assert.equal(vscode.workspace.getConfiguration('voiceDraft').get('data.shortNoteWords'), 120);
});

test('settings that name an executable or a host are machine-scoped', () => {
  const found = sensitive();
  assert.ok(found.length >= 2, `expected at least pythonPath and remoteHost, found ${found.map(([k]) => k).join(', ')}`);
  for (const [key, declared] of found) assert.equal(declared.scope, 'machine', `${key} is ${String(declared.scope)}-scoped`);
});

test('executable and host values set by the workspace are ignored', () => {
  const config = vscode.workspace.getConfiguration();
  for (const [key, declared] of sensitive()) {
    assert.deepEqual(config.get(key), declared.default, `${key} took the workspace's value`);
  }
  // And through the extension's own typed reader.
  assert.deepEqual(engineSettings(), { pythonPath: '', remoteHost: '', keepRemoteCopy: false });
});

test('a workspace can neither move the runs folder nor keep essays on the remote host (issue #25)', () => {
  // The runs folder decides which runs a window re-attaches to when it opens (over SSH for remote
  // ones); keepRemoteCopy decides whether the essays stay on the host. The fixture workspace sets both.
  // VS Code drops a machine-scoped value from a workspace before anyone can inspect it, so the
  // fixture's settings file itself shows that the workspace tried.
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
  const fixture = readFileSync(join(folder, '.vscode', 'settings.json'), 'utf8');
  for (const key of ['runsFolder', 'engine.keepRemoteCopy']) {
    assert.equal(manifest().contributes.configuration.properties[`voiceDraft.${key}`]?.scope, 'machine', key);
    assert.match(fixture, new RegExp(`"voiceDraft\\.${key.replace('.', '\\.')}"`), `the fixture workspace sets ${key}`);
  }
  assert.equal(runsFolderSetting(), '');
  assert.equal(engineSettings().keepRemoteCopy, false);
});
