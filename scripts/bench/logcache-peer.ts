/**
 * The simulated log-cache of apps-per-instance.ts, in a process of its own so that serving does
 * not take CPU from the side being measured. Its store makes up each app's container gauges for
 * whatever window is asked (deterministic, nothing kept), then filters them with the simulated
 * store's own query rules. Started with fork(); reports `{ url }` once listening and answers
 * `'cpu'` with its CPU time so far. Ends when the parent disconnects.
 * Usage (by fork): logcache-peer.ts --apps N --instances I --period-secs P --latency-ms L
 */
import { parseArgs } from 'node:util';
import { startLogCacheServer } from '../../lib/tools/simulation/logcache-server.ts';
import { createEnvelopeStore } from '../../lib/tools/simulation/logcache-store.ts';
import type { EnvelopeStore } from '../../lib/tools/simulation/logcache-store.ts';
import { appEnvelopes, benchApp } from './synthetic-apps.ts';
import type { BenchApp } from './synthetic-apps.ts';

const { values } = parseArgs({
  options: {
    apps: { type: 'string' },
    instances: { type: 'string' },
    'period-secs': { type: 'string' },
    'latency-ms': { type: 'string' },
  },
});
const apps = Number(values.apps);
const instances = Number(values.instances);
const periodSecs = Number(values['period-secs']);
const latencyMs = Number(values['latency-ms']);
if (![apps, instances, periodSecs, latencyMs].every((v) => Number.isFinite(v) && v >= 0) || !process.send) {
  throw new Error('logcache-peer: start it with fork() and --apps, --instances, --period-secs, --latency-ms');
}

const known = new Map<string, BenchApp>();
for (let i = 0; i < apps; i++) {
  const app = benchApp(i, instances);
  known.set(app.appId, app);
}

const syntheticStore: EnvelopeStore = {
  add: () => {},
  query(sourceId, start, end, types, nameFilter, limit, descending) {
    const app = known.get(sourceId);
    if (!app) return [];
    const window = createEnvelopeStore();
    window.add(...appEnvelopes(app, start, end, periodSecs, 'split'));
    return window.query(sourceId, start, end, types, nameFilter, limit, descending);
  },
  meta: () => new Map(),
  size: () => 0,
  clear: () => {},
};

const server = await startLogCacheServer({ envelopes: syntheticStore, latencyMs });
process.on('message', (message) => {
  if (message === 'cpu') process.send?.({ cpu: process.cpuUsage() });
});
process.on('disconnect', () => {
  void server.close().finally(() => process.exit(0));
});
process.send({ url: server.url });
