// `voice-draft train <folder>`: essays → dataset → run folder → training →
// export, on this machine, through the same code the extension runs.
import { resolve } from 'node:path';
import { formatDatasetSummary } from '../core/dataset/summary';
import { DatasetError } from '../core/dataset/build';
import { buildRunDataset, createRun, type TrainOverrides } from '../core/runs/prepareRun';
import { runsRoot } from '../core/runs/runFolder';
import { cancelEngine } from '../engine/detached';
import { choosePython } from '../engine/locate';
import { exportVoice, followTraining, startTraining, TrainingBusyError } from '../engine/training';
import { reportEngineFailure } from './engine';
import { printEngineProgress } from './progress';

const USAGE = `usage: voice-draft train <essays folder> [options]
  --model SPEC        base model: offline:smollm2-135m-instruct (default), a Hugging Face id, or a folder
  --epochs N          passes over the essays (default 3; early stopping keeps the best)
  --max-steps N       stop after N optimizer steps (a quick demo run)
  --lr X              learning rate (default 1e-4)
  --rank N            LoRA rank (default 16; alpha = 2 x rank)
  --runs DIR          runs folder (default ~/.voice-draft/runs)
  --resume RUN        resume a cancelled or crashed run folder instead
  --config JSON       extra engine config fields, e.g. '{"max_seq_len":512}'
  --no-export         skip the ONNX export at the end
`;

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function numberOption(args: string[], name: string): number | undefined {
  const v = option(args, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`${name} needs a number, got "${v}"`);
  return n;
}

export async function trainCommand(args: string[]): Promise<number> {
  const withValue = new Set(['--model', '--epochs', '--max-steps', '--lr', '--rank', '--runs', '--resume', '--config']);
  const positional = args.filter((a, i) => !a.startsWith('--') && !withValue.has(args[i - 1] ?? ''));
  const resumeDir = option(args, '--resume');
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
    const rank = numberOption(args, '--rank');
    const config: TrainOverrides = {
      ...(JSON.parse(option(args, '--config') ?? '{}') as TrainOverrides),
      base_model: option(args, '--model'),
      epochs: numberOption(args, '--epochs'),
      max_steps: numberOption(args, '--max-steps'),
      learning_rate: numberOption(args, '--lr'),
      lora_r: rank,
      lora_alpha: rank === undefined ? undefined : 2 * rank,
    };
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
