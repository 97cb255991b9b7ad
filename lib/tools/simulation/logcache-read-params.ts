import type { EnvelopeKind } from './logcache-store.ts';
import { errorText } from '../../core/error-text.ts';

export interface ReadQuery {
  readonly start: bigint;
  /** undefined = "now" on the serving node. */
  readonly end: bigint | undefined;
  readonly limit: number;
  readonly types: ReadonlySet<EnvelopeKind>;
  readonly descending: boolean;
  readonly nameFilter: RegExp | undefined;
}

/**
 * A gRPC-status error document as grpc-gateway writes it (docs/anchor-compatibility.md#wire-read).
 */
export interface ReadParamError {
  readonly status: number;
  readonly body: { code: number; message: string; details: [] };
}

export type ReadParamResult =
  | { readonly ok: true; readonly query: ReadQuery }
  | { readonly ok: false; readonly error: ReadParamError };

const invalid = (message: string): ReadParamResult => ({
  ok: false,
  error: { status: 400, body: { code: 3, message, details: [] } },
});
const unknown = (message: string): ReadParamResult => ({
  ok: false,
  error: { status: 500, body: { code: 2, message, details: [] } },
});

const TYPE_NAMES: readonly (EnvelopeKind | 'ANY')[] = ['ANY', 'LOG', 'COUNTER', 'GAUGE', 'TIMER', 'EVENT'];
const BOOLEANS = new Map([
  ['1', true],
  ['t', true],
  ['T', true],
  ['true', true],
  ['TRUE', true],
  ['True', true],
  ['0', false],
  ['f', false],
  ['F', false],
  ['false', false],
  ['FALSE', false],
  ['False', false],
]);

class ParamFailure extends Error {
  override readonly name = 'ParamFailure' as const;
}

/**
 * Parses a read's query string the way log-cache's grpc-gateway does
 * (docs/anchor-compatibility.md#wire-read): proto names or lowerCamel names, a single value per
 * scalar field, nanosecond integers, repeated enum names. Unparsable values are 400 (code 3);
 * values the store refuses are 500 (code 2), as upstream.
 */
export const parseReadParams = (params: URLSearchParams): ReadParamResult => {
  const single = (name: string, camel: string): string | undefined => {
    const values = camel === name ? params.getAll(name) : [...params.getAll(name), ...params.getAll(camel)];
    if (values.length > 1) throw new ParamFailure(`too many values for field "${name}": ${values.join(', ')}`);
    return values[0];
  };
  const int64 = (name: string, camel: string): bigint | undefined => {
    const raw = single(name, camel);
    if (raw === undefined) return undefined;
    if (!/^[+-]?\d+$/.test(raw))
      throw new ParamFailure(
        `parsing field "${name}": strconv.ParseInt: parsing ${JSON.stringify(raw)}: invalid syntax`,
      );
    const value = BigInt(raw);
    if (value > 9223372036854775807n || value < -9223372036854775808n)
      throw new ParamFailure(
        `parsing field "${name}": strconv.ParseInt: parsing ${JSON.stringify(raw)}: value out of range`,
      );
    return value;
  };
  try {
    const start = int64('start_time', 'startTime') ?? 0n;
    const endRaw = int64('end_time', 'endTime') ?? 0n;
    const limitRaw = int64('limit', 'limit') ?? 0n;
    const descendingRaw = single('descending', 'descending');
    const descending = descendingRaw === undefined ? false : BOOLEANS.get(descendingRaw);
    if (descending === undefined)
      throw new ParamFailure(
        `parsing field "descending": strconv.ParseBool: parsing ${JSON.stringify(descendingRaw)}: invalid syntax`,
      );
    const types = new Set<EnvelopeKind>();
    for (const raw of [...params.getAll('envelope_types'), ...params.getAll('envelopeTypes')]) {
      const name = /^\d+$/.test(raw) ? TYPE_NAMES[Number(raw)] : TYPE_NAMES.find((t) => t === raw);
      if (name === undefined)
        throw new ParamFailure(`parsing field "envelope_types": ${JSON.stringify(raw)} is not valid`);
      if (name !== 'ANY') types.add(name);
    }
    const filterText = single('name_filter', 'nameFilter');

    if (limitRaw > 1000n) return unknown(`limit (${limitRaw}) must be 1000 or less`);
    if (limitRaw < 0n) return unknown(`limit (${limitRaw}) must be greater than or equal to 0`);
    const end = endRaw === 0n ? undefined : endRaw;
    if (end !== undefined && start > end) return unknown(`StartTime (${start}) must be before EndTime (${end})`);
    let nameFilter: RegExp | undefined;
    if (filterText !== undefined && filterText !== '') {
      try {
        nameFilter = new RegExp(filterText);
      } catch (err) {
        return unknown(`name filter must be a valid regular expression: ${errorText(err)}`);
      }
    }
    return {
      ok: true,
      query: { start, end, limit: limitRaw === 0n ? 100 : Number(limitRaw), types, descending, nameFilter },
    };
  } catch (err) {
    if (err instanceof ParamFailure) return invalid(err.message);
    throw err;
  }
};
