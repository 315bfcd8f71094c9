// The training dashboard on a recorded real run (test/fixtures/runs/tiny-bierce): it is
// opened while the run is half written, follows the rest as it is appended (as a live
// run streams), and then shows every logged loss as a point of the curve and a canary
// diff with words inserted and deleted. Expectations come from the fixture's own events.
import * as assert from 'node:assert/strict';
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { repoRoot } from '../harness.mjs';
import { poll } from '../workbench.mjs';

const fixture = join(repoRoot, 'test', 'fixtures', 'runs', 'tiny-bierce');
const RUN_ID = 'tiny-bierce';

/** What the dashboard must show, counted straight from events.jsonl. */
function expectations(lines) {
  const events = lines.map((l) => JSON.parse(l));
  const steps = events.filter((e) => e.event === 'train.progress').map((e) => e.step);
  // A recording with a resume would replay steps; this fixture is one uninterrupted run.
  assert.ok(steps.every((s, i) => i === 0 || s > steps[i - 1]), 'the fixture is one uninterrupted run');
  const losses = events.filter((e) => e.event === 'train.progress' && typeof e.loss === 'number').length;
  const canaries = events.filter((e) => e.event === 'train.canary');
  const changed = canaries.some((c) => c.tuned.some((t, i) => t !== c.base[i]));
  return { losses, canaries: canaries.length, changed };
}

export default {
  name: 'training dashboard follows a recorded run: curve points and canary diff',
  skip() {
    return existsSync(join(fixture, 'events.jsonl')) ? undefined : 'no recorded run in test/fixtures/runs/tiny-bierce yet';
  },
  async run({ wb, workspace }) {
    const lines = readFileSync(join(fixture, 'events.jsonl'), 'utf8').split('\n').filter((l) => l.trim());
    const all = expectations(lines);
    assert.ok(all.losses > 2, 'the recorded run logged a loss curve');
    // The first few events, so that the first half of the curve is there when the panel opens.
    const firstProgress = lines.findIndex((l) => l.includes('"train.progress"'));
    const cut = firstProgress + Math.max(1, Math.floor((lines.length - firstProgress) / 2));
    const before = expectations(lines.slice(0, cut));

    // Activated first: at activation Voice Draft reports a "running" run without an engine
    // as crashed, which this half-written copy would look like.
    await wb.openFile('on-walking-to-work.md');
    await wb.waitForStatusBar(/^Voice/);

    // code-server runs with HOME = the sandbox's home (harness createSandbox), so the
    // default runs folder is <sandbox>/home/.voice-draft/runs.
    const runs = join(dirname(workspace), 'home', '.voice-draft', 'runs');
    const run = join(runs, RUN_ID);
    rmSync(run, { recursive: true, force: true });
    mkdirSync(runs, { recursive: true });
    cpSync(fixture, run, { recursive: true });
    writeFileSync(join(run, 'events.jsonl'), `${lines.slice(0, cut).join('\n')}\n`);

    try {
      await wb.runCommand('Voice Draft: Show Training Dashboard');
      const frame = wb.webviewFrame();
      await frame.locator('#run-picker').waitFor();
      const title = frame.locator('.run-header h1');
      if ((await title.innerText()).trim() !== RUN_ID) {
        // Another scenario left a newer run: pick ours, as a writer would.
        // The callback runs in the page: its Event is the page's.
        await frame.locator('#run-picker').evaluate((el, dir) => { el.value = dir; el.dispatchEvent(new el.ownerDocument.defaultView.Event('change')); }, run);
        await poll(async () => (await title.innerText()).trim() === RUN_ID || undefined, { what: `the dashboard to show ${RUN_ID}` });
      }

      const trainLoss = frame.locator('[data-chart="loss"] li[data-series="train-loss"]');
      const points = async () => Number(await trainLoss.getAttribute('data-points'));
      await poll(async () => (await points()) === before.losses || undefined, { what: `${before.losses} loss points from the half-written run` });

      // The engine writes on: the rest of the run arrives through the live tail.
      appendFileSync(join(run, 'events.jsonl'), `${lines.slice(cut).join('\n')}\n`);
      await poll(async () => (await points()) === all.losses || undefined, { timeoutMs: 30_000, what: `${all.losses} loss points once the run is complete` });
      assert.equal(await points(), all.losses);
      // The accessible data table is drawn from the same series as the chart.
      await frame.locator('[data-chart="loss"] details.chart-table summary').click();
      // Built on the details' toggle event, which fires a moment after the click.
      const rows = frame.locator('[data-chart-table="loss"] tbody tr');
      await poll(async () => (await rows.count()) >= all.losses || undefined, { what: `a loss data table of ${all.losses}+ rows` });

      assert.ok(all.canaries > 0, 'the recorded run has canary samples');
      await frame.locator('.canary').first().waitFor();
      if (all.changed) {
        assert.ok(await frame.locator('.canary .side.tuned ins').count() > 0, 'the tuned sample marks inserted words');
        assert.ok(await frame.locator('.canary .side.base del').count() > 0, 'the base sample marks deleted words');
      }
      assert.equal(await frame.locator('[data-state]').first().getAttribute('data-state'), 'done');
      await wb.screenshot('dashboard-recorded-run');
    } finally {
      // A half-written run left behind would read as a crashed training to later scenarios.
      rmSync(run, { recursive: true, force: true });
    }
  },
};
