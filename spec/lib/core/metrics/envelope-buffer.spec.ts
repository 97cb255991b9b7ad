import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { createEnvelopeBuffer } from '../../../../lib/core/metrics/envelope-buffer.ts';
import type { Envelope } from '../../../../lib/core/model/envelope.ts';

const env = (ts: number, value = ts, instanceId = '0'): Envelope => ({
  timestamp: BigInt(ts),
  sourceId: 'app',
  instanceId,
  tags: { origin: 'rep' },
  gauge: { cpu: { unit: 'percentage', value } },
});
const stamps = (es: readonly Envelope[]): number[] => es.map((e) => Number(e.timestamp));

const test = suite('envelope-buffer');

test('keeps envelopes in timestamp order whatever the arrival order', () => {
  const buffer = createEnvelopeBuffer(100);
  for (const ts of [5, 1, 9, 3, 9, 7]) buffer.add(env(ts, ts * 10 + buffer.size()));
  assert.equal(stamps(buffer.between(0n, 100n)), [1, 3, 5, 7, 9, 9]);
});

test('selects [from, toExclusive)', () => {
  const buffer = createEnvelopeBuffer(100);
  for (const ts of [10, 20, 30, 40]) buffer.add(env(ts));
  assert.equal(stamps(buffer.between(20n, 40n)), [20, 30]);
  assert.equal(stamps(buffer.between(21n, 30n)), []);
  assert.equal(stamps(buffer.between(0n, 1000n)), [10, 20, 30, 40]);
});

test('recognises a re-delivered envelope, in order or not, but keeps distinct ones of the same instant', () => {
  const buffer = createEnvelopeBuffer(100);
  assert.is(buffer.add(env(10)), 'added');
  assert.is(buffer.add(env(20)), 'added');
  assert.is(buffer.add(env(20)), 'duplicate');
  assert.is(buffer.add(env(10)), 'duplicate');
  assert.is(buffer.add(env(10, 11)), 'added', 'another value');
  assert.is(buffer.add(env(10, 10, '1')), 'added', 'another instance');
  assert.is(buffer.add({ ...env(10), tags: { origin: 'other' } }), 'added', 'other tags');
  assert.is(buffer.size(), 5);
});

test('forgets envelopes older than the prune point and refuses later ones that old', () => {
  const buffer = createEnvelopeBuffer(100);
  for (const ts of [1, 2, 3, 4]) buffer.add(env(ts));
  buffer.prune(3n);
  assert.equal(stamps(buffer.between(0n, 10n)), [3, 4]);
  assert.is(buffer.add(env(2, 99)), 'too-old');
  assert.is(buffer.add(env(3, 99)), 'added');
  buffer.prune(2n);
  assert.is(buffer.add(env(2, 98)), 'too-old', 'the horizon never moves back');
});

test('evicts the oldest past its size and counts them once', () => {
  const buffer = createEnvelopeBuffer(3);
  for (const ts of [1, 2, 3, 4, 5]) buffer.add(env(ts));
  assert.equal(stamps(buffer.between(0n, 10n)), [3, 4, 5]);
  assert.is(buffer.takeEvicted(), 2);
  assert.is(buffer.takeEvicted(), 0);
});

test('matches a sorted, deduplicated reference model', () => {
  const arb = fc.array(
    fc.oneof(
      fc.record({ add: fc.integer({ min: 0, max: 3000 }), value: fc.integer({ min: 0, max: 2 }) }),
      fc.record({ prune: fc.integer({ min: 0, max: 3000 }) }),
    ),
    { maxLength: 3000 },
  );
  fc.assert(
    fc.property(arb, (ops) => {
      const buffer = createEnvelopeBuffer(2000);
      let model: [number, number][] = [];
      let horizon = -1;
      for (const op of ops) {
        if ('add' in op) {
          const outcome = buffer.add(env(op.add, op.value));
          const expected =
            op.add < horizon
              ? 'too-old'
              : model.some(([t, v]) => t === op.add && v === op.value)
                ? 'duplicate'
                : 'added';
          assert.is(outcome, expected);
          if (expected === 'added') model.push([op.add, op.value]);
          // stable by timestamp: equal timestamps keep arrival order
          model = model
            .map((e, i) => [e, i] as const)
            .sort((a, b) => a[0][0] - b[0][0] || a[1] - b[1])
            .map(([e]) => e);
          if (model.length > 2000) model = model.slice(model.length - 2000);
        } else {
          horizon = Math.max(horizon, op.prune);
          buffer.prune(BigInt(op.prune));
          model = model.filter(([t]) => t >= op.prune);
        }
      }
      const got = buffer.between(-1n, 10_000n).map((e) => [Number(e.timestamp), e.gauge!['cpu']!.value]);
      assert.equal(got, model);
    }),
    { numRuns: 60 },
  );
});

test('stays correct across the reclaiming of a long dead prefix', () => {
  const buffer = createEnvelopeBuffer(10_000);
  for (let ts = 0; ts < 5000; ts += 1) buffer.add(env(ts));
  buffer.prune(4000n);
  assert.is(buffer.add(env(3000, 1)), 'too-old');
  assert.is(buffer.add(env(4500, 1)), 'added');
  assert.is(buffer.add(env(4500)), 'duplicate');
  const kept = stamps(buffer.between(0n, 10_000n));
  assert.is(kept.length, 1001);
  assert.equal(kept.slice(0, 2), [4000, 4001]);
  assert.equal(kept.slice(500, 503), [4500, 4500, 4501]);
});

test('gives back multi-metric gauges, timers and counters as they came in, in order', () => {
  const buffer = createEnvelopeBuffer(100);
  const multi: Envelope = {
    timestamp: 5n,
    sourceId: 'app',
    instanceId: '1',
    tags: { a: 'b' },
    gauge: { memory: { unit: 'bytes', value: 1 }, memory_quota: { unit: 'bytes', value: 2 } },
  };
  const timer: Envelope = {
    timestamp: 3n,
    sourceId: 'app',
    instanceId: '0',
    tags: { peer_type: 'Client' },
    timer: { name: 'http', start: 1n, stop: 2n },
  };
  const counter: Envelope = {
    timestamp: 4n,
    sourceId: 'app',
    instanceId: '0',
    tags: {},
    counter: { name: 'rx', delta: 0n, total: 3n },
  };
  const empty: Envelope = { timestamp: 4n, sourceId: 'app', instanceId: '0', tags: {}, gauge: {} };
  for (const e of [multi, env(6), timer, counter, empty]) assert.is(buffer.add(e), 'added');
  const got = buffer.between(0n, 10n);
  assert.equal(got, [timer, counter, empty, multi, env(6)]);
  assert.is(got[0], timer, 'envelopes that are not pure gauges are kept as they are');
  assert.is(buffer.add(structuredClone(multi)), 'duplicate');
  assert.is(buffer.add(structuredClone(timer)), 'duplicate');
  assert.is(buffer.size(), 5);
});

test('evicts a multi-metric envelope whole', () => {
  const buffer = createEnvelopeBuffer(2);
  const multi = (ts: number): Envelope => ({
    timestamp: BigInt(ts),
    sourceId: 'app',
    instanceId: '0',
    tags: {},
    gauge: { a: { unit: '', value: ts }, b: { unit: '', value: ts } },
  });
  for (const ts of [1, 2, 3]) buffer.add(multi(ts));
  assert.equal(buffer.between(0n, 10n), [multi(2), multi(3)]);
  assert.is(buffer.takeEvicted(), 1);
  buffer.prune(3n);
  assert.equal(buffer.between(0n, 10n), [multi(3)]);
  assert.is(buffer.size(), 1);
});

test('keeps nanosecond timestamps exact and apart', () => {
  const buffer = createEnvelopeBuffer(100);
  const base = 1_731_578_400_000_000_000n;
  for (const d of [3n, 1n, 2n, 1n]) buffer.add({ ...env(0, Number(d)), timestamp: base + d });
  assert.equal(
    buffer.between(base + 1n, base + 3n).map((e) => [e.timestamp, e.gauge!['cpu']!.value]),
    [
      [base + 1n, 1],
      [base + 2n, 2],
    ],
  );
  const window = buffer.rowsBetween(base + 2n, base + 10n);
  assert.is(window.to - window.from, 2);
});

test('rejects a size that is not a positive integer', () => {
  assert.throws(() => createEnvelopeBuffer(0), /positive integer/);
});

test.run();
