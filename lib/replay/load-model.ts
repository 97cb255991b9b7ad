import { promQlWindowSecs } from '../core/metrics/promql.ts';
import type { AppMetric } from '../core/model/app-metric.ts';
import type { Envelope } from '../core/model/envelope.ts';
import { NS_PER_SECOND } from '../core/time/ns.ts';

/**
 * How recorded load meets simulated instances.
 * - `shared`: the app's total load at each moment is what was recorded (the per-instance value times
 *   the instances reporting then); cpu, cpuutil and throughput are that total spread over the
 *   simulated instances. These three follow the work each instance gets: twice the instances, half
 *   the cpu and half the requests each.
 * - `recorded`: every value as recorded, whatever the simulated instance count.
 * Memory, disk, response time and custom metrics stay as recorded in both: memory and disk hold
 * mostly what each instance loads for itself, response time depends on more than the request rate,
 * and a custom metric (a queue length, say) may be app-wide already; dividing any of them would
 * invent a relation the recording does not show.
 */
export type LoadModelName = 'shared' | 'recorded';

export const LOAD_MODELS: readonly LoadModelName[] = ['shared', 'recorded'];

/** The metric types the shared model spreads over the simulated instances. */
export const SHARED_METRIC_TYPES: ReadonlySet<string> = new Set(['cpu', 'cpuutil', 'throughput']);

/** One line for summaries and reports: which model, and which metrics it touched. */
export const describeLoadModel = (name: LoadModelName): string =>
  name === 'shared'
    ? 'load model: shared (cpu, cpuutil and throughput are the recorded total spread over the simulated instances; memory, disk, response time and custom metrics as recorded)'
    : 'load model: recorded (every metric as recorded, whatever the simulated instance count)';

/** Instances that reported at each moment, per app: gauges for cpu and cpuutil, Client timers for throughput. */
export interface ReportingInstances {
  observe(envelope: Envelope): void;
  /** Instances with a value of this metric type in the window the aggregation read at `metric.timestamp`. */
  count(metric: AppMetric): number;
}

interface Seen {
  // The two latest distinct times, so an envelope at the very aggregation instant (outside the
  // window, which ends before it) does not hide an earlier one inside it.
  gauge: bigint;
  gaugeBefore: bigint;
  timer: bigint;
  timerBefore: bigint;
}

const NEVER = -(2n ** 62n);

export const createReportingInstances = (settings: {
  readonly statWindowSecs: number;
  readonly aggregatorIntervalMs: number;
}): ReportingInstances => {
  const statWindowNs = BigInt(settings.statWindowSecs) * NS_PER_SECOND;
  const httpWindowNs = BigInt(promQlWindowSecs(settings.aggregatorIntervalMs / 1000)) * NS_PER_SECOND;
  const apps = new Map<string, Map<string, Seen>>();
  const seenOf = (envelope: Envelope): Seen => {
    let instances = apps.get(envelope.sourceId);
    if (!instances) apps.set(envelope.sourceId, (instances = new Map()));
    let seen = instances.get(envelope.instanceId);
    if (!seen)
      instances.set(
        envelope.instanceId,
        (seen = { gauge: NEVER, gaugeBefore: NEVER, timer: NEVER, timerBefore: NEVER }),
      );
    return seen;
  };
  const within = (last: bigint, before: bigint, from: bigint, to: bigint, inclusiveEnd: boolean) =>
    (last >= from && (inclusiveEnd ? last <= to : last < to)) || (before >= from && before < to);
  return {
    observe(envelope) {
      const gauge = envelope.gauge;
      if (gauge !== undefined) {
        if (gauge['cpu'] === undefined && gauge['cpu_entitlement'] === undefined) return;
        const seen = seenOf(envelope);
        if (envelope.timestamp !== seen.gauge) {
          seen.gaugeBefore = seen.gauge;
          seen.gauge = envelope.timestamp;
        }
      } else if (envelope.timer?.name === 'http' && envelope.tags['peer_type'] === 'Client') {
        const seen = seenOf(envelope);
        if (envelope.timestamp !== seen.timer) {
          seen.timerBefore = seen.timer;
          seen.timer = envelope.timestamp;
        }
      }
    },
    count(metric) {
      const instances = apps.get(metric.appId);
      if (!instances) return 0;
      const now = metric.timestamp;
      let n = 0;
      if (metric.name === 'throughput') {
        // The PromQL range is closed and reads whole seconds: a little generous at its edges.
        const from = now - httpWindowNs - NS_PER_SECOND;
        for (const seen of instances.values()) if (within(seen.timer, seen.timerBefore, from, now, false)) n += 1;
      } else {
        const from = now - statWindowNs;
        for (const seen of instances.values()) if (within(seen.gauge, seen.gaugeBefore, from, now, false)) n += 1;
      }
      return n;
    },
  };
};

const INTEGER = /^-?\d+$/;

/**
 * The value one of `simulated` instances would have reported had the recorded total been spread
 * over them: ceil(value × reporting / simulated), ceiled as the aggregation ceils its means. Other
 * metric types, empty values and moments without a reporting instance are returned as they are.
 */
export const shareLoad = (metric: AppMetric, reporting: number, simulated: number): AppMetric => {
  if (reporting <= 0 || simulated <= 0 || reporting === simulated || !SHARED_METRIC_TYPES.has(metric.name))
    return metric;
  if (!INTEGER.test(metric.value)) return metric;
  const value = Number(metric.value);
  const total = value * reporting;
  let shared: string;
  if (Number.isSafeInteger(total)) shared = String(Math.ceil(total / simulated));
  else {
    const big = BigInt(metric.value) * BigInt(reporting);
    const s = BigInt(simulated);
    const q = big / s;
    shared = String(big % s > 0n ? q + 1n : q);
  }
  return shared === metric.value ? metric : { ...metric, value: shared };
};

export interface LoadModelOptions {
  readonly name: LoadModelName;
  readonly settings: { readonly statWindowSecs: number; readonly aggregatorIntervalMs: number };
  /** The simulated instance count of an app now. */
  readonly instances: (appId: string) => number;
  /** Told every aggregated metric as recorded, with the instances that reported it (0 under `recorded`). */
  readonly capture?: (recorded: AppMetric, reporting: number) => void;
  /**
   * The reporting instances as counted where the envelopes were observed (the replay's reader
   * thread, beside the aggregation); `observe` then does nothing.
   */
  readonly reporting?: Pick<ReportingInstances, 'count'>;
}

export interface LoadModel {
  /** Feed every envelope, before the aggregation sees it. */
  observe(envelope: Envelope): void;
  /** The metric the evaluation sees in place of the aggregated one. */
  transform(metric: AppMetric): AppMetric;
}

/** The replay's load model: observes the envelopes and transforms each aggregated metric. */
export const createLoadModel = (options: LoadModelOptions): LoadModel => {
  if (options.name === 'recorded')
    return {
      observe() {},
      transform(metric) {
        options.capture?.(metric, 0);
        return metric;
      },
    };
  const own = createReportingInstances(options.settings);
  const reporting = options.reporting ?? own;
  return {
    observe: options.reporting ? () => {} : own.observe,
    transform(metric) {
      const n = SHARED_METRIC_TYPES.has(metric.name) ? reporting.count(metric) : 0;
      options.capture?.(metric, n);
      return shareLoad(metric, n, options.instances(metric.appId));
    },
  };
};
