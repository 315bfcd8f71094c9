import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { evalSamplingArgs } from '../../../src/core/eval/ghostTextSampling';

const declared = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')).contributes.configuration.properties as
  Record<string, { default: unknown }>;

test("eval's samples are asked for as the writer's ghost text is drawn", () => {
  assert.deepEqual(evalSamplingArgs({ temperature: 0.45, topK: 12, repetitionPenalty: 1.3, repetitionWindow: 200 }), [
    '--temperature', '0.45', '--top-k', '12', '--repetition-penalty', '1.3', '--repetition-window', '200',
  ]);
  // The defaults the engine falls back to (test_editor_sampling.py checks its side) are package.json's.
  const defaults = {
    temperature: declared['voiceDraft.inline.temperature']!.default as number,
    topK: declared['voiceDraft.inline.topK']!.default as number,
    repetitionPenalty: declared['voiceDraft.inline.repetitionPenalty']!.default as number,
    repetitionWindow: declared['voiceDraft.inline.repetitionWindow']!.default as number,
  };
  assert.deepEqual(evalSamplingArgs(defaults), [
    '--temperature', '0.6', '--top-k', '40', '--repetition-penalty', '1.1', '--repetition-window', '0',
  ]);
});

test('a hand-edited setting outside its range becomes one the engine takes', () => {
  assert.deepEqual(evalSamplingArgs({ temperature: -1, topK: 7.9, repetitionPenalty: 0, repetitionWindow: -3.5 }), [
    '--temperature', '0', '--top-k', '7', '--repetition-penalty', '1', '--repetition-window', '0',
  ]);
});
