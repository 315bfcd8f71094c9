// Copies folders between the run folder here and the host. rsync when both
// sides have it (resumable, sends only what changed); otherwise a tar stream
// through ssh into our helper, which needs nothing on the host but Python.
// (scp is not the fallback: whether it hands remote paths to a shell or globs
// them depends on the local OpenSSH version, so no quoting is right for both.)
import { spawn } from 'node:child_process';
import { agentCommand, exec, killer, RemoteError, sshFailure } from './exec';
import { pullableKind } from './runLayout';
import { type RemoteTarget, posixQuote, remoteJoin, rsyncRemote, rsyncRsh, sshArgs, sshProgram } from './sshTarget';
import { TarRefusedError, untarInto } from './untar';

let localRsyncProbe: Promise<[number, number, number] | undefined> | undefined;

function localRsyncVersion(): Promise<[number, number, number] | undefined> {
  localRsyncProbe ??= exec('rsync', ['--version'], { timeoutMs: 10_000 })
    .then((r) => {
      const m = r.code === 0 ? /version (\d+)\.(\d+)\.(\d+)/.exec(r.stdout.toString()) : null;
      return m ? [Number(m[1]), Number(m[2]), Number(m[3])] as [number, number, number] : undefined;
    })
    .catch(() => undefined);
  return localRsyncProbe;
}

/** rsync 3+ here (needed for --protect-args); probed once. */
export async function localHasRsync(): Promise<boolean> {
  const v = await localRsyncVersion();
  return v !== undefined && v[0] >= 3;
}

/**
 * rsync 3.2.5+ here: the receiver checks that the sender sends only the files that
 * were asked for (CVE-2022-29154). Older ones would write whatever names a
 * hostile host sends, so pulls go through the checked tar path instead.
 */
export async function localRsyncChecksSender(): Promise<boolean> {
  const v = await localRsyncVersion();
  return v !== undefined && (v[0] > 3 || (v[0] === 3 && (v[1] > 2 || (v[1] === 2 && v[2] >= 5))));
}

export interface TransferOptions {
  /** Use rsync (both sides have it); else tar through the helper. */
  rsync: boolean;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Leave files that already exist at the destination alone (resume: never clobber the host's newer copy). */
  skipExisting?: boolean;
  /** Delete files at the destination that the source no longer has (pulls into a staging folder). */
  deleteExtraneous?: boolean;
  onStderr?: (line: string) => void;
}

const EXCLUDES = ['__pycache__', '*.egg-info', '.pytest_cache'];
/** Copies are the writer's alone to read, on both sides, whatever modes the source had (rsync -a would carry them). */
const PRIVATE_MODES = '--chmod=D700,F600';
const DEFAULT_TIMEOUT_MS = 6 * 60 * 60_000; // a multi-GB export over a slow link; ServerAlive* catches dead links sooner

/** Copies `names` (relative to localRoot) into remoteDest on the host, creating it. */
export async function pushEntries(t: RemoteTarget, localRoot: string, names: string[], remoteDest: string, opts: TransferOptions): Promise<void> {
  if (!names.length) return;
  const rel = names.map((n) => `./${n}`); // never read as an option, whatever the name
  if (opts.rsync) {
    const args = [
      '-a', '--protect-args', '--partial', PRIVATE_MODES,
      ...(opts.skipExisting ? ['--ignore-existing'] : []),
      ...EXCLUDES.map((e) => `--exclude=${e}`),
      '-e', rsyncRsh(t),
      // The remote shell runs this before rsync: creates the destination however deep it is, private.
      `--rsync-path=umask 077 && mkdir -p ${posixQuote(remoteDest)} && rsync`,
      ...rel,
      rsyncRemote(t, `${remoteDest}/`),
    ];
    await checked(t, 'rsync', args, localRoot, opts);
    return;
  }
  const tarArgs = ['-c', '-f', '-', ...EXCLUDES.map((e) => `--exclude=${e}`), ...rel];
  const unpack = sshArgs(t, agentCommand(t, ['unpack', remoteDest, opts.skipExisting ? '1' : '0']));
  await pipeline(t, { command: 'tar', args: tarArgs, cwd: localRoot }, { command: sshProgram(t), args: unpack }, opts);
}

/**
 * Copies `names` (relative to remoteRoot, e.g. `checkpoints/step-000040`) into localDest,
 * keeping their relative paths. Only names of the run layout (runLayout.ts) are pulled,
 * and only regular files and folders arrive: rsync skips links, devices and special
 * files; the tar stream is unpacked by untarInto, which refuses them. The caller still
 * checks what arrived (stagedProblem) before it uses it.
 */
export async function pullEntries(t: RemoteTarget, remoteRoot: string, names: string[], localDest: string, opts: TransferOptions): Promise<void> {
  if (!names.length) return;
  const kinds = new Map<string, 'file' | 'dir'>();
  for (const n of names) {
    const kind = pullableKind(n);
    if (!kind) throw new RemoteError(`Refused to pull "${n}" from ${t.host}: it is not part of a run folder.`, 'The host may be compromised; see the Voice Draft log.');
    kinds.set(n, kind);
  }
  if (opts.rsync && (await localRsyncChecksSender())) {
    const args = [
      '-a', '--protect-args', '--partial', '--relative', PRIVATE_MODES,
      // What a hostile host could send besides files and folders is not taken: no links
      // (a link to ~/.bashrc, written through later), no devices or special files, and
      // no owners or groups of its choosing when this runs as root.
      '--no-links', '--safe-links', '--no-devices', '--no-specials', '--no-owner', '--no-group',
      ...(opts.deleteExtraneous ? ['--delete'] : []),
      '-e', rsyncRsh(t),
      // `/./` marks where the kept relative path starts (--relative).
      ...names.map((n) => rsyncRemote(t, remoteJoin(remoteRoot, '.', n))),
      `${localDest}/`,
    ];
    await checked(t, 'rsync', args, undefined, opts);
    return;
  }
  const pack = sshArgs(t, agentCommand(t, ['pack', remoteRoot, ...names]));
  const allow = (member: string, kind: 'file' | 'dir') => {
    if (kinds.get(member) === kind) return true;
    for (const [n, k] of kinds) if (k === 'dir' && member.startsWith(`${n}/`)) return true;
    return false;
  };
  await pullTar(t, pack, localDest, allow, opts);
}

/** `ssh host helper pack ...` unpacked here by untarInto; both must end well. */
function pullTar(t: RemoteTarget, sshArgv: string[], localDest: string, allow: (name: string, kind: 'file' | 'dir') => boolean, opts: TransferOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(opts.signal.reason ?? new Error('cancelled'));
    const child = spawn(sshProgram(t), sshArgv, { shell: false, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      const text = c.toString('utf8');
      stderr = (stderr + text).slice(-8000);
      if (opts.onStderr) text.split('\n').filter(Boolean).forEach(opts.onStderr);
    });
    const stop = killer(child, { signal: opts.signal, timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS });
    let failed: unknown;
    let code: number | null | undefined;
    let extracted = false;
    let settled = false;
    const done = () => {
      if (settled || code === undefined || !extracted) return;
      settled = true;
      stop();
      if (failed instanceof TarRefusedError) {
        return reject(new RemoteError(`Refused what ${t.host} sent back: ${failed.message}.`, 'Nothing from this copy was used. The host may be compromised; check it before training there again.'));
      }
      if (opts.signal?.aborted) return reject(opts.signal.reason ?? new Error('cancelled'));
      if (code === 255) return reject(sshFailure(t, stderr));
      if (failed) return reject(failed instanceof Error ? failed : new Error(String(failed)));
      if (code !== 0) {
        return reject(new RemoteError(`Copying files from ${t.host} failed (tar stream: exit ${code}): ${stderr.trim().split('\n').slice(-2).join(' ')}`,
          'Check the free disk space on both machines, then try again.', stderr));
      }
      resolve();
    };
    child.once('error', (e) => { failed ??= e; if (child.pid === undefined) { code ??= null; extracted = true; done(); } });
    child.once('close', (c) => { code ??= c; done(); });
    untarInto(child.stdout, localDest, { allow })
      .catch((e: unknown) => {
        failed ??= e;
        child.stdout.destroy(); // nothing more is read; ssh's exit is what we wait for
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      })
      .finally(() => { extracted = true; done(); });
  });
}

async function checked(t: RemoteTarget, command: string, args: string[], cwd: string | undefined, opts: TransferOptions): Promise<void> {
  const r = await exec(command, args, { cwd, signal: opts.signal, timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS });
  if (opts.onStderr) r.stderr.split('\n').filter(Boolean).forEach(opts.onStderr);
  if (r.code === 0) return;
  if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('cancelled');
  // rsync exits 255 or 12 ("error in rsync protocol data stream") when ssh itself failed.
  if (r.code === 255 || (r.code === 12 && /ssh|connection/i.test(r.stderr))) throw sshFailure(t, r.stderr);
  throw new RemoteError(`Copying files with ${t.host} failed (${command} exit ${r.code ?? r.signal}): ${r.stderr.trim().split('\n').slice(-2).join(' ')}`, 'Check the free disk space on both machines, then try again.', r.stderr);
}

interface Step { command: string; args: string[]; cwd?: string }

/** `a | b` without a shell: both must exit 0. */
function pipeline(t: RemoteTarget, a: Step, b: Step, opts: TransferOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(opts.signal.reason ?? new Error('cancelled'));
    const pa = spawn(a.command, a.args, { cwd: a.cwd, shell: false, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    const pb = spawn(b.command, b.args, { cwd: b.cwd, shell: false, stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    pa.stdout.pipe(pb.stdin);
    pb.stdin.on('error', () => { /* b died early; its exit code says why */ });
    let errA = '';
    let errB = '';
    pa.stderr.on('data', (c: Buffer) => { errA = (errA + c.toString()).slice(-8000); });
    pb.stderr.on('data', (c: Buffer) => { errB = (errB + c.toString()).slice(-8000); });
    pb.stdout.resume();
    const limits = { signal: opts.signal, timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS };
    const stopA = killer(pa, limits);
    const stopB = killer(pb, limits);
    let ca: number | null | undefined;
    let cb: number | null | undefined;
    let failed: Error | undefined;
    let settled = false;
    const done = () => {
      if (settled || ca === undefined || cb === undefined) return;
      settled = true;
      stopA(); stopB();
      if (failed) return reject(failed);
      if (opts.signal?.aborted) return reject(opts.signal.reason ?? new Error('cancelled'));
      if (ca === 0 && cb === 0) return resolve();
      const sshErr = a.command === 'tar' ? errB : errA;
      if (ca === 255 || cb === 255) return reject(sshFailure(t, sshErr));
      reject(new RemoteError(`Copying files with ${t.host} failed (tar stream: exit ${ca}/${cb}): ${(errA + errB).trim().split('\n').slice(-2).join(' ')}`,
        'Check the free disk space on both machines, then try again.', errA + errB));
    };
    const onError = (e: Error) => { failed ??= e; pa.kill(); pb.kill(); };
    // A program that never started (ENOENT) may not emit 'close': count it as ended.
    pa.once('error', (e) => { onError(e); if (pa.pid === undefined) { ca ??= null; done(); } });
    pb.once('error', (e) => { onError(e); if (pb.pid === undefined) { cb ??= null; done(); } });
    pa.once('close', (c) => { ca ??= c; if (c !== 0) pb.stdin.destroy(); done(); });
    pb.once('close', (c) => { cb ??= c; if (c !== 0) pa.kill(); done(); });
  });
}
