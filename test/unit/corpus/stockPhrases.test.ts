// One list of stock assistant phrases in two languages: the corpus health check's copy
// (TypeScript) must be the engine's (voice_draft_engine/voice_metrics/habits.py), so a
// piece flagged as machine-written before training is judged by what eval counts after.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { STOCK_AI_PHRASES } from '../../../src/core/corpus/stockPhrases';
import { runPython } from '../helpers/python';

test("the health check's stock phrases are the engine evaluator's, in the same order", async () => {
  // habits.py imports only the standard library and the engine's own stylometry module.
  const { stdout } = await runPython('-c', ['import json; from voice_draft_engine.voice_metrics.habits import STOCK_AI_PHRASES as p; print(json.dumps(list(p)))'], { timeoutMs: 60_000 });
  assert.deepEqual([...STOCK_AI_PHRASES], JSON.parse(stdout) as string[]);
});
