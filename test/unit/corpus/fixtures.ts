// Shared by the corpus and dataset tests: the shared corpora, and throwaway folders
// of hand-made files (nasty ones included) written fresh for each test.

import { execFileSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** `../shared/corpora` from the repository root. */
export const CORPORA = path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'corpora');
export const MACDOWELL = path.join(CORPORA, 'macdowell-essays');
export const BIERCE_NOTES = path.join(CORPORA, 'bierce-notes', 'notes');

/** Why corpus tests skip, or false when the corpora are there. */
export const corporaMissing: string | false = existsSync(MACDOWELL) && existsSync(BIERCE_NOTES) ? false : `shared corpora not found at ${CORPORA}`;

/** Why tests of git history skip, or false when git runs here. */
export const gitMissing: string | false = (() => {
  try {
    execFileSync('git', ['--version'], { stdio: 'pipe' });
    return false;
  } catch {
    return 'git is not installed';
  }
})();

/**
 * Makes `dir` a git repository with its files as the first commit (`message`); returns
 * git, run in `dir` as a test author, for the commits that follow.
 */
export function gitRepository(dir: string, message: string): (...args: string[]) => Buffer {
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=t@example.com', ...args], { cwd: dir, stdio: 'pipe' });
  git('init', '-q');
  git('add', '.');
  git('commit', '-q', '-m', message);
  return git;
}

/** A temporary folder holding `files` (path → content); removed by the returned cleanup. */
export async function folderWith(files: Record<string, string | Buffer>): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'voice-draft-test-'));
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(dir, rel);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, content);
  }
  return { dir, cleanup: () => fs.rm(dir, { recursive: true, force: true }) };
}

/** A prose paragraph of about `words` words, different for each seed. */
export function prose(seed: number, words = 60): string {
  const vocabulary = [
    'river', 'lantern', 'quiet', 'morning', 'argument', 'letter', 'harbour', 'stubborn', 'orchard', 'winter',
    'memory', 'garden', 'promise', 'window', 'distance', 'silver', 'question', 'village', 'patience', 'thread',
    'answer', 'bridge', 'shadow', 'kitchen', 'journey', 'ember', 'meadow', 'habit', 'echo', 'compass',
  ];
  let x = (seed * 2654435761) >>> 0;
  const out: string[] = [];
  for (let i = 0; i < words; i++) {
    x = (Math.imul(x ^ (x >>> 15), 2246822519) + i) >>> 0;
    out.push(vocabulary[x % vocabulary.length] ?? 'word');
  }
  const first = out[0] ?? 'word';
  out[0] = first.charAt(0).toUpperCase() + first.slice(1);
  return `${out.join(' ')}.`;
}

/** An essay of `paragraphs` distinct paragraphs, with front matter. */
export function essay(title: string, seed: number, paragraphs = 6, extra = ''): string {
  const body = Array.from({ length: paragraphs }, (_, i) => prose(seed * 100 + i)).join('\n\n');
  return `---\ntitle: "${title}"\n---\n\n${body}\n${extra ? `\n${extra}\n` : ''}`;
}
