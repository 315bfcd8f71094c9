// Unpacks the tar stream a remote host sends (the pull fallback when rsync is
// missing) without trusting it: only regular files and folders, only names the
// caller asked for, never an absolute name, a `..`, a link (symbolic or hard), a
// device or a pipe. A refused member stops the whole extraction. The tar program
// is not used for this: how GNU tar treats links and `..` depends on its version
// and options, and it follows a symbolic link it extracted a moment before.
import { constants } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isInside } from './runLayout';

export class TarRefusedError extends Error {
  constructor(readonly member: string, readonly why: string) {
    super(`refused tar member ${JSON.stringify(member)}: ${why}`);
  }
}

const BLOCK = 512;

/** Pulls exact byte counts out of a chunked stream. */
class Reader {
  private buf: Buffer = Buffer.alloc(0);
  private ended = false;
  constructor(private readonly it: AsyncIterator<Buffer>) {}

  private async more(): Promise<boolean> {
    if (this.ended) return false;
    const r = await this.it.next();
    if (r.done) {
      this.ended = true;
      return false;
    }
    this.buf = this.buf.length ? Buffer.concat([this.buf, r.value]) : r.value;
    return true;
  }

  /** Exactly n bytes, or fewer at the end of the stream. */
  async take(n: number): Promise<Buffer> {
    while (this.buf.length < n && (await this.more()));
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(out.length);
    return out;
  }

  /** n bytes handed to `sink` as they arrive (a large file never sits in memory whole). */
  async pipe(n: number, sink: (chunk: Buffer) => Promise<void>): Promise<void> {
    let left = n;
    while (left > 0) {
      if (!this.buf.length && !(await this.more())) throw new TarRefusedError('', 'the stream ended inside a file');
      const chunk = this.buf.subarray(0, Math.min(left, this.buf.length));
      this.buf = this.buf.subarray(chunk.length);
      left -= chunk.length;
      await sink(chunk);
    }
  }

  async drain(): Promise<void> {
    this.buf = Buffer.alloc(0);
    while (await this.more()) this.buf = Buffer.alloc(0);
  }
}

function cString(b: Buffer): string {
  const end = b.indexOf(0);
  return b.subarray(0, end < 0 ? b.length : end).toString('utf8');
}

function octal(field: Buffer): number {
  if (field[0] !== undefined && field[0] & 0x80) {
    // GNU base-256 (sizes of 8 GiB and more): big-endian, the top bit is the marker.
    let n = field[0] & 0x7f;
    for (let i = 1; i < field.length; i++) n = n * 256 + (field[i] ?? 0);
    return n;
  }
  const text = cString(field).trim();
  if (!/^[0-7]*$/.test(text)) throw new TarRefusedError('', `a malformed number field (${JSON.stringify(text)})`);
  return text ? parseInt(text, 8) : 0;
}

function checksumOk(header: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (header[i] ?? 0);
  return sum === octal(header.subarray(148, 156));
}

/** pax extended header records: `<len> <key>=<value>\n`. */
function paxRecords(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space < 0) break;
    const len = Number(data.subarray(at, space).toString('ascii'));
    if (!Number.isInteger(len) || len <= 0 || at + len > data.length) throw new TarRefusedError('', 'a malformed pax header');
    const record = data.subarray(space + 1, at + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    at += len;
  }
  return out;
}

/** The member's name as `/`-separated parts, or why it is refused. */
function safeParts(name: string): string[] {
  const trimmed = name.replace(/\/+$/, '');
  if (!trimmed) throw new TarRefusedError(name, 'an empty name');
  if (trimmed.startsWith('/')) throw new TarRefusedError(name, 'an absolute name');
  if (/[\\\0]/.test(trimmed) || (process.platform === 'win32' && /[:<>"|?*]/.test(trimmed))) throw new TarRefusedError(name, 'a character that is not allowed in a name');
  const parts = trimmed.split('/');
  for (const p of parts) {
    if (p === '..') throw new TarRefusedError(name, 'a ".." in the name');
    if (p === '' || p === '.') throw new TarRefusedError(name, 'an empty or "." part in the name');
  }
  return parts;
}

export interface UntarOptions {
  /** Whether a member of this kind and `/`-separated name may be written (the caller's allowlist). */
  allow: (name: string, kind: 'file' | 'dir') => boolean;
  /** Mode for the files written (folders get the same plus x). Default 0o600. */
  fileMode?: number;
}

/**
 * Extracts a tar stream into `dest` (an existing, empty folder this process made).
 * Resolves once the archive's end marker is read and the rest of the stream drained.
 */
export async function untarInto(stream: AsyncIterable<Buffer>, dest: string, opts: UntarOptions): Promise<string[]> {
  const reader = new Reader(stream[Symbol.asyncIterator]());
  const fileMode = opts.fileMode ?? 0o600;
  const dirMode = fileMode | ((fileMode & 0o444) >> 2) | 0o100;
  const written: string[] = [];
  let longName: string | undefined;
  let pax = new Map<string, string>();
  for (;;) {
    const header = await reader.take(BLOCK);
    if (header.length < BLOCK) throw new TarRefusedError('', 'the stream ended without the end-of-archive marker');
    if (header.every((b) => b === 0)) break; // end of archive (a second zero block and padding follow)
    if (!checksumOk(header)) throw new TarRefusedError('', 'a header with a bad checksum');
    const type = String.fromCharCode(header[156] ?? 0);
    let size = octal(header.subarray(124, 136));
    const magic = header.subarray(257, 263).toString('latin1');
    const prefix = magic.startsWith('ustar') ? cString(header.subarray(345, 500)) : '';
    let name = cString(header.subarray(0, 100));
    if (prefix) name = `${prefix}/${name}`;

    if (type === 'x' || type === 'g' || type === 'L') {
      if (size > 1 << 20) throw new TarRefusedError(name, 'an oversized extended header');
      const data = await reader.take(size);
      await reader.take((BLOCK - (size % BLOCK)) % BLOCK);
      if (type === 'x') pax = paxRecords(data);
      else if (type === 'L') longName = cString(data);
      // 'g' (global pax header): nothing in it changes which files are written.
      continue;
    }
    if (pax.has('path')) name = pax.get('path')!;
    else if (longName !== undefined) name = longName;
    if (pax.has('size')) {
      size = Number(pax.get('size'));
      if (!Number.isSafeInteger(size) || size < 0) throw new TarRefusedError(name, 'a malformed size');
    }
    pax = new Map();
    longName = undefined;

    const isFile = type === '0' || type === '\0' || type === '7';
    const isDir = type === '5';
    if (!isFile && !isDir) {
      const what = type === '1' ? 'a hard link' : type === '2' ? 'a symbolic link' : type === '3' || type === '4' ? 'a device' : type === '6' ? 'a pipe' : `an entry of type ${JSON.stringify(type)}`;
      throw new TarRefusedError(name, `${what}; only files and folders are accepted`);
    }
    const parts = safeParts(name);
    const rel = parts.join('/');
    if (!opts.allow(rel, isDir ? 'dir' : 'file')) throw new TarRefusedError(name, 'not an entry that was asked for');
    const target = join(dest, ...parts);
    if (!isInside(dest, target) || target === dest) throw new TarRefusedError(name, 'it would land outside the folder');
    if (isDir) {
      await mkdir(target, { recursive: true, mode: dirMode });
      await reader.pipe(size + ((BLOCK - (size % BLOCK)) % BLOCK), async () => undefined);
      continue;
    }
    await mkdir(dirname(target), { recursive: true, mode: dirMode });
    // O_NOFOLLOW: never write through a link, whatever is at the name (nothing should be).
    const fh = await open(target, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | (constants.O_NOFOLLOW ?? 0), fileMode);
    try {
      await reader.pipe(size, async (chunk) => { await fh.write(chunk); });
    } finally {
      await fh.close();
    }
    await reader.take((BLOCK - (size % BLOCK)) % BLOCK);
    written.push(rel);
  }
  await reader.drain();
  return written;
}
