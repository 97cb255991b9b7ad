import type { Envelope } from '../model/envelope.ts';

/** The JSON value of a double as Go protojson writes it: non-finite values become strings. */
const double = (value: number): number | string => {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return value;
};

const sortedEntries = <T>(record: Readonly<Record<string, T>>): Array<[string, T]> =>
  Object.keys(record)
    .sort()
    .map((k) => [k, record[k] as T]);

/**
 * An envelope in log-cache's wire form (docs/anchor-compatibility.md#wire-envelope): snake_case
 * keys in declaration order, int64 as strings, every unpopulated field present, map keys sorted. An
 * envelope with no gauge, timer or counter (a log or event read by our parser, which keeps no
 * payload) is written as an empty log.
 * The one encoder for both the simulated log-cache and recordings, so what one writes the other reads.
 */
export const encodeEnvelope = (envelope: Envelope): Record<string, unknown> => {
  const head = {
    timestamp: envelope.timestamp.toString(),
    source_id: envelope.sourceId,
    instance_id: envelope.instanceId,
    deprecated_tags: {},
    tags: Object.fromEntries(sortedEntries(envelope.tags)),
  };
  if (envelope.gauge) {
    const metrics = Object.fromEntries(
      sortedEntries(envelope.gauge).map(([name, g]) => [name, { unit: g.unit, value: double(g.value) }]),
    );
    return { ...head, gauge: { metrics } };
  }
  if (envelope.timer) {
    return {
      ...head,
      timer: {
        name: envelope.timer.name,
        start: envelope.timer.start.toString(),
        stop: envelope.timer.stop.toString(),
      },
    };
  }
  if (envelope.counter) {
    return {
      ...head,
      counter: {
        name: envelope.counter.name,
        delta: envelope.counter.delta.toString(),
        total: envelope.counter.total.toString(),
      },
    };
  }
  return { ...head, log: { payload: '', type: 'OUT' } };
};

/**
 * `{"envelopes":{"batch":[…]}}`, the body of a read (docs/anchor-compatibility.md#wire-read),
 * without the trailing newline.
 */
export const encodeReadResponse = (envelopes: readonly Envelope[]): string =>
  JSON.stringify({ envelopes: { batch: envelopes.map(encodeEnvelope) } });

/** One envelope as one line of JSON (a recording line, without the newline). */
export const encodeEnvelopeLine = (envelope: Envelope): string => JSON.stringify(encodeEnvelope(envelope));
