import type { WebSocket } from 'ws';

export interface OutboxOptions {
  /** Messages held for a client whose socket buffer is full; beyond this, events are dropped. */
  readonly maxBuffered: number;
  /** Bytes the socket may hold unsent before messages wait in the outbox instead. */
  readonly maxBufferedBytes: number;
  /** The notice sent when a lagging client has caught up. */
  readonly droppedNotice: (count: number) => string;
  readonly onLag?: (
    event: { readonly state: 'lagging' } | { readonly state: 'caught-up'; readonly dropped: number },
  ) => void;
}

export interface OutboxStats {
  readonly queued: number;
  /** Events dropped since the client started lagging (0 when it is keeping up). */
  readonly dropping: number;
  readonly droppedTotal: number;
  readonly bufferedAmount: number;
}

export interface Outbox {
  push(text: string): void;
  stats(): OutboxStats;
}

type Socket = Pick<WebSocket, 'send' | 'bufferedAmount' | 'readyState' | 'OPEN'>;

/**
 * A bounded send queue for one slow consumer. Memory per client stays under
 * maxBufferedBytes + maxBuffered messages. Once the queue is full the client is "lagging": every
 * event is dropped and counted until the queue has drained, then one `dropped` notice tells it how
 * many it missed, in the place where they were missing.
 */
export const createOutbox = (socket: Socket, options: OutboxOptions): Outbox => {
  if (!(options.maxBuffered >= 1 && options.maxBufferedBytes >= 1)) {
    throw new RangeError(
      `outbox limits must be at least 1 (maxBuffered ${options.maxBuffered}, maxBufferedBytes ${options.maxBufferedBytes})`,
    );
  }
  const queue: string[] = [];
  let dropping = 0;
  let droppedTotal = 0;

  const writable = () => socket.readyState === socket.OPEN && socket.bufferedAmount < options.maxBufferedBytes;

  // Each completed write drains more: while bytes are buffered a callback is always pending.
  const send = (text: string) =>
    socket.send(text, (err) => {
      if (!err) flush();
    });

  const flush = () => {
    while (queue.length > 0 && writable()) send(queue.shift()!);
    if (queue.length === 0 && dropping > 0 && writable()) {
      const dropped = dropping;
      dropping = 0;
      send(options.droppedNotice(dropped));
      options.onLag?.({ state: 'caught-up', dropped });
    }
  };

  return {
    push(text) {
      if (socket.readyState !== socket.OPEN) return;
      if (dropping > 0) {
        dropping++;
        droppedTotal++;
      } else if (queue.length === 0 && writable()) {
        send(text);
        return;
      } else if (queue.length < options.maxBuffered) {
        queue.push(text);
      } else {
        dropping = 1;
        droppedTotal++;
        options.onLag?.({ state: 'lagging' });
      }
      flush();
    },
    stats: () => ({ queued: queue.length, dropping, droppedTotal, bufferedAmount: socket.bufferedAmount }),
  };
};
