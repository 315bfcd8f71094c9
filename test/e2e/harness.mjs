// Starts and stops a real VS Code (code-server) with a fresh profile and a fresh copy of the
// fixture workspace, and a headless Chromium to drive it. Everything binds 127.0.0.1 only.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPlaywright } from './setup.mjs';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const fixtureWorkspace = join(repoRoot, 'test', 'fixtures', 'workspace');

// Keeps the workbench quiet and the focus in the editor (welcome page and chat steal it otherwise).
const quietSettings = {
  'workbench.startupEditor': 'none',
  'security.workspace.trust.enabled': false,
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'git.enabled': false,
};

/** A throw-away HOME, XDG dirs, profile, extensions dir and workspace copy. */
export function createSandbox() {
  const root = mkdtempSync(join(tmpdir(), 'voice-draft-e2e-'));
  const dirs = {
    root,
    home: join(root, 'home'),
    userData: join(root, 'user-data'),
    extensions: join(root, 'extensions'),
    workspace: join(root, 'workspace'),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  mkdirSync(join(dirs.userData, 'User'), { recursive: true });
  writeFileSync(join(dirs.userData, 'User', 'settings.json'), JSON.stringify(quietSettings, null, 2));
  // code-server saves what tests type: every run starts from a pristine copy.
  cpSync(fixtureWorkspace, dirs.workspace, { recursive: true });
  const env = {
    ...process.env,
    HOME: dirs.home,
    XDG_CONFIG_HOME: join(dirs.home, '.config'),
    XDG_DATA_HOME: join(dirs.home, '.local', 'share'),
    XDG_CACHE_HOME: join(dirs.home, '.cache'),
    XDG_STATE_HOME: join(dirs.home, '.local', 'state'),
    VSCODE_CLI_DISABLE_KEYCHAIN_ENCRYPT: '1',
  };
  delete env.VSCODE_IPC_HOOK_CLI;
  return { ...dirs, env, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/** Installs the packaged VSIX into the sandbox's extensions dir; returns the unpacked folder. */
export function installExtension(tools, sandbox, vsix) {
  execFileSync(tools.node, [tools.codeServer, '--user-data-dir', sandbox.userData, '--extensions-dir', sandbox.extensions,
    '--install-extension', vsix, '--force'], { env: sandbox.env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  const folder = readdirSync(sandbox.extensions).find((d) => d.startsWith('voice-draft.voice-draft-'));
  if (!folder) throw new Error(`installing ${vsix} left no voice-draft.voice-draft-* folder in ${sandbox.extensions}`);
  return join(sandbox.extensions, folder);
}

/** A port that was free on 127.0.0.1 a moment ago (the caller retries if it is taken meanwhile). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts code-server in its own process group (so stop() also ends the extension hosts it
 * spawns) and resolves once /healthz answers. `smokeTestDriver` lets a page run extension
 * tests in the real extension host; it also stops VS Code from showing notification toasts,
 * so browser scenarios need a server without it.
 */
export async function startCodeServer(tools, sandbox, { logFile, timeoutMs = 90_000, smokeTestDriver = false } = {}) {
  const extraArgs = smokeTestDriver ? ['--vscode-option', 'enable-smoke-test-driver'] : [];
  let lastError;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort();
    const server = spawnCodeServer(tools, sandbox, port, logFile, extraArgs);
    try {
      await waitForHealth(server, timeoutMs);
      return server;
    } catch (e) {
      lastError = e;
      await server.stop();
      if (!/EADDRINUSE/.test(server.output())) break; // only a lost port race is worth another try
    }
  }
  throw lastError;
}

function spawnCodeServer(tools, sandbox, port, logFile, extraArgs) {
  const args = [tools.codeServer,
    '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none',
    '--user-data-dir', sandbox.userData, '--extensions-dir', sandbox.extensions,
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
    '--disable-getting-started-override', '--ignore-last-opened',
    // Each scenario attempt closes its browser context; without a short grace time the
    // orphaned extension host (and its inference worker) would live on for 3 hours and
    // compete with the next scenarios for the CPU.
    '--reconnection-grace-time', '5',
    ...extraArgs,
    sandbox.workspace];
  const child = spawn(tools.node, args, { env: sandbox.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  if (logFile) mkdirSync(dirname(logFile), { recursive: true });
  const log = logFile ? createWriteStream(logFile, { flags: 'a' }) : undefined;
  log?.on('error', () => {}); // a lost log must not take the run down
  let tail = '';
  const keep = (chunk) => { log?.write(chunk); tail = (tail + chunk.toString()).slice(-20_000); };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let alive = true;
  void exited.then(() => { alive = false; });
  return {
    port,
    pid: child.pid,
    url: `http://127.0.0.1:${port}/`,
    authority: `127.0.0.1:${port}`,
    exited,
    isAlive: () => alive,
    output: () => tail,
    /** SIGTERM to the whole group, SIGKILL after a grace period; then any stragglers in the group. */
    async stop(graceMs = 5_000) {
      signalGroup(child.pid, 'SIGTERM');
      const done = await Promise.race([exited.then(() => true), delay(graceMs).then(() => false)]);
      if (!done) signalGroup(child.pid, 'SIGKILL');
      await Promise.race([exited, delay(2_000)]);
      // Extension hosts outlive their parent for a moment: sweep the group until it is empty.
      for (let i = 0; i < 20 && groupMembers(child.pid).length > 0; i++) {
        signalGroup(child.pid, 'SIGKILL');
        await delay(100);
      }
      await new Promise((resolve) => (log ? log.end(resolve) : resolve()));
    },
    /** For process 'exit' handlers, where nothing asynchronous runs. */
    killNow: () => signalGroup(child.pid, 'SIGKILL'),
  };
}

async function waitForHealth(server, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!server.isAlive()) throw new Error(`code-server exited before it was ready:\n${server.output()}`);
    try {
      const res = await fetch(`${server.url}healthz`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
    } catch { /* not listening yet */ }
    await delay(200);
  }
  throw new Error(`code-server did not answer /healthz within ${timeoutMs / 1000} s:\n${server.output()}`);
}

export function signalGroup(pid, signal) {
  try { process.kill(-pid, signal); } catch { /* already gone */ }
}

/** Live processes whose process group is pgid (Linux /proc). */
export function groupMembers(pgid) {
  const members = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields[0] = state, fields[2] = pgrp; zombies are already dead.
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') members.push(Number(entry));
    } catch { /* exited meanwhile */ }
  }
  return members;
}

export async function launchBrowser(tools) {
  const { chromium } = await loadPlaywright(tools);
  return chromium.launch({
    executablePath: tools.chromium,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
}

/** Copies code-server's server-side logs (remote extension host included) into the artifacts. */
export function collectServerLogs(sandbox, dest) {
  const logs = join(sandbox.userData, 'logs');
  if (existsSync(logs)) cpSync(logs, dest, { recursive: true });
}

/** Writes an artifact, creating its folder (a run in another shell may have just cleared it). */
export function writeArtifact(file, contents) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, contents);
}

export const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
