/**
 * Decision latency: from pushing the app metric that completes a breach into the evaluation
 * pipeline (real time) to the scaling engine receiving the POST, over many apps, next to the
 * anchor's tick model. Usage: node scripts/bench/decision-latency.ts [--quick]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { asyncScheduler, BehaviorSubject, lastValueFrom, Subject, timer } from 'rxjs';
import { filter, scan, takeUntil, takeWhile } from 'rxjs/operators';
import { createMetricCache } from '../../lib/core/evaluation/metric-cache.ts';
import { stringify } from '../../lib/core/json/bigint-json.ts';
import type { AppMetric } from '../../lib/core/model/app-metric.ts';
import type { Policy } from '../../lib/core/model/policy.ts';
import { scaleObservable } from '../../lib/adapters/scaling-engine/scale-observable.ts';
import { createScalingEngineClient } from '../../lib/adapters/scaling-engine/scaling-engine-client.ts';
import { parseTriggerBody } from '../../lib/tools/simulation/scaling-engine-server.ts';
import { createQueryAppMetrics } from '../../lib/adapters/stores/query-app-metrics.ts';
import { nowNs, secondsToNs } from '../../lib/core/time/ns.ts';
import { cacheMetrics } from '../../pipelines/cache-metrics.ts';
import { evaluateAppMetrics } from '../../pipelines/evaluate-app-metrics.ts';
import { benchApp } from './synthetic-apps.ts';
import { count, duration, ratio, runBench, verdict } from './table.ts';
import type { BenchTable } from './table.ts';
import { setTimeout as sleep } from 'node:timers/promises';

const BREACH_SECS = 120;
const ANCHOR_EVALUATION_INTERVAL_MS = 60_000;
const THRESHOLD = 500n;

/** A raw scaling engine on loopback that notes when each POST arrives (before reading the body). */
const startEngine = async (arrivals: Map<string, number>, invalid: string[]) => {
  const server = createServer((req, res) => {
    const arrived = performance.now();
    const appId = decodeURIComponent(/^\/v1\/apps\/([^/]+)\/scale$/.exec(req.url ?? '')?.[1] ?? '');
    if (!arrivals.has(appId)) arrivals.set(appId, arrived);
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk;
    });
    req.on('end', () => {
      const trigger = parseTriggerBody(body);
      if (!trigger || req.method !== 'POST') invalid.push(`${req.method} ${req.url}: ${body.slice(0, 80)}`);
      const reply = stringify({
        app_id: appId,
        status: 0,
        adjustment: 1,
        cool_down_expired_at: nowNs(asyncScheduler) + secondsToNs(300),
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end(reply);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
};

const policyOf = (appId: string): Policy => ({
  appId,
  instanceMinCount: 1,
  instanceMaxCount: 10,
  rules: [
    {
      metricType: 'memoryused',
      breachDurationSecs: BREACH_SECS,
      threshold: THRESHOLD,
      operator: '>',
      coolDownSecs: 300,
      adjustment: '+1',
    },
  ],
});

const metric = (appId: string, timestamp: bigint, value: string): AppMetric => ({
  appId,
  name: 'memoryused',
  unit: 'MB',
  value,
  timestamp,
});

/** Nearest-rank percentile of sorted values. */
const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;

interface Scenario {
  readonly apps: readonly string[];
  readonly spacingMs: number;
}

/**
 * Runs the real evaluation pipeline over `apps`: history older than the breach window is already
 * cached (above the threshold, none inside the window), so each pushed metric completes a breach.
 */
const runScenario = async ({ apps, spacingMs }: Scenario): Promise<number[]> => {
  const arrivals = new Map<string, number>();
  const invalid: string[] = [];
  const engine = await startEngine(arrivals, invalid);
  const client = createScalingEngineClient({ url: engine.url, timeoutMs: 5000 });
  try {
    const cache = createMetricCache({ capacityPerApp: 300 });
    cache.sync(apps);
    const start = nowNs(asyncScheduler);
    for (const appId of apps)
      for (const age of [250, 200, 160, 130]) cache.put(metric(appId, start - secondsToNs(age), '800'));
    const queryAppMetrics = createQueryAppMetrics({
      cache,
      store: {
        retrieve: () => Promise.reject(new Error('cache miss: every read of this benchmark is meant to hit the cache')),
      },
      now: () => nowNs(asyncScheduler),
    });
    const appMetric$ = new Subject<AppMetric>();
    const policy$ = new BehaviorSubject<ReadonlyMap<string, Policy>>(new Map(apps.map((id) => [id, policyOf(id)])));
    const pushed = new Map<string, number>();
    const problems: string[] = [];
    const done = lastValueFrom(
      evaluateAppMetrics(
        { appMetric$: appMetric$.pipe(cacheMetrics(cache)), policy$ },
        {
          scheduler: asyncScheduler,
          queryAppMetrics,
          scale: scaleObservable(client),
          defaultBreachDurationSecs: BREACH_SECS,
          breaker: { initialMs: 300_000, maxMs: 7_200_000, failureThreshold: 3 },
          evaluationConcurrency: 20,
        },
      ).pipe(
        filter((d) => d.kind === 'scaling-result' || d.kind === 'no-breach'),
        scan((n, d) => {
          if (d.kind === 'no-breach' || (d.kind === 'scaling-result' && !d.ok))
            problems.push(`${d.appId}: ${d.kind === 'no-breach' ? d.reason : d.error}`);
          return n + 1;
        }, 0),
        takeWhile((n) => n < apps.length, true),
        takeUntil(timer(30_000 + apps.length * spacingMs)),
      ),
      { defaultValue: 0 },
    );

    for (const appId of apps) {
      if (spacingMs > 0) await sleep(spacingMs);
      pushed.set(appId, performance.now());
      appMetric$.next(metric(appId, nowNs(asyncScheduler), '800'));
    }
    const settled = await done;
    appMetric$.complete();
    if (problems.length > 0) throw new Error(`${problems.length} evaluation(s) did not scale, e.g. ${problems[0]}`);
    if (invalid.length > 0) throw new Error(`the scaling engine refused ${invalid.length} call(s), e.g. ${invalid[0]}`);
    if (settled < apps.length || arrivals.size < apps.length)
      throw new Error(
        `only ${arrivals.size} of ${apps.length} breaches reached the scaling engine within the time limit`,
      );
    return apps.map((id) => arrivals.get(id)! - pushed.get(id)!).sort((a, b) => a - b);
  } finally {
    await client.close();
    await engine.close();
  }
};

runBench(async ({ quick }): Promise<BenchTable> => {
  const steady = quick ? 30 : 2000;
  const burst = quick ? 20 : 1000;
  const spacingMs = quick ? 2 : 5;
  const ids = (from: number, n: number) => Array.from({ length: n }, (_v, i) => benchApp(from + i, 1).appId);
  // One warm-up round so the first connections and JIT do not count.
  await runScenario({ apps: ids(900_000, quick ? 5 : 200), spacingMs: 1 });
  const paced = await runScenario({ apps: ids(0, steady), spacingMs });
  const bunched = await runScenario({ apps: ids(100_000, burst), spacingMs: 0 });

  const anchor = (p: number) => (ANCHOR_EVALUATION_INTERVAL_MS * p) / 100;
  const row = (name: string, n: number, lat: readonly number[] | undefined, judged: boolean): string[] => {
    const p = (q: number) => (lat ? percentile(lat, q) : anchor(q));
    return [
      name,
      count(n),
      duration(p(50)),
      duration(p(90)),
      duration(p(99)),
      duration(lat ? lat.at(-1)! : ANCHOR_EVALUATION_INTERVAL_MS),
      ratio(anchor(99) / p(99)),
      judged ? verdict(p(99) < 100) : '',
    ];
  };
  const pass = percentile(paced, 99) < 100;
  return {
    title: 'Decision latency (breach-completing metric to scaling-engine POST)',
    notes: [
      `evaluateAppMetrics on asyncScheduler, metric cache (300 per app) holding the history, ScalingEngineClient over HTTP to a scaling engine on 127.0.0.1`,
      `steady: one breach every ${spacingMs} ms across ${count(steady)} apps; burst: ${count(burst)} apps breach in the same instant (one aggregation tick); evaluation concurrency 20`,
      `anchor row is computed, not measured: a breach waits for the next ${ANCHOR_EVALUATION_INTERVAL_MS / 1000} s evaluation tick, uniform over the interval`,
    ],
    columns: ['scenario', 'breaches', 'p50', 'p90', 'p99', 'max', 'anchor p99 / p99', 'target'],
    rows: [
      row('this service, steady', steady, paced, true),
      row('this service, burst', burst, bunched, false),
      row('anchor tick model (computed)', steady, undefined, false),
    ],
    target: { text: 'steady p99 < 100 ms', pass },
  };
});
