import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { decisionAppId, matchesFilter, parseDecisionFilter } from '../../../../lib/adapters/live/decision-filter.ts';
import type { Decision } from '../../../../lib/core/model/decision.ts';

const u = (q: string) => new URL(`http://x/v1/decisions${q}`);
const metric: Decision = {
  kind: 'metric',
  at: 1n,
  metric: { appId: 'm-app', name: 'cpu', unit: '%', value: '1', timestamp: 1n },
};
const hold: Decision = { kind: 'breaker-state', at: 1n, appId: 'b-app', state: 'open', consecutiveFailures: 3 };

const test = suite('parseDecisionFilter');

test('accepts no filter, repeated app ids and comma-separated or repeated kinds', () => {
  assert.equal(parseDecisionFilter(u('')), { ok: true, filter: {} });
  const r = parseDecisionFilter(u('?app_id=a&app_id=b&kinds=breach, metric&kinds=scaling-result'));
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.equal([...r.filter.appIds!], ['a', 'b']);
  assert.equal([...r.filter.kinds!], ['breach', 'metric', 'scaling-result']);
});

test('refuses unknown kinds, an empty kinds list and empty or over-long app ids, naming the problem', () => {
  const reason = (q: string) => {
    const r = parseDecisionFilter(u(q));
    return r.ok ? 'accepted' : r.reason;
  };
  assert.match(reason('?kinds=breach,nope'), /unknown kind\(s\) nope/);
  assert.match(reason('?kinds='), /kinds is empty/);
  assert.match(reason('?app_id='), /app_id must be 1 to 50/);
  assert.match(reason(`?app_id=${'x'.repeat(51)}`), /app_id must be 1 to 50/);
});

test.run();

// ---

const match = suite('matchesFilter');

match('finds the app of a metric inside it', () => {
  assert.is(decisionAppId(metric), 'm-app');
  assert.is(decisionAppId(hold), 'b-app');
});

match('combines the app and kind filters', () => {
  assert.ok(matchesFilter({}, metric));
  assert.ok(matchesFilter({ appIds: new Set(['m-app']) }, metric));
  assert.not.ok(matchesFilter({ appIds: new Set(['b-app']) }, metric));
  assert.ok(matchesFilter({ appIds: new Set(['b-app']), kinds: new Set(['breaker-state']) }, hold));
  assert.not.ok(matchesFilter({ appIds: new Set(['b-app']), kinds: new Set(['breach']) }, hold));
});

match.run();
