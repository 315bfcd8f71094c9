// A LoRA run exported by the real engine CLI, with PyTorch's reference answers
// (test/engine/make_export_fixture.py), shared by the export parity tests.
import { existsSync, mkdtempSync, readFileSync, mkdirSync, symlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheRoot } from '../../../src/engine/locate';
import { REPO_ROOT, runPython } from './python';

export interface ModelReference {
  greedy: number[];
  top2_gap: number[];
  /** First step whose raw top-1 token is EOS (-1: none); greedy keeps EOS out, as transformers.js does with min_new_tokens. */
  eos_at: number;
  last_logits: number[];
}

export interface PromptReference {
  ids: number[];
  voice: ModelReference;
  base: ModelReference;
}

export interface ExportFixture {
  dir: string;
  run: string;
  base_spec: string;
  steps: number;
  prompts: PromptReference[];
  events: Array<Record<string, unknown> & { event: string }>;
  export_seconds: number;
  seconds: number;
  cleanup(): void;
}

/** Built models the user's cache already has (set-up builds them once per machine). */
const SHARED_MODELS = ['tiny-llama', 'smollm2-135m-instruct', 'smollm2-135m-instruct-onnx'];

/**
 * A temp engine cache: the built models of the user's cache are linked in (never written:
 * a stale base export is replaced by a new folder in the temp cache, not in place).
 */
export function tempEngineCache(): { env: NodeJS.ProcessEnv; root: string } {
  const root = mkdtempSync(join(tmpdir(), 'vd-export-cache-'));
  mkdirSync(join(root, 'models'));
  const user = join(cacheRoot(process.env), 'models');
  for (const name of SHARED_MODELS) {
    if (existsSync(join(user, name))) symlinkSync(join(user, name), join(root, 'models', name), 'dir');
  }
  return { root, env: { VOICE_DRAFT_CACHE: root, HF_HUB_OFFLINE: '1', OMP_WAIT_POLICY: 'PASSIVE' } };
}

export async function makeExportFixture(base: string, extra: string[] = []): Promise<ExportFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'vd-export-'));
  const cache = tempEngineCache();
  await runPython(join(REPO_ROOT, 'test', 'engine', 'make_export_fixture.py'), ['--out', dir, '--base', base, ...extra], { env: cache.env });
  const data = JSON.parse(readFileSync(join(dir, 'fixture.json'), 'utf8')) as Omit<ExportFixture, 'dir' | 'cleanup'>;
  return {
    ...data,
    dir,
    cleanup: () => {
      rmSync(dir, { recursive: true, force: true });
      rmSync(cache.root, { recursive: true, force: true });
    },
  };
}

export function artifactBytes(fixture: ExportFixture, suffix: string): number {
  const e = fixture.events.find((x) => x.event === 'export.artifact' && String(x.path).endsWith(suffix));
  if (!e) throw new Error(`no export.artifact ending in ${suffix}`);
  return Number(e.bytes);
}
