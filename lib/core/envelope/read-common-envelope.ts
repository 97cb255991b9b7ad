import type { Envelope, GaugeValue } from '../model/envelope.ts';
import { createTagCache } from './tag-cache.ts';
import type { TagCache } from './tag-cache.ts';
import { isDecimalInteger, isPlainObject, readUint64 } from './wire-values.ts';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const isAbsent = (value: unknown): boolean => value === undefined || value === null;

/** An int64 in any accepted form, or `undefined` for anything the general reader must judge. */
const int64 = (value: unknown): bigint | undefined => {
  if (typeof value === 'string') {
    if (value.length > 20 || !isDecimalInteger(value)) return undefined;
    const parsed = BigInt(value);
    return value.length < 19 || (parsed >= INT64_MIN && parsed <= INT64_MAX) ? parsed : undefined;
  }
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : undefined;
  if (typeof value === 'bigint') return value >= INT64_MIN && value <= INT64_MAX ? value : undefined;
  return undefined;
};

/** The last few distinct units, shared: decoded strings are fresh copies, and buffers keep units. */
const createUnitShelf = (): ((unit: string) => string) => {
  const recent: string[] = ['', '', '', ''];
  let next = 0;
  return (unit) => {
    for (const known of recent) if (known === unit) return known;
    recent[next] = unit;
    next = (next + 1) % recent.length;
    return unit;
  };
};

const readGauge = (gauge: unknown, shareUnit: (unit: string) => string): Record<string, GaugeValue> | undefined => {
  if (!isPlainObject(gauge)) return undefined;
  const metrics = gauge['metrics'];
  const out: Record<string, GaugeValue> = {};
  if (isAbsent(metrics)) return out;
  if (!isPlainObject(metrics)) return undefined;
  for (const name in metrics) {
    const metric = metrics[name];
    // "__proto__" needs the general reader's own-property handling; non-number values its conversions.
    if (!isPlainObject(metric) || name === '__proto__') return undefined;
    const value = metric['value'];
    if (typeof value !== 'number') return undefined;
    const unit = metric['unit'];
    if (typeof unit === 'string') out[name] = { unit: shareUnit(unit), value };
    else if (isAbsent(unit)) out[name] = { unit: '', value };
    else return undefined;
  }
  return out;
};

const readName = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : isAbsent(value) ? '' : undefined;

/**
 * A reader for the envelope shape every producer writes: snake_case keys, int64 as strings, plain
 * decoded JSON objects, exactly one message. It reads fields directly, builds no intermediate arrays,
 * shares equal tag sets (`TagCache`) and reuses the last timestamp and source id (the envelopes
 * of one emission share a timestamp, those of one read a source). It returns `undefined`, never a
 * reason, for anything it does not accept, lowerCamelCase included: the general reader
 * (`parse-envelope.ts`) then decides and names the problem. What it accepts, it reads exactly as the
 * general reader would.
 */
export const createCommonEnvelopeReader = (
  // Bounded: at most this many tag sets, mostly the ones live buffers hold anyway.
  tagCache: TagCache = createTagCache(32_768, 8),
): ((raw: unknown) => Envelope | undefined) => {
  const shareUnit = createUnitShelf();
  let lastTimestampText = '';
  let lastTimestamp = 0n;
  let lastSourceId = '';

  const readTimestamp = (value: unknown): bigint | undefined => {
    if (typeof value !== 'string') return int64(value);
    if (value === lastTimestampText) return lastTimestamp;
    const parsed = int64(value);
    if (parsed !== undefined) {
      lastTimestampText = value;
      lastTimestamp = parsed;
    }
    return parsed;
  };

  return (raw) => {
    if (!isPlainObject(raw)) return undefined;
    const timestamp = readTimestamp(raw['timestamp']);
    const source = raw['source_id'];
    const instance = raw['instance_id'];
    if (timestamp === undefined || typeof source !== 'string' || source === '' || typeof instance !== 'string')
      return undefined;
    const sourceId = source === lastSourceId ? lastSourceId : (lastSourceId = source);
    let instanceId = instance;
    const rawTags = raw['tags'];
    let tags: Readonly<Record<string, string>> = {};
    if (!isAbsent(rawTags)) {
      // The slot's instance id is the same text, held once.
      const slot = isPlainObject(rawTags) ? tagCache.share(sourceId, instanceId, rawTags) : undefined;
      if (slot === undefined) return undefined;
      tags = slot.tags;
      instanceId = slot.instanceId;
    }

    const gauge = raw['gauge'];
    const timer = raw['timer'];
    const counter = raw['counter'];
    const log = raw['log'];
    const event = raw['event'];
    const messages =
      (isAbsent(gauge) ? 0 : 1) +
      (isAbsent(timer) ? 0 : 1) +
      (isAbsent(counter) ? 0 : 1) +
      (isAbsent(log) ? 0 : 1) +
      (isAbsent(event) ? 0 : 1);
    if (messages !== 1) return undefined;

    if (!isAbsent(gauge)) {
      const metrics = readGauge(gauge, shareUnit);
      return metrics === undefined ? undefined : { timestamp, sourceId, instanceId, tags, gauge: metrics };
    }
    if (!isAbsent(timer)) {
      if (!isPlainObject(timer)) return undefined;
      const name = readName(timer['name']);
      const start = int64(timer['start']);
      const stop = int64(timer['stop']);
      if (name === undefined || start === undefined || stop === undefined) return undefined;
      return { timestamp, sourceId, instanceId, tags, timer: { name, start, stop } };
    }
    if (!isAbsent(counter)) {
      if (!isPlainObject(counter)) return undefined;
      const name = readName(counter['name']);
      const delta = isAbsent(counter['delta']) ? { ok: true as const, value: 0n } : readUint64(counter['delta']);
      const total = isAbsent(counter['total']) ? undefined : readUint64(counter['total']);
      if (name === undefined || !delta.ok || total === undefined || !total.ok) return undefined;
      return { timestamp, sourceId, instanceId, tags, counter: { name, delta: delta.value, total: total.value } };
    }
    // A log or an event: valid, but this service keeps nothing of it.
    return isPlainObject(log ?? event) ? { timestamp, sourceId, instanceId, tags } : undefined;
  };
};
