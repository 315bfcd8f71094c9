// The voice the writer writes with: a run folder, kept in global state so it
// persists across windows. The inference layer reads it through this store.
import * as vscode from 'vscode';

export const ACTIVE_VOICE_KEY = 'voiceDraft.activeVoice';

export class ActiveVoiceStore implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<string | undefined>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly state: vscode.Memento) {}

  /** The active run folder, or undefined for the offline default model. */
  current(): string | undefined {
    return this.state.get<string>(ACTIVE_VOICE_KEY);
  }

  /**
   * Makes `runDir` the voice. Setting the active voice again still tells the listeners: its
   * export may be new (another checkpoint made the voice, a resumed run), so the model is
   * loaded again when its file changed and remembered suggestions are dropped.
   */
  async set(runDir: string | undefined): Promise<void> {
    if (runDir !== this.current()) await this.state.update(ACTIVE_VOICE_KEY, runDir);
    this.changed.fire(runDir);
  }

  dispose(): void {
    this.changed.dispose();
  }
}
