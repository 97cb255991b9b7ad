import { parse as parseBigIntJson, stringify } from '../core/json/bigint-json.ts';
import { parsePolicy } from '../core/policy/parse-policy.ts';
import type { ReplayPolicies } from './replay-policies.ts';

/** One `--vary <path>=<v1>,<v2>,...`: a policy field and the values to try in it. */
export interface Variation {
  readonly path: string;
  readonly segments: readonly (string | number)[];
  /** The values as given; numbers are checked against the base policy's field type when applied. */
  readonly values: readonly string[];
}

/** The cartesian product may not exceed this many candidates. */
export const MAX_CANDIDATES = 1000;

const SEGMENT = /^([a-z_][a-z0-9_]*)((?:\[\d+\])*)$/i;
const NUMBER = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

/** Reads one `--vary` argument; throws an Error whose message names the fault. */
export const parseVariation = (text: string): Variation => {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new Error(`--vary ${JSON.stringify(text)}: expected <path>=<v1>,<v2>,...`);
  const path = text.slice(0, eq).trim();
  const segments: (string | number)[] = [];
  for (const part of path.split('.')) {
    const m = SEGMENT.exec(part);
    if (!m)
      throw new Error(
        `--vary: ${JSON.stringify(path)} is not a policy field path (e.g. instance_max_count, scaling_rules[0].threshold)`,
      );
    segments.push(m[1]!);
    for (const index of m[2]!.matchAll(/\[(\d+)\]/g)) segments.push(Number(index[1]));
  }
  const values = text
    .slice(eq + 1)
    .split(',')
    .map((v) => v.trim());
  if (values.some((v) => v === ''))
    throw new Error(`--vary ${path}: empty value in ${JSON.stringify(text.slice(eq + 1))}`);
  if (new Set(values).size !== values.length) throw new Error(`--vary ${path}: a value is listed twice`);
  return { path, segments, values };
};

/** A policy of the sweep: the base with some fields set. */
export interface Candidate {
  /** Position in the list of valid candidates. */
  readonly index: number;
  /** path → value as given; empty for the base policy. */
  readonly changes: Readonly<Record<string, string>>;
  readonly base: boolean;
  readonly policies: ReplayPolicies;
  /** The policy document(s) as JSON: one policy, or app id → policy. */
  readonly document: unknown;
}

export interface InvalidCandidate {
  readonly changes: Readonly<Record<string, string>>;
  readonly reason: string;
}

export interface CandidateSet {
  readonly candidates: readonly Candidate[];
  /** Candidates the service would reject, with the reason it would give. */
  readonly invalid: readonly InvalidCandidate[];
}

const describePath = (segments: readonly (string | number)[]): string =>
  segments.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');

const isRawJson = (value: unknown): boolean => (JSON as unknown as { isRawJSON(v: unknown): boolean }).isRawJSON(value);

/** A deep copy that keeps raw JSON values (structuredClone would turn them into plain objects). */
const clone = (value: unknown): unknown => {
  if (value === null || typeof value !== 'object' || isRawJson(value)) return value;
  if (Array.isArray(value)) return value.map(clone);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clone(v)]));
};

/** Sets the field in a copy of `doc`; throws when the base has no such field or the value does not fit its type. */
const setField = (doc: unknown, variation: Variation, value: string, where: string): unknown => {
  const copy = clone(doc);
  let node: unknown = copy;
  const { segments } = variation;
  for (let i = 0; i < segments.length - 1; i += 1) {
    const key = segments[i]!;
    const next =
      node !== null && typeof node === 'object' ? (node as Record<string | number, unknown>)[key] : undefined;
    if (next === null || typeof next !== 'object')
      throw new Error(`--vary ${variation.path}: ${where}has no ${describePath(segments.slice(0, i + 1))}`);
    node = next;
  }
  const last = segments.at(-1)!;
  const holder = node as Record<string | number, unknown>;
  if (!Object.hasOwn(holder, last)) throw new Error(`--vary ${variation.path}: ${where}has no field ${variation.path}`);
  const current = holder[last];
  if (typeof current === 'number' || typeof current === 'bigint' || isRawJson(current)) {
    if (!NUMBER.test(value)) throw new Error(`--vary ${variation.path}: ${JSON.stringify(value)} is not a number`);
    // The text goes in as written, so the policy parser judges 1.5 or 1e3 as the service would.
    holder[last] = JSON.rawJSON(value);
  } else if (typeof current === 'string') holder[last] = value;
  else throw new Error(`--vary ${variation.path}: ${where}field ${variation.path} is not a number or a string`);
  return copy;
};

/**
 * The base policy (first) and the cartesian product of the variations applied to it, the first
 * `--vary` changing slowest. Each candidate is checked by the service's own policy parser and
 * skipped, with its reason, when the service would reject it. A product equal to the base is not
 * repeated. Throws on unknown paths, ill-typed values and a product over MAX_CANDIDATES.
 */
export const buildCandidates = (base: ReplayPolicies, variations: readonly Variation[]): CandidateSet => {
  const total = variations.reduce((n, v) => n * v.values.length, 1);
  if (total > MAX_CANDIDATES)
    throw new Error(
      `--vary: ${variations.map((v) => v.values.length).join(' x ')} = ${total} candidates, more than ${MAX_CANDIDATES}; vary fewer values at once`,
    );
  const docs =
    base.kind === 'shared'
      ? new Map([['', parseBigIntJson(base.text)]])
      : new Map([...base.texts].map(([appId, text]) => [appId, parseBigIntJson(text)]));
  const baseKey = stringify([...docs]);
  const candidates: Candidate[] = [];
  const invalid: InvalidCandidate[] = [];
  const toCandidate = (changes: Record<string, string>, current: Map<string, unknown>, isBase: boolean) => {
    const texts = new Map([...current].map(([appId, doc]) => [appId, stringify(doc)]));
    for (const [appId, text] of texts) {
      const parsed = parsePolicy(appId || 'policy', text);
      if (!parsed.ok) {
        invalid.push({ changes, reason: `${appId ? `app ${appId}: ` : ''}${parsed.reason}` });
        return;
      }
    }
    const policies: ReplayPolicies =
      base.kind === 'shared' ? { kind: 'shared', text: texts.get('')! } : { kind: 'per-app', texts };
    const document = base.kind === 'shared' ? current.get('') : Object.fromEntries(current);
    candidates.push({ index: candidates.length, changes, base: isBase, policies, document });
  };
  toCandidate({}, docs, true);
  const walk = (k: number, changes: Record<string, string>, current: Map<string, unknown>): void => {
    if (k === variations.length) {
      if (stringify([...current]) !== baseKey) toCandidate(changes, current, false);
      return;
    }
    const variation = variations[k]!;
    for (const value of variation.values) {
      const next = new Map<string, unknown>();
      for (const [appId, doc] of current)
        next.set(appId, setField(doc, variation, value, appId ? `the policy of app ${appId} ` : 'the base policy '));
      walk(k + 1, { ...changes, [variation.path]: value }, next);
    }
  };
  if (variations.length > 0) walk(0, {}, docs);
  return { candidates, invalid };
};

/** `scaling_rules[0].threshold=60, instance_max_count=8`, or `base policy`. */
export const describeChanges = (changes: Readonly<Record<string, string>>): string => {
  const parts = Object.entries(changes).map(([path, value]) => `${path}=${value}`);
  return parts.length === 0 ? 'base policy' : parts.join(', ');
};
