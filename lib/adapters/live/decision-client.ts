import { filter } from 'rxjs';
import type { Observable, SchedulerLike, Subscription } from 'rxjs';
import type { WebSocket } from 'ws';
import type { Logger } from 'pino';
import type { Decision } from '../../core/model/decision.ts';
import { stringify } from '../../core/json/bigint-json.ts';
import { nowNs } from '../../core/time/ns.ts';
import { matchesFilter } from './decision-filter.ts';
import type { DecisionFilter } from './decision-filter.ts';
import { createOutbox } from './client-outbox.ts';
import type { Outbox } from './client-outbox.ts';

export interface DecisionClient {
  readonly ws: WebSocket;
  readonly outbox: Outbox;
  readonly remote: string;
  /** Cleared before each ping, set by the pong. */
  alive: boolean;
  unsubscribe(): void;
}

export interface DecisionClientDeps {
  readonly want: DecisionFilter;
  readonly remote: string;
  readonly decision$: Observable<Decision>;
  readonly encode: (d: Decision) => string;
  readonly maxBuffered: number;
  readonly maxBufferedBytes: number;
  readonly scheduler: SchedulerLike;
  readonly log: Logger;
}

/** One subscriber of the decision stream: greets it, then feeds it its filtered decisions through a bounded outbox. */
export const openDecisionClient = (ws: WebSocket, deps: DecisionClientDeps): DecisionClient => {
  const { want, remote, log, scheduler, maxBuffered } = deps;
  const outbox = createOutbox(ws, {
    maxBuffered,
    maxBufferedBytes: deps.maxBufferedBytes,
    droppedNotice: (count) => stringify({ kind: 'dropped', at: nowNs(scheduler), count }),
    onLag: (e) =>
      e.state === 'lagging'
        ? log.warn({ remote, maxBuffered }, 'client fell behind: dropping its events until it catches up')
        : log.info({ remote, dropped: e.dropped }, `client caught up after missing ${e.dropped} event(s); told it so`),
  });
  let subscription: Subscription | undefined;
  const client: DecisionClient = { ws, outbox, remote, alive: true, unsubscribe: () => subscription?.unsubscribe() };

  ws.on('pong', () => {
    client.alive = true;
  });
  ws.on('error', (err) => log.warn({ err, remote }, `client socket error: ${err.message}`));
  ws.on('close', (code) => {
    subscription?.unsubscribe();
    log.info({ remote, code, droppedTotal: outbox.stats().droppedTotal }, 'client disconnected');
  });
  outbox.push(
    stringify({
      kind: 'subscribed',
      at: nowNs(scheduler),
      appIds: want.appIds ? [...want.appIds] : null,
      kinds: want.kinds ? [...want.kinds] : null,
      maxBuffered,
    }),
  );
  subscription = deps.decision$.pipe(filter((d) => matchesFilter(want, d))).subscribe({
    next: (d) => outbox.push(deps.encode(d)),
    error: (err: Error) => {
      log.error({ err }, `decision stream failed (${err.message}); closing the client`);
      ws.close(1011, 'decision stream failed');
    },
    complete: () => ws.close(1001, 'decision stream ended'),
  });
  log.info(
    { remote, appIds: want.appIds ? [...want.appIds] : 'all', kinds: want.kinds ? [...want.kinds] : 'all' },
    'client subscribed',
  );
  return client;
};
