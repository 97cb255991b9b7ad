import type { AppMetric } from '../core/model/app-metric.ts';
import { msToNs } from '../core/time/ns.ts';

/**
 * What the replay's aggregation thread tells the main thread, in recording order, as JSON lines (the
 * same lines make the aggregated cache):
 * - `start`: the first envelope's instant (ms), where the virtual clock starts;
 * - `source`: an app's first envelope and its instant (the main thread adopts its policy then);
 * - `name`: the first app name seen for an app;
 * - `series`: declares (app, metric type, unit), named afterwards by its place in declaration order;
 * - `tick`: the metrics one aggregation tick emitted at `ms`, in order: series, value, and the
 *   instances that reported it (for the shared load model; 0 for types it does not touch);
 * - `issue`: a bad line (only the first ones; the header counts all);
 * - `log`: what the aggregation logged.
 */
export type FrameEvent =
  | readonly ['start', number]
  | readonly ['source', number, string]
  | readonly ['name', string, string]
  | readonly ['series', string, string, string]
  | readonly ['tick', number, readonly number[], readonly string[], readonly number[]]
  | readonly ['issue', number, string]
  | readonly ['log', 'warn' | 'error', Record<string, unknown>, string | null];

export interface AggregatedFrame {
  /** Envelopes read so far; those older than the clock when read; bad lines. */
  readonly envelopes: number;
  readonly late: number;
  readonly issues: number;
  /** The latest envelope instant so far (ms); null before the first. Every tick before it has been sent. */
  readonly latestMs: number | null;
  /** How far the reading has come, 0 to 1. */
  readonly fraction: number;
  readonly events: readonly FrameEvent[];
}

export interface FrameEncoder {
  event(event: FrameEvent): void;
  /** An aggregated metric of the tick at `atMs` (its timestamp must be that instant). */
  metric(atMs: number, metric: AppMetric, reporting: number): void;
  /** Closes the tick under way, if any; true when it had metrics. */
  endTick(): boolean;
  /** Events waiting to be sent. */
  size(): number;
  take(header: Omit<AggregatedFrame, 'events'>): string;
}

export const createFrameEncoder = (): FrameEncoder => {
  const series = new Map<string, number>();
  let events: FrameEvent[] = [];
  let tick: { atMs: number; ids: number[]; values: string[]; reporting: number[] } | undefined;
  const endTick = (): boolean => {
    if (!tick) return false;
    events.push(['tick', tick.atMs, tick.ids, tick.values, tick.reporting]);
    tick = undefined;
    return true;
  };
  return {
    event(event) {
      endTick();
      events.push(event);
    },
    metric(atMs, metric, reporting) {
      if (metric.timestamp !== msToNs(atMs))
        throw new Error(
          `metric ${metric.appId}/${metric.name} at ${metric.timestamp} ns emitted by the tick at ${atMs} ms`,
        );
      if (tick && tick.atMs !== atMs) endTick();
      tick ??= { atMs, ids: [], values: [], reporting: [] };
      const key = `${metric.appId}\u0000${metric.name}\u0000${metric.unit}`;
      let id = series.get(key);
      if (id === undefined) {
        id = series.size;
        series.set(key, id);
        // Declared before the tick that first names it: the tick's event is added when it ends.
        events.push(['series', metric.appId, metric.name, metric.unit]);
      }
      tick.ids.push(id);
      tick.values.push(metric.value);
      tick.reporting.push(reporting);
    },
    endTick,
    size: () => events.length + (tick ? 1 : 0),
    take(header) {
      endTick();
      const text = JSON.stringify({ ...header, events });
      events = [];
      return text;
    },
  };
};

/** The reader of frames: keeps the series declared so far, to rebuild each tick's metrics. */
export interface FrameDecoder {
  frame(text: string): AggregatedFrame;
  /** A tick event's metrics, as aggregateMetrics made them; `reporting` gets each one's count. */
  metrics(
    tick: Extract<FrameEvent, readonly ['tick', ...unknown[]]>,
    reporting: (metric: AppMetric, count: number) => void,
  ): AppMetric[];
  declare(event: Extract<FrameEvent, readonly ['series', ...unknown[]]>): void;
}

export const createFrameDecoder = (): FrameDecoder => {
  const series: { appId: string; name: string; unit: string }[] = [];
  return {
    frame: (text) => JSON.parse(text) as AggregatedFrame,
    declare([, appId, name, unit]) {
      series.push({ appId, name, unit });
    },
    metrics([, atMs, ids, values, counts], reporting) {
      const timestamp = msToNs(atMs);
      const metrics: AppMetric[] = new Array(ids.length);
      for (let i = 0; i < ids.length; i++) {
        const s = series[ids[i]!];
        if (s === undefined) throw new Error(`aggregated frame names series ${ids[i]} before declaring it`);
        // The key order of the metrics aggregateMetrics makes.
        const metric: AppMetric = { appId: s.appId, name: s.name, unit: s.unit, value: values[i]!, timestamp };
        if (counts[i]! > 0) reporting(metric, counts[i]!);
        metrics[i] = metric;
      }
      return metrics;
    },
  };
};
