import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parsePolicyNotification, probePayload } from '../../../../lib/adapters/db/policy-notify-channel.ts';

const test = suite('parsePolicyNotification');

test('reads an app id, a whole-table change and a probe of our schema', () => {
  assert.equal(parsePolicyNotification('{"schema":"public","app_id":"a-1"}', 'public'), { kind: 'app', appId: 'a-1' });
  assert.equal(parsePolicyNotification('{"schema":"public"}', 'public'), { kind: 'all' });
  assert.equal(parsePolicyNotification(probePayload('public', 't1'), 'public'), { kind: 'probe', token: 't1' });
});

test("ignores notifications about another schema's table", () => {
  assert.equal(parsePolicyNotification('{"schema":"other","app_id":"a-1"}', 'public'), { kind: 'elsewhere' });
});

test('names what is wrong with a malformed payload instead of throwing', () => {
  const cases: [string, RegExp][] = [
    ['a-1', /not JSON/],
    ['[1]', /not a JSON object/],
    ['null', /not a JSON object/],
    ['{"app_id":"a"}', /no "schema"/],
    ['{"schema":"public","app_id":7}', /"app_id" is not a non-empty string: 7/],
    ['{"schema":"public","app_id":""}', /"app_id" is not a non-empty string/],
  ];
  for (const [payload, reason] of cases) {
    const n = parsePolicyNotification(payload, 'public');
    assert.is(n.kind, 'malformed', payload);
    assert.match((n as { reason: string }).reason, reason);
  }
});

test.run();
