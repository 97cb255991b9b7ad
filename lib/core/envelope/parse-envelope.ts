import type { Counter, Envelope, GaugeValue, Timer } from '../model/envelope.ts';
import { createCommonEnvelopeReader } from './read-common-envelope.ts';
import { createTagCache } from './tag-cache.ts';
import type { TagCache } from './tag-cache.ts';
import { field, isWireObject, readDouble, readInt64, readUint64 } from './wire-values.ts';
import type { Wire } from './wire-values.ts';
import { errorText } from '../error-text.ts';

export type ParseResult =
  | { readonly ok: true; readonly envelope: Envelope }
  | { readonly ok: false; readonly reason: string };

/**
 * Reads one loggregator v2 envelope from its protobuf-JSON form
 * (docs/anchor-compatibility.md#wire-envelope).
 *
 * Leniency: proto field names and lowerCamelCase are both accepted (the proto name wins), int64 as a
 * decimal string, an integer number or a bigint (from `lib/core/json/bigint-json.ts`), doubles as numbers
 * or "NaN"/"Infinity"/"-Infinity"/numeric strings. Labels default to their proto3 zero value when
 * absent (instance_id "", tags {}, unit "", names "", counter delta 0); the measured values (gauge
 * value, timer start/stop, counter total) and the timestamp and source_id are required, because a
 * default there would invent data.
 *
 * Log and event envelopes are accepted (they are valid, this service just has no use for them) and come
 * back without gauge, timer or counter. An envelope with no message or with several is rejected.
 * Never throws: every problem becomes `{ ok: false, reason }`.
 *
 * Envelopes of one source and instance with equal tags may share one tags object: treat tags as
 * read-only, as their type says.
 */
export const parseEnvelope = (raw: unknown): ParseResult => {
  const read = envelopeOrReason(raw);
  return typeof read === 'string' ? reject(read) : { ok: true, envelope: read };
};

/** `parseEnvelope` without the result wrapper, for loops over many envelopes: the envelope, or why not. */
export const envelopeOrReason = (raw: unknown): Envelope | string => {
  try {
    // The common shape takes the fast reader; anything it declines, the general one reads or rejects.
    const common = readCommonEnvelope(raw);
    if (common !== undefined) return common;
    const result = readEnvelope(raw);
    return result.ok ? result.envelope : result.reason;
  } catch (err) {
    // Exotic inputs (throwing getters, proxies) must not escape as exceptions.
    return `envelope could not be read: ${errorText(err)}`;
  }
};

/**
 * The tag sets of every envelope read: a stream's and a read's envelopes of one instance share one
 * tags object, which the aggregation buffers compare by identity first.
 */
export const sharedTags: TagCache = createTagCache(32_768, 8);
const readCommonEnvelope = createCommonEnvelopeReader(sharedTags);
const MESSAGE_KINDS = ['log', 'counter', 'gauge', 'timer', 'event'] as const;

class Rejection extends Error {
  override name = 'Rejection' as const;
}

const reject = (reason: string): ParseResult => ({ ok: false, reason });
const fail = (reason: string): never => {
  throw new Rejection(reason);
};
const quote = (name: string): string => JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name);
const describe = (value: unknown): string => {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
};
const isAbsent = (value: unknown): boolean => value === undefined || value === null;

const readEnvelope = (raw: unknown): ParseResult => {
  if (!isWireObject(raw)) return reject(`envelope is not a JSON object (got ${describe(raw)})`);
  try {
    const timestamp = readTimestamp(field(raw, 'timestamp'));
    const sourceId = readSourceId(field(raw, 'source_id', 'sourceId'));
    const instanceId = readInstanceId(field(raw, 'instance_id', 'instanceId'));
    const tags = readTags(field(raw, 'tags'));
    const kinds = MESSAGE_KINDS.filter((kind) => !isAbsent(field(raw, kind)));
    const [kind] = kinds;
    if (kind === undefined)
      return reject('envelope carries no message (expected one of log, counter, gauge, timer, event)');
    if (kinds.length > 1) return reject(`envelope carries more than one message (${kinds.join(', ')})`);
    return { ok: true, envelope: { timestamp, sourceId, instanceId, tags, ...readMessage(kind, field(raw, kind)) } };
  } catch (err) {
    if (err instanceof Rejection) return reject(err.message);
    throw err;
  }
};

const readTimestamp = (value: unknown): bigint => {
  if (isAbsent(value)) return fail('timestamp is missing');
  const read = readInt64(value);
  return read.ok ? read.value : fail(`timestamp ${read.problem}`);
};

const readSourceId = (value: unknown): string => {
  if (isAbsent(value)) return fail('source_id is missing');
  if (typeof value !== 'string') return fail(`source_id is not a string (got ${describe(value)})`);
  return value === '' ? fail('source_id is empty') : value;
};

const readInstanceId = (value: unknown): string => {
  if (isAbsent(value)) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  return fail(`instance_id is not a string (got ${describe(value)})`);
};

const readTags = (value: unknown): Readonly<Record<string, string>> => {
  if (isAbsent(value)) return {};
  if (!isWireObject(value)) return fail(`tags is not an object (got ${describe(value)})`);
  const entries = Object.entries(value).map(([key, tag]) =>
    typeof tag === 'string' ? [key, tag] : fail(`tag ${quote(key)} is not a string (got ${describe(tag)})`),
  );
  return Object.fromEntries(entries);
};

const readMessage = (
  kind: (typeof MESSAGE_KINDS)[number],
  value: unknown,
): Pick<Envelope, 'gauge' | 'timer' | 'counter'> => {
  if (!isWireObject(value)) return fail(`${kind} is not an object (got ${describe(value)})`);
  if (kind === 'gauge') return { gauge: readGauge(value) };
  if (kind === 'timer') return { timer: readTimer(value) };
  if (kind === 'counter') return { counter: readCounter(value) };
  return {};
};

const readName = (kind: string, value: unknown): string => {
  if (isAbsent(value)) return '';
  return typeof value === 'string' ? value : fail(`${kind}.name is not a string (got ${describe(value)})`);
};

const readGauge = (gauge: Wire): Readonly<Record<string, GaugeValue>> => {
  const metrics = field(gauge, 'metrics');
  if (isAbsent(metrics)) return {};
  if (!isWireObject(metrics)) return fail(`gauge.metrics is not an object (got ${describe(metrics)})`);
  return Object.fromEntries(Object.entries(metrics).map(([name, metric]) => [name, readGaugeValue(name, metric)]));
};

const readGaugeValue = (name: string, metric: unknown): GaugeValue => {
  if (!isWireObject(metric)) return fail(`gauge metric ${quote(name)} is not an object (got ${describe(metric)})`);
  const unit = field(metric, 'unit');
  if (!isAbsent(unit) && typeof unit !== 'string')
    return fail(`gauge metric ${quote(name)} unit is not a string (got ${describe(unit)})`);
  const raw = field(metric, 'value');
  if (isAbsent(raw)) return fail(`gauge metric ${quote(name)} has no value`);
  const value = readDouble(raw);
  if (value === undefined) return fail(`gauge metric ${quote(name)} value is not a number (got ${describe(raw)})`);
  return { unit: typeof unit === 'string' ? unit : '', value };
};

const readTimer = (timer: Wire): Timer => ({
  name: readName('timer', field(timer, 'name')),
  start: readRequiredInt('timer.start', field(timer, 'start'), readInt64),
  stop: readRequiredInt('timer.stop', field(timer, 'stop'), readInt64),
});

const readCounter = (counter: Wire): Counter => ({
  name: readName('counter', field(counter, 'name')),
  delta: isAbsent(field(counter, 'delta')) ? 0n : readRequiredInt('counter.delta', field(counter, 'delta'), readUint64),
  total: readRequiredInt('counter.total', field(counter, 'total'), readUint64),
});

const readRequiredInt = (path: string, value: unknown, read: typeof readInt64): bigint => {
  if (isAbsent(value)) return fail(`${path} is missing`);
  const result = read(value);
  return result.ok ? result.value : fail(`${path} ${result.problem}`);
};
