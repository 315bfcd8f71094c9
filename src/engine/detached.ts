// A training run outlives the window that started it: the engine runs in its
// own process group, writes its events to <run>/events.jsonl and its logs to
// <run>/engine.log, and records its pid in <run>/engine.pid. Whoever follows
// the run — the window that started it, or a reloaded one — tails the file.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { tailEvents } from '../core/runs/eventsTail';
import { RUN_FILES } from '../core/runs/runFolder';
import type { EngineInvocation } from './client';
import { type EngineEvent, isTerminal, parseEventLine } from '../core/runs/protocol';

export interface EnginePidFile {
  pid: number;
  host: string;
  command: string;
  args: string[];
  startedAt: string;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function readPidFile(runDir: string): Promise<EnginePidFile | undefined> {
  try {
    const value = JSON.parse(await readFile(join(runDir, RUN_FILES.pid), 'utf8')) as EnginePidFile;
    return typeof value.pid === 'number' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The engine process still running this run on this machine, if any. */
export async function liveEngine(runDir: string): Promise<EnginePidFile | undefined> {
  const info = await readPidFile(runDir);
  return info && info.host === hostname() && isAlive(info.pid) ? info : undefined;
}

export interface DetachedEngine {
  pid: number;
  /** Resolves with the exit code (or null when killed) once the process ends. */
  exited: Promise<number | null>;
}

/** Starts an engine command for a run in its own process group (no shell). */
export async function startDetached(inv: EngineInvocation, runDir: string): Promise<DetachedEngine> {
  const log = openSync(join(runDir, RUN_FILES.log), 'a');
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
      child.once('error', reject);
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.unref();
    const info: EnginePidFile = { pid: started, host: hostname(), command: inv.command, args: inv.args, startedAt: new Date().toISOString() };
    await writeFile(join(runDir, RUN_FILES.pid), `${JSON.stringify(info)}\n`);
    return { pid: started, exited };
  } finally {
    closeSync(log);
  }
}

/** SIGTERM to the engine's whole process group (under a launcher, the engine passes it on to its processes): it checkpoints, then says `train.cancelled`. */
export function cancelEngine(pid: number): void {
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    try { process.kill(pid, 'SIGTERM'); } catch { /* already gone */ }
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
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let terminal: EngineEvent | undefined;
  let count = 0;
  const alive = pid === undefined ? undefined : setInterval(() => { if (!isAlive(pid)) stop.abort(); }, opts.pollMs ?? 500);
  try {
    await tailEvents(runDir, (lines) => {
      for (const line of lines) {
        let e: EngineEvent | undefined;
        try { e = parseEventLine(line); } catch { continue; }
        if (!e) continue;
        count++;
        if (e.event === 'train.started') terminal = undefined; // a resumed run starts a new segment
        if (isTerminal(e)) terminal = e;
        onEvent(e);
      }
      if (terminal && pid === undefined) stop.abort();
    }, { signal: stop.signal, pollMs: opts.pollMs, from: opts.from });
    return { terminal, events: count };
  } finally {
    if (alive) clearInterval(alive);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

export async function clearPidFile(runDir: string): Promise<void> {
  await rm(join(runDir, RUN_FILES.pid), { force: true });
}
