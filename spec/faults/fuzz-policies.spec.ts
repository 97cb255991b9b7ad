import { suite } from 'uvu';
import fc from 'fast-check';
import { parsePolicy } from '../../lib/core/policy/parse-policy.ts';
import type { ParsedPolicy } from '../../lib/core/policy/parse-policy.ts';
import { buildPolicyMap } from '../../lib/core/policy/policy-map.ts';
import { createPolicyStore } from '../../lib/adapters/stores/policy-store.ts';
import type { PolicyRow } from '../../lib/core/model/policy.ts';
import { stringify } from '../../lib/core/json/bigint-json.ts';
import { openTestDatabase } from '../support/database.ts';
import { loudHook } from '../support/loud-hook.ts';
import { bounded } from '../support/until.ts';

// --- generators -----------------------------------------------------------------------------

const INT64 = { min: -(2n ** 63n), max: 2n ** 63n - 1n };
const RULE_INT_FIELDS = ['breach_duration_secs', 'threshold', 'cool_down_secs'] as const;
const RULE_STRING_FIELDS = ['metric_type', 'operator', 'adjustment'] as const;
const TOP_INT_FIELDS = ['instance_min_count', 'instance_max_count'] as const;

/**
 * A rule as the API server stores it (its JSON schema's limits,
 * docs/anchor-compatibility.md#policy-json); ints as bigint.
 */
const validRule = fc.record({
  metric_type: fc.stringMatching(/^[a-zA-Z0-9_]{1,100}$/),
  breach_duration_secs: fc.bigInt({ min: 60n, max: 3600n }),
  threshold: fc.bigInt(INT64),
  operator: fc.constantFrom('<', '<=', '>', '>='),
  cool_down_secs: fc.bigInt({ min: 60n, max: 3600n }),
  adjustment: fc.stringMatching(/^[-+][1-9][0-9]{0,3}%?$/),
});
type RuleDoc = Record<string, unknown>;
type PolicyDoc = {
  instance_min_count: bigint;
  instance_max_count: bigint;
  scaling_rules: RuleDoc[];
  [key: string]: unknown;
};

const validPolicy: fc.Arbitrary<PolicyDoc> = fc
  .record({
    instance_min_count: fc.bigInt({ min: 1n, max: 50n }),
    instance_max_count: fc.bigInt({ min: 1n, max: 100n }),
    scaling_rules: fc.array(validRule, { maxLength: 5 }),
    schedules: fc.option(
      fc.record({
        timezone: fc.constantFrom('Europe/Berlin', 'UTC'),
        recurring_schedule: fc.constant([]),
        specific_date: fc.constant([]),
      }),
      { nil: undefined },
    ),
  })
  .map((p) => (p.schedules === undefined ? { ...p, schedules: undefined } : p) as PolicyDoc);

const raw = (text: string): unknown => JSON.rawJSON(text);
/** Values Go refuses for an int field: strings, fractions, exponents, out of int64, other types. */
const notAnInt = fc.oneof(
  fc.integer().map(String),
  fc
    .constantFrom(
      '30.5',
      '1e3',
      '30.0',
      '-1.5E2',
      '0.1',
      '9223372036854775808',
      '-9223372036854775809',
      `1${'0'.repeat(25)}`,
    )
    .map(raw),
  fc.boolean(),
  fc.dictionary(fc.string(), fc.integer(), { maxKeys: 2 }),
  fc.array(fc.integer(), { maxLength: 2 }),
);
/** Values Go refuses for a string field. */
const notAString = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }),
  fc.array(fc.string(), { maxLength: 2 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

const text = (doc: unknown): string => stringify(doc);

/** What parsePolicy must return for a valid document. */
const expectedRules = (doc: PolicyDoc) =>
  doc.scaling_rules.map((r) => ({
    metricType: r.metric_type,
    breachDurationSecs: Number(r.breach_duration_secs),
    threshold: r.threshold,
    operator: r.operator,
    coolDownSecs: Number(r.cool_down_secs),
    adjustment: r.adjustment,
  }));

/** A parse result is well-formed: a rejection has a reason; an acceptance has typed fields. */
const wellFormed = (appId: string, result: ParsedPolicy): boolean => {
  if (!result.ok) return typeof result.reason === 'string' && result.reason.trim().length > 0;
  const p = result.policy;
  return (
    p.appId === appId &&
    Number.isFinite(p.instanceMinCount) &&
    Number.isFinite(p.instanceMaxCount) &&
    p.rules.every(
      (r) =>
        typeof r.metricType === 'string' &&
        typeof r.operator === 'string' &&
        typeof r.adjustment === 'string' &&
        typeof r.threshold === 'bigint' &&
        Number.isFinite(r.breachDurationSecs) &&
        Number.isFinite(r.coolDownSecs),
    )
  );
};

const rejectedNaming = (result: ParsedPolicy, path: string): boolean =>
  !result.ok && result.reason.includes(path) && result.reason.length > path.length;

const RUNS = { numRuns: 2_000 };

// ---
const parse = suite('parsePolicy under generated input');

parse('accepts every valid policy with its values exact and no warning', () => {
  fc.assert(
    fc.property(validPolicy, (doc) => {
      const result = parsePolicy('app', text(doc));
      return (
        result.ok &&
        result.warnings.length === 0 &&
        stringify(result.policy.rules) === stringify(expectedRules(doc)) &&
        result.policy.instanceMinCount === Number(doc.instance_min_count)
      );
    }),
    { numRuns: 1_000 },
  );
});

parse('never throws on arbitrary text and gives every rejection a reason', () => {
  const anyText = fc.oneof(
    fc.string({ unit: 'binary' }),
    fc.json(),
    fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null'),
    fc.string({ unit: 'grapheme' }),
  );
  fc.assert(
    fc.property(anyText, (input) => wellFormed('app', parsePolicy('app', input))),
    RUNS,
  );
});

parse('rejects every proper prefix of a valid policy as invalid JSON', () => {
  const cut = validPolicy.chain((doc) =>
    fc.integer({ min: 0, max: text(doc).length - 1 }).map((n) => text(doc).slice(0, n)),
  );
  fc.assert(
    fc.property(cut, (prefix) => {
      const result = parsePolicy('app', prefix);
      return !result.ok && result.reason.startsWith('policy_json is not valid JSON');
    }),
    RUNS,
  );
});

parse('rejects a wrong-typed rule field with a reason naming the field', () => {
  const mutation = fc
    .tuple(
      validPolicy.filter((d) => d.scaling_rules.length > 0),
      fc.nat(),
      fc.boolean(),
      fc.nat(),
      notAnInt,
      notAString,
    )
    .map(([doc, i, intField, f, badInt, badString]) => {
      const index = i % doc.scaling_rules.length;
      const field = intField
        ? RULE_INT_FIELDS[f % RULE_INT_FIELDS.length]!
        : RULE_STRING_FIELDS[f % RULE_STRING_FIELDS.length]!;
      const rules = doc.scaling_rules.map((r, j) =>
        j === index ? { ...r, [field]: intField ? badInt : badString } : r,
      );
      return { doc: { ...doc, scaling_rules: rules }, path: `scaling_rules[${index}].${field}` };
    });
  fc.assert(
    fc.property(mutation, ({ doc, path }) => rejectedNaming(parsePolicy('app', text(doc)), path)),
    RUNS,
  );
});

parse('rejects wrong-typed top-level fields, rules and schedules, naming where', () => {
  const notAnArray = fc.oneof(
    fc.string(),
    fc.integer(),
    fc.boolean(),
    fc.dictionary(fc.string(), fc.integer(), { maxKeys: 2 }),
  );
  const notAnObject = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.array(fc.integer(), { maxLength: 2 }));
  const mutation = fc.oneof(
    fc
      .tuple(validPolicy, fc.constantFrom(...TOP_INT_FIELDS), notAnInt)
      .map(([doc, field, bad]) => ({ doc: { ...doc, [field]: bad }, path: field })),
    fc
      .tuple(validPolicy, notAnArray)
      .map(([doc, bad]) => ({ doc: { ...doc, scaling_rules: bad }, path: 'scaling_rules' })),
    fc.tuple(validPolicy, fc.nat(), notAnObject).map(([doc, i, bad]) => {
      const rules: unknown[] = [...doc.scaling_rules];
      const index = i % (rules.length + 1);
      rules.splice(index, 0, bad);
      return { doc: { ...doc, scaling_rules: rules }, path: `scaling_rules[${index}]` };
    }),
    fc
      .tuple(validPolicy, notAString)
      .map(([doc, bad]) => ({ doc: { ...doc, schedules: { timezone: bad } }, path: 'schedules.timezone' })),
    fc.tuple(validPolicy, notAnInt).map(([doc, bad]) => ({
      doc: { ...doc, schedules: { specific_date: [{ instance_min_count: bad }] } },
      path: 'schedules.specific_date[0].instance_min_count',
    })),
  );
  fc.assert(
    fc.property(mutation, ({ doc, path }) => rejectedNaming(parsePolicy('app', text(doc)), path)),
    RUNS,
  );
});

parse('accepts nulls, unknown keys and re-cased keys the way Go does', () => {
  const variant = fc
    .tuple(
      validPolicy.filter((d) => d.scaling_rules.length > 0),
      fc.nat(),
      fc.nat(),
      fc.constantFrom('null', 'unknown', 'case'),
      fc.jsonValue(),
    )
    .map(([doc, i, f, kind, extra]) => {
      const index = i % doc.scaling_rules.length;
      const field = [...RULE_INT_FIELDS, ...RULE_STRING_FIELDS][f % 6]!;
      const rule = doc.scaling_rules[index]!;
      let changed: RuleDoc;
      if (kind === 'null') changed = { ...rule, [field]: null };
      else if (kind === 'unknown') changed = { ...rule, [`x_${field}`]: extra };
      else changed = Object.fromEntries(Object.entries(rule).map(([k, v]) => [k === field ? k.toUpperCase() : k, v]));
      return {
        doc,
        mutated: { ...doc, scaling_rules: doc.scaling_rules.map((r, j) => (j === index ? changed : r)) },
        index,
        field,
        kind,
      };
    });
  fc.assert(
    fc.property(variant, ({ doc, mutated, index, field, kind }) => {
      const result = parsePolicy('app', text(mutated));
      if (!result.ok) return false;
      const expected = expectedRules(doc);
      if (kind === 'null') {
        // Go leaves a field given as null at its zero value.
        const zero = {
          metric_type: ['metricType', ''],
          operator: ['operator', ''],
          adjustment: ['adjustment', ''],
          threshold: ['threshold', 0n],
          breach_duration_secs: ['breachDurationSecs', 0],
          cool_down_secs: ['coolDownSecs', 0],
        } as const;
        const [key, value] = zero[field];
        expected[index] = { ...expected[index]!, [key]: value };
      }
      return stringify(result.policy.rules) === stringify(expected);
    }),
    RUNS,
  );
});

parse('skips null rules with a warning and keeps the others', () => {
  const withNulls = fc.tuple(validPolicy, fc.array(fc.nat(), { minLength: 1, maxLength: 3 })).map(([doc, spots]) => {
    const rules: unknown[] = [...doc.scaling_rules];
    for (const s of spots) rules.splice(s % (rules.length + 1), 0, null);
    return { doc, mutated: { ...doc, scaling_rules: rules }, nulls: spots.length };
  });
  fc.assert(
    fc.property(withNulls, ({ doc, mutated, nulls }) => {
      const result = parsePolicy('app', text(mutated));
      return (
        result.ok &&
        result.warnings.length === nulls &&
        stringify(result.policy.rules) === stringify(expectedRules(doc))
      );
    }),
    { numRuns: 500 },
  );
});

parse.run();

// ---
const map = suite('buildPolicyMap with good and bad rows');

const notJson = fc.string().filter((candidate) => {
  try {
    JSON.parse(candidate);
    return false;
  } catch {
    return true;
  }
});

/** A row set: unique apps, each with a valid policy or a broken one, in random order. */
const rowSet = fc.uniqueArray(fc.stringMatching(/^[a-z0-9-]{1,20}$/), { minLength: 1, maxLength: 40 }).chain((ids) =>
  fc.tuple(
    ...ids.map((id) =>
      fc.oneof(
        validPolicy.map((doc) => ({ appId: id, good: true, policyJson: text(doc) as string | null })),
        fc
          .oneof(
            notJson,
            fc.constant(null),
            validPolicy.map((doc) => text({ ...doc, scaling_rules: 'x' })),
            validPolicy.map((doc) => text(doc).slice(0, -1)),
          )
          .map((bad) => ({ appId: id, good: false, policyJson: bad })),
      ),
    ),
  ),
);

map('keeps every good row and rejects every bad one with a reason, whatever the mix and the shard', () => {
  fc.assert(
    fc.property(rowSet, fc.func(fc.boolean()), (rows, owns) => {
      const built = buildPolicyMap(rows, (appId) => owns(appId));
      const owned = rows.filter((r) => owns(r.appId));
      const goodIds = owned
        .filter((r) => r.good)
        .map((r) => r.appId)
        .sort();
      const badIds = owned
        .filter((r) => !r.good)
        .map((r) => r.appId)
        .sort();
      return (
        JSON.stringify([...built.policies.keys()].sort()) === JSON.stringify(goodIds) &&
        JSON.stringify(built.rejected.map((r) => r.appId).sort()) === JSON.stringify(badIds) &&
        built.rejected.every((r) => r.reason.trim().length > 0)
      );
    }),
    { numRuns: 300 },
  );
});

map.run();

// ---
type Db = Awaited<ReturnType<typeof openTestDatabase>>;
const stored = suite<{ db: Db }>('policy_json rows through the real store');

stored.before(
  loudHook('setup', async (context: { db: Db }) => {
    context.db = await bounded('opening the test database', 30_000, openTestDatabase());
  }),
);
stored.after(async (context) => {
  await bounded('closing the test database', 15_000, context.db?.close() ?? Promise.resolve());
});

stored('reads good, shape-broken and NULL policies side by side and loses none of the good ones', async ({ db }) => {
  const store = createPolicyStore(db.sql);
  // JSON the column accepts but the policy format does not, and SQL NULL.
  const brokenJson = fc.oneof(
    validPolicy.map((doc) => text({ ...doc, scaling_rules: [{ threshold: '70' }] })),
    fc
      .jsonValue()
      .filter((v) => v !== null && (typeof v !== 'object' || Array.isArray(v)))
      .map((v) => JSON.stringify(v)),
    fc.constant(null),
  );
  const rows = fc.uniqueArray(fc.stringMatching(/^[a-z0-9]{1,30}$/), { minLength: 1, maxLength: 30 }).chain((ids) =>
    fc.tuple(
      ...ids.map((id) =>
        fc.oneof(
          validPolicy.map((doc) => ({
            appId: id,
            doc: doc as PolicyDoc | undefined,
            json: text(doc) as string | null,
          })),
          brokenJson.map((json) => ({ appId: id, doc: undefined, json })),
        ),
      ),
    ),
  );
  await fc.assert(
    fc.asyncProperty(rows, async (generated) => {
      await db.sql`DELETE FROM policy_json`;
      for (const r of generated) {
        await db.sql`INSERT INTO policy_json (app_id, policy_json, guid) VALUES (${r.appId}, CAST(${r.json}::text AS json), 'g')`;
      }
      const read: PolicyRow[] = await store.retrievePolicies();
      const built = buildPolicyMap(read, () => true);
      const good = generated.filter((r) => r.doc !== undefined);
      return (
        built.policies.size === good.length &&
        good.every((r) => stringify(built.policies.get(r.appId)?.rules) === stringify(expectedRules(r.doc!))) &&
        built.rejected.length === generated.length - good.length &&
        built.rejected.every((r) => r.reason.trim().length > 0)
      );
    }),
    { numRuns: 40 },
  );
});

stored.run();
