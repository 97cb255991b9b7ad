import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { createAppMetricRing } from '../../../../lib/core/evaluation/app-metric-ring.ts';
import type { AppMetric } from '../../../../lib/core/model/app-metric.ts';

const metric = (ts: number, name = 't'): AppMetric => ({
  appId: 'app',
  name,
  unit: 'u',
  value: String(ts),
  timestamp: BigInt(ts),
});
const stamps = (ms: readonly AppMetric[]): number[] => ms.map((m) => Number(m.timestamp));

const insert = suite('app-metric-ring put');

insert('keeps entries ascending and evicts the oldest when full (capacity 3)', () => {
  const ring = createAppMetricRing(3);
  const states = [20, 10, 40, 50, 30, 50].map((ts) => {
    ring.put(metric(ts));
    return stamps(ring.entries());
  });
  assert.equal(states, [[20], [10, 20], [10, 20, 40], [20, 40, 50], [30, 40, 50], [40, 50, 50]]);
});

insert('drops an entry older than every entry of a full cache (capacity 1)', () => {
  const ring = createAppMetricRing(1);
  const results = [10, 20, 15, 30].map((ts) => [ring.put(metric(ts)), stamps(ring.entries())]);
  assert.equal(results, [
    [true, [10]],
    [true, [20]],
    [false, [20]],
    [true, [30]],
  ]);
});

insert('sorts out-of-order inserts while not full (capacity 5)', () => {
  const ring = createAppMetricRing(5);
  for (const ts of [20, 10, 40, 50, 30]) ring.put(metric(ts));
  assert.equal(stamps(ring.entries()), [10, 20, 30, 40, 50]);
  assert.is(ring.size(), 5);
});

insert('keeps equal timestamps in arrival order', () => {
  const ring = createAppMetricRing(5);
  for (const [ts, name] of [
    [10, 'a'],
    [30, 'b'],
    [20, 'c'],
    [20, 'd'],
    [10, 'e'],
  ] as const)
    ring.put(metric(ts, name));
  assert.equal(
    ring.entries().map((m) => m.name),
    ['a', 'e', 'c', 'd', 'b'],
  );
});

insert('inserts an entry equal to the oldest of a full cache, evicting the oldest', () => {
  const ring = createAppMetricRing(2);
  ring.put(metric(10, 'a'));
  ring.put(metric(20, 'b'));
  assert.ok(ring.put(metric(10, 'c')));
  assert.equal(
    ring.entries().map((m) => m.name),
    ['c', 'b'],
  );
});

insert('matches a sorted reference model for any insert sequence', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 6 }),
      fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 40 }),
      (cap, seq) => {
        const ring = createAppMetricRing(cap);
        let model: number[] = [];
        for (const ts of seq) {
          const accepted = ring.put(metric(ts));
          const full = model.length === cap;
          const last = model[model.length - 1];
          if (last === undefined || ts >= last) model.push(ts);
          else if (full && ts < model[0]!) {
            assert.not.ok(accepted);
            continue;
          } else {
            model.push(ts);
            model.sort((a, b) => a - b);
          }
          if (model.length > cap) model = model.slice(1);
          assert.ok(accepted);
          assert.equal(stamps(ring.entries()), model);
        }
      },
    ),
  );
});

insert('rejects a capacity that is not a positive integer', () => {
  assert.throws(() => createAppMetricRing(0), /positive integer/);
  assert.throws(() => createAppMetricRing(1.5), /positive integer/);
});

insert.run();

// ---

const query = suite('app-metric-ring query');

query("follows the anchor's cache window semantics (capacity 5)", () => {
  const ring = createAppMetricRing(5);
  const q = (from: number, to: number) => {
    const r = ring.query(BigInt(from), BigInt(to), 't');
    return [r.hit, stamps(r.rows)];
  };
  ring.put(metric(20));
  assert.equal(q(30, 50), [true, []]);
  assert.equal(q(10, 50), [false, [20]]);
  ring.put(metric(30));
  assert.equal(q(30, 50), [true, [30]]);
  assert.equal(q(10, 50), [false, [20, 30]]);
  ring.put(metric(40));
  ring.put(metric(50));
  assert.equal(q(30, 50), [true, [30, 40]]);
});

query('changes hit status as eviction moves the oldest entry', () => {
  const ring = createAppMetricRing(3);
  const q = () => {
    const r = ring.query(30n, 50n, 't');
    return [r.hit, stamps(r.rows)];
  };
  for (const ts of [20, 10, 40, 30]) ring.put(metric(ts));
  assert.equal(stamps(ring.entries()), [20, 30, 40]);
  assert.equal(q(), [true, [30, 40]]);
  ring.put(metric(50));
  assert.equal(q(), [true, [30, 40]]);
  ring.put(metric(60));
  assert.equal(q(), [false, [40]]);
});

query('returns only the asked type, but any type counts for the hit', () => {
  const ring = createAppMetricRing(5);
  ring.put(metric(10, 'cpu'));
  ring.put(metric(20, 'memoryused'));
  ring.put(metric(30, 'cpu'));
  const r = ring.query(15n, 100n, 'memoryused');
  assert.ok(r.hit);
  assert.equal(stamps(r.rows), [20]);
  const other = ring.query(10n, 100n, 'disk');
  assert.equal([other.hit, other.rows], [true, []]);
});

query('misses on an empty ring', () => {
  const r = createAppMetricRing(3).query(-100n, 100n, 't');
  assert.equal([r.hit, r.rows], [false, []]);
});

query.run();
