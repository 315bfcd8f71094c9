// Every subcommand reads its command line strictly (issue #24): an unknown option, a
// missing value or a bad one stops it with the problem and its usage (exit 2) before it
// does anything; the values that reach the engine are the ones typed. The engine here is
// the real one, started through a stand-in "python" that writes down the command line it
// was given and then runs the real interpreter with it.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { chooseCommand } from '../../../src/cli/choose';
import { parseCommandLine, usage, type CommandSpec } from '../../../src/cli/commandLine';
import { COMMANDS as SPECS } from '../../../src/cli/commands';
import { dataCommand } from '../../../src/cli/data';
import { doctorCommand } from '../../../src/cli/doctor';
import { evalCommand } from '../../../src/cli/eval';
import { exportCommand } from '../../../src/cli/export';
import { sampleCommand } from '../../../src/cli/sample';
import { trainCommand } from '../../../src/cli/train';
import { writeCommand } from '../../../src/cli/write';
import { choosePython } from '../../../src/engine/locate';
import { captureOutput } from '../helpers/captureOutput';

const COMMANDS: Array<[CommandSpec, (args: string[]) => Promise<number>]> = [
  [SPECS.train, trainCommand], [SPECS.write, writeCommand], [SPECS.eval, evalCommand], [SPECS.export, exportCommand],
  [SPECS.data, dataCommand], [SPECS.choose, chooseCommand], [SPECS['sample-workspace'], sampleCommand], [SPECS.doctor, doctorCommand],
];

const realPython = choosePython(process.env.VOICE_DRAFT_PYTHON).python;
const savedPython = process.env.VOICE_DRAFT_PYTHON;
let work: string;
let argvLog: string;

before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'vd-cli-lines-'));
  argvLog = path.join(work, 'engine-argv.jsonl');
  const standIn = path.join(work, 'python');
  await writeFile(standIn, `#!${realPython}
import json, os, sys
with open(${JSON.stringify(argvLog)}, "a") as f:
    f.write(json.dumps(sys.argv[1:]) + "\\n")
os.execv(${JSON.stringify(realPython)}, [${JSON.stringify(realPython)}] + sys.argv[1:])
`);
  await chmod(standIn, 0o755);
  process.env.VOICE_DRAFT_PYTHON = standIn;
});

after(async () => {
  if (savedPython === undefined) delete process.env.VOICE_DRAFT_PYTHON;
  else process.env.VOICE_DRAFT_PYTHON = savedPython;
  await rm(work, { recursive: true, force: true });
});

/** The engine command lines started since the last call (what follows the interpreter's own -s -c BOOTSTRAP). */
async function engineCalls(): Promise<string[][]> {
  if (!existsSync(argvLog)) return [];
  const calls = readFileSync(argvLog, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as string[]).slice(3));
  await rm(argvLog);
  return calls;
}

test('an unknown option stops every subcommand with its usage, exit 2, and starts no engine', { timeout: 60_000 }, async () => {
  for (const [spec, command] of COMMANDS) {
    for (const args of [['--bogus'], ['somewhere', '--verbos'], ['-x', 'somewhere']]) {
      const r = await captureOutput(() => command(args));
      assert.equal(r.code, 2, `${spec.name} ${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^voice-draft ${spec.name}: unknown option ${args.find((a) => a.startsWith('-'))}`), spec.name);
      assert.ok(r.stderr.includes(`usage: voice-draft ${spec.name} `), `${spec.name} prints its usage`);
      assert.equal(r.stdout, '');
    }
  }
  assert.deepEqual(await engineCalls(), []);
});

test('--help prints the usage written from the spec: every option, exit 0', async () => {
  for (const [spec, command] of COMMANDS) {
    const r = await captureOutput(() => command(['--help']));
    assert.equal(r.code, 0, spec.name);
    assert.equal(r.stdout, usage(spec));
    for (const name of Object.keys(spec.options)) assert.match(r.stdout, new RegExp(`\\n  --${name}\\b`), `${spec.name} --${name}`);
  }
});

test('export --base-gguf-dtype f32 <run>: f32 is the precision, <run> the run folder (it was taken for the run folder)', { timeout: 120_000 }, async () => {
  const run = path.join(work, 'no-such-run');
  const r = await captureOutput(() => exportCommand(['--base-gguf-dtype', 'f32', run]));
  assert.deepEqual(await engineCalls(), [['export', '--run', run, '--base-gguf', '--base-gguf-dtype', 'f32']]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`error \\[run_not_found\\]: ${run} is not a folder`), 'the real engine was asked about the run folder');
});

test('export reaches every engine option: --no-base, --force, --base-gguf, and --model FOLDER --out DIR', { timeout: 120_000 }, async () => {
  const run = path.join(work, 'no-such-run');
  await captureOutput(() => exportCommand([run, '--no-base', '--force', '--base-gguf']));
  const model = path.join(work, 'no-such-model');
  const out = path.join(work, 'out');
  const r = await captureOutput(() => exportCommand(['--model', model, '--out', out, '--force']));
  assert.deepEqual(await engineCalls(), [
    ['export', '--run', run, '--base-gguf', '--no-base', '--force'],
    ['export', '--model', model, '--out', out, '--force'],
  ]);
  assert.match(r.stderr, /error \[model_not_found\]: .*no-such-model is not a model folder/);
});

test('export: a precision it does not know, or options that do not go together, are usage errors before the engine', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--base-gguf-dtype', 'f64', 'run'], /--base-gguf-dtype must be one of f16, f32 \(got "f64"\)/],
    [['--base-gguf-dtype'], /--base-gguf-dtype needs a value/],
    [['--model', 'm'], /--model needs --out DIR/],
    [['--model', 'm', '--out', 'o', 'run'], /either a run folder or --model, not both/],
    [['--model', 'm', '--out', 'o', '--no-base'], /are for a run folder, not --model/],
    [['run', '--out', 'o'], /--out goes with --model/],
    [[], /name the run folder to export/],
    [['run', 'other'], /export takes one run folder; "other" is one too many/],
    [['run', '--force=yes'], /--force takes no value/],
  ];
  for (const [args, message] of cases) {
    const r = await captureOutput(() => exportCommand(args));
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, message, args.join(' '));
  }
  assert.deepEqual(await engineCalls(), []);
});

test('write --max-tokens abc is refused (it sent NaN: no token limit), as are 0 and a device it does not know', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--default', 'Some text', '--max-tokens', 'abc'], /--max-tokens needs a whole number \(got "abc"\)/],
    [['--default', 'Some text', '--max-tokens', '2.5'], /--max-tokens needs a whole number/],
    [['--default', 'Some text', '--max-tokens', '0'], /--max-tokens must be at least 1 \(got 0\)/],
    [['--default', 'Some text', '--max-tokens', '-3'], /--max-tokens must be at least 1 \(got -3\)/],
    [['--default', 'Some text', '--device', 'tpu'], /--device must be one of cpu, cuda/],
    [['--default'], /write takes a run folder \(or --default\) and the text/],
    [['some-run'], /give a run folder \(or --default\) and the text/],
  ];
  for (const [args, message] of cases) {
    const r = await captureOutput(() => writeCommand(args));
    assert.equal(r.code, 2, `${args.join(' ')}\n${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.equal(r.stdout, '', 'nothing was written');
  }
});

test('train --model --epochs 3: --model has no value (it took --epochs for the model); no run folder is made', async () => {
  const runs = path.join(work, 'runs');
  for (const args of [['--model', '--epochs', '3', work], [work, '--epochs', 'three'], [work, '--rank', '8.5'], [work, '--launcher', 'mpi']]) {
    const r = await captureOutput(() => trainCommand([...args, '--runs', runs]));
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, /--model needs a value|--epochs needs a whole number|--rank needs a whole number|--launcher must be one of none, torchrun, accelerate/);
    assert.ok(r.stderr.includes('usage: voice-draft train'));
  }
  assert.ok(!existsSync(runs), 'no run folder');
  assert.deepEqual(await engineCalls(), []);
});

test('eval, choose and sample-workspace check their numbers before anything runs', async () => {
  const cases: Array<[(a: string[]) => Promise<number>, string[], RegExp]> = [
    [evalCommand, ['run', '--samples', 'many'], /--samples needs a whole number/],
    [evalCommand, ['run', '--prompts', '0'], /--prompts must be at least 1/],
    [evalCommand, ['run', '--base-pool', '-1'], /--base-pool must be at least 0/],
    [evalCommand, ['run', '--temperature', '-0.5'], /--temperature must be at least 0/],
    [evalCommand, ['run', '--top-k', '2.5'], /--top-k needs a whole number/],
    [evalCommand, ['run', '--repetition-penalty', '0.9'], /--repetition-penalty must be at least 1/],
    [evalCommand, [], /eval takes one run folder/],
    [chooseCommand, ['run', '--step', 'last'], /--step needs a whole number/],
    [chooseCommand, ['run'], /name the checkpoint with --step N/],
    [sampleCommand, ['dir', '--notes', 'abc'], /--notes needs a whole number/],
    [doctorCommand, ['extra'], /doctor takes no arguments/],
  ];
  for (const [command, args, message] of cases) {
    const r = await captureOutput(() => command(args));
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, message, args.join(' '));
  }
  assert.deepEqual(await engineCalls(), []);
});

test('eval passes exactly the numbers given to the engine', { timeout: 120_000 }, async () => {
  const run = path.join(work, 'a-run'); // a run folder's shape; the engine then finds no trained voice in it
  await mkdir(path.join(run, 'dataset'), { recursive: true });
  await writeFile(path.join(run, 'config.json'), '{}');
  await captureOutput(() => evalCommand([run, '--samples', '2', '--seed', '0', '--continuation-tokens', '9', '--base-pool', '0',
    '--temperature', '0.7']));
  assert.deepEqual(await engineCalls(), [['eval', '--run', run, '--samples', '2', '--continuation-tokens', '9', '--base-pool', '0',
    '--temperature', '0.7', '--seed', '0']]);
});

test('a run folder that does not exist, or is not a run, is a usage error before any engine starts, and nothing is written there', async () => {
  const essays = await mkdtemp(path.join(os.tmpdir(), 'vd-essays-'));
  await writeFile(path.join(essays, 'walk.md'), '# Walk\n\nWalking is thinking with the feet.\n');
  const missing = path.join(work, 'no-such-run');
  const cases: Array<[(args: string[]) => Promise<number>, string[], RegExp]> = [
    [evalCommand, [missing], /no-such-run does not exist: name a run folder/],
    [chooseCommand, [missing, '--step', '2', '--no-export'], /no-such-run does not exist/],
    [trainCommand, ['--resume', missing], /no-such-run does not exist/],
    [evalCommand, [essays], /is not a run folder \(a run folder holds dataset\/\)/],
    [trainCommand, ['--resume', essays], /is not a run folder/],
    [evalCommand, [path.join(essays, 'walk.md')], /walk\.md is a file: name a run folder/],
  ];
  try {
    for (const [command, args, message] of cases) {
      const r = await captureOutput(() => command(args));
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, message, args.join(' '));
    }
    assert.deepEqual(await engineCalls(), []);
    assert.deepEqual(readdirSync(essays), ['walk.md'], 'no events.jsonl, engine.log or pid file in the essays folder');
  } finally {
    await rm(essays, { recursive: true, force: true });
  }
});

test('a negative number reaches the check as a number; text after -- is text', () => {
  const spec = { name: 't', synopsis: '', positionals: { min: 0, max: 9, names: 'words' }, options: { n: { kind: 'int' }, x: { kind: 'number' }, s: { kind: 'text' } } } as const;
  const typed = spec as unknown as CommandSpec<{ n: { kind: 'int'; help: string }; x: { kind: 'number'; help: string }; s: { kind: 'text'; help: string } }>;
  assert.deepEqual(parseCommandLine(typed, ['--n', '-2', '--x', '-.5']).values, { n: -2, x: -0.5 });
  assert.deepEqual(parseCommandLine(typed, ['--', '--n', '-h']).positionals, ['--n', '-h']);
  assert.throws(() => parseCommandLine(typed, ['--s', '-2']), /--s needs a value \(one that starts with '-' is written --s=-X\)/);
  assert.deepEqual(parseCommandLine(typed, ['--s=-2']).values, { s: '-2' });
});
