import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createEnvelopeStore } from '../../../../lib/tools/simulation/logcache-store.ts';
import type { Envelope } from '../../../../lib/core/model/envelope.ts';

const ALL = new Set<never>();
const g = (ts: bigint, id = 's', tag = ''): Envelope => ({
  timestamp: ts,
  sourceId: id,
  instanceId: '0',
  tags: { tag },
  gauge: { cpu: { unit: '%', value: 1 } },
});

// ---
const store = suite('createEnvelopeStore');

store('orders by timestamp, keeping arrival order among equal timestamps', () => {
  const s = createEnvelopeStore();
  s.add(g(5n, 's', 'a'), g(3n, 's', 'b'), g(5n, 's', 'c'), g(4n, 's', 'd'), g(3n, 's', 'e'));
  assert.equal(
    s.query('s', 0n, 10n, ALL, undefined, 100).map((e) => e.tags['tag']),
    ['b', 'e', 'd', 'a', 'c'],
  );
});

store('keeps sources apart and windows half-open', () => {
  const s = createEnvelopeStore();
  s.add(g(1n, 'a'), g(2n, 'a'), g(3n, 'a'), g(2n, 'b'));
  assert.equal(
    s.query('a', 2n, 3n, ALL, undefined, 100).map((e) => e.timestamp),
    [2n],
  );
  assert.is(s.size('b'), 1);
  assert.is(s.size(), 4);
});

store('evicts the oldest envelopes past the per-source capacity and counts them', () => {
  const s = createEnvelopeStore({ maxPerSource: 3 });
  s.add(g(1n), g(2n), g(3n), g(4n), g(5n));
  assert.equal(
    s.query('s', 0n, 10n, ALL, undefined, 100).map((e) => e.timestamp),
    [3n, 4n, 5n],
  );
  assert.equal(s.meta().get('s'), { count: 3, expired: 2, oldestTimestamp: 3n, newestTimestamp: 5n });
});

store('does not mutate stored gauges when a filter rewrites them', () => {
  const s = createEnvelopeStore();
  s.add({
    timestamp: 1n,
    sourceId: 's',
    instanceId: '0',
    tags: {},
    gauge: { memory: { unit: 'b', value: 1 }, cpu: { unit: '%', value: 2 } },
  });
  assert.equal(Object.keys(s.query('s', 0n, 2n, new Set(['GAUGE']), /memory/, 10)[0]?.gauge ?? {}), ['memory']);
  assert.equal(Object.keys(s.query('s', 0n, 2n, ALL, undefined, 10)[0]?.gauge ?? {}), ['memory', 'cpu']);
});

store.run();
