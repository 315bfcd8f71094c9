// Runs ssh, rsync and tar as plain subprocesses (no shell), with a deadline and
// an AbortSignal, and turns ssh's own failures into messages a writer can act on.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { enginePackageDir } from '../locate';
import { type RemoteTarget, describeTarget, posixQuote, sshArgs, sshProgram } from './sshTarget';

export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

export interface ExecOptions {
  cwd?: string;
  signal?: AbortSignal;
  /** Kill the process after this long; every remote call has one, so a hung link never hangs us. */
  timeoutMs?: number;
  /** Bytes to write to stdin (then close it). Without it stdin is /dev/null. */
  input?: Buffer | string;
}

/** ssh could not reach or log in to the host (exit 255), or a transfer failed. */
export class RemoteError extends Error {
  constructor(message: string, readonly hint: string, readonly stderr = '') {
    super(message);
  }
}

export function exec(command: string, args: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(opts.signal.reason ?? new Error('cancelled'));
    const child = spawn(command, args, { cwd: opts.cwd, shell: false, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], windowsHide: true });
    const out: Buffer[] = [];
    let err = '';
    child.stdout!.on('data', (c: Buffer) => out.push(c));
    child.stderr!.on('data', (c: Buffer) => { err = (err + c.toString('utf8')).slice(-16_000); });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    const stop = killer(child, opts);
    // ENOENT is also what a missing working folder gives: only a folder that is there means the program is missing.
    child.once('error', (e: NodeJS.ErrnoException) => { stop(); reject(e.code === 'ENOENT' && (!opts.cwd || existsSync(opts.cwd)) ? programMissing(command) : e); });
    child.once('close', (code, signal) => { stop(); resolve({ code, signal, stdout: Buffer.concat(out), stderr: err }); });
  });
}

/** ssh, rsync or tar not installed on this machine: what to install. */
export function programMissing(command: string): RemoteError {
  const name = basename(command).replace(/\.exe$/i, '');
  const hint = name === 'ssh'
    ? 'Install the OpenSSH client (Windows: Settings > System > Optional features > OpenSSH Client; Debian and Ubuntu: apt install openssh-client; macOS has it), then try again.'
    : `Install ${name} so it is on the PATH, then try again.`;
  return new RemoteError(`"${command}" was not found on this machine, so the remote host cannot be reached.`, hint);
}

/** Wires the deadline and the abort signal to SIGTERM; returns the clean-up. */
export function killer(child: ChildProcess, opts: { signal?: AbortSignal; timeoutMs?: number }): () => void {
  const kill = () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM'); };
  opts.signal?.addEventListener('abort', kill, { once: true });
  const timer = opts.timeoutMs ? setTimeout(kill, opts.timeoutMs) : undefined;
  return () => {
    opts.signal?.removeEventListener('abort', kill);
    if (timer) clearTimeout(timer);
  };
}

/** What the writer should do when ssh itself fails, read from its stderr. */
export function sshFailure(t: RemoteTarget, stderr: string): RemoteError {
  const last = stderr.trim().split('\n').filter((l) => !/^Warning: Permanently added/.test(l)).slice(-2).join(' ').trim();
  const host = describeTarget(t);
  let hint = `Check that "ssh ${t.host}" works in a terminal without asking for anything.`;
  if (/Permission denied/i.test(stderr)) hint = `Add your public key to ${t.host} (ssh-copy-id ${t.host}); Voice Draft cannot type passwords.`;
  else if (/Host key verification failed/i.test(stderr)) hint = `Connect once with "ssh ${t.host}" in a terminal to accept the host's key.`;
  else if (/Could not resolve hostname/i.test(stderr)) hint = `Add "Host ${t.host}" with its HostName to ~/.ssh/config, or use the machine's address.`;
  else if (/Connection refused|timed out|No route to host/i.test(stderr)) hint = `${t.host} is not accepting ssh connections right now; is the machine running?`;
  return new RemoteError(`Cannot reach ${host} over ssh${last ? `: ${last}` : '.'}`, hint, stderr);
}

let agentSource: string | undefined;

/**
 * The command string that runs the helper on the host with some arguments: the text of
 * voice_draft_engine/remote_agent.py, shipped with the engine, sent with every call (the
 * host never runs a stale copy and needs nothing installed but Python).
 */
export function agentCommand(t: RemoteTarget, args: string[]): string {
  const python = t.helperPython ?? 'python3';
  agentSource ??= readFileSync(join(enginePackageDir(), 'voice_draft_engine', 'remote_agent.py'), 'utf8');
  // -I: isolated (no current folder, no user site-packages, no PYTHON* variables): a json.py
  // in the login folder must not run in place of the stdlib.
  return [python, '-I', '-c', agentSource, ...args].map(posixQuote).join(' ');
}

/** Runs one helper subcommand over ssh and returns its JSON answer. */
export async function agentCall<T = Record<string, unknown>>(t: RemoteTarget, args: string[], opts: ExecOptions = {}): Promise<T> {
  const r = await exec(sshProgram(t), sshArgs(t, agentCommand(t, args)), { timeoutMs: 120_000, ...opts });
  if (r.code === 255) throw sshFailure(t, r.stderr);
  const lines = r.stdout.toString('utf8').trim().split('\n');
  const last = lines[lines.length - 1] ?? '';
  if (r.code !== 0 || !last.startsWith('{')) {
    const why = r.stderr.trim().split('\n').slice(-3).join(' ');
    if (/python3?: (command )?not found|No such file or directory/.test(r.stderr) && !last) {
      throw new RemoteError(`Python 3 was not found on ${t.host}.`, 'Install python3 on the host (any GPU image has it), then try again.', r.stderr);
    }
    throw new RemoteError(`The Voice Draft helper failed on ${t.host} (${args[0]}): ${why || `exit ${r.code ?? r.signal}`}`, 'See the Voice Draft log.', r.stderr);
  }
  return JSON.parse(last) as T;
}
