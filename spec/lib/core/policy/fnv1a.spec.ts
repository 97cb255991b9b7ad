import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { fnv1a32 } from '../../../../lib/core/policy/fnv1a.ts';

const fnv = suite('fnv1a32');

// The anchor's test vectors (docs/anchor-compatibility.md#sharding)
const vectors: [string, number][] = [
  ['', 2166136261],
  ['a', 3826002220],
  ['foobar', 3214735720],
  ['app-id-1', 1577595944],
  ['app-id-2', 1627928801],
  ['app-id-3', 1611151182],
  ['app-id-4', 1661484039],
  ['app-id-5', 1644706420],
  ['app-id-6', 1695039277],
  ['app-id-7', 1678261658],
  ['app-id-8', 1460152611],
  ['testAppId', 81650945],
  ['an-app-id', 1507395562],
  ['6f9c1c2e-6a7b-4a57-9d55-1d0f3b8f2e11', 559635029],
];

for (const [input, expected] of vectors) {
  fnv(`hashes ${JSON.stringify(input)} to ${expected}`, () => {
    assert.is(fnv1a32(input), expected);
  });
}

fnv('hashes the UTF-8 bytes, not UTF-16 code units', () => {
  // "é" is two UTF-8 bytes (0xc3 0xa9); hashing the code unit 0xe9 would give another value.
  let h = 2166136261;
  for (const b of [0xc3, 0xa9]) h = Number((BigInt(h ^ b) * 16777619n) % 2n ** 32n);
  assert.is(fnv1a32('é'), h >>> 0);
});

fnv('always returns an unsigned 32-bit integer', () => {
  for (const s of ['x', 'zzzzzzzzzzzzzzzzzzzzzzzz', '日本語', '\u0000']) {
    const h = fnv1a32(s);
    assert.ok(Number.isInteger(h) && h >= 0 && h < 2 ** 32, `${s} -> ${h}`);
  }
});

fnv.run();
