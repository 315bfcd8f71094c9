// Two bundles: the extension + CLI (Node, CommonJS) and the webviews (browser, ESM).
// onnxruntime-node stays external: it is a native module that ships inside the VSIX.
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
/** Entry points whose source exists (features land one by one). */
const present = (entries) => Object.fromEntries(Object.entries(entries).filter(([, file]) => existsSync(file)));

const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'info',
  external: ['vscode', 'onnxruntime-node'],
};

const contexts = [
  await esbuild.context({
    ...node,
    entryPoints: present({
      extension: 'src/extension.ts',
      cli: 'src/cli.ts',
      'inference-worker': 'src/inference/worker.ts',
      // The dataset build's parse pool starts this beside extension.js/cli.js (src/core/dataset/parse-pool.ts).
      'parse-worker': 'src/core/dataset/parse-worker.ts',
    }),
    outdir: 'dist',
  }),
  await esbuild.context({
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'esm',
    sourcemap: !production,
    minify: production,
    logLevel: 'info',
    entryPoints: present({ dashboard: 'src/webviews/app/dashboard.ts' }),
    outdir: 'dist/webviews',
    loader: { '.css': 'css' },
  }),
];

if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
}
