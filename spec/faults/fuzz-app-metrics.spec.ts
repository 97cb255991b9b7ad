import { suite } from 'uvu';
import fc from 'fast-check';
import { asyncScheduler, defer, from, lastValueFrom, timeout, toArray } from 'rxjs';
import { createAppMetricStore } from '../../lib/adapters/stores/app-metric-store.ts';
import { APP_METRIC_LIMITS } from '../../lib/adapters/stores/app-metric-limits.ts';
import type { AppMetric } from '../../lib/core/model/app-metric.ts';
import { persistMetrics } from '../../pipelines/persist-metrics.ts';
import { openTestDatabase } from '../support/database.ts';
import { loudHook } from '../support/loud-hook.ts';
import { bounded } from '../support/until.ts';

type Db = Awaited<ReturnType<typeof openTestDatabase>>;
interface Context {
  db: Db;
}
interface Generated {
  readonly metric: AppMetric;
  readonly storable: boolean;
}

// --- generators -----------------------------------------------------------------------------

const INT64 = { min: -(2n ** 63n), max: 2n ** 63n - 1n };
/** Generated metrics name this app; each run of a property moves them to a fresh one (see `inApp`). */
const APP = 'APP';

/** Cuts at a code point boundary, within `max` UTF-16 units (the length the width checks use). */
const fit = (text: string, max: number): string => {
  let out = '';
  for (const codePoint of text) {
    if (out.length + codePoint.length > max) break;
    out += codePoint;
  }
  return out;
};

/** Text the table stores unchanged: valid Unicode (astral included), quotes, backslashes, SQL-ish, no NUL. */
const storableText = (maxLength: number) =>
  fc
    .oneof(
      fc.string({ unit: 'grapheme', maxLength }),
      fc.constantFrom("'; DROP TABLE app_metric; --", '\\x00', '"quoted"', '   ', 'é\u0301', '🚀'),
    )
    // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is the character being removed
    .map((s) => fit(s.replace(/\u0000/g, ''), maxLength));

/** A metric the table can hold, right up to every column width. */
const storable = fc
  .record({
    name: fc.oneof(fc.stringMatching(/^[a-z_]{1,20}$/), fc.constant('m'.repeat(APP_METRIC_LIMITS.metricType))),
    unit: fc.oneof(storableText(APP_METRIC_LIMITS.unit), fc.constant('u'.repeat(APP_METRIC_LIMITS.unit))),
    value: fc.oneof(fc.bigInt(INT64).map(String), fc.constant(''), storableText(200), fc.constant('9'.repeat(10_000))),
    timestamp: fc.bigInt(INT64),
  })
  .map((m): Generated => ({ metric: { appId: APP, ...m }, storable: true }));

/** A metric that cannot be stored, broken in one known way. */
const unstorable = fc.tuple(storable, fc.nat({ max: 7 })).map(([{ metric: m }, how]): Generated => {
  const broken: AppMetric = [
    { ...m, unit: 'u'.repeat(APP_METRIC_LIMITS.unit + 1) },
    { ...m, name: 'm'.repeat(APP_METRIC_LIMITS.metricType + 1) },
    { ...m, name: '' },
    { ...m, appId: '' },
    { ...m, appId: APP + 'a'.repeat(APP_METRIC_LIMITS.appId) },
    { ...m, value: `1\u00002` },
    { ...m, unit: '%\u0000' },
    { ...m, timestamp: how % 2 === 0 ? 2n ** 63n : -(2n ** 63n) - 1n },
  ][how]!;
  return { metric: broken, storable: false };
});

const batch = fc.array(fc.oneof({ weight: 3, arbitrary: storable }, { weight: 2, arbitrary: unstorable }), {
  minLength: 1,
  maxLength: 40,
});

let runs = 0;
/** The generated items moved to an app of their own, so that each run (and each shrink) reads only its rows. */
const inApp = (items: readonly Generated[]): { appId: string; items: Generated[] } => {
  const appId = `fuzz-${process.pid}-${++runs}`;
  return {
    appId,
    items: items.map((i) => ({
      ...i,
      metric: {
        ...i.metric,
        appId: i.metric.appId.startsWith(APP) ? appId + i.metric.appId.slice(APP.length) : i.metric.appId,
      },
    })),
  };
};

const key = (m: AppMetric): string => JSON.stringify([m.appId, m.name, m.unit, m.timestamp.toString(), m.value]);
const sorted = (keys: string[]): string[] => [...keys].sort();

const rowsOf = async (db: Db, appId: string): Promise<string[]> => {
  const rows = await db.sql<
    { app_id: string; metric_type: string; unit: string; timestamp: bigint; value: string | null }[]
  >`
    SELECT app_id, metric_type, unit, "timestamp", value FROM app_metric WHERE app_id = ${appId}`;
  return rows.map((r) =>
    key({ appId: r.app_id, name: r.metric_type, unit: r.unit, timestamp: BigInt(r.timestamp), value: r.value ?? '' }),
  );
};

// ---
const store = suite<Context>('app-metric batches with unstorable rows through the real store');

store.before(
  loudHook('setup', async (context: Context) => {
    context.db = await bounded('opening the test database', 30_000, openTestDatabase());
  }),
);
store.after(async (context) => {
  await bounded('closing the test database', 15_000, context.db?.close() ?? Promise.resolve());
});

store('saves every storable row exactly and rejects each unstorable one with a reason', async ({ db }) => {
  const appMetricStore = createAppMetricStore(db.sql, { now: () => 0n });
  await fc.assert(
    fc.asyncProperty(batch, async (generated) => {
      const { appId, items } = inApp(generated);
      const result = await appMetricStore.saveBulk(items.map((i) => i.metric));
      const good = items.filter((i) => i.storable).map((i) => i.metric);
      const bad = items.filter((i) => !i.storable).map((i) => i.metric);
      return (
        result.saved === good.length &&
        result.rejected.length === bad.length &&
        result.rejected.every((r) => bad.includes(r.metric) && r.reason.trim().length > 0) &&
        JSON.stringify(sorted(await rowsOf(db, appId))) === JSON.stringify(sorted(good.map(key)))
      );
    }),
    { numRuns: 100 },
  );
});

store('accounts for every row of a batch the database itself refuses in part (lone surrogates)', async ({ db }) => {
  const appMetricStore = createAppMetricStore(db.sql, { now: () => 0n });
  const odd = fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }).filter((s) => !s.includes('\u0000'));
  const batches = fc.array(
    fc.oneof(
      storable,
      odd.map(
        (value): Generated => ({
          metric: { appId: APP, name: 'cpu', unit: '%', value, timestamp: 1n },
          storable: true,
        }),
      ),
    ),
    { minLength: 1, maxLength: 20 },
  );
  await fc.assert(
    fc.asyncProperty(batches, async (generated) => {
      const { appId, items } = inApp(generated);
      const result = await appMetricStore.saveBulk(items.map((i) => i.metric));
      const stored = await rowsOf(db, appId);
      // A value that is not valid UTF-16 may be stored with U+FFFD or refused; either way it is accounted for.
      const wellFormed = items.filter((i) => i.metric.value.isWellFormed()).map((i) => key(i.metric));
      return (
        result.saved + result.rejected.length === items.length &&
        stored.length === result.saved &&
        wellFormed.every((k) => stored.includes(k)) &&
        result.rejected.every((r) => r.reason.trim().length > 0)
      );
    }),
    { numRuns: 60 },
  );
});

store('writes every storable metric of a stream through persistMetrics, in batches of any size', async ({ db }) => {
  const appMetricStore = createAppMetricStore(db.sql, { now: () => 0n });
  await fc.assert(
    fc.asyncProperty(batch, fc.integer({ min: 1, max: 9 }), async (generated, maxBatchSize) => {
      const { appId, items } = inApp(generated);
      const events = await lastValueFrom(
        persistMetrics(
          { appMetric$: from(items.map((i) => i.metric)) },
          {
            scheduler: asyncScheduler,
            save: (batch) => defer(() => appMetricStore.saveBulk(batch)),
            flushIntervalMs: 20,
            maxBatchSize,
            maxPending: 10_000,
            retry: { initialMs: 10, maxMs: 100 },
          },
        ).pipe(toArray(), timeout(10_000)),
      );
      const good = items.filter((i) => i.storable).map((i) => i.metric);
      const saved = events.reduce((n, e) => n + (e.kind === 'saved' ? e.count : 0), 0);
      const rejected = events.filter((e) => e.kind === 'rejected');
      return (
        saved === good.length &&
        rejected.length === items.length - good.length &&
        rejected.every((e) => e.kind === 'rejected' && e.reason.trim().length > 0) &&
        !events.some((e) => e.kind === 'retrying' || e.kind === 'dropped') &&
        JSON.stringify(sorted(await rowsOf(db, appId))) === JSON.stringify(sorted(good.map(key)))
      );
    }),
    { numRuns: 40 },
  );
});

store.run();
