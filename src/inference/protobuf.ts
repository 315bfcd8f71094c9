// Just enough of protobuf's wire format to walk an ONNX file's fields without a schema
// library: each field is a varint tag (number << 3 | wire type) and a value whose extent
// the wire type gives. Values are never decoded except the few strings asked for.

/** One field of a message: its whole extent (tag included) and its value's. */
export interface Field {
  number: number;
  wire: number;
  start: number;
  valueStart: number;
  end: number;
}

const VARINT = 0;
const FIXED64 = 1;
export const WIRE_LEN = 2;
const FIXED32 = 5;

export function readVarint(buf: Uint8Array, pos: number): { value: number; next: number } {
  let value = 0;
  let scale = 1;
  for (let i = pos; i < buf.length && i < pos + 10; i++) {
    const b = buf[i]!;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return { value, next: i + 1 };
    scale *= 128;
  }
  throw new Error(`truncated or malformed varint at byte ${pos}`);
}

/** The fields of the message in `buf[start, end)`, in file order. */
export function fields(buf: Uint8Array, start = 0, end = buf.length): Field[] {
  const out: Field[] = [];
  let pos = start;
  while (pos < end) {
    const tag = readVarint(buf, pos);
    const wire = tag.value % 8;
    const number = Math.floor(tag.value / 8);
    let valueStart = tag.next;
    let fieldEnd: number;
    switch (wire) {
      case VARINT: fieldEnd = readVarint(buf, valueStart).next; break;
      case FIXED64: fieldEnd = valueStart + 8; break;
      case FIXED32: fieldEnd = valueStart + 4; break;
      case WIRE_LEN: {
        const len = readVarint(buf, valueStart);
        valueStart = len.next;
        fieldEnd = valueStart + len.value;
        break;
      }
      default: throw new Error(`unsupported protobuf wire type ${wire} at byte ${pos}`);
    }
    if (fieldEnd > end) throw new Error(`protobuf field ${number} at byte ${pos} runs past its message`);
    out.push({ number, wire, start: pos, valueStart, end: fieldEnd });
    pos = fieldEnd;
  }
  return out;
}

const utf8 = new TextDecoder();

export function fieldString(buf: Uint8Array, f: Field): string {
  return utf8.decode(buf.subarray(f.valueStart, f.end));
}

/** The strings of a message's fields numbered `number` (a repeated string field). */
export function strings(buf: Uint8Array, message: Field, number: number): string[] {
  return fields(buf, message.valueStart, message.end).filter((f) => f.number === number && f.wire === WIRE_LEN).map((f) => fieldString(buf, f));
}

/** Writes `value` as a varint at `pos`; returns the position after it. */
export function writeVarint(buf: Uint8Array, pos: number, value: number): number {
  let v = value;
  while (v >= 0x80) {
    buf[pos++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  buf[pos++] = v;
  return pos;
}
