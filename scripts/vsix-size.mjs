// Size and entry count of a VSIX (a zip): the file's bytes, and the entries its central
// directory lists (the end-of-central-directory record's total), read without unzipping.
import { readFileSync, statSync } from 'node:fs';

export function vsixSize(file) {
  const bytes = statSync(file).size;
  const zip = readFileSync(file);
  // The record is at least 22 bytes from the end, more when the archive has a comment.
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) return { bytes, files: zip.readUInt16LE(i + 10) };
  }
  throw new Error(`${file} is not a zip archive (no end-of-central-directory record)`);
}
