import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { asyncScheduler, Subject, map, takeUntil } from 'rxjs';
import type { SchedulerLike, Subscription } from 'rxjs';
import type { Config } from '../adapters/config/schema.ts';
import { connectDatabase } from '../adapters/db/connect.ts';
import type { ConnectOptions, Database } from '../adapters/db/connect.ts';
import { databaseLabel } from '../adapters/db/connection-url.ts';
import { errorTextWithCauses } from '../core/error-text.ts';
import type { Logger } from '../adapters/log/logger.ts';
import { nowNs } from '../core/time/ns.ts';
import { createPolicyStore } from '../adapters/stores/policy-store.ts';
import { createAppMetricStore } from '../adapters/stores/app-metric-store.ts';
import { createQueryAppMetrics } from '../adapters/stores/query-app-metrics.ts';
import { createMetricCache } from '../core/evaluation/metric-cache.ts';
import { createMetricsRegistry } from '../adapters/http/metrics-registry.ts';
import { startHttpServers } from '../adapters/http/servers.ts';
import type { HttpServers } from '../adapters/http/servers.ts';
import { createScalingEngineClient } from '../adapters/scaling-engine/scaling-engine-client.ts';
import { scaleObservable } from '../adapters/scaling-engine/scale-observable.ts';
import { createMembership, createStaticMembership } from '../adapters/membership/membership.ts';
import type { Membership } from '../adapters/membership/membership.ts';
import { applyMembershipSchema, createLeaseStore } from '../adapters/membership/lease-store.ts';
import { createLogCacheAdapter } from './logcache-adapter.ts';
import { serviceGraph } from '../../pipelines/graph/service-graph.ts';
import type { ServiceEvent } from '../../pipelines/graph/service-graph.ts';
import { settingsFromConfig } from './settings-from-config.ts';
import { createEventReporter } from './report-event.ts';
import { attachLiveStream } from './live-stream.ts';
import { policyChanges } from './policy-notifications.ts';
import { fromCall } from '../core/from-call.ts';
import { applyJournalSchema, createDecisionJournalStore } from '../adapters/stores/decision-journal-store.ts';
import { createPolicyLookup } from '../adapters/stores/policy-lookup.ts';
import { createMemberDirectory } from '../adapters/membership/member-directory.ts';
import { createOwnerLookup } from '../adapters/membership/owner-lookup.ts';
import type { MembershipView } from '../adapters/membership/membership-view.ts';
import { explainRoutes } from '../adapters/http/explain-route.ts';
import { createDecisionWatcher } from '../core/explain/decision-watcher.ts';
import { msToNs } from '../core/time/ns.ts';
import { createExplainer } from './explainer.ts';

export interface StartServiceOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly cfMode: boolean;
  readonly scheduler?: SchedulerLike;
  /** Lease-membership id; on CF the instance GUID. */
  readonly memberId?: string | undefined;
  /** Bind address for the listeners (tests: 127.0.0.1). */
  readonly host?: string | undefined;
  /** On Cloud Foundry, the app's guid: `explain` names the `X-Cf-App-Instance` value of an app's owner. */
  readonly cfAppGuid?: string | undefined;
  /** How the start-up line names this instance (CF: index and instance GUID). */
  readonly instanceName?: string | undefined;
}

export interface RunningService {
  readonly ports: HttpServers['ports'];
  /** Resolves when the service has stopped by itself (a fatal stream error) or after stop(). */
  readonly done: Promise<void>;
  /**
   * Graceful shutdown within `boundMs` whatever the peers and the database do: stop polling, finish
   * calls under way, flush the app metrics (as many as the bound allows), close.
   */
  stop(boundMs?: number): Promise<{ readonly flushed: boolean; readonly unsaved: number }>;
}

/** A database that cannot be opened at start, named without credentials. */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError' as const;
  constructor(key: string, url: string, cause: unknown) {
    super(`cannot open the database of ${key} (${databaseLabel(url)}): ${errorTextWithCauses(cause)}`, { cause });
  }
}

const open = async (key: string, options: ConnectOptions): Promise<Database> => {
  try {
    return await connectDatabase(options);
  } catch (err) {
    throw new DatabaseUnavailableError(key, options.url ?? 'embedded', err);
  }
};

const hostOf = (url: string): string => {
  const parsed = URL.parse(url);
  return parsed ? parsed.host : url.replace(/^[^@]*@/, '');
};

const sameDatabase = (config: Config) => config.db.policy_db.url === config.db.appmetrics_db.url;

const openDatabases = async (config: Config): Promise<{ appDb: Database; policyDb: Database }> => {
  const poolOf = (db: Config['db']['appmetrics_db']) => ({
    maxConnections: db.max_open_connections > 0 ? db.max_open_connections : 10,
    idleTimeoutSecs: db.connection_max_idletime > 0 ? db.connection_max_idletime / 1000 : undefined,
    maxLifetimeSecs: db.connection_max_lifetime > 0 ? db.connection_max_lifetime / 1000 : undefined,
  });
  // The service's own table is created when missing; tables that exist are never altered.
  const appDb = await open('db.appmetrics_db.url', {
    url: config.db.appmetrics_db.url || undefined,
    applySchema: true,
    ...poolOf(config.db.appmetrics_db),
  });
  if (sameDatabase(config)) return { appDb, policyDb: appDb };
  const policyDb = await open('db.policy_db.url', {
    url: config.db.policy_db.url || undefined,
    applySchema: true,
    ...poolOf(config.db.policy_db),
  });
  return { appDb, policyDb };
};

const createOwnership = async (
  options: StartServiceOptions,
  policyDb: Database,
  scheduler: SchedulerLike,
): Promise<Membership> => {
  const { config, logger } = options;
  if (config.membership.mode !== 'lease') {
    return createStaticMembership(config.pool.instance_index, config.pool.total_instances, { scheduler });
  }
  await applyMembershipSchema(policyDb.sql);
  return createMembership({
    store: createLeaseStore(policyDb.sql),
    memberId: options.memberId ?? randomUUID(),
    ttlMs: config.membership.lease_ttl,
    heartbeatMs: config.membership.heartbeat_interval,
    scheduler,
    logger,
    info: { instanceIndex: config.pool.instance_index },
  });
};

/** Runs `work` right after the event loop has handled pending I/O; returns a cancel. */
const afterIo = (work: () => void): (() => void) => {
  const immediate = setImmediate(work);
  return () => clearImmediate(immediate);
};

/**
 * The composition root: builds every adapter from the configuration, wires the pipelines, starts
 * the listeners and subscribes once. Nothing else in the service subscribes or has side effects.
 */
export const startService = async (options: StartServiceOptions): Promise<RunningService> => {
  const { config, logger } = options;
  const scheduler = options.scheduler ?? asyncScheduler;
  const now = () => nowNs(scheduler);
  const settings = settingsFromConfig(config);

  const { appDb, policyDb } = await openDatabases(config);
  const policyStore = createPolicyStore(policyDb.sql);
  const appMetricStore = createAppMetricStore(appDb.sql, { now });
  const cache = createMetricCache({ capacityPerApp: settings.metricCacheSizePerApp });
  const queryAppMetrics = createQueryAppMetrics({ cache, store: appMetricStore, now });
  const logCache = createLogCacheAdapter(config, { now, logger: logger.child({ component: 'logcache' }) });
  const scalingEngine = createScalingEngineClient({
    url: config.scalingEngine.scaling_engine_url,
    timeoutMs: config.http_client_timeout,
    tls: {
      certFile: config.scalingEngine.tls.cert_file,
      keyFile: config.scalingEngine.tls.key_file,
      caFile: config.scalingEngine.tls.ca_file,
    },
    logger: logger.child({ component: 'scalingengine' }),
  });
  const membership = await createOwnership(options, policyDb, scheduler);
  const policyChange$ = await policyChanges(config, policyDb, logger);
  // The journal is our own table in the policy database, created when missing like the leases.
  await applyJournalSchema(policyDb.sql);
  const journal = createDecisionJournalStore(policyDb.sql, { now });
  const watcher = createDecisionWatcher();
  const metrics = createMetricsRegistry();
  metrics.setPoolStats('appMetricDB', { maxOpenConnections: config.db.appmetrics_db.max_open_connections });
  metrics.setPoolStats('policyDB', { maxOpenConnections: config.db.policy_db.max_open_connections });

  const stop$ = new Subject<void>();
  const graph = serviceGraph(
    {
      scheduler,
      retrievePolicies: () => fromCall(() => policyStore.retrievePolicies()),
      policyChange$: policyChange$.pipe(takeUntil(stop$)),
      owns$: membership.view$.pipe(
        map((view) => (appId: string) => view.owns(appId)),
        takeUntil(stop$),
      ),
      readEnvelopes: logCache.readEnvelopes,
      streamEnvelopes: logCache.streamEnvelopes,
      queryPromQl: logCache.queryPromQl,
      saveMetrics: (batch) => fromCall(() => appMetricStore.saveBulk(batch)),
      queryAppMetrics,
      scale: scaleObservable(scalingEngine),
      cache,
      journal: {
        watcher,
        append: (batch) => fromCall(() => journal.append(batch)),
        prune: () =>
          fromCall(() => journal.prune(now() - msToNs(config.decisions.retention), config.decisions.max_rows_per_app)),
      },
      // Slices are measured in real time, so only a real-time scheduler gets them.
      monotonicMs: options.scheduler === undefined ? () => performance.now() : undefined,
      later: afterIo,
    },
    settings,
    stop$,
  );

  let latestView: MembershipView | undefined;
  const viewSubscription = membership.view$.subscribe((view) => {
    latestView = view;
  });
  const explain = createExplainer({
    lookupPolicy: createPolicyLookup(policyDb.sql),
    ownerOf: createOwnerLookup({
      view: () => latestView,
      directory: config.membership.mode === 'lease' ? createMemberDirectory(policyDb.sql) : undefined,
      totalInstances: config.pool.total_instances,
      cfAppGuid: options.cfAppGuid || undefined,
    }),
    watcher,
    journal,
    queryAppMetrics,
    now,
    defaultBreachDurationSecs: settings.defaultBreachDurationSecs,
    journalLookbackMs: config.decisions.retention,
    journalRowCap: config.decisions.max_rows_per_app,
  });
  const http = await startHttpServers(
    {
      server: config.server,
      cf_server: config.cf_server,
      health: config.health,
      cfMode: options.cfMode,
      host: options.host || undefined,
    },
    {
      queryAppMetrics,
      metrics,
      logger,
      scheduler,
      routes: explainRoutes({
        explain,
        decisions: (appId, start, end, order) => journal.read(appId, start, end, order),
        logger: logger.child({ component: 'explain' }),
      }),
    },
  );
  // decision$ is shared and kept hot by the event$ subscription below: WebSocket clients join it.
  const live = attachLiveStream({ http, config, decision$: graph.decision$, logger });

  const report = createEventReporter(logger, metrics);
  let subscription: Subscription | undefined;
  // App metrics produced but not (yet) written, rejected or dropped: what a cut-short shutdown loses.
  let unsaved = 0;
  const tally = (event: ServiceEvent) => {
    if (event.source === 'decision' && event.event.kind === 'metric') unsaved += 1;
    else if (event.source === 'persist') {
      const e = event.event;
      if (e.kind === 'saved' || e.kind === 'dropped') unsaved -= e.count;
      else if (e.kind === 'rejected') unsaved -= 1;
    }
  };
  const done = new Promise<void>((resolve) => {
    subscription = graph.event$.subscribe({
      next: (event) => {
        tally(event);
        try {
          report(event);
        } catch (err) {
          logger.error({ err }, 'reporting an event failed');
        }
      },
      error: (err: unknown) => {
        logger.fatal({ err }, 'the service pipeline stopped on an unexpected error');
        resolve();
      },
      complete: () => resolve(),
    });
  });
  const databases = appDb.embedded
    ? 'embedded'
    : [...new Set([databaseLabel(appDb.url), databaseLabel(policyDb.url)])].join(', ');
  const peers = {
    logCache: hostOf(config.metricCollector.metric_collector_url),
    scalingEngine: hostOf(config.scalingEngine.scaling_engine_url),
    databases,
  };
  const instance = options.instanceName ?? `${config.pool.instance_index}`;
  const sharing =
    config.membership.mode === 'lease'
      ? 'apps shared by leases in the policy database'
      : `static shard ${config.pool.instance_index} of ${config.pool.total_instances}`;
  logger.info(
    {
      ports: http.ports,
      instance,
      membership: config.membership.mode,
      ...peers,
      embeddedDatabase: appDb.embedded,
    },
    `eventgenerator started: instance ${instance}, ${sharing}; log-cache ${peers.logCache}, scaling engine ${peers.scalingEngine}, database ${databases}`,
  );

  let stopping: Promise<{ flushed: boolean; unsaved: number }> | undefined;
  const stop = (boundMs = 8_000) =>
    (stopping ??= (async () => {
      // Part of the bound is kept for the process itself to exit, even on a busy machine.
      const deadline = Date.now() + boundMs - Math.min(1_000, boundMs / 4);
      // What is left after the flush closes connections; a database that does not answer is abandoned.
      const closingMs = Math.min(1_500, boundMs / 4);
      logger.info({ boundMs }, 'stopping: no new polls; finishing calls under way and flushing app metrics');
      stop$.next();
      stop$.complete();
      const within = <T>(work: Promise<T>, ms: number, late: T): Promise<T> => {
        let timer: NodeJS.Timeout | undefined;
        return Promise.race([
          work,
          new Promise<T>((resolve) => (timer = setTimeout(() => resolve(late), Math.max(0, ms)))),
        ]).finally(() => clearTimeout(timer));
      };
      const flushed = await within(
        done.then(() => true),
        deadline - Date.now() - closingMs,
        false,
      );
      const lost = Math.max(0, unsaved);
      if (!flushed)
        logger.error(
          { unsaved: lost, boundMs },
          `${lost} app metric(s) could not be written before the shutdown bound of ${boundMs} ms`,
        );
      subscription?.unsubscribe();
      viewSubscription.unsubscribe();
      const closed = (async () => {
        await Promise.allSettled([membership.stop(), live.close(), http.close()]);
        await Promise.allSettled([logCache.close(), scalingEngine.close()]);
        await Promise.allSettled([appDb.close(), policyDb === appDb ? undefined : policyDb.close()]);
        return true;
      })();
      const tidy = await within(closed, deadline - Date.now() - 200, false);
      logger.info({ flushed, unsaved: lost, closed: tidy }, 'eventgenerator stopped');
      return { flushed, unsaved: lost };
    })());

  return { ports: http.ports, done, stop };
};
