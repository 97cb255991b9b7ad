import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  labProgressText,
  progressText,
  startProgressLine,
  startReplayProgress,
  timingText,
} from '../../../lib/replay/replay-progress.ts';

const test = suite('replay progress');

test('a line at once, then one every tick with the newest state, none after done', async () => {
  const written: string[] = [];
  const progress = startReplayProgress({ isTTY: false, write: (t: string) => written.push(t) }, { everyMs: 20 });
  assert.is(written.length, 1, 'a line at once');
  assert.match(written[0]!, /^replay: reading the recording… \d+\.\d s\n$/);
  progress.update({ fraction: 0.5, virtualNs: 1731578462000000000n, envelopes: 1234567, scalingEvents: 1 });
  await sleep(70);
  progress.done();
  const count = written.length;
  assert.ok(count >= 3, `${count} lines`);
  assert.match(
    written.at(-1)!,
    /^replay: \[#{10}\.{10}\] 1,234,567 envelopes, virtual time 2024-11-14 10:01:02 UTC, 1 scaling event, \d+\.\d s\n$/,
  );
  await sleep(50);
  assert.is(written.length, count, 'nothing after done');
});

test('a terminal gets one line redrawn in place, cleared when done', () => {
  const written: string[] = [];
  const progress = startReplayProgress({ isTTY: true, columns: 200, write: (t: string) => written.push(t) });
  progress.done();
  assert.match(written[0]!, /^\rreplay: reading the recording… /);
  assert.is(written.at(-1), '\r\u001b[K');
});

test('the closing line gives the whole time and the time to the first envelope', () => {
  assert.is(timingText(1234.5, 310), 'done in 1.23 s from start; first envelope after 0.31 s');
  assert.is(timingText(80, undefined), 'done in 0.08 s from start');
  assert.match(progressText(undefined, 1500), /reading the recording… 1\.5 s$/);
});

test('the policy lab uses the same line: its stage, then each candidate', async () => {
  const written: string[] = [];
  const progress = startProgressLine({ isTTY: false, write: (t: string) => written.push(t) }, labProgressText, {
    everyMs: 20,
  });
  assert.match(written[0]!, /^lab: starting… \d+\.\d s\n$/);
  progress.update({ fraction: 0.25, label: 'candidate 5 of 20' });
  await sleep(50);
  progress.done();
  progress.done();
  assert.match(written.at(-1)!, /^lab: \[#{5}\.{15}\] candidate 5 of 20, \d+\.\d s\n$/);
  const count = written.length;
  await sleep(50);
  assert.is(written.length, count, 'nothing after done, and a second done writes nothing');
});

test.run();
