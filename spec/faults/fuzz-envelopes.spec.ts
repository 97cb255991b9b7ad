import { suite } from 'uvu';
import fc from 'fast-check';
import { parseReadResponse } from '../../lib/core/envelope/parse-read-response.ts';
import { isReadResponseError } from '../../lib/core/envelope/read-response-error.ts';
import { encodeReadResponse } from '../../lib/core/envelope/envelope-json.ts';
import { createLogCacheClient } from '../../lib/adapters/logcache/logcache-client.ts';
import { parse, stringify } from '../../lib/core/json/bigint-json.ts';
import type { Envelope } from '../../lib/core/model/envelope.ts';
import { send, startPeerServer } from '../../lib/tools/simulation/peer-server.ts';
import type { PeerServer } from '../../lib/tools/simulation/peer-server.ts';
import { loudHook } from '../support/loud-hook.ts';

// --- generators -----------------------------------------------------------------------------

const INT64 = { min: -(2n ** 63n), max: 2n ** 63n - 1n };
const UINT64 = { min: 0n, max: 2n ** 64n - 1n };
type Wire = Record<string, unknown>;
interface Item {
  readonly good: boolean;
  readonly wire: unknown;
  readonly expected?: Envelope;
}

/** An int64 the way producers write it: a decimal string, a safe JSON number, or a big literal. */
const wireInt = (value: bigint): fc.Arbitrary<unknown> =>
  fc.constantFrom<unknown>(value.toString(), value, ...(Number.isSafeInteger(Number(value)) ? [Number(value)] : []));
const wireDouble = (value: number): unknown =>
  Number.isNaN(value) ? 'NaN' : value === Infinity ? 'Infinity' : value === -Infinity ? '-Infinity' : value;

const label = fc.string({ maxLength: 12 });
const gaugeMetrics = fc.dictionary(
  fc.stringMatching(/^[a-z_]{1,10}$/),
  fc.record({ unit: label, value: fc.double() }),
  { minKeys: 1, maxKeys: 4 },
);
const message = fc.oneof(
  gaugeMetrics.map((metrics) => ({ gauge: metrics })),
  fc.record({ name: label, start: fc.bigInt(INT64), stop: fc.bigInt(INT64) }).map((timer) => ({ timer })),
  fc.record({ name: label, delta: fc.bigInt(UINT64), total: fc.bigInt(UINT64) }).map((counter) => ({ counter })),
);

/** A model envelope with a gauge, a timer or a counter. */
const envelope: fc.Arbitrary<Envelope> = fc
  .record({
    timestamp: fc.bigInt(INT64),
    sourceId: fc.string({ minLength: 1, maxLength: 40 }),
    instanceId: label,
    tags: fc.dictionary(label, label, { maxKeys: 4 }).map((t) => ({ ...t })),
    message,
  })
  .map(({ message: m, ...rest }) => ({ ...rest, ...m }));

/** A valid wire envelope (proto or camelCase names, any int64 form) and the envelope it means. */
const goodItem: fc.Arbitrary<Item> = fc.tuple(envelope, fc.boolean(), fc.boolean()).chain(([e, camel, dropEmpty]) => {
  const base: fc.Arbitrary<Wire> = wireInt(e.timestamp).map((timestamp) => ({
    timestamp,
    [camel ? 'sourceId' : 'source_id']: e.sourceId,
    ...(dropEmpty && e.instanceId === '' ? {} : { [camel ? 'instanceId' : 'instance_id']: e.instanceId }),
    ...(dropEmpty && Object.keys(e.tags).length === 0 ? {} : { tags: e.tags }),
  }));
  let body: fc.Arbitrary<Wire>;
  if (e.gauge) {
    body = fc.constant({
      gauge: {
        metrics: Object.fromEntries(
          Object.entries(e.gauge).map(([k, g]) => [k, { unit: g.unit, value: wireDouble(g.value) }]),
        ),
      },
    });
  } else if (e.timer) {
    const t = e.timer;
    body = fc
      .tuple(wireInt(t.start), wireInt(t.stop))
      .map(([start, stop]) => ({ timer: { name: t.name, start, stop } }));
  } else {
    const c = e.counter!;
    body = fc
      .tuple(wireInt(c.delta), wireInt(c.total))
      .map(([delta, total]) => ({ counter: { name: c.name, delta, total } }));
  }
  return fc.tuple(base, body).map(([b, m]) => ({ good: true, wire: { ...b, ...m }, expected: e }));
});

const without = (w: Wire, ...keys: string[]): Wire =>
  Object.fromEntries(Object.entries(w).filter(([k]) => !keys.includes(k)));
const notInt64 = fc.oneof(
  fc.constantFrom<unknown>(
    'abc',
    '',
    ' 12',
    '1e3',
    '1.5',
    '9223372036854775808',
    '-9223372036854775809',
    1.5,
    1.5e300,
    true,
    false,
  ),
  fc.dictionary(label, fc.integer(), { maxKeys: 2 }),
  fc.array(fc.integer(), { maxLength: 2 }),
);
const notAString = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.dictionary(label, label, { maxKeys: 2 }),
  fc.array(label, { maxLength: 2 }),
);

/** Envelopes that must be rejected, each broken in one known way. */
const badItem: fc.Arbitrary<Item> = fc
  .oneof(
    goodItem.map((i) => without(i.wire as Wire, 'timestamp')),
    fc.tuple(goodItem, notInt64).map(([i, t]) => ({ ...(i.wire as Wire), timestamp: t })),
    goodItem.map((i) => without(i.wire as Wire, 'source_id', 'sourceId')),
    fc
      .tuple(goodItem, fc.oneof(fc.constant(''), notAString))
      .map(([i, s]) => ({ ...without(i.wire as Wire, 'sourceId'), source_id: s })),
    fc.tuple(goodItem, notAString, label).map(([i, v, k]) => ({ ...(i.wire as Wire), tags: { [k]: v } })),
    fc
      .tuple(
        goodItem,
        fc.oneof(
          fc.constantFrom<unknown>(undefined, 'abc', '', true),
          fc.dictionary(label, fc.integer(), { maxKeys: 1 }),
        ),
      )
      .map(([i, v]) => ({
        ...without(i.wire as Wire, 'gauge', 'timer', 'counter'),
        gauge: { metrics: { cpu: v === undefined ? { unit: '%' } : { unit: '%', value: v } } },
      })),
    goodItem.map((i) => without(i.wire as Wire, 'gauge', 'timer', 'counter')),
    goodItem.map((i) => ({ ...(i.wire as Wire), gauge: { metrics: {} }, timer: { name: 't', start: '1', stop: '2' } })),
    fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.jsonValue(), { maxLength: 3 })),
  )
  .map((wire) => ({ good: false, wire }));

/** Equality up to object key order (the encoder sorts map keys, as protojson does). */
const canonical = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Wire)[k])]),
    );
  return value;
};
const same = (a: unknown, b: unknown): boolean => stringify(canonical(a)) === stringify(canonical(b));

const batch = fc.array(fc.oneof(goodItem, badItem), { maxLength: 30 });
const goods = (items: readonly Item[]) => items.filter((i) => i.good).map((i) => i.expected!);
const badPositions = (items: readonly Item[]) => items.flatMap((i, index) => (i.good ? [] : [index]));

// ---
const response = suite('parseReadResponse under generated batches');

response('keeps every good envelope, in order and exact, and rejects each bad one by position with a reason', () => {
  fc.assert(
    fc.property(batch, (items) => {
      const result = parseReadResponse({ envelopes: { batch: items.map((i) => i.wire) } });
      return (
        same(result.envelopes, goods(items)) &&
        JSON.stringify(result.rejected.map((r) => r.index)) === JSON.stringify(badPositions(items)) &&
        result.rejected.every((r) => r.reason.trim().length > 0)
      );
    }),
    { numRuns: 1_000 },
  );
});

response('reads a body written by the log-cache encoder back into the same envelopes', () => {
  fc.assert(
    fc.property(fc.array(envelope, { maxLength: 20 }), (envelopes) => {
      const result = parseReadResponse(parse(encodeReadResponse(envelopes)));
      return result.rejected.length === 0 && same(result.envelopes, envelopes);
    }),
    { numRuns: 1_000 },
  );
});

response('fails a body that is not a read response only with ReadResponseError, and never throws otherwise', () => {
  const body = fc.oneof(
    fc.jsonValue(),
    fc.record({ envelopes: fc.jsonValue() }),
    fc.record({
      envelopes: fc.record({ batch: fc.oneof(fc.jsonValue(), fc.array(fc.jsonValue(), { maxLength: 5 })) }),
    }),
  );
  fc.assert(
    fc.property(body, (value) => {
      try {
        const result = parseReadResponse(value);
        return Array.isArray(result.envelopes) && result.rejected.every((r) => r.reason.length > 0);
      } catch (err) {
        return (
          isReadResponseError(err) && (err as Error).message.length > 'log-cache read response is malformed: '.length
        );
      }
    }),
    { numRuns: 3_000 },
  );
});

response.run();

// ---
interface Http {
  server: PeerServer;
  reply: { status: number; body: string };
}
const http = suite<Http>('the log-cache client against a peer answering generated bodies');

http.before(
  loudHook('setup', async (context: Http) => {
    context.reply = { status: 200, body: '' };
    context.server = await startPeerServer(
      (_req, res) => send(res, context.reply.status, 'application/json', context.reply.body),
      { host: '127.0.0.1' },
    );
  }),
);
http.after(async (context) => {
  await context.server?.close();
});

http(
  'resolves with exactly the good envelopes or fails with a named error, for every body and status',
  async (context) => {
    const client = createLogCacheClient({
      url: context.server.url,
      timeoutMs: 2_000,
      retry: { limit: 0, initialMs: 1, maxMs: 1 },
      concurrency: 4,
    });
    const body = fc.oneof(
      batch.map((items) => ({ items, text: stringify({ envelopes: { batch: items.map((i) => i.wire) } }) })),
      fc
        .oneof(
          fc.string({ unit: 'binary' }),
          fc.json(),
          fc.constantFrom('', '<html><body>502 Bad Gateway</body></html>', '{"envelopes":', 'null', '[]'),
        )
        .map((text) => ({ items: undefined, text })),
      batch.chain((items) => {
        const text = stringify({ envelopes: { batch: items.map((i) => i.wire) } });
        return fc.nat({ max: Math.max(0, text.length - 1) }).map((n) => ({ items: undefined, text: text.slice(0, n) }));
      }),
    );
    const status = fc.oneof(
      { weight: 8, arbitrary: fc.constant(200) },
      { weight: 2, arbitrary: fc.constantFrom(400, 404, 429, 500, 502, 503) },
    );
    await fc.assert(
      fc.asyncProperty(body, status, async ({ items, text }, code) => {
        context.reply = { status: code, body: text };
        try {
          const result = await client.read('app-1', { startTime: 0n, endTime: 1n });
          if (code !== 200) return false;
          return (
            items === undefined ||
            (same(result.envelopes, goods(items)) && result.rejected.length === badPositions(items).length)
          );
        } catch (err) {
          const e = err as Error & { status?: number };
          if (code !== 200) return e.name === 'LogCacheStatusError' && e.status === code;
          return (
            e.name === 'LogCacheDecodeError' && /returned an unreadable body: .+/.test(e.message) && items === undefined
          );
        }
      }),
      { numRuns: 500 },
    );
    await client.close();
  },
);

http.run();
