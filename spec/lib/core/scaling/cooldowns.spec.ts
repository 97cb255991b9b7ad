import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createCooldowns } from '../../../../lib/core/scaling/cooldowns.ts';

const cooldowns = suite('createCooldowns');

cooldowns('holds an app strictly before its expiry, and not at it', () => {
  const c = createCooldowns();
  c.record('a', 30n);
  assert.is(c.activeUntil('a', 10n), 30n);
  assert.is(c.activeUntil('a', 29n), 30n);
  assert.is(c.activeUntil('a', 30n), undefined);
});

cooldowns('replaces an earlier expiry with the latest one', () => {
  const c = createCooldowns();
  c.record('a', 100n);
  c.record('a', 50n);
  assert.is(c.activeUntil('a', 60n), undefined);
});

cooldowns('keeps apps apart and knows nothing of unknown apps', () => {
  const c = createCooldowns();
  c.record('a', 100n);
  assert.is(c.activeUntil('b', 0n), undefined);
  assert.is(c.activeUntil('a', 0n), 100n);
});

cooldowns('forgets an expired entry once read (pruning changes nothing visible)', () => {
  const c = createCooldowns();
  c.record('a', 10n);
  assert.is(c.activeUntil('a', 20n), undefined);
  assert.is(c.activeUntil('a', 5n), undefined);
});

cooldowns.run();
