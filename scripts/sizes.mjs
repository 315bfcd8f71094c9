// What Voice Draft weighs: the production install (the lock's non-dev packages present in
// node_modules, as `npm install --omit=dev` would leave them on this platform), all of
// node_modules, each bundle in dist/, and the VSIX (when one has been packaged).
//
//   node scripts/sizes.mjs [repo folder]
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { vsixSize } from './vsix-size.mjs';

const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));

/** Bytes of the files under `path`, nested node_modules left out (the lock lists those packages on their own). */
function du(path, skipNested = true) {
  const s = lstatSync(path);
  if (!s.isDirectory()) return s.size;
  let total = 0;
  for (const entry of readdirSync(path)) if (!(skipNested && entry === 'node_modules')) total += du(join(path, entry), skipNested);
  return total;
}

const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')).packages;
let production = 0;
let packages = 0;
for (const [path, info] of Object.entries(lock)) {
  if (!path || info.dev || info.devOptional || !existsSync(join(root, path))) continue;
  production += du(realpathSync(join(root, path)));
  packages++;
}
const rows = [
  ['production install (node_modules, non-dev packages)', `${mb(production)} (${packages} packages)`],
  ['node_modules, all', existsSync(join(root, 'node_modules')) ? mb(du(realpathSync(join(root, 'node_modules')), false)) : 'none'],
];
const dist = join(root, 'dist');
if (existsSync(dist)) {
  for (const f of readdirSync(dist).filter((f) => f.endsWith('.js')).sort()) rows.push([`dist/${f}`, `${(statSync(join(dist, f)).size / 1e3).toFixed(0)} kB`]);
}
for (const f of readdirSync(root).filter((f) => f.endsWith('.vsix')).sort()) {
  const { bytes, files } = vsixSize(join(root, f));
  rows.push([f, `${mb(bytes)} (${bytes} bytes), ${files} files`]);
}
const width = Math.max(...rows.map(([k]) => k.length));
for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
