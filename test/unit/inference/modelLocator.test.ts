import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_EXPORT_NAME, locateModel, modelFiles, NoModelError } from '../../../src/inference/modelLocator';

async function modelFolder(dir: string, files: string[]): Promise<string> {
  await mkdir(join(dir, 'onnx'), { recursive: true });
  for (const f of ['config.json', 'tokenizer.json', ...files]) await writeFile(join(dir, f), '{}');
  return dir;
}

test('an export in transformers.js layout is found, q8 preferred', async () => {
  const dir = await modelFolder(join(await mkdtemp(join(tmpdir(), 'loc-')), 'm'), ['onnx/model.onnx', 'onnx/model_quantized.onnx']);
  assert.deepEqual(modelFiles(dir), { subfolder: 'onnx', dtypes: ['q8', 'fp32'] });
  const top = await modelFolder(join(await mkdtemp(join(tmpdir(), 'loc-')), 'm'), ['model.onnx']);
  assert.deepEqual(modelFiles(top), { subfolder: '', dtypes: ['fp32'] }, "optimum's own layout: files at the top");
  assert.equal(modelFiles(join(dir, 'onnx')), undefined, 'no config.json: not a model folder');
});

test('the active voice writes with <run>/onnx; without an export the default model does, with a note', async () => {
  const cache = await mkdtemp(join(tmpdir(), 'cache-'));
  const env = { VOICE_DRAFT_CACHE: cache };
  const defaultDir = await modelFolder(join(cache, 'models', DEFAULT_EXPORT_NAME), ['onnx/model_quantized.onnx']);
  const run = await mkdtemp(join(tmpdir(), 'run-'));
  await modelFolder(join(run, 'onnx'), ['onnx/model.onnx']);
  const voice = locateModel(run, { env });
  assert.equal(voice.dir, join(run, 'onnx'));
  assert.equal(voice.dtype, 'fp32');
  assert.equal(voice.runDir, run);

  const untrained = await mkdtemp(join(tmpdir(), 'run-'));
  const fallback = locateModel(untrained, { env });
  assert.equal(fallback.dir, defaultDir);
  assert.match(fallback.note ?? '', /has no exported model/);
  assert.equal(locateModel(undefined, { env }).dir, defaultDir);
});

test("a voice exported again into the same folder has a new version: the editor loads it again", async () => {
  const run = await mkdtemp(join(tmpdir(), 'run-'));
  await modelFolder(join(run, 'onnx'), ['onnx/model_quantized.onnx']);
  const before = locateModel(run).version;
  assert.match(before, /^\d+:[\d.]+$/);
  await writeFile(join(run, 'onnx', 'onnx', 'model_quantized.onnx'), 'another export');
  const after = locateModel(run);
  assert.equal(after.dir, join(run, 'onnx'));
  assert.notEqual(after.version, before);
});

test('no model at all: an error that says what to do', async () => {
  const env = { VOICE_DRAFT_CACHE: await mkdtemp(join(tmpdir(), 'empty-')) };
  assert.throws(() => locateModel(undefined, { env }), (e) => e instanceof NoModelError && /Train a voice or run set-up/.test(e.message));
});

test('an export cut short (a full disk, a copy interrupted) is not loaded: the note says which file and what to do', async () => {
  const cache = await mkdtemp(join(tmpdir(), 'cache-'));
  const env = { VOICE_DRAFT_CACHE: cache };
  const defaultDir = await modelFolder(join(cache, 'models', DEFAULT_EXPORT_NAME), ['onnx/model_quantized.onnx']);
  const run = await mkdtemp(join(tmpdir(), 'run-'));
  const dir = await modelFolder(join(run, 'onnx'), ['onnx/model_quantized.onnx']);
  await writeFile(join(dir, 'voice-draft-export.json'), JSON.stringify({ format: 5, files: { 'onnx/model_quantized.onnx': 2, 'onnx/model.onnx': 9 } }));
  assert.equal(locateModel(run, { env }).dir, dir, 'the sizes the export wrote: whole (a dtype no longer there is not asked for)');
  // A large model's weights lie beside it in <file>_data, and the export counted both.
  await writeFile(join(dir, 'onnx', 'model_quantized.onnx_data'), 'weights');
  await writeFile(join(dir, 'voice-draft-export.json'), JSON.stringify({ format: 5, files: { 'onnx/model_quantized.onnx': 2 + 7 } }));
  assert.equal(locateModel(run, { env }).dir, dir, 'the .onnx file and its _data file together');

  await writeFile(join(dir, 'voice-draft-export.json'), JSON.stringify({ format: 5, files: { 'onnx/model_quantized.onnx': 180_592_466 } }));
  const fallback = locateModel(run, { env });
  assert.equal(fallback.dir, defaultDir);
  assert.match(fallback.note ?? '', /incomplete export .*onnx\/model_quantized\.onnx has 0\.0 MB of the 180\.6 MB the export wrote.*export it again/);

  await writeFile(join(defaultDir, 'voice-draft-export.json'), JSON.stringify({ files: { 'onnx/model_quantized.onnx': 1000 } }));
  assert.throws(() => locateModel(undefined, { env }), (e) => e instanceof NoModelError && /default model's export .* is incomplete .*Run set-up again/.test(e.message));
});
