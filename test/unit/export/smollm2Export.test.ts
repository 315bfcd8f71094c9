// The export of the real offline default (SmolLM2-135M-Instruct) + a random LoRA in
// the editor's runtime (onnxruntime-node, its decode loop), against PyTorch: fp32 parity, the q8 agreement rate, and the q8 size
// limit. Runs when set-up has built the model (CI's set-up does); reports why otherwise.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cacheRoot } from '../../../src/engine/locate';
import { artifactBytes, makeExportFixture, type ExportFixture } from '../helpers/exportFixture';
import {
  allLogits, firstDivergence, folderOf, generateGreedy, loadExport, maxAbsDiff, teacherForcedAgreement
} from './onnxParity';

const modelDir = join(cacheRoot(), 'models', 'smollm2-135m-instruct');
const skip = existsSync(join(modelDir, 'config.json')) ? false : `the offline default model is not built (${modelDir}); run \`npm run setup\``;
const STEPS = 20;

let fx: ExportFixture | undefined;

before(async () => {
  if (skip) return;
  // --no-base: the base export is the default model's own (set-up makes it); b-std 0.02
  // changes the greedy text of this model while keeping it fluent.
  fx = await makeExportFixture('offline:smollm2-135m-instruct', ['--no-base', '--steps', String(STEPS), '--b-std', '0.02']);
  for (const e of fx.events) console.log(`  ${e.event}: ${JSON.stringify(e)}`);
  console.log(`  fixture (run + export + PyTorch references): ${fx.seconds} s, export ${fx.export_seconds} s`);
}, { timeout: 1_200_000 });

after(() => fx?.cleanup());

test('SmolLM2 voice, fp32: logits match PyTorch and 20 greedy tokens are identical', { skip, timeout: 600_000 }, async () => {
  const { model } = await loadExport(folderOf(fx!, 'voice'), 'fp32');
  try {
    for (const p of fx!.prompts) {
      const rows = await allLogits(model, p.ids);
      const gap = maxAbsDiff(rows[rows.length - 1]!, p.voice.last_logits);
      assert.ok(gap < 2e-3, `last-position logits differ by ${gap}`);
      const tokens = await generateGreedy(model, p.ids, STEPS);
      assert.deepEqual(tokens, p.voice.greedy, `greedy tokens differ from step ${firstDivergence(tokens, p.voice.greedy)}`);
    }
  } finally {
    await model.release();
  }
});

test('SmolLM2 voice differs from the base (the adapter is applied)', { skip }, () => {
  assert.ok(fx!.prompts.some((p) => firstDivergence(p.voice.greedy, p.base.greedy) < STEPS));
});

test('SmolLM2 voice, q8: under 200 MB, and PyTorch\'s next token on most steps (rate reported)', { skip, timeout: 600_000 }, async () => {
  const bytes = artifactBytes(fx!, 'model_quantized.onnx');
  console.log(`  q8 size ${(bytes / 1e6).toFixed(1)} MB, fp32 ${(artifactBytes(fx!, '/model.onnx') / 1e6).toFixed(1)} MB`);
  assert.ok(bytes < 200e6, `q8 export is ${bytes} bytes`);
  const { model } = await loadExport(folderOf(fx!, 'voice'), 'q8');
  try {
    let same = 0;
    let total = 0;
    const free: number[] = [];
    for (const p of fx!.prompts) {
      same += await teacherForcedAgreement(model, p, 'voice');
      total += p.voice.greedy.length;
      free.push(firstDivergence(await generateGreedy(model, p.ids, STEPS), p.voice.greedy));
    }
    console.log(`  SmolLM2 q8: next-token agreement ${same}/${total} (${(100 * same / total).toFixed(0)}%); free-running greedy identical for ${free.join(', ')} of ${STEPS} steps`);
    assert.ok(same / total >= 0.85, `q8 picks PyTorch's next token on only ${same}/${total} steps`);
  } finally {
    await model.release();
  }
});
