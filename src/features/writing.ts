// Writing in your voice: builds the inference worker and its services, and registers
// ghost text, Rewrite Selection, Continue Paragraph and Toggle Inline Continuation.
import * as vscode from 'vscode';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { affects, inferenceSettings, inlineSettings, rewriteSettings } from '../config';
import type { ActiveVoiceSource } from '../inference/activeVoice';
import { CompletionService } from '../inference/completionService';
import { RewriteService } from '../inference/rewriteService';
import { loadVoiceScorer } from '../inference/voiceScore';
import { VoiceModel } from '../inference/voiceModel';
import { InferenceWorkerHost, type LogLevel } from '../inference/workerHost';
import { registerCacheWarmUp } from './cacheWarmUp';
import { registerContinueParagraph } from './continueParagraph';
import { registerInlineProvider } from './inlineProvider';
import { registerRewriteCommands } from './rewriteCommand';
import { registerToggleInline } from './toggleInline';

export interface WritingDeps {
  extensionPath: string;
  voice: ActiveVoiceSource;
  log: vscode.LogOutputChannel;
}

/** Threads for ONNX Runtime: the setting, else the cores up to 4 (more barely helps a small model and starves the editor). */
function threads(): number {
  const configured = inferenceSettings().threads;
  return configured > 0 ? configured : Math.max(1, Math.min(4, availableParallelism()));
}

export function registerWriting(deps: WritingDeps): vscode.Disposable[] {
  const { log } = deps;
  const toLog = (level: LogLevel, message: string) => log[level](message);
  // Said once per reason (warn, below): the writer asked for the GPU and should know it is not used, and why.
  const host = new InferenceWorkerHost({ script: join(deps.extensionPath, 'dist', 'inference-worker.js'), log: toLog, onDeviceFallback: (reason) => warn(reason) });
  // The model's warnings (the active voice's export missing or incomplete, a voice that failed to load) are the writer's to see, once each.
  const model = new VoiceModel({ host, voice: deps.voice, device: () => inferenceSettings().device, threads, log: (level, m) => (level === 'warn' ? warn(m) : toLog(level, m)) });
  const completions = new CompletionService(model, () => {
    const s = inlineSettings();
    return { contextTokens: s.contextTokens, maxTokens: s.maxTokens, stopAt: s.stopAt, temperature: s.temperature, topK: s.topK, repetitionPenalty: s.repetitionPenalty, repetitionWindow: s.repetitionWindow, minConfidence: s.minConfidence };
  });
  // Candidates are ranked by the active voice's own score (voice-score.json in its run folder).
  const rewrites = new RewriteService(model, rewriteSettings, undefined, () => loadVoiceScorer(deps.voice.current()));

  // Say each "no model" reason once, not at every keystroke.
  const warned = new Set<string>();
  const warn = (message: string) => {
    if (warned.has(message)) return;
    warned.add(message);
    log.warn(message);
    void vscode.window.showWarningMessage(`Voice Draft: ${message}`);
  };

  const voiceChange = deps.voice.onDidChange(() => {
    completions.clear();
    warned.clear();
  });
  const settingsChange = vscode.workspace.onDidChangeConfiguration((e) => {
    if (affects(e, 'inference')) {
      // Device or threads changed: load the model again with them.
      void model.ready().catch((err: unknown) => log.warn(`reloading the model failed: ${String(err)}`));
    }
    if (affects(e, 'inline')) completions.clear();
  });

  // Load the model now, so the first suggestion does not wait for it (it takes seconds).
  if (inlineSettings().enabled) void model.ready().catch((e: unknown) => log.info(`no model loaded yet: ${e instanceof Error ? e.message : String(e)}`));

  return [
    registerInlineProvider({ completions, log, warn }),
    registerCacheWarmUp(completions, log),
    ...registerRewriteCommands({ rewrites, log }),
    registerContinueParagraph(completions, log),
    registerToggleInline((enabled) => { if (!enabled) completions.cancel(); }),
    { dispose: () => voiceChange.dispose() },
    settingsChange,
    { dispose: () => { model.dispose(); void host.dispose(); } },
  ];
}
