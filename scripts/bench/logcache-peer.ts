/**
 * The simulated log-cache of apps-per-instance.ts, in a process of its own so that serving does
 * not take CPU from the side being measured. Its store makes up each app's container gauges for
 * whatever window is asked (deterministic, nothing kept), then filters them with the simulated
 * store's own query rules. With --stream it also runs a simulated RLP gateway and publishes each
 * emission, unsplit, when it is due (every 20 ms, what became due since the last round), the same
 * emissions log-cache serves split. Started with fork(); reports `{ url, streamUrl }` once listening
 * and answers `'cpu'` with its CPU time so far. Ends when the parent disconnects.
 * Usage (by fork): logcache-peer.ts --apps N --instances I --period-secs P --latency-ms L [--stream]
 */
import { parseArgs } from 'node:util';
import { startLogCacheServer } from '../../lib/tools/simulation/logcache-server.ts';
import { createEnvelopeStore } from '../../lib/tools/simulation/logcache-store.ts';
import type { EnvelopeStore } from '../../lib/tools/simulation/logcache-store.ts';
import { startRlpGatewayServer } from '../../lib/tools/simulation/rlp-gateway-server.ts';
import type { EncodedEnvelope, RlpGatewayServer } from '../../lib/tools/simulation/rlp-gateway-server.ts';
import { encodeEnvelope } from '../../lib/core/envelope/envelope-json.ts';
import type { Envelope } from '../../lib/core/model/envelope.ts';
import { appEnvelopes, BENCH_START_NS, benchApp, containerEmission } from './synthetic-apps.ts';
import type { BenchApp } from './synthetic-apps.ts';

const { values } = parseArgs({
  options: {
    apps: { type: 'string' },
    instances: { type: 'string' },
    'period-secs': { type: 'string' },
    'latency-ms': { type: 'string' },
    stream: { type: 'boolean', default: false },
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

/**
 * Publishes each instance's emission when it is due, in the wire form of containerEmission's
 * combined envelopes: each (app, instance) is encoded once with its tags, and each emission only
 * puts in its timestamp and values, so the peer keeps up with tens of thousands of envelopes a
 * second. The instants are those of emissionTimes (the ones log-cache serves split).
 */
function startPublishing(gateway: RlpGatewayServer): NodeJS.Timeout {
  const periodUs = Math.round(periodSecs * 1e6);
  interface Slot {
    readonly offsetUs: number;
    readonly sourceId: string;
    readonly parts: readonly string[][];
    readonly seed: number;
  }
  const slots: Slot[] = [];
  for (const app of known.values()) {
    for (let instance = 0; instance < instances; instance++) {
      // The same phase arithmetic as emissionTimes, so both peers agree on every instant.
      const offsetUs = Math.round(((app.phaseSecs + (instance * periodSecs) / instances) % periodSecs) * 1e6);
      const parts = containerEmission(app, instance, BENCH_START_NS, 'combined').map((e: Envelope) => {
        const wire = encodeEnvelope(e) as {
          timestamp: string;
          gauge?: { metrics: Record<string, { value: unknown }> };
        };
        wire.timestamp = '\u0000';
        for (const [name, metric] of Object.entries(wire.gauge?.metrics ?? {}))
          if (name === 'cpu' || name === 'memory') metric.value = '\u0001';
        return JSON.stringify(wire).split(/"\\u000[01]"/);
      });
      slots.push({ offsetUs, sourceId: app.appId, parts, seed: app.index * 7 + instance });
    }
  }
  slots.sort((a, b) => a.offsetUs - b.offsetUs);
  const firstAtOrAfter = (offsetUs: number): number => {
    let lo = 0;
    let hi = slots.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (slots[mid]!.offsetUs < offsetUs) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const sinceStartUs = (): number => Math.floor((Date.now() - Number(BENCH_START_NS / 1_000_000n)) * 1000);
  let fromUs = sinceStartUs();
  return setInterval(() => {
    const toUs = sinceStartUs();
    const due: EncodedEnvelope[] = [];
    for (let k = Math.floor(fromUs / periodUs); k * periodUs < toUs; k++) {
      const end = firstAtOrAfter(Math.min(periodUs, toUs - k * periodUs));
      for (let i = firstAtOrAfter(Math.max(0, fromUs - k * periodUs)); i < end; i++) {
        const slot = slots[i]!;
        const ts = (BENCH_START_NS + BigInt(k * periodUs + slot.offsetUs) * 1000n).toString();
        const cpu = 5 + ((k + slot.seed) % 40) * 1.25;
        const memory = (300 + ((k * 3 + slot.seed) % 64)) * 1_048_576;
        for (const part of slot.parts) {
          // Group A: timestamp, cpu, memory in key order; group B: the timestamp alone.
          const json =
            part.length === 4
              ? `${part[0]}"${ts}"${part[1]}${cpu}${part[2]}${memory}${part[3]}`
              : `${part[0]}"${ts}"${part[1]}`;
          due.push({ sourceId: slot.sourceId, kind: 'gauge', json });
        }
      }
    }
    fromUs = toUs;
    if (due.length > 0) gateway.publishEncoded(due);
  }, PUBLISH_MS);
}

const server = await startLogCacheServer({ envelopes: syntheticStore, latencyMs });
// Round trips of the stream's request as of log-cache's; a URL of 200 source ids is about 9.5 KB.
const gateway = values.stream ? await startRlpGatewayServer({ latencyMs, maxHeaderSize: 256 * 1024 }) : undefined;
const PUBLISH_MS = 20;
const publisher = gateway ? startPublishing(gateway) : undefined;
process.on('message', (message) => {
  if (message === 'cpu') process.send?.({ cpu: process.cpuUsage() });
});
process.on('disconnect', () => {
  clearInterval(publisher);
  void Promise.all([server.close(), gateway?.close()]).finally(() => process.exit(0));
});
process.send({ url: server.url, streamUrl: gateway?.url });
