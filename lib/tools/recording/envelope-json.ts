import type { Envelope } from '../../core/model/envelope.ts';

/**
 * An envelope in the form log-cache serves it (docs/anchor-compatibility.md#wire-envelope):
 * snake_case keys, int64 values as decimal strings, and the always-present empty fields.
 */
export const envelopeToWire = (envelope: Envelope): Record<string, unknown> => {
  const wire: Record<string, unknown> = {
    timestamp: envelope.timestamp.toString(),
    source_id: envelope.sourceId,
    instance_id: envelope.instanceId,
    deprecated_tags: {},
    tags: envelope.tags,
  };
  if (envelope.gauge)
    wire.gauge = {
      metrics: Object.fromEntries(
        Object.entries(envelope.gauge).map(([name, g]) => [name, { unit: g.unit, value: g.value }]),
      ),
    };
  if (envelope.timer)
    wire.timer = {
      name: envelope.timer.name,
      start: envelope.timer.start.toString(),
      stop: envelope.timer.stop.toString(),
    };
  if (envelope.counter)
    wire.counter = {
      name: envelope.counter.name,
      delta: envelope.counter.delta.toString(),
      total: envelope.counter.total.toString(),
    };
  return wire;
};

/** One recording line (without the newline). Non-finite gauge values use protojson's strings. */
export const envelopeToLine = (envelope: Envelope): string =>
  JSON.stringify(envelopeToWire(envelope), (_key, value: unknown) =>
    typeof value === 'number' && !Number.isFinite(value)
      ? Number.isNaN(value)
        ? 'NaN'
        : value > 0
          ? 'Infinity'
          : '-Infinity'
      : value,
  );
