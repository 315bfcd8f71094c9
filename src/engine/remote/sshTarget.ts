// How we talk to a remote GPU host: argument arrays for ssh and rsync (never a
// shell string on our side), and the one place that turns words into the
// command string ssh hands to the remote login shell. Every word in that string
// goes through posixQuote, so a path with spaces, quotes or `$(...)` stays a path.

/** A remote host to train on. Only `host` comes from the writer; the rest exists for tests and power users. */
export interface RemoteTarget {
  /** An ssh destination as the writer's ~/.ssh/config knows it: an alias, `host` or `user@host`. */
  host: string;
  /** `-F`: an ssh config file to use instead of ~/.ssh/config (tests). */
  configFile?: string;
  /** `-p` */
  port?: number;
  /** `-i` */
  identityFile?: string;
  /** Where Voice Draft keeps its files on the host; relative = under the login home. Default `.voice-draft`. */
  baseDir?: string;
  /** Interpreter on the host for the engine; default: the engine venv there, else `python3`. */
  python?: string;
  /** Interpreter on the host for the small helper (stdlib only). Default `python3`. */
  helperPython?: string;
  /** Extra environment for engine commands on the host (tests point VOICE_DRAFT_CACHE at a temp folder). */
  env?: Record<string, string>;
  /** The local ssh program. Default `ssh`. */
  ssh?: string;
}

export const DEFAULT_REMOTE_BASE = '.voice-draft';

/** ServerAlive* make a dead link fail within a minute instead of hanging for the TCP timeout. */
const COMMON_OPTIONS = [
  '-o', 'BatchMode=yes', // never prompt: there is no terminal to answer in
  '-o', 'ServerAliveInterval=15',
  '-o', 'ServerAliveCountMax=4',
  '-o', 'ConnectTimeout=20',
];

export class RemoteTargetError extends Error {}

/**
 * The host setting names an ssh destination. A value starting with `-` would be
 * read by ssh as an option (`-oProxyCommand=...`), and whitespace or shell
 * characters are never part of a host name, so both are refused.
 */
export function validateHost(host: string): string {
  const h = host.trim();
  if (!h) throw new RemoteTargetError('No remote host is set (voiceDraft.engine.remoteHost).');
  if (h.startsWith('-') || !/^[A-Za-z0-9_.@:%[\]-]+$/.test(h)) {
    throw new RemoteTargetError(`"${host}" is not an ssh host name. Use a Host alias from ~/.ssh/config, host or user@host.`);
  }
  return h;
}

/** POSIX single-quote quoting: the result is one word to sh, bash, dash and zsh, whatever the input. */
export function posixQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * A command line for the remote login shell: env assignments, then the words,
 * every one quoted. `cd` first so relative paths mean the same on every call.
 */
export function remoteCommand(argv: string[], opts: { env?: Record<string, string>; cwd?: string } = {}): string {
  const parts: string[] = [];
  if (opts.cwd !== undefined) parts.push(`cd ${posixQuote(opts.cwd)} &&`);
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new RemoteTargetError(`bad environment variable name ${JSON.stringify(k)}`);
    parts.push(`${k}=${posixQuote(v)}`);
  }
  parts.push('exec', ...argv.map(posixQuote));
  return parts.join(' ');
}

/** Options shared by every ssh call, in the order ssh expects them (before the destination). */
export function sshOptions(t: RemoteTarget): string[] {
  const opts = [...COMMON_OPTIONS];
  if (t.configFile) opts.push('-F', t.configFile);
  if (t.port !== undefined) opts.push('-p', String(t.port));
  if (t.identityFile) opts.push('-i', t.identityFile);
  // -T: no pseudo-terminal even if the user's config asks for one; a pty would turn "\n" into "\r\n" in our byte streams.
  opts.push('-T');
  return opts;
}

/** `ssh <options> -- <host> <command>`: the argument array for spawn (no shell). */
export function sshArgs(t: RemoteTarget, command: string): string[] {
  return [...sshOptions(t), '--', validateHost(t.host), command];
}

export function sshProgram(t: RemoteTarget): string {
  return t.ssh ?? 'ssh';
}

/**
 * rsync's `-e` value is split by rsync itself (not a shell): words separated by
 * spaces, single or double quotes group, and a doubled quote inside quotes is a
 * literal quote. No backslash escapes. So: wrap in single quotes, double any `'`.
 */
export function rsyncWordQuote(word: string): string {
  return `'${word.replace(/'/g, "''")}'`;
}

/** The `-e` argument that makes rsync use the same ssh, with the same options, as every other call. */
export function rsyncRsh(t: RemoteTarget): string {
  return [sshProgram(t), ...sshOptions(t)].map(rsyncWordQuote).join(' ');
}

/** `host:path` for rsync. With `--protect-args` (-s) the path is not parsed by the remote shell. */
export function rsyncRemote(t: RemoteTarget, path: string): string {
  return `${validateHost(t.host)}:${path}`;
}

/** Joins remote (POSIX) path segments; the host is always a POSIX machine. */
export function remoteJoin(...parts: string[]): string {
  return parts.filter((p) => p !== '').join('/').replace(/\/{2,}/g, '/');
}

/** Display form for messages: the host as the writer typed it. */
export function describeTarget(t: RemoteTarget): string {
  return t.port !== undefined ? `${t.host} (port ${t.port})` : t.host;
}
