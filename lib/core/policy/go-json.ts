/**
 * Decoding of JSON documents into fixed shapes with the semantics of Go's `encoding/json`, which
 * the stored policies and the scaling engine's replies were written against
 * (docs/anchor-compatibility.md#policy-parsing): keys match case-insensitively, `null` leaves a
 * field at its zero value, unknown keys are ignored, integer fields accept only integer literals
 * within int64, and any type error fails the document.
 */

export type Shape = 'string' | 'int' | { readonly fields: Readonly<Record<string, Shape>> } | { readonly items: Shape };

/** A decoded value: string, bigint (int fields), object, array, or undefined for JSON null. */
export type Decoded = string | bigint | undefined | DecodedObject | Decoded[];
export interface DecodedObject {
  readonly [field: string]: Decoded;
}

export class JsonShapeError extends Error {
  override name = 'JsonShapeError' as const;
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${path || 'document'}: ${message}`);
    this.path = path;
  }
}

/** A number kept as its source text, so `30`, `30.0` and `3e1` stay distinguishable. */
interface NumberLiteral {
  readonly numberLiteral: string;
}
const isNumberLiteral = (v: unknown): v is NumberLiteral =>
  typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === numberProto;
const numberProto = Object.freeze({});

/** JSON.parse that keeps every number's source text. Throws SyntaxError on malformed text. */
export const parseKeepingNumbers = (text: string): unknown =>
  JSON.parse(text, (_key, value, context) =>
    typeof value === 'number'
      ? Object.assign(Object.create(numberProto) as object, { numberLiteral: context.source ?? String(value) })
      : value,
  );

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const describe = (v: unknown): string => {
  if (isNumberLiteral(v)) return `number ${v.numberLiteral}`;
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'boolean') return `bool ${v}`;
  if (Array.isArray(v)) return 'array';
  return 'object';
};

const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);

/** Go matches the exact field name first, then any case-insensitive spelling. */
const fieldFor = (fields: Readonly<Record<string, Shape>>, key: string): string | undefined => {
  if (Object.hasOwn(fields, key)) return key;
  const folded = key.toLowerCase();
  return Object.keys(fields).find((name) => name.toLowerCase() === folded);
};

/** Decodes a value parsed by parseKeepingNumbers into `shape`; throws JsonShapeError at the first mismatch. */
export const decode = (value: unknown, shape: Shape, path = ''): Decoded => {
  if (value === null) return undefined;
  if (shape === 'string') {
    if (typeof value !== 'string') throw new JsonShapeError(path, `expected a string, got ${describe(value)}`);
    return value;
  }
  if (shape === 'int') {
    if (!isNumberLiteral(value) || !/^-?\d+$/.test(value.numberLiteral)) {
      throw new JsonShapeError(path, `expected an integer literal, got ${describe(value)}`);
    }
    const n = BigInt(value.numberLiteral);
    if (n < INT64_MIN || n > INT64_MAX)
      throw new JsonShapeError(path, `integer ${value.numberLiteral} is out of the int64 range`);
    return n;
  }
  if ('items' in shape) {
    if (!Array.isArray(value)) throw new JsonShapeError(path, `expected an array, got ${describe(value)}`);
    return value.map((item, i) => decode(item, shape.items, `${path}[${i}]`));
  }
  if (typeof value !== 'object' || Array.isArray(value) || isNumberLiteral(value)) {
    throw new JsonShapeError(path, `expected an object, got ${describe(value)}`);
  }
  const out: Record<string, Decoded> = {};
  for (const [key, raw] of Object.entries(value)) {
    const field = fieldFor(shape.fields, key);
    if (field === undefined) continue;
    const fieldShape = shape.fields[field]!;
    const decoded = decode(raw, fieldShape, join(path, key));
    // Go: null resets a slice to nil but leaves a scalar or struct field as it was.
    if (decoded !== undefined) out[field] = decoded;
    else if (typeof fieldShape === 'object' && 'items' in fieldShape) delete out[field];
  }
  return out;
};
