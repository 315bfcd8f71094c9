// Real drafts for the rough-draft → finished tier (T1). A draft is only ever text the
// writer wrote: a twin in a `drafts/` folder, a file the front matter names, or an
// earlier version of the essay in git. Made-up drafts poisoned a seed project.

import { execFile, spawn } from 'node:child_process';
import { promises as fs, statSync } from 'node:fs';
import * as path from 'node:path';

export type DraftOrigin = 'drafts folder' | 'front matter' | 'git history';

export interface DraftText {
  /** The finished essay's document id. */
  doc: string;
  origin: DraftOrigin;
  /** Where the draft came from: a path, or `<commit>:<path>` for git. */
  label: string;
  /** The draft's markdown source. */
  markdown: string;
}

const DRAFT_FOLDERS = new Set(['drafts', '_drafts', 'draft']);

/** True for files inside a `drafts/` (or Jekyll `_drafts/`) folder. */
export function isInDraftsFolder(docPath: string): boolean {
  const parts = docPath.split('/');
  return parts.slice(0, -1).some((p) => DRAFT_FOLDERS.has(p.toLowerCase()));
}

/** The name two versions of an essay share: file name without extension, date prefix or "-draft" suffix. */
export function slugOf(docPath: string): string {
  return (docPath.split('/').pop() ?? '')
    .replace(/\.(?:md|markdown|mdx)$/i, '')
    .replace(/^\d{4}-\d{2}-\d{2}[-_]/, '')
    .replace(/[-_. ](?:draft|rough|v\d+)$/i, '')
    .toLowerCase();
}

export interface DraftMatch {
  /** draft path → finished essay path */
  twins: Map<string, string>;
  /** Drafts-folder files with no finished essay of the same name (or several). */
  unmatched: Array<{ path: string; reason: string }>;
}

/**
 * Pairs each file in a drafts folder with its finished essay: the same slug, preferably
 * in the folder that holds the `drafts/` folder, otherwise the only essay with that slug.
 */
export function matchDraftTwins(draftPaths: readonly string[], essayPaths: readonly string[]): DraftMatch {
  const bySlug = new Map<string, string[]>();
  for (const essay of essayPaths) {
    const list = bySlug.get(slugOf(essay)) ?? [];
    list.push(essay);
    bySlug.set(slugOf(essay), list);
  }
  const twins = new Map<string, string>();
  const unmatched: DraftMatch['unmatched'] = [];
  for (const draft of draftPaths) {
    const candidates = bySlug.get(slugOf(draft)) ?? [];
    const home = draft
      .split('/')
      .slice(0, -1)
      .filter((p) => !DRAFT_FOLDERS.has(p.toLowerCase()))
      .join('/');
    const inHome = candidates.filter((c) => c.split('/').slice(0, -1).join('/') === home);
    const chosen = inHome.length === 1 ? inHome[0] : candidates.length === 1 ? candidates[0] : undefined;
    if (chosen) twins.set(draft, chosen);
    else if (candidates.length > 1) unmatched.push({ path: draft, reason: `draft matches several essays (${candidates.join(', ')}); not used` });
    else unmatched.push({ path: draft, reason: 'draft without a finished essay of the same name; not used' });
  }
  return { twins, unmatched };
}

/**
 * Drafts named in front matter: `draft:`/`drafts:` in the finished essay, or
 * `draft_of:`/`draftOf:` in the draft. Paths are relative to the file that names them.
 * Returns draft path → finished path, and a warning for each link that leads nowhere.
 */
export function draftLinksFromFrontMatter(
  frontMatters: ReadonlyMap<string, Record<string, unknown>>,
): { links: Map<string, string>; warnings: string[] } {
  const links = new Map<string, string>();
  const warnings: string[] = [];
  const resolve = (from: string, target: string) => path.posix.normalize(path.posix.join(path.posix.dirname(from), target));
  // Only essays the scan found (inside the folder, links resolved) are ever linked; a path that
  // climbs out of the folder is named as such, so the writer knows why it was not read.
  const outside = (p: string) => p === '..' || p.startsWith('../');
  for (const [file, fm] of frontMatters) {
    for (const target of stringsOf(fm.draft, fm.drafts)) {
      const draft = resolve(file, target);
      if (outside(draft)) warnings.push(`${file}: front matter names the draft "${target}", which lies outside the folder; not read`);
      else if (frontMatters.has(draft) && draft !== file) links.set(draft, file);
      else warnings.push(`${file}: front matter names the draft "${target}", which is not among the essays found`);
    }
    for (const target of stringsOf(fm.draft_of, fm.draftOf)) {
      const finished = resolve(file, target);
      if (outside(finished)) warnings.push(`${file}: front matter says it is a draft of "${target}", which lies outside the folder; not used`);
      else if (frontMatters.has(finished) && finished !== file) links.set(file, finished);
      else warnings.push(`${file}: front matter says it is a draft of "${target}", which is not among the essays found`);
    }
  }
  return { links, warnings };
}

function stringsOf(...values: unknown[]): string[] {
  return values.flatMap((v) => (typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [])).filter((s) => s.trim().length > 0);
}

export interface GitHistory {
  /** doc id → earlier versions' markdown, oldest first. */
  versions: Map<string, Array<{ label: string; markdown: string }>>;
  /** Why history was not read, when the writer should know (git missing). */
  note?: string;
}

/**
 * Earlier committed versions of each essay. One `git log` over the folder (renames
 * followed) and one `git cat-file --batch` for the chosen versions: two processes
 * however many essays. Git runs without a shell; a missing git or a folder outside a
 * repository just means no history.
 */
export async function earlierVersionsFromGit(
  root: string,
  docs: readonly string[],
  options: { maxPerDoc: number; signal?: AbortSignal },
): Promise<GitHistory> {
  const versions = new Map<string, Array<{ label: string; markdown: string }>>();
  if (docs.length === 0 || options.maxPerDoc === 0) return { versions };
  let topLevel: string;
  try {
    topLevel = (await git(root, ['rev-parse', '--show-toplevel'], options.signal)).toString('utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { versions, note: 'git was not found, so earlier versions of the essays in git history were not looked for' };
    if ((error as Error).name === 'AbortError') throw error;
    return { versions }; // not a git repository
  }
  const [realTop, realRoot] = await Promise.all([fs.realpath(topLevel), fs.realpath(root)]);
  const prefix = path.relative(realTop, realRoot).split(path.sep).join('/');
  if (prefix.startsWith('..')) return { versions };
  const toTop = (doc: string) => (prefix ? `${prefix}/${doc}` : doc);

  const log = await git(realTop, ['log', '--no-show-signature', '--no-ext-diff', '--no-textconv', '--format=%x00%H', '-z', '--name-status', '-M', '--no-merges', '--', prefix || '.'], options.signal);
  const history = fileHistories(log.toString('utf8'), new Map(docs.map((d) => [toTop(d), d])));

  const wanted: Array<{ doc: string; commit: string; file: string }> = [];
  // Only versions that lay inside the folder: git limits the log to it, and a rename
  // followed back must not reach a file outside it (a private note moved in later).
  const insideRoot = (file: string) => !prefix || file === prefix || file.startsWith(`${prefix}/`);
  for (const [doc, all] of history) {
    const list = all.filter((v) => insideRoot(v.file));
    // list is newest first; the newest commit is (usually) the text we already have.
    const older = list.length > 1 ? list.slice(1) : list;
    for (const v of spread(older.reverse(), options.maxPerDoc)) wanted.push({ doc, ...v });
  }
  if (wanted.length === 0) return { versions };
  const blobs = await catFiles(realTop, wanted.map((w) => `${w.commit}:${w.file}`), options.signal);
  wanted.forEach((w, i) => {
    const blob = blobs[i];
    if (blob === undefined) return;
    const list = versions.get(w.doc) ?? [];
    list.push({ label: `${w.commit.slice(0, 10)}:${w.file}`, markdown: blob.toString('utf8') });
    versions.set(w.doc, list);
  });
  return { versions };
}

/**
 * Parses `git log -z --name-status` output into each tracked file's versions, newest
 * first, following renames backwards.
 */
export function fileHistories(log: string, tracked: ReadonlyMap<string, string>): Map<string, Array<{ commit: string; file: string }>> {
  const current = new Map(tracked); // path at the commit being read → doc id
  const result = new Map<string, Array<{ commit: string; file: string }>>();
  const tokens = log.split('\0');
  let commit = '';
  for (let i = 0; i < tokens.length; i++) {
    const token = (tokens[i] ?? '').replace(/^\n/, '');
    if (token === '') {
      const next = tokens[i + 1] ?? '';
      if (/^[0-9a-f]{40,64}$/.test(next)) {
        commit = next;
        i++;
      }
      continue;
    }
    const status = token[0];
    if (status === 'R' || status === 'C') {
      const from = tokens[i + 1] ?? '';
      const to = tokens[i + 2] ?? '';
      i += 2;
      const doc = current.get(to);
      if (doc === undefined || status === 'C') continue;
      record(result, doc, commit, to);
      current.delete(to);
      current.set(from, doc);
    } else {
      const file = tokens[i + 1] ?? '';
      i += 1;
      const doc = current.get(file);
      if (doc === undefined) continue;
      if (status === 'D') continue;
      record(result, doc, commit, file);
      if (status === 'A') current.delete(file); // before this commit the file did not exist
    }
  }
  return result;
}

function record(result: Map<string, Array<{ commit: string; file: string }>>, doc: string, commit: string, file: string): void {
  const list = result.get(doc) ?? [];
  list.push({ commit, file });
  result.set(doc, list);
}

/** Up to n items, evenly spread, the first always included (oldest = roughest draft). */
function spread<T>(items: T[], n: number): T[] {
  if (items.length <= n) return items;
  const picked: T[] = [];
  for (let k = 0; k < n; k++) {
    const item = items[Math.floor((k * items.length) / n)];
    if (item !== undefined) picked.push(item);
  }
  return picked;
}

/**
 * Reading history must not run anything a repository configures: no fsmonitor hook, no pager,
 * no signature check (`log.showSignature` would run the repository's `gpg.program` on every
 * signed commit); the log below also turns off external diffs and text conversion.
 */
const GIT_SAFETY = ['-c', 'core.fsmonitor=false', '-c', 'core.pager=cat', '-c', 'log.showSignature=false', '--no-pager'];

/**
 * git from an absolute folder of the PATH, never from the essays folder: on Windows a bare
 * `git` is looked for in the working directory first, so a `git.exe` committed next to the
 * essays would run; an empty or relative PATH entry does the same elsewhere. Undefined when
 * no folder of the PATH holds git.
 */
export function gitProgram(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string | undefined {
  const name = platform === 'win32' ? 'git.exe' : 'git';
  const searchPath = (platform === 'win32' ? env.Path ?? env.PATH : env.PATH) ?? '';
  const pathApi = platform === 'win32' ? path.win32 : path.posix;
  for (const entry of searchPath.split(pathApi.delimiter)) {
    const dir = platform === 'win32' ? entry.replace(/^"(.*)"$/, '$1') : entry; // Windows allows a quoted entry: "C:\Program Files\Git\cmd"
    if (!dir || !pathApi.isAbsolute(dir)) continue;
    const candidate = pathApi.join(dir, name);
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

/** The error a missing program gives, so callers treat "no git on the PATH" alike for both ways of running it. */
function gitNotFound(): NodeJS.ErrnoException {
  return Object.assign(new Error('git was not found on the PATH'), { code: 'ENOENT' });
}

function git(cwd: string, args: string[], signal?: AbortSignal): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const program = gitProgram();
    if (!program) {
      reject(gitNotFound());
      return;
    }
    execFile(program, [...GIT_SAFETY, ...args], { cwd, encoding: 'buffer', maxBuffer: 256 * 1024 * 1024, signal, windowsHide: true }, (error, stdout) => {
      if (error) reject(error);
      else resolve(stdout);
    });
  });
}

/** `git cat-file --batch`: one process for all blobs. Missing objects come back undefined. */
function catFiles(cwd: string, specs: string[], signal?: AbortSignal): Promise<Array<Buffer | undefined>> {
  return new Promise((resolve, reject) => {
    const program = gitProgram();
    if (!program) {
      reject(gitNotFound());
      return;
    }
    const child = spawn(program, [...GIT_SAFETY, 'cat-file', '--batch'], { cwd, signal, windowsHide: true, stdio: ['pipe', 'pipe', 'ignore'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`git cat-file exited with ${code}`));
        return;
      }
      const out = Buffer.concat(chunks);
      const blobs: Array<Buffer | undefined> = [];
      let at = 0;
      for (let i = 0; i < specs.length; i++) {
        const eol = out.indexOf(0x0a, at);
        if (eol < 0) break;
        const header = out.subarray(at, eol).toString('utf8');
        at = eol + 1;
        const m = /^[0-9a-f]+ blob (\d+)$/.exec(header);
        if (!m) {
          blobs.push(undefined); // "<spec> missing" or not a blob
          continue;
        }
        const size = Number(m[1]);
        blobs.push(out.subarray(at, at + size));
        at += size + 1;
      }
      resolve(blobs);
    });
    child.stdin.end(specs.map((s) => `${s}\n`).join(''));
  });
}
