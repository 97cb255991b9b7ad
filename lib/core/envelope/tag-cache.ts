type Tags = Readonly<Record<string, string>>;

/**
 * Shares one tags object among the envelopes of one instance whose tags are equal. Log-cache repeats
 * the same 10 to 20 tags on every envelope, and a copy per envelope was most of the parse time and
 * most of the memory the aggregation buffers held (about 1 KB per buffered envelope).
 *
 * Shared objects are not frozen: freezing changes the hidden class and makes every comparison of a
 * decoded object against the copy twice as slow. The `Readonly` type is the guard.
 */
export interface TagCache {
  /**
   * The kept slot for this source and instance with tags equal to `tags` (a copy made now, or one
   * handed out before); `undefined` when a value is not a string or a key is a symbol (the caller
   * then takes its general path, which reports the problem). The slot's instance id string is
   * shared too.
   */
  share(sourceId: string, instanceId: string, tags: Readonly<Record<string, unknown>>): TagSlot | undefined;
}

export interface TagSlot {
  readonly instanceId: string;
  readonly tags: Tags;
  readonly count: number;
}

/** Whether `tags` has exactly the entries of the slot; a match also proves every value a string. */
const matches = (slot: TagSlot, tags: Readonly<Record<string, unknown>>): boolean => {
  const kept = slot.tags;
  let n = 0;
  for (const key in tags) {
    // Only own members of `kept` are strings; what it inherits never passes for a tag.
    const value = kept[key];
    if (typeof value !== 'string' || value !== tags[key]) return false;
    n += 1;
  }
  return n === slot.count;
};

/**
 * A spread copy keeps the decoded object's hidden class, so comparing the next decoded object with it
 * is a monomorphic walk. Values equal to those of `like` (another instance of the same app) are
 * replaced by the strings of `like`, so that they are held once.
 */
const copyTags = (tags: Readonly<Record<string, unknown>>, like: Tags | undefined): Tags | undefined => {
  // Decoded JSON has no symbol keys; a spread would copy them, the general reader would not.
  if (Object.getOwnPropertySymbols(tags).length > 0) return undefined;
  const copy = { ...tags } as Record<string, string>;
  if (like !== undefined) {
    for (const key in copy) {
      const known = like[key];
      if (known === copy[key] && known !== undefined) copy[key] = known;
    }
  }
  return copy;
};

/**
 * Keeps up to `perSource` tag sets per source id, and starts afresh past `maxSlots` in all, so that
 * what it holds stays bounded whatever the sources (it holds what live buffers mostly share anyway).
 */
export const createTagCache = (maxSlots: number, perSource: number): TagCache => {
  let bySource = new Map<string, TagSlot[]>();
  let slotCount = 0;
  // Consecutive envelopes are mostly of one instance, and those of one read of one source.
  let lastSource = '';
  let last: TagSlot | undefined;
  let lastSlots: TagSlot[] | undefined;
  return {
    share(sourceId, instanceId, tags) {
      if (last !== undefined && last.instanceId === instanceId && lastSource === sourceId && matches(last, tags))
        return last;
      let slots = lastSource === sourceId ? lastSlots : bySource.get(sourceId);
      if (slots !== undefined) {
        for (const slot of slots) {
          if (slot.instanceId !== instanceId || !matches(slot, tags)) continue;
          lastSource = sourceId;
          last = slot;
          lastSlots = slots;
          return slot;
        }
      }
      let count = 0;
      for (const key in tags) {
        if (typeof tags[key] !== 'string') return undefined;
        count += 1;
      }
      const copy = copyTags(tags, slots?.[slots.length - 1]?.tags);
      if (copy === undefined) return undefined;
      const slot: TagSlot = { instanceId, tags: copy, count };
      if (slotCount >= maxSlots) {
        bySource = new Map();
        slotCount = 0;
        slots = undefined;
      }
      if (slots === undefined) bySource.set(sourceId, (slots = []));
      // Past `perSource`, the oldest set of the source goes: an instance's tags rarely change.
      if (slots.length >= perSource) slots.shift();
      else slotCount += 1;
      slots.push(slot);
      lastSource = sourceId;
      last = slot;
      lastSlots = slots;
      return slot;
    },
  };
};
