// The Python that runs engine code from Node tests: VOICE_DRAFT_PYTHON, else the engine's
// own venv (what set-up builds), else the repository's development venv (.venv).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { engineVenvDir, venvPython } from '../../../src/engine/locate';

export const REPO_ROOT = resolve(__dirname, '..', '..', '..');

export function enginePython(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.VOICE_DRAFT_PYTHON?.trim();
  if (explicit) return explicit;
  const candidates = [venvPython(engineVenvDir(env)), venvPython(join(REPO_ROOT, '.venv'))];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`No Python for the engine (looked at ${candidates.join(', ')}); run \`npm run setup\` or set VOICE_DRAFT_PYTHON.`);
  return found;
}

export interface PythonRun {
  stdout: string;
  stderr: string;
}

/** Runs a Python script (no shell) with the engine package importable; rejects with its stderr tail. */
export function runPython(script: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<PythonRun> {
  const env = { ...process.env, ...opts.env };
  const pkg = join(REPO_ROOT, 'src', 'engine', 'python');
  env.PYTHONPATH = env.PYTHONPATH ? `${pkg}:${env.PYTHONPATH}` : pkg;
  return new Promise((resolvePromise, reject) => {
    execFile(enginePython(env), [script, ...args], { env, cwd: REPO_ROOT, timeout: opts.timeoutMs ?? 0, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${script} failed: ${error.message}\n${stderr.slice(-4000)}`));
      else resolvePromise({ stdout, stderr });
    });
  });
}
