import type { Envelope } from '../../../core/model/envelope.ts';
import { containerLoad } from './container-load.ts';
import { at, customMetricEnvelope, httpTimerEnvelopes, MIB } from './envelope-builders.ts';
import type { AppIdentity } from './envelope-builders.ts';
import { createPrng, profile } from './prng.ts';
import type { Prng } from './prng.ts';

/** A scaling rule in the stored policy form (docs/anchor-compatibility.md#policy-json). */
export interface StoredRule {
  readonly metric_type: string;
  readonly breach_duration_secs: number;
  readonly threshold: number;
  readonly operator: '>' | '>=' | '<' | '<=';
  readonly cool_down_secs: number;
  readonly adjustment: string;
}

export interface StoredPolicy {
  readonly instance_min_count: number;
  readonly instance_max_count: number;
  readonly scaling_rules: readonly StoredRule[];
}

export interface SampleDefinition {
  readonly name: string;
  readonly description: string;
  readonly seed: number;
  readonly policy: StoredPolicy;
  readonly build: (rng: Prng) => Envelope[];
}

/** 2024-11-14T10:00:00Z, the time base of the log-cache fixtures in spec/. */
const SAMPLE_START = 1_731_578_400_000_000_000n;
const MINUTE = 60;

const identity = (rng: Prng, appName: string, instances: number): AppIdentity => ({
  appId: rng.guid(),
  appName,
  instanceGuids: Array.from({ length: instances }, () => rng.guid().slice(0, 28)),
});

const rule = (
  metric_type: string,
  operator: StoredRule['operator'],
  threshold: number,
  adjustment: string,
  breach_duration_secs: number,
  cool_down_secs: number,
): StoredRule => ({ metric_type, breach_duration_secs, threshold, operator, cool_down_secs, adjustment });

const steadyMemory = (mib: number, rng: Prng) => (_s: number, instance: number) =>
  (mib + instance * 12) * MIB + rng.noise(6 * MIB);

export const sampleCatalog: readonly SampleDefinition[] = [
  {
    name: 'spike',
    description: 'cpu jumps from ~22% to ~88% for 11 minutes; log-cache split shape, 2 instances',
    seed: 1001,
    policy: {
      instance_min_count: 2,
      instance_max_count: 6,
      scaling_rules: [rule('cpu', '>', 70, '+2', 120, 300), rule('cpu', '<', 30, '-1', 300, 300)],
    },
    build(rng) {
      const app = identity(rng, 'checkout-web', 2);
      const cpu = profile([
        [0, 22],
        [14 * MINUTE, 22],
        [15 * MINUTE, 88],
        [26 * MINUTE, 88],
        [27 * MINUTE, 22],
      ]);
      return containerLoad(
        {
          app,
          start: SAMPLE_START,
          durationSecs: 55 * MINUTE,
          shape: 'split',
          cpu: (s, i) => cpu(s) + i * 1.5 + rng.noise(4),
          memory: steadyMemory(280, rng),
        },
        rng,
      );
    },
  },
  {
    name: 'slow-ramp',
    description: 'memory used climbs from 300 MB to 900 MB over an hour; combined (RLP) shape, 2 instances',
    seed: 1002,
    policy: {
      instance_min_count: 2,
      instance_max_count: 5,
      scaling_rules: [rule('memoryused', '>', 600, '+1', 120, 300)],
    },
    build(rng) {
      const app = identity(rng, 'reports-worker', 2);
      const memory = profile([
        [0, 300],
        [60 * MINUTE, 900],
      ]);
      return containerLoad(
        {
          app,
          start: SAMPLE_START,
          durationSecs: 70 * MINUTE,
          shape: 'combined',
          cpu: () => 35 + rng.noise(6),
          memory: (s, i) => (memory(s) + i * 4 + rng.noise(5)) * MIB,
        },
        rng,
      );
    },
  },
  {
    name: 'flapping',
    description: 'memory utilisation flips between ~90% and ~40% every 5 minutes; split shape, 3 instances',
    seed: 1003,
    policy: {
      instance_min_count: 2,
      instance_max_count: 4,
      scaling_rules: [rule('memoryutil', '>', 80, '+1', 120, 120), rule('memoryutil', '<', 50, '-1', 120, 120)],
    },
    build(rng) {
      const app = identity(rng, 'cart-api', 3);
      const quota = 512 * MIB;
      const percent = (s: number) => (Math.floor(s / (5 * MINUTE)) % 2 === 1 ? 90 : 40);
      return containerLoad(
        {
          app,
          start: SAMPLE_START,
          durationSecs: 50 * MINUTE,
          shape: 'split',
          memoryQuota: quota,
          cpu: () => 30 + rng.noise(5),
          memory: (s) => ((percent(s) + rng.noise(3)) / 100) * quota,
        },
        rng,
      );
    },
  },
  {
    name: 'quiet',
    description: 'an idle app: cpu 2-6%, steady memory, nothing ever breaches; combined shape, 2 instances',
    seed: 1004,
    policy: {
      instance_min_count: 2,
      instance_max_count: 4,
      scaling_rules: [
        rule('cpu', '>', 80, '+1', 120, 300),
        rule('memoryused', '>', 800, '+1', 120, 300),
        rule('cpu', '<', 1, '-1', 300, 300),
      ],
    },
    build(rng) {
      const app = identity(rng, 'billing-cron', 2);
      return containerLoad(
        {
          app,
          start: SAMPLE_START,
          durationSecs: 40 * MINUTE,
          shape: 'combined',
          cpu: () => 4 + rng.noise(2),
          memory: steadyMemory(180, rng),
        },
        rng,
      );
    },
  },
  {
    name: 'custom-metrics',
    description:
      'a queue_length custom metric builds to ~240 jobs and drains; metricsforwarder gauges every 10 s plus container metrics, 2 instances',
    seed: 1005,
    policy: {
      instance_min_count: 2,
      instance_max_count: 5,
      scaling_rules: [rule('queue_length', '>', 100, '+1', 60, 120), rule('queue_length', '<', 20, '-1', 120, 120)],
    },
    build(rng) {
      const app = identity(rng, 'queue-consumer', 2);
      const queue = profile([
        [0, 10],
        [5 * MINUTE, 10],
        [20 * MINUTE, 240],
        [25 * MINUTE, 240],
        [35 * MINUTE, 5],
      ]);
      const out = containerLoad(
        {
          app,
          start: SAMPLE_START,
          durationSecs: 45 * MINUTE,
          shape: 'combined',
          cpu: () => 18 + rng.noise(5),
          memory: steadyMemory(220, rng),
          periodSecs: 30,
        },
        rng,
      );
      for (let instance = 0; instance < 2; instance += 1) {
        for (let s = 4 + instance * 5; s < 45 * MINUTE; s += 10) {
          const value = Math.max(0, Math.round(queue(s) * (instance === 0 ? 1.05 : 0.95) + rng.noise(6)));
          out.push(
            customMetricEnvelope(app, instance, at(SAMPLE_START, s + rng.noise(0.2)), 'queue_length', 'jobs', value),
          );
        }
      }
      return out;
    },
  },
  {
    name: 'http-throughput',
    description: 'gorouter traffic rises from 1 to 7 requests/s and falls back; Client and Server timers, 2 instances',
    seed: 1006,
    policy: {
      instance_min_count: 2,
      instance_max_count: 4,
      scaling_rules: [rule('throughput', '>', 2, '+1', 120, 180), rule('throughput', '<=', 1, '-1', 180, 180)],
    },
    build(rng) {
      const app = identity(rng, 'storefront', 2);
      const rate = profile([
        [0, 1],
        [5 * MINUTE, 1],
        [12 * MINUTE, 7],
        [20 * MINUTE, 7],
        [23 * MINUTE, 1],
      ]);
      const paths = ['/', '/products', '/products/42', '/cart', '/api/stock?sku=991'];
      const out: Envelope[] = [];
      // Poisson arrivals: exponential gaps at the current rate.
      for (let s = rng.between(0, 1); s < 30 * MINUTE; s += -Math.log(1 - rng.next()) / rate(s)) {
        const load = rate(s) / 7;
        const status = rng.next() < 0.01 + load * 0.02 ? 503 : 200;
        const durationMs = 25 + load * 120 + Math.abs(rng.noise(20));
        out.push(
          ...httpTimerEnvelopes(
            app,
            rng.int(0, 1),
            {
              stop: at(SAMPLE_START, s, 'ns'),
              durationMs,
              status,
              method: rng.next() < 0.85 ? 'GET' : 'POST',
              path: paths[rng.int(0, paths.length - 1)]!,
            },
            rng,
          ),
        );
      }
      return out;
    },
  },
];

/** A sample's envelopes in delivery order: by timestamp, ties kept in the order built. */
export const buildSample = (definition: SampleDefinition): Envelope[] => {
  const envelopes = definition.build(createPrng(definition.seed));
  return envelopes
    .map((envelope, index) => ({ envelope, index }))
    .sort((a, b) =>
      a.envelope.timestamp < b.envelope.timestamp
        ? -1
        : a.envelope.timestamp > b.envelope.timestamp
          ? 1
          : a.index - b.index,
    )
    .map((e) => e.envelope);
};
