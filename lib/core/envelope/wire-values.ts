/**
 * Readers for protobuf-JSON scalar values as log-cache and the RLP gateway write them
 * (docs/anchor-compatibility.md#wire-envelope): int64 as decimal strings or numbers, doubles as
 * numbers or the strings "NaN"/"Infinity"/"-Infinity". Each reader returns `undefined` for a value
 * of the wrong form.
 */
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const DECIMAL_NUMBER = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export type Wire = Readonly<Record<string, unknown>>;

export const isWireObject = (value: unknown): value is Wire =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * An object as JSON.parse makes it: its prototype is `Object.prototype`, which holds none of an
 * envelope's keys, so a direct read (`raw.source_id`) sees own properties only.
 */
export const isPlainObject = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;

/**
 * The value under the proto field name, else under its lowerCamelCase JSON name. The proto name
 * wins when both are present because every producer writes it (explicit json_name).
 */
export const field = (object: Wire, protoName: string, camelName = protoName): unknown => {
  if (Object.hasOwn(object, protoName) && object[protoName] !== undefined) return object[protoName];
  return Object.hasOwn(object, camelName) ? object[camelName] : undefined;
};

/** Why an integer is unusable, or the integer itself. */
export type IntegerRead =
  | { readonly ok: true; readonly value: bigint }
  | { readonly ok: false; readonly problem: string };

/** `-?[0-9]+`, checked by hand: it runs for every int64 of every envelope. */
export const isDecimalInteger = (text: string): boolean => {
  const n = text.length;
  let i = n > 0 && text.charCodeAt(0) === 45 ? 1 : 0;
  if (i === n) return false;
  for (; i < n; i += 1) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
};

const readInteger = (value: unknown, min: bigint, max: bigint, kind: string): IntegerRead => {
  let parsed: bigint | undefined;
  if (typeof value === 'bigint') parsed = value;
  else if (typeof value === 'string' && isDecimalInteger(value)) parsed = BigInt(value);
  else if (typeof value === 'number') {
    if (!Number.isInteger(value))
      return { ok: false, problem: `is not an ${kind} (a fractional or non-finite number)` };
    // A JSON number beyond 2^53 was already rounded by the decoder; accepting it would invent digits.
    if (!Number.isSafeInteger(value))
      return { ok: false, problem: `is a number beyond 2^53 that has lost precision (send it as a string)` };
    parsed = BigInt(value);
  } else {
    return { ok: false, problem: `is not an ${kind} (expected a decimal string or an integer)` };
  }
  if (parsed < min || parsed > max) return { ok: false, problem: `is out of the ${kind} range` };
  return { ok: true, value: parsed };
};

export const readInt64 = (value: unknown): IntegerRead => readInteger(value, INT64_MIN, INT64_MAX, 'int64');
export const readUint64 = (value: unknown): IntegerRead => readInteger(value, 0n, UINT64_MAX, 'uint64');

/** A double: a JSON number, a big integer literal, a numeric string, or a non-finite name. */
export const readDouble = (value: unknown): number | undefined => {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value !== 'string') return undefined;
  if (value === 'NaN') return Number.NaN;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  return DECIMAL_NUMBER.test(value) ? Number(value) : undefined;
};
