import { catchError, map, mergeMap, Observable, of, Subject, Subscription } from 'rxjs';
import type { SchedulerLike } from 'rxjs';
import { errorText } from '../lib/core/error-text.ts';
import { combinedNameFilter, gaugeNamesOf } from '../lib/core/metrics/metric-types.ts';
import type { Envelope, GaugeValue } from '../lib/core/model/envelope.ts';
import type { Monitors } from '../lib/core/model/policy.ts';
import type { ReadEnvelopes, StreamEnvelopes } from '../lib/core/model/ports.ts';
import type { Backoff } from '../lib/core/time/backoff.ts';
import { backoffMs } from '../lib/core/time/backoff.ts';
import { nowNs, secondsToNs } from '../lib/core/time/ns.ts';
import type { CollectEvent } from './collect-metrics.ts';

export interface StreamMetricsSources {
  readonly tick$: Observable<unknown>;
  /** Latest app id → metric types; apps whose types need no gauge (PromQL only) are not streamed. */
  readonly monitor$: Observable<Monitors>;
}

export interface StreamMetricsDeps {
  readonly scheduler: SchedulerLike;
  /** The RLP gateway stream of some source ids' gauges. */
  readonly streamEnvelopes: StreamEnvelopes;
  /** The log-cache read, for the backfill of an app's stat window when its stream (re)opens. */
  readonly readEnvelopes: ReadEnvelopes;
  readonly statWindowSecs: number;
  /** Source ids per stream connection at most. */
  readonly sourcesPerConnection: number;
  /** Backfill reads in flight at once, over all connections. */
  readonly concurrency: number;
  /** Reconnect delays after a failure or an end without `closing` (attempt 1 = the first retry). */
  readonly reconnect: Backoff;
  /**
   * How long before a stream's last batch its envelopes may still have been on their way when it
   * ended (default 5 s): a reopened stream's apps are read again from log-cache from that instant.
   */
  readonly resumeMarginSecs?: number | undefined;
  /**
   * Renews a stream that has been open this long, on the next tick, before the gateway's own
   * timeout ends it (14 minutes): the new stream opens while the old one still delivers, and the
   * old one is closed `resumeMarginSecs` later, so no envelope is missed and none is read again.
   * Undefined: never (every gateway timeout is then a reopen with a gap fill).
   */
  readonly renewAfterSecs?: number | undefined;
}

interface Connection {
  readonly id: number;
  /** The source ids it is opened with; apps that left are dropped at its next reopen. */
  sourceIds: readonly string[];
  /** Set when the gateway accepted the stream: envelopes from then on come from it, older ones from the backfill. */
  cutoff: bigint | undefined;
  /** When its last batch came (or it opened), while it is open. */
  heard: bigint | undefined;
  /** The stream renewing this one, from the renewal on. */
  successor: Connection | undefined;
  /** The stream this one renews, until this one opens and takes its apps over. */
  predecessor: Connection | undefined;
  /** Set when its successor took over: its envelopes from then on are the successor's. */
  until: bigint | undefined;
  /** The apps its successor took over ready (their windows complete through this stream). */
  handedOver: readonly string[];
  /** Closes it once its successor took over and the margin passed. */
  retiring: Subscription | undefined;
  subscription: Subscription | undefined;
  retry: Subscription | undefined;
  /** Why it is down, while it is. */
  down: string | undefined;
  /** Down after a failure (waiting for its retry), not merely opening. */
  failed: boolean;
  closing: boolean;
  failures: number;
}

interface AppState {
  connection: Connection;
  names: ReadonlySet<string>;
  nameFilter: string;
  /** The cutoff the app's window was last backfilled up to; ready when it is its connection's. */
  backfilledTo: bigint | undefined;
  /**
   * Set when a stream the app was ready on ended: up to this instant its window is complete, so the
   * next backfill reads only from here (a gap fill) instead of the whole stat window.
   */
  completeTo: bigint | undefined;
  backfilling: boolean;
  /** A tick found the app between a (re)connect and its backfill: refresh it when the backfill lands. */
  due: boolean;
}

/** An envelope cut down to the gauges `names` holds; undefined when none is left (log-cache's name filter does the same). */
const neededPart = (envelope: Envelope, names: ReadonlySet<string>): Envelope | undefined => {
  const gauge = envelope.gauge;
  if (gauge === undefined) return undefined;
  let kept = 0;
  let total = 0;
  for (const name in gauge) {
    total += 1;
    if (names.has(name)) kept += 1;
  }
  if (kept === 0) return undefined;
  if (kept === total) return envelope;
  const cut: Record<string, GaugeValue> = {};
  for (const name in gauge) if (names.has(name)) cut[name] = gauge[name]!;
  return { ...envelope, gauge: cut };
};

/** A connection not opened yet. */
const unopened = (id: number, sourceIds: readonly string[], down: string, failed: boolean): Connection => ({
  id,
  sourceIds,
  cutoff: undefined,
  heard: undefined,
  successor: undefined,
  predecessor: undefined,
  until: undefined,
  handedOver: [],
  retiring: undefined,
  subscription: undefined,
  retry: undefined,
  down,
  failed,
  closing: false,
  failures: 0,
});

// The connection of an app between its arrival and its connection's creation (the same call).
const UNASSIGNED = unopened(0, [], 'not assigned', true);

const DEFAULT_RESUME_MARGIN_SECS = 5;

/** The microsecond at or before `ns`: log-cache keeps microseconds, so a cutoff there splits both shapes alike. */
const floorToMicros = (ns: bigint): bigint => ns - (ns % 1000n);

/**
 * Collects the gauges of the monitored apps from a few long-lived RLP gateway streams instead of one
 * log-cache read per app per tick (docs/anchor-compatibility.md#change-streaming). The apps are
 * split over connections of at most `sourcesPerConnection` source ids; each stream's batches go to
 * the aggregator as they come (`streamed`), and each tick names the apps whose metrics are due
 * (`refresh`), so the same windows and formulas apply as with reads.
 *
 * ```
 * monitor$  m-----------------------------------   apps a, b: one connection
 * stream    o--s---s---c|o--s-----------s-------   o: accepted, s: a batch, c: closing, |: the end
 * tick$     ------t-----------------t-----------
 * output    (oBB)s-r-s-E(oBB)s------r---s-------   o: opened, B: backfill of a and of b up to o,
 *                                                  s: streamed, r: refresh a,b, E: ended (reopen at once)
 * ```
 *
 * Nothing in the window is missed or counted twice: when a stream opens, its envelopes from that
 * instant (the cutoff, a whole microsecond) on are taken from it, and one read per app brings the
 * window up to the cutoff from log-cache, replacing whatever the app held before it (a `backfill`
 * event: the aggregator swaps them in). The two shapes (unsplit gauges with nanoseconds on the
 * stream, split ones with microseconds in log-cache) therefore never overlap. When a stream an app
 * was ready on ends (closing every 14 minutes, a failure, or a reopen with new apps), its window is
 * complete up to the stream's last batch less `resumeMarginSecs`: the reopen reads only from there
 * (a gap fill, `fromNs`), and the aggregator swaps in that part alone. A tick that finds an
 * app between a reopen and its backfill refreshes it when the backfill lands; a tick that finds its
 * connection down reports the app `failed`, as a failed read does. A stream that ends after
 * `closing` reopens at once; any other end or failure reopens after the back-off, reset by the next
 * successful open. New apps go to the newest connection while it has room (it is reopened with
 * them) and to new connections after that; an app that leaves stays on its stream (its envelopes
 * are dropped here) until its connection reopens, and a connection left with no app is closed.
 * Stream envelopes are cut down to the gauges the app's rules read, as the name filter of a read
 * is; the streams leave out, before building them, envelopes with no gauge any app reads.
 *
 * @param deps.scheduler clock of the cutoffs and the reconnect delays
 */
export const streamMetrics = (sources: StreamMetricsSources, deps: StreamMetricsDeps): Observable<CollectEvent> =>
  new Observable<CollectEvent>((subscriber) => {
    const perConnection = Math.max(1, Math.trunc(deps.sourcesPerConnection));
    const resumeMarginNs = secondsToNs(deps.resumeMarginSecs ?? DEFAULT_RESUME_MARGIN_SECS);
    const renewAfterNs = deps.renewAfterSecs === undefined ? undefined : secondsToNs(deps.renewAfterSecs);
    const apps = new Map<string, AppState>();
    const connections = new Set<Connection>();
    let nextId = 1;
    let tail: Connection | undefined;
    const backfills = new Subject<Observable<CollectEvent>>();
    // Every gauge name some app reads, kept current for the streams: they leave out envelopes with
    // none of them before building them (most of an instance's gauges serve no rule).
    const gaugeNames = new Set<string>();
    const subscription = new Subscription();
    const emit = (event: CollectEvent): void => {
      if (!subscriber.closed) subscriber.next(event);
    };

    const backfill = (appId: string, app: AppState, cutoff: bigint): void => {
      app.backfilling = true;
      backfills.next(
        new Observable<CollectEvent>((inner) => {
          // The app may have left, or its stream reopened, while the read waited for a slot.
          if (apps.get(appId) !== app || app.connection.cutoff !== cutoff) {
            if (apps.get(appId) === app) app.backfilling = false;
            inner.complete();
            return;
          }
          const windowStart = cutoff - secondsToNs(deps.statWindowSecs);
          // A gap fill when the app's window is complete up to a point inside the stat window.
          const fromNs = app.completeTo !== undefined && app.completeTo > windowStart ? app.completeTo : undefined;
          return deps
            .readEnvelopes(appId, app.nameFilter, fromNs ?? windowStart, cutoff)
            .pipe(
              map((read): CollectEvent => {
                app.backfilling = false;
                if (app.connection.cutoff === cutoff) {
                  app.backfilledTo = cutoff;
                  app.completeTo = undefined;
                }
                return {
                  kind: 'backfill',
                  appId,
                  ...(fromNs === undefined ? {} : { fromNs }),
                  beforeNs: cutoff,
                  envelopes: read.envelopes,
                  rejected: read.rejected.length,
                };
              }),
              catchError((err: unknown) => {
                app.backfilling = false;
                return of<CollectEvent>({ kind: 'failed', appId, error: `backfill read failed: ${errorText(err)}` });
              }),
            )
            .subscribe(inner);
        }),
      );
    };

    const afterBackfill = (event: CollectEvent): void => {
      emit(event);
      if (event.kind !== 'backfill') return;
      const app = apps.get(event.appId);
      if (app?.due && app.backfilledTo === app.connection.cutoff) {
        app.due = false;
        emit({ kind: 'refresh', appIds: [event.appId] });
      }
    };

    const scheduleReopen = (connection: Connection, delayMs: number): void => {
      connection.retry?.unsubscribe();
      connection.retry = deps.scheduler.schedule(() => {
        connection.retry = undefined;
        if (!connections.has(connection)) return;
        // A successor keeps the apps its predecessor still serves for it.
        connection.sourceIds = connection.sourceIds.filter((id) => {
          const on = apps.get(id)?.connection;
          return on !== undefined && (on === connection || on === connection.predecessor);
        });
        open(connection);
      }, delayMs);
    };

    /**
     * Up to when the windows of the apps ready on a stream are complete: its last batch, less the
     * margin for envelopes still on their way then, floored to the microsecond as a cutoff is; never
     * before the stream took over from their backfill (`cutoff`).
     */
    const completeToOf = (cutoff: bigint, heard: bigint): bigint => {
      const trusted = heard - resumeMarginNs;
      return trusted > cutoff ? floorToMicros(trusted) : cutoff;
    };

    /** Notes, for the apps of a stream that is ending and were ready on it, up to when their window is complete. */
    const noteCompleteTo = (connection: Connection): void => {
      const { cutoff, heard } = connection;
      if (cutoff === undefined || heard === undefined) return;
      const completeTo = completeToOf(cutoff, heard);
      for (const appId of connection.sourceIds) {
        const app = apps.get(appId);
        if (app !== undefined && app.connection === connection && app.backfilledTo === cutoff)
          app.completeTo = completeTo;
      }
    };

    const onBatch = (connection: Connection, envelopes: readonly Envelope[], rejected: number): void => {
      const { cutoff, until } = connection;
      if (cutoff !== undefined) connection.heard = nowNs(deps.scheduler);
      // A stream being renewed serves its apps, through its successor once that took over, up to then.
      const handedTo = until === undefined ? undefined : connection.successor;
      const kept: Envelope[] = [];
      for (const envelope of envelopes) {
        // Older envelopes belong to the backfill; apps the connection no longer serves are dropped.
        if (cutoff === undefined || envelope.timestamp < cutoff) continue;
        if (until !== undefined && envelope.timestamp >= until) continue;
        const app = apps.get(envelope.sourceId);
        if (app === undefined || (app.connection !== connection && app.connection !== handedTo)) continue;
        const part = neededPart(envelope, app.names);
        if (part !== undefined) kept.push(part);
      }
      if (kept.length > 0 || rejected > 0) emit({ kind: 'streamed', envelopes: kept, rejected });
    };

    /**
     * A stream that ended while its successor was on the way is not reopened: after the takeover it
     * retires at once; before it, its apps go to the successor with what they miss noted.
     */
    const replaced = (connection: Connection): boolean => {
      const next = connection.successor;
      if (next === undefined) return false;
      if (connection.until !== undefined) retire(connection);
      else {
        noteCompleteTo(connection);
        for (const appId of next.sourceIds) {
          const app = apps.get(appId);
          if (app === undefined || app.connection !== connection) continue;
          app.connection = next;
          app.backfilledTo = undefined;
        }
        next.predecessor = undefined;
        close(connection);
      }
      return true;
    };

    const open = (connection: Connection): void => {
      connection.subscription?.unsubscribe();
      connection.cutoff = undefined;
      connection.heard = undefined;
      connection.closing = false;
      connection.down = 'stream opening';
      connection.subscription = deps.streamEnvelopes(connection.sourceIds, { gaugeNames }).subscribe({
        next: (item) => {
          if (item.kind === 'open') {
            connection.cutoff = floorToMicros(nowNs(deps.scheduler));
            connection.heard = connection.cutoff;
            connection.down = undefined;
            connection.failed = false;
            connection.failures = 0;
            emit({
              kind: 'stream',
              event: { kind: 'opened', connection: connection.id, sourceIds: connection.sourceIds.length },
            });
            const old = connection.predecessor;
            connection.predecessor = undefined;
            if (old !== undefined && connections.has(old) && old.cutoff !== undefined)
              takeOver(connection, old, connection.cutoff);
            for (const appId of connection.sourceIds) {
              const app = apps.get(appId);
              if (app !== undefined && app.connection === connection && app.backfilledTo !== connection.cutoff)
                backfill(appId, app, connection.cutoff);
            }
          } else if (item.kind === 'batch') onBatch(connection, item.envelopes, item.rejected.length);
          else if (item.kind === 'malformed')
            emit({ kind: 'stream', event: { kind: 'malformed', connection: connection.id, reason: item.reason } });
          else connection.closing = true;
        },
        error: (err: unknown) => {
          if (replaced(connection)) return;
          noteCompleteTo(connection);
          connection.failures += 1;
          connection.failed = true;
          connection.down = errorText(err);
          connection.cutoff = undefined;
          const retryInMs = backoffMs(connection.failures, deps.reconnect);
          emit({
            kind: 'stream',
            event: {
              kind: 'failed',
              connection: connection.id,
              error: connection.down,
              attempt: connection.failures,
              retryInMs,
            },
          });
          scheduleReopen(connection, retryInMs);
        },
        complete: () => {
          if (replaced(connection)) return;
          noteCompleteTo(connection);
          const reason = connection.closing ? 'closing: the stream timeout' : 'ended without closing';
          // After `closing` the gateway expects the client back at once; an unannounced end may be a failing gateway.
          if (!connection.closing) {
            connection.failures += 1;
            connection.failed = true;
          }
          connection.down = `stream ${reason}`;
          connection.cutoff = undefined;
          const retryInMs = connection.closing ? 0 : backoffMs(connection.failures, deps.reconnect);
          emit({ kind: 'stream', event: { kind: 'ended', connection: connection.id, reason, retryInMs } });
          scheduleReopen(connection, retryInMs);
        },
      });
    };

    const close = (connection: Connection): void => {
      connections.delete(connection);
      connection.subscription?.unsubscribe();
      connection.retry?.unsubscribe();
      connection.retiring?.unsubscribe();
      if (tail === connection) tail = undefined;
    };

    const newConnection = (sourceIds: string[]): Connection => {
      const connection = unopened(nextId++, sourceIds, 'stream opening', false);
      connections.add(connection);
      return connection;
    };

    const connect = (sourceIds: string[]): Connection => {
      const connection = newConnection(sourceIds);
      for (const appId of sourceIds) {
        const app = apps.get(appId);
        if (app !== undefined) {
          app.connection = connection;
          app.backfilledTo = undefined;
        }
      }
      return connection;
    };

    /** Opens a successor of `old` for its apps; `old` serves them until the successor is open. */
    const renew = (old: Connection): void => {
      const staying = old.sourceIds.filter((id) => apps.get(id)?.connection === old);
      if (staying.length === 0) {
        close(old);
        return;
      }
      const next = newConnection(staying);
      next.predecessor = old;
      old.successor = next;
      if (tail === old) tail = next;
      open(next);
    };

    /**
     * Closes a stream its successor took over. If it delivered nothing from the takeover on, the
     * envelopes it may have missed since its last batch (less the margin) are read for the apps it
     * handed over ready.
     */
    const retire = (old: Connection): void => {
      old.retiring = undefined;
      const { until, heard, cutoff } = old;
      if (until !== undefined && cutoff !== undefined && (heard === undefined || heard < until)) {
        const completeTo = completeToOf(cutoff, heard ?? cutoff);
        for (const appId of old.handedOver) {
          const app = apps.get(appId);
          if (app === undefined || app.connection !== old.successor || app.backfilledTo !== until) continue;
          app.completeTo = completeTo;
          app.backfilledTo = undefined;
          if (app.connection.cutoff !== undefined) backfill(appId, app, app.connection.cutoff);
        }
      }
      close(old);
    };

    /** A successor opened at `cutoff`: it takes over the apps its predecessor still serves. */
    const takeOver = (next: Connection, old: Connection, cutoff: bigint): void => {
      const ready: string[] = [];
      for (const appId of next.sourceIds) {
        const app = apps.get(appId);
        if (app === undefined || app.connection !== old) continue;
        app.connection = next;
        if (old.cutoff !== undefined && app.backfilledTo === old.cutoff && app.completeTo === undefined) {
          app.backfilledTo = cutoff;
          ready.push(appId);
        } else app.backfilledTo = undefined;
      }
      old.until = cutoff;
      old.handedOver = ready;
      old.retiring = deps.scheduler.schedule(() => retire(old), Number(resumeMarginNs / 1_000_000n));
    };

    const onMonitor = (monitors: Monitors): void => {
      const added: string[] = [];
      for (const [appId, types] of monitors) {
        const nameFilter = combinedNameFilter(types);
        if (nameFilter === undefined) continue;
        const app = apps.get(appId);
        if (app !== undefined) {
          app.names = gaugeNamesOf(types);
          app.nameFilter = nameFilter;
        } else added.push(appId);
      }
      const emptied = new Set<Connection>();
      for (const [appId, app] of apps) {
        const types = monitors.get(appId);
        if (types !== undefined && combinedNameFilter(types) !== undefined) continue;
        apps.delete(appId);
        emptied.add(app.connection);
      }
      for (const connection of emptied) {
        if (!connection.sourceIds.some((id) => apps.get(id)?.connection === connection)) close(connection);
      }
      for (const appId of added) {
        const types = monitors.get(appId) ?? [];
        apps.set(appId, {
          connection: UNASSIGNED,
          names: gaugeNamesOf(types),
          nameFilter: combinedNameFilter(types) ?? '',
          backfilledTo: undefined,
          completeTo: undefined,
          backfilling: false,
          due: false,
        });
      }
      gaugeNames.clear();
      for (const app of apps.values()) for (const name of app.names) gaugeNames.add(name);
      if (added.length === 0) return;
      // The newest connection takes new apps while it has room: it is reopened with them.
      let queue = added;
      // Not a connection taking over from another (renewed): new apps then go to a new connection.
      if (
        tail !== undefined &&
        connections.has(tail) &&
        tail.predecessor === undefined &&
        tail.successor === undefined
      ) {
        const old = tail;
        const staying = old.sourceIds.filter((id) => apps.get(id)?.connection === old);
        const room = perConnection - staying.length;
        if (room > 0) {
          noteCompleteTo(old);
          close(old);
          const next = connect([...staying, ...queue.slice(0, room)]);
          queue = queue.slice(room);
          tail = next;
          open(next);
        }
      }
      for (let i = 0; i < queue.length; i += perConnection) {
        const next = connect(queue.slice(i, i + perConnection));
        tail = next;
        open(next);
      }
    };

    const onTick = (): void => {
      if (renewAfterNs !== undefined) {
        const now = nowNs(deps.scheduler);
        for (const connection of [...connections])
          if (
            connection.cutoff !== undefined &&
            connection.successor === undefined &&
            now - connection.cutoff >= renewAfterNs
          )
            renew(connection);
      }
      const due: string[] = [];
      for (const [appId, app] of apps) {
        const connection = app.connection;
        if (connection.cutoff !== undefined && app.backfilledTo === connection.cutoff) due.push(appId);
        else if (!connection.failed) {
          // Opening or backfilling: the refresh follows the backfill; a backfill that failed is tried again.
          app.due = true;
          if (connection.cutoff !== undefined && !app.backfilling) backfill(appId, app, connection.cutoff);
        } else {
          app.due = false;
          emit({ kind: 'failed', appId, error: `no log stream: ${connection.down ?? 'not open'}` });
        }
      }
      if (due.length > 0) emit({ kind: 'refresh', appIds: due });
    };

    subscription.add(
      backfills.pipe(mergeMap((read$) => read$, Math.max(1, Math.trunc(deps.concurrency)))).subscribe(afterBackfill),
    );
    subscription.add(sources.monitor$.subscribe({ next: onMonitor, error: (err: unknown) => subscriber.error(err) }));
    subscription.add(
      sources.tick$.subscribe({
        next: onTick,
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      }),
    );
    subscription.add(() => {
      for (const connection of [...connections]) close(connection);
    });
    return subscription;
  });
