import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { SchedulerLike } from 'rxjs';
import { evaluateAppMetrics } from '../../pipelines/evaluate-app-metrics.ts';
import type { EvaluateAppMetricsDeps } from '../../pipelines/evaluate-app-metrics.ts';
import { marbles } from '../support/marbles.ts';
import { createSliceBudget } from '../../pipelines/slice-budget.ts';
import { alwaysBreaching, metric, okReply, policies, timeline } from './evaluation-fixtures.ts';

const breaker = { initialMs: 300_000, maxMs: 7_200_000, failureThreshold: 3 };
const APPS = ['a', 'b', 'c'];

const test = suite('evaluateAppMetrics: scaling calls and slices');

/** Three apps breach at 1 s; the scaling engine answers each call after 3 s. Returns when each call started. */
const callStarts = (over: Partial<EvaluateAppMetricsDeps>): string[] => {
  const started: string[] = [];
  marbles(({ hot, cold, scheduler, flush }) => {
    const out$ = evaluateAppMetrics(
      {
        appMetric$: hot('1s (abc)', {
          a: metric(0, '1', { appId: 'a' }),
          b: metric(0, '1', { appId: 'b' }),
          c: metric(0, '1', { appId: 'c' }),
        }),
        policy$: cold('p', { p: policies(Object.fromEntries(APPS.map((id) => [id, [{ threshold: 500n }]]))) }),
      },
      {
        scheduler,
        defaultBreachDurationSecs: 30,
        breaker,
        queryAppMetrics: alwaysBreaching,
        scale: (trigger) => {
          started.push(`${scheduler.now()} ${trigger.appId}`);
          return cold('3s (r|)', { r: okReply() });
        },
        ...over,
      },
    );
    timeline(out$, scheduler);
    flush();
  });
  return started;
};

test('a breach leaves its evaluation slot at once: one slot still sends every call together', () => {
  assert.equal(callStarts({ evaluationConcurrency: 1 }), ['1000 a', '1000 b', '1000 c']);
});

test('scalingConcurrency bounds the calls under way, in the order the breaches came', () => {
  assert.equal(callStarts({ scalingConcurrency: 1 }), ['1000 a', '4000 b', '7000 c']);
});

/** The decisions of three breaching apps, with the downstream work moving a clock 6 ms per decision. */
const decisions = (slices: 'none' | 'own' | 'shared'): string[] => {
  let clockMs = 0;
  let lines: string[] = [];
  marbles(({ hot, cold, scheduler, flush }) => {
    const out$ = evaluateAppMetrics(
      {
        appMetric$: hot('1s (abc)', {
          a: metric(0, '1', { appId: 'a' }),
          b: metric(0, '1', { appId: 'b' }),
          c: metric(0, '1', { appId: 'c' }),
        }),
        policy$: cold('p', { p: policies(Object.fromEntries(APPS.map((id) => [id, [{ threshold: 500n }]]))) }),
      },
      {
        scheduler,
        defaultBreachDurationSecs: 30,
        breaker,
        queryAppMetrics: alwaysBreaching,
        scale: () => cold('(r|)', { r: okReply() }),
        ...(slices === 'own' ? { slices: { budgetMs: 10, clock: () => clockMs } } : {}),
        ...(slices === 'shared'
          ? { slices: createSliceBudget({ scheduler, budgetMs: 10, clock: () => clockMs }) }
          : {}),
      },
    );
    lines = timeline(out$, scheduler as SchedulerLike, (d) => {
      clockMs += 6;
      return d.kind !== 'metric';
    });
    flush();
  });
  return lines;
};

test('evaluation in slices makes the same decisions at the same instants, later apps in a later slice', () => {
  const atOnce = decisions('none');
  const sliced = decisions('own');
  assert.is(atOnce.length, 9, 'breach, call and result for each of three apps');
  assert.equal([...sliced].sort(), [...atOnce].sort());
  // At once, every breach is decided before the first reply; in slices, the first app's reply
  // comes before the next app's breach, which waited for the next slice.
  assert.equal(atOnce.slice(0, 4), ['1s breach #0 >500', '1s call +1', '1s breach #0 >500', '1s call +1']);
  assert.equal(sliced.slice(0, 4), ['1s breach #0 >500', '1s call +1', '1s ok cooldown 301s', '1s breach #0 >500']);
});

test('a shared slice budget slices the evaluation as a budget of its own does', () => {
  assert.equal(decisions('shared'), decisions('own'));
});

test.run();
