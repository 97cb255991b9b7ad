import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connectDatabase } from '../../adapters/db/connect.ts';
import type { Database } from '../../adapters/db/connect.ts';
import { parseEnvelope } from '../../core/envelope/parse-envelope.ts';
import type { Logger } from '../../adapters/log/logger.ts';
import type { Envelope } from '../../core/model/envelope.ts';
import { readRecording } from '../recording/read-recording.ts';
import { msToNs, NS_PER_SECOND } from '../../core/time/ns.ts';
import { parsePolicy } from '../../core/policy/parse-policy.ts';
import type { ScalingRule } from '../../core/model/policy.ts';
import { createAppMetricStore } from '../../adapters/stores/app-metric-store.ts';
import { demoHistory } from './demo-history.ts';
import type { HistorySettings } from './demo-history.ts';
import { createEnvelopeStore } from './logcache-store.ts';
import { startLogCacheServer } from './logcache-server.ts';
import { createScalingEngineModel } from './scaling-engine-model.ts';
import { startScalingEngineServer } from './scaling-engine-server.ts';
import { startUaaServer } from './uaa-server.ts';

export interface DemoEnvironment {
  readonly database: Database;
  readonly logCacheUrl: string;
  readonly uaaUrl: string;
  readonly scalingEngineUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly appIds: readonly string[];
  /** What the demo expects to happen first, for the announcement; undefined when the sample never breaches. */
  readonly expected: ExpectedDecision | undefined;
  close(): Promise<void>;
}

export interface ExpectedDecision {
  readonly appId: string;
  readonly rule: ScalingRule;
  /** The rule's breach duration with the default applied. */
  readonly breachDurationSecs: number;
}

export interface DemoOptions {
  /** A sample folder with `recording.ndjson.gz` and `policy.json`. */
  readonly sampleDir: string;
  /** The service's aggregation settings, with which the history before "now" is made. */
  readonly settings: HistorySettings;
  /** Seconds into the recording that are "now" when the sample never breaches. */
  readonly fallbackStartSecs: number;
  readonly logger: Logger;
}

const CLIENT = { id: 'eventgenerator', secret: 'simulated-secret' } as const;

const loadEnvelopes = async (path: string, logger: Logger): Promise<Envelope[]> => {
  const envelopes: Envelope[] = [];
  for await (const entry of readRecording(path, { parseEnvelope })) {
    if (entry.ok) envelopes.push(entry.envelope);
    else logger.warn({ line: entry.line, reason: entry.reason }, 'recording line skipped');
  }
  if (envelopes.length === 0) throw new Error(`the recording ${path} holds no envelopes`);
  return envelopes;
};

const shifted = (e: Envelope, by: bigint): Envelope => ({
  ...e,
  timestamp: e.timestamp + by,
  ...(e.timer ? { timer: { ...e.timer, start: e.timer.start + by, stop: e.timer.stop + by } } : {}),
});

/**
 * Everything `npm start` needs without configuration: an embedded database seeded with the
 * sample's policy, and simulated UAA, log-cache and scaling engine on loopback. The log-cache serves
 * the bundled recording moved to the present, so the service sees the load unfold in real time.
 *
 * "Now" is placed where the recording's first breach completes: log-cache already holds what came
 * before (as a real one holds its history), and app_metric holds the app metrics an eventgenerator
 * would have written for it, so the first scaling decision comes at the service's first evaluation
 * instead of a whole breach window after start.
 */
export const startDemoEnvironment = async (options: DemoOptions): Promise<DemoEnvironment> => {
  const { logger } = options;
  const envelopes = await loadEnvelopes(join(options.sampleDir, 'recording.ndjson.gz'), logger);
  const policyText = await readFile(join(options.sampleDir, 'policy.json'), 'utf8');
  const policy = JSON.parse(policyText) as { instance_min_count?: number; instance_max_count?: number };
  const rulesOf = (appId: string) => {
    const parsed = parsePolicy(appId, policyText);
    return parsed.ok ? parsed.policy.rules : [];
  };
  const history = demoHistory(envelopes, rulesOf, options.settings);
  // biome-ignore lint/complexity/useMathMinMax: bigint nanoseconds; Math.min takes numbers only
  const first = envelopes.reduce((min, e) => (e.timestamp < min ? e.timestamp : min), envelopes[0]!.timestamp);
  const startNs = history.firstBreach?.atNs ?? first + BigInt(options.fallbackStartSecs) * NS_PER_SECOND;
  const shift = msToNs(Date.now()) - startNs;
  const store = createEnvelopeStore({ maxPerSource: 1_000_000 });
  store.add(...envelopes.map((e) => shifted(e, shift)));
  const appIds = [...new Set(envelopes.map((e) => e.sourceId))];

  const database = await connectDatabase();
  for (const appId of appIds) {
    await database.sql`INSERT INTO policy_json (app_id, policy_json, guid) VALUES (${appId}, CAST(${policyText}::text AS json), ${`${appId}-policy`})
                       ON CONFLICT (app_id) DO UPDATE SET policy_json = EXCLUDED.policy_json`;
  }
  const past = history.metrics
    .filter((m) => m.timestamp <= startNs)
    .map((m) => ({ ...m, timestamp: m.timestamp + shift }));
  if (past.length > 0) await createAppMetricStore(database.sql, { now: () => msToNs(Date.now()) }).saveBulk(past);
  const uaa = await startUaaServer({
    host: '127.0.0.1',
    clients: [{ id: CLIENT.id, secret: CLIENT.secret, grants: ['client_credentials'], scopes: ['logs.admin'] }],
  });
  const logCache = await startLogCacheServer({
    host: '127.0.0.1',
    envelopes: store,
    requireToken: (auth) => uaa.registry.check(auth),
  });
  const model = createScalingEngineModel({
    now: () => msToNs(Date.now()),
    limits: (appId) =>
      appIds.includes(appId)
        ? { min: policy.instance_min_count ?? 1, max: policy.instance_max_count ?? 10 }
        : undefined,
  });
  const scalingEngine = await startScalingEngineServer({ host: '127.0.0.1', model });
  logger.debug(
    { sample: options.sampleDir, apps: appIds, logCache: logCache.url, uaa: uaa.url, scalingEngine: scalingEngine.url },
    'simulated peers started on embedded defaults',
  );

  return {
    database,
    logCacheUrl: logCache.url,
    uaaUrl: uaa.url,
    scalingEngineUrl: scalingEngine.url,
    clientId: CLIENT.id,
    clientSecret: CLIENT.secret,
    appIds,
    expected: history.firstBreach && {
      appId: history.firstBreach.appId,
      rule: history.firstBreach.rule,
      breachDurationSecs:
        history.firstBreach.rule.breachDurationSecs > 0
          ? history.firstBreach.rule.breachDurationSecs
          : options.settings.defaultBreachDurationSecs,
    },
    async close() {
      await Promise.allSettled([logCache.close(), uaa.close(), scalingEngine.close()]);
      await database.close();
    },
  };
};
