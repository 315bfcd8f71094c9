// Ghost text in your voice: an InlineCompletionItemProvider for markdown and plain text.
// Waits for a pause in typing (debounce), stays quiet in front matter and code blocks,
// and hands the text around the cursor to the completion service. VS Code cancels the
// request when the writer types on; that token becomes an AbortSignal which interrupts
// the model between tokens.
import * as vscode from 'vscode';
import { inlineSettings } from '../config';
import { AFTER_CHARS, type CompletionRequest, type CompletionService } from '../inference/completionService';
import { regionAt } from '../inference/markdownContext';
import { NoModelError } from '../inference/modelLocator';
import { isAbortError } from '../inference/workerHost';
import { abortOnCancel } from './cancellation';

export const INLINE_SELECTOR: vscode.DocumentSelector = [
  { language: 'markdown', scheme: 'file' },
  { language: 'markdown', scheme: 'untitled' },
  { language: 'plaintext', scheme: 'file' },
  { language: 'plaintext', scheme: 'untitled' },
];

export interface InlineDeps {
  completions: CompletionService;
  log: vscode.LogOutputChannel;
  /** Shown once per reason, so a missing model is said once, not at every keystroke. */
  warn: (message: string) => void;
}

export class VoiceInlineProvider implements vscode.InlineCompletionItemProvider {
  constructor(private readonly deps: InlineDeps) {}

  async provideInlineCompletionItems(
    document: vscode.TextDocument,
    position: vscode.Position,
    context: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
  ): Promise<vscode.InlineCompletionItem[] | undefined> {
    // A completion popup is open: let the writer pick from it.
    if (context.selectedCompletionInfo) return undefined;
    const place = ghostTextPlace(document, position);
    if (!place) return undefined;
    const s = inlineSettings();

    const signal = abortOnCancel(token);
    if (context.triggerKind === vscode.InlineCompletionTriggerKind.Automatic && s.debounceMs > 0) {
      if (!(await pause(s.debounceMs, signal))) return undefined;
    }
    try {
      const result = await this.deps.completions.complete(place, signal);
      if (!result.fromCache && result.stats) {
        const st = result.stats;
        const sure = result.confidence === undefined ? '' : `, confidence ${result.confidence.toFixed(2)}${result.silenced ? ' (below voiceDraft.inline.minConfidence: not shown)' : ''}`;
        this.deps.log.trace(`suggestion in ${result.ms.toFixed(0)} ms: ${st.newTokens} tokens, prompt ${st.promptTokens} (${st.reusedTokens} from cache), ${result.reason}${sure}`);
      }
      if (token.isCancellationRequested || result.text === '') return undefined;
      return [new vscode.InlineCompletionItem(result.text, new vscode.Range(position, position))];
    } catch (e) {
      if (isAbortError(e)) return undefined;
      if (e instanceof NoModelError) this.deps.warn(e.message);
      else this.deps.log.error(`ghost text failed: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
  }
}

/**
 * The text around `position` when ghost text would suggest there (inline suggestions on, the
 * language not turned off, prose rather than front matter or code, something before it);
 * the cache warm-up asks the same.
 */
export function ghostTextPlace(document: vscode.TextDocument, position: vscode.Position): CompletionRequest | undefined {
  const s = inlineSettings();
  if (!s.enabled || s.languages[document.languageId] === false) return undefined;
  if (!vscode.languages.match(INLINE_SELECTOR, document)) return undefined;
  const text = document.getText();
  const offset = document.offsetAt(position);
  if (document.languageId === 'markdown' && regionAt(text, offset) !== 'prose') return undefined;
  const before = text.slice(0, offset);
  if (!/\S/.test(before)) return undefined;
  return { before, after: text.slice(offset, offset + AFTER_CHARS), plainText: document.languageId !== 'markdown' };
}

/** Resolves true after `ms`, false as soon as the signal aborts (a newer keystroke). */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export function registerInlineProvider(deps: InlineDeps): vscode.Disposable {
  return vscode.languages.registerInlineCompletionItemProvider(INLINE_SELECTOR, new VoiceInlineProvider(deps));
}
