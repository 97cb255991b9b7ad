/**
 * Decision latency: from pushing the app metric that completes a breach into the evaluation
 * pipeline (real time) to the scaling engine receiving the POST, over many apps, next to the
 * anchor's tick model, with the decision journal off and on (writing to the embedded database, and
 * to a database that never answers), side by side in one run; and the burst of one aggregation
 * tick: every app's metric at once, some of them breaching, judged from the tick to each POST being
 * sent, with the longest event-loop stall. The scaling engine runs in a process of its own.
 * Usage: node scripts/bench/decision-latency.ts [--quick]
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { asyncScheduler, BehaviorSubject, defer, EMPTY, from, lastValueFrom, NEVER, Subject, timer } from 'rxjs';
import type { Observable, Subscription } from 'rxjs';
import { filter, mergeMap, scan, share, takeUntil, takeWhile } from 'rxjs/operators';
import { connectDatabase } from '../../lib/adapters/db/connect.ts';
import { fromCall } from '../../lib/core/from-call.ts';
import type { Database } from '../../lib/adapters/db/connect.ts';
import { applyJournalSchema, createDecisionJournalStore } from '../../lib/adapters/stores/decision-journal-store.ts';
import { createDecisionWatcher } from '../../lib/core/explain/decision-watcher.ts';
import type { Decision } from '../../lib/core/model/decision.ts';
import type { JournalEntry } from '../../lib/core/model/decision-journal.ts';
import { journalDecisions } from '../../pipelines/journal-decisions.ts';
import { createMetricCache } from '../../lib/core/evaluation/metric-cache.ts';
import type { AppMetric } from '../../lib/core/model/app-metric.ts';
import type { Policy } from '../../lib/core/model/policy.ts';
import { scaleObservable } from '../../lib/adapters/scaling-engine/scale-observable.ts';
import { createScalingEngineClient } from '../../lib/adapters/scaling-engine/scaling-engine-client.ts';
import { createQueryAppMetrics } from '../../lib/adapters/stores/query-app-metrics.ts';
import { nowNs, secondsToNs } from '../../lib/core/time/ns.ts';
import { cacheMetrics } from '../../pipelines/cache-metrics.ts';
import { evaluateAppMetrics } from '../../pipelines/evaluate-app-metrics.ts';
import { createSliceBudget } from '../../pipelines/slice-budget.ts';
import type { EngineReport } from './scaling-engine-peer.ts';
import { benchApp } from './synthetic-apps.ts';
import { count, duration, ratio, runBench, verdict } from './table.ts';
import type { BenchTable } from './table.ts';
import { setTimeout as sleep } from 'node:timers/promises';

const BREACH_SECS = 120;
const ANCHOR_EVALUATION_INTERVAL_MS = 60_000;
const THRESHOLD = 500n;
/** How often the event-loop delay histogram samples, in ms. */
const STALL_RESOLUTION_MS = 5;

/** Now in ms since the epoch, comparable with the engine process's arrival times. */
const epochMs = (): number => performance.timeOrigin + performance.now();

/** The scaling engine on loopback, in its own process (scaling-engine-peer.ts). */
const startEngine = async (replyDelayMs: number) => {
  const child = fork(join(import.meta.dirname, 'scaling-engine-peer.ts'), ['--reply-delay-ms', String(replyDelayMs)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`the scaling engine exited (code ${code}) before listening`)));
  });
  return {
    url,
    report: () =>
      new Promise<EngineReport>((resolve) => {
        child.once('message', (m) => resolve(m as EngineReport));
        child.send('report');
      }),
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.disconnect();
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

/** Where the journal writes: nowhere (off), the embedded database, or a database that never answers. */
type JournalMode = 'off' | 'database' | 'stalled';

interface Scenario {
  readonly apps: readonly string[];
  readonly spacingMs: number;
  readonly journal?: JournalMode;
  readonly db?: Database;
  /** The apps whose metric completes a breach; the others get one below the threshold. Default: all. */
  readonly breaching?: ReadonlySet<string>;
  /** How long the scaling engine takes to answer. */
  readonly replyDelayMs?: number;
  /** Evaluate in slices of this many ms, continued after pending I/O, as the service does. */
  readonly sliceMs?: number;
}

interface ScenarioResult {
  /** Per breaching app, from its metric being pushed to the POST reaching the engine, sorted. */
  readonly toArrival: number[];
  /** Per breaching app, from its metric being pushed to the POST being sent, sorted. */
  readonly toSent: number[];
  /** The longest event-loop delay while the scenario ran (monitorEventLoopDelay), in ms. */
  readonly maxStallMs: number;
}

interface JournalCount {
  written: number;
  dropped: number;
}

/** Subscribes the journal to the decisions as the service graph does; returns its subscription. */
const attachJournal = (
  decision$: Observable<Decision>,
  policies: ReadonlyMap<string, Policy>,
  mode: JournalMode,
  db: Database | undefined,
  counted: JournalCount,
): { readonly done: Promise<void>; readonly subscription: Subscription } | undefined => {
  if (mode === 'off') return undefined;
  const watcher = createDecisionWatcher();
  watcher.sync(policies);
  const store = db ? createDecisionJournalStore(db.sql, { now: () => nowNs(asyncScheduler) }) : undefined;
  const append =
    mode === 'stalled' || !store
      ? () => NEVER
      : (batch: readonly JournalEntry[]) => fromCall(() => store.append(batch));
  let finished: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finished = resolve;
  });
  const subscription = journalDecisions(
    {
      entry$: decision$.pipe(
        mergeMap((d) => {
          const entries = watcher.observe(d);
          return entries.length === 0 ? EMPTY : from(entries);
        }),
      ),
    },
    {
      scheduler: asyncScheduler,
      append,
      prune: () => EMPTY,
      flushIntervalMs: 1000,
      maxBatchSize: 500,
      maxPending: 20_000,
      pruneIntervalMs: 3_600_000,
      retry: { initialMs: 1000, maxMs: 30_000 },
    },
  ).subscribe({
    next: (event) => {
      if (event.kind === 'written') counted.written += event.count;
      else if (event.kind === 'dropped') counted.dropped += event.count;
    },
    complete: () => finished(),
  });
  return { done, subscription };
};

/**
 * Runs the real evaluation pipeline over `apps`: history older than the breach window is already
 * cached (above the threshold, none inside the window), so each pushed metric completes a breach.
 */
const runScenario = async (
  { apps, spacingMs, journal = 'off', db, breaching, replyDelayMs = 0, sliceMs }: Scenario,
  counted: JournalCount = { written: 0, dropped: 0 },
): Promise<ScenarioResult> => {
  const sent = new Map<string, number>();
  const engine = await startEngine(replyDelayMs);
  const breaches = (appId: string) => breaching === undefined || breaching.has(appId);
  const stalls = monitorEventLoopDelay({ resolution: STALL_RESOLUTION_MS });
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
    // As the service's metric path: the cache intake and the evaluation share one budget per slice,
    // and a slice continues right after pending I/O (setImmediate).
    const slices =
      sliceMs === undefined
        ? undefined
        : createSliceBudget({
            scheduler: asyncScheduler,
            budgetMs: sliceMs,
            clock: () => performance.now(),
            later: (work: () => void) => {
              const immediate = setImmediate(work);
              return () => clearImmediate(immediate);
            },
          });
    const cached$ = appMetric$.pipe(cacheMetrics(cache, slices));
    const decision$ = evaluateAppMetrics(
      { appMetric$: cached$, policy$ },
      {
        scheduler: asyncScheduler,
        queryAppMetrics,
        scale: (trigger) =>
          defer(() => {
            sent.set(trigger.appId, epochMs());
            return scaleObservable(client)(trigger);
          }),
        defaultBreachDurationSecs: BREACH_SECS,
        breaker: { initialMs: 300_000, maxMs: 7_200_000, failureThreshold: 3 },
        evaluationConcurrency: 20,
        slices,
      },
    ).pipe(share());
    const journaling = attachJournal(decision$, policy$.value, journal, db, counted);
    const done = lastValueFrom(
      decision$.pipe(
        filter((d) => d.kind === 'scaling-result' || d.kind === 'no-breach'),
        scan((n, d) => {
          if ((d.kind === 'no-breach' && breaches(d.appId)) || (d.kind === 'scaling-result' && !d.ok))
            problems.push(`${d.appId}: ${d.kind === 'no-breach' ? d.reason : d.error}`);
          if (d.kind === 'scaling-result' && !breaches(d.appId)) problems.push(`${d.appId}: scaled without a breach`);
          return n + 1;
        }, 0),
        takeWhile((n) => n < apps.length, true),
        takeUntil(timer(30_000 + apps.length * spacingMs)),
      ),
      { defaultValue: 0 },
    );

    stalls.enable();
    // The histogram records the gaps between its timer's runs from the second run on: a tick
    // pushed right after enable() held the loop before the first run, and went unseen.
    await sleep(3 * STALL_RESOLUTION_MS);
    // With no spacing, every metric arrives in one synchronous run, as from one aggregation tick.
    const tick = epochMs();
    for (const appId of apps) {
      if (spacingMs > 0) await sleep(spacingMs);
      pushed.set(appId, spacingMs > 0 ? epochMs() : tick);
      appMetric$.next(metric(appId, nowNs(asyncScheduler), breaches(appId) ? '800' : '100'));
    }
    const settled = await done;
    stalls.disable();
    const report = await engine.report();
    const arrivals = new Map(report.arrivals);
    const { invalid } = report;
    appMetric$.complete();
    // The journal's last batch is written once the decisions end (a stalled database never answers).
    if (journaling && journal === 'database')
      await Promise.race([journaling.done, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    journaling?.subscription.unsubscribe();
    if (problems.length > 0) throw new Error(`${problems.length} evaluation(s) did not scale, e.g. ${problems[0]}`);
    if (invalid.length > 0) throw new Error(`the scaling engine refused ${invalid.length} call(s), e.g. ${invalid[0]}`);
    const scaled = apps.filter(breaches);
    if (settled < apps.length || arrivals.size < scaled.length)
      throw new Error(
        `only ${arrivals.size} of ${scaled.length} breaches reached the scaling engine within the time limit`,
      );
    const since = (at: Map<string, number>) => scaled.map((id) => at.get(id)! - pushed.get(id)!).sort((a, b) => a - b);
    return { toArrival: since(arrivals), toSent: since(sent), maxStallMs: stalls.max / 1e6 };
  } finally {
    await client.close();
    await engine.close();
  }
};

/** The tick targets: p99 from the tick to each POST sent, and the longest stall. */
const TICK_P99_MS = 250;
const STALL_MS = 50;

runBench(async ({ quick }): Promise<BenchTable> => {
  const steady = quick ? 30 : 2000;
  const burst = quick ? 20 : 1000;
  const tickApps = quick ? 1000 : 10_000;
  const tickBreaching = quick ? 100 : 1000;
  const spacingMs = quick ? 2 : 5;
  const ids = (from: number, n: number) => Array.from({ length: n }, (_v, i) => benchApp(from + i, 1).appId);
  // One warm-up round so the first connections and JIT do not count.
  await runScenario({ apps: ids(900_000, quick ? 5 : 200), spacingMs: 1 });
  // The journal writes to the embedded database, as on a default start (its own process).
  const db = await connectDatabase();
  await applyJournalSchema(db.sql);
  const written: JournalCount = { written: 0, dropped: 0 };
  const stalled: JournalCount = { written: 0, dropped: 0 };
  let paced: number[];
  let pacedJournal: number[];
  let pacedStalled: number[];
  let bunched: number[];
  let bunchedJournal: number[];
  const arrival = async (scenario: Scenario, counted?: JournalCount) =>
    (await runScenario(scenario, counted)).toArrival;
  try {
    paced = await arrival({ apps: ids(0, steady), spacingMs });
    pacedJournal = await arrival({ apps: ids(200_000, steady), spacingMs, journal: 'database', db }, written);
    pacedStalled = await arrival({ apps: ids(300_000, steady), spacingMs, journal: 'stalled' }, stalled);
    bunched = await arrival({ apps: ids(100_000, burst), spacingMs: 0 });
    bunchedJournal = await arrival({ apps: ids(400_000, burst), spacingMs: 0, journal: 'database', db }, written);
  } finally {
    await db.close();
  }

  // One aggregation tick: every app's metric at once, one in ten breaching, an engine taking 20 ms,
  // evaluation in 10 ms slices as the service runs it; and the same without slices, for comparison.
  const every = Math.round(tickApps / tickBreaching);
  const tickOf = (from: number, sliceMs: number | undefined) => {
    const apps = ids(from, tickApps);
    const breaching = new Set(apps.filter((_id, i) => i % every === 0));
    return runScenario({ apps, spacingMs: 0, breaching, replyDelayMs: 20, sliceMs });
  };
  const sliced = await tickOf(500_000, 10);
  const unsliced = await tickOf(600_000, undefined);
  const tickPass = percentile(sliced.toSent, 99) < TICK_P99_MS && sliced.maxStallMs <= STALL_MS;

  const anchor = (p: number) => (ANCHOR_EVALUATION_INTERVAL_MS * p) / 100;
  const p99 = (lat: readonly number[]) => percentile(lat, 99);
  // Within noise: at most half again the journal-off p99, or 5 ms more, whichever is larger.
  const withinNoise = (on: readonly number[], off: readonly number[]) =>
    p99(on) <= Math.max(1.5 * p99(off), p99(off) + 5);
  const row = (
    name: string,
    n: number,
    lat: readonly number[] | undefined,
    off: readonly number[] | undefined,
    judged: boolean | undefined,
    stallMs?: number,
  ): string[] => {
    const p = (q: number) => (lat ? percentile(lat, q) : anchor(q));
    return [
      name,
      count(n),
      duration(p(50)),
      duration(p(90)),
      duration(p(99)),
      duration(lat ? lat.at(-1)! : ANCHOR_EVALUATION_INTERVAL_MS),
      stallMs === undefined ? '' : duration(stallMs),
      ratio(anchor(99) / p(99)),
      lat && off ? ratio(p(99) / p99(off)) : '',
      judged === undefined ? '' : verdict(judged),
    ];
  };
  const steadyPass = p99(paced) < 100;
  const journalPass = withinNoise(pacedJournal, paced) && withinNoise(pacedStalled, paced);
  return {
    title: 'Decision latency (breach-completing metric to scaling-engine POST)',
    notes: [
      `evaluateAppMetrics on asyncScheduler, metric cache (300 per app) holding the history, ScalingEngineClient over HTTP to a scaling engine on 127.0.0.1 in its own process`,
      `steady: one breach every ${spacingMs} ms across ${count(steady)} apps; burst: ${count(burst)} apps breach in the same instant (one aggregation tick); evaluation concurrency 20`,
      `journal on: the decision watcher and journalDecisions follow the decisions as in the service, writing to the embedded database (${count(written.written)} rows written, ${count(written.dropped)} dropped); "database stalled": every append never answers (${count(stalled.dropped)} rows dropped at the bound)`,
      `tick: ${count(tickApps)} apps' metrics in one synchronous run (one aggregation tick), ${count(tickBreaching)} breaching, the engine answering in 20 ms; from the tick to each POST being sent; stall = longest event-loop delay (monitorEventLoopDelay, sampling every ${STALL_RESOLUTION_MS} ms from before the tick, so the tick's own synchronous run counts); "sliced" takes the tick into the cache and evaluates it in 10 ms slices of one shared budget as the service does, "unsliced" all at once (as the replay does)`,
      `anchor row is computed, not measured: a breach waits for the next ${ANCHOR_EVALUATION_INTERVAL_MS / 1000} s evaluation tick, uniform over the interval`,
    ],
    columns: [
      'scenario',
      'breaches',
      'p50',
      'p90',
      'p99',
      'max',
      'longest stall',
      'anchor p99 / p99',
      'p99 / journal off',
      'target',
    ],
    rows: [
      row('this service, steady', steady, paced, undefined, steadyPass),
      row('this service, steady, journal on', steady, pacedJournal, paced, withinNoise(pacedJournal, paced)),
      row(
        'this service, steady, journal on, database stalled',
        steady,
        pacedStalled,
        paced,
        withinNoise(pacedStalled, paced),
      ),
      row('this service, burst', burst, bunched, undefined, undefined),
      row('this service, burst, journal on', burst, bunchedJournal, bunched, undefined),
      row(
        `tick of ${count(tickApps)} apps, sliced`,
        tickBreaching,
        sliced.toSent,
        undefined,
        tickPass,
        sliced.maxStallMs,
      ),
      row(
        `tick of ${count(tickApps)} apps, unsliced`,
        tickBreaching,
        unsliced.toSent,
        undefined,
        undefined,
        unsliced.maxStallMs,
      ),
      row('anchor tick model (computed)', steady, undefined, undefined, undefined),
    ],
    target: {
      text: `steady p99 < 100 ms, and with the journal on (written or stalled) steady p99 within max(1.5x, +5 ms) of journal off; tick of ${count(tickApps)} apps: p99 to POST sent < ${TICK_P99_MS} ms and no stall > ${STALL_MS} ms`,
      pass: steadyPass && journalPass && tickPass,
    },
  };
});
