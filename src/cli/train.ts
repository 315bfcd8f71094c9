// `voice-draft train <folder>`: essays → dataset → run folder → training →
// export, on this machine, through the same code the extension runs.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { formatDatasetSummary } from '../core/dataset/summary';
import { DatasetError } from '../core/dataset/build';
import { buildRunDataset, createRun, type TrainOverrides } from '../core/runs/prepareRun';
import { runsRoot } from '../core/runs/runFolder';
import { cancelEngine } from '../engine/detached';
import { choosePython, localEngine } from '../engine/locate';
import { exportVoice, followTraining, startTraining, TrainingBusyError } from '../engine/training';
import { reportEngineFailure } from './engine';
import { printEngineProgress } from './progress';

const USAGE = `usage: voice-draft train <essays folder> [options]
  --model SPEC        base model: offline:smollm2-135m-instruct (default), a Hugging Face id, or a folder
  --epochs N          passes over the essays (default 3; early stopping keeps the best)
  --max-steps N       stop after N optimizer steps (a quick demo run)
  --lr X              learning rate (default 1e-3)
  --rank N            LoRA rank (default 64; alpha = 2 x rank unless --config sets lora_alpha)
  --runs DIR          runs folder (default ~/.voice-draft/runs)
  --resume RUN        resume a cancelled or crashed run folder instead (it keeps its own config)
  --config JSON       engine config fields as a JSON object, e.g. '{"max_seq_len":512}'
                      (the engine's TrainConfig fields; the flags above win over it)
  --no-export         skip the ONNX export at the end
`;

/** A command line the train command cannot act on: printed with the usage, exit 2. */
export class TrainUsageError extends Error {}

const WITH_VALUE = new Set(['--model', '--epochs', '--max-steps', '--lr', '--rank', '--runs', '--resume', '--config']);
/** The flags that set engine config fields (refused with --resume: a resumed run keeps its config). */
const CONFIG_FLAGS = ['--config', '--model', '--epochs', '--max-steps', '--lr', '--rank'];

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (value === undefined || (WITH_VALUE.has(value) || value === '--no-export')) throw new TrainUsageError(`${name} needs a value`);
  return value;
}

function numberOption(args: string[], name: string): number | undefined {
  const v = option(args, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!v.trim() || !Number.isFinite(n)) throw new TrainUsageError(`${name} needs a number, got "${v}"`);
  return n;
}

/**
 * The engine config a command line asks for: --config's fields, then each flag that
 * was given (a flag that was not given leaves --config's value alone). Values are
 * checked by the engine's own TrainConfig (checkTrainConfig) before anything is built.
 */
export function trainOverrides(args: string[]): TrainOverrides {
  const raw = option(args, '--config');
  let config: TrainOverrides = {};
  if (raw !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (e) {
      throw new TrainUsageError(`--config is not valid JSON (${e instanceof Error ? e.message : String(e)}): ${raw}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new TrainUsageError(`--config must be a JSON object of engine config fields, like '{"max_seq_len":512}', not ${raw}`);
    }
    config = { ...(parsed as TrainOverrides) };
  }
  const fromConfig = new Set(Object.keys(config));
  const set = (field: string, value: unknown) => { if (value !== undefined) config[field] = value; };
  set('base_model', option(args, '--model'));
  set('epochs', numberOption(args, '--epochs'));
  set('max_steps', numberOption(args, '--max-steps'));
  set('learning_rate', numberOption(args, '--lr'));
  const rank = numberOption(args, '--rank');
  if (rank !== undefined) {
    config.lora_r = rank;
    if (!fromConfig.has('lora_alpha')) config.lora_alpha = 2 * rank;
  }
  return config;
}

/** What the engine's TrainConfig says about a config: undefined when it takes it. */
export interface ConfigProblem { code: string; message: string; hint: string }

const CHECK_CONFIG = [
  'import sys',
  "sys.path[:] = [p for p in sys.path if p not in ('', '.')]",
  'import json',
  'from voice_draft_engine.config import TrainConfig',
  'from voice_draft_engine.protocol import EngineError',
  'try:',
  "    TrainConfig.from_dict(json.loads(sys.argv[1]), where='the training config')",
  'except EngineError as e:',
  "    print(json.dumps({'code': e.code, 'message': e.message, 'hint': e.hint}))",
  '    sys.exit(0)',
  "print('{}')",
].join('\n');

/**
 * Asks the engine's TrainConfig (from_dict + validate: unknown fields, types, ranges)
 * about `config` before the dataset is built and a run folder made. Undefined when
 * it is fine, or when the engine cannot be asked (training then reports why).
 */
export function checkTrainConfig(python: string, config: TrainOverrides, env: NodeJS.ProcessEnv = process.env): Promise<ConfigProblem | undefined> {
  const inv = localEngine(python, [], env);
  return new Promise((resolve) => {
    execFile(python, ['-s', '-c', CHECK_CONFIG, JSON.stringify(config)], { env: inv.env, timeout: 60_000, windowsHide: true }, (error, stdout) => {
      if (error) return resolve(undefined);
      try {
        const answer = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Partial<ConfigProblem>;
        resolve(typeof answer.message === 'string' ? { code: answer.code ?? 'config_invalid', message: answer.message, hint: answer.hint ?? '' } : undefined);
      } catch {
        resolve(undefined);
      }
    });
  });
}

export async function trainCommand(args: string[]): Promise<number> {
  const positional = args.filter((a, i) => !a.startsWith('--') && !WITH_VALUE.has(args[i - 1] ?? ''));
  let resumeDir: string | undefined;
  let config: TrainOverrides;
  try {
    resumeDir = option(args, '--resume');
    config = trainOverrides(args);
    if (resumeDir) {
      const given = CONFIG_FLAGS.filter((f) => args.includes(f));
      if (given.length) throw new TrainUsageError(`--resume continues a run with the config it started with; ${given.join(', ')} cannot change it (start a new run instead)`);
    }
  } catch (e) {
    if (!(e instanceof TrainUsageError)) throw e;
    process.stderr.write(`error: ${e.message}\n${USAGE}`);
    return 2;
  }
  if (!positional[0] && !resumeDir) {
    process.stderr.write(USAGE);
    return 2;
  }
  const python = choosePython(process.env.VOICE_DRAFT_PYTHON).python;
  const root = runsRoot(option(args, '--runs'));
  let runDir: string;
  if (resumeDir) {
    runDir = resolve(resumeDir);
  } else {
    const folder = resolve(positional[0]!);
    // The engine's own rules, before minutes of dataset building and a run folder that could never train.
    const problem = await checkTrainConfig(python, config);
    if (problem) {
      process.stderr.write(`error [${problem.code}]: ${problem.message}\nnext: fix --config or the flag; the fields and their defaults are in the engine's TrainConfig (the config of any train.started event)\n`);
      return 2;
    }
    try {
      const build = await buildRunDataset({ folder });
      runDir = await createRun(root, folder, build, config);
      process.stdout.write(`${formatDatasetSummary(build.manifest, { writtenTo: runDir })}\n`);
    } catch (e) {
      if (e instanceof DatasetError) {
        process.stderr.write(`error: ${e.message}\n`);
        return 1;
      }
      throw e;
    }
  }

  try {
    const engine = await startTraining(runDir, { python, runsRoot: root, resume: Boolean(resumeDir) });
    process.stderr.write(`training in ${runDir} (engine pid ${engine.pid}; Ctrl-C cancels and keeps a checkpoint)\n`);
    const onSigint = () => cancelEngine(engine.pid);
    process.on('SIGINT', onSigint);
    let result;
    try {
      result = await followTraining(runDir, engine.pid, printEngineProgress);
    } finally {
      process.off('SIGINT', onSigint);
    }
    const end = result.terminal;
    if (!end) {
      process.stderr.write(`error: the engine stopped without finishing; see ${runDir}/engine.log. Resume with: voice-draft train --resume ${runDir}\n`);
      return 1;
    }
    if (end.event === 'error') {
      process.stderr.write(`error [${end.code}]: ${end.message}\n${end.hint ? `next: ${end.hint}\n` : ''}`);
      return 1;
    }
    if (end.event === 'train.cancelled') return 130;
    if (!args.includes('--no-export')) {
      await exportVoice(runDir, python, { onEvent: printEngineProgress, onStderr: () => {} });
    }
    process.stdout.write(`${runDir}\n`);
    return 0;
  } catch (e) {
    if (e instanceof TrainingBusyError) {
      process.stderr.write(`error: ${e.message}\n`);
      return 1;
    }
    return reportEngineFailure(e);
  }
}
