import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { createWriteQueue } from '../../../../lib/core/persistence/write-queue.ts';
import type { AppMetric } from '../../../../lib/core/model/app-metric.ts';

const metric = (i: number): AppMetric => ({
  appId: 'app',
  name: 't',
  unit: '',
  value: String(i),
  timestamp: BigInt(i),
});
const values = (ms: readonly AppMetric[]): number[] => ms.map((m) => Number(m.value));

const test = suite('write-queue');

test('keeps arrival order and drops from the front', () => {
  const q = createWriteQueue<AppMetric>();
  for (let i = 0; i < 5; i += 1) q.push(metric(i));
  assert.equal(values(q.head(3)), [0, 1, 2]);
  q.dropHead(2);
  assert.is(q.length, 3);
  assert.equal(values(q.head(10)), [2, 3, 4]);
});

test('drops the metrics after the kept front, which stays first', () => {
  const q = createWriteQueue<AppMetric>();
  for (let i = 0; i < 6; i += 1) q.push(metric(i));
  q.dropAfter(2, 3);
  assert.equal(values(q.head(10)), [0, 1, 5]);
});

test('behaves like a plain array under any sequence of operations', () => {
  const op = fc.oneof(
    fc.record({ push: fc.integer({ min: 1, max: 3000 }) }),
    fc.record({ dropHead: fc.integer({ min: 0, max: 3000 }) }),
    fc.record({ keep: fc.integer({ min: 0, max: 50 }), n: fc.integer({ min: 0, max: 3000 }) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
      const q = createWriteQueue<AppMetric>();
      let model: number[] = [];
      let next = 0;
      for (const o of ops) {
        if ('push' in o)
          for (let i = 0; i < o.push; i += 1) {
            q.push(metric(next));
            model.push(next);
            next += 1;
          }
        else if ('dropHead' in o) {
          q.dropHead(o.dropHead);
          model = model.slice(o.dropHead);
        } else {
          q.dropAfter(o.keep, o.n);
          const k = Math.min(o.keep, model.length);
          model = [...model.slice(0, k), ...model.slice(k + o.n)];
        }
        assert.is(q.length, model.length);
        assert.equal(values(q.head(model.length + 1)), model);
      }
    }),
    { numRuns: 200 },
  );
});

test.run();
