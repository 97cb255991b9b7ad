export interface ReadOptions {
  /** Inclusive, ns. */
  readonly startTime: bigint;
  /** Exclusive, ns. */
  readonly endTime: bigint;
  /** Envelope type names as log-cache spells them: `GAUGE`, `TIMER`, `COUNTER`, `LOG`, `EVENT`. */
  readonly envelopeTypes?: readonly string[];
  /** RE2 regex, unanchored (docs/anchor-compatibility.md#wire-read). */
  readonly nameFilter?: string | undefined;
  /**
   * Absent: log-cache's default of 100 (the anchor's behaviour,
   * docs/anchor-compatibility.md#log-cache-reads). At most 1000.
   */
  readonly limit?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

/**
 * The query string of `GET /api/v1/read/{source-id}` (docs/anchor-compatibility.md#wire-read), keys
 * in sorted order as the anchor sends them; `envelope_types` is repeated, never comma-joined
 * (log-cache rejects that with 400).
 */
export const readParams = (options: ReadOptions): URLSearchParams => {
  const params = new URLSearchParams();
  params.append('end_time', options.endTime.toString());
  for (const type of options.envelopeTypes ?? []) params.append('envelope_types', type);
  if (options.limit !== undefined) params.append('limit', String(options.limit));
  if (options.nameFilter !== undefined && options.nameFilter !== '') params.append('name_filter', options.nameFilter);
  params.append('start_time', options.startTime.toString());
  return params;
};
