// From a folder of essays to a run folder ready for the engine: the dataset
// is built in memory first, so the writer can read the summary and stop
// before anything is written or any GPU time is spent.
import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { buildDataset, type BuildDatasetOptions, type DatasetBuild } from './build';
import { writeDataset } from './write';
import { createRunFolder, RUN_FILES } from '../runs/runFolder';

/** The writer's training choices, in the engine's TrainConfig field names. */
export interface TrainOverrides {
  base_model?: string;
  lora_r?: number;
  lora_alpha?: number;
  learning_rate?: number;
  epochs?: number;
  max_steps?: number;
  launcher?: 'torchrun' | 'accelerate';
  processes?: number;
  [field: string]: unknown;
}

/** The engine's `launcher`/`processes` for a launcher setting and a process count (0: one per GPU). */
export function launchOverrides(launcher: 'none' | 'torchrun' | 'accelerate', processes: number): Pick<TrainOverrides, 'launcher' | 'processes'> {
  if (launcher === 'none') return {};
  return processes > 0 ? { launcher, processes } : { launcher };
}

export type { DatasetBuild };

export function buildRunDataset(options: BuildDatasetOptions): Promise<DatasetBuild> {
  return buildDataset(options);
}

/** Creates the run folder with config.json and dataset/; returns its path. */
export async function createRun(runsRoot: string, folder: string, build: DatasetBuild, config: TrainOverrides): Promise<string> {
  const defined = Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined && v !== ''));
  const runDir = await createRunFolder(runsRoot, basename(folder), defined);
  try {
    await writeDataset(join(runDir, RUN_FILES.dataset), build);
  } catch (e) {
    // A half-written dataset (a full disk) is no run: nothing of it is kept to be mistaken for one.
    await rm(runDir, { recursive: true, force: true }).catch(() => undefined);
    throw e;
  }
  return runDir;
}
