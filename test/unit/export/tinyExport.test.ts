// The engine's export of a tiny random Llama and a tiny random Qwen2, each with a strong random
// LoRA, run in the runtimes a writer uses: the editor's (onnxruntime-node, its decode loop; fp32, q8) and
// llama.cpp (GGUF base + LoRA), each compared with PyTorch on the same prompts.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeExportFixture, type ExportFixture } from '../helpers/exportFixture';
import { llamaCppGreedy } from './llamaCpp';
import {
  allLogits, firstDivergence, folderOf, generateGreedy, loadExport, maxAbsDiff, teacherForcedAgreement, type Which,
} from './onnxParity';

for (const base of ['tiny:llama', 'tiny-qwen2']) {
  describe(base, () => {
    let fx: ExportFixture;

    before(async () => {
      fx = await makeExportFixture(base, ['--base-gguf', '--steps', '20']);
      for (const e of fx.events) console.log(`  ${e.event}: ${JSON.stringify(e)}`);
      console.log(`  fixture (run + export + PyTorch references): ${fx.seconds} s, export ${fx.export_seconds} s`);
    }, { timeout: 900_000 });

    after(() => fx?.cleanup());

    for (const which of ['voice', 'base'] as Which[]) {
      test(`fp32 ${which}: logits match PyTorch and greedy tokens are identical for 20 steps`, { timeout: 300_000 }, async () => {
        const { model } = await loadExport(folderOf(fx, which), 'fp32');
        try {
          for (const p of fx.prompts) {
            const ref = p[which];
            const rows = await allLogits(model, p.ids);
            const gap = maxAbsDiff(rows[rows.length - 1]!, ref.last_logits);
            const scale = Math.max(1, ...ref.last_logits.map(Math.abs));
            assert.ok(gap <= 1e-4 * scale, `last-position logits differ by ${gap} (scale ${scale})`);
            const tokens = await generateGreedy(model, p.ids, fx.steps);
            assert.deepEqual(tokens, ref.greedy, `greedy tokens differ from step ${firstDivergence(tokens, ref.greedy)}`);
          }
        } finally {
          await model.release();
        }
      });
    }

    test('the adapter changes what the model writes (voice greedy tokens differ from the base)', () => {
      for (const p of fx.prompts) {
        assert.ok(firstDivergence(p.voice.greedy, p.base.greedy) < 5, 'the test adapter is too weak to prove anything');
      }
    });

    test('q8 loads with dtype "q8" and mostly agrees with PyTorch (rate reported)', { timeout: 300_000 }, async () => {
      const { model } = await loadExport(folderOf(fx, 'voice'), 'q8');
      try {
        let same = 0;
        let total = 0;
        const free: number[] = [];
        for (const p of fx.prompts) {
          same += await teacherForcedAgreement(model, p, 'voice');
          total += p.voice.greedy.length;
          free.push(firstDivergence(await generateGreedy(model, p.ids, fx.steps), p.voice.greedy));
        }
        console.log(`  ${base} q8: next-token agreement ${same}/${total} (${(100 * same / total).toFixed(0)}%), free-running greedy identical for ${free.join(', ')} of ${fx.steps} steps`);
        // A random tiny model has near-flat logits, the hardest case for int8; SmolLM2's rate is
        // the meaningful one (smollm2Export.test.ts). This still catches a broken q8 graph.
        assert.ok(same / total >= 0.6, `q8 agreement ${same}/${total}`);
      } finally {
        await model.release();
      }
    });

    test('the exported tokenizer encodes the prompts as the engine did', async () => {
      const { tokenizer } = await loadExport(folderOf(fx, 'voice'), 'q8').then(async (x) => { await x.model.release(); return x; });
      const plain = ['The essay begins with a question that', 'I used to think writing was about'];
      plain.forEach((text, i) => assert.deepEqual(tokenizer.encode(text, { addSpecialTokens: false }), fx.prompts[i]!.ids));
      const chat = tokenizer.encode(tokenizer.renderChat([{ role: 'user', content: 'Write a short note about morning walks.' }], { addGenerationPrompt: true }), { addSpecialTokens: false });
      assert.deepEqual(chat, fx.prompts[2]!.ids, 'chat template read from tokenizer_config.json');
    });

    test('llama.cpp: base GGUF + LoRA GGUF reproduce the merged model; the base GGUF alone the base', { timeout: 300_000 }, async () => {
      const baseGguf = join(fx.run, 'gguf', 'base.gguf');
      const lora = join(fx.run, 'gguf', 'adapter.gguf');
      const steps = 10;
      const prefix = (which: Which) => fx.prompts.map((p) => ({ ids: p.ids, steps: p[which].eos_at >= 0 ? Math.min(steps, p[which].eos_at) : steps }));
      for (const [which, adapter] of [['voice', lora], ['base', undefined]] as const) {
        const wanted = prefix(which);
        const got = await llamaCppGreedy(baseGguf, adapter, wanted);
        fx.prompts.forEach((p, i) => {
          const ref = p[which].greedy.slice(0, wanted[i]!.steps);
          assert.deepEqual(got[i], ref, `${which}, prompt ${i}: llama.cpp differs from PyTorch at step ${firstDivergence(got[i]!, ref)}`);
        });
      }
      for (const p of fx.prompts) assert.ok(firstDivergence(p.voice.greedy, p.base.greedy) < steps, 'with and without the adapter must differ');
    });
  });
}
