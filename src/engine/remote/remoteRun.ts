// A training run on a remote GPU host, step by step: connect, make sure the
// engine is there, push the run's data, start the engine detached, follow its
// events back over ssh into the local events.jsonl, pull the results, cancel.
// Every step is a separate ssh call, so any of them can be repeated after a
// dropped link; the run on the host never depends on our connection.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { PRIVATE_DIR_MODE, RUN_FILES } from '../../core/runs/runFolder';
import { runEngineToCompletion, EngineReportedError, EngineCrashError, type RunOptions } from '../client';
import { ENGINE_ISOLATION_ENV, ENGINE_PYTHON_ARGS, enginePackageDir } from '../locate';
import { type EngineEvent, type EngineReady, parseEventLine } from '../../core/runs/protocol';
import { applyEvent, emptyModel } from '../../core/runs/runModel';
import { agentCall, agentCommand, killer, RemoteError } from './exec';
import { commitEvents, localEventsSize, readRemoteState, reconcileEvents, type RemoteRunState, writeRemoteState } from './remoteState';
import { DEFAULT_REMOTE_BASE, type RemoteTarget, remoteCommand, remoteJoin, sshArgs, sshProgram } from './sshTarget';
import { CHECKPOINT_NAME, containedPath, PULLED_DIRS, PULLED_FILES, pullableKind, stagedProblem, UnsafePathError } from './runLayout';
import { localHasRsync, pullEntries, pushEntries } from './transfer';

/** What one probe of the host tells us; everything after it uses absolute paths. */
export interface RemoteHost {
  target: RemoteTarget;
  /** Absolute base folder on the host (`~/.voice-draft` by default). */
  base: string;
  home: string;
  /** Both sides have rsync. */
  rsync: boolean;
  /** Answers for the relative paths connect() was asked to check. */
  exists: Map<string, boolean>;
}

interface ProbeAnswer { home: string; base: string; rsync: string | null; python3: string; host: string; exists: boolean[] }

/** One round trip: the absolute base folder, rsync on both sides, and whether `check` (relative to the base) exist. */
export async function connect(t: RemoteTarget, signal?: AbortSignal, check: string[] = []): Promise<RemoteHost> {
  const [probe, local] = await Promise.all([
    agentCall<ProbeAnswer>(t, ['probe', t.baseDir ?? DEFAULT_REMOTE_BASE, ...check], { signal, timeoutMs: 60_000 }),
    localHasRsync(),
  ]);
  const exists = new Map(check.map((c, i) => [c, probe.exists[i] === true]));
  return { target: t, base: probe.base, home: probe.home, rsync: local && !!probe.rsync, exists };
}

export function remoteRunDir(host: RemoteHost, runId: string): string {
  return remoteJoin(host.base, 'remote-runs', runId);
}

// ---------------------------------------------------------------------------
// The engine on the host

export interface RemoteEngine {
  python: string;
  engineDir: string;
  ready: EngineReady;
}

const PKG_SKIP = new Set(['__pycache__', '.pytest_cache']);
/** What the host gets of the package folder: the code, and the locks `setup` installs the engine's dependencies from. */
const PKG_ENTRIES = ['voice_draft_engine', 'locks', 'pyproject.toml'];

async function packageEntries(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  return PKG_ENTRIES.filter((n) => names.includes(n));
}

/** A short digest of the engine's Python sources: a changed engine gets a fresh folder on the host, never a half-updated one. */
export async function packageDigest(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const top = new Set(await packageEntries(dir));
  const walk = async (rel: string): Promise<void> => {
    const entries = (await readdir(join(dir, rel), { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      if (PKG_SKIP.has(e.name) || e.name.endsWith('.pyc') || (!rel && !top.has(e.name))) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(r);
      else if (e.isFile()) hash.update(r).update('\0').update(await readFile(join(dir, r))).update('\0');
    }
  };
  await walk('');
  return hash.digest('hex').slice(0, 12);
}

const VENV_PYTHON = 'engine/venv/bin/python';

/** The paths, relative to the base folder, that tell whether this engine and its venv are on the host. */
export async function engineChecks(packageDir: string = enginePackageDir()): Promise<string[]> {
  const name = `${await engineVersion(packageDir)}-${await packageDigest(packageDir)}`;
  return [remoteJoin('engine', name, 'voice_draft_engine', '__main__.py'), VENV_PYTHON];
}

async function engineVersion(dir: string): Promise<string> {
  const init = await readFile(join(dir, 'voice_draft_engine', '__init__.py'), 'utf8').catch(() => '');
  return /__version__\s*=\s*["']([^"']+)["']/.exec(init)?.[1] ?? '0';
}

/** An engine command over ssh (`python -s -c <bootstrap> <args>`, isolated), as an EngineInvocation that runEngine can drive like a local one. */
export function remoteEngineInvocation(t: RemoteTarget, python: string, engineDir: string, args: string[], cwd?: string, env: Record<string, string> = {}) {
  // Isolated like a local engine (locate.ts): the login folder or the run folder on the host never shadows the engine.
  const command = remoteCommand([python, ...ENGINE_PYTHON_ARGS, ...args], {
    cwd,
    env: { ...t.env, ...env, ...ENGINE_ISOLATION_ENV, PYTHONPATH: engineDir, PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8' },
  });
  return { command: sshProgram(t), args: sshArgs(t, command) };
}

export interface EnsureOptions {
  /** The local folder holding `voice_draft_engine/` (default: the one this extension ships). */
  packageDir?: string;
  onEvent?: (e: EngineEvent) => void;
  onStderr?: (line: string) => void;
  signal?: AbortSignal;
}

/**
 * Copies the engine's Python package to `<base>/engine/<version>-<digest>/` on
 * the host (once per engine version), then finds an interpreter that passes
 * `doctor`: the configured one, the engine venv there, the host's python3 (a
 * GPU image with torch already installed). Only if none does, runs `setup`
 * there to make the venv, streaming its progress.
 */
export async function ensureRemoteEngine(host: RemoteHost, opts: EnsureOptions = {}): Promise<RemoteEngine> {
  const t = host.target;
  const pkg = opts.packageDir ?? enginePackageDir();
  const engineName = `${await engineVersion(pkg)}-${await packageDigest(pkg)}`;
  const engineDir = remoteJoin(host.base, 'engine', engineName);
  const venv = remoteJoin(host.base, 'engine', 'venv');
  const venvPython = remoteJoin(host.base, VENV_PYTHON);
  const checks = await engineChecks(pkg);
  // connect() may have answered these already (startRemote asks it to); otherwise one more round trip.
  const known = checks.every((c) => host.exists.has(c)) ? host : await connect(t, opts.signal, checks);
  const exists = checks.map((c) => known.exists.get(c) === true);
  if (!exists[0]) {
    // Copied under a temporary name and renamed: a copy cut off halfway is never taken for an engine.
    const tmp = `${engineDir}.partial-${process.pid}-${Date.now()}`;
    await pushEntries(t, pkg, await packageEntries(pkg), tmp, { rsync: host.rsync, signal: opts.signal, timeoutMs: 10 * 60_000 });
    await agentCall(t, ['install', tmp, engineDir], { signal: opts.signal });
  }
  const run = { signal: opts.signal, onEvent: opts.onEvent, onStderr: opts.onStderr, killGraceMs: 5000 } satisfies RunOptions;
  const doctor = async (python: string): Promise<EngineReady | string> => {
    try {
      const { terminal } = await runEngineToCompletion(remoteEngineInvocation(t, python, engineDir, ['doctor']), run);
      return terminal.event === 'engine.ready' ? terminal : `unexpected ${terminal.event}`;
    } catch (e) {
      if (e instanceof EngineCrashError && e.result.exitCode === 255) throw new RemoteError(`Lost the connection to ${t.host} while checking the engine.`, 'Try again.');
      return e instanceof Error ? e.message : String(e);
    }
  };
  const candidates = t.python ? [t.python] : [...(exists[1] ? [venvPython] : []), 'python3'];
  const problems: string[] = [];
  for (const python of candidates) {
    const r = await doctor(python);
    if (typeof r !== 'string') return { python, engineDir, ready: r };
    problems.push(`${python}: ${r}`);
  }
  if (t.python) throw new RemoteError(`The engine cannot run on ${t.host} with ${t.python}: ${problems.join('; ')}`, 'Point it at a Python with PyTorch, or leave it empty to let Voice Draft set one up.');
  try {
    await runEngineToCompletion(remoteEngineInvocation(t, 'python3', engineDir, ['setup', '--venv', venv]), { ...run, killGraceMs: 10_000 });
  } catch (e) {
    const why = e instanceof EngineReportedError ? e.message : e instanceof Error ? e.message : String(e);
    throw new RemoteError(`Setting up the engine on ${t.host} failed: ${why}`, `Before that: ${problems.join('; ')}`);
  }
  const r = await doctor(venvPython);
  if (typeof r === 'string') throw new RemoteError(`The engine set up on ${t.host} does not start: ${r}`, 'See the Voice Draft log.');
  return { python: venvPython, engineDir, ready: r };
}

// ---------------------------------------------------------------------------
// The run folder on the host

export interface PushOptions {
  resume?: boolean;
  /** remote.json as the caller read it for this start (undefined: none); read here when not given. */
  previous?: RemoteRunState;
  signal?: AbortSignal;
  onStderr?: (line: string) => void;
}

/**
 * Sends what the engine needs: dataset/ and config.json, plus, when resuming,
 * the checkpoints and events.jsonl the host lacks (it may be a fresh machine).
 * Never overwrites the host's events.jsonl or checkpoints: those only grow there.
 * Records remote.json with the mirror offset.
 */
export async function pushRun(host: RemoteHost, runDir: string, opts: PushOptions = {}): Promise<RemoteRunState> {
  const t = host.target;
  const remoteDir = remoteRunDir(host, basename(runDir));
  const previous = 'previous' in opts ? opts.previous : await readRemoteState(runDir);
  if (previous && previous.remoteDir === remoteDir) await reconcileEvents(runDir, previous);
  const has = async (name: string) => (await stat(join(runDir, name)).catch(() => undefined)) !== undefined;
  if (!(await has(RUN_FILES.dataset))) throw new RemoteError(`The run folder has no dataset to train on: ${runDir}`, 'Prepare the training data first.');
  const transfer = { rsync: host.rsync, signal: opts.signal, onStderr: opts.onStderr };
  await pushEntries(t, runDir, [RUN_FILES.dataset, ...((await has(RUN_FILES.config)) ? [RUN_FILES.config] : [])], remoteDir, transfer);
  if (await has('checkpoints')) await pushEntries(t, runDir, ['checkpoints'], remoteDir, { ...transfer, skipExisting: true });
  // The local events.jsonl must stay a prefix of the host's. The host's copy wins when it is
  // at least as long (it only grows there); a shorter or missing one (a fresh host, or a run
  // continued on this machine meanwhile) is replaced by ours.
  const localSize = await localEventsSize(runDir);
  if (localSize > 0) {
    const hostSize = (await agentCall<RemoteStatus>(t, ['status', remoteDir], { signal: opts.signal })).eventsSize ?? 0;
    if (hostSize < localSize) await pushEntries(t, runDir, [RUN_FILES.events], remoteDir, transfer);
  }
  // chmod -R go-rwx on the host: copies made before modes were set (or by an older Voice Draft) too.
  await agentCall(t, ['private', remoteDir], { signal: opts.signal });
  const state: RemoteRunState = {
    ...previous,
    deletedAt: undefined, // the host has a copy again
    format: 1,
    host: t.host,
    remoteDir,
    offset: localSize,
    rsync: host.rsync,
    env: t.env,
  };
  await writeRemoteState(runDir, state);
  return state;
}

export class RemoteBusyError extends RemoteError {}



export interface RemoteStatus { exists: boolean; alive: boolean; pid: number | null; terminal: string | null; eventsSize: number | null }



// ---------------------------------------------------------------------------
// Following the events

export interface FollowRemoteOptions {
  signal?: AbortSignal;
  /** Automatic reconnects after a dropped link before giving up (the run stays alive either way). */
  reconnects?: number;
  reconnectDelayMs?: number;
  /** The local ssh process of each connection (for the log; the drop test kills it). */
  onConnect?: (pid: number) => void;
  onStderr?: (line: string) => void;
}

export interface FollowRemoteResult {
  terminal: EngineEvent | undefined;
  events: number;
  /** The link dropped and stayed down: the engine may still be running; follow again to re-attach. */
  dropped: boolean;
  aborted: boolean;
}


/** One ssh connection running the helper's `follow`; resolves with its exit code (null when killed). */
function streamOnce(t: RemoteTarget, state: RemoteRunState, opts: FollowRemoteOptions, commit: (bytes: Buffer) => Promise<void>): Promise<{ code: number | null; stderr: string; error?: unknown }> {
  return new Promise((resolve) => {
    const child = spawn(sshProgram(t), sshArgs(t, agentCommand(t, ['follow', state.remoteDir, String(state.offset)])), {
      shell: false,
      // stdin stays an open pipe we never write: when the link dies the helper sees EOF and exits.
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    if (child.pid !== undefined) opts.onConnect?.(child.pid);
    let pending = Buffer.alloc(0);
    let chain = Promise.resolve();
    let failed: unknown;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      const end = pending.lastIndexOf(0x0a);
      if (end < 0) return;
      const complete = Buffer.from(pending.subarray(0, end + 1));
      pending = Buffer.from(pending.subarray(end + 1));
      chain = chain.then(() => (failed ? undefined : commit(complete))).catch((e: unknown) => { failed ??= e; child.kill('SIGTERM'); });
    });
    child.stderr.on('data', (c: Buffer) => {
      const text = c.toString('utf8');
      stderr = (stderr + text).slice(-8000);
      text.split('\n').filter(Boolean).forEach((l) => opts.onStderr?.(l));
    });
    child.stdin.on('error', () => { /* the link is gone; close tells the rest */ });
    const stop = killer(child, { signal: opts.signal });
    child.once('error', (e) => { stop(); failed ??= e; if (child.pid === undefined) resolve({ code: null, stderr, error: e }); });
    child.once('close', (code) => {
      stop();
      // A half line at the end is not committed: the next follow fetches it whole.
      void chain.then(() => resolve({ code, stderr, error: failed }));
    });
  });
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() { clearTimeout(t); signal?.removeEventListener('abort', done); resolve(); }
    signal?.addEventListener('abort', done, { once: true });
  });
}

// ---------------------------------------------------------------------------
// Pulling results back

/** Never pulled: the host's copies of what we sent or mirror another way, and the host's own bookkeeping. */
const NOT_PULLED = new Set<string>([RUN_FILES.dataset, RUN_FILES.events, RUN_FILES.pid, RUN_FILES.lock, 'engine.pid.tmp', 'checkpoints', 'remote.json']);
const STAGING = '.remote-pull';
const HOSTILE_HINT = 'Nothing outside the run folder was touched. The host may be compromised or run something other than Voice Draft; check it before training there again.';

export interface PullOptions {
  /** Pull only these entries (e.g. `checkpoints/step-000040` when its event arrives); default: everything new. */
  only?: string[];
  signal?: AbortSignal;
  onStderr?: (line: string) => void;
}

interface Listing { entries?: unknown; checkpoints?: unknown }


/**
 * The staging folder, a real folder of ours: whatever is at its name and is not
 * one (a link) is removed; `empty` starts it afresh (the tar path; rsync reuses
 * what an interrupted pull left, --partial).
 */
async function freshStaging(runDir: string, empty: boolean): Promise<string> {
  const staging = join(runDir, STAGING);
  const s = await lstat(staging).catch(() => undefined);
  if (s && (empty || !s.isDirectory())) await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true, mode: 0o700 });
  return staging;
}

/**
 * The engine keeps only its newest and best checkpoints (keep_checkpoints) and
 * deletes the rest; the copy here follows suit once the host has checkpoints to
 * compare with. An empty listing (a wiped or replaced host) prunes nothing.
 */
async function pruneCheckpoints(runDir: string, onHost: Set<string>): Promise<void> {
  const dir = join(runDir, 'checkpoints');
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (/^step-\d+$/.test(name) && !onHost.has(name)) await rm(join(dir, name), { recursive: true, force: true });
  }
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined)) !== undefined;
}

/**
 * Puts a fully copied, checked entry in place: one rename for a file; for a folder,
 * the old one steps aside first. `dest` comes from containedPath. False when
 * nothing arrived.
 */
async function install(src: string, dest: string): Promise<boolean> {
  const s = await lstat(src).catch(() => undefined);
  if (!s) return false;
  if (!s.isDirectory()) {
    await rename(src, dest);
    return true;
  }
  const old = join(dirname(dest), `.${basename(dest)}.old-${process.pid}-${Date.now()}`);
  const hadOld = await rename(dest, old).then(() => true, () => false);
  await rename(src, dest);
  if (hadOld) await rm(old, { recursive: true, force: true });
  return true;
}

export interface DeleteRemoteResult {
  /** The run folder on the host that was deleted (or found gone already). */
  remoteDir: string;
  /** What the pull before the delete brought back that was not here yet. */
  pulled: string[];
}

// ---------------------------------------------------------------------------
// A run on its host

/**
 * A run on its remote host, as its remote.json says: read once when an operation opens
 * it, then passed down, so a follow that pulls each checkpoint, an export that pulls its
 * results or a delete that asks, pulls and removes reads the file once. What the handle
 * writes (the mirror offset, the engine it started) it keeps.
 */
export class RemoteRun {
  constructor(readonly target: RemoteTarget, readonly runDir: string, public state: RemoteRunState) {}

  /** The run folder's remote run; a RemoteError when it never went to a host, or went to another. */
  static async open(runDir: string, t: RemoteTarget): Promise<RemoteRun> {
    const state = await readRemoteState(runDir);
    if (!state) throw new RemoteError(`${runDir} was never sent to a remote host.`, 'Start the training again.');
    if (state.host !== t.host) throw new RemoteError(`This run trains on ${state.host}, not ${t.host}.`, `Set voiceDraft.engine.remoteHost back to ${state.host} to re-attach.`);
    return new RemoteRun(t, runDir, state);
  }

  /** Starts `train` on the host in its own session (setsid), stdout to /dev/null, stderr to engine.log, pid in engine.pid. */
  async start(engine: RemoteEngine, opts: { resume?: boolean; signal?: AbortSignal } = {}): Promise<number> {
    const { target: t, runDir, state } = this;
    const args = ['train', '--run', state.remoteDir, ...(opts.resume ? ['--resume'] : [])];
    const r = await agentCall<{ ok: boolean; pid: number; reason?: string }>(t, ['start', state.remoteDir, engine.python, engine.engineDir, JSON.stringify({ ...t.env, ...ENGINE_ISOLATION_ENV }), ...ENGINE_PYTHON_ARGS, ...args], { signal: opts.signal });
    if (!r.ok) throw new RemoteBusyError(`This run is already training on ${t.host} (engine pid ${r.pid}).`, 'Re-attach to it instead of starting it again.');
    this.state = { ...state, python: engine.python, engineDir: engine.engineDir, startedAt: new Date().toISOString() };
    await writeRemoteState(runDir, this.state);
    return r.pid;
  }

  status(signal?: AbortSignal): Promise<RemoteStatus> {
    return agentCall<RemoteStatus>(this.target, ['status', this.state.remoteDir], { signal, timeoutMs: 60_000 });
  }

  /** SIGTERM to the engine's process group on the host: it checkpoints, then writes train.cancelled. */
  async cancel(signal?: AbortSignal): Promise<boolean> {
    const r = await agentCall<{ signalled: boolean }>(this.target, ['cancel', this.state.remoteDir], { signal, timeoutMs: 60_000 });
    return r.signalled;
  }

  /**
   * Streams the host's events.jsonl from the recorded offset over an ssh channel
   * until the engine is gone and the file drained. Complete lines are appended to
   * the local events.jsonl and the offset recorded before they are handed on, so
   * the local file is always an exact prefix of the host's.
   */
  async follow(onEvent: (e: EngineEvent) => void, opts: FollowRemoteOptions = {}): Promise<FollowRemoteResult> {
    const { target: t, runDir } = this;
    this.state = await reconcileEvents(runDir, this.state);
    const run = emptyModel(); // how the latest segment ended: run.ended
    let events = 0;
    let failures = 0;
    const deliver = (bytes: Buffer) => {
      for (const line of bytes.toString('utf8').split('\n')) {
        let e: EngineEvent | undefined;
        try { e = parseEventLine(line); } catch { continue; } // kept in the file, never fatal
        if (!e) continue;
        events++;
        applyEvent(run, e);
        onEvent(e);
      }
    };
    while (true) {
      let progressed = false;
      const r = await streamOnce(t, this.state, opts, async (bytes) => {
        this.state = await commitEvents(runDir, this.state, bytes);
        progressed = true;
        deliver(bytes);
      });
      if (r.error) throw r.error; // could not write the local copy: retrying cannot help
      const terminal = run.ended ?? undefined;
      if (opts.signal?.aborted) return { terminal, events, dropped: false, aborted: true };
      if (r.code === 0) return { terminal, events, dropped: false, aborted: false };
      if (r.code === 4) throw new RemoteError(`The run's events on ${t.host} are shorter than the copy here.`, 'The run folder on the host was replaced; start the training again.', r.stderr);
      // 255: ssh lost or could not make the link; null: our ssh was killed. Anything else is the helper failing.
      if (r.code !== 255 && r.code !== null) throw new RemoteError(`Following the run on ${t.host} failed (exit ${r.code}): ${r.stderr.trim().split('\n').slice(-2).join(' ')}`, 'See the Voice Draft log.', r.stderr);
      if (progressed) failures = 0;
      if (++failures > (opts.reconnects ?? 3)) return { terminal, events, dropped: true, aborted: false };
      await sleep(Math.min(30_000, (opts.reconnectDelayMs ?? 2000) * 2 ** (failures - 1)), opts.signal);
      if (opts.signal?.aborted) return { terminal, events, dropped: false, aborted: true };
    }
  }

  /**
   * Brings results back: checkpoints this folder lacks, adapter/, onnx/,
   * canaries.json, eval.json, the resolved config.json, engine.log — the entries of
   * the run layout the engine wrote (runLayout.ts); any other name the host lists is
   * left there. Each entry lands in a staging folder first, is checked (only regular
   * files and folders) and is then renamed into place, so a link cut mid-copy never
   * leaves a half folder where a whole one was, what arrived earlier is never
   * touched, and nothing the host answers can write outside the run folder.
   * Returns the entries installed; throws, after installing the good ones, when the
   * host asked for a name outside the layout or sent something other than files.
   */
  async pull(opts: PullOptions = {}): Promise<string[]> {
    const { target: t, runDir, state } = this;
    const refused: string[] = [];
    let names: string[];
    let hostCheckpoints: string[] | undefined;
    if (opts.only) {
      names = opts.only.filter((n) => pullableKind(n) !== undefined);
      for (const n of opts.only) if (!pullableKind(n)) refused.push(`${JSON.stringify(n)} (not part of a run folder)`);
    } else {
      const listing = await agentCall<Listing>(t, ['list', state.remoteDir], { signal: opts.signal });
      const listed = (Array.isArray(listing.entries) ? listing.entries : [])
        .map((e) => (e && typeof e === 'object' ? (e as { name?: unknown }).name : undefined))
        .filter((n): n is string => typeof n === 'string');
      names = [];
      for (const n of listed) {
        if (NOT_PULLED.has(n) || n.startsWith('.') || n.endsWith('.tmp')) continue;
        if (PULLED_FILES.has(n) || PULLED_DIRS.has(n)) names.push(n);
        else opts.onStderr?.(`not pulled from ${t.host}: ${JSON.stringify(n)} is not part of a run folder`);
      }
      hostCheckpoints = (Array.isArray(listing.checkpoints) ? listing.checkpoints : [])
        .filter((c): c is string => typeof c === 'string' && CHECKPOINT_NAME.test(c));
      for (const c of hostCheckpoints) {
        if (!(await exists(join(runDir, 'checkpoints', c)))) names.push(`checkpoints/${c}`);
      }
    }
    const installed: string[] = [];
    if (names.length) {
      const staging = await freshStaging(runDir, !state.rsync);
      try {
        await pullEntries(t, state.remoteDir, names, staging, { rsync: state.rsync, signal: opts.signal, onStderr: opts.onStderr, deleteExtraneous: true });
      } catch (e) {
        // rsync resumes from what it left; a refused or cut tar stream leaves nothing to reuse.
        if (!state.rsync) await rm(staging, { recursive: true, force: true }).catch(() => undefined);
        throw e;
      }
      for (const name of names) {
        const src = join(staging, ...name.split('/'));
        const why = await stagedProblem(src, pullableKind(name)!);
        if (why) {
          refused.push(`${JSON.stringify(name)} (${why})`);
          continue;
        }
        if (name.includes('/')) await mkdir(join(runDir, dirname(name)), { recursive: true, mode: PRIVATE_DIR_MODE });
        let dest: string;
        try {
          dest = await containedPath(runDir, name);
        } catch (e) {
          refused.push(`${JSON.stringify(name)} (${e instanceof UnsafePathError ? e.why : String(e)})`);
          continue;
        }
        if (await install(src, dest)) installed.push(name);
      }
      await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    }
    if (hostCheckpoints?.length) await pruneCheckpoints(runDir, new Set(hostCheckpoints));
    if (refused.length) throw new RemoteError(`Refused what ${t.host} sent back: ${refused.join('; ')}.`, HOSTILE_HINT);
    return installed;
  }

  /** Runs `export` on the host (the GPU merges the adapter), then pulls onnx/ and whatever else it wrote. */
  async exportVoice(opts: RunOptions = {}): Promise<EngineEvent> {
    const { target: t, state } = this;
    if (!state.python || !state.engineDir) throw new RemoteError('This run was never started on the host.', 'Train it first.');
    let terminal: EngineEvent;
    try {
      ({ terminal } = await runEngineToCompletion(remoteEngineInvocation(t, state.python, state.engineDir, ['export', '--run', state.remoteDir], state.remoteDir, state.env ?? {}), { killGraceMs: 5000, ...opts }));
    } catch (e) {
      if (e instanceof EngineCrashError && e.result.exitCode === 255) throw new RemoteError(`Lost the connection to ${t.host} during the export.`, 'The trained adapter is safe; export again.');
      throw e;
    }
    await this.pull({ signal: opts.signal });
    return terminal;
  }

  /**
   * Deletes the run's folder on the host: the training data (the writer's essays), its
   * checkpoints and results. Everything the host has of the run is pulled first, and
   * nothing is deleted when that pull fails or the engine still runs there: the copy
   * here is then all there is, so nothing is lost. remote.json stays (the run is still
   * the host's to resume on; a resume sends what it needs again) and records when.
   */
  async deleteCopy(opts: { signal?: AbortSignal; onStderr?: (line: string) => void } = {}): Promise<DeleteRemoteResult> {
    const { target: t, runDir, state } = this;
    const status = await this.status(opts.signal);
    if (status.alive) throw new RemoteBusyError(`This run is still training on ${t.host} (engine pid ${status.pid}); its copy there is not deleted.`, 'Cancel or finish the training first.');
    const pulled = status.exists ? await this.pull({ signal: opts.signal, onStderr: opts.onStderr }) : [];
    const r = await agentCall<{ ok: boolean; reason?: string; pid?: number }>(t, ['remove', state.remoteDir], { signal: opts.signal, timeoutMs: 10 * 60_000 });
    if (!r.ok && r.reason === 'alive') throw new RemoteBusyError(`This run started training again on ${t.host} (engine pid ${r.pid}); its copy there is not deleted.`, 'Cancel or finish the training first.');
    if (!r.ok) throw new RemoteError(`Refused to delete ${state.remoteDir} on ${t.host}: ${r.reason ?? 'unknown reason'}.`, 'Delete it by hand if it is the run\'s copy.');
    // Read again for the write: the pull took a while, and remote.json is the run's, not this handle's.
    await writeRemoteState(runDir, { ...(await readRemoteState(runDir) ?? state), deletedAt: new Date().toISOString() });
    return { remoteDir: state.remoteDir, pulled };
  }
}

// The same operations by run folder and host, each opening the run once.
export async function startRemoteTraining(t: RemoteTarget, runDir: string, engine: RemoteEngine, opts: { resume?: boolean; signal?: AbortSignal } = {}): Promise<number> {
  return (await RemoteRun.open(runDir, t)).start(engine, opts);
}
export async function remoteStatus(t: RemoteTarget, runDir: string, signal?: AbortSignal): Promise<RemoteStatus> {
  return (await RemoteRun.open(runDir, t)).status(signal);
}
export async function cancelRemote(t: RemoteTarget, runDir: string, signal?: AbortSignal): Promise<boolean> {
  return (await RemoteRun.open(runDir, t)).cancel(signal);
}
export async function followRemote(t: RemoteTarget, runDir: string, onEvent: (e: EngineEvent) => void, opts: FollowRemoteOptions = {}): Promise<FollowRemoteResult> {
  return (await RemoteRun.open(runDir, t)).follow(onEvent, opts);
}
export async function pullResults(t: RemoteTarget, runDir: string, opts: PullOptions = {}): Promise<string[]> {
  return (await RemoteRun.open(runDir, t)).pull(opts);
}
export async function exportRemote(t: RemoteTarget, runDir: string, opts: RunOptions = {}): Promise<EngineEvent> {
  return (await RemoteRun.open(runDir, t)).exportVoice(opts);
}
export async function deleteRemoteCopy(t: RemoteTarget, runDir: string, opts: { signal?: AbortSignal; onStderr?: (line: string) => void } = {}): Promise<DeleteRemoteResult> {
  return (await RemoteRun.open(runDir, t)).deleteCopy(opts);
}
