import type { Sql } from 'postgres';
import type { LogLine } from './service-process.ts';
import { until } from './until.ts';

/** The app_metric timestamps of each app, ascending. */
export const storedTimestamps = async (sql: Sql, appIds: readonly string[]): Promise<Map<string, bigint[]>> => {
  const rows = await sql<{ app_id: string; timestamp: bigint }[]>`
    SELECT app_id, "timestamp" FROM app_metric WHERE app_id IN ${sql(appIds as string[])} ORDER BY "timestamp"`;
  const byApp = new Map<string, bigint[]>(appIds.map((id) => [id, []]));
  for (const r of rows) byApp.get(r.app_id)?.push(BigInt(r.timestamp));
  return byApp;
};

/** Rows in app_metric for the given apps (all apps when none are given). */
export const countRows = async (sql: Sql, appIds?: readonly string[]): Promise<number> => {
  const [row] = appIds
    ? await sql<{ n: bigint }[]>`SELECT count(*) AS n FROM app_metric WHERE app_id IN ${sql(appIds as string[])}`
    : await sql<{ n: bigint }[]>`SELECT count(*) AS n FROM app_metric`;
  return Number(row?.n ?? 0);
};

/** Log lines whose message matches, optionally for one app. */
export const linesMatching = (logs: readonly LogLine[], message: RegExp, appId?: string): LogLine[] =>
  logs.filter((l) => message.test(l.msg) && (appId === undefined || l.appId === appId));

/** The last `count` log lines, decision lines left out, for assertion messages. */
export const logTail = (logs: readonly LogLine[], count = 15): string =>
  logs
    .filter((l) => l.decision === undefined)
    .slice(-count)
    .map((l) =>
      JSON.stringify(
        Object.fromEntries(Object.entries(l).filter(([k]) => !['pid', 'hostname', 'name', 'level'].includes(k))),
      ),
    )
    .join('\n');

/** Log lines written within [fromMs, toMs] (pino's `time`). */
export const linesBetween = (lines: readonly LogLine[], fromMs: number, toMs: number): LogLine[] =>
  lines.filter((l) => Number(l.time) >= fromMs && Number(l.time) <= toMs);

/** The service's Prometheus counters, summed over their labels, from the health port. */
export const readCounters = async (healthPort: number): Promise<Map<string, number>> => {
  const response = await fetch(`http://127.0.0.1:${healthPort}/metrics`, { signal: AbortSignal.timeout(5_000) });
  const text = await response.text();
  const sums = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})?\s+(\S+)/.exec(line);
    if (match) sums.set(match[1]!, (sums.get(match[1]!) ?? 0) + Number(match[2]));
  }
  return sums;
};

export const PRODUCED = 'autoscaler_eventgenerator_app_metrics_produced_total';
export const SAVED = 'autoscaler_eventgenerator_app_metrics_saved_total';
export const DROPPED = 'autoscaler_eventgenerator_app_metrics_dropped_total';

/**
 * The counters once the produced and saved app-metric counts have held still for `quietMs` and
 * `ready` accepts them (e.g. saved = produced): production and persistence are at rest.
 */
export const restingCounters = async (
  healthPort: number,
  timeoutMs: number,
  quietMs: number,
  ready: (counters: Map<string, number>) => boolean = () => true,
): Promise<Map<string, number>> => {
  let last = '';
  let since = Date.now();
  return until(
    'the app-metric counters to come to rest',
    timeoutMs,
    async () => {
      const counters = await readCounters(healthPort);
      const signature = `${counters.get(PRODUCED)}/${counters.get(SAVED)}`;
      if (signature !== last) {
        last = signature;
        since = Date.now();
        return undefined;
      }
      return Date.now() - since >= quietMs && ready(counters) ? counters : undefined;
    },
    250,
  );
};

/** The largest gap between consecutive timestamps (ns, ascending or not), in ms; 0 for fewer than two. */
export const largestGapMs = (timestamps: readonly bigint[]): number => {
  const sorted = [...timestamps].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let gap = 0n;
  for (let i = 1; i < sorted.length; i++) {
    const d = sorted[i]! - sorted[i - 1]!;
    if (d > gap) gap = d;
  }
  return Number(gap / 1_000_000n);
};

/** Timestamps (ns) within [fromMs, toMs] of the wall clock. */
export const within = (timestamps: readonly bigint[], fromMs: number, toMs: number): bigint[] =>
  timestamps.filter((t) => t >= BigInt(fromMs) * 1_000_000n && t <= BigInt(toMs) * 1_000_000n);
