// Builds a per-platform VSIX. The bundle is self-contained except for
// onnxruntime-node (a native module, kept external), which is copied in with
// only this platform's binaries; the engine's Python package travels as source.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { vsixSize } from './vsix-size.mjs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = process.argv.find((a) => a.startsWith('--target='))?.slice(9) ?? `${process.platform}-${process.arch}`;
const [os, arch] = target.split('-');
const stage = join(root, 'out', 'vsix-stage');

execFileSync(process.execPath, [join(root, 'esbuild.mjs'), '--production'], { stdio: 'inherit', cwd: root });

rmSync(stage, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });
for (const item of ['dist', 'media', 'README.md', 'LICENSE', '.vscodeignore']) {
  if (existsSync(join(root, item))) cpSync(join(root, item), join(stage, item), { recursive: true });
}
cpSync(join(root, 'src', 'engine', 'python'), join(stage, 'dist', 'engine-python'), {
  recursive: true,
  filter: (src) => !/__pycache__|\.egg-info|\.pytest_cache/.test(src),
});

// onnxruntime-node and its runtime dependency; the install-time helpers (adm-zip, global-agent) are not needed.
// Beside the bundle, so require('onnxruntime-node') from dist/*.js resolves it (vsce drops the top-level node_modules).
const ortDest = join(stage, 'dist', 'node_modules', 'onnxruntime-node');
cpSync(join(root, 'node_modules', 'onnxruntime-node'), ortDest, {
  recursive: true,
  filter: (src) => {
    const m = src.match(/bin[\\/]napi-v\d+[\\/]([^\\/]+)(?:[\\/]([^\\/]+))?/);
    if (!m) return !/[\\/]script[\\/]/.test(src);
    return m[1] === os && (m[2] === undefined || m[2] === arch);
  },
});
cpSync(join(root, 'node_modules', 'onnxruntime-common'), join(stage, 'dist', 'node_modules', 'onnxruntime-common'), { recursive: true });

const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
delete manifest.devDependencies;
manifest.dependencies = { 'onnxruntime-node': manifest.dependencies['onnxruntime-node'] };
delete manifest.scripts;
writeFileSync(join(stage, 'package.json'), JSON.stringify(manifest, null, 2));

const out = join(root, `voice-draft-${target}-${manifest.version}.vsix`);
execFileSync(process.execPath, [join(root, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--no-dependencies',
  '--target', target, '--out', out], { stdio: 'inherit', cwd: stage });
const { bytes, files } = vsixSize(out);
console.log(`packaged ${out}`);
// CI prints this on every run (scripts/test.sh): what a writer downloads.
console.log(`VSIX ${target}: ${(bytes / 1e6).toFixed(1)} MB (${bytes} bytes), ${files} files`);
