import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { map } from 'rxjs/operators';
import { createQueryAppMetrics } from '../../lib/adapters/stores/query-app-metrics.ts';
import { createMetricCache } from '../../lib/core/evaluation/metric-cache.ts';
import type { AppMetric } from '../../lib/core/model/app-metric.ts';
import type { Decision } from '../../lib/core/model/decision.ts';
import type { ScalingRule } from '../../lib/core/model/policy.ts';
import type { QueryAppMetrics } from '../../lib/core/model/ports.ts';
import { evaluateAppMetrics } from '../../pipelines/evaluate-app-metrics.ts';
import { marbles } from '../support/marbles.ts';
import { APP, cachedHistoryReader, historyReader, metric, okReply, policies, TYPE } from './evaluation-fixtures.ts';

const breaker = { initialMs: 300_000, maxMs: 7_200_000, failureThreshold: 3 };

/**
 * The service's reader over the metric cache holding `history`; what the cache does not cover is
 * read from the same history through an Observable (in virtual time, where the database's promise
 * would not settle).
 */
const cacheReader = (history: readonly AppMetric[], capacity: number): QueryAppMetrics => {
  const cache = createMetricCache({ capacityPerApp: capacity });
  cache.sync([APP]);
  for (const m of history) cache.put(m);
  const { cached, window } = createQueryAppMetrics({
    cache,
    store: { retrieve: () => Promise.reject(new Error('read through the Observable instead')) },
    now: () => 0n,
  });
  const stored = historyReader(history);
  return Object.assign((...args: Parameters<QueryAppMetrics>) => stored(...args), { cached, window });
};

/** Every decision of one metric arriving at 100 s, with the instant it was emitted. */
const decisionsWith = (
  history: readonly AppMetric[],
  rules: readonly Partial<ScalingRule>[],
  reader: (history: readonly AppMetric[]) => QueryAppMetrics,
): unknown[] => {
  const seen: unknown[] = [];
  marbles(({ hot, cold, scheduler, flush }) => {
    evaluateAppMetrics(
      { appMetric$: hot('100s m', { m: metric(100, '1') }), policy$: cold('p', { p: policies({ [APP]: rules }) }) },
      {
        scheduler,
        queryAppMetrics: reader(history),
        defaultBreachDurationSecs: 30,
        breaker,
        scale: () => cold('(r|)', { r: okReply() }),
      },
    ).subscribe((d: Decision) => seen.push([scheduler.now(), d]));
    flush();
  });
  return seen;
};

const value = fc.oneof(
  fc.integer({ min: 400, max: 600 }).map(String),
  fc.constantFrom('500', '499', '501', '', '12.5', '9007199254740993', '-0', '+600'),
);
// Mostly whole seconds before the metric at 100 s, some a millisecond or a nanosecond off.
const history = fc.array(
  fc.record({
    at: fc.oneof(
      fc.integer({ min: 20, max: 100 }),
      fc.integer({ min: 20_000, max: 100_000 }).map((ms) => ms / 1000),
    ),
    offNs: fc.constantFrom(0n, 0n, 0n, 1n, -1n),
    value,
    unit: fc.constantFrom('MB', '%'),
    name: fc.constantFrom(TYPE, TYPE, TYPE, 'other'),
  }),
  { maxLength: 12 },
);
const rules = fc.array(
  fc.record({
    operator: fc.constantFrom('>', '>=', '<', '<=', '>', 'invalid'),
    threshold: fc.constantFrom(499n, 500n, 501n, 9007199254740992n, -1n),
    breachDurationSecs: fc.constantFrom(0, 10, 20, 30, 40),
    adjustment: fc.constantFrom('+1', '-1'),
  }),
  { minLength: 1, maxLength: 3 },
);

const test = suite('evaluateAppMetrics: the readers decide alike');

test('a window of the metric cache, rows at hand and rows read through an Observable give the same decisions', () => {
  fc.assert(
    fc.property(history, rules, fc.integer({ min: 2, max: 20 }), (entries, rs, capacity) => {
      const metrics = entries.map(
        ({ at, offNs, value: v, unit, name }): AppMetric => ({
          ...metric(at, v, { unit, name }),
          timestamp: metric(at, v).timestamp + offNs,
        }),
      );
      const read = decisionsWith(metrics, rs, (h) => historyReader(h));
      assert.equal(decisionsWith(metrics, rs, cachedHistoryReader), read, 'rows at hand');
      assert.equal(
        decisionsWith(metrics, rs, (h) => cacheReader(h, capacity)),
        read,
        'a window of the cache',
      );
    }),
    { numRuns: 400 },
  );
});

test('a policy map that ends before the metrics does not end the evaluation', () =>
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const out$ = evaluateAppMetrics(
      {
        appMetric$: hot('1s m 1s m|', { m: metric(0, '1') }),
        policy$: cold('(p|)', { p: policies({ [APP]: [{ threshold: 9n }] }) }),
      },
      {
        scheduler,
        queryAppMetrics: historyReader([]),
        defaultBreachDurationSecs: 30,
        breaker,
        scale: () => cold('(r|)', { r: okReply() }),
      },
    );
    expectObservable(out$.pipe(map((d) => d.kind))).toBe('1s n 1s n|', { n: 'no-breach' });
  }));

test.run();
