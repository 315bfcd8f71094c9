// "Set Up Training Engine", and the check every engine-using command makes
// first: offer set-up instead of failing when no usable engine exists.
import * as vscode from 'vscode';
import { engineSettings } from '../config';
import { EngineReportedError, EngineStartError, EngineCrashError, runEngineToCompletion } from '../engine/client';
import { choosePython, engineVenvDir, localEngine, venvPython } from '../engine/locate';
import type { EngineReady, EngineEvent } from '../core/runs/protocol';
import { abortOnCancel } from './cancellation';

export class EngineService {
  /** The last engine check that passed, and the interpreter it checked: a changed pythonPath is checked again. */
  private ready: { python: string; engine: EngineReady } | undefined;

  constructor(private readonly log: vscode.LogOutputChannel) {}

  /** The interpreter from the machine-scoped setting, else the engine's own environment. */
  python(): string {
    return choosePython(engineSettings().pythonPath).python;
  }

  invocation(args: string[]) {
    return localEngine(this.python(), args);
  }

  /** Runs `doctor`; undefined when the engine cannot run (not set up, broken environment). */
  async probe(signal?: AbortSignal): Promise<EngineReady | { problem: string }> {
    const python = this.python();
    try {
      const { terminal } = await runEngineToCompletion(localEngine(python, ['doctor']), { signal, onStderr: (l) => this.log.debug(`[engine] ${l}`) });
      if (terminal.event !== 'engine.ready') return { problem: `unexpected ${terminal.event}` };
      this.ready = { python, engine: terminal };
      this.log.info(`engine ready: python ${terminal.python}, torch ${terminal.torch}, ${terminal.device}${terminal.gpu ? ` (${terminal.gpu})` : ''}`);
      return terminal;
    } catch (e) {
      const problem = e instanceof EngineStartError ? e.message
        : e instanceof EngineReportedError ? e.message
        : e instanceof EngineCrashError ? e.message
        : String(e);
      this.log.warn(`engine check failed: ${problem}`);
      return { problem };
    }
  }

  /** A usable engine, set up on the writer's say-so if needed; undefined if they declined or set-up failed. */
  async ensure(): Promise<EngineReady | undefined> {
    if (this.ready?.python === this.python()) return this.ready.engine;
    const probe = await this.probe();
    if ('event' in probe) return probe;
    const choice = await vscode.window.showWarningMessage(
      'Voice Draft needs its training engine (Python with PyTorch) before it can train.',
      { modal: true, detail: `${probe.problem}\n\nSet-up creates a private Python environment in ${engineVenvDir()}; it downloads PyTorch once (about 1–3 GB).` },
      'Set Up Engine',
    );
    if (choice !== 'Set Up Engine') return undefined;
    if (!(await this.setup())) return undefined;
    const again = await this.probe();
    return 'event' in again ? again : undefined;
  }

  /** Creates or repairs the engine's virtual environment, with progress and cancel. */
  async setup(): Promise<boolean> {
    this.ready = undefined;
    const configured = engineSettings().pythonPath;
    // The base interpreter for the venv: the configured one if it is not itself the venv's.
    const venv = engineVenvDir();
    const base = configured && configured !== venvPython(venv) ? configured : (process.platform === 'win32' ? 'python' : 'python3');
    try {
      return await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'Voice Draft: setting up the training engine', cancellable: true },
        async (progress, token) => {
          let last = 0;
          const { terminal } = await runEngineToCompletion(localEngine(base, ['setup', '--venv', venv]), {
            signal: abortOnCancel(token),
            onStderr: (l) => this.log.info(`[setup] ${l}`),
            onEvent: (e: EngineEvent) => {
              if (e.event !== 'setup.progress') return;
              const pct = e.percent ?? last;
              progress.report({ message: e.message, increment: Math.max(0, pct - last) });
              last = Math.max(last, pct);
            },
          });
          if (terminal.event === 'setup.done') {
            void vscode.window.showInformationMessage(`Voice Draft: the training engine is ready (${terminal.python}).`);
            return true;
          }
          return false;
        },
      );
    } catch (e) {
      const hint = e instanceof EngineReportedError ? e.event.hint : e instanceof EngineStartError ? e.hint : undefined;
      this.log.error(`engine set-up failed: ${String(e)}`);
      void vscode.window.showErrorMessage(`Voice Draft: engine set-up failed. ${(e as Error).message}${hint && !(e as Error).message.includes(hint) ? ` ${hint}` : ''}`, 'Show Log')
        .then((c) => { if (c) this.log.show(); });
      return false;
    }
  }
}
