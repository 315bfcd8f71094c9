// Where the engine's Python code and environment are. Editor-free: the
// extension passes in the machine-scoped settings it read.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import type { EngineInvocation } from './client';

/** Root of the engine's caches (models, virtual environment); mirrors voice_draft_engine/paths.py. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.VOICE_DRAFT_CACHE) return env.VOICE_DRAFT_CACHE;
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'voice-draft');
}

export function engineVenvDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), 'engine', 'venv');
}

export function venvPython(venv: string): string {
  return process.platform === 'win32' ? join(venv, 'Scripts', 'python.exe') : join(venv, 'bin', 'python');
}

/**
 * The folder that holds the `voice_draft_engine` package: `dist/engine-python`
 * next to the bundle in a VSIX, `src/engine/python` in a checkout.
 */
export function enginePackageDir(from: string = __dirname): string {
  const candidates = [
    join(from, 'engine-python'),
    join(from, 'python'),
    resolve(from, '..', 'src', 'engine', 'python'),
    resolve(from, '..', '..', 'src', 'engine', 'python'),
  ];
  for (const dir of candidates) if (existsSync(join(dir, 'voice_draft_engine', '__main__.py'))) return dir;
  throw new Error(`The engine's Python package was not found next to ${from}; reinstall Voice Draft.`);
}

export interface PythonChoice {
  python: string;
  source: 'setting' | 'engine-venv' | 'system';
}

/**
 * The interpreter to run the engine with: the machine-scoped setting, else the
 * engine's own venv, else (for `setup` only) the system's python3.
 */
export function choosePython(configured: string | undefined, env: NodeJS.ProcessEnv = process.env): PythonChoice {
  if (configured && configured.trim()) return { python: configured.trim(), source: 'setting' };
  const venv = venvPython(engineVenvDir(env));
  if (existsSync(venv)) return { python: venv, source: 'engine-venv' };
  return { python: process.platform === 'win32' ? 'python' : 'python3', source: 'system' };
}

/**
 * How the engine's interpreter starts, here and on a remote host: never importing
 * from the current folder or the user's site-packages. `python -m pkg` puts the
 * current folder first on sys.path, so a `json.py` or a `voice_draft_engine/` in the
 * folder the CLI was started from ran instead of the engine (issue #25). `-I` would
 * drop PYTHONPATH too, and `-P` needs Python 3.11, so: `-s` (no user site-packages),
 * and a bootstrap that removes the current-folder entries from sys.path before
 * anything is imported from it, then runs the package as `-m` does. PYTHONPATH (the
 * engine's folder first) still works. PYTHONSAFEPATH and PYTHONNOUSERSITE carry the
 * same to the processes the engine starts (a launcher's workers, pip) on 3.11+.
 */
export const ENGINE_BOOTSTRAP = [
  'import sys',
  "sys.path[:] = [p for p in sys.path if p not in ('', '.')]",
  'import runpy',
  "runpy._run_module_as_main('voice_draft_engine')",
].join('; ');

/** Interpreter arguments before the engine's own: `python <these> <command> ...`. */
export const ENGINE_PYTHON_ARGS: readonly string[] = ['-s', '-c', ENGINE_BOOTSTRAP];

/** Environment for an isolated engine (see ENGINE_BOOTSTRAP). */
export const ENGINE_ISOLATION_ENV: Readonly<Record<string, string>> = { PYTHONSAFEPATH: '1', PYTHONNOUSERSITE: '1' };

/** A local engine command: `python -s -c <bootstrap> <args>` (= `python -m voice_draft_engine`, isolated) with the package on PYTHONPATH. */
export function localEngine(python: string, args: string[], env: NodeJS.ProcessEnv = process.env): EngineInvocation {
  const pkg = enginePackageDir();
  const pythonPath = env.PYTHONPATH ? `${pkg}${delimiter}${env.PYTHONPATH}` : pkg;
  return {
    command: python,
    args: [...ENGINE_PYTHON_ARGS, ...args],
    env: { ...env, ...ENGINE_ISOLATION_ENV, PYTHONPATH: pythonPath, PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8' },
  };
}
