import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseScaleReply } from '../../../../lib/core/scaling/parse-scale-reply.ts';

const reply = suite('parseScaleReply');

reply('reads an AppScalingResult, keeping the ns expiry exact', () => {
  assert.equal(
    parseScaleReply(200, '{"app_id":"x","status":1,"adjustment":-2,"cool_down_expired_at":1700000300123456789}'),
    { ok: true, status: 200, cooldownExpiredAt: 1700000300123456789n, adjustment: -2, scalingStatus: 1 },
  );
});

reply('matches the field names case-insensitively and treats null fields as absent', () => {
  assert.equal(parseScaleReply(200, '{"Cool_Down_Expired_At":5,"STATUS":null}'), {
    ok: true,
    status: 200,
    cooldownExpiredAt: 5n,
  });
});

reply('a null body is a success without anything else', () => {
  assert.equal(parseScaleReply(200, 'null'), { ok: true, status: 200 });
});

reply('anything that is not that object is a wrong response, saying what was wrong', () => {
  assert.match((parseScaleReply(200, 'succeed') as { error: string }).error, /^received wrong response: .*JSON/);
  assert.equal(parseScaleReply(200, '[1]'), {
    ok: false,
    status: 200,
    error: 'received wrong response: document: expected an object, got array',
  });
  assert.equal(parseScaleReply(200, '{"cool_down_expired_at":"x"}'), {
    ok: false,
    status: 200,
    error: 'received wrong response: cool_down_expired_at: expected an integer literal, got string "x"',
  });
  assert.equal(parseScaleReply(200, '{"cool_down_expired_at":1e18}').ok, false);
  assert.equal(parseScaleReply(200, '{"cool_down_expired_at":9223372036854775808}').ok, false);
});

reply.run();
