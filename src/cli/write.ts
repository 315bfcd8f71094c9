// `voice-draft write <run> "<text>"`: writes with a trained voice from the
// terminal — a continuation, or a rewrite with --rewrite — beside the base
// model's answer to the same text, through the same inference services the editor uses.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fixedVoice } from '../inference/activeVoice';
import { CompletionService } from '../inference/completionService';
import { explicitModel, locateModel, NoModelError } from '../inference/modelLocator';
import { nothingUsable, rewriteLines } from '../inference/rewriteReport';
import { RewriteService, type RewriteResult } from '../inference/rewriteService';
import { VoiceModel } from '../inference/voiceModel';
import { InferenceWorkerHost } from '../inference/workerHost';
import { command, UsageError } from './commandLine';
import { COMMANDS } from './commands';

function workerScript(): string {
  const bundled = join(__dirname, 'inference-worker.js');
  return existsSync(bundled) ? bundled : join(__dirname, '..', 'inference', 'worker.ts');
}

export const writeCommand = command(COMMANDS.write, async ({ values: v, positionals }) => {
  const rest = [...positionals];
  const run = v.default ? undefined : rest.shift();
  const text = rest.join(' ').trim();
  if (!text) throw new UsageError(v.default ? 'give the text to write from' : 'give a run folder (or --default) and the text to write from');
  const maxTokens = v['max-tokens'] ?? (v.rewrite ? 200 : 48);
  const device = v.device === 'cuda' ? 'cuda' : 'cpu';
  const threads = v.threads ?? 2;
  const runDir = run ? resolve(run) : undefined;

  let located;
  try {
    located = locateModel(runDir);
  } catch (e) {
    if (e instanceof NoModelError) {
      process.stderr.write(`error: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const models: [string, typeof located][] = [[runDir ? 'voice' : 'default model', located]];
  const baseDir = runDir ? join(runDir, 'onnx-base') : undefined;
  if (baseDir && !v['no-base'] && existsSync(join(baseDir, 'config.json'))) models.push(['base', explicitModel(baseDir)]);

  const host = new InferenceWorkerHost({ script: workerScript(), log: (level, m) => { if (level !== 'info') process.stderr.write(`[${level}] ${m}\n`); } });
  try {
    for (const [label, which] of models) {
      const model = new VoiceModel({ host, voice: fixedVoice(runDir), device: () => device, threads: () => threads, locate: () => which });
      const t0 = performance.now();
      let output: string;
      if (v.rewrite) {
        const rewrites = new RewriteService(model, () => ({ temperature: 0, topK: 0, repetitionPenalty: 1.1, maxTokens }));
        output = rewriteOutput(await rewrites.rewrite(text));
      } else {
        const completions = new CompletionService(model, () => ({ contextTokens: 1500, maxTokens, stopAt: 'paragraph', temperature: 0, topK: 0, repetitionPenalty: 1.1, repetitionWindow: 0 }));
        output = text + (await completions.complete({ before: text, after: '' })).text;
      }
      model.dispose();
      process.stdout.write(`--- ${label} (${which.dir}, ${Math.round(performance.now() - t0)} ms)\n${output}\n\n`);
    }
    return 0;
  } finally {
    await host.dispose();
  }
});

/**
 * A rewrite as the terminal shows it: the passage, then what was cut from the model's
 * output and each paragraph's content check; when nothing usable came back, it says so
 * and the draft stays as it is.
 */
export function rewriteOutput(result: RewriteResult): string {
  const notes = rewriteLines(result).map((line) => `  · ${line}`);
  if (nothingUsable(result)) {
    return ['(nothing usable came back: the model answered only with a chat preamble or commentary; the draft stays as it is)', ...notes].join('\n');
  }
  return [result.text, ...(notes.length > 0 ? ['', ...notes] : [])].join('\n');
}
