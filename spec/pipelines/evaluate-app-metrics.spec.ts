import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { interval, NEVER, Observable, throwError } from 'rxjs';
import { map, take } from 'rxjs/operators';
import type { SchedulerLike } from 'rxjs';
import { evaluateAppMetrics } from '../../pipelines/evaluate-app-metrics.ts';
import type { EvaluateAppMetricsDeps } from '../../pipelines/evaluate-app-metrics.ts';
import type { AppMetric } from '../../lib/core/model/app-metric.ts';
import type { Decision } from '../../lib/core/model/decision.ts';
import type { Policy, ScalingRule, Trigger } from '../../lib/core/model/policy.ts';
import { secondsToNs } from '../../lib/core/time/ns.ts';
import { marbles } from '../support/marbles.ts';
import {
  alwaysBreaching,
  APP,
  cachedHistoryReader,
  enoughAt,
  historyReader,
  metric,
  okReply,
  policies,
  short,
  timeline,
  TYPE,
  UNIT,
} from './evaluation-fixtures.ts';
import type { QueryCall } from './evaluation-fixtures.ts';

const breaker = { initialMs: 300_000, maxMs: 7_200_000, failureThreshold: 3 };

interface Run {
  readonly history?: readonly AppMetric[];
  readonly rules?: readonly Partial<ScalingRule>[];
  readonly defaultBreachDurationSecs?: number;
}

/**
 * One metric of TYPE arrives at T = 100 s and the app's rules are evaluated against `history`;
 * the scaling engine answers at once. Returns the decisions (as short lines), the triggers sent
 * and the reader calls.
 */
const evaluateOnce = (run: Run) => {
  // Every scenario runs through both reader paths, which must decide alike.
  const observed = evaluateWith(run, historyReader);
  const immediate = evaluateWith(run, cachedHistoryReader);
  assert.equal(
    immediate.lines,
    observed.lines,
    'a reader answering at once decides as one answering through an Observable',
  );
  assert.equal(immediate.sent, observed.sent);
  assert.equal(immediate.calls, observed.calls);
  return observed;
};

const evaluateWith = (
  { history = [], rules = [{}], defaultBreachDurationSecs = 30 }: Run,
  reader: typeof historyReader,
) => {
  const sent: Trigger[] = [];
  const calls: QueryCall[] = [];
  let lines: string[] = [];
  const decisions: Decision[] = [];
  marbles(({ hot, cold, scheduler, flush }) => {
    const out$ = evaluateAppMetrics(
      {
        appMetric$: hot('100s m', { m: metric(99, 'trigger') }),
        policy$: cold('p', { p: policies({ [APP]: rules }) }),
      },
      {
        scheduler,
        queryAppMetrics: reader(history, calls),
        defaultBreachDurationSecs,
        breaker,
        scale: (t) => {
          sent.push(t);
          return cold('(r|)', { r: okReply() });
        },
      },
    );
    out$.subscribe((d) => decisions.push(d));
    flush();
    lines = decisions.map(short);
  });
  return { lines, sent, calls, decisions };
};

/** Delays a reader's answer by 5 ms of virtual time, as a database read would take. */
const delayed =
  (cold: (marbles: string) => Observable<unknown>) =>
  <T>(source: Observable<T>): Observable<T> =>
    new Observable<T>((subscriber) => cold('5ms |').subscribe({ complete: () => source.subscribe(subscriber) }));

const ev = suite('evaluateAppMetrics: breach semantics (group G, default breach duration 30 s)');

ev('one POST with the trigger when every window value breaches ">"', () => {
  const { sent, lines, decisions } = evaluateOnce({ history: enoughAt(100, '600', '650', '620') });
  const trigger: Trigger = {
    appId: APP,
    metricType: TYPE,
    metricUnit: UNIT,
    breachDurationSecs: 30,
    threshold: 500n,
    operator: '>',
    coolDownSecs: 300,
    adjustment: '+1',
  };
  assert.equal(sent, [trigger]);
  assert.equal(lines, ['breach #0 >500', 'call +1', 'ok cooldown 400s']);
  assert.equal(decisions[0], {
    kind: 'breach',
    at: secondsToNs(100),
    appId: APP,
    ruleIndex: 0,
    values: ['600', '650', '620'],
    trigger,
  });
  assert.equal(decisions[1], {
    kind: 'scaling-call',
    at: secondsToNs(100),
    appId: APP,
    trigger,
    ruleIndex: 0,
    values: ['600', '650', '620'],
  });
});

ev('no POST, and "not enough" in the reason, without older history', () => {
  const { sent, lines } = evaluateOnce({ history: [metric(80, '600'), metric(90, '650'), metric(99, '620')] });
  assert.equal(sent, []);
  assert.equal(lines, ['no #0: the appmetrics are not enough for evaluation: none older than the 30s breach window']);
});

ev('no POST when a window value does not breach', () => {
  const { sent, lines } = evaluateOnce({ history: enoughAt(100, '200', '150', '600') });
  assert.equal(sent, []);
  assert.equal(lines, ['no #0: value 150 (10s ago) is not > 500']);
});

ev('no POST for any operator when the reader returns nothing', () => {
  for (const operator of ['>', '>=', '<', '<=']) {
    const { sent, lines } = evaluateOnce({ history: [], rules: [{ operator }] });
    assert.equal(sent, [], operator);
    assert.match(lines[0]!, /^no #0: the appmetrics are not enough for evaluation: no metrics/);
  }
});

ev('an empty newest value blocks every operator', () => {
  for (const operator of ['>', '>=', '<', '<=']) {
    const { sent, lines } = evaluateOnce({
      history: [...enoughAt(100, '600', '650', '620'), metric(100, '')],
      rules: [{ operator }],
    });
    assert.equal(sent, [], operator);
    assert.equal(lines, ['no #0: empty value (0s ago) in the breach window']);
  }
});

ev('each operator against the threshold', () => {
  const cases: [string, [string, string, string], boolean][] = [
    ['>=', ['600', '500', '500'], true],
    ['>=', ['200', '150', '600'], false],
    ['<', ['200', '300', '400'], true],
    ['<', ['500', '550', '600'], false],
    ['<=', ['200', '500', '500'], true],
    ['<=', ['500', '550', '600'], false],
    ['>', ['500', '500', '500'], false],
    ['<', ['500', '500', '500'], false],
    ['>=', ['500', '500', '500'], true],
    ['<=', ['500', '500', '500'], true],
  ];
  for (const [operator, values, posts] of cases) {
    const { sent } = evaluateOnce({
      history: enoughAt(100, ...values),
      rules: [{ operator, adjustment: operator.startsWith('<') ? '-1' : '+1' }],
    });
    assert.is(sent.length, posts ? 1 : 0, `${operator} ${values.join(',')}`);
  }
});

ev('the first breached rule wins and the later rules are not evaluated', () => {
  const rules = [
    { operator: '>=', adjustment: '+1' },
    { operator: '<=', adjustment: '-1' },
  ];
  const first = evaluateOnce({ history: enoughAt(100, '500', '550', '600'), rules });
  assert.equal(
    first.sent.map((t) => t.adjustment),
    ['+1'],
  );
  assert.is(first.calls.length, 1);
  const second = evaluateOnce({ history: enoughAt(100, '300', '400', '500'), rules });
  assert.equal(
    second.sent.map((t) => t.adjustment),
    ['-1'],
  );
  assert.equal(second.lines, [
    'no #0: value 400 (10s ago) is not >= 500',
    'breach #1 <=500',
    'call -1',
    'ok cooldown 400s',
  ]);
  const both = evaluateOnce({ history: enoughAt(100, '500', '500', '500'), rules });
  assert.equal(
    both.sent.map((t) => t.adjustment),
    ['+1'],
  );
});

ev('a rule whose history is not at hand is read through the Observable, and the next rules go on at once', () => {
  const history = enoughAt(100, '300', '300', '300');
  const rules = [{ operator: '>' }, { operator: '>=' }, { operator: '<', adjustment: '-1' }];
  const decisions: string[] = [];
  const reads: string[] = [];
  marbles(({ hot, cold, scheduler, flush }) => {
    const reader = cachedHistoryReader(history, [], [1]);
    const queryAppMetrics = Object.assign(
      (...args: Parameters<typeof reader>) => {
        reads.push(`#${reads.length}`);
        return reader(...args).pipe(delayed(cold));
      },
      { cached: reader.cached },
    );
    evaluateAppMetrics(
      {
        appMetric$: hot('100s m', { m: metric(99, 'trigger') }),
        policy$: cold('p', { p: policies({ [APP]: rules }) }),
      },
      {
        scheduler,
        queryAppMetrics,
        defaultBreachDurationSecs: 30,
        breaker,
        scale: () => cold('(r|)', { r: okReply() }),
      },
    ).subscribe((d) => decisions.push(`${scheduler.now() / 1000}s ${short(d)}`));
    flush();
  });
  assert.is(reads.length, 1, 'only the rule without a cached history subscribed to the reader');
  assert.equal(decisions, [
    '100s no #0: value 300 (1s ago) is not > 500',
    '100.005s no #1: value 300 (1s ago) is not >= 500',
    '100.005s breach #2 <500',
    '100.005s call -1',
    '100.005s ok cooldown 400.005s',
  ]);
});

ev('an invalid operator is skipped and the next rule still evaluated and sent', () => {
  const { sent, lines, decisions } = evaluateOnce({
    history: enoughAt(100, '600', '650', '620'),
    rules: [{ operator: 'invalid_operator' }, { operator: '>' }],
  });
  assert.equal(
    sent.map((t) => t.operator),
    ['>'],
  );
  assert.equal(lines.slice(0, 2), ['skip #0', 'breach #1 >500']);
  assert.match((decisions[0] as { reason: string }).reason, /operator-is-invalid/);
});

ev('a failing reader gives a no-breach with the error and the next rule is evaluated', () => {
  const decisions: string[] = [];
  const sent: Trigger[] = [];
  marbles(({ hot, cold, scheduler, flush }) => {
    let n = 0;
    const out$ = evaluateAppMetrics(
      {
        appMetric$: hot('100s m', { m: metric(99, 'x') }),
        policy$: cold('p', { p: policies({ [APP]: [{ adjustment: '+1' }, { adjustment: '+2' }] }) }),
      },
      {
        scheduler,
        defaultBreachDurationSecs: 30,
        breaker,
        queryAppMetrics: (...args) =>
          n++ === 0
            ? cold('-#', undefined, new Error('db down'))
            : historyReader(enoughAt(100.001, '600', '600', '600'))(...args),
        scale: (t) => {
          sent.push(t);
          return cold('(r|)', { r: okReply() });
        },
      },
    );
    out$.subscribe((d) => decisions.push(short(d)));
    flush();
  });
  assert.equal(decisions, [
    'no #0: metrics query failed: db down',
    'breach #1 >500',
    'call +2',
    'ok cooldown 400.001s',
  ]);
  assert.equal(
    sent.map((t) => t.adjustment),
    ['+2'],
  );
});

ev('a reader that throws synchronously or ends empty does not end the stream', () => {
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    let n = 0;
    const out$ = evaluateAppMetrics(
      {
        appMetric$: hot('100s m 9999ms m', { m: metric(99, 'x') }),
        policy$: cold('p', { p: policies({ [APP]: [{}] }) }),
      },
      {
        scheduler,
        defaultBreachDurationSecs: 30,
        breaker,
        scale: () => cold('(r|)', { r: okReply() }),
        queryAppMetrics: () => {
          if (n++ === 0) throw new Error('no connection');
          return new Observable<AppMetric[]>((s) => s.complete());
        },
      },
    );
    expectObservable(out$.pipe(map(short))).toBe('100s a 9999ms b', {
      a: 'no #0: metrics query failed: no connection',
      b: 'no #0: metrics query failed: it ended without a result',
    });
  });
});

ev('a non-integer value blocks the breach', () => {
  const { sent, lines } = evaluateOnce({ history: enoughAt(100, '600', '650.5', '620') });
  assert.equal(sent, []);
  assert.equal(lines, ['no #0: value "650.5" (10s ago) is not an integer']);
});

ev('a metric exactly at T-30 s is inside the window; one at T-45 s makes the history enough', () => {
  assert.equal(evaluateOnce({ history: [metric(70, '600'), metric(95, '600')] }).sent, []);
  assert.is(evaluateOnce({ history: [metric(55, '600'), metric(70, '600'), metric(95, '600')] }).sent.length, 1);
});

ev('an older metric outside [T-60 s, T] does not count', () => {
  const { sent, lines } = evaluateOnce({ history: [metric(39, '600'), metric(90, '600'), metric(99, '600')] });
  assert.equal(sent, []);
  assert.match(lines[0]!, /not enough/);
});

ev('the default breach duration sets the query window and the POSTed duration', () => {
  const { calls, sent } = evaluateOnce({
    history: [metric(-200, '1'), metric(-100, '600'), metric(50, '600'), metric(99, '600')],
    rules: [{ breachDurationSecs: 0 }],
    defaultBreachDurationSecs: 120,
  });
  assert.equal(calls, [
    { appId: APP, metricType: TYPE, start: secondsToNs(100 - 240), end: secondsToNs(100), order: 'ASC' },
  ]);
  assert.is(sent[0]!.breachDurationSecs, 120);
});

ev("uses the rule's own breach duration when set", () => {
  const { calls, sent } = evaluateOnce({
    history: enoughAt(100, '600', '600', '600'),
    rules: [{ breachDurationSecs: 60 }],
  });
  assert.equal([calls[0]!.start, calls[0]!.end], [secondsToNs(-20), secondsToNs(100)]);
  assert.is(sent.length, 0); // T-31 s is inside a 60 s window, and nothing is older
});

ev.run();

// ---

const flow = suite('evaluateAppMetrics: sources, policies and ticks');

const deps = (scheduler: SchedulerLike, over: Partial<EvaluateAppMetricsDeps> = {}): EvaluateAppMetricsDeps => ({
  scheduler,
  defaultBreachDurationSecs: 30,
  breaker,
  queryAppMetrics: alwaysBreaching,
  scale: () => NEVER,
  ...over,
});

flow("evaluates only the rules of the arriving metric's type, in rule order", () =>
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const rules = [
      { metricType: 'cpu', threshold: 1000n },
      { metricType: TYPE, threshold: 1000n },
      { metricType: TYPE, threshold: 2000n },
    ];
    const out$ = evaluateAppMetrics(
      { appMetric$: hot('100s m', { m: metric(99, '1') }), policy$: cold('p', { p: policies({ [APP]: rules }) }) },
      deps(scheduler),
    );
    expectObservable(out$.pipe(map((d) => `${d.kind} #${(d as { ruleIndex: number }).ruleIndex}`))).toBe('100s (ab)', {
      a: 'no-breach #1',
      b: 'no-breach #2',
    });
  }),
);

flow('ignores metrics of apps outside the policy map, and metrics before the first policy map', () =>
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const appMetric$ = hot('  m 10s o 10s m', { m: metric(0, '1'), o: metric(0, '1', { appId: 'other' }) });
    const policy$ = cold('    5s p', { p: policies({ [APP]: [{ threshold: 1000n }] }) });
    const out$ = evaluateAppMetrics({ appMetric$, policy$ }, deps(scheduler));
    expectObservable(out$.pipe(map((d) => d.kind))).toBe('20002ms n', { n: 'no-breach' });
  }),
);

flow('follows policy changes: new rules apply and removed apps are no longer evaluated', () =>
  marbles(({ hot, expectObservable, scheduler }) => {
    const appMetric$ = hot('100s m 9999ms m 9999ms m', { m: metric(99, '1') });
    const policy$ = hot('    p 104999ms q 9999ms r', {
      p: policies({ [APP]: [{ threshold: 1000n }] }),
      q: policies({ [APP]: [{ threshold: 1000n }, { threshold: 2000n }] }),
      r: policies({ other: [{}] }),
    });
    const out$ = evaluateAppMetrics({ appMetric$, policy$ }, deps(scheduler));
    expectObservable(out$.pipe(map((d) => `#${(d as { ruleIndex: number }).ruleIndex}`))).toBe('100s a 9999ms (ab)', {
      a: '#0',
      b: '#1',
    });
  }),
);

flow('a tick evaluates every rule of every app, one job per app', () =>
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const policy$ = cold('p', {
      p: policies({
        app1: [{ operator: '>=', threshold: 80n }],
        app2: [
          { operator: '<=', threshold: 20n },
          { operator: '>', threshold: 9999n },
        ],
      }),
    });
    const tick$ = hot('  60s t');
    const out$ = evaluateAppMetrics(
      { appMetric$: NEVER, policy$, tick$ },
      deps(scheduler, { queryAppMetrics: historyReader([]) }),
    );
    expectObservable(
      out$.pipe(map((d) => `${(d as { appId: string }).appId}#${(d as { ruleIndex: number }).ruleIndex}`)),
    ).toBe('60s (abc)', { a: 'app1#0', b: 'app2#0', c: 'app2#1' });
  }),
);

flow('a tick sends the first breached rule of each app', () =>
  marbles(({ hot, cold, scheduler, flush }) => {
    const sent: string[] = [];
    const policy$ = cold('p', {
      p: policies({
        app1: [{ operator: '>=', threshold: 80n, breachDurationSecs: 200, coolDownSecs: 200, adjustment: '+1' }],
        app2: [{ operator: '<=', threshold: 20n, breachDurationSecs: 300, coolDownSecs: 300, adjustment: '-1' }],
      }),
    });
    const reader = (value: string) =>
      historyReader(
        ['app1', 'app2'].flatMap((appId) => [metric(250, value, { appId }), metric(550, value, { appId })]),
      );
    const out$ = evaluateAppMetrics(
      { appMetric$: NEVER, policy$, tick$: hot('600s t') },
      deps(scheduler, {
        queryAppMetrics: (appId, ...rest) => reader(appId === 'app1' ? '90' : '10')(appId, ...rest),
        scale: (t) => {
          sent.push(
            `${t.appId} ${t.operator}${t.threshold} bd${t.breachDurationSecs} cd${t.coolDownSecs} ${t.adjustment}`,
          );
          return cold('(r|)', { r: okReply() });
        },
      }),
    );
    out$.subscribe();
    flush();
    assert.equal(sent, ['app1 >=80 bd200 cd200 +1', 'app2 <=20 bd300 cd300 -1']);
  }),
);

flow('a tick with an empty policy map evaluates nothing', () =>
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const out$ = evaluateAppMetrics(
      { appMetric$: NEVER, policy$: cold('p', { p: new Map<string, Policy>() }), tick$: hot('1s t 1s t') },
      deps(scheduler),
    );
    expectObservable(out$).toBe('');
  }),
);

flow('apps with zero rules are evaluated by neither ticks nor metrics', () =>
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const out$ = evaluateAppMetrics(
      {
        appMetric$: hot('1s m', { m: metric(0, '1') }),
        policy$: cold('p', { p: policies({ [APP]: [] }) }),
        tick$: hot('2s t'),
      },
      deps(scheduler),
    );
    expectObservable(out$).toBe('');
  }),
);

flow('completes when its inputs complete, after the scaling call under way', () =>
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const out$ = evaluateAppMetrics(
      { appMetric$: hot('100s m|', { m: metric(99, 'x') }), policy$: hot('p', { p: policies({ [APP]: [{}] }) }) },
      deps(scheduler, { scale: () => cold('5s (r|)', { r: okReply() }) }),
    );
    expectObservable(out$.pipe(map((d) => d.kind))).toBe('100s (bc) 4996ms (r|)', {
      b: 'breach',
      c: 'scaling-call',
      r: 'scaling-result',
    });
  }),
);

flow('unsubscribing tears down the inputs, the reader and the scaling call', () =>
  marbles(({ hot, cold, expectObservable, expectSubscriptions, scheduler }) => {
    const appMetric$ = hot('  1s m', { m: metric(0, 'x') });
    const policy$ = hot('     p', { p: policies({ [APP]: [{}] }) });
    const tick$ = hot('       10s t');
    const call$ = cold('      10s (r|)', { r: okReply() });
    const out$ = evaluateAppMetrics({ appMetric$, policy$, tick$ }, deps(scheduler, { scale: () => call$ }));
    expectObservable(out$.pipe(map((d) => d.kind)), '^ 4s !').toBe('1s (bc)', { b: 'breach', c: 'scaling-call' });
    expectSubscriptions(appMetric$.subscriptions).toBe('^ 4s !');
    expectSubscriptions(policy$.subscriptions).toBe('^ 4s !');
    expectSubscriptions(tick$.subscriptions).toBe('^ 4s !');
    expectSubscriptions(call$.subscriptions).toBe('1s ^ 3000ms !');
  }),
);

flow('bounds the evaluations under way and folds identical waiting jobs into one', () =>
  marbles(({ hot, cold, scheduler, flush }) => {
    const started: string[] = [];
    const appMetric$ = hot('1s (abca)', {
      a: metric(0, '1'),
      b: metric(0, '1', { appId: 'b' }),
      c: metric(0, '1', { appId: 'c' }),
    });
    const policy$ = cold('p', {
      p: policies({ [APP]: [{ threshold: 9n }], b: [{ threshold: 9n }], c: [{ threshold: 9n }] }),
    });
    const out$ = evaluateAppMetrics(
      { appMetric$, policy$ },
      deps(scheduler, {
        evaluationConcurrency: 1,
        queryAppMetrics: (appId) => {
          started.push(`${scheduler.now()} ${appId}`);
          return cold('1s (r|)', { r: [] });
        },
      }),
    );
    const seen = timeline(out$, scheduler);
    flush();
    // "a" runs at once; "b" and "c" wait; the second "a" arrives while the first runs, so it waits too.
    assert.equal(started, ['1000 testAppId', '2000 b', '3000 c', '4000 testAppId']);
    assert.is(seen.length, 4);
  }),
);

flow('folds a metric into an identical job that is still waiting for a slot', () =>
  marbles(({ hot, cold, scheduler, flush }) => {
    const started: string[] = [];
    const appMetric$ = hot('1s (abb)', { a: metric(0, '1'), b: metric(0, '1', { appId: 'b' }) });
    const policy$ = cold('p', { p: policies({ [APP]: [{ threshold: 9n }], b: [{ threshold: 9n }] }) });
    const out$ = evaluateAppMetrics(
      { appMetric$, policy$ },
      deps(scheduler, {
        evaluationConcurrency: 1,
        queryAppMetrics: (appId) => {
          started.push(`${scheduler.now()} ${appId}`);
          return cold('1s (r|)', { r: [] });
        },
      }),
    );
    timeline(out$, scheduler);
    flush();
    assert.equal(started, ['1000 testAppId', '2000 b']);
  }),
);

flow('a periodic tick in virtual time re-evaluates every interval', () =>
  marbles(({ cold, scheduler, flush }) => {
    const out$ = evaluateAppMetrics(
      {
        appMetric$: NEVER,
        policy$: cold('p', { p: policies({ [APP]: [{ threshold: 9n }] }) }),
        tick$: interval(60_000, scheduler).pipe(take(3)),
      },
      deps(scheduler, { queryAppMetrics: historyReader([]) }),
    );
    const seen = timeline(out$, scheduler, (d) => d.kind === 'no-breach');
    flush();
    assert.equal(
      seen.map((l) => l.split(' ')[0]),
      ['60s', '120s', '180s'],
    );
  }),
);

flow('a failing scale dependency becomes a failed result, and the stream goes on', () =>
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const out$ = evaluateAppMetrics(
      {
        appMetric$: hot('1s m', { m: metric(0, 'x') }),
        policy$: cold('p', { p: policies({ [APP]: [{ coolDownSecs: 0 }] }) }),
      },
      deps(scheduler, { scale: () => throwError(() => new Error('boom')) }),
    );
    expectObservable(out$.pipe(map(short))).toBe('1s (bcr)', {
      b: 'breach #0 >500',
      c: 'call +1',
      r: 'failed: scaling call failed: boom',
    });
  }),
);

flow.run();
