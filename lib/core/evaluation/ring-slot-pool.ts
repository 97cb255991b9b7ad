/** One ring's slots: `capacity` entries from `base` on in `coarse`, and from `2 * base` on in `meta`. */
export interface RingSlots {
  readonly coarse: Float64Array;
  readonly meta: Int32Array;
  readonly base: number;
}

/**
 * The packed columns of many rings of one capacity, cut from large buffers. A buffer per ring cost
 * a malloc chunk, a backing store and two views each, and rings growing in step left the freed
 * smaller chunks behind as fragmentation; here a ring is an offset, and a released ring's slots go
 * to the next ring that asks.
 */
export interface RingSlotPool {
  readonly capacity: number;
  take(): RingSlots;
  /** Returns the slots that start at `base` in the buffer whose `coarse` column is given. */
  give(coarse: Float64Array, base: number): void;
}

// Each buffer holds about this many bytes of slots (16 per entry).
const SLAB_BYTES = 1 << 20;

export const createRingSlotPool = (capacity: number): RingSlotPool => {
  const ringsPerSlab = Math.max(1, Math.floor(SLAB_BYTES / (capacity * 16)));
  const free: RingSlots[] = [];
  const metaOf = new Map<Float64Array, Int32Array>();
  let slab: RingSlots | undefined;
  let used = ringsPerSlab;

  return {
    capacity,
    take() {
      const reused = free.pop();
      if (reused !== undefined) return reused;
      if (used === ringsPerSlab) {
        const slots = ringsPerSlab * capacity;
        const buffer = new ArrayBuffer(slots * 16);
        slab = {
          coarse: new Float64Array(buffer, 0, slots),
          meta: new Int32Array(buffer, slots * 8, slots * 2),
          base: 0,
        };
        metaOf.set(slab.coarse, slab.meta);
        used = 0;
      }
      const base = used * capacity;
      used += 1;
      return { coarse: slab!.coarse, meta: slab!.meta, base };
    },
    give(coarse, base) {
      const meta = metaOf.get(coarse);
      if (meta === undefined) throw new Error('ring slots given back to a pool that did not hand them out');
      free.push({ coarse, meta, base });
    },
  };
};
