/** What a cached metric shares with many others: its type, its unit and whether its value is empty. */
export interface MetricKind {
  readonly name: string;
  readonly unit: string;
  /** The value is "" (no sample could be aggregated). */
  readonly empty: boolean;
}

/**
 * The distinct kinds of one metric cache, each kept once and named by a small index, so a cached
 * metric stores two bytes instead of two string references.
 */
export interface MetricKinds {
  /** The index of the kind, or -1 once `MAX_KINDS` are known (the caller then keeps the metric whole). */
  indexOf(name: string, unit: string, empty: boolean): number;
  at(index: number): MetricKind;
}

/** Indices fit 16 bits; 0xffff is left free to mark a metric kept whole. */
export const MAX_KINDS = 0xffff;

export const createMetricKinds = (): MetricKinds => {
  const kinds: MetricKind[] = [];
  // name -> unit -> index, one table for non-empty values and one for empty ones.
  const tables = [new Map<string, Map<string, number>>(), new Map<string, Map<string, number>>()] as const;
  return {
    indexOf(name, unit, empty) {
      const table = tables[empty ? 1 : 0];
      let units = table.get(name);
      const known = units?.get(unit);
      if (known !== undefined) return known;
      if (kinds.length >= MAX_KINDS) return -1;
      if (units === undefined) table.set(name, (units = new Map()));
      units.set(unit, kinds.length);
      kinds.push({ name, unit, empty });
      return kinds.length - 1;
    },
    at: (index) => kinds[index]!,
  };
};
