import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createCircuitBreaker } from '../../../../lib/core/scaling/circuit-breaker.ts';
import type { CircuitBreaker } from '../../../../lib/core/scaling/circuit-breaker.ts';

const breaker = suite('createCircuitBreaker');

const MIN = 60_000;
const defaults = { initialMs: 5 * MIN, maxMs: 120 * MIN, failureThreshold: 3 };

/** One send attempt at `t`: refused, or performed with the given outcome. */
const attempt = (b: CircuitBreaker, t: number, succeeds: boolean): 'refused' | 'sent' | 'trial' => {
  const gate = b.request(t);
  if (!gate.allowed) return 'refused';
  if (succeeds) b.success(t);
  else b.failure(t);
  return gate.halfOpen ? 'trial' : 'sent';
};

breaker('starts closed and lets calls through', () => {
  const b = createCircuitBreaker(defaults);
  assert.is(b.state(), 'closed');
  assert.equal(b.request(0), { allowed: true, halfOpen: false });
});

breaker(
  'trips at the third failure, refuses up to exactly 5m, then trials every 5, 10, 20, 40, 80, 120, 120 minutes',
  () => {
    const b = createCircuitBreaker(defaults);
    // a breach every 60 s, the scaling engine always failing
    const sentAt: number[] = [];
    for (let t = 0; t <= 1500 * MIN; t += MIN) {
      if (attempt(b, t, false) !== 'refused') sentAt.push(t);
    }
    // 0, 1, 2 min: closed; the trip at 2 min. 420 s is exactly 5 m after 120 s: still refused.
    assert.equal(sentAt.slice(0, 4), [0, MIN, 2 * MIN, 8 * MIN]);
    assert.is(b.request(2 * MIN + 5 * MIN).allowed, false);
    // then the first tick strictly after 10 m, 20 m, ... from each failed trial
    const waits = sentAt
      .slice(3)
      .map((t, i, a) => (i === 0 ? 0 : t - a[i - 1]!))
      .slice(1);
    assert.ok(waits.length >= 7, `only ${waits.length} trials in 25h`);
    assert.equal(
      waits,
      waits.map((_, i) => [11, 21, 41, 81][i] ?? 121).map((m) => m * MIN),
    );
    assert.is(b.consecutiveFailures(), sentAt.length);
  },
);

breaker('the refused call reports when a trial becomes possible', () => {
  const b = createCircuitBreaker(defaults);
  for (const t of [0, MIN, 2 * MIN]) attempt(b, t, false);
  assert.equal(b.request(3 * MIN), { allowed: false, retryAfterMs: 7 * MIN });
  assert.is(b.state(), 'open');
});

breaker('a success resets the consecutive count, so the breaker does not trip', () => {
  const b = createCircuitBreaker(defaults);
  attempt(b, 0, false);
  attempt(b, MIN, false);
  attempt(b, 2 * MIN, true);
  attempt(b, 3 * MIN, false);
  assert.is(b.state(), 'closed');
  assert.is(b.consecutiveFailures(), 1);
  assert.equal(b.request(3 * MIN + 1), { allowed: true, halfOpen: false });
});

breaker('follows the anchor test timeline (500 ms initial, 1 s max, threshold 1)', () => {
  const b = createCircuitBreaker({ initialMs: 500, maxMs: 1000, failureThreshold: 1 });
  let t = 0;
  assert.is(attempt(b, t, false), 'sent');
  assert.is(b.state(), 'open');
  assert.is(attempt(b, t, false), 'refused'); // at once
  t += 501;
  assert.is(attempt(b, t, false), 'trial'); // after more than 500 ms: one trial, failing
  assert.is(b.state(), 'open');
  t += 500;
  assert.is(attempt(b, t, false), 'refused'); // the wait is now 1 s
  t += 501;
  assert.is(attempt(b, t, false), 'trial'); // more than 1 s after the last failure
  t += 1001;
  assert.is(attempt(b, t, false), 'trial'); // capped at 1 s
  t += 1001;
  assert.is(attempt(b, t, true), 'trial'); // the scaling engine answers 200: closes
  assert.is(b.state(), 'closed');
  assert.is(attempt(b, t, true), 'sent'); // straight through
  assert.is(attempt(b, t, false), 'sent'); // trips again
  assert.is(b.state(), 'open');
  assert.is(b.request(t + 500).allowed, false);
  assert.equal(b.request(t + 501), { allowed: true, halfOpen: true });
});

breaker('reports half-open while the trial is under way, and open again when it fails', () => {
  const b = createCircuitBreaker({ initialMs: 100, maxMs: 1000, failureThreshold: 1 });
  b.request(0);
  b.failure(0);
  assert.equal(b.request(101), { allowed: true, halfOpen: true });
  assert.is(b.state(), 'half-open');
  // a second caller during the trial waits for the next, longer period
  assert.equal(b.request(102), { allowed: false, retryAfterMs: 200 });
  b.failure(150);
  assert.is(b.state(), 'open');
  assert.is(b.consecutiveFailures(), 2);
  assert.is(b.request(350).allowed, false);
  assert.is(b.request(351).allowed, true);
});

breaker('after a successful trial the next trip waits the second period until a closed success resets it', () => {
  const b = createCircuitBreaker({ initialMs: 100, maxMs: 10_000, failureThreshold: 1 });
  attempt(b, 0, false);
  assert.is(attempt(b, 101, true), 'trial');
  assert.is(attempt(b, 200, false), 'sent'); // trips again
  assert.is(b.request(301).allowed, false); // the wait is 200 ms, not 100 ms
  assert.is(b.request(400).allowed, false);
  assert.is(attempt(b, 401, true), 'trial');
  assert.is(attempt(b, 500, true), 'sent'); // a success while closed resets the series
  assert.is(attempt(b, 600, false), 'sent');
  assert.is(b.request(701).allowed, true);
});

breaker('a threshold of 0 never trips, however many failures', () => {
  for (const failureThreshold of [0, -1]) {
    const b = createCircuitBreaker({ initialMs: 1, maxMs: 1, failureThreshold });
    for (let t = 0; t < 50; t++) assert.is(attempt(b, t, false), 'sent');
    assert.is(b.state(), 'closed');
    assert.is(b.consecutiveFailures(), 50);
  }
});

breaker('keeps separate instances independent', () => {
  const a = createCircuitBreaker({ ...defaults, failureThreshold: 1 });
  const b = createCircuitBreaker({ ...defaults, failureThreshold: 1 });
  attempt(a, 0, false);
  assert.is(a.state(), 'open');
  assert.is(b.state(), 'closed');
});

breaker.run();
