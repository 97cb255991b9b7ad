/**
 * Realistic container gauges for many apps, shared by the benchmarks: the rep's emission groups
 * (docs/anchor-compatibility.md#wire-envelope) with the full tag set log-cache serves (see the
 * fixture spec/lib/core/envelope/fixtures/logcache/read-container-gauges.json), deterministic per
 * app and instant so a bench can rebuild any window.
 */
import type { Envelope } from '../../lib/core/model/envelope.ts';
import { containerEnvelopes, MIB } from '../../lib/tools/recording/samples/envelope-builders.ts';
import type { AppIdentity } from '../../lib/tools/recording/samples/envelope-builders.ts';
import { createPrng } from '../../lib/tools/recording/samples/prng.ts';

export const NS_PER_SECOND = 1_000_000_000n;
/** 2024-11-14T10:00:00Z, the time base of the log-cache fixtures in spec/. */
export const BENCH_START_NS = 1_731_578_400_000_000_000n;

export interface BenchApp extends AppIdentity {
  readonly index: number;
  /** Tags every envelope of the app carries besides the rep's own. */
  readonly platformTags: Readonly<Record<string, string>>;
  /** Seconds after a period boundary at which the app's instances emit. */
  readonly phaseSecs: number;
}

export const benchApp = (index: number, instances: number): BenchApp => {
  const rng = createPrng(7919 * (index + 1));
  const appId = rng.guid();
  return {
    index,
    appId,
    appName: `bench-app-${index}`,
    instanceGuids: Array.from({ length: instances }, () => rng.guid().slice(0, 28)),
    phaseSecs: rng.between(0, 29),
    platformTags: {
      deployment: 'cf',
      job: 'diego-cell',
      ip: `10.0.${index % 250}.${(index >> 8) % 250}`,
      organization_id: rng.guid(),
      organization_name: 'acme',
      process_id: appId,
      space_id: rng.guid(),
      space_name: 'production',
    },
  };
};

/**
 * The rep's emissions of one instance at one instant. `split` is log-cache's shape, one metric per
 * envelope (9 envelopes); `combined` keeps each emission group in one envelope (2 envelopes).
 */
export const containerEmission = (
  app: BenchApp,
  instance: number,
  timestampNs: bigint,
  shape: 'split' | 'combined',
): Envelope[] => {
  const seconds = Number((timestampNs - BENCH_START_NS) / NS_PER_SECOND);
  const rng = createPrng((app.index * 131 + instance * 17 + seconds) >>> 0);
  const cpu = 20 + 15 * Math.sin(seconds / 900 + app.index) + rng.noise(5) + instance;
  const reading = {
    cpu: Math.max(0.05, cpu),
    memory: (300 + 40 * Math.sin(seconds / 1800 + app.index)) * MIB + rng.noise(6 * MIB),
    memoryQuota: 1024 * MIB,
    disk: (140 + instance * 7) * MIB,
    diskQuota: 1024 * MIB,
    cpuEntitlement: Math.max(0.05, cpu * 0.8),
    ageNs: (3600 + seconds) * 1e9,
  };
  return containerEnvelopes(app, instance, timestampNs, reading, shape, rng).map((e) => ({
    ...e,
    tags: { ...e.tags, ...app.platformTags, index: app.instanceGuids[instance] ?? '' },
  }));
};

/**
 * The emission instants of every instance with a timestamp in [fromNs, toNs), in time order: each
 * instance emits once per `periodSecs`, instances spread over the period (whole microseconds, so
 * the split and the combined shape share one timestamp).
 */
export const emissionTimes = (
  app: BenchApp,
  fromNs: bigint,
  toNs: bigint,
  periodSecs: number,
): { readonly instance: number; readonly timestampNs: bigint }[] => {
  const out: { instance: number; timestampNs: bigint }[] = [];
  // Fractional periods are allowed: time-compressed benches emit as often as they shorten the interval.
  const periodNs = BigInt(Math.round(periodSecs * 1e9));
  const instances = app.instanceGuids.length;
  const offsets = app.instanceGuids.map(
    (_g, i) => BigInt(Math.round(((app.phaseSecs + (i * periodSecs) / instances) % periodSecs) * 1e6)) * 1000n,
  );
  const firstPeriod = ((fromNs - BENCH_START_NS) / periodNs) * periodNs + BENCH_START_NS - periodNs;
  for (let base = firstPeriod; base < toNs; base += periodNs) {
    for (let i = 0; i < instances; i++) {
      const ts = base + offsets[i]!;
      if (ts >= fromNs && ts < toNs) out.push({ instance: i, timestampNs: ts });
    }
  }
  return out.sort((a, b) => (a.timestampNs < b.timestampNs ? -1 : a.timestampNs > b.timestampNs ? 1 : 0));
};

/** Every emission of every instance with a timestamp in [fromNs, toNs), in time order (see emissionTimes). */
export const appEnvelopes = (
  app: BenchApp,
  fromNs: bigint,
  toNs: bigint,
  periodSecs: number,
  shape: 'split' | 'combined',
): Envelope[] =>
  emissionTimes(app, fromNs, toNs, periodSecs).flatMap(({ instance, timestampNs }) =>
    containerEmission(app, instance, timestampNs, shape),
  );
