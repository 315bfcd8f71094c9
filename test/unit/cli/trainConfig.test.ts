// `voice-draft train --config` (issue #25, finding 7): every field of the JSON object
// reaches the run's config.json, flags override only what they set, and a config the
// engine's TrainConfig refuses (unknown field, out of range, not an object) stops the
// command with the engine's message before any dataset or run folder is made.
// Training itself is a stand-in "python" that records the config it was given; every
// other use of python (the config check) runs the real interpreter and engine package.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { trainCommand } from '../../../src/cli/train';
import { choosePython } from '../../../src/engine/locate';
import { essay, folderWith } from '../corpus/fixtures';
import { captureOutput } from '../helpers/captureOutput';

const realPython = choosePython(process.env.VOICE_DRAFT_PYTHON).python;
let work: string;
let essays: { dir: string; cleanup: () => Promise<void> };
let marker: string;
const savedPython = process.env.VOICE_DRAFT_PYTHON;

const STAND_IN = (python: string, markerFile: string) => `#!${python}
import json, os, sys
argv = sys.argv[1:]
if "train" in argv and "--run" in argv:
    run = argv[argv.index("--run") + 1]
    with open(os.path.join(run, "config.json")) as f:
        config = json.load(f)
    with open(${JSON.stringify(markerFile)}, "w") as f:
        json.dump(config, f)
    with open(os.path.join(run, "events.jsonl"), "a") as f:
        for e in ({"event": "train.started", "config": config, "dataset": {"train_pairs": 1, "val_pairs": 0}},
                  {"event": "train.done", "adapter": "adapter", "best_step": 1, "best_val_loss": 1.0}):
            f.write(json.dumps(e) + "\\n")
    sys.exit(0)
os.execv(${JSON.stringify(python)}, [${JSON.stringify(python)}] + argv)
`;

before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'vd-train-config-'));
  marker = path.join(work, 'trained-with.json');
  const standIn = path.join(work, 'python');
  await writeFile(standIn, STAND_IN(realPython, marker));
  await chmod(standIn, 0o755);
  process.env.VOICE_DRAFT_PYTHON = standIn;
  const files: Record<string, string> = {};
  for (let i = 0; i < 5; i++) files[`e${i}.md`] = essay(`Essay ${i}`, i + 1, 8);
  essays = await folderWith(files);
});

after(async () => {
  if (savedPython === undefined) delete process.env.VOICE_DRAFT_PYTHON;
  else process.env.VOICE_DRAFT_PYTHON = savedPython;
  await essays?.cleanup();
  await rm(work, { recursive: true, force: true });
});

const run = (args: string[]) => captureOutput(() => trainCommand(args));

let n = 0;
async function train(...extra: string[]) {
  await rm(marker, { force: true });
  const runs = path.join(work, `runs-${++n}`);
  const result = await run([essays.dir, '--runs', runs, '--no-export', ...extra]);
  const trained = existsSync(marker) ? (JSON.parse(readFileSync(marker, 'utf8')) as Record<string, unknown>) : undefined;
  const runFolders = existsSync(runs) ? await readdir(runs) : [];
  return { ...result, trained, runFolders };
}

test('every field of --config reaches the engine, with no flag given', { timeout: 120_000 }, async () => {
  const config = { epochs: 2, learning_rate: 0.002, base_model: 'tiny:llama', max_steps: 5, lora_r: 8, lora_alpha: 16, max_grad_norm: 0.5, max_seq_len: 256 };
  const r = await train('--config', JSON.stringify(config));
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.trained, config);
});

test('a flag overrides only the field it sets', { timeout: 120_000 }, async () => {
  const r = await train('--config', '{"epochs":2,"learning_rate":0.002,"lora_alpha":12}', '--epochs', '4', '--rank', '8');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.trained, { epochs: 4, learning_rate: 0.002, lora_r: 8, lora_alpha: 12 });
  const flagsOnly = await train('--lr', '0.0005', '--rank', '4');
  assert.equal(flagsOnly.code, 0, flagsOnly.stderr);
  assert.deepEqual(flagsOnly.trained, { learning_rate: 0.0005, lora_r: 4, lora_alpha: 8 });
});

test('a config the engine refuses stops the command with its message, before any run folder', { timeout: 120_000 }, async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--config', '{"epochs":-1}'], /config_invalid.*epochs must be at least 1/],
    [['--config', '{"max_grad_norm":-1}'], /config_invalid.*max_grad_norm must be 0 or more/],
    [['--config', '{"learning_rate":-0.001}'], /config_invalid.*learning_rate must be a positive number/],
    [['--config', '{"epoch":3}'], /config_invalid.*unknown field\(s\) epoch/],
    [['--config', '{"epochs":"three"}'], /config_invalid.*epochs must be int/],
    [['--epochs', '-2'], /config_invalid.*epochs must be at least 1/],
    [['--max-steps', '0'], /config_invalid.*max_steps must be at least 1/],
  ];
  for (const [args, message] of cases) {
    const r = await train(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.equal(r.trained, undefined, `${args.join(' ')} never trained`);
    assert.deepEqual(r.runFolders, [], `${args.join(' ')} made no run folder`);
  }
});

test('--config must be a JSON object; a flag needs its value; --resume keeps its config', { timeout: 60_000 }, async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--config', '[1,2]'], /--config must be a JSON object/],
    [['--config', '"epochs"'], /--config must be a JSON object/],
    [['--config', 'null'], /--config must be a JSON object/],
    [['--config', '{epochs: 2}'], /--config is not valid JSON/],
    [['--epochs'], /--epochs needs a value/],
    [['--epochs', '--no-export'], /--epochs needs a value/],
    [['--lr', 'fast'], /--lr needs a number/],
  ];
  for (const [args, message] of cases) {
    const r = await train(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.equal(r.trained, undefined);
    assert.deepEqual(r.runFolders, []);
  }
  const resumed = await run(['--resume', path.join(work, 'some-run'), '--epochs', '5']);
  assert.equal(resumed.code, 2);
  assert.match(resumed.stderr, /--resume continues a run with the config it started with; --epochs cannot change it/);
});
