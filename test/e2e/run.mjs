// End-to-end tests in a real VS Code: set-up → package → code-server → in-host integration
// tests → browser scenarios (each retried at most once) → teardown, always.
// Artifacts (screenshots, code-server and extension-host logs) land in artifacts/e2e/.
// The last line is "N passed, N failed"; the exit code is non-zero on any failure.
//   VOICE_DRAFT_E2E_ONLY=<text>   run only the scenarios whose name or file contains <text>
//   VOICE_DRAFT_E2E_KEEP=1        keep the temporary profile and workspace for inspection
//   VOICE_DRAFT_E2E_ARTIFACTS=dir artifacts elsewhere than artifacts/e2e/
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { collectServerLogs, createSandbox, installExtension, launchBrowser, repoRoot, startCodeServer, writeArtifact } from './harness.mjs';
import { buildIntegrationTests, runIntegrationTests } from './integrationLayer.mjs';
import { packageJson } from './manifest.mjs';
import { ensureTools } from './setup.mjs';
import { Workbench } from './workbench.mjs';

const artifactsDir = process.env.VOICE_DRAFT_E2E_ARTIFACTS ?? join(repoRoot, 'artifacts', 'e2e');
const screenshotsDir = join(artifactsDir, 'screenshots');
const only = process.env.VOICE_DRAFT_E2E_ONLY;
// The tests (after the one-off tool set-up) must fit comfortably inside CI's 90 minutes,
// whatever hangs; each scenario attempt has its own limit too (scenario.timeoutMs).
const overallTimeoutMs = Number(process.env.VOICE_DRAFT_E2E_TIMEOUT_S ?? 1800) * 1000;
const DEFAULT_SCENARIO_TIMEOUT_MS = 5 * 60_000;

const started = Date.now();
const timings = {};
/** @type {{ name: string, status: 'passed'|'failed'|'skipped', attempts: number, ms: number, note?: string }[]} */
const results = [];
const resources = { tools: undefined, server: undefined, browser: undefined, sandbox: undefined };

let tornDown;
let stopping = false; // set by a signal: start no new attempt
/** Stops everything this run started; safe to call twice (signals, finally). */
function teardown() {
  tornDown ??= (async () => {
    await resources.browser?.close().catch(() => {});
    await resources.server?.stop().catch(() => {});
    if (resources.sandbox) {
      try { collectServerLogs(resources.sandbox, join(artifactsDir, 'server-logs')); } catch { /* best effort */ }
      if (process.env.VOICE_DRAFT_E2E_KEEP) console.log(`kept ${resources.sandbox.root}`);
      else resources.sandbox.remove();
    }
  })();
  return tornDown;
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    stopping = true;
    console.error(`\n${signal}: shutting down code-server and Chromium`);
    void teardown().finally(() => process.exit(128 + ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1 })[signal]));
  });
}
// Last resort (an uncaught error, process.exit elsewhere): no code-server may outlive us.
process.once('exit', () => resources.server?.killNow());
let watchdog;
function startWatchdog() {
  watchdog = setTimeout(() => {
    console.error(`e2e tests exceeded ${overallTimeoutMs / 60000} min (VOICE_DRAFT_E2E_TIMEOUT_S): aborting`);
    results.push({ name: 'e2e time limit', status: 'failed', attempts: 1, ms: overallTimeoutMs, note: 'the run was aborted' });
    stopping = true;
    report();
    void teardown().finally(() => process.exit(1));
  }, overallTimeoutMs);
  watchdog.unref();
}

async function timed(label, fn) {
  const t = Date.now();
  try { return await fn(); } finally { timings[label] = Date.now() - t; console.log(`[e2e] ${label}: ${fmt(Date.now() - t)}`); }
}

async function main() {
  rmSync(artifactsDir, { recursive: true, force: true });
  mkdirSync(screenshotsDir, { recursive: true });

  const tools = (resources.tools = await timed('set-up (tools)', () => ensureTools()));
  startWatchdog(); // a cold set-up (minutes of compiling) does not count against the tests
  const vsix = await timed('package', () => packageExtension());
  await timed('build integration tests', () => buildIntegrationTests());

  const sandbox = (resources.sandbox = createSandbox());
  const resultsFile = join(sandbox.root, 'integration-results.json');
  sandbox.env.VOICE_DRAFT_E2E_RESULTS = resultsFile; // the extension host inherits code-server's environment
  const extensionDir = await timed('install VSIX', () => installExtension(tools, sandbox, vsix));
  resources.browser = await timed('start Chromium', () => launchBrowser(tools));

  if (!only) {
    await withServer('integration', { smokeTestDriver: true }, () => timed('integration layer', () => integrationLayer({ extensionDir, resultsFile })));
  }
  // A second server without the smoke-test driver: with it, VS Code shows no notification toasts.
  await withServer('scenarios', { smokeTestDriver: false }, () => timed('browser scenarios', () => browserScenarios()));
}

async function withServer(label, options, fn) {
  resources.server = await timed(`start code-server (${label})`,
    () => startCodeServer(resources.tools, resources.sandbox, { ...options, logFile: join(artifactsDir, `code-server-${label}.log`) }));
  try {
    await fn();
  } finally {
    await resources.server.stop();
    resources.server = undefined;
  }
}

function packageExtension() {
  execFileSync(process.execPath, [join(repoRoot, 'scripts', 'package.mjs')], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  return join(repoRoot, `voice-draft-${process.platform}-${process.arch}-${packageJson.version}.vsix`);
}

async function integrationLayer({ extensionDir, resultsFile }) {
  for (let attempt = 1; attempt <= 2; attempt++) {
    const t = Date.now();
    const dir = join(artifactsDir, `integration-attempt${attempt}`);
    mkdirSync(dir, { recursive: true });
    let run;
    let error;
    try {
      run = await runIntegrationTests({ browser: resources.browser, server: resources.server, sandbox: resources.sandbox, extensionDir, resultsFile, artifactsDir: dir });
    } catch (e) { error = e; }
    const ok = run?.exitCode === 0 && run.results.length > 0 && run.results.every((r) => r.ok);
    if (ok || attempt === 2 || stopping) {
      for (const r of run?.results ?? []) {
        results.push({ name: `integration: ${r.name}`, status: r.ok ? 'passed' : 'failed', attempts: attempt, ms: r.ms, note: r.error?.split('\n')[0] });
      }
      if (!ok && !run?.results.some((r) => !r.ok)) {
        // The host itself failed (no results, or a crash after them): that is a failure too.
        results.push({ name: 'integration layer', status: 'failed', attempts: attempt, ms: Date.now() - t,
          note: error?.message.split('\n')[0] ?? `extension host exit code ${run?.exitCode}` });
      }
      return;
    }
    console.log(`[e2e] integration layer failed on attempt 1 (${error?.message.split('\n')[0] ?? `exit ${run?.exitCode}`}); retrying once`);
  }
}

async function loadScenarios() {
  const dir = join(repoRoot, 'test', 'e2e', 'scenarios');
  const scenarios = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.mjs')).sort()) {
    const mod = await import(pathToFileURL(join(dir, file)).href);
    for (const s of [mod.default ?? mod.scenarios].flat().filter(Boolean)) scenarios.push({ ...s, file });
  }
  return scenarios.filter((s) => !only || s.name.includes(only) || s.file.includes(only));
}

async function browserScenarios() {
  for (const scenario of await loadScenarios()) {
    if (stopping) return;
    const t = Date.now();
    const skip = await scenario.skip?.();
    if (skip) {
      results.push({ name: scenario.name, status: 'skipped', attempts: 0, ms: 0, note: skip });
      continue;
    }
    let attempt = 0;
    let lastError;
    const failures = [];
    while (attempt < 2 && !stopping) {
      attempt++;
      lastError = await attemptScenario(scenario, attempt);
      if (!lastError) break;
      failures.push(`attempt ${attempt}: ${brief(lastError.message)}`);
      console.log(`[e2e] "${scenario.name}" failed on attempt ${attempt}: ${lastError.message}`);
    }
    if (attempt === 0) return; // interrupted before it started
    // Every attempt's failure goes into the summary: the first one is usually the cause.
    results.push({ name: scenario.name, status: lastError ? 'failed' : 'passed', attempts: attempt, ms: Date.now() - t, note: lastError ? failures.join('\n') : undefined });
  }
}

/** One attempt in a fresh browser context (so a fresh workbench and extension host); returns the error, if any. */
async function attemptScenario(scenario, attempt) {
  const slug = scenario.file.replace(/\.mjs$/, '');
  const context = await resources.browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const consoleLines = [];
  page.on('console', (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.stack ?? e.message}`));
  const wb = new Workbench(page, { screenshotsDir });
  const limitMs = scenario.timeoutMs ?? DEFAULT_SCENARIO_TIMEOUT_MS;
  let timer;
  try {
    await Promise.race([
      (async () => {
        // Files a scenario needs (settings above all) are written before the window opens:
        // a settings.json changed under a running window is picked up only eventually.
        await scenario.prepare?.({ workspace: resources.sandbox.workspace });
        await wb.open(resources.server, resources.sandbox.workspace);
        await scenario.run({ wb, page, workspace: resources.sandbox.workspace, artifactsDir });
      })(),
      // Closing the context below makes whatever the scenario still awaits fail fast.
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`attempt exceeded ${limitMs / 1000} s (scenario.timeoutMs)`)), limitMs); }),
    ]);
    await wb.screenshot(`${slug}-passed`).catch(() => {});
    return undefined;
  } catch (e) {
    // Kept even when the retry passes: the first failure is the one worth looking at.
    await wb.screenshot(`${slug}-attempt${attempt}-failed`).catch(() => {});
    return e instanceof Error ? e : new Error(String(e));
  } finally {
    clearTimeout(timer);
    writeArtifact(join(artifactsDir, `${slug}-attempt${attempt}.console.log`), consoleLines.join('\n'));
    await context.close().catch(() => {});
  }
}

function report() {
  console.log('\n== End-to-end results');
  for (const r of results) {
    const mark = r.status === 'passed' ? 'PASS' : r.status === 'failed' ? 'FAIL' : 'SKIP';
    const retry = r.status === 'passed' && r.attempts > 1 ? ' (passed on retry)' : '';
    console.log(`${mark}  ${r.name}  ${fmt(r.ms)}${retry}${r.note ? `\n      ${r.note}` : ''}`);
  }
  console.log(`\nstages: ${Object.entries(timings).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}`);
  console.log(`total e2e time: ${fmt(Date.now() - started)}; artifacts: ${artifactsDir}`);
  writeArtifact(join(artifactsDir, 'results.json'), JSON.stringify({ results, timings, totalMs: Date.now() - started }, null, 2));
  const passed = results.filter((r) => r.status === 'passed').length;
  const failed = results.filter((r) => r.status === 'failed').length;
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 && passed > 0;
}

/** A failure message cut to what fits a summary: its first lines, indented under the result. */
function brief(message, lines = 30) {
  const all = message.split('\n');
  return [...all.slice(0, lines), ...(all.length > lines ? [`… (${all.length - lines} more lines in the log above)`] : [])].join('\n        ');
}

function fmt(ms) {
  return ms >= 60_000 ? `${Math.floor(ms / 60_000)}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s` : `${(ms / 1000).toFixed(1)}s`;
}

let ok;
try {
  await main();
} catch (e) {
  console.error(`[e2e] aborted: ${e instanceof Error ? e.stack : String(e)}`);
  results.push({ name: 'e2e harness', status: 'failed', attempts: 1, ms: 0, note: e instanceof Error ? e.message.split('\n')[0] : String(e) });
} finally {
  await teardown();
  clearTimeout(watchdog);
  ok = report();
}
process.exitCode = ok ? 0 : 1;
