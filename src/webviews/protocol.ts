// Messages between the dashboard host (extension side) and its webview (browser
// side), named `scope/verb`. Both directions are discriminated unions, parsed
// from `unknown` at the boundary: a webview is a separate process that can send
// anything, and a host of another version may post shapes this app never saw.
// The webview says `webview/ready` before the host posts anything.
import type { RunSnapshot } from '../core/runs/snapshot';
import type { RunState } from '../core/runs/runFolder';
import type { SelfTestHistory, SelfTestScore, SelfTestSessionScore, Side } from '../core/eval/selfTest';
import { type EngineEvent, parseEvent } from '../core/runs/protocol';

/** The panel's type: package.json's `onWebviewPanel:` activation event names it too. */
export const DASHBOARD_VIEW_TYPE = 'voiceDraft.dashboard';

/** What the webview saves (vscodeApi.saveState) for a window reload: the runs it showed. */
export interface SavedDashboard {
  selected: string | null;
  compare: string | null;
}

/** The webview's saved state, read as the untrusted input it is; the runs are checked again against the runs folder. */
export function readSavedDashboard(state: unknown): SavedDashboard {
  const o = typeof state === 'object' && state !== null ? (state as Record<string, unknown>) : {};
  const dir = (v: unknown) => (typeof v === 'string' && v.length > 0 && v.length < 4096 ? v : null);
  return { selected: dir(o.selected), compare: dir(o.compare) };
}

/** The primary run, or the second run whose curves are overlaid on it. */
export type Role = 'primary' | 'compare';

export interface RunChoice {
  dir: string;
  id: string;
  name: string;
  state: RunState;
  baseModel?: string;
}

/** What the host knows about a run beyond its folder, and which actions it can take now (it owns the engine, not the webview). */
export interface RunControls {
  /** An engine process is training this run on this machine (a "running" run without one has crashed). */
  engineAlive: boolean;
  /** This run is the voice the editor writes with. */
  active: boolean;
  cancel: boolean;
  resume: boolean;
  activate: boolean;
  export: boolean;
  /** Another kept checkpoint can be made the voice (a finished local run, no engine on it). */
  choose: boolean;
}

export type RunFilesUpdate = Omit<RunSnapshot['files'], 'config'>;

export type { SelfTestHistory, SelfTestScore, Side };

/** One pair of "Which is yours?" as the webview sees it: which side is the writer's stays with the host. */
export interface SelfTestTrialView {
  /** The end of the opening both texts continue, when known whole. */
  opening: string | null;
  a: string;
  b: string;
}

/** Most picks one session may report (a session shows at most this many pairs). */
export const MAX_SELF_TEST_PICKS = 100;

export type HostMessage =
  | { type: 'run/list'; runsRoot: string; runs: RunChoice[]; selected: string | null; compare: string | null }
  | { type: 'run/snapshot'; role: Role; snapshot: RunSnapshot; controls: RunControls }
  | { type: 'run/events'; role: Role; dir: string; events: EngineEvent[]; lastEventMs: number }
  | { type: 'run/files'; role: Role; dir: string; files: RunFilesUpdate }
  | { type: 'run/controls'; dir: string; controls: RunControls }
  | { type: 'compare/cleared' }
  /** The self-test of the primary run: how many pairs it offers (none: why) and its history. */
  | { type: 'selftest/status'; dir: string; available: number; sessionSize: number; reason: string | null; history: SelfTestHistory }
  | { type: 'selftest/session'; dir: string; session: string; trials: SelfTestTrialView[] }
  | { type: 'selftest/result'; dir: string; session: string; score: SelfTestScore; history: SelfTestHistory }
  | { type: 'host/notice'; level: 'info' | 'error'; text: string };

export type RunAction = 'action/cancel' | 'action/resume' | 'action/activate' | 'action/export' | 'action/openFolder' | 'action/evaluate';

export type WebviewMessage =
  | { type: 'webview/ready' }
  | { type: 'run/select'; dir: string }
  | { type: 'compare/select'; dir: string | null }
  | { type: RunAction; dir: string }
  | { type: 'action/copy'; text: string }
  /** Make kept checkpoint `step` the run's voice, then export and activate it. */
  | { type: 'action/choose'; dir: string; step: number }
  | { type: 'selftest/start'; dir: string }
  /** The writer's pick per pair shown, in order; fewer than the session's pairs when they stopped early. */
  | { type: 'selftest/finish'; dir: string; session: string; picks: Side[] };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isRole = (v: unknown): v is Role => v === 'primary' || v === 'compare';
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const STATES: readonly string[] = ['new', 'running', 'done', 'cancelled', 'failed'] satisfies RunState[];
const RUN_ACTIONS: readonly string[] = ['action/cancel', 'action/resume', 'action/activate', 'action/export', 'action/openFolder', 'action/evaluate'] satisfies RunAction[];

/** Parses a message from the webview; undefined for anything malformed. */
export function parseWebviewMessage(value: unknown): WebviewMessage | undefined {
  if (!isObj(value) || !isStr(value.type)) return undefined;
  switch (value.type) {
    case 'webview/ready':
      return { type: 'webview/ready' };
    case 'run/select':
      return isStr(value.dir) ? { type: 'run/select', dir: value.dir } : undefined;
    case 'compare/select':
      return isStr(value.dir) || value.dir === null ? { type: 'compare/select', dir: value.dir } : undefined;
    case 'action/copy':
      return isStr(value.text) ? { type: 'action/copy', text: value.text } : undefined;
    case 'action/choose':
      return isStr(value.dir) && isCount(value.step) ? { type: 'action/choose', dir: value.dir, step: value.step } : undefined;
    case 'selftest/start':
      return isStr(value.dir) ? { type: 'selftest/start', dir: value.dir } : undefined;
    case 'selftest/finish': {
      const { picks } = value;
      if (!isStr(value.dir) || !isStr(value.session) || !Array.isArray(picks)) return undefined;
      if (picks.length === 0 || picks.length > MAX_SELF_TEST_PICKS || !picks.every(isSide)) return undefined;
      return { type: 'selftest/finish', dir: value.dir, session: value.session, picks: picks.slice() };
    }
    default:
      return RUN_ACTIONS.includes(value.type) && isStr(value.dir) ? { type: value.type as RunAction, dir: value.dir } : undefined;
  }
}

/** Parses a message from the host; undefined for anything malformed. Events are re-validated one by one. */
export function parseHostMessage(value: unknown): HostMessage | undefined {
  if (!isObj(value) || !isStr(value.type)) return undefined;
  switch (value.type) {
    case 'run/list': {
      if (!isStr(value.runsRoot) || !Array.isArray(value.runs)) return undefined;
      const runs = value.runs.filter(isRunChoice);
      const selected = isStr(value.selected) ? value.selected : null;
      const compare = isStr(value.compare) ? value.compare : null;
      return { type: 'run/list', runsRoot: value.runsRoot, runs, selected, compare };
    }
    case 'run/snapshot': {
      const snapshot = parseSnapshot(value.snapshot);
      const controls = parseControls(value.controls);
      return isRole(value.role) && snapshot && controls ? { type: 'run/snapshot', role: value.role, snapshot, controls } : undefined;
    }
    case 'run/events':
      if (!isRole(value.role) || !isStr(value.dir) || !Array.isArray(value.events) || !isNum(value.lastEventMs)) return undefined;
      return { type: 'run/events', role: value.role, dir: value.dir, events: parseEvents(value.events), lastEventMs: value.lastEventMs };
    case 'run/files': {
      const files = parseFiles(value.files);
      return isRole(value.role) && isStr(value.dir) && files ? { type: 'run/files', role: value.role, dir: value.dir, files } : undefined;
    }
    case 'run/controls': {
      const controls = parseControls(value.controls);
      return isStr(value.dir) && controls ? { type: 'run/controls', dir: value.dir, controls } : undefined;
    }
    case 'compare/cleared':
      return { type: 'compare/cleared' };
    case 'selftest/status': {
      const history = parseHistoryView(value.history);
      if (!isStr(value.dir) || !isCount(value.available) || !isCount(value.sessionSize) || !history) return undefined;
      const reason = isStr(value.reason) ? value.reason : null;
      return { type: 'selftest/status', dir: value.dir, available: value.available, sessionSize: value.sessionSize, reason, history };
    }
    case 'selftest/session': {
      // All or nothing: the picks sent back are matched to the host's trials by position.
      if (!isStr(value.dir) || !isStr(value.session) || !Array.isArray(value.trials) || value.trials.length > MAX_SELF_TEST_PICKS) return undefined;
      const trials = value.trials.map(parseTrial);
      if (trials.length === 0 || !trials.every((t): t is SelfTestTrialView => t !== undefined)) return undefined;
      return { type: 'selftest/session', dir: value.dir, session: value.session, trials };
    }
    case 'selftest/result': {
      const score = parseScore(value.score);
      const history = parseHistoryView(value.history);
      return isStr(value.dir) && isStr(value.session) && score && history
        ? { type: 'selftest/result', dir: value.dir, session: value.session, score, history }
        : undefined;
    }
    case 'host/notice':
      return (value.level === 'info' || value.level === 'error') && isStr(value.text) ? { type: 'host/notice', level: value.level, text: value.text } : undefined;
    default:
      return undefined;
  }
}

const isSide = (v: unknown): v is Side => v === 'A' || v === 'B';
const isCount = (v: unknown): v is number => isNum(v) && Number.isInteger(v) && v >= 0;
const isShare = (v: unknown): v is number => isNum(v) && v >= 0 && v <= 1;

function parseTrial(v: unknown): SelfTestTrialView | undefined {
  if (!isObj(v) || !isStr(v.a) || !isStr(v.b) || !(v.opening === null || v.opening === undefined || isStr(v.opening))) return undefined;
  return { opening: isStr(v.opening) ? v.opening : null, a: v.a, b: v.b };
}

function parseScore(v: unknown): SelfTestScore | undefined {
  if (!isObj(v) || !isCount(v.k) || !isCount(v.n) || v.n === 0 || v.k > v.n) return undefined;
  if (!isShare(v.share) || !isShare(v.low) || !isShare(v.high) || v.low > v.high) return undefined;
  return { k: v.k, n: v.n, share: v.share, low: v.low, high: v.high };
}

/** Malformed sessions are dropped; a malformed overall score is no overall score. */
function parseHistoryView(v: unknown): SelfTestHistory | undefined {
  if (!isObj(v) || !Array.isArray(v.sessions)) return undefined;
  const sessions = v.sessions.flatMap((s): SelfTestSessionScore[] => {
    const sc = parseScore(s);
    return sc && isObj(s) && isStr(s.date) ? [{ ...sc, date: s.date, evalCreated: isStr(s.evalCreated) ? s.evalCreated : null }] : [];
  });
  return { sessions, overall: parseScore(v.overall) ?? null };
}

function isRunChoice(v: unknown): v is RunChoice {
  return isObj(v) && isStr(v.dir) && isStr(v.id) && isStr(v.name) && isStr(v.state) && STATES.includes(v.state)
    && (v.baseModel === undefined || isStr(v.baseModel));
}

const CONTROL_KEYS = ['engineAlive', 'active', 'cancel', 'resume', 'activate', 'export', 'choose'] as const satisfies readonly (keyof RunControls)[];

function parseControls(v: unknown): RunControls | undefined {
  if (!isObj(v) || !CONTROL_KEYS.every((k) => isBool(v[k]))) return undefined;
  return Object.fromEntries(CONTROL_KEYS.map((k) => [k, v[k]])) as unknown as RunControls;
}

/** Malformed events are dropped, as the run folder reader drops malformed lines. */
function parseEvents(values: unknown[]): EngineEvent[] {
  const out: EngineEvent[] = [];
  for (const v of values) {
    try {
      out.push(parseEvent(v));
    } catch {
      // skipped: one bad event must not blank the dashboard
    }
  }
  return out;
}

function parseFiles(v: unknown): RunFilesUpdate | undefined {
  if (!isObj(v) || !isBool(v.hasWeights) || !isBool(v.hasVoice) || !Array.isArray(v.checkpoints)) return undefined;
  return {
    canaries: v.canaries ?? null,
    manifest: v.manifest ?? null,
    evaluation: v.evaluation ?? null,
    hasWeights: v.hasWeights,
    hasVoice: v.hasVoice,
    checkpoints: v.checkpoints.filter(isStr),
  };
}

function parseSnapshot(v: unknown): RunSnapshot | undefined {
  if (!isObj(v) || !isStr(v.dir) || !isStr(v.id) || !isStr(v.name) || !Array.isArray(v.events) || !isObj(v.files)) return undefined;
  const files = parseFiles(v.files);
  if (!files) return undefined;
  const numOrNull = (x: unknown) => (isNum(x) ? x : null);
  return {
    dir: v.dir,
    id: v.id,
    name: v.name,
    events: parseEvents(v.events),
    malformedLines: isNum(v.malformedLines) ? v.malformedLines : 0,
    eventsOffset: isNum(v.eventsOffset) ? v.eventsOffset : 0,
    startedMs: numOrNull(v.startedMs),
    lastEventMs: numOrNull(v.lastEventMs),
    files: { ...files, config: isObj(v.files.config) ? v.files.config : null },
  };
}
