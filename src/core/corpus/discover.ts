// Finds the writer's markdown essays under a folder: include/exclude globs,
// .gitignore and .voiceignore (the folder's own, its subfolders' and its
// ancestors' up to the git root), symlinks followed without looping as long as
// they stay inside the folder: a link to /etc/passwd, /proc/self/status or a
// private folder elsewhere is refused, never read (the dataset may be sent to a
// remote host under the "your essays" consent). Anything we cannot use is reported
// with the reason, never dropped silently.

import { promises as fs, readFileSync, statSync } from 'node:fs';
import type { Dirent } from 'node:fs';
import * as path from 'node:path';
import ignore from 'ignore';
import type { Ignore } from 'ignore';
import picomatch from 'picomatch';
import { compareStrings, formatBytes } from './text';

export interface EssayFile {
  /** Path relative to the folder, `/`-separated: the document id. */
  path: string;
  absolutePath: string;
  /** The file's text, decoded as UTF-8 (newlines and BOM untouched). */
  text: string;
  bytes: number;
}

export interface SkippedFile {
  path: string;
  reason: string;
}

export interface DiscoverOptions {
  include: string[];
  exclude: string[];
  maxFileBytes: number;
  signal?: AbortSignal;
}

export interface Discovery {
  root: string;
  files: EssayFile[];
  skipped: SkippedFile[];
}

const IGNORE_FILES = ['.gitignore', '.voiceignore'];

interface IgnoreRules {
  /** Absolute folder the patterns are relative to. */
  base: string;
  rules: Ignore;
}

export async function findEssays(folder: string, options: DiscoverOptions): Promise<Discovery> {
  const root = path.resolve(folder);
  const rootStat = await fs.stat(root).catch((error: NodeJS.ErrnoException) => {
    throw new Error(`Cannot read the folder ${root}: ${describeError(error)}`);
  });
  if (!rootStat.isDirectory()) throw new Error(`${root} is not a folder`);

  const rootReal = await fs.realpath(root);
  const walker = new EssayWalker(options, rootReal);
  const inherited = await ancestorIgnoreRules(root);
  await walker.walk(root, '', inherited, [rootReal]);
  await walker.readAll();
  walker.files.sort((a, b) => compareStrings(a.path, b.path));
  walker.skipped.sort((a, b) => compareStrings(a.path, b.path));
  return { root, files: walker.files, skipped: walker.skipped };
}

interface Candidate {
  path: string;
  absolutePath: string;
  realPath: string;
  viaSymlink: boolean;
}

/**
 * Files read between yields to the event loop. Reads are synchronous: an essay-sized
 * fs.promises.readFile costs several thread-pool round trips (about 4× a sync read),
 * and a batch of 64 essays reads in a few milliseconds, so the editor stays responsive.
 */
const READ_BATCH = 64;

class EssayWalker {
  readonly files: EssayFile[] = [];
  readonly skipped: SkippedFile[] = [];
  private readonly candidates: Candidate[] = [];
  private readonly isIncluded: (p: string) => boolean;
  private readonly isExcluded: (p: string) => boolean;

  /** `rootReal`: the folder's real path; nothing whose real path lies outside it is read. */
  constructor(private readonly options: DiscoverOptions, private readonly rootReal: string) {
    // Extensions are matched case-insensitively: `Essay.MD` is an essay too.
    this.isIncluded = picomatch(options.include, { nocase: true });
    this.isExcluded = options.exclude.length > 0 ? picomatch(options.exclude, { dot: true }) : () => false;
  }

  async walk(dir: string, rel: string, inherited: IgnoreRules[], realAncestors: string[]): Promise<void> {
    this.options.signal?.throwIfAborted();
    let entries: Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (error) {
      this.skip(rel || '.', `folder unreadable (${describeError(error)})`);
      return;
    }
    const rules = [...inherited, ...(await readIgnoreRules(dir, entries))];
    entries.sort((a, b) => compareStrings(a.name, b.name));

    for (const entry of entries) {
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      const childAbs = path.join(dir, entry.name);
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      let linkReal: string | undefined;
      if (entry.isSymbolicLink()) {
        const target = await fs.stat(childAbs).catch(() => undefined);
        if (!target) {
          if (this.isCandidateFile(childRel)) this.skip(childRel, 'broken symbolic link');
          continue;
        }
        isDir = target.isDirectory();
        isFile = target.isFile();
        linkReal = await fs.realpath(childAbs).catch(() => undefined);
      }
      if (isDir) {
        // Hidden folders (.git, .venv, .voice-draft…) hold tooling, not essays.
        if (entry.name.startsWith('.') || this.isExcludedDir(childRel) || isIgnored(rules, childAbs, true)) continue;
        const real = linkReal ?? (await fs.realpath(childAbs).catch(() => undefined));
        if (!this.reachable(childRel, real, 'folder unreadable', OUTSIDE_FOLDER)) continue;
        const loopsTo = realAncestors.indexOf(real);
        if (loopsTo >= 0) {
          this.skip(childRel, `symbolic link loop (points back to ${ancestorLabel(rel, realAncestors.length - loopsTo - 1)})`);
          continue;
        }
        await this.walk(childAbs, childRel, rules, [...realAncestors, real]);
      } else if (isFile) {
        if (!this.isCandidateFile(childRel) || isIgnored(rules, childAbs, false)) continue;
        // The real path tells a symlinked twin from its original (one syscall only for links).
        const realDir = realAncestors[realAncestors.length - 1] ?? dir;
        // (A root opened through a link of its own does not make every file a link's twin.)
        const viaSymlink = entry.isSymbolicLink() || realDir !== path.join(this.rootReal, rel);
        const realPath = entry.isSymbolicLink() ? linkReal : path.join(realDir, entry.name);
        if (!this.reachable(childRel, realPath, 'unreadable (the symbolic link cannot be resolved)', OUTSIDE_FILE)) continue;
        this.candidates.push({ path: childRel, absolutePath: childAbs, realPath, viaSymlink });
      }
    }
  }

  private isCandidateFile(rel: string): boolean {
    return this.isIncluded(rel) && !this.isExcluded(rel);
  }

  /** Globs such as `**\/node_modules/**` match the folder's contents; test a child so we prune the folder itself. */
  private isExcludedDir(rel: string): boolean {
    return this.isExcluded(rel) || this.isExcluded(`${rel}/`) || this.isExcluded(`${rel}/\u0000`);
  }

  /** Reads every candidate once; a file reached through a symlink too is read at its own path. */
  async readAll(): Promise<void> {
    const byReal = new Map<string, Candidate>();
    const order = [...this.candidates].sort((a, b) => Number(a.viaSymlink) - Number(b.viaSymlink) || compareStrings(a.path, b.path));
    const unique: Candidate[] = [];
    for (const c of order) {
      const first = byReal.get(c.realPath);
      if (first) this.skip(c.path, `same file as ${first.path} (symbolic link)`);
      else {
        byReal.set(c.realPath, c);
        unique.push(c);
      }
    }
    for (let i = 0; i < unique.length; i++) {
      if (i % READ_BATCH === READ_BATCH - 1) await new Promise((resolve) => setImmediate(resolve));
      this.options.signal?.throwIfAborted();
      const c = unique[i];
      if (c) this.read(c);
    }
  }

  private read(c: Candidate): void {
    try {
      // Read at the real path that was checked to lie inside the folder, not through the link again.
      const size = statSync(c.realPath).size;
      if (size > this.options.maxFileBytes) {
        this.skip(c.path, `too large (${formatBytes(size)}; the cap is ${formatBytes(this.options.maxFileBytes)})`);
        return;
      }
      const bytes = readFileSync(c.realPath);
      const decoded = decodeText(bytes);
      if (decoded.problem !== undefined) this.skip(c.path, decoded.problem);
      else this.files.push({ path: c.path, absolutePath: c.absolutePath, text: decoded.text, bytes: bytes.length });
    } catch (error) {
      this.skip(c.path, `unreadable (${describeError(error)})`);
    }
  }

  private skip(rel: string, reason: string): void {
    this.skipped.push({ path: rel, reason });
  }

  /** Whether an entry's real path can be followed: resolved, and inside the folder; else it is skipped, saying which. */
  private reachable(rel: string, real: string | undefined, unresolved: string, outside: string): real is string {
    if (real === undefined) this.skip(rel, unresolved);
    else if (!isInside(this.rootReal, real)) this.skip(rel, outside);
    else return true;
    return false;
  }
}

const OUTSIDE_FILE = 'symbolic link to a file outside the folder; not read (only what lies inside the folder is used)';
const OUTSIDE_FOLDER = 'symbolic link to a folder outside the folder; not read (only what lies inside the folder is used)';

/** `child` is `root` or lies below it (both real, absolute paths). */
function isInside(root: string, child: string): boolean {
  const rel = path.relative(root, child);
  return rel === '' || (!path.isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${path.sep}`));
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Why these bytes are not a UTF-8 text file, or undefined when they are. */
export function textProblem(bytes: Uint8Array): string | undefined {
  return decodeText(bytes).problem;
}

/** The text, or why these bytes are not a UTF-8 text file (decoded once: the check is the decode). */
function decodeText(bytes: Uint8Array): { text: string; problem?: undefined } | { text?: undefined; problem: string } {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return { problem: 'UTF-16 text (save it as UTF-8 to use it)' };
  }
  if (bytes.indexOf(0) >= 0) return { problem: 'binary file, not text' };
  try {
    return { text: UTF8.decode(bytes) };
  } catch {
    return { problem: 'not UTF-8 text (save it as UTF-8 to use it)' };
  }
}

async function readIgnoreRules(dir: string, entries: Dirent[]): Promise<IgnoreRules[]> {
  const found: IgnoreRules[] = [];
  for (const name of IGNORE_FILES) {
    if (!entries.some((e) => e.name === name && (e.isFile() || e.isSymbolicLink()))) continue;
    const content = await fs.readFile(path.join(dir, name), 'utf8').catch(() => undefined);
    if (content !== undefined) found.push({ base: dir, rules: ignore().add(content) });
  }
  return found;
}

/** .gitignore files between the git root and the folder still apply to the folder's files. */
async function ancestorIgnoreRules(root: string): Promise<IgnoreRules[]> {
  const chain: string[] = [];
  let dir = root;
  for (;;) {
    const parent = path.dirname(dir);
    if (await exists(path.join(dir, '.git'))) break;
    if (parent === dir) return []; // not inside a git repository: only the folder's own rules apply
    chain.unshift(parent);
    dir = parent;
  }
  const rules: IgnoreRules[] = [];
  for (const ancestor of chain) {
    const entries = await fs.readdir(ancestor, { withFileTypes: true }).catch(() => []);
    rules.push(...(await readIgnoreRules(ancestor, entries)));
  }
  return rules;
}

/** Git semantics: rules from the root down, a later `!pattern` re-includes. */
function isIgnored(rules: IgnoreRules[], abs: string, isDir: boolean): boolean {
  let ignored = false;
  for (const { base, rules: ig } of rules) {
    const rel = path.relative(base, abs).split(path.sep).join('/');
    if (!rel || rel.startsWith('..')) continue;
    const result = ig.test(isDir ? `${rel}/` : rel);
    if (result.ignored) ignored = true;
    else if (result.unignored) ignored = false;
  }
  return ignored;
}

function ancestorLabel(rel: string, levelsUp: number): string {
  const parts = rel ? rel.split('/') : [];
  const kept = parts.slice(0, Math.max(0, parts.length - levelsUp));
  return kept.length > 0 ? kept.join('/') : 'the folder itself';
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}

function describeError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOENT') return 'not found';
  if (code === 'ELOOP') return 'too many symbolic links';
  if (code === 'EISDIR') return 'is a folder';
  return code ?? (error instanceof Error ? error.message : String(error));
}
