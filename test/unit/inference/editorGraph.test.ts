// The decode loop's trimmed graph: present.* dropped where new_key_values.* exist, with the
// nodes and weights only they needed, on small graphs built with onnx and on the real export.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { openDecoderSession } from '../../../src/inference/decoderSession';
import { presentOutputsToDrop, pruneOutputs } from '../../../src/inference/editorGraph';
import { modelFile, modelFiles } from '../../../src/inference/modelLocator';
import { fields, readVarint, strings, writeVarint } from '../../../src/inference/protobuf';
import { REPO_ROOT, runPython } from '../helpers/python';
import { onnxModelDir } from './realModel';

let dir: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vd-graphs-'));
  await runPython(join(REPO_ROOT, 'test', 'unit', 'inference', 'fixtures', 'small_graphs.py'), [dir]);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const x = () => new Tensor('float32', Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);

/** Names of the graph's nodes, initializers and value annotations, read back with the same wire reader. */
function graphNames(bytes: Uint8Array): { nodes: string[]; initializers: string[]; valueInfo: string[]; outputs: string[] } {
  const graph = fields(bytes).find((f) => f.number === 7)!;
  const parts = fields(bytes, graph.valueStart, graph.end);
  const named = (number: number, nameField: number) => parts.filter((f) => f.number === number).map((f) => strings(bytes, f, nameField)[0]!);
  return { nodes: named(1, 3), initializers: named(5, 8), valueInfo: named(13, 1), outputs: named(12, 1) };
}

test('varints round-trip across byte boundaries, and a truncated one is an error', () => {
  for (const v of [0, 1, 127, 128, 300, 16_383, 16_384, 2 ** 31, 2 ** 40 + 5]) {
    const buf = new Uint8Array(10);
    const end = writeVarint(buf, 0, v);
    assert.deepEqual(readVarint(buf, 0), { value: v, next: end });
  }
  assert.throws(() => readVarint(Uint8Array.of(0x80, 0x80), 0), /truncated/);
  assert.throws(() => fields(Uint8Array.of(0x0a, 0x05, 0x41)), /runs past/);
});

test('which present outputs go: only those whose new_key_values twin exists', () => {
  const names = ['logits', 'present.0.key', 'present.0.value', 'present.1.key', 'new_key_values.0.key', 'new_key_values.0.value'];
  assert.deepEqual([...presentOutputsToDrop(names)], ['present.0.key', 'present.0.value']);
  // An export before format 4 (present only) keeps them all: its cache is appended.
  assert.equal(presentOutputsToDrop(['logits', 'present.0.key', 'present.0.value']).size, 0);
});

test('present and what only it needed go; what remains computes the same values', async () => {
  const bytes = readFileSync(join(dir, 'graph.onnx'));
  const full = await InferenceSession.create(join(dir, 'graph.onnx'));
  const want = await full.run({ x: x() });

  const pruned = pruneOutputs(bytes, presentOutputsToDrop);
  assert.deepEqual(pruned.droppedOutputs, ['present.0.key']);
  assert.equal(pruned.droppedNodes, 2);
  assert.deepEqual(graphNames(pruned.bytes), { nodes: ['add', 'new'], initializers: ['v'], valueInfo: [], outputs: ['a', 'new_key_values.0.key'] });

  const session = await InferenceSession.create(pruned.bytes);
  assert.deepEqual(session.outputNames, ['a', 'new_key_values.0.key']);
  const got = await session.run({ x: x() });
  assert.deepEqual(Array.from(got.a!.data as Float32Array), Array.from(want.a!.data as Float32Array));
  assert.deepEqual(Array.from(got['new_key_values.0.key']!.data as Float32Array), [1, 2, 3, 4, 5, 6]);
});

test('a graph with subgraphs, and one with nothing to drop, are left whole', () => {
  const withIf = readFileSync(join(dir, 'subgraph.onnx'));
  const copy = Buffer.from(withIf);
  const kept = pruneOutputs(withIf, presentOutputsToDrop);
  assert.equal(kept.kept, 'the graph has subgraphs');
  assert.ok(copy.equals(kept.bytes), 'the bytes are untouched');

  const plain = readFileSync(join(dir, 'graph.onnx'));
  const none = pruneOutputs(plain, () => new Set());
  assert.equal(none.kept, 'no output to drop');
  assert.equal(none.bytes.length, plain.length);
});

test('the decode session loads from memory and still finds weights stored beside the file', async () => {
  const opened = await openDecoderSession(join(dir, 'external', 'graph.onnx'), { device: 'cpu', threads: 1 });
  try {
    assert.deepEqual(opened.droppedOutputs, ['present.0.key']);
    const got = await opened.session.run({ x: x() });
    assert.deepEqual(Array.from(got.a!.data as Float32Array), [1.5, 2.5, 3.5, 4.5, 5.5, 6.5]);
  } finally {
    await opened.session.release();
  }
});

test('a model file cut short is a clear error that says what to do', async () => {
  const whole = readFileSync(join(dir, 'graph.onnx'));
  const cut = join(dir, 'cut.onnx');
  writeFileSync(cut, whole.subarray(0, whole.length - 40));
  await assert.rejects(openDecoderSession(cut, { device: 'cpu', threads: 1 }), /cut\.onnx cannot be read as an ONNX model \(.*\): export the voice again/);
  // Cut just after the graph (the opset imports lost) it parses, and ONNX Runtime is the one to refuse it.
  writeFileSync(cut, whole.subarray(0, fields(whole).find((f) => f.number === 7)!.end));
  await assert.rejects(openDecoderSession(cut, { device: 'cpu', threads: 1 }), /cut\.onnx cannot be read as an ONNX model \(.*\): export the voice again/);
});

test('the real export loses its 60 present outputs and their Concats, and nothing else', async () => {
  const model = onnxModelDir();
  const files = modelFiles(model)!;
  const file = modelFile(model, files, files.dtypes.includes('q8') ? 'q8' : files.dtypes[0]!);
  const before = graphNames(readFileSync(file));
  const pruned = pruneOutputs(readFileSync(file), presentOutputsToDrop);
  const afterNames = graphNames(pruned.bytes);
  assert.equal(pruned.droppedOutputs.length, 60);
  assert.equal(pruned.droppedNodes, 60);
  assert.deepEqual(afterNames.outputs, before.outputs.filter((n) => !n.startsWith('present.')));
  assert.deepEqual(afterNames.initializers, before.initializers);
  assert.equal(afterNames.nodes.length, before.nodes.length - 60);
});
