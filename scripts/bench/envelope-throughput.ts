/**
 * Envelope throughput on one core: log-cache read bodies through decoding and envelope parsing as
 * the log-cache client reads them (readBodyFast, the int64-exact decoder when it declines),
 * windowing and reduction (aggregateMetrics in virtual time), next to bare JSON.parse of the same
 * bytes. Usage: node scripts/bench/envelope-throughput.ts [--quick]
 */
import { performance } from 'node:perf_hooks';
import { Subject, VirtualTimeScheduler } from 'rxjs';
import { parseReadResponse } from '../../lib/core/envelope/parse-read-response.ts';
import { readBodyFast } from '../../lib/core/envelope/read-body-fast.ts';
import { parse as parseInt64Json } from '../../lib/core/json/bigint-json.ts';
import { encodeReadResponse } from '../../lib/core/envelope/envelope-json.ts';
import { combinedNameFilter } from '../../lib/core/metrics/metric-types.ts';
import type { Envelope, EnvelopeRead } from '../../lib/core/model/envelope.ts';
import type { Monitors } from '../../lib/core/model/policy.ts';
import { aggregateMetrics } from '../../pipelines/aggregate-metrics.ts';
import { appEnvelopes, benchApp, BENCH_START_NS, NS_PER_SECOND } from './synthetic-apps.ts';
import { count, mib, ms, perSecond, ratio, runBench, verdict } from './table.ts';
import type { BenchTable } from './table.ts';

const INTERVAL_SECS = 40;
const STAT_WINDOW_SECS = 120;
const INSTANCES = 4;
const EMISSION_PERIOD_SECS = 30;
const TYPES = ['cpu', 'memoryutil', 'memoryused'] as const;

interface Workload {
  /** Read bodies per aggregation round, one per app. */
  readonly rounds: readonly (readonly string[])[];
  readonly envelopes: number;
  readonly bytes: number;
}

/** One non-overlapping read per app per interval, filtered as log-cache applies the app's name_filter. */
const buildWorkload = (apps: number, rounds: number): Workload => {
  const filter = new RegExp(combinedNameFilter(TYPES) ?? '');
  const benchApps = Array.from({ length: apps }, (_v, i) => benchApp(i, INSTANCES));
  const intervalNs = BigInt(INTERVAL_SECS) * NS_PER_SECOND;
  let envelopes = 0;
  let bytes = 0;
  const bodies = Array.from({ length: rounds }, (_v, r) =>
    benchApps.map((app) => {
      const from = BENCH_START_NS + BigInt(r) * intervalNs;
      const batch = appEnvelopes(app, from, from + intervalNs, EMISSION_PERIOD_SECS, 'split').filter((e) =>
        Object.keys(e.gauge ?? {}).some((name) => filter.test(name)),
      );
      envelopes += batch.length;
      const body = encodeReadResponse(batch);
      bytes += Buffer.byteLength(body);
      return body;
    }),
  );
  return { rounds: bodies, envelopes, bytes };
};

/** A read body's envelopes as the log-cache client gets them. */
const clientRead = (body: string): EnvelopeRead => readBodyFast(body) ?? parseReadResponse(parseInt64Json(body));

const time = (fn: () => void): number => {
  const start = performance.now();
  fn();
  return performance.now() - start;
};

/** The best of `reps` runs, after one warm-up run, so JIT and GC noise favour neither side. */
const best = (reps: number, fn: () => void): number => {
  fn();
  return Math.min(...Array.from({ length: reps }, () => time(fn)));
};

const eachBody = (workload: Workload, fn: (body: string) => void) => () => {
  for (const round of workload.rounds) for (const body of round) fn(body);
};

/**
 * Buffers per app and reduces at every tick of the virtual clock; `envelopesOf` is either the whole
 * decode-and-parse path or a lookup of envelopes parsed beforehand (to show the reduction alone).
 */
const pipelineRun =
  (workload: Workload, apps: readonly string[], envelopesOf: (body: string) => readonly Envelope[]) => (): void => {
    const scheduler = new VirtualTimeScheduler();
    scheduler.frame = Number(BENCH_START_NS / 1_000_000n);
    const envelope$ = new Subject<Envelope>();
    const monitors = new Map(apps.map((id) => [id, TYPES as readonly string[]]));
    const monitor$ = new Subject<Monitors>();
    let metrics = 0;
    const subscription = aggregateMetrics(
      { envelope$, monitor$ },
      { scheduler, statWindowSecs: STAT_WINDOW_SECS, intervalMs: INTERVAL_SECS * 1000, localHttpMetrics: false },
    ).subscribe(() => {
      metrics += 1;
    });
    monitor$.next(monitors);
    workload.rounds.forEach((round, r) => {
      for (const body of round) {
        for (const envelope of envelopesOf(body)) envelope$.next(envelope);
      }
      scheduler.maxFrames = Number(BENCH_START_NS / 1_000_000n) + (r + 1) * INTERVAL_SECS * 1000;
      scheduler.flush();
    });
    subscription.unsubscribe();
    const expected = apps.length * TYPES.length * workload.rounds.length;
    if (metrics !== expected) throw new Error(`pipeline produced ${metrics} app metrics, expected ${expected}`);
  };

runBench(async ({ quick }): Promise<BenchTable> => {
  const apps = quick ? 40 : 1000;
  const rounds = quick ? 3 : 6;
  const reps = quick ? 1 : 5;
  const workload = buildWorkload(apps, rounds);
  const appIds = Array.from({ length: apps }, (_v, i) => benchApp(i, INSTANCES).appId);

  const bare = best(
    reps,
    eachBody(workload, (body) => JSON.parse(body)),
  );
  const decoded = best(
    reps,
    eachBody(workload, (body) => parseInt64Json(body)),
  );
  const parsed = best(
    reps,
    eachBody(workload, (body) => parseReadResponse(parseInt64Json(body))),
  );
  const client = best(reps, eachBody(workload, clientRead));
  const full = best(
    reps,
    pipelineRun(workload, appIds, (body) => clientRead(body).envelopes),
  );
  const preParsed = new Map(workload.rounds.flat().map((body) => [body, clientRead(body).envelopes]));
  const reduction = best(
    reps,
    pipelineRun(workload, appIds, (body) => preParsed.get(body) ?? []),
  );
  preParsed.clear();

  const rate = (t: number) => workload.envelopes / (t / 1000);
  const row = (stage: string, t: number, judged: boolean): string[] => [
    stage,
    ms(t),
    perSecond(rate(t), 'env/s'),
    ratio(bare / t),
    judged ? verdict(bare / t >= 0.5) : '',
  ];
  return {
    title: 'Envelope throughput (one core)',
    notes: [
      `${count(apps)} apps x ${INSTANCES} instances, split-shape container gauges every ${EMISSION_PERIOD_SECS} s, ${rounds} aggregation rounds of ${INTERVAL_SECS} s`,
      `${count(workload.envelopes)} envelopes in ${count(apps * rounds)} read bodies, ${mib(workload.bytes)}; name_filter ${combinedNameFilter(TYPES)}`,
      `monitored types ${TYPES.join(', ')}; stat window ${STAT_WINDOW_SECS} s; best of ${reps} runs after a warm-up; all stages in one thread`,
    ],
    columns: ['stage', 'time', 'throughput', 'vs bare JSON.parse', 'target'],
    rows: [
      row('bare JSON.parse (input limit)', bare, false),
      row('int64-exact JSON decode', decoded, false),
      row('+ parseReadResponse', parsed, false),
      row('as the client reads (JSON.parse, exact decode only when it declines) + parse', client, false),
      row('windowing and reduction alone (pre-parsed)', reduction, false),
      row('whole pipeline: decode + parse + windowing + reduction', full, true),
    ],
    target: { text: 'whole pipeline >= 0.5x bare JSON.parse', pass: bare / full >= 0.5 },
  };
});
