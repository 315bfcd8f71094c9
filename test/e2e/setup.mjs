// Installs (or reuses) the tools the end-to-end tests need, in a cache folder outside
// the repo so that fresh clones and re-runs share them:
//   node@24 from npm (code-server 4.139 refuses other majors), code-server built against
//   it, playwright-core, and Debian's chromium (+ libkrb5-dev for code-server's kerberos build).
// Each install lands in a temporary folder and is renamed into place when complete, with a
// marker file naming its version: an interrupted install is never mistaken for a good one.
// Run on its own: `node test/e2e/setup.mjs`.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const CODE_SERVER_VERSION = '4.139.1';
const NODE_SPEC = 'node@24';
const PLAYWRIGHT_SPEC = 'playwright-core@1.65';
const MARKER = '.voice-draft-e2e-installed';
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const cacheDir = process.env.VOICE_DRAFT_E2E_CACHE
  ?? join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'voice-draft-e2e');

const log = (msg) => console.log(`[e2e setup] ${msg}`);

/** Ensures every tool is present; returns their paths. */
export async function ensureTools() {
  const start = Date.now();
  mkdirSync(cacheDir, { recursive: true });
  ensureDebs(['chromium', 'libkrb5-dev']);
  const node = ensureNode24();
  const codeServer = ensureCodeServer(node);
  const playwrightCore = ensurePlaywrightCore();
  const chromium = findChromium();
  log(`tools ready in ${((Date.now() - start) / 1000).toFixed(1)} s (cache: ${cacheDir})`);
  return { node: node.bin, nodeVersion: node.version, codeServer, chromium, playwrightCore };
}

/** Loads playwright-core from wherever ensureTools found it. */
export async function loadPlaywright(tools) {
  const mod = await import(pathToFileURL(tools.playwrightCore).href);
  return mod.default ?? mod;
}

function ensureDebs(pkgs) {
  const missing = pkgs.filter((p) => {
    try { return !execFileSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).includes('install ok installed'); } catch { return true; }
  });
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`Missing Debian packages: ${missing.join(' ')}. Install them with: sudo apt-get install -y ${missing.join(' ')}`);
  }
  const t = Date.now();
  log(`apt-get install ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: ['ignore', 'ignore', 'inherit'], env });
  log(`Debian packages installed in ${secs(t)}`);
}

function ensureNode24() {
  const dir = join(cacheDir, 'node24');
  const found = () => {
    // `npm i node@24` fetches node-<platform>-<arch> as a nested package; its folder has bin/ and include/.
    const nested = join(dir, 'node_modules', 'node', 'node_modules');
    const platformDir = existsSync(nested) && readdirSync(nested).find((d) => d.startsWith(`node-${process.platform}-`));
    return platformDir ? join(nested, platformDir) : undefined;
  };
  if (readMarker(dir) === NODE_SPEC && found()) {
    const home = found();
    return { home, bin: join(home, 'bin', 'node'), version: nodeVersion(join(home, 'bin', 'node')) };
  }
  const t = Date.now();
  log(`installing ${NODE_SPEC} from npm`);
  installAtomically(dir, NODE_SPEC, (tmp) => npm(['install', '--prefix', tmp, '--no-save', '--no-package-lock', NODE_SPEC]));
  const home = found();
  if (!home) throw new Error(`npm installed ${NODE_SPEC} but no node-${process.platform}-* binary package was found in ${dir}`);
  const bin = join(home, 'bin', 'node');
  const version = nodeVersion(bin);
  log(`node ${version} installed in ${secs(t)}`);
  return { home, bin, version };
}

function ensureCodeServer(node) {
  const dir = join(cacheDir, `code-server-${CODE_SERVER_VERSION}`);
  const spec = `code-server@${CODE_SERVER_VERSION} node${node.version.split('.')[0]}`;
  const entry = join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  if (readMarker(dir) === spec && existsSync(entry)) return entry;
  const t = Date.now();
  log(`installing code-server@${CODE_SERVER_VERSION} (compiles native modules against node ${node.version}; a few minutes)`);
  installAtomically(dir, spec, (tmp) => npm(
    ['install', '--prefix', tmp, '--no-save', '--no-package-lock', `--nodedir=${node.home}`, `code-server@${CODE_SERVER_VERSION}`],
    // Its postinstall checks `node --version` and builds native modules: both must see Node 24.
    { PATH: `${dirname(node.bin)}:${process.env.PATH}`, npm_config_nodedir: node.home },
  ));
  if (!existsSync(entry)) throw new Error(`code-server installed but ${entry} is missing`);
  log(`code-server installed in ${secs(t)}`);
  return entry;
}

function ensurePlaywrightCore() {
  // Prefer the repo's devDependency (pinned by package-lock.json); fall back to the cache.
  for (const base of [join(repoRoot, 'package.json'), join(cacheDir, 'playwright', 'package.json')]) {
    try { return createRequire(base).resolve('playwright-core'); } catch { /* next */ }
  }
  const dir = join(cacheDir, 'playwright');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{"private":true}\n');
  npm(['install', '--prefix', dir, '--no-save', PLAYWRIGHT_SPEC]);
  return createRequire(join(dir, 'package.json')).resolve('playwright-core');
}

function findChromium() {
  for (const p of [process.env.VOICE_DRAFT_E2E_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (p && existsSync(p)) return p;
  }
  throw new Error('Chromium not found: install Debian\'s `chromium` or set VOICE_DRAFT_E2E_CHROMIUM');
}

function installAtomically(dir, spec, install) {
  const tmp = `${dir}.partial-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    install(tmp);
    writeFileSync(join(tmp, MARKER), `${spec}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function readMarker(dir) {
  try { return readFileSync(join(dir, MARKER), 'utf8').trim(); } catch { return undefined; }
}

function npm(args, env = {}) {
  // Under `npm run`, the outer npm's npm_config_* variables (user agent "node/v20", nodedir,
  // prefix...) would override the inner npm's own: code-server's postinstall reads the Node
  // version from npm_config_user_agent. Start the inner npm clean.
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== 'NODE' && k !== 'INIT_CWD'));
  execFileSync('npm', ['--no-audit', '--no-fund', '--loglevel=error', ...args], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...clean, ONNXRUNTIME_NODE_INSTALL: 'skip', ...env },
  });
}

function nodeVersion(bin) {
  return execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim().replace(/^v/, '');
}

const secs = (t) => `${((Date.now() - t) / 1000).toFixed(1)} s`;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const tools = await ensureTools();
  console.log(JSON.stringify(tools, null, 2));
}
