import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createBreakerRegistry } from '../../../../lib/core/scaling/breaker-registry.ts';

const registry = suite('createBreakerRegistry');
const options = { initialMs: 300_000, maxMs: 7_200_000, failureThreshold: 3 };

registry('keeps breakers of staying apps, creates new ones and drops those that left', () => {
  const r = createBreakerRegistry(options);
  assert.is(r.get('app1'), undefined);
  r.sync(['app1']);
  const b1 = r.get('app1');
  assert.ok(b1);
  r.sync(['app1', 'app2']);
  assert.is(r.get('app1'), b1);
  const b2 = r.get('app2');
  assert.ok(b2 && b2 !== b1);
  r.sync(['app2']);
  assert.is(r.get('app1'), undefined);
  assert.is(r.get('app2'), b2);
});

registry('a returning app gets a fresh, closed breaker (its state is lost)', () => {
  const r = createBreakerRegistry({ ...options, failureThreshold: 1 });
  r.sync(['a']);
  r.get('a')!.failure(0);
  assert.is(r.get('a')!.state(), 'open');
  r.sync([]);
  r.sync(['a']);
  assert.is(r.get('a')!.state(), 'closed');
});

registry.run();
