import { randomUUID } from 'node:crypto';
import { asyncScheduler, Subject, map, takeUntil } from 'rxjs';
import type { SchedulerLike, Subscription } from 'rxjs';
import type { Config } from '../adapters/config/schema.ts';
import { connectDatabase } from '../adapters/db/connect.ts';
import type { Database } from '../adapters/db/connect.ts';
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
}

export interface RunningService {
  readonly ports: HttpServers['ports'];
  /** Resolves when the service has stopped by itself (a fatal stream error) or after stop(). */
  readonly done: Promise<void>;
  /** Graceful shutdown: stop polling, finish calls under way, flush every app metric, close. */
  stop(graceMs?: number): Promise<{ readonly flushed: boolean }>;
}

const sameDatabase = (config: Config) => config.db.policy_db.url === config.db.appmetrics_db.url;

const openDatabases = async (config: Config): Promise<{ appDb: Database; policyDb: Database }> => {
  const poolOf = (db: Config['db']['appmetrics_db']) => ({
    maxConnections: db.max_open_connections > 0 ? db.max_open_connections : 10,
    idleTimeoutSecs: db.connection_max_idletime > 0 ? db.connection_max_idletime / 1000 : undefined,
    maxLifetimeSecs: db.connection_max_lifetime > 0 ? db.connection_max_lifetime / 1000 : undefined,
  });
  // The service's own table is created when missing; tables that exist are never altered.
  const appDb = await connectDatabase({
    url: config.db.appmetrics_db.url || undefined,
    applySchema: true,
    ...poolOf(config.db.appmetrics_db),
  });
  if (sameDatabase(config)) return { appDb, policyDb: appDb };
  const policyDb = await connectDatabase({
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
  const done = new Promise<void>((resolve) => {
    subscription = graph.event$.subscribe({
      next: (event) => {
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
  logger.info(
    { ports: http.ports, membership: config.membership.mode, embeddedDatabase: appDb.embedded },
    'eventgenerator started',
  );

  let stopping: Promise<{ flushed: boolean }> | undefined;
  const stop = (graceMs = 20_000) =>
    (stopping ??= (async () => {
      logger.info('stopping: no new polls; finishing calls under way and flushing app metrics');
      stop$.next();
      stop$.complete();
      let timer: NodeJS.Timeout | undefined;
      const flushed = await Promise.race([
        done.then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
      ]);
      clearTimeout(timer);
      if (!flushed) logger.error({ graceMs }, 'shutdown bound reached before every app metric was written');
      subscription?.unsubscribe();
      viewSubscription.unsubscribe();
      await Promise.allSettled([membership.stop(), live.close(), http.close()]);
      await Promise.allSettled([logCache.close(), scalingEngine.close()]);
      await appDb.close();
      if (policyDb !== appDb) await policyDb.close();
      logger.info({ flushed }, 'eventgenerator stopped');
      return { flushed };
    })());

  return { ports: http.ports, done, stop };
};
