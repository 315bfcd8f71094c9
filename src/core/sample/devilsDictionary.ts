// A sample workspace any fresh Debian machine can build without us committing
// anyone's text: Ambrose Bierce's "The Devil's Dictionary" (public domain),
// shipped by Debian's `dict-devil` package in dictd format. One note per entry.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export const DICT_DEVIL_DIR = '/usr/share/dictd';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** dictd's index numbers are base64 digits, most significant first. */
export function decodeDictNumber(text: string): number {
  let n = 0;
  for (const ch of text) {
    const digit = B64.indexOf(ch);
    if (digit < 0) throw new Error(`bad dictd number "${text}"`);
    n = n * 64 + digit;
  }
  return n;
}

export interface DictEntry { headword: string; body: string }

/** Reads every real entry (not the 00-database-* headers) of a dictd dictionary. */
export async function readDictd(indexPath: string, dictPath: string): Promise<DictEntry[]> {
  const index = await readFile(indexPath, 'utf8');
  const data = gunzipSync(await readFile(dictPath)); // dictzip is gzip with random-access extras
  const entries: DictEntry[] = [];
  for (const line of index.split('\n')) {
    const [headword, offset, length] = line.split('\t');
    if (!headword || !offset || !length || headword.startsWith('00database')) continue;
    const start = decodeDictNumber(offset);
    const body = data.subarray(start, start + decodeDictNumber(length)).toString('utf8');
    entries.push({ headword, body });
  }
  return entries;
}

/** The entry as a short markdown note: front matter, the definition, its verses as a quote. */
export function entryToMarkdown(entry: DictEntry): string {
  const lines = entry.body.replace(/\r\n/g, '\n').split('\n');
  // The entry opens with its headword in capitals ("FEAST, n.  A festival."): embolden it.
  const text = lines.map((l) => l.trim());
  text[0] = (text[0] ?? '').replace(/^([^,]+),/, '**$1**,');
  const paragraphs: string[] = [];
  let current: string[] = [];
  for (const l of text) {
    if (!l) {
      if (current.length) paragraphs.push(current.join(' '));
      current = [];
    } else current.push(l);
  }
  if (current.length) paragraphs.push(current.join(' '));
  const title = entry.headword.charAt(0).toUpperCase() + entry.headword.slice(1);
  return ['---', `title: ${JSON.stringify(title)}`, 'author: "Ambrose Bierce"', 'source: "The Devil\'s Dictionary (Debian dict-devil)"', 'license: "public domain"', '---', '', ...paragraphs.flatMap((p) => [p, '']), ''].join('\n');
}

export function slugify(headword: string): string {
  return headword.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'entry';
}

/** Writes `limit` entries (evenly spread over the alphabet) as notes under `outDir/notes`. */
export async function writeDevilsDictionaryWorkspace(outDir: string, limit = 150, dictDir = DICT_DEVIL_DIR): Promise<number> {
  let entries: DictEntry[];
  try {
    entries = await readDictd(join(dictDir, 'devil.index'), join(dictDir, 'devil.dict.dz'));
  } catch (e) {
    throw new Error(`The sample essays come from Debian's "dict-devil" package, which was not found in ${dictDir} (${(e as Error).message}). Install it with "sudo apt-get install dict-devil", or train on a folder of your own essays.`, { cause: e });
  }
  const substantial = entries.filter((e) => e.body.split(/\s+/).length >= 25);
  const step = Math.max(1, substantial.length / limit);
  const chosen = Array.from({ length: Math.min(limit, substantial.length) }, (_, i) => substantial[Math.floor(i * step)]!);
  await mkdir(join(outDir, 'notes'), { recursive: true });
  const used = new Set<string>();
  for (const entry of chosen) {
    let slug = slugify(entry.headword);
    while (used.has(slug)) slug += '-2';
    used.add(slug);
    await writeFile(join(outDir, 'notes', `${slug}.md`), entryToMarkdown(entry));
  }
  return chosen.length;
}
