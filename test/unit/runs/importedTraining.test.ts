// End to end from a platform's export to a trained voice: a Substack export zip (made
// here from MacDowell's public-domain essays, with Substack's furniture in each post) →
// `voice-draft import` → the dataset → a real (tiny) training run → train.done.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { importCommand } from '../../../src/cli/import';
import { buildRunDataset, createRun } from '../../../src/core/dataset/prepareRun';
import { choosePython } from '../../../src/engine/locate';
import type { EngineEvent } from '../../../src/core/runs/protocol';
import { followTraining, startTraining } from '../../../src/engine/training';
import { MACDOWELL, corporaMissing } from '../corpus/fixtures';
import { captureOutput } from '../helpers/captureOutput';
import { zip } from '../import/exports';

const python = choosePython(process.env.VOICE_DRAFT_PYTHON).python;
const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A post's HTML as Substack writes it: the essay's paragraphs, a subscribe box and a share button among them. */
function substackPost(markdown: string): { title: string; html: string } {
  const body = markdown.replace(/^---\n[\s\S]*?\n---\n/, '');
  const title = /^title:\s*"?(.*?)"?$/m.exec(markdown)?.[1] ?? 'Untitled';
  const paragraphs = body.split(/\n\s*\n/).map((p) => p.trim()).filter((p) => p && !p.startsWith('#'));
  const html = paragraphs.map((p) => `<p>${escape(p.replace(/\s*\n\s*/g, ' '))}</p>`);
  html.splice(2, 0, '<div class="subscription-widget-wrap-editor"><div class="subscription-widget"><p class="cta-caption">Thanks for reading! Subscribe for free to receive new posts.</p></div></div>');
  html.push('<p class="button-wrapper"><a class="button primary" href="https://x.substack.com/p/a?action=share"><span>Share</span></a></p>');
  return { title, html: html.join('\n') };
}

test('a Substack export imported with the CLI trains a voice to train.done', { skip: corporaMissing || (!existsSync(python) && `no engine Python at ${python}`), timeout: 600_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'imported-training-'));
  const files: Record<string, string> = {};
  const rows = ['post_id,post_date,is_published,email_sent_at,inbox_sent_at,type,audience,title,subtitle,podcast_url'];
  readdirSync(MACDOWELL).filter((f) => f.endsWith('.md')).sort().slice(0, 10).forEach((name, i) => {
    const { title, html } = substackPost(readFileSync(join(MACDOWELL, name), 'utf8'));
    const id = `${500 + i}.essay-${i}`;
    rows.push(`${id},2020-0${1 + (i % 9)}-01T09:00:00.000Z,true,,,newsletter,everyone,"${title.replace(/"/g, '""')}",,`);
    files[`posts/${id}.html`] = html;
  });
  files['posts.csv'] = rows.join('\n');
  writeFileSync(join(dir, 'export.zip'), zip(files));

  const essays = join(dir, 'essays');
  const imported = await captureOutput(() => importCommand([join(dir, 'export.zip'), '--out', essays]));
  assert.equal(imported.code, 0, imported.stderr);
  assert.match(imported.stdout, /10 pieces: 10 added/);

  const build = await buildRunDataset({ folder: essays });
  assert.equal(build.manifest.documents.total, 10);
  const texts = build.documents.map((d) => d.text).join('\n');
  assert.ok(!/Subscribe|Thanks for reading|Share/.test(texts), 'no Substack furniture reaches the training text');
  assert.ok(build.manifest.health, 'the data report carries the corpus health');

  const root = mkdtempSync(join(tmpdir(), 'runs-'));
  const runDir = await createRun(root, essays, build, { base_model: 'tiny:llama', max_steps: 2, max_seq_len: 128, canary_samples: 1, canary_max_new_tokens: 8 });
  const engine = await startTraining(runDir, { python, runsRoot: root });
  const events: EngineEvent[] = [];
  const result = await followTraining(runDir, engine.pid, (e) => events.push(e));
  assert.equal(result.terminal?.event, 'train.done', JSON.stringify(events.at(-1)));
  assert.ok(existsSync(join(runDir, 'adapter', 'adapter_config.json')));
});
