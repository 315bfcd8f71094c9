// The real models the inference tests run against (no mocks of the runtime): the
// offline default model's export when set-up has made it, else a temporary export
// named by VOICE_DRAFT_TEST_ONNX. Missing both is a failure with what to run.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { cacheRoot } from '../../../src/engine/locate';
import { fixedVoice } from '../../../src/inference/activeVoice';
import { defaultExportDir, explicitModel, modelFiles } from '../../../src/inference/modelLocator';
import { VoiceModel } from '../../../src/inference/voiceModel';
import { InferenceWorkerHost } from '../../../src/inference/workerHost';

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

/**
 * The offline default model (q8, CPU, 2 threads) on a real worker, for the tests of one file:
 * started before them and disposed after. Read `model` inside the tests.
 */
export function defaultModelOnWorker(): { readonly model: VoiceModel; readonly host: InferenceWorkerHost } {
  let host: InferenceWorkerHost | undefined;
  let model: VoiceModel | undefined;
  before(() => {
    host = new InferenceWorkerHost({ script: WORKER_SOURCE });
    const located = explicitModel(onnxModelDir(), 'q8');
    model = new VoiceModel({ host, voice: fixedVoice(undefined), device: () => 'cpu', threads: () => 2, locate: () => located });
  });
  after(async () => {
    model?.dispose();
    await host?.dispose();
  });
  return {
    get model(): VoiceModel {
      if (!model) throw new Error('the model starts in before(): read it inside a test');
      return model;
    },
    get host(): InferenceWorkerHost {
      if (!host) throw new Error('the worker starts in before(): read it inside a test');
      return host;
    },
  };
}
