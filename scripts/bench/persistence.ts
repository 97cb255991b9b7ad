/**
 * Persistence: app-metric rows per second through the store's bulk insert into a real PostgreSQL,
 * next to `COPY app_metric FROM STDIN` of the same rows into the same table, alternating, in a
 * private schema dropped afterwards.
 * Usage: node scripts/bench/persistence.ts [--quick] [--database-url postgres://…]
 * (else BENCH_DATABASE_URL, else TEST_DATABASE_URL).
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { finished } from 'node:stream/promises';
import postgres from 'postgres';
import type { Sql } from 'postgres';
import { connectDatabase } from '../../lib/adapters/db/connect.ts';
import type { AppMetric } from '../../lib/core/model/app-metric.ts';
import { createAppMetricStore } from '../../lib/adapters/stores/app-metric-store.ts';
import { benchApp, BENCH_START_NS, NS_PER_SECOND } from './synthetic-apps.ts';
import { count, ms, perSecond, ratio, runBench, verdict } from './table.ts';
import type { BenchTable } from './table.ts';

/** `save_batch_size`'s default: the most rows one write of the persistence pipeline carries. */
const SERVICE_BATCH = 5000;
const TYPES = [
  ['cpu', '%'],
  ['memoryutil', '%'],
  ['memoryused', 'MB'],
] as const;

/** One tick's worth of metrics per app, tick after tick, as the aggregator produces them. */
const buildRows = (total: number): AppMetric[] => {
  const apps = Array.from({ length: 500 }, (_v, i) => benchApp(i, 1).appId);
  const rows: AppMetric[] = [];
  for (let tick = 0; rows.length < total; tick++) {
    const timestamp = BENCH_START_NS + BigInt(tick) * 40n * NS_PER_SECOND;
    for (const appId of apps) {
      for (const [name, unit] of TYPES) {
        if (rows.length === total) break;
        rows.push({ appId, name, unit, timestamp, value: String((rows.length * 7919) % 100) });
      }
    }
  }
  return rows;
};

/** COPY text format: tab-separated, with the format's own escapes (an empty value stays '', not NULL). */
const copyField = (text: string): string =>
  text.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c] ?? c);
const copyText = (rows: readonly AppMetric[]): string =>
  rows
    .map(
      (m) =>
        `${copyField(m.appId)}\t${copyField(m.name)}\t${copyField(m.unit)}\t${m.timestamp}\t${copyField(m.value)}\n`,
    )
    .join('');

const copyRows = async (sql: Sql, rows: readonly AppMetric[]): Promise<void> => {
  const writable = await sql`COPY app_metric (app_id, metric_type, unit, "timestamp", value) FROM STDIN`.writable();
  writable.end(copyText(rows));
  await finished(writable);
};

/**
 * A client for the COPY side whose socket sends at once (TCP_NODELAY). postgres.js writes a COPY's
 * data and its CopyDone as two small writes on a default socket, and Nagle's algorithm then holds
 * the second until the server's delayed ACK (~40 ms per statement): a client artefact, not COPY's cost.
 */
const copyClient = (url: string, schema: string): Sql => {
  const target = new URL(url);
  const socket = (): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const s = connect({ host: target.hostname || '127.0.0.1', port: Number(target.port || 5432), noDelay: true });
      s.once('connect', () => {
        s.off('error', reject);
        resolve(s);
      });
      s.once('error', reject);
    });
  // `socket` is a documented postgres.js option its type definitions lack.
  const options = { max: 1, onnotice: () => {}, connection: { search_path: schema }, socket };
  return postgres(url, options);
};

const batches = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_v, i) => items.slice(i * size, (i + 1) * size));

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export const databaseUrl = (values: Readonly<Record<string, unknown>>): string | undefined =>
  (values['database-url'] as string | undefined) ?? process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;

runBench(
  async ({ quick, values }): Promise<BenchTable> => {
    const url = databaseUrl(values);
    if (!url)
      throw new Error(
        'persistence needs a real PostgreSQL server (COPY FROM STDIN does not work against the embedded one): pass --database-url or set BENCH_DATABASE_URL or TEST_DATABASE_URL',
      );
    const total = quick ? 2000 : 100_000;
    const rounds = quick ? 1 : 5;
    const schema = `eg_bench_${randomBytes(6).toString('hex')}`;
    const db = await connectDatabase({ url, schema, applySchema: true, maxConnections: 2 });
    let closeCopy = async (): Promise<void> => {};
    try {
      const { sql } = db;
      const copySql = copyClient(url, schema);
      closeCopy = () => copySql.end({ timeout: 5 });
      const store = createAppMetricStore(sql, { now: () => BENCH_START_NS });
      const rows = buildRows(total);
      const ways: Record<string, (chunk: readonly AppMetric[]) => Promise<void>> = {
        saveBulk: async (chunk) => {
          const result = await store.saveBulk(chunk);
          if (result.saved !== chunk.length) throw new Error(`saveBulk saved ${result.saved} of ${chunk.length} rows`);
        },
        copy: (chunk) => copyRows(copySql, chunk),
        copyDefaultSocket: (chunk) => copyRows(sql, chunk),
      };
      const measure = async (way: string, batchSize: number): Promise<number> => {
        await sql`TRUNCATE app_metric`;
        const start = performance.now();
        for (const chunk of batches(rows, batchSize)) await ways[way]!(chunk);
        const elapsed = performance.now() - start;
        const n = (await sql<{ n: bigint }[]>`SELECT count(*) AS n FROM app_metric`)[0]?.n;
        if (Number(n) !== rows.length) throw new Error(`${way} left ${n} rows in the table, expected ${rows.length}`);
        return elapsed;
      };

      const plans = [
        {
          label: `saveBulk, batches of ${count(SERVICE_BATCH)} (service default)`,
          way: 'saveBulk',
          batch: SERVICE_BATCH,
        },
        { label: `COPY FROM STDIN, batches of ${count(SERVICE_BATCH)}`, way: 'copy', batch: SERVICE_BATCH },
        { label: `COPY FROM STDIN, one statement`, way: 'copy', batch: total },
        { label: `saveBulk, one statement`, way: 'saveBulk', batch: total },
        {
          label: `COPY, batches of ${count(SERVICE_BATCH)}, default socket (Nagle)`,
          way: 'copyDefaultSocket',
          batch: SERVICE_BATCH,
        },
      ];
      await measure('saveBulk', SERVICE_BATCH);
      await measure('copy', SERVICE_BATCH);
      const times = plans.map(() => [] as number[]);
      for (let r = 0; r < rounds; r++) {
        // Alternating the order each round keeps table and cache warm-up from favouring one side.
        const order = r % 2 === 0 ? plans.map((_p, i) => i) : plans.map((_p, i) => plans.length - 1 - i);
        for (const i of order) times[i]!.push(await measure(plans[i]!.way, plans[i]!.batch));
      }
      const medians = times.map(median);
      const copyMedian = medians[1]!;
      const saveMedian = medians[0]!;
      const pass = copyMedian / saveMedian >= 0.5;
      return {
        title: 'Persistence (app_metric rows into PostgreSQL)',
        notes: [
          `${count(total)} rows per run (500 apps x 3 metric types per tick), table emptied before each run, index index_app_metrics in place`,
          `median of ${rounds} rounds, order alternating each round; private schema ${schema}, dropped afterwards`,
          `server ${url.replace(/\/\/[^@/]*@/, '//')}; COPY rows use a TCP_NODELAY client (the last row shows why)`,
        ],
        columns: ['method', 'median time', 'rows/s', 'vs COPY (same batches)', 'target'],
        rows: plans.map((p, i) => [
          p.label,
          ms(medians[i]!),
          perSecond(total / (medians[i]! / 1000), 'rows/s'),
          ratio(copyMedian / medians[i]!),
          i === 0 ? verdict(pass) : '',
        ]),
        target: { text: 'saveBulk >= 0.5x COPY of the same rows', pass },
      };
    } finally {
      await closeCopy();
      await db.sql`DROP SCHEMA IF EXISTS ${db.sql(schema)} CASCADE`.catch(() => undefined);
      await db.close();
    }
  },
  ['database-url'],
);
