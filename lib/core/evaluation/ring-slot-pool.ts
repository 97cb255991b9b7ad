/**
 * One ring's slots: `capacity` entries from `base` on. Per slot, `times` and `values` hold one
 * int32 each and `kinds` one uint16 (10 bytes).
 */
export interface RingSlots {
  readonly times: Int32Array;
  readonly values: Int32Array;
  readonly kinds: Uint16Array;
  readonly base: number;
}

/**
 * The packed columns of many rings of one capacity, cut from large buffers. A buffer per ring cost
 * a malloc chunk, a backing store and its views each, and rings growing in step left the freed
 * smaller chunks behind as fragmentation; here a ring is an offset, and a released ring's slots go
 * to the next ring that asks.
 */
export interface RingSlotPool {
  readonly capacity: number;
  take(): RingSlots;
  give(slots: RingSlots): void;
}

// Each buffer holds about this many bytes of slots.
const SLAB_BYTES = 1 << 20;
const SLOT_BYTES = 10;

export const createRingSlotPool = (capacity: number): RingSlotPool => {
  const ringsPerSlab = Math.max(1, Math.floor(SLAB_BYTES / (capacity * SLOT_BYTES)));
  const free: RingSlots[] = [];
  let slab: Omit<RingSlots, 'base'> | undefined;
  let used = ringsPerSlab;

  return {
    capacity,
    take() {
      const reused = free.pop();
      if (reused !== undefined) return reused;
      if (slab === undefined || used === ringsPerSlab) {
        const slots = ringsPerSlab * capacity;
        const buffer = new ArrayBuffer(slots * SLOT_BYTES);
        slab = {
          times: new Int32Array(buffer, 0, slots),
          values: new Int32Array(buffer, slots * 4, slots),
          kinds: new Uint16Array(buffer, slots * 8, slots),
        };
        used = 0;
      }
      const base = used * capacity;
      used += 1;
      return { ...slab, base };
    },
    give(slots) {
      free.push(slots);
    },
  };
};
