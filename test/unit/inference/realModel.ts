// The real models the inference tests run against (no mocks of the runtime): the
// offline default model's export when set-up has made it, else a temporary export
// named by VOICE_DRAFT_TEST_ONNX. Missing both is a failure with what to run.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot } from '../../../src/engine/locate';
import { defaultExportDir, modelFiles } from '../../../src/inference/modelLocator';

export function onnxModelDir(): string {
  const candidates = [process.env.VOICE_DRAFT_TEST_ONNX, defaultExportDir()].filter((d): d is string => !!d);
  const found = candidates.find((d) => modelFiles(d));
  if (!found) throw new Error(`No ONNX model for the inference tests (looked in ${candidates.join(', ')}). Run \`npm run setup\`.`);
  return found;
}

/** A folder with the SmolLM2 tokenizer (the model folder set-up builds, or an export of it). */
export function tokenizerDir(): string {
  const candidates = [join(cacheRoot(), 'models', 'smollm2-135m-instruct'), process.env.VOICE_DRAFT_TEST_ONNX, defaultExportDir()];
  const found = candidates.find((d) => d && existsSync(join(d, 'tokenizer.json')));
  if (!found) throw new Error('No tokenizer for the prompt tests: run `npm run setup` (it builds the offline default model).');
  return found;
}

export const WORKER_SOURCE = join(__dirname, '..', '..', '..', 'src', 'inference', 'worker.ts');
