/**
 * The measuring side of memory.ts, run in a fresh process with --expose-gc: builds the monitored
 * state of `--apps` apps one part at a time and prints, as one JSON line, the heap and resident
 * memory after a full collection at each step.
 * Usage: node --expose-gc scripts/bench/memory-child.ts --apps N --cache-size S
 */
import { parseArgs } from 'node:util';
import { Subject, VirtualTimeScheduler } from 'rxjs';
import { createMetricCache } from '../../lib/core/evaluation/metric-cache.ts';
import { parseReadResponse } from '../../lib/core/envelope/parse-read-response.ts';
import { parse as parseInt64Json } from '../../lib/core/json/bigint-json.ts';
import { encodeReadResponse } from '../../lib/core/envelope/envelope-json.ts';
import { combinedNameFilter } from '../../lib/core/metrics/metric-types.ts';
import type { AppMetric } from '../../lib/core/model/app-metric.ts';
import type { Envelope } from '../../lib/core/model/envelope.ts';
import type { Monitors, Policy } from '../../lib/core/model/policy.ts';
import { parsePolicy } from '../../lib/core/policy/parse-policy.ts';
import { createBreakerRegistry } from '../../lib/core/scaling/breaker-registry.ts';
import { monitorsOf } from '../../pipelines/graph/monitors.ts';
import { aggregateMetrics } from '../../pipelines/aggregate-metrics.ts';
import { appEnvelopes, benchApp, BENCH_START_NS, NS_PER_SECOND } from './synthetic-apps.ts';

export interface MemoryStep {
  readonly step: string;
  readonly heapUsed: number;
  readonly rss: number;
  /** Off the V8 heap: the packed metric cache lives here. */
  readonly arrayBuffers: number;
}

const { values } = parseArgs({ options: { apps: { type: 'string' }, 'cache-size': { type: 'string' } } });
const apps = Number(values.apps);
const cacheSize = Number(values['cache-size']);
if (!(Number.isInteger(apps) && apps > 0 && Number.isInteger(cacheSize) && cacheSize > 0))
  throw new Error('memory-child: --apps and --cache-size must be positive integers');
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('memory-child: run with --expose-gc');

const INSTANCES = 4;
const STAT_WINDOW_SECS = 120;
const INTERVAL_SECS = 40;
const TYPES = ['memoryutil', 'cpu', 'memoryused'] as const;
const POLICY = JSON.stringify({
  instance_min_count: 2,
  instance_max_count: 10,
  scaling_rules: [
    {
      metric_type: 'memoryutil',
      breach_duration_secs: 120,
      threshold: 80,
      operator: '>=',
      cool_down_secs: 300,
      adjustment: '+1',
    },
    {
      metric_type: 'cpu',
      breach_duration_secs: 300,
      threshold: 70,
      operator: '>',
      cool_down_secs: 300,
      adjustment: '+2',
    },
    {
      metric_type: 'memoryused',
      breach_duration_secs: 600,
      threshold: 200,
      operator: '<',
      cool_down_secs: 600,
      adjustment: '-1',
    },
  ],
});

const steps: MemoryStep[] = [];
// After a full collection V8 hands freed pages back from a background thread: give it a moment.
const settle = () => new Promise((resolve) => setTimeout(resolve, 200));
const measure = async (step: string): Promise<void> => {
  for (let i = 0; i < 5; i++) {
    gc();
    await settle();
  }
  const usage = process.memoryUsage();
  steps.push({ step, heapUsed: usage.heapUsed, rss: usage.rss, arrayBuffers: usage.arrayBuffers });
};

const appIds = Array.from({ length: apps }, (_v, i) => benchApp(i, INSTANCES).appId);
// A running process has long since grown its young generation to the working size of its ingest
// (V8 grows it up to 64 MiB semi-spaces under that load): a throwaway round of the same ingest and
// policy parsing first, so that the baseline holds it and the steps measure what the apps keep.
{
  const warmUp = Array.from({ length: Math.min(apps, 4000) }, (_v, i) => benchApp(1_000_000 + i, INSTANCES).appId);
  for (const appId of warmUp)
    if (!parsePolicy(appId, POLICY).ok) throw new Error('memory-child: warm-up policy refused');
  const round = bufferStatWindows(1_000_000, warmUp.length, new Map(warmUp.map((id) => [id, TYPES])));
  round.subscription.unsubscribe();
}
await measure('baseline');

const policies = new Map<string, Policy>();
for (const appId of appIds) {
  const parsed = parsePolicy(appId, POLICY);
  if (!parsed.ok) throw new Error(`memory-child: policy refused: ${parsed.reason}`);
  policies.set(appId, parsed.policy);
}
const monitors = monitorsOf(policies);
await measure('policies');

const breakers = createBreakerRegistry({ initialMs: 300_000, maxMs: 7_200_000, failureThreshold: 3 });
breakers.sync(policies.keys());
await measure('breakers');

// Filled as the aggregator fills it: one shared timestamp per tick, every type of the app per tick.
const cache = createMetricCache({ capacityPerApp: cacheSize });
cache.sync(policies.keys());
const ticks = Math.ceil(cacheSize / TYPES.length);
for (let t = 0; t < ticks; t++) {
  const timestamp = BENCH_START_NS + BigInt(t * INTERVAL_SECS) * NS_PER_SECOND;
  for (const appId of monitors.keys()) {
    for (const name of TYPES) {
      const metric: AppMetric = {
        appId,
        name,
        unit: name === 'memoryused' ? 'MB' : '%',
        value: String((t * 37 + appId.length) % 100),
        timestamp,
      };
      cache.put(metric);
    }
  }
}
const cached = [...monitors.keys()].reduce((n, id) => n + (cache.entries(id)?.length ?? 0), 0);
if (cached !== apps * cacheSize)
  throw new Error(`memory-child: the cache holds ${cached} metrics, expected ${apps * cacheSize}`);
await measure('metric cache');

/** One stat window of envelopes per app, decoded as the log-cache client decodes them, in the buffers of one aggregator. */
function bufferStatWindows(first: number, count: number, monitors: Monitors) {
  const scheduler = new VirtualTimeScheduler();
  const startMs = Number(BENCH_START_NS / 1_000_000n);
  scheduler.frame = startMs;
  const envelope$ = new Subject<Envelope>();
  const monitor$ = new Subject<Monitors>();
  let produced = 0;
  const subscription = aggregateMetrics(
    { envelope$, monitor$ },
    { scheduler, statWindowSecs: STAT_WINDOW_SECS, intervalMs: STAT_WINDOW_SECS * 1000, localHttpMetrics: false },
  ).subscribe(() => {
    produced += 1;
  });
  monitor$.next(monitors);
  const filter = new RegExp(combinedNameFilter(TYPES) ?? '');
  let buffered = 0;
  for (let i = first; i < first + count; i++) {
    const batch = appEnvelopes(
      benchApp(i, INSTANCES),
      BENCH_START_NS,
      BENCH_START_NS + BigInt(STAT_WINDOW_SECS) * NS_PER_SECOND,
      30,
      'split',
    ).filter((e) => Object.keys(e.gauge ?? {}).some((name) => filter.test(name)));
    for (const envelope of parseReadResponse(parseInt64Json(encodeReadResponse(batch))).envelopes) {
      envelope$.next(envelope);
      buffered += 1;
    }
  }
  scheduler.maxFrames = startMs + STAT_WINDOW_SECS * 1000;
  scheduler.flush();
  if (produced !== count * TYPES.length)
    throw new Error(`memory-child: the aggregator produced ${produced} metrics, expected ${count * TYPES.length}`);
  return { subscription, buffered };
}

const { subscription, buffered } = bufferStatWindows(0, apps, monitors);
await measure('aggregation buffers');

process.stdout.write(`${JSON.stringify({ apps, cacheSize, envelopesBuffered: buffered, steps })}\n`);
// Keeps everything reachable until the last measurement.
subscription.unsubscribe();
