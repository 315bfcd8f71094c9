// The model the writing scenarios write with: the offline default model's export from
// the real cache (set-up makes it), linked into the sandbox's cache, where the extension
// host (HOME and XDG_CACHE_HOME point into the sandbox) looks for it.
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

const EXPORT_NAME = 'smollm2-135m-instruct-onnx';

/** The default export on this machine (mirrors src/inference/modelLocator.ts), or VOICE_DRAFT_TEST_ONNX. */
export function realModelDir() {
  if (process.env.VOICE_DRAFT_TEST_ONNX) return process.env.VOICE_DRAFT_TEST_ONNX;
  const cache = process.env.VOICE_DRAFT_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'voice-draft');
  return join(cache, 'models', EXPORT_NAME);
}

export function missingModel() {
  const dir = realModelDir();
  return existsSync(join(dir, 'config.json')) ? undefined : `no ONNX model to write with at ${dir} (run npm run setup)`;
}

/** Links the model into the sandbox cache: <sandbox>/home/.cache/voice-draft/models/<export>. */
export function linkModelIntoSandbox(workspace) {
  const target = join(dirname(workspace), 'home', '.cache', 'voice-draft', 'models', EXPORT_NAME);
  if (existsSync(target)) return target;
  mkdirSync(dirname(target), { recursive: true });
  symlinkSync(realModelDir(), target, 'dir');
  return target;
}

/** Adds user settings for this sandbox (VS Code picks up the change of settings.json). */
export async function userSettings(workspace, settings) {
  const { readFileSync, writeFileSync } = await import('node:fs');
  const file = join(dirname(workspace), 'user-data', 'User', 'settings.json');
  const now = JSON.parse(readFileSync(file, 'utf8'));
  writeFileSync(file, JSON.stringify({ ...now, ...settings }, null, 2));
}
