import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { firstValueFrom } from 'rxjs';
import { scaleObservable } from '../../../../lib/adapters/scaling-engine/scale-observable.ts';
import type { ScaleReply } from '../../../../lib/core/model/scale-reply.ts';
import type { Trigger } from '../../../../lib/core/model/policy.ts';
import { within } from './support/test-servers.ts';

const observable = suite('scaleObservable');
const trigger: Trigger = {
  appId: 'a',
  metricType: 'cpu',
  metricUnit: '%',
  breachDurationSecs: 60,
  threshold: 1n,
  operator: '>',
  coolDownSecs: 0,
  adjustment: '+1',
};

observable('calls the client once per subscription and emits its reply', async () => {
  const seen: Trigger[] = [];
  const scale = scaleObservable({
    scale: async (t) => {
      seen.push(t);
      return { ok: true, status: 200 };
    },
  });
  const call$ = scale(trigger);
  assert.equal(seen, []); // lazy
  assert.equal(await within(1000, firstValueFrom(call$)), { ok: true, status: 200 });
  await within(1000, firstValueFrom(call$));
  assert.is(seen.length, 2);
});

observable('aborts the request when unsubscribed', async () => {
  let signal: AbortSignal | undefined;
  const scale = scaleObservable({
    scale: (_t, s) => {
      signal = s;
      return new Promise<ScaleReply>(() => undefined);
    },
  });
  const sub = scale(trigger).subscribe();
  assert.is(signal?.aborted, false);
  sub.unsubscribe();
  assert.is(signal?.aborted, true);
});

observable('turns a rejected promise into a failed reply rather than an error', async () => {
  const scale = scaleObservable({
    scale: async () => {
      throw new Error('socket hang up');
    },
  });
  assert.equal(await within(1000, firstValueFrom(scale(trigger))), {
    ok: false,
    error: 'request failed: socket hang up',
  });
});

observable.run();
