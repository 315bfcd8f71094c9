import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as YAML from 'yaml';
import { readFrontMatter, simpleFrontMatter } from '../../../src/core/corpus/front-matter';

const SAMPLES = [
  'title: "The Origin of Music"\nauthor: "Edward MacDowell"\nlicense: "public domain"',
  'title: On Walking\ndate: 2024-03-01\ntags: [habits, walking]\ndraft: drafts/on-walking.md',
  "title: It's fine\nsubtitle: 'single quoted'\nempty:\nlist: []",
  'title: Why I Walk: Notes', // invalid YAML (a colon inside a plain value): the parser reports it
  'flag: yes\nother: true\nn: 12\nf: 1e3',
  'title: a # comment',
  'tags:\n  - one\n  - two',
  'title: "escaped \\" quote"',
  'key: value\nkey: again',
  '',
];

test('the quick reader gives what the YAML parser gives, or steps aside', () => {
  let quick = 0;
  for (const yaml of SAMPLES) {
    const simple = simpleFrontMatter(yaml);
    if (simple) {
      quick++;
      assert.deepEqual(simple, YAML.parse(yaml) ?? {}, yaml);
    }
    let expected: Record<string, unknown> | undefined;
    try {
      expected = (YAML.parse(yaml, { uniqueKeys: false }) as Record<string, unknown> | null) ?? {};
    } catch {
      expected = undefined;
    }
    const read = readFrontMatter(yaml);
    if (expected) assert.deepEqual(read.fields, expected, yaml);
    else assert.match(read.warning ?? '', /not valid YAML/, yaml);
  }
  assert.ok(quick >= 4, 'the common shapes should not need the YAML parser');
});

test('broken YAML gives a warning with the file line, and no fields', () => {
  const read = readFrontMatter('title: ok\nbad: [a, b');
  assert.deepEqual(read.fields, {});
  assert.match(read.warning ?? '', /^front matter is not valid YAML \(line 3 of the file\): /);
  assert.match(readFrontMatter('- just\n- a list').warning ?? '', /not a set of "key: value" fields/);
});

test('front matter the parser accepts but cannot turn into values keeps the essay, with a warning', () => {
  for (const yaml of ['title: On Walking\nseries: *main', `a: &a [x, x]\n${Array.from({ length: 60 }, (_, i) => `k${i}: *a`).join('\n')}`]) {
    const read = readFrontMatter(yaml);
    assert.deepEqual(read.fields, {}, yaml);
    assert.match(read.warning ?? '', /^front matter could not be read: .+; the essay's text was used without it$/, yaml);
  }
});
