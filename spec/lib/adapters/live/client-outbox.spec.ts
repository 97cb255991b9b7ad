import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createOutbox } from '../../../../lib/adapters/live/client-outbox.ts';

/** A socket whose writes complete only when the test says so; each pending write holds its bytes. */
const fakeSocket = () => {
  const pending: { text: string; cb: (err?: Error) => void }[] = [];
  const written: string[] = [];
  const socket = {
    OPEN: 1 as const,
    readyState: 1 as 0 | 1 | 2 | 3,
    get bufferedAmount() {
      return pending.reduce((n, p) => n + p.text.length, 0);
    },
    send(text: string, cb: (err?: Error) => void) {
      pending.push({ text, cb });
    },
    /** The client reads everything written so far. */
    drain() {
      while (pending.length > 0) {
        const p = pending.shift()!;
        written.push(p.text);
        p.cb();
      }
    },
  };
  return { socket, written, pending };
};

const notice = (n: number) => `dropped:${n}`;
const test = suite('createOutbox');

test('sends at once while the socket buffer has room', () => {
  const { socket, pending } = fakeSocket();
  const outbox = createOutbox(socket as never, { maxBuffered: 2, maxBufferedBytes: 100, droppedNotice: notice });
  outbox.push('a');
  outbox.push('b');
  assert.equal(
    pending.map((p) => p.text),
    ['a', 'b'],
  );
  assert.equal(outbox.stats(), { queued: 0, dropping: 0, droppedTotal: 0, bufferedAmount: 2 });
});

test('queues up to maxBuffered, then drops and counts until the client catches up, then sends one notice', () => {
  const { socket, written } = fakeSocket();
  const lag: string[] = [];
  const outbox = createOutbox(socket as never, {
    maxBuffered: 2,
    maxBufferedBytes: 3,
    droppedNotice: notice,
    onLag: (e) => lag.push(e.state),
  });
  for (const t of ['aaa', 'b', 'c', 'd', 'e', 'f']) outbox.push(t);
  assert.equal(outbox.stats(), { queued: 2, dropping: 3, droppedTotal: 3, bufferedAmount: 3 });
  assert.equal(lag, ['lagging']);
  socket.drain();
  // b and c were queued; the notice follows them; d, e, f are gone
  assert.equal(written, ['aaa', 'b', 'c', 'dropped:3']);
  outbox.push('g');
  socket.drain();
  assert.equal(written.at(-1), 'g');
  assert.equal(lag, ['lagging', 'caught-up']);
  assert.equal(outbox.stats(), { queued: 0, dropping: 0, droppedTotal: 3, bufferedAmount: 0 });
});

test('keeps dropping while it still has a backlog, even once the queue has room', () => {
  const { socket, written, pending } = fakeSocket();
  const outbox = createOutbox(socket as never, { maxBuffered: 1, maxBufferedBytes: 1, droppedNotice: notice });
  outbox.push('a'); // sent
  outbox.push('b'); // queued
  outbox.push('c'); // dropped: lagging
  // the client reads one message: b goes out, but the notice waits for b to be written
  const first = pending.shift()!;
  written.push(first.text);
  first.cb();
  outbox.push('d'); // still lagging: dropped
  socket.drain();
  assert.equal(written, ['a', 'b', 'dropped:2']);
});

test('ignores pushes once the socket is closing', () => {
  const { socket, pending } = fakeSocket();
  const outbox = createOutbox(socket as never, { maxBuffered: 1, maxBufferedBytes: 10, droppedNotice: notice });
  socket.readyState = 2;
  outbox.push('a');
  assert.equal(pending, []);
});

test('rejects limits below 1', () => {
  const { socket } = fakeSocket();
  assert.throws(
    () => createOutbox(socket as never, { maxBuffered: 0, maxBufferedBytes: 10, droppedNotice: notice }),
    /at least 1/,
  );
});

test.run();
