// Draws media/icon.png, the extension's 128x128 icon: a "V" and three lines of ghost text
// after a cursor, on an ink-blue rounded square. Shapes are distance functions sampled 4x4
// per pixel (anti-aliased edges); the PNG is written with node:zlib, no image library.
//
//   node scripts/make-icon.mjs [out.png]
import { Buffer } from 'node:buffer';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const SIZE = 128;
const out = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'media', 'icon.png');

/** Distance from p to the segment a-b. */
function segment(px, py, ax, ay, bx, by) {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/** Signed distance to a rounded square of half-size h and corner radius r, centred in the icon. */
function roundedSquare(px, py, h, r) {
  const qx = Math.abs(px - SIZE / 2) - (h - r);
  const qy = Math.abs(py - SIZE / 2) - (h - r);
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
}

/** Layers, bottom to top: [coverage(x, y), [r, g, b], alpha]. */
const layers = [
  [(x, y) => roundedSquare(x, y, 62, 24) <= 0, null, 1],
  [(x, y) => Math.min(segment(x, y, 24, 30, 47, 96), segment(x, y, 47, 96, 70, 30)) <= 7.5, [255, 255, 255], 1],
  [(x, y) => segment(x, y, 80, 50, 80, 100) <= 2, [255, 214, 102], 1],
  ...[[60, 108], [78, 100], [96, 92]].map(([y, end]) => [(x, yy) => segment(x, yy, 88, y, end, y) <= 3.5, [255, 255, 255], 0.45]),
];

/** The background's colour at row y: ink blue, lighter at the top. */
function background(y) {
  const t = y / SIZE;
  return [Math.round(52 - 22 * t), Math.round(92 - 34 * t), Math.round(140 - 42 * t)];
}

const rgba = Buffer.alloc(SIZE * SIZE * 4);
const S = 4;
for (let y = 0; y < SIZE; y++) {
  for (let x = 0; x < SIZE; x++) {
    let r = 0, g = 0, b = 0, a = 0;
    for (let sy = 0; sy < S; sy++) {
      for (let sx = 0; sx < S; sx++) {
        const px = x + (sx + 0.5) / S;
        const py = y + (sy + 0.5) / S;
        let cr = 0, cg = 0, cb = 0, ca = 0;
        for (const [covers, colour, alpha] of layers) {
          if (!covers(px, py)) continue;
          const [lr, lg, lb] = colour ?? background(py);
          cr = cr * (1 - alpha) + lr * alpha;
          cg = cg * (1 - alpha) + lg * alpha;
          cb = cb * (1 - alpha) + lb * alpha;
          ca = ca * (1 - alpha) + alpha;
        }
        r += cr; g += cg; b += cb; a += ca;
      }
    }
    const n = S * S;
    const i = (y * SIZE + x) * 4;
    // Straight (not premultiplied) alpha, as PNG stores it.
    rgba[i] = a ? Math.round(r / a) : 0;
    rgba[i + 1] = a ? Math.round(g / a) : 0;
    rgba[i + 2] = a ? Math.round(b / a) : 0;
    rgba[i + 3] = Math.round((255 * a) / n);
  }
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(SIZE, 0);
ihdr.writeUInt32BE(SIZE, 4);
ihdr.writeUInt8(8, 8); // bit depth
ihdr.writeUInt8(6, 9); // RGBA
const rows = Buffer.concat(Array.from({ length: SIZE }, (_, y) => Buffer.concat([Buffer.of(0), rgba.subarray(y * SIZE * 4, (y + 1) * SIZE * 4)])));
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', ihdr),
  chunk('IDAT', deflateSync(rows, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
writeFileSync(out, png);
console.log(`wrote ${out} (${SIZE}x${SIZE}, ${png.length} bytes)`);
