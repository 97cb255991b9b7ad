import { randomUUID } from 'node:crypto';
import {
  EMPTY,
  Observable,
  asyncScheduler,
  defer,
  exhaustMap,
  filter,
  ignoreElements,
  map,
  merge,
  mergeMap,
  of,
  retry,
  share,
  switchMap,
  take,
  tap,
  throwError,
  timeout,
  timer,
} from 'rxjs';
import type { SchedulerLike } from 'rxjs';
import type { Sql } from 'postgres';
import type { Logger } from 'pino';
import { ALL_POLICIES, POLICY_CHANNEL, parsePolicyNotification, probePayload } from './policy-notify-channel.ts';
import type { PolicyNotification } from './policy-notify-channel.ts';
import { NotifyUnavailableError, isNotifyUnavailableError } from './notify-unavailable-error.ts';
import { backoffSchedule } from '../../core/time/backoff.ts';
import { errorText } from '../../core/error-text.ts';
import { fromCall } from '../../core/from-call.ts';

export interface ListenPolicyOptions {
  readonly scheduler?: SchedulerLike;
  /** The schema whose `policy_json` to follow; default the connection's `current_schema()`. */
  readonly schema?: string;
  /** How often to check that notifications still arrive; default 60 s. */
  readonly probeIntervalMs?: number;
  /** How long a probe notification may take to come back; default 5 s. */
  readonly probeTimeoutMs?: number;
  /** Delay before listening again after the n-th consecutive failure (n from 1); default 0.5 s doubling to 30 s. */
  readonly backoff?: (attempt: number) => number;
}

type SessionEvent = { readonly kind: 'listening'; readonly again: boolean } | PolicyNotification;

const defaultBackoff = backoffSchedule({ initialMs: 500, maxMs: 30_000 });

/** One LISTEN on postgres.js's dedicated connection, as a stream; unsubscribing unlistens. */
const listenSession = (sql: Sql, schema: string): Observable<SessionEvent> =>
  new Observable<SessionEvent>((subscriber) => {
    let closed = false;
    let listened = false;
    let unlisten: (() => Promise<void>) | undefined;
    sql
      .listen(
        POLICY_CHANNEL,
        (payload) => {
          if (!closed) subscriber.next(parsePolicyNotification(payload, schema));
        },
        // postgres.js calls this again after it reconnected and re-listened on its own.
        () => {
          if (!closed) subscriber.next({ kind: 'listening', again: listened });
          listened = true;
        },
      )
      .then(
        (meta) => {
          if (closed) meta.unlisten().catch(() => {});
          else unlisten = meta.unlisten;
        },
        (err: unknown) => subscriber.error(err),
      );
    return () => {
      closed = true;
      unlisten?.().catch(() => {});
    };
  });

/**
 * App ids whose policy row changed, as the database announces them (`ALL_POLICIES` when any may
 * have: TRUNCATE, or after listening again following an interruption). Polling stays the
 * baseline; this only makes changes take effect at once.
 *
 * ```
 * policy_json   --ins(a)--upd(b)---[connection lost]------[back]--del(a)--
 * output        ---a-------b------------------------------*-------a-------
 * ```
 * Every `probeIntervalMs` a probe notification checks that delivery works (postgres.js re-listens
 * after a reconnect but gives up silently when that fails). If the very first probe never comes
 * back, the database does not deliver notifications (the embedded PGlite behind its socket server
 * runs every client on one session and hands a notification to whichever client sent it): this
 * logs why and completes without emitting. Later failures reconnect with `backoff`, for ever.
 */
export const listenPolicyChanges = (
  sql: Sql,
  logger: Logger,
  options: ListenPolicyOptions = {},
): Observable<string> => {
  const scheduler = options.scheduler ?? asyncScheduler;
  const probeIntervalMs = options.probeIntervalMs ?? 60_000;
  const probeTimeoutMs = options.probeTimeoutMs ?? 5_000;
  const backoff = options.backoff ?? defaultBackoff;
  const log = logger.child({ component: 'policy-notify', channel: POLICY_CHANNEL });

  return defer(() => {
    let delivered = false;
    let sessions = 0;

    const probe = (schema: string, events$: Observable<SessionEvent>): Observable<never> => {
      const token = randomUUID();
      // The echo is awaited before the probe is sent, so a fast reply is not missed.
      return merge(
        events$.pipe(
          filter((e) => e.kind === 'probe' && e.token === token),
          take(1),
        ),
        fromCall(() => sql`SELECT pg_notify(${POLICY_CHANNEL}, ${probePayload(schema, token)})`).pipe(ignoreElements()),
      ).pipe(
        timeout({
          first: probeTimeoutMs,
          scheduler,
          with: () =>
            throwError(
              () =>
                new NotifyUnavailableError(
                  delivered
                    ? `policy notifications stopped arriving on ${POLICY_CHANNEL} (a probe got no echo within ${probeTimeoutMs} ms)`
                    : `the database does not deliver notifications on ${POLICY_CHANNEL} (a probe got no echo within ${probeTimeoutMs} ms)`,
                  { channel: POLICY_CHANNEL, deliveredBefore: delivered },
                ),
            ),
        }),
        tap(() => {
          if (!delivered) log.info({ schema }, 'policy changes arrive by notification (polling stays as the fallback)');
          delivered = true;
        }),
        ignoreElements(),
      );
    };

    const toAppIds = (event: SessionEvent, resync: boolean): Observable<string> => {
      switch (event.kind) {
        case 'app':
          return of(event.appId);
        case 'all':
          return of(ALL_POLICIES);
        case 'listening':
          return event.again || resync ? of(ALL_POLICIES) : EMPTY;
        case 'malformed':
          log.warn({ reason: event.reason }, `ignored a malformed notification on ${POLICY_CHANNEL}: ${event.reason}`);
          return EMPTY;
        default:
          return EMPTY;
      }
    };

    const schema$ =
      options.schema !== undefined
        ? of(options.schema)
        : fromCall(() => sql<{ schema: string }[]>`SELECT current_schema() AS schema`).pipe(
            map((rows) => rows[0]?.schema ?? 'public'),
          );

    const session$ = schema$.pipe(
      switchMap((schema) => {
        // After an interruption, notifications sent in the gap are lost: say "everything may have changed".
        const resync = sessions++ > 0;
        const events$ = listenSession(sql, schema).pipe(share());
        const probes$ = events$.pipe(
          filter((e) => e.kind === 'listening'),
          take(1),
          switchMap(() => timer(0, probeIntervalMs, scheduler)),
          // exhaustMap: one probe at a time; a slow one skips ticks.
          exhaustMap(() => probe(schema, events$)),
        );
        return merge(events$, probes$).pipe(mergeMap((e) => toAppIds(e, resync)));
      }),
    );

    return session$.pipe(
      retry({
        resetOnSuccess: true,
        delay: (err: unknown, attempt) => {
          if (isNotifyUnavailableError(err) && !err.deliveredBefore) {
            log.warn({ err }, `${err.message}: policy changes are picked up by polling only`);
            return EMPTY;
          }
          const ms = backoff(attempt);
          log.warn(
            { err, attempt },
            `listening for policy changes failed (${errorText(err)}); listening again in ${ms} ms, polling covers the gap`,
          );
          return timer(ms, scheduler);
        },
      }),
    );
  });
};
