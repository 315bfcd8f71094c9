// What bench/dataset_build.ts times: bundled by esbuild into out/bench-dataset/dataset-build.js
// (as dist/ ships the build), or imported from here as TypeScript under tsx (`--code tsx`).
export { buildDataset } from '../src/core/dataset/build';
export { writeDataset } from '../src/core/dataset/write';
export { defaultParseWorkers } from '../src/core/dataset/parse-pool';
