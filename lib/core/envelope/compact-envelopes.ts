import type { Envelope } from '../model/envelope.ts';

/**
 * Merges the gauge envelopes of one instance at one instant
 * (docs/anchor-compatibility.md#envelope-samples). Log-cache returns every container metric as its
 * own envelope (docs/anchor-compatibility.md#wire-envelope), and `memoryutil` needs `memory` and
 * `memory_quota` together.
 *
 * Key: source_id, instance_id and timestamp. The first envelope of a key is the representative, later
 * ones add their gauge metrics and overwrite metrics of the same name. The key is built so that no
 * two different triples collide (the anchor's dash-joined key could, for ids containing dashes).
 * Envelopes without a gauge pass through untouched. Output keeps first-seen order; inputs are not
 * mutated.
 */
export const compactEnvelopes = (envelopes: readonly Envelope[]): Envelope[] => {
  // Map iteration follows insertion order, which gives the first-seen output order.
  const merged = new Map<string, Envelope>();
  for (let index = 0; index < envelopes.length; index += 1) {
    const envelope = envelopes[index]!;
    // Merge keys start with a digit, so a pass-through slot key can never meet one.
    if (envelope.gauge === undefined) {
      merged.set(`pass-through ${index}`, envelope);
      continue;
    }
    // Length prefixes make the key unambiguous whatever the ids contain.
    const { sourceId, instanceId } = envelope;
    const key = `${sourceId.length}:${sourceId}${instanceId.length}:${instanceId}${envelope.timestamp}`;
    const existing = merged.get(key);
    merged.set(
      key,
      existing === undefined ? envelope : { ...existing, gauge: { ...existing.gauge, ...envelope.gauge } },
    );
  }
  return [...merged.values()];
};
