import { parseGoDuration } from './go-duration.ts';
import { isField } from './schema.ts';
import type { Field, Section } from './schema.ts';
import type { RawNode } from './raw-tree.ts';
import { errorText } from '../../core/error-text.ts';

/**
 * Merges a parsed document into the working configuration key by key: absent keys keep their
 * earlier values, null keeps the earlier value (as Go's yaml does for scalars and structs).
 * Strict mode (the -c file) rejects unknown keys; lenient mode (the VCAP overlay) skips them.
 * Type errors are always fatal. Failures are reported as (detail, key) to `fail`.
 */
export interface OverlayOptions {
  readonly strict: boolean;
  readonly fail: (detail: string, key: string | undefined) => Error;
  /** Told about every key this document sets, for error messages that name where a value came from. */
  readonly onSet?: (key: string) => void;
}

const GO_TYPE: Readonly<Record<string, string>> = {
  string: 'string',
  bool: 'bool',
  int: 'int',
  int32: 'int32',
  int64: 'int64',
  duration: 'time.Duration',
};
const INT_RANGE: Readonly<Record<string, readonly [number, number]>> = {
  int: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  int32: [-(2 ** 31), 2 ** 31 - 1],
};

const describe = (node: RawNode): string => {
  if (node.kind === 'map') return '!!map';
  if (node.kind === 'seq') return '!!seq';
  const tag =
    typeof node.value === 'string'
      ? '!!str'
      : typeof node.value === 'boolean'
        ? '!!bool'
        : typeof node.value === 'number'
          ? Number.isInteger(node.value)
            ? '!!int'
            : '!!float'
          : '!!null';
  return `${tag} \`${node.text}\``;
};

const typeName = (path: string): string => (path === '' ? 'config.Config' : `config.Config.${path}`);

const decodeField = (spec: Field<unknown>, node: RawNode, key: string, options: OverlayOptions): unknown => {
  const goType = spec.type === 'choice' ? `one of ${(spec.choices ?? []).join(', ')}` : GO_TYPE[spec.type];
  const mismatch = (reason?: string) =>
    options.fail(`${key}: cannot construct ${describe(node)} into ${goType}${reason ? ` (${reason})` : ''}`, key);
  if (node.kind !== 'scalar') throw mismatch();
  const { value } = node;
  switch (spec.type) {
    case 'string':
      // Go's yaml accepts any scalar into a string field and keeps its source text.
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return node.text;
      throw mismatch();
    case 'bool':
      if (typeof value === 'boolean') return value;
      throw mismatch();
    case 'int':
    case 'int32':
    case 'int64': {
      const [min, max] = INT_RANGE[spec.type] ?? [0, 0];
      if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
      throw mismatch();
    }
    case 'duration':
      // A bare number is rejected: Go's yaml v3 does not decode integers into time.Duration.
      if (typeof value !== 'string') throw mismatch();
      try {
        return parseGoDuration(value);
      } catch (err) {
        throw mismatch(errorText(err));
      }
    case 'choice':
      if (typeof value === 'string' && (spec.choices ?? []).includes(value)) return value;
      throw mismatch();
  }
};

const overlaySection = (
  schema: Section,
  target: Record<string, unknown>,
  node: RawNode,
  path: string,
  options: OverlayOptions,
): void => {
  if (node.kind === 'scalar' && node.value === null) return;
  if (node.kind !== 'map')
    throw options.fail(
      `${path ? `${path}: ` : ''}cannot construct ${describe(node)} into ${typeName(path)}`,
      path || undefined,
    );
  for (const [name, child] of node.entries) {
    const key = path ? `${path}.${name}` : name;
    const spec = Object.hasOwn(schema, name) ? schema[name] : undefined;
    if (spec === undefined) {
      if (options.strict) throw options.fail(`field ${name} not found in type ${typeName(path)}`, key);
      continue;
    }
    if (isField(spec)) {
      if (child.kind === 'scalar' && child.value === null) continue;
      target[name] = decodeField(spec, child, key, options);
      options.onSet?.(key);
    } else {
      overlaySection(spec, target[name] as Record<string, unknown>, child, key, options);
    }
  }
};

/** Applies `node` onto `target` (a mutable copy of the defaults shaped by `schema`). */
export const overlay = (
  schema: Section,
  target: Record<string, unknown>,
  node: RawNode,
  options: OverlayOptions,
): void => overlaySection(schema, target, node, '', options);
