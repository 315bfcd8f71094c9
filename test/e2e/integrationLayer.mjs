// The in-host layer: bundles test/e2e/integration/*.test.ts into out/test/index.js and runs
// it inside the real extension host through VS Code's extension-tests entry point
// (extensionTestsPath), which the smoke-test driver reports back to the page.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, writeArtifact } from './harness.mjs';
import { poll } from './workbench.mjs';

const integrationDir = join(repoRoot, 'test', 'e2e', 'integration');
export const testsBundle = join(repoRoot, 'out', 'test', 'index.js');

/** Bundles every *.test.ts (new files join automatically) with the runner's run() as the export. */
export async function buildIntegrationTests() {
  const esbuild = await import('esbuild');
  const files = readdirSync(integrationDir).filter((f) => f.endsWith('.test.ts')).sort();
  await esbuild.build({
    stdin: {
      contents: `${files.map((f) => `import './${f}';`).join('\n')}\nexport { run } from './runner';\n`,
      resolveDir: integrationDir,
      sourcefile: 'integration-entry.ts',
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['vscode'],
    sourcemap: 'inline',
    outfile: testsBundle,
    logLevel: 'warning',
  });
  return files;
}

/**
 * Opens a page that runs the bundled tests against `extensionDir` (the installed, packaged
 * extension) and resolves with { exitCode, results } once the extension host exits.
 */
export async function runIntegrationTests({ browser, server, sandbox, extensionDir, resultsFile, artifactsDir, timeoutMs = 180_000 }) {
  rmSync(resultsFile, { force: true });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const consoleLines = [];
  let exitCode;
  try {
    await page.exposeFunction('codeAutomationLog', (type, args) => {
      consoleLines.push(`[${type}] ${Array.isArray(args) ? args.join(' ') : String(args)}`);
    });
    await page.exposeFunction('codeAutomationExit', (code, logs) => {
      exitCode = code;
      saveBrowserLogs(logs, join(artifactsDir, 'integration-browser-logs'));
    });
    const remote = (p) => `vscode-remote://${server.authority}${p}`;
    const payload = JSON.stringify([
      ['extensionDevelopmentPath', remote(extensionDir)],
      ['extensionTestsPath', remote(testsBundle)],
    ]);
    await page.goto(`${server.url}?folder=${encodeURIComponent(sandbox.workspace)}&payload=${encodeURIComponent(payload)}`);
    await poll(() => exitCode !== undefined, { timeoutMs, what: 'the extension host to finish the integration tests' });
  } catch (e) {
    await page.screenshot({ path: join(artifactsDir, 'integration-timeout.png') }).catch(() => {});
    throw e;
  } finally {
    writeArtifact(join(artifactsDir, 'integration-console.log'), consoleLines.join('\n'));
    await context.close().catch(() => {});
  }
  const results = existsSync(resultsFile) ? JSON.parse(readFileSync(resultsFile, 'utf8')) : [];
  return { exitCode, results, consoleLines };
}

function saveBrowserLogs(logs, dir) {
  if (!Array.isArray(logs)) return;
  for (const { relativePath, contents } of logs) {
    writeArtifact(join(dir, relativePath.replace(/\.\.+/g, '_')), contents);
  }
}
