// What a dataset build writes, read back byte for byte: the way the dataset tests compare
// two builds (two runs, two parse-pool sizes).
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DatasetBuild } from '../../../src/core/dataset/build';
import { writeDataset } from '../../../src/core/dataset/write';

/** Every file writeDataset writes for `build`, by name (written to a temporary folder, removed after). */
export async function writtenFiles(build: DatasetBuild): Promise<Record<string, Buffer>> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'voice-draft-dataset-'));
  try {
    await writeDataset(dir, build);
    const names = (await fs.readdir(dir)).sort();
    return Object.fromEntries(await Promise.all(names.map(async (n) => [n, await fs.readFile(path.join(dir, n))] as const)));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
