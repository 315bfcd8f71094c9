// The near-duplicate search's LSH buckets: item numbers filed under (band, 32-bit hash),
// in typed arrays. Each pair costs 16 lookups and up to 16 insertions, and at the sizes a
// corpus reaches a Map per band spent hundreds of nanoseconds a lookup; an open-addressing
// table with linked members does it in tens. Members come back oldest first.

export class BandBuckets {
  private readonly mask: number;
  /** Four numbers a slot, side by side (one cache line a probe): band (-1: empty), hash, first and last entry. */
  private readonly slots: Int32Array;
  /** Per entry: the item, and the next entry of the same bucket (-1: none). */
  private readonly entryItem: Int32Array;
  private readonly entryNext: Int32Array;
  private entries = 0;

  constructor(readonly capacity: number) {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.mask = size - 1;
    this.slots = new Int32Array(size * 4);
    for (let i = 0; i < this.slots.length; i += 4) this.slots[i] = -1;
    this.entryItem = new Int32Array(capacity);
    this.entryNext = new Int32Array(capacity);
  }

  /** The bucket's first entry, or -1 when it is empty; walk on with next(). */
  first(band: number, key: number): number {
    const at = this.slot(band, key);
    return this.slots[at] === -1 ? -1 : (this.slots[at + 2] as number);
  }

  next(entry: number): number {
    return this.entryNext[entry] as number;
  }

  item(entry: number): number {
    return this.entryItem[entry] as number;
  }

  add(band: number, key: number, item: number): void {
    if (this.entries >= this.capacity) throw new RangeError('BandBuckets is full');
    const at = this.slot(band, key);
    const entry = this.entries++;
    this.entryItem[entry] = item;
    this.entryNext[entry] = -1;
    if (this.slots[at] === -1) {
      this.slots[at] = band;
      this.slots[at + 1] = key;
      this.slots[at + 2] = entry;
    } else {
      this.entryNext[this.slots[at + 3] as number] = entry;
    }
    this.slots[at + 3] = entry;
  }

  /** Where (band, key) is, or the empty slot where it would go (keys are already well-mixed hashes). */
  private slot(band: number, key: number): number {
    let slot = (key + Math.imul(band, 0x9e3779b1)) & this.mask;
    for (;;) {
      const at = slot * 4;
      const b = this.slots[at];
      if (b === -1 || (b === band && this.slots[at + 1] === key)) return at;
      slot = (slot + 1) & this.mask;
    }
  }
}
