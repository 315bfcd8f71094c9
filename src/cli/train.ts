// `voice-draft train <folder>`: essays → dataset → run folder → training →
// export, on this machine, through the same code the extension runs.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { formatDatasetSummary } from '../core/dataset/summary';
import { DatasetError } from '../core/dataset/build';
import { buildRunDataset, createRun, type TrainOverrides } from '../core/dataset/prepareRun';
import { runsRoot } from '../core/runs/runFolder';
import { choosePython, localEngine } from '../engine/locate';
import { TrainingBusyError } from '../engine/training';
import { localBackend } from '../engine/trainingBackend';
import { command, UsageError, type OptionValues } from './commandLine';
import { COMMANDS } from './commands';
import { reportEngineFailure } from './engine';
import { printEngineProgress } from './progress';
import { runFolderArgument } from './runFolderArgument';

type TrainValues = OptionValues<typeof COMMANDS.train.options>;

/** The options that set engine config fields, and the field each sets (refused with --resume: a resumed run keeps its config). */
const CONFIG_FIELDS = {
  model: 'base_model', epochs: 'epochs', 'max-steps': 'max_steps', lr: 'learning_rate', rank: 'lora_r', launcher: 'launcher', processes: 'processes',
} as const satisfies Partial<Record<keyof TrainValues, string>>;

/**
 * The engine config a command line asks for: --config's fields, then each flag that
 * was given (a flag that was not given leaves --config's value alone). Values are
 * checked by the engine's own TrainConfig (checkTrainConfig) before anything is built.
 */
export function trainOverrides(values: TrainValues): TrainOverrides {
  let config: TrainOverrides = {};
  const raw = values.config;
  if (raw !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (e) {
      throw new UsageError(`--config is not valid JSON (${e instanceof Error ? e.message : String(e)}): ${raw}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new UsageError(`--config must be a JSON object of engine config fields, like '{"max_seq_len":512}', not ${raw}`);
    }
    config = { ...(parsed as TrainOverrides) };
  }
  const fromConfig = new Set(Object.keys(config));
  for (const [option, field] of Object.entries(CONFIG_FIELDS)) {
    const value = values[option as keyof typeof CONFIG_FIELDS];
    if (value !== undefined) (config as Record<string, unknown>)[field] = value;
  }
  if (values.rank !== undefined && !fromConfig.has('lora_alpha')) config.lora_alpha = 2 * values.rank;
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

export const trainCommand = command(COMMANDS.train, async ({ values: v, positionals }) => {
  const resumeDir = v.resume;
  const config = trainOverrides(v);
  if (resumeDir) {
    const given = ['config', ...Object.keys(CONFIG_FIELDS)].filter((o) => v[o as keyof TrainValues] !== undefined).map((o) => `--${o}`);
    if (given.length) throw new UsageError(`--resume continues a run with the config it started with; ${given.join(', ')} cannot change it (start a new run instead)`);
    if (positionals.length) throw new UsageError(`--resume continues the run it names; "${positionals[0]}" cannot go with it`);
  }
  if (!positionals[0] && !resumeDir) throw new UsageError('name the folder of essays to train on (or --resume RUN)');
  const python = choosePython(process.env.VOICE_DRAFT_PYTHON).python;
  const root = runsRoot(v.runs);
  let runDir: string;
  if (resumeDir) {
    runDir = await runFolderArgument(resumeDir);
  } else {
    const folder = resolve(positionals[0]!);
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

  // The lifecycle the extension runs too (trainingBackend.ts): start, follow to the end, export.
  const backend = localBackend({ python: () => python, runsRoot: () => root });
  try {
    const pid = await backend.start(runDir, { resume: Boolean(resumeDir) });
    process.stderr.write(`training in ${runDir} (engine pid ${pid}; Ctrl-C cancels and keeps a checkpoint)\n`);
    const onSigint = () => { void backend.cancel(runDir); };
    process.on('SIGINT', onSigint);
    let result;
    try {
      result = await backend.follow(runDir, printEngineProgress);
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
    if (!v['no-export']) {
      await backend.exportVoice(runDir, { onEvent: printEngineProgress, onStderr: () => {} });
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
});
