// The webview's state: what the host last said, folded into view-models. Each
// host message says which parts of the page it changed, so a live run redraws
// the curves and the header but leaves the data report and an open canary alone.
// No DOM here: the Node tests drive it with the same messages the host sends.
import type { RunSnapshot } from '../../core/runs/snapshot';
import type { HostMessage, Role, RunChoice, RunControls } from '../protocol';
import { applyEvents, modelFromEvents, type RunModel } from '../../core/runs/runModel';
import { SelfTestModel } from './selfTestModel';

export type Part = 'list' | 'header' | 'curves' | 'canaries' | 'data' | 'scores' | 'notice' | 'selftest';

export interface RunView {
  dir: string;
  snapshot: RunSnapshot;
  model: RunModel;
  files: RunSnapshot['files'];
  lastEventMs: number | null;
}

export class DashboardState {
  runsRoot: string | null = null;
  runs: RunChoice[] = [];
  selected: string | null = null;
  compareDir: string | null = null;
  primary: RunView | null = null;
  compare: RunView | null = null;
  controls: RunControls | null = null;
  notice: { level: 'info' | 'error'; text: string } | null = null;
  /** "Which is yours?" for the primary run. */
  readonly selfTest = new SelfTestModel();

  /** Applies one host message; returns the parts of the page to redraw. */
  apply(msg: HostMessage): Set<Part> {
    switch (msg.type) {
      case 'run/list':
        this.runsRoot = msg.runsRoot;
        this.runs = msg.runs;
        this.selected = msg.selected;
        this.compareDir = msg.compare;
        return new Set(['list', 'header']);
      case 'run/snapshot': {
        const view: RunView = {
          dir: msg.snapshot.dir,
          snapshot: msg.snapshot,
          model: modelFromEvents(msg.snapshot.events),
          files: msg.snapshot.files,
          lastEventMs: msg.snapshot.lastEventMs,
        };
        if (msg.role === 'primary') {
          this.primary = view;
          this.controls = msg.controls;
          this.notice = null;
          this.selfTest.reset(view.dir);
          return new Set(['header', 'curves', 'canaries', 'data', 'scores', 'notice', 'selftest']);
        }
        this.compare = view;
        return new Set(['curves', 'canaries', 'scores']);
      }
      case 'run/events': {
        const view = this.view(msg.role, msg.dir);
        if (!view) return new Set();
        applyEvents(view.model, msg.events);
        view.lastEventMs = msg.lastEventMs;
        const parts = new Set<Part>(['curves']);
        if (msg.role === 'primary') parts.add('header');
        if (msg.events.some((e) => e.event === 'train.canary')) parts.add('canaries');
        if (msg.role === 'primary' && msg.events.some((e) => e.event === 'train.drafts')) parts.add('data');
        return parts;
      }
      case 'run/files': {
        const view = this.view(msg.role, msg.dir);
        if (!view) return new Set();
        view.files = { ...msg.files, config: view.files.config };
        return new Set(msg.role === 'primary' ? ['header', 'canaries', 'data', 'scores'] : ['canaries', 'scores']);
      }
      case 'run/controls':
        if (this.primary?.dir !== msg.dir) return new Set();
        this.controls = msg.controls;
        return new Set(['header']);
      case 'compare/cleared':
        this.compare = null;
        this.compareDir = null;
        return new Set(['list', 'curves', 'canaries', 'scores']);
      case 'host/notice':
        this.notice = { level: msg.level, text: msg.text };
        // A failed start or save leaves the self-test waiting for an answer that will not come.
        return new Set(msg.level === 'error' && this.selfTest.interrupted() ? ['notice', 'selftest'] : ['notice']);
      case 'selftest/status':
      case 'selftest/session':
      case 'selftest/result':
        return new Set(this.selfTest.apply(msg) ? ['selftest'] : []);
      default: {
        const never: never = msg;
        return never;
      }
    }
  }

  /** The view a live message is for; a message about a run no longer shown is dropped. */
  private view(role: Role, dir: string): RunView | undefined {
    const view = role === 'primary' ? this.primary : this.compare;
    return view?.dir === dir ? view : undefined;
  }

  /** Display name of the compared run, for legends. */
  compareName(): string {
    return this.compare ? this.compare.snapshot.name : '';
  }
}
