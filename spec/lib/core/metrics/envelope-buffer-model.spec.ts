import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { createEnvelopeBuffer } from '../../../../lib/core/metrics/envelope-buffer.ts';
import type { EnvelopeBuffer } from '../../../../lib/core/metrics/envelope-buffer.ts';
import { reduceGaugeWindow } from '../../../../lib/core/metrics/reduce-gauge-window.ts';
import type { Envelope } from '../../../../lib/core/model/envelope.ts';
import { createClosureEnvelopeBuffer } from './reference/closure-envelope-buffer.ts';

const BASE = 1_700_000_000_000_000_000n;
const TYPES = ['memoryused', 'memoryutil', 'cpu', 'cpuutil', 'diskutil', 'disk', 'custom'];

// Split-shape and whole-shape container gauges, custom gauges, empty gauges and timers, of a few
// instances with a few tag sets, at a few instants (so runs of equal timestamps and re-deliveries
// are common), in any order.
const gaugeArb = fc.dictionary(
  fc.constantFrom('memory', 'memory_quota', 'cpu', 'cpu_entitlement', 'disk', 'disk_quota', 'custom'),
  fc.record({
    unit: fc.constantFrom('bytes', 'percentage', 'MB'),
    value: fc.oneof(fc.integer({ min: 0, max: 1_000_000 }), fc.double({ noNaN: false }), fc.constant(0)),
  }),
  { maxKeys: 4 },
);
const envelopeArb: fc.Arbitrary<Envelope> = fc
  .record({
    step: fc.integer({ min: 0, max: 30 }),
    jitter: fc.constantFrom(0n, 0n, 0n, 1n, 777n),
    instanceId: fc.constantFrom('0', '1', '2'),
    tags: fc.constantFrom<Record<string, string>>({ origin: 'rep' }, { origin: 'rep', index: '1' }, {}),
    gauge: gaugeArb,
    timer: fc.boolean(),
  })
  .map(({ step, jitter, instanceId, tags, gauge, timer }) => ({
    timestamp: BASE + BigInt(step) * 10_000_000_000n + jitter,
    sourceId: 'app',
    instanceId,
    tags,
    ...(timer ? { timer: { name: 'http', start: 1n, stop: 2n } } : { gauge }),
  }));
type Op = { add: Envelope } | { again: number } | { prune: number } | { tick: number };
const opsArb: fc.Arbitrary<Op[]> = fc.array(
  fc.oneof(
    { weight: 8, arbitrary: envelopeArb.map((add): Op => ({ add })) },
    { weight: 3, arbitrary: fc.nat().map((again): Op => ({ again })) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 30 }).map((prune): Op => ({ prune })) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: 32 }).map((tick): Op => ({ tick })) },
  ),
  { maxLength: 200 },
);

const at = (step: number): bigint => BASE + BigInt(step) * 10_000_000_000n;

const test = suite('envelope buffer against the closure buffer it replaced');

test('adds, prunes, windows and the metrics reduced from them agree on random streams', () => {
  fc.assert(
    fc.property(opsArb, fc.integer({ min: 1, max: 40 }), (ops, maxSize) => {
      const buffer = createEnvelopeBuffer(maxSize);
      const model: EnvelopeBuffer = createClosureEnvelopeBuffer(maxSize);
      const added: Envelope[] = [];
      for (const op of ops) {
        if ('add' in op || 'again' in op) {
          // A re-delivery is the same envelope again, or an equal copy of it.
          const envelope = 'add' in op ? op.add : added[op.again % Math.max(1, added.length)];
          if (envelope === undefined) continue;
          const copy = 'again' in op && op.again % 2 === 0 ? structuredClone(envelope) : envelope;
          assert.is(buffer.add(copy), model.add(copy));
          added.push(envelope);
        } else if ('prune' in op) {
          buffer.prune(at(op.prune));
          model.prune(at(op.prune));
        } else {
          // A tick: the window [now - 12 steps, now) reduced to the app's metrics.
          const now = at(op.tick);
          const from = now - 120_000_000_000n;
          buffer.prune(from);
          model.prune(from);
          assert.is(buffer.takeEvicted(), model.takeEvicted());
          assert.equal(
            reduceGaugeWindow('app', buffer.rowsBetween(from, now), TYPES, now),
            reduceGaugeWindow('app', model.rowsBetween(from, now), TYPES, now),
          );
        }
        assert.is(buffer.size(), model.size());
      }
      assert.equal(buffer.between(0n, at(40)), model.between(0n, at(40)));
    }),
    { numRuns: 400 },
  );
});

test.run();
