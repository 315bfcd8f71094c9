// A training run outlives the window that started it: the engine runs in its
// own process group, writes its events to <run>/events.jsonl and its logs to
// <run>/engine.log, and records its pid in <run>/engine.pid. Whoever follows
// the run — the window that started it, or a reloaded one — tails the file.
//
// Which engine owns a run: engine.pid (written here when we start one) and
// engine.lock (written by the engine itself, voice_draft_engine/runlock.py, held
// while it trains). Both carry the process's start time as the system counts it,
// so a pid the system has since given to another process is not taken for the
// engine; an engine.pid that names no live engine is removed.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { tailEvents } from '../core/runs/eventsTail';
import { PRIVATE_FILE_MODE, RUN_FILES } from '../core/runs/runFolder';
import { engineStartError, type EngineInvocation } from './client';
import { type EngineEvent, parseEventLine } from '../core/runs/protocol';
import { applyEvent, emptyModel } from '../core/runs/runModel';

export interface EnginePidFile {
  pid: number;
  host: string;
  command: string;
  args: string[];
  startedAt: string;
  /** The process's start time (processStart); absent in pid files from before it. */
  start?: string | null;
}

/** engine.lock (runlock.py): the engine that owns the run folder. */
export interface EngineLock {
  pid: number;
  start: string | null;
  host: string;
  command: string;
  acquired_at: string;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // Exited but not yet reaped (a zombie) is dead; so is one reaped between the two looks.
  // Without /proc (macOS), or when the entry cannot be read for another reason, the signal's answer stands.
  const fields = procStat(pid);
  if (fields === 'gone') return false;
  return !fields || (fields[0] !== 'Z' && fields[0] !== 'X');
}

/**
 * The fields of /proc/<pid>/stat after "(comm)"; 'gone' when /proc exists and the entry
 * vanished before or during the read (the process was reaped); undefined off Linux or
 * when it cannot be read for another reason.
 */
function procStat(pid: number): string[] | 'gone' | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return (code === 'ENOENT' || code === 'ESRCH') && existsSync('/proc/self') ? 'gone' : undefined;
  }
}

let bootId: string | undefined;

/**
 * When process `pid` started, in the same form as the engine's runlock.process_start:
 * `linux:<boot id>:<start ticks>` from /proc, elsewhere `ps:<lstart>`. Undefined when
 * it cannot be read (the process is gone).
 */
export function processStart(pid: number): string | undefined {
  const fields = procStat(pid);
  if (fields === 'gone') return undefined;
  if (fields) {
    bootId ??= readFileSync('/proc/sys/kernel/random/boot_id', 'ascii').trim();
    return fields[19] !== undefined ? `linux:${bootId}:${fields[19]}` : undefined;
  }
  if (existsSync('/proc/self')) return undefined; // Linux, and the entry cannot be read
  try {
    const out = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return out ? `ps:${out}` : undefined;
  } catch {
    return undefined;
  }
}

/** The process recorded as `pid` (started at `start`, when known) still runs on this machine. */
export function sameProcessAlive(pid: number, start: string | null | undefined): boolean {
  if (!isAlive(pid)) return false;
  if (!start) return true;
  const now = processStart(pid);
  // Unreadable now: gone since the first look (asked again), or a system that cannot tell.
  if (now === undefined) return isAlive(pid);
  return now === start; // another start time: the pid was reused
}

export async function readPidFile(runDir: string): Promise<EnginePidFile | undefined> {
  try {
    const value = JSON.parse(await readFile(join(runDir, RUN_FILES.pid), 'utf8')) as EnginePidFile;
    return typeof value.pid === 'number' ? value : undefined;
  } catch {
    return undefined;
  }
}

export async function readLockFile(runDir: string): Promise<EngineLock | undefined> {
  try {
    const value = JSON.parse(await readFile(join(runDir, RUN_FILES.lock), 'utf8')) as EngineLock;
    return value && typeof value.pid === 'number' ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The engine process still running this run on this machine, if any: the one in
 * engine.pid, else the one holding engine.lock (an engine started by another client,
 * say a terminal). An engine.pid whose process is gone, or whose pid now belongs to
 * another process, is removed: it must never make a run look busy.
 */
export async function liveEngine(runDir: string): Promise<EnginePidFile | undefined> {
  const info = await readPidFile(runDir);
  if (info && info.host === hostname()) {
    if (sameProcessAlive(info.pid, info.start)) return info;
    await clearPidFile(runDir);
  }
  const lock = await lockHolder(runDir);
  if (lock && lock.host === hostname()) {
    return { pid: lock.pid, host: lock.host, command: lock.command, args: [], startedAt: lock.acquired_at, start: lock.start };
  }
  return undefined;
}

/** The engine that holds the run's lock and still runs; another host's lock counts (we cannot look). */
export async function lockHolder(runDir: string): Promise<EngineLock | undefined> {
  const lock = await readLockFile(runDir);
  if (!lock) return undefined;
  if (lock.host !== hostname()) return lock;
  return sameProcessAlive(lock.pid, lock.start) ? lock : undefined;
}

export interface DetachedEngine {
  pid: number;
  /** Resolves with the exit code (or null when killed) once the process ends. */
  exited: Promise<number | null>;
}

/** Starts an engine command for a run in its own process group (no shell). */
export async function startDetached(inv: EngineInvocation, runDir: string): Promise<DetachedEngine> {
  const log = openSync(join(runDir, RUN_FILES.log), 'a', PRIVATE_FILE_MODE);
  try {
    const child = spawn(inv.command, inv.args, {
      cwd: inv.cwd,
      env: inv.env,
      shell: false,
      detached: true,
      // stdout duplicates events.jsonl, which is what we follow; ignoring it means a
      // closed window can never break the engine's pipe.
      stdio: ['ignore', 'ignore', log],
      windowsHide: true,
    });
    const started = await new Promise<number>((resolve, reject) => {
      child.once('spawn', () => resolve(child.pid!));
      child.once('error', (e: NodeJS.ErrnoException) => reject(engineStartError(inv.command, e)));
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.unref();
    const info: EnginePidFile = { pid: started, host: hostname(), command: inv.command, args: inv.args, startedAt: new Date().toISOString(), start: processStart(started) ?? null };
    try {
      await writeFile(join(runDir, RUN_FILES.pid), `${JSON.stringify(info)}\n`, { mode: PRIVATE_FILE_MODE });
    } catch (e) {
      // Unrecorded (a full disk), the engine could be neither followed nor cancelled: stop it
      // before saying the start failed, so no engine runs in a folder the caller may remove.
      child.ref(); // unref'd above: keep the loop alive until it has gone
      killGroup(started, 'SIGKILL');
      await exited;
      throw e;
    }
    return { pid: started, exited };
  } finally {
    closeSync(log);
  }
}

/** SIGTERM to the engine's whole process group (under a launcher, the engine passes it on to its processes): it checkpoints, then says `train.cancelled`. */
export function cancelEngine(pid: number): void {
  killGroup(pid, 'SIGTERM');
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try { process.kill(pid, signal); } catch { /* already gone */ }
  }
}

export interface FollowResult {
  terminal: EngineEvent | undefined;
  events: number;
}

/**
 * Replays and then follows a run's events until a terminal event arrives or
 * the engine process is gone (a crash: no terminal event). Events are parsed
 * and validated the same way as stdout events.
 */
export async function followRun(
  runDir: string,
  pid: number | undefined,
  onEvent: (e: EngineEvent) => void,
  opts: { signal?: AbortSignal; pollMs?: number; from?: number } = {},
): Promise<FollowResult> {
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  if (opts.signal?.aborted) stop.abort(); // then what the file holds is read once
  else opts.signal?.addEventListener('abort', onAbort, { once: true });
  const run = emptyModel(); // how the latest segment ended: run.ended
  let count = 0;
  const alive = pid === undefined ? undefined : setInterval(() => { if (!isAlive(pid)) stop.abort(); }, opts.pollMs ?? 500);
  try {
    await tailEvents(runDir, (lines) => {
      for (const line of lines) {
        let e: EngineEvent | undefined;
        try { e = parseEventLine(line); } catch { continue; }
        if (!e) continue;
        count++;
        applyEvent(run, e);
        onEvent(e);
      }
      if (run.ended && pid === undefined) stop.abort();
    }, { signal: stop.signal, pollMs: opts.pollMs, from: opts.from });
    return { terminal: run.ended ?? undefined, events: count };
  } finally {
    if (alive) clearInterval(alive);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

export async function clearPidFile(runDir: string): Promise<void> {
  await rm(join(runDir, RUN_FILES.pid), { force: true });
}
