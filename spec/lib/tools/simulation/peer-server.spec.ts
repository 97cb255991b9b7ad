import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { record, startPeerServer } from '../../../../lib/tools/simulation/peer-server.ts';
import { setTimeout as sleep } from 'node:timers/promises';

// ---
const peer = suite('startPeerServer');

peer('answers 500 when a handler fails instead of crashing', async () => {
  const server = await startPeerServer(async () => {
    throw new Error('bad script');
  });
  try {
    const response = await fetch(`${server.url}/x`, { signal: AbortSignal.timeout(5000) });
    assert.is(response.status, 500);
    assert.is(await response.text(), 'simulated peer failed: bad script\n');
  } finally {
    await server.close();
  }
});

peer('closes even with a request left hanging', async () => {
  const server = await startPeerServer(() => undefined);
  const pending = fetch(`${server.url}/hang`).then(
    () => 'answered',
    () => 'dropped',
  );
  await sleep(50);
  await server.close();
  assert.is(await pending, 'dropped');
});

// ---
const log = suite('record');

log('keeps at least the newest entries and stays bounded', () => {
  const entries: number[] = [];
  for (let i = 0; i < 25; i += 1) record(entries, i, 5);
  assert.ok(entries.length >= 5 && entries.length < 10);
  assert.is(entries[entries.length - 1], 24);
  assert.equal(entries.slice(-5), [20, 21, 22, 23, 24]);
});

peer.run();
log.run();
