// "Evaluate Voice": runs the engine's `eval` on a trained run (the active voice,
// or one the writer picks), with a cancellable progress notification, then
// shows the headline scores and offers the dashboard, where all of them are.
import * as vscode from 'vscode';
import { readRunSummary, type RunSummary } from '../core/runs/runFolder';
import { evalSamplingArgs } from '../core/eval/ghostTextSampling';
import { parseSummary, readEvalJson, summaryLine } from '../core/eval/voiceScores';
import { inlineSettings } from '../config';
import { EngineCrashError, EngineReportedError, EngineStartError, runEngineToCompletion } from '../engine/client';
import { liveEngine } from '../engine/detached';
import type { EngineEvent } from '../core/runs/protocol';
import type { ActiveVoiceStore } from './activeVoice';
import { abortOnCancel } from './cancellation';
import { Commands } from './commandIds';
import type { EngineService } from './engineSetup';
import { pickRun } from './training/runsPicker';

export interface EvaluateDeps {
  engine: EngineService;
  voice: ActiveVoiceStore;
  log: vscode.LogOutputChannel;
  runsRoot: () => string;
}

export function registerEvaluateCommand(deps: EvaluateDeps): vscode.Disposable {
  let busy = false;
  return vscode.commands.registerCommand(Commands.evaluateVoice, async (runArg?: unknown) => {
    if (busy) {
      void vscode.window.showInformationMessage('Voice Draft: an evaluation is already running.');
      return;
    }
    busy = true;
    try {
      const run = await chooseRun(deps, typeof runArg === 'string' ? runArg : undefined);
      if (run) await evaluate(deps, run);
    } finally {
      busy = false;
    }
  });
}

/** The run given by the caller (dashboard), else the active voice, else the writer's pick of trained runs. */
async function chooseRun(deps: EvaluateDeps, explicit: string | undefined): Promise<RunSummary | undefined> {
  for (const dir of [explicit, deps.voice.current()]) {
    const run = dir ? await readRunSummary(dir).catch(() => undefined) : undefined;
    if (run?.hasWeights) return run;
  }
  return pickRun(deps.runsRoot(), 'Evaluate which voice? (trained runs)', (r) => r.hasWeights, deps.voice.current());
}

async function evaluate(deps: EvaluateDeps, run: RunSummary): Promise<void> {
  const { engine, log } = deps;
  if (await liveEngine(run.dir)) {
    void vscode.window.showWarningMessage(`Voice Draft: "${run.name}" is still training. Evaluate it when training has finished.`);
    return;
  }
  if (!(await engine.ensure())) return;
  let cancelled = false;
  try {
    const done = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Voice Draft: evaluating "${run.name}"`, cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => { cancelled = true; });
        let last = 0;
        // Samples drawn as this writer's ghost text is: the scores describe what they are shown.
        const args = ['eval', '--run', run.dir, ...evalSamplingArgs(inlineSettings())];
        const { terminal } = await runEngineToCompletion(engine.invocation(args), {
          // Cancel → AbortSignal → SIGTERM; the engine stops and leaves eval.json as it was.
          signal: abortOnCancel(token),
          killGraceMs: 5_000,
          onStderr: (l) => log.debug(`[eval] ${l}`),
          onEvent: (e: EngineEvent) => {
            if (e.event !== 'eval.progress') return;
            const pct = e.percent ?? last;
            progress.report({ message: e.message, increment: Math.max(0, pct - last) });
            last = Math.max(last, pct);
          },
        });
        return terminal;
      },
    );
    if (done.event !== 'eval.done') throw new Error(`the engine ended with ${done.event}`);
    const scores = await readEvalJson(run.dir);
    const line = summaryLine(parseSummary(scores?.summary ?? done.summary));
    log.info(`evaluated ${run.dir}: ${line}`);
    const c = await vscode.window.showInformationMessage(`Voice Draft: "${run.name}": ${line}`, 'Show Dashboard');
    if (c) void vscode.commands.executeCommand(Commands.showDashboard, run.dir);
  } catch (e) {
    if (cancelled) {
      log.info(`evaluation of ${run.dir} cancelled`);
      void vscode.window.showInformationMessage('Voice Draft: evaluation cancelled; earlier scores, if any, are kept.');
      return;
    }
    const message = e instanceof EngineReportedError ? e.message
      : e instanceof EngineStartError ? `${e.message} ${e.hint}`
      : e instanceof EngineCrashError ? e.message
      : String(e);
    log.error(`evaluation of ${run.dir} failed: ${message}`);
    const c = await vscode.window.showErrorMessage(`Voice Draft: evaluation failed. ${message}`, 'Show Log');
    if (c) log.show();
  }
}
