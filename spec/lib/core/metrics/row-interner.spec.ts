import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CONTINUATION, createRowInterner } from '../../../../lib/core/metrics/row-interner.ts';
import type { Envelope } from '../../../../lib/core/model/envelope.ts';

const slotOf = (name: string): number => (name === 'cpu' ? 2 : -1);

const test = suite('createRowInterner');

test('keeps one identity per source, instance and equal tags', () => {
  const interner = createRowInterner();
  const a = interner.identity('app', '0', { origin: 'rep' });
  assert.is(interner.identity('app', '0', { origin: 'rep' }), a, 'equal tags in another object');
  assert.is.not(interner.identity('app', '0', { origin: 'other' }), a);
  assert.is.not(interner.identity('app', '1', { origin: 'rep' }), a);
  assert.is.not(interner.identity('b', '0', { origin: 'rep' }), a);
  assert.is(interner.identity('app', '0', { origin: 'rep' }), a, 'found again after others');
});

test('keeps one key per identity, metric and place, and none for envelopes kept whole', () => {
  const interner = createRowInterner();
  const identity = interner.identity('app', '0', {});
  const cpu = interner.key(identity, true, 'cpu', '%', 1, slotOf);
  assert.equal(
    { name: cpu.name, unit: cpu.unit, slot: cpu.slot, info: cpu.info, hasMetric: cpu.hasMetric },
    { name: 'cpu', unit: '%', slot: 2, info: 1, hasMetric: true },
  );
  assert.is(interner.key(identity, true, 'cpu', '%', 1, slotOf), cpu);
  assert.is.not(interner.key(identity, true, 'cpu', 'percentage', 1, slotOf), cpu);
  assert.is.not(interner.key(identity, true, 'cpu', '%', CONTINUATION, slotOf), cpu);
  assert.is(interner.key(identity, true, 'queue', 'jobs', 1, slotOf).slot, -1);
  const envelope: Envelope = {
    timestamp: 1n,
    sourceId: 'app',
    instanceId: '0',
    tags: {},
    timer: { name: 'http', start: 0n, stop: 1n },
  };
  const whole = interner.key(identity, false, '', '', envelope, slotOf);
  assert.is(whole.info, envelope);
  assert.is.not(interner.key(identity, false, '', '', envelope, slotOf), whole);
});

test('stays bounded: past its size it replaces entries but still answers right', () => {
  const interner = createRowInterner(2);
  const first = interner.identity('app', '0', {});
  interner.identity('app', '1', {});
  interner.identity('app', '2', {});
  const again = interner.identity('app', '0', {});
  assert.is.not(again, first, 'the oldest was replaced');
  assert.equal([again.sourceId, again.instanceId, again.tags], ['app', '0', {}]);
  for (let i = 0; i < 5; i += 1) interner.key(again, true, `m${i}`, 'u', 1, slotOf);
  assert.ok(again.keys.length <= 2);
});

test.run();
