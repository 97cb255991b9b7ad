import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { interval, NEVER } from 'rxjs';
import { map, take } from 'rxjs/operators';
import type { Observable, SchedulerLike } from 'rxjs';
import { evaluateAppMetrics } from '../../pipelines/evaluate-app-metrics.ts';
import type { EvaluateAppMetricsDeps } from '../../pipelines/evaluate-app-metrics.ts';
import { IN_FLIGHT_REASON, scaleOnBreach } from '../../pipelines/scale-on-breach.ts';
import type { BreachDecision } from '../../pipelines/scale-on-breach.ts';
import type { AppMetric } from '../../lib/core/model/app-metric.ts';
import type { Policy, Trigger } from '../../lib/core/model/policy.ts';
import { createBreakerRegistry } from '../../lib/core/scaling/breaker-registry.ts';
import { createCooldowns } from '../../lib/core/scaling/cooldowns.ts';
import type { ScaleReply } from '../../lib/core/model/scale-reply.ts';
import { secondsToNs } from '../../lib/core/time/ns.ts';
import { marbles } from '../support/marbles.ts';
import { alwaysBreaching, APP, failReply, metric, okReply, policies, short, timeline } from './evaluation-fixtures.ts';

const defaults = { initialMs: 300_000, maxMs: 7_200_000, failureThreshold: 3 };
const m = metric(0, 'x');
const other = metric(0, 'x', { appId: 'other' });

/** Every metric breaches; `replies` answers the n-th call. */
const pipeline = (
  scheduler: SchedulerLike,
  sources: {
    appMetric$?: Observable<AppMetric>;
    policy$: Observable<ReadonlyMap<string, Policy>>;
    tick$?: Observable<unknown>;
  },
  replies: (n: number, trigger: Trigger) => Observable<ScaleReply>,
  over: Partial<EvaluateAppMetricsDeps> = {},
) => {
  let n = 0;
  return evaluateAppMetrics(
    { appMetric$: NEVER, ...sources },
    {
      scheduler,
      defaultBreachDurationSecs: 30,
      breaker: defaults,
      queryAppMetrics: alwaysBreaching,
      scale: (t) => replies(n++, t),
      ...over,
    },
  );
};

// ---

const cooldown = suite('scaleOnBreach: cooldown');

cooldown("the reply's expiry holds later breaches back until exactly then", () =>
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const appMetric$ = hot('100s m 99999ms m 199999ms m', { m });
    const out$ = pipeline(scheduler, { appMetric$, policy$: cold('p', { p: policies({ [APP]: [{}] }) }) }, () =>
      cold('(r|)', { r: okReply(secondsToNs(400)) }),
    );
    expectObservable(out$.pipe(map(short))).toBe('100s (bcr) 99995ms (bh) 199996ms (bcr)', {
      b: 'breach #0 >500',
      c: 'call +1',
      r: 'ok cooldown 400s',
      h: 'hold until 400s',
    });
  }),
);

cooldown('periodic ticks during a cooldown send nothing; the tick at the expiry sends', () =>
  marbles(({ hot, cold, scheduler, flush }) => {
    // T0 = 0: a breach is sent and the scaling engine says cooldown until T0+30 s
    const out$ = pipeline(
      scheduler,
      {
        appMetric$: hot('m', { m }),
        policy$: cold('p', { p: policies({ [APP]: [{}] }) }),
        tick$: interval(10_000, scheduler).pipe(take(3)),
      },
      (n) => cold('(r|)', { r: n === 0 ? okReply(secondsToNs(30)) : okReply(0n) }),
    );
    const seen = timeline(out$, scheduler, (d) => d.kind !== 'breach');
    flush();
    assert.equal(seen, [
      '0s call +1',
      '0s ok cooldown 30s',
      '10s hold until 30s',
      '20s hold until 30s',
      '30s call +1',
      '30s ok',
    ]);
  }),
);

cooldown('an explicit cool_down_expired_at of 0 starts no cooldown', () =>
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const out$ = pipeline(
      scheduler,
      {
        appMetric$: hot('1s m 999ms m', { m }),
        policy$: cold('p', { p: policies({ [APP]: [{ coolDownSecs: 300 }] }) }),
      },
      () => cold('(r|)', { r: okReply(0n) }),
    );
    expectObservable(out$.pipe(map((d) => d.kind))).toBe('1s (bcr) 995ms (bcr)', {
      b: 'breach',
      c: 'scaling-call',
      r: 'scaling-result',
    });
  }),
);

cooldown("a success without the field falls back to the rule's cool_down_secs", () =>
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const out$ = pipeline(
      scheduler,
      {
        appMetric$: hot('100s m 9999ms m', { m }),
        policy$: cold('p', { p: policies({ [APP]: [{ coolDownSecs: 60 }] }) }),
      },
      () => cold('(r|)', { r: { ok: true, status: 200 } }),
    );
    expectObservable(out$.pipe(map(short))).toBe('100s (bcr) 9995ms (bh)', {
      b: 'breach #0 >500',
      c: 'call +1',
      r: 'ok cooldown 160s',
      h: 'hold until 160s',
    });
  }),
);

cooldown('without the field and with cool_down_secs 0 there is no cooldown', () =>
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const out$ = pipeline(
      scheduler,
      { appMetric$: hot('1s m 999ms m', { m }), policy$: cold('p', { p: policies({ [APP]: [{ coolDownSecs: 0 }] }) }) },
      () => cold('(r|)', { r: { ok: true, status: 200 } }),
    );
    expectObservable(out$.pipe(map((d) => d.kind))).toBe('1s (bcr) 995ms (bcr)', {
      b: 'breach',
      c: 'scaling-call',
      r: 'scaling-result',
    });
  }),
);

cooldown('a failed call starts no cooldown', () =>
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const out$ = pipeline(
      scheduler,
      {
        appMetric$: hot('1s m 999ms m', { m }),
        policy$: cold('p', { p: policies({ [APP]: [{ coolDownSecs: 300 }] }) }),
      },
      () => cold('(r|)', { r: failReply(500) }),
    );
    expectObservable(out$.pipe(map(short))).toBe('1s (bcr) 995ms (bcr)', {
      b: 'breach #0 >500',
      c: 'call +1',
      r: 'failed: got 500 when sending trigger alarm',
    });
  }),
);

cooldown('cooldowns are per app', () =>
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const out$ = pipeline(
      scheduler,
      {
        appMetric$: hot('1s m 999ms (mo)', { m, o: other }),
        policy$: cold('p', { p: policies({ [APP]: [{}], other: [{}] }) }),
      },
      () => cold('(r|)', { r: okReply() }),
    );
    expectObservable(out$.pipe(map((d) => `${(d as { appId: string }).appId} ${d.kind}`))).toBe(
      '1s (bcr) 995ms (bhBCR)',
      {
        b: 'testAppId breach',
        c: 'testAppId scaling-call',
        r: 'testAppId scaling-result',
        h: 'testAppId cooldown-hold',
        B: 'other breach',
        C: 'other scaling-call',
        R: 'other scaling-result',
      },
    );
  }),
);

cooldown.run();

// ---

const inFlight = suite('scaleOnBreach: calls in flight');

inFlight('does not send another trigger for an app while its call is under way', () =>
  marbles(({ hot, cold, expectObservable, expectSubscriptions, scheduler }) => {
    const call$ = cold('30s (r|)', { r: okReply(0n) });
    const out$ = pipeline(
      scheduler,
      { appMetric$: hot('100s m 9999ms m 29999ms m', { m }), policy$: cold('p', { p: policies({ [APP]: [{}] }) }) },
      () => call$,
    );
    expectObservable(out$.pipe(map(short))).toBe('100s (bc) 9996ms f 19999ms r 9999ms (bc) 29996ms r', {
      b: 'breach #0 >500',
      c: 'call +1',
      r: 'ok',
      f: `no #0: ${IN_FLIGHT_REASON}`,
    });
    expectSubscriptions(call$.subscriptions).toBe(['100s ^ 29999ms !', '140s ^ 29999ms !']);
  }),
);

inFlight('the in-flight guard is per app', () =>
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const out$ = pipeline(
      scheduler,
      {
        appMetric$: hot('1s m 999ms o', { m, o: other }),
        policy$: cold('p', { p: policies({ [APP]: [{}], other: [{}] }) }),
      },
      () => cold('10s (r|)', { r: okReply() }),
    );
    expectObservable(out$.pipe(map((d) => `${(d as { appId: string }).appId} ${d.kind}`))).toBe(
      '1s (bc) 996ms (BC) 8996ms r 999ms R',
      {
        b: 'testAppId breach',
        c: 'testAppId scaling-call',
        B: 'other breach',
        C: 'other scaling-call',
        r: 'testAppId scaling-result',
        R: 'other scaling-result',
      },
    );
  }),
);

inFlight.run();

// ---

const breaker = suite('scaleOnBreach: circuit breaker');

breaker('3 failures trip it; no request up to exactly 5 m later; trials after 5, 10, 20, 40, 80, 120 m', () =>
  marbles(({ cold, scheduler, flush }) => {
    const tick$ = interval(60_000, scheduler).pipe(take(300));
    const out$ = pipeline(scheduler, { policy$: cold('p', { p: policies({ [APP]: [{}] }) }), tick$ }, () =>
      cold('(r|)', { r: failReply(500) }),
    );
    const calls = timeline(out$, scheduler, (d) => d.kind === 'scaling-call');
    flush();
    // ticks every 60 s from 60 s: failures at 60, 120, 180 (trip); 480 is exactly 5 m: refused; trial at 540;
    // then the first tick more than 10 m after 540 (1200), 20 m after that (2460), then 40, 80 and 120 m.
    assert.equal(
      calls.map((l) => Number.parseInt(l, 10)),
      [60, 120, 180, 540, 1200, 2460, 4920, 9780, 17040],
    );
  }),
);

breaker('refused breaches say when the next trial may go, and transitions are reported', () =>
  marbles(({ cold, scheduler, flush }) => {
    const tick$ = interval(60_000, scheduler).pipe(take(10));
    const out$ = pipeline(scheduler, { policy$: cold('p', { p: policies({ [APP]: [{}] }) }), tick$ }, (n) =>
      cold('(r|)', { r: n < 3 ? failReply(500) : okReply(0n) }),
    );
    const seen = timeline(out$, scheduler, (d) => d.kind !== 'breach' && d.kind !== 'scaling-call');
    flush();
    assert.equal(seen, [
      '60s failed: got 500 when sending trigger alarm',
      '120s failed: got 500 when sending trigger alarm',
      '180s failed: got 500 when sending trigger alarm',
      '180s breaker open (3)',
      '240s refused until 480s',
      '300s refused until 480s',
      '360s refused until 480s',
      '420s refused until 480s',
      '480s refused until 480s',
      '540s breaker half-open (3)',
      '540s ok',
      '540s breaker closed (0)',
      '600s ok',
    ]);
  }),
);

breaker('a success between failures resets the count', () =>
  marbles(({ cold, scheduler, flush }) => {
    const tick$ = interval(60_000, scheduler).pipe(take(4));
    const outcomes = [failReply(), failReply(), okReply(0n), failReply()];
    const out$ = pipeline(scheduler, { policy$: cold('p', { p: policies({ [APP]: [{}] }) }), tick$ }, (n) =>
      cold('(r|)', { r: outcomes[n]! }),
    );
    const seen = timeline(out$, scheduler, (d) => d.kind === 'breaker-state' || d.kind === 'breaker-open');
    flush();
    assert.equal(seen, []);
  }),
);

breaker('the anchor timeline through the pipeline (500 ms, 1 s, threshold 1)', () =>
  marbles(({ hot, cold, scheduler, flush }) => {
    // attempts at 0, 0.001, 0.502, 1.002, 1.503, 2.504, 3.505, 3.506, 3.507 and 4.008 s
    const appMetric$ = hot('m 0ms m 500ms m 499ms m 500ms m 1000ms m 1000ms m m m 500ms m', { m });
    const replies = [
      failReply(),
      failReply(),
      failReply(),
      failReply(),
      okReply(0n),
      okReply(0n),
      failReply(),
      okReply(0n),
    ];
    const out$ = pipeline(
      scheduler,
      { appMetric$, policy$: cold('p', { p: policies({ [APP]: [{ coolDownSecs: 0 }] }) }) },
      (n) => cold('(r|)', { r: replies[n]! }),
      { breaker: { initialMs: 500, maxMs: 1000, failureThreshold: 1 } },
    );
    const seen = timeline(out$, scheduler, (d) => d.kind === 'scaling-call' || d.kind === 'breaker-open');
    flush();
    assert.equal(
      seen.map((l) => l.replace(/ until .*/, '').replace(' +1', '')),
      [
        '0s call', // fails: trips
        '0.001s refused', // at once
        '0.502s call', // > 500 ms: trial, fails
        '1.002s refused', // wait is now 1 s
        '1.503s call', // > 1 s: trial, fails
        '2.504s call', // > 1 s (capped): trial, fails... the scaling engine now answers 200
        '3.505s call', // trial succeeds: closed
        '3.506s call', // straight through
        '3.507s call', // fails: trips again
        '4.008s call', // > 500 ms: trial allowed again
      ],
    );
  }),
);

breaker('with a threshold of 0 failures never block requests', () =>
  marbles(({ cold, scheduler, flush }) => {
    const tick$ = interval(60_000, scheduler).pipe(take(20));
    const out$ = pipeline(
      scheduler,
      { policy$: cold('p', { p: policies({ [APP]: [{}] }) }), tick$ },
      () => cold('(r|)', { r: failReply() }),
      { breaker: { ...defaults, failureThreshold: 0 } },
    );
    const calls = timeline(out$, scheduler, (d) => d.kind === 'scaling-call');
    flush();
    assert.is(calls.length, 20);
  }),
);

breaker('a breaker lives while its app stays in the policy map and is new when the app comes back', () =>
  marbles(({ hot, cold, scheduler, flush }) => {
    const one = { initialMs: 300_000, maxMs: 7_200_000, failureThreshold: 1 };
    const appMetric$ = hot('1s m 9999ms m 9999ms m 9999ms m', { m });
    const policy$ = hot('   p 5s q 9999ms r 9999ms s', {
      p: policies({ [APP]: [{}] }),
      q: policies({ [APP]: [{}], app2: [{}] }), // a new map object, the app still in it: same breaker
      r: policies({ app2: [{}] }), // the app leaves: its breaker is dropped
      s: policies({ [APP]: [{}] }), // it comes back with a fresh, closed breaker
    });
    const out$ = pipeline(scheduler, { appMetric$, policy$ }, () => cold('(r|)', { r: failReply() }), { breaker: one });
    const seen = timeline(out$, scheduler, (d) => d.kind === 'scaling-call' || d.kind === 'breaker-open');
    flush();
    assert.equal(
      seen.map((l) => l.replace(/ until .*/, '')),
      ['1s call +1', '11s refused', '31s call +1'],
    );
  }),
);

breaker.run();

// ---

const direct = suite('scaleOnBreach');

const trigger: Trigger = {
  appId: APP,
  metricType: 'cpu',
  metricUnit: '%',
  breachDurationSecs: 30,
  threshold: 1n,
  operator: '>',
  coolDownSecs: 0,
  adjustment: '+1',
};
const breach: BreachDecision = { kind: 'breach', at: 0n, appId: APP, ruleIndex: 0, trigger, values: ['2'] };

direct('without a breaker for the app the trigger is sent directly', () =>
  marbles(({ cold, expectObservable, scheduler }) => {
    const ctx = {
      scheduler,
      scale: () => cold('(r|)', { r: okReply(0n) }),
      cooldowns: createCooldowns(),
      breakers: createBreakerRegistry(defaults),
      inFlight: new Set<string>(),
    };
    expectObservable(scaleOnBreach(breach, ctx).pipe(map((d) => d.kind))).toBe('(bcr|)', {
      b: 'breach',
      c: 'scaling-call',
      r: 'scaling-result',
    });
  }),
);

direct('a scale dependency that completes without a reply is a failure', () =>
  marbles(({ cold, expectObservable, scheduler }) => {
    const ctx = {
      scheduler,
      scale: () => cold<ScaleReply>('|'),
      cooldowns: createCooldowns(),
      breakers: createBreakerRegistry(defaults),
      inFlight: new Set<string>(),
    };
    expectObservable(scaleOnBreach(breach, ctx).pipe(map(short))).toBe('(bcr|)', {
      b: 'breach #0 >1',
      c: 'call +1',
      r: 'failed: the scaling call ended without a reply',
    });
  }),
);

direct('releases the in-flight mark when unsubscribed before the reply', () =>
  marbles(({ cold, expectObservable, scheduler, flush }) => {
    const inFlightApps = new Set<string>();
    const ctx = {
      scheduler,
      scale: () => cold('10s (r|)', { r: okReply(0n) }),
      cooldowns: createCooldowns(),
      breakers: createBreakerRegistry(defaults),
      inFlight: inFlightApps,
    };
    expectObservable(scaleOnBreach(breach, ctx).pipe(map((d) => d.kind)), '^ 1s !').toBe('(bc)', {
      b: 'breach',
      c: 'scaling-call',
    });
    flush();
    assert.is(inFlightApps.size, 0);
  }),
);

direct('carries the rule index and the values on holds, for the log line', () =>
  marbles(({ expectObservable, scheduler }) => {
    const cooldowns = createCooldowns();
    cooldowns.record(APP, secondsToNs(10));
    const ctx = {
      scheduler,
      scale: () => NEVER,
      cooldowns,
      breakers: createBreakerRegistry(defaults),
      inFlight: new Set<string>(),
    };
    expectObservable(scaleOnBreach(breach, ctx)).toBe('(bh|)', {
      b: breach,
      h: {
        kind: 'cooldown-hold',
        at: 0n,
        appId: APP,
        trigger,
        cooldownUntil: secondsToNs(10),
        ruleIndex: 0,
        values: ['2'],
      },
    });
  }),
);

direct.run();
