// A real OpenSSH server for the remote-host tests: listens on 127.0.0.1 only,
// on a free port, as the current user, with a throwaway host key and user key in
// a temp folder, and a client config file (`Host voicedraft-test`) so the code
// under test runs plain `ssh -F <config> voicedraft-test ...` like a user's.
// stop() ends the server and every process it started, by pid.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { RemoteTarget } from '../../../src/engine/remote/sshTarget';

const SSHD = '/usr/sbin/sshd';
export const TEST_HOST = 'voicedraft-test';

export interface TestSshd {
  dir: string;
  port: number;
  /** Client side: the alias and config file, nothing else (the user's ~/.ssh/config is not read). */
  target: RemoteTarget;
  stop(): Promise<void>;
}

/** Installs the Debian packages when missing (root only; CI's set-up does this too). */
function ensurePackages(): void {
  const missing = !existsSync(SSHD) || !hasCommand('ssh') || !hasCommand('rsync');
  if (!missing) return;
  if (process.getuid?.() !== 0) throw new Error('sshd, ssh or rsync is missing: sudo apt-get install -y openssh-server openssh-client rsync');
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', timeout: 180_000 });
  execFileSync('apt-get', ['install', '-y', '-qq', 'openssh-server', 'openssh-client', 'rsync'], {
    stdio: 'ignore', timeout: 300_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

function hasCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v "$1"', 'sh', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ host: '127.0.0.1', port }, () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
    s.setTimeout(1000, () => { s.destroy(); resolve(false); });
  });
}

const q = (p: string) => `"${p}"`; // ssh_config/sshd_config quoting; our temp paths hold no '"'

export async function startSshd(): Promise<TestSshd> {
  ensurePackages();
  // As root, sshd insists on its privilege-separation directory (the Debian service creates it at boot).
  if (process.getuid?.() === 0) await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const dir = await mkdtemp(join(tmpdir(), 'vd-sshd-'));
  const hostKey = join(dir, 'host_ed25519');
  const userKey = join(dir, 'user_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'voice-draft-test-host', '-f', hostKey]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'voice-draft-test-user', '-f', userKey]);
  await writeFile(join(dir, 'authorized_keys'), readFileSync(`${userKey}.pub`), { mode: 0o600 });
  const user = userInfo().username;

  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    await writeFile(join(dir, 'sshd_config'), [
      'ListenAddress 127.0.0.1', // never any other address
      `Port ${port}`,
      `HostKey ${q(hostKey)}`,
      `AuthorizedKeysFile ${q(join(dir, 'authorized_keys'))}`,
      `PidFile ${q(join(dir, 'sshd.pid'))}`,
      'StrictModes no', // the temp folder's modes are not a real home's
      'UsePAM no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin prohibit-password',
      `AllowUsers ${user}`,
      'UseDNS no',
      'PrintMotd no',
      'X11Forwarding no',
      'AllowTcpForwarding no',
      'MaxStartups 30:30:60',
      'LogLevel VERBOSE',
      '',
    ].join('\n'));
    await writeFile(join(dir, 'ssh_config'), [
      `Host ${TEST_HOST}`,
      '  HostName 127.0.0.1',
      `  Port ${port}`,
      `  User ${user}`,
      `  IdentityFile ${q(userKey)}`,
      '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${q(join(dir, 'known_hosts'))}`,
      '  StrictHostKeyChecking accept-new',
      '  LogLevel ERROR',
      '',
    ].join('\n'));
    const server = spawn(SSHD, ['-D', '-f', join(dir, 'sshd_config'), '-E', join(dir, 'sshd.log')], { stdio: 'ignore' });
    const exited = new Promise<void>((r) => server.once('exit', () => r()));
    let up = false;
    for (let i = 0; i < 50 && server.exitCode === null; i++) {
      if (await canConnect(port)) { up = true; break; }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (up) {
      return {
        dir,
        port,
        target: { host: TEST_HOST, configFile: join(dir, 'ssh_config') },
        stop: async () => {
          await stopTree(server, exited);
          await rm(dir, { recursive: true, force: true });
        },
      };
    }
    await stopTree(server, exited);
  }
  const log = readFileSync(join(dir, 'sshd.log'), 'utf8');
  await rm(dir, { recursive: true, force: true });
  throw new Error(`sshd did not start on 127.0.0.1:\n${log}`);
}

/** Pids of every process below `root` (per-connection sshd, sessions, our helper), from /proc. */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(name));
      children.set(ppid, list);
    } catch { /* gone */ }
  }
  const out: number[] = [];
  const walk = (pid: number) => { for (const c of children.get(pid) ?? []) { out.push(c); walk(c); } };
  walk(root);
  return out;
}

async function stopTree(server: ChildProcess, exited: Promise<void>): Promise<void> {
  const pids = server.pid ? descendants(server.pid) : [];
  for (const pid of pids.reverse()) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
  if (server.exitCode === null && server.signalCode === null) server.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
  if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
}

/** Ends a detached engine started on the "host" (its own process group), if still there. */
export function killEngineGroup(pidFile: string): void {
  try {
    const { pid } = JSON.parse(readFileSync(pidFile, 'utf8')) as { pid: number };
    try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
  } catch { /* never started */ }
}
