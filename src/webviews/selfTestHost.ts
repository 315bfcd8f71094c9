// The host side of "Which is yours?" (issue #19 item 5), kept apart from the panel
// so it runs in plain Node tests. The host builds each session from the run folder
// and keeps which side holds the writer's text; the webview only shows the texts
// and reports A or B per pair. The host then scores the picks and appends the
// session to `<run>/self-test.json` (the webview never writes files).
import { randomInt } from 'node:crypto';
import {
  appendSession, DEFAULT_SESSION_PAIRS, planSession, readHistory, recordSession, score, type SelfTestSession, type Side, summarize, type Trial,
} from '../core/eval/selfTest';
import { readSelfTestPairs, type SelfTestPairs } from '../core/eval/selfTestPairs';
import type { HostMessage } from './protocol';

interface Pending {
  dir: string;
  id: string;
  seed: number;
  evalCreated: string | null;
  trials: Trial[];
}

export interface SelfTestHostOptions {
  sessionSize?: number;
  /** Seeds of new sessions (tests pass a fixed one). */
  newSeed?: () => number;
  now?: () => Date;
  readPairs?: (dir: string) => Promise<SelfTestPairs>;
}

export class SelfTestHost {
  /** One open session per panel: starting another, or choosing another run, drops it. */
  private pending: Pending | undefined;
  private readonly size: number;
  private readonly newSeed: () => number;
  private readonly now: () => Date;
  private readonly readPairs: (dir: string) => Promise<SelfTestPairs>;

  constructor(options: SelfTestHostOptions = {}) {
    this.size = options.sessionSize ?? DEFAULT_SESSION_PAIRS;
    this.newSeed = options.newSeed ?? (() => randomInt(2 ** 31));
    this.now = options.now ?? (() => new Date());
    this.readPairs = options.readPairs ?? ((dir) => readSelfTestPairs(dir));
  }

  /** What the section shows before a session: how many pairs there are (none: why) and the history. */
  async status(dir: string): Promise<HostMessage> {
    const [found, sessions] = await Promise.all([this.readPairs(dir), readHistory(dir)]);
    return this.statusOf(dir, found, sessions);
  }

  private statusOf(dir: string, found: SelfTestPairs, sessions: SelfTestSession[]): HostMessage {
    const available = found.pairs.length;
    return {
      type: 'selftest/status',
      dir,
      available,
      sessionSize: Math.min(this.size, available),
      reason: available ? null : noPairsReason(found),
      history: summarize(sessions),
    };
  }

  /** A new session on `dir`'s pairs; the status alone (with its reason) when there are none. */
  async start(dir: string): Promise<HostMessage> {
    this.pending = undefined;
    const [found, sessions] = await Promise.all([this.readPairs(dir), readHistory(dir)]);
    if (found.pairs.length === 0) return this.statusOf(dir, found, sessions);
    const seed = this.newSeed();
    const trials = planSession(found.pairs, sessions, { n: this.size, seed, evalCreated: found.evalCreated });
    const id = `${this.now().getTime().toString(36)}-${seed.toString(36)}`;
    this.pending = { dir, id, seed, evalCreated: found.evalCreated, trials };
    return {
      type: 'selftest/session',
      dir,
      session: id,
      trials: trials.map((t) => {
        const [a, b] = t.writerSide === 'A' ? [t.pair.writer, t.pair.voice] : [t.pair.voice, t.pair.writer];
        return { opening: t.pair.opening, a, b };
      }),
    };
  }

  /**
   * Scores and records the open session. Undefined (nothing written) for picks that do
   * not belong to it: another run, an old session, more picks than pairs.
   */
  async finish(dir: string, session: string, picks: Side[]): Promise<HostMessage | undefined> {
    const p = this.pending;
    if (!p || p.dir !== dir || p.id !== session || picks.length === 0 || picks.length > p.trials.length) return undefined;
    this.pending = undefined;
    const record = recordSession(p.trials, picks, { seed: p.seed, date: this.now(), evalCreated: p.evalCreated });
    const sessions = await appendSession(dir, record);
    return { type: 'selftest/result', dir, session, score: score(record.picked_voice, record.n)!, history: summarize(sessions) };
  }

  /** The writer left the run (another run chosen, the panel reloaded): its open session is gone. */
  drop(): void {
    this.pending = undefined;
  }
}

function noPairsReason(found: SelfTestPairs): string {
  if (found.skipped.length === 0) {
    return 'No samples to judge yet: run Evaluate Voice, and the pairs come from the voice\'s continuations of your held-out openings.';
  }
  const reasons = [...new Set(found.skipped.map((s) => s.reason))].slice(0, 3);
  return `None of the ${found.skipped.length} evaluation samples could be paired with your own held-out text (${reasons.join('; ')}).`;
}
