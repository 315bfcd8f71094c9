// The parse pool: worker threads must not change a byte of the dataset, results come
// back in path order whatever order the batches finish in, and a worker that dies or
// fails hands its batch back to be parsed in-process.
import assert from 'node:assert/strict';
import { promises as fs, readFileSync, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { loadMarkdownParser } from '../../../src/core/corpus/markdown';
import { parseFile, type SourceFile } from '../../../src/core/dataset/parse-files';
import { ParsePool, defaultParseWorkers, parseWorkerScript } from '../../../src/core/dataset/parse-pool';
import { buildDataset } from '../../../src/core/dataset/build';
import { writtenFiles } from '../helpers/datasetFiles';
import { BIERCE_NOTES, MACDOWELL, corporaMissing, essay, folderWith, gitMissing, gitRepository, prose } from '../corpus/fixtures';

/** Every file the build writes, by name. */
async function builtBytes(folder: string, parseWorkers: number): Promise<Record<string, Buffer>> {
  return writtenFiles(await buildDataset({ folder, parseWorkers }));
}

/** Both corpora (many batches), plus drafts, front-matter links, broken YAML, CRLF and a binary file. */
async function mixedCorpus(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const files: Record<string, string | Buffer> = {};
  for (const [from, to] of [[MACDOWELL, 'essays'], [BIERCE_NOTES, 'notes']] as const) {
    for (const f of readdirSync(from).filter((n) => n.endsWith('.md'))) files[`${to}/${f}`] = readFileSync(path.join(from, f), 'utf8');
  }
  files['posts/walk.md'] = essay('On walking', 1, 8);
  files['posts/drafts/walk.md'] = essay('On walking', 1, 5, `\n\n${prose(99)}\n`);
  files['posts/river.md'] = essay('The river', 2, 7);
  files['posts/river-rough.md'] = `---\ndraft: true\n---\n\n${prose(2)}\n\n${prose(3)}\n\n${prose(77)}\n`;
  files['posts/broken.md'] = `---\ntitle: "unclosed\ntags: [a\n---\n\n${prose(5)}\n`;
  files['posts/windows.md'] = essay('Line endings', 6, 6).replace(/\n/g, '\r\n');
  files['posts/image.md'] = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01]);
  return folderWith(files);
}

test('in-process and a pool of 2 write byte-identical datasets', { skip: corporaMissing }, async () => {
  const { dir, cleanup } = await mixedCorpus();
  try {
    const inProcess = await builtBytes(dir, 0);
    const pooled = await builtBytes(dir, 2);
    assert.deepEqual(Object.keys(pooled), ['documents.jsonl', 'manifest.json', 'train.jsonl', 'val.jsonl']);
    for (const [name, bytes] of Object.entries(inProcess)) assert.ok(bytes.equals(pooled[name] ?? Buffer.alloc(0)), `${name} differs between pool sizes`);
    const manifest = JSON.parse(inProcess['manifest.json']?.toString('utf8') ?? '{}') as { documents: { total: number } };
    assert.ok(manifest.documents.total > 40, 'the corpus spans many batches');
  } finally {
    await cleanup();
  }
});

test('git versions are parsed by the pool too: the same T1 pairs either way', { skip: gitMissing }, async () => {
  const { dir, cleanup } = await folderWith({ 'essays/walk.md': essay('On walking', 11, 6), 'essays/tide.md': essay('The tide', 12, 6) });
  try {
    const git = gitRepository(dir, 'first drafts');
    await fs.writeFile(path.join(dir, 'essays/walk.md'), essay('On walking', 11, 6, `\n\n${prose(40)}\n\n${prose(41)}\n`));
    await fs.writeFile(path.join(dir, 'essays/tide.md'), essay('The tide', 12, 6, `\n\n${prose(42)}\n`));
    git('commit', '-q', '-am', 'finished');
    const inProcess = await builtBytes(dir, 0);
    const pooled = await builtBytes(dir, 2);
    for (const [name, bytes] of Object.entries(inProcess)) assert.ok(bytes.equals(pooled[name] ?? Buffer.alloc(0)), `${name} differs between pool sizes`);
    assert.match(inProcess['train.jsonl']?.toString('utf8') ?? '', /"tier":"T1"/);
  } finally {
    await cleanup();
  }
});

/** Files whose batches finish in a different order from the one they were sent in. */
function sampleFiles(): SourceFile[] {
  // Big files first: their batches take longest, so later batches finish before them.
  return Array.from({ length: 60 }, (_, i) => ({
    path: `doc-${String(i).padStart(2, '0')}.md`,
    text: `# Title ${i}\n\n${Array.from({ length: i < 6 ? 400 : 2 }, (_, k) => prose(i * 1000 + k)).join('\n\n')}\n`,
  }));
}

test('results come back in input order, equal to parsing in-process', async () => {
  const files = sampleFiles();
  const parse = await loadMarkdownParser();
  const expected = files.map((f) => parseFile(f, parse));
  const pool = new ParsePool(2);
  try {
    assert.equal(pool.workers, 2);
    const done: number[] = [];
    const parsed = await pool.parseAll(files, { onProgress: (n) => done.push(n) });
    assert.deepEqual(parsed, expected);
    assert.equal(done.at(-1), files.length);
  } finally {
    await pool.close();
  }
});

test('a worker that dies mid-batch, or answers with an error, leaves its batches to the main thread', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'voice-draft-pool-'));
  try {
    const dies = path.join(dir, 'dies.js');
    const fails = path.join(dir, 'fails.js');
    await fs.writeFile(dies, "require('node:worker_threads').parentPort.on('message', () => process.exit(3));\n");
    await fs.writeFile(fails, "const { parentPort } = require('node:worker_threads');\nparentPort.on('message', (m) => parentPort.postMessage({ id: m.id, error: 'no parser here' }));\n");
    const files = sampleFiles();
    const parse = await loadMarkdownParser();
    const expected = files.map((f) => parseFile(f, parse));
    for (const script of [dies, fails]) {
      const pool = new ParsePool(2, script);
      try {
        assert.deepEqual(await pool.parseAll(files), expected, path.basename(script));
      } finally {
        await pool.close();
      }
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('the default pool is one worker below 4 cores, one worker per core (at most 4) from there', () => {
  assert.deepEqual([1, 2, 3, 4, 6, 16].map((cores) => defaultParseWorkers(cores)), [1, 1, 1, 4, 4, 4]);
});

test('no worker, or no worker script, parses in-process; one worker is a thread; an aborted parse rejects', async () => {
  assert.equal(new ParsePool(0).workers, 0);
  const one = new ParsePool(1);
  assert.equal(one.workers, 1, 'one worker keeps the main thread free');
  await one.close();
  assert.equal(new ParsePool(3, null).workers, 0);
  assert.match(parseWorkerScript() ?? '', /parse-worker\.ts$/);
  const pool = new ParsePool(2);
  try {
    const abort = new AbortController();
    const parsing = pool.parseAll(sampleFiles(), { signal: abort.signal });
    abort.abort();
    await assert.rejects(parsing, { name: 'AbortError' });
  } finally {
    await pool.close();
  }
});
