// One status bar item tells the writer what Voice Draft is doing, and opens the dashboard.
import * as vscode from 'vscode';
import { Commands } from './commandIds';

export type VoiceStatus =
  | { kind: 'idle' }
  | { kind: 'preparing'; detail?: string }
  | { kind: 'training'; percent: number }
  | { kind: 'exporting' }
  | { kind: 'active'; voice: string }
  | { kind: 'error'; message: string };

export class VoiceStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('voiceDraft.status', vscode.StatusBarAlignment.Right, 100);

  constructor() {
    this.item.name = 'Voice Draft';
    this.item.command = Commands.showDashboard;
    this.show({ kind: 'idle' });
    this.item.show();
  }

  show(status: VoiceStatus): void {
    const [text, tooltip] = describe(status);
    this.item.text = text;
    this.item.tooltip = tooltip;
    this.item.backgroundColor = status.kind === 'error' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}

function describe(s: VoiceStatus): [string, string] {
  switch (s.kind) {
    case 'idle': return ['$(feedback) Voice Draft', 'Voice Draft: no voice active. Click for the training dashboard.'];
    case 'preparing': return ['$(sync~spin) Voice: preparing', s.detail ?? 'Preparing training data'];
    case 'training': return [`$(sync~spin) Voice: training ${Math.round(s.percent)}%`, 'Training your voice. Click for the dashboard.'];
    case 'exporting': return ['$(sync~spin) Voice: exporting', 'Preparing the trained voice for writing'];
    case 'active': return [`$(feedback) Voice "${s.voice}" active`, `Writing with the voice "${s.voice}". Click for the dashboard.`];
    case 'error': return ['$(error) Voice Draft', s.message];
  }
}
