// The cases the engine's copy of contentKept (voice_draft_engine/content_kept.py) is tested on:
// they must still be what contentKept.ts says, or the two versions have drifted apart.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { contentKept } from '../../../src/inference/contentKept';
import { PAIRS } from '../../fixtures/content-kept/cases';

const FILE = join(__dirname, '../../fixtures/content-kept/cases.json');

test('content-kept-cases.json holds what contentKept.ts says now (regenerate: node --import tsx test/fixtures/content-kept/cases.ts)', () => {
  const cases = JSON.parse(readFileSync(FILE, 'utf8')) as Array<{ draft: string; rewrite: string; expected: unknown }>;
  assert.deepEqual(cases.map((c) => [c.draft, c.rewrite]), PAIRS.map((p) => [...p]));
  for (const c of cases) {
    assert.deepEqual(JSON.parse(JSON.stringify(contentKept(c.draft, c.rewrite))), c.expected, `${c.draft} → ${c.rewrite}`);
  }
  // The cases reach every kind of flag the engine filters on.
  const flags = cases.flatMap((c) => (c.expected as { flags: string[] }).flags).join('\n');
  for (const kind of ['drops the number', 'drops the name', "drops '", 'quotation', 'loses the draft', 'chrF', 'adds the'])
    assert.ok(flags.includes(kind), kind);
});
