// What a pull from a remote host may bring back into a run folder, and the checks
// that keep it inside that folder. The host is trusted with the writer's essays,
// not with this machine: a compromised or buggy host answers file names and folder
// contents of its choosing, so every name is matched against the run layout
// (docs/contracts.md "Run folder") before it becomes a local path, and
// every staged copy is checked (regular files and folders only) before it is
// renamed into place.
import { lstat, readdir, realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';

/** Files the engine writes at the top of a run folder that come back from the host. */
export const PULLED_FILES: ReadonlySet<string> = new Set([
  'config.json', // the resolved config (train rewrites it)
  'canaries.json',
  'eval.json',
  'voice-check.json',
  'engine.log', // the engine's stderr, written by the helper's `start`
]);

/** Folders the engine writes at the top of a run folder that come back from the host. */
export const PULLED_DIRS: ReadonlySet<string> = new Set([
  'adapter', // PEFT adapter (train.done.adapter)
  'model', // full fine-tuning's model folder (train.done.adapter = "model")
  'onnx', // export
  'onnx-base', // export: the base model beside the voice
  'gguf', // export: llama.cpp LoRA (+ base)
]);

/** `step-000040`: the engine's checkpoint folder names (`step-%06d`). */
export const CHECKPOINT_NAME = /^step-\d{6,12}$/;
/** `checkpoints/step-000040`: a checkpoint path as train.checkpoint announces it. */
export const CHECKPOINT_PATH = /^checkpoints\/step-\d{6,12}$/;

export type PullKind = 'file' | 'dir';

/**
 * The kind of entry `name` (relative to the run folder, `/`-separated) must be, or
 * undefined when it is not part of the run layout and must not be pulled.
 */
export function pullableKind(name: string): PullKind | undefined {
  if (PULLED_FILES.has(name)) return 'file';
  if (PULLED_DIRS.has(name)) return 'dir';
  if (CHECKPOINT_PATH.test(name)) return 'dir';
  return undefined;
}

/** A checkpoint path from a host event that may be pulled (`checkpoints/step-NNNNNN`, nothing else). */
export function isCheckpointPath(path: unknown): path is string {
  return typeof path === 'string' && CHECKPOINT_PATH.test(path);
}

/** `child` is `root` or lies below it (both absolute, already resolved). */
export function isInside(root: string, child: string): boolean {
  const rel = relative(root, child);
  return rel === '' || (!isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${sep}`));
}

/**
 * `name` joined to `root`, refused unless the real location of its parent folder
 * (symbolic links resolved) is inside the real root: a link in the way (say
 * `checkpoints -> /elsewhere`) would otherwise carry a rename out of the folder.
 * The parent must exist.
 */
export async function containedPath(root: string, name: string): Promise<string> {
  const target = join(root, ...name.split('/'));
  const realRoot = await realpath(root);
  const parent = join(target, '..');
  const realParent = await realpath(parent);
  if (!isInside(realRoot, realParent) || !isInside(root, target) || target === root) {
    throw new UnsafePathError(name, 'it would land outside the run folder');
  }
  return target;
}

export class UnsafePathError extends Error {
  constructor(readonly entry: string, readonly why: string) {
    super(`Refused "${entry}" from the remote host: ${why}.`);
  }
}

/**
 * Checks a staged copy of one pulled entry: it is of the expected kind and, below
 * it, there are only regular files and folders (no symbolic links, devices, pipes
 * or sockets). Returns why not, or undefined when it is fine.
 */
export async function stagedProblem(path: string, kind: PullKind): Promise<string | undefined> {
  const top = await lstat(path).catch(() => undefined);
  if (!top) return undefined; // nothing arrived (the host had none): nothing to install
  if (kind === 'file') return top.isFile() ? undefined : 'expected a regular file';
  if (!top.isDirectory()) return 'expected a folder';
  const walk = async (dir: string): Promise<string | undefined> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const child = join(dir, entry.name);
      if (entry.isDirectory()) {
        const why = await walk(child);
        if (why) return why;
      } else if (!entry.isFile()) {
        return `${relative(path, child).split(sep).join('/')} is not a regular file`;
      }
    }
    return undefined;
  };
  return walk(path);
}
