// "Which is yours?" in the webview, without the DOM (the Node tests drive it): the
// pairs the host sent, the writer's pick per pair, and what the host said they
// came to. The webview never knows which side is the writer's; it reports A or B.
import type { HostMessage, SelfTestHistory, SelfTestScore, SelfTestTrialView, Side, WebviewMessage } from '../protocol';

export type SelfTestPhase = 'idle' | 'starting' | 'running' | 'saving' | 'done';

type SelfTestMessage = Extract<HostMessage, { type: `selftest/${string}` }>;

export interface SelfTestStatus {
  available: number;
  sessionSize: number;
  reason: string | null;
}

export class SelfTestModel {
  /** The run the section is about (the primary run); messages about another are dropped. */
  dir: string | null = null;
  status: SelfTestStatus | null = null;
  history: SelfTestHistory | null = null;
  phase: SelfTestPhase = 'idle';
  session: { id: string; trials: SelfTestTrialView[]; picks: Side[] } | null = null;
  result: SelfTestScore | null = null;

  /** Another run is shown: what was open for the previous one is gone. */
  reset(dir: string | null): void {
    if (dir === this.dir) return;
    this.dir = dir;
    this.status = null;
    this.history = null;
    this.phase = 'idle';
    this.session = null;
    this.result = null;
  }

  /** Folds a host message in; false when it was about another run or session (nothing to redraw). */
  apply(msg: SelfTestMessage): boolean {
    if (msg.dir !== this.dir) return false;
    switch (msg.type) {
      case 'selftest/status':
        this.status = { available: msg.available, sessionSize: msg.sessionSize, reason: msg.reason };
        this.history = msg.history;
        // Asked to start, but there was nothing to show: back to the start button and the reason.
        if (this.phase === 'starting') this.phase = 'idle';
        return true;
      case 'selftest/session':
        this.session = { id: msg.session, trials: msg.trials, picks: [] };
        this.result = null;
        this.phase = 'running';
        return true;
      case 'selftest/result':
        if (this.session?.id !== msg.session) return false;
        this.result = msg.score;
        this.history = msg.history;
        this.phase = 'done';
        return true;
      default: {
        const never: never = msg;
        return never;
      }
    }
  }

  /** The host reported an error: a session being started or saved will not come back. True when the phase changed. */
  interrupted(): boolean {
    if (this.phase !== 'starting' && this.phase !== 'saving') return false;
    this.phase = 'idle';
    this.session = null;
    return true;
  }

  /** The message that asks the host for a session, or undefined when none can start. */
  start(): WebviewMessage | undefined {
    if (!this.dir || this.phase === 'starting' || this.phase === 'running' || this.phase === 'saving') return undefined;
    this.phase = 'starting';
    return { type: 'selftest/start', dir: this.dir };
  }

  /** The pair now shown (0-based), or undefined outside a session. */
  get current(): number | undefined {
    return this.phase === 'running' && this.session ? this.session.picks.length : undefined;
  }

  /** Records the writer's pick for the current pair; after the last one, the message that reports them all. */
  pick(side: Side): WebviewMessage | undefined {
    const s = this.session;
    if (this.phase !== 'running' || !s || !this.dir) return undefined;
    s.picks.push(side);
    return s.picks.length === s.trials.length ? this.finish() : undefined;
  }

  /** Stops early: the pairs answered so far are recorded (none answered: nothing is). */
  stop(): WebviewMessage | undefined {
    if (this.phase !== 'running' || !this.session) return undefined;
    if (this.session.picks.length === 0) {
      this.phase = 'idle';
      this.session = null;
      return undefined;
    }
    return this.finish();
  }

  private finish(): WebviewMessage {
    this.phase = 'saving';
    return { type: 'selftest/finish', dir: this.dir!, session: this.session!.id, picks: this.session!.picks.slice() };
  }
}

/** `50%`: shares of a few pairs need no decimals. */
export const pct = (x: number) => `${Math.round(x * 100)}%`;

/** "The voice was taken for you in 5 of 10 pairs (50%, 95% CI 24–76%)". */
export function resultSentence(s: SelfTestScore): string {
  return `The voice was taken for you in ${s.k} of ${s.n} pair${s.n === 1 ? '' : 's'} (${pct(s.share)}, 95% CI ${Math.round(s.low * 100)}\u2013${pct(s.high)}).`;
}
