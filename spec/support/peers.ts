import { startLogCacheServer } from '../../lib/tools/simulation/logcache-server.ts';
import type { LogCacheServer, LogCacheServerOptions } from '../../lib/tools/simulation/logcache-server.ts';
import { startScalingEngineServer } from '../../lib/tools/simulation/scaling-engine-server.ts';
import type {
  ScalingEngineServer,
  ScalingEngineServerOptions,
} from '../../lib/tools/simulation/scaling-engine-server.ts';
import { createScalingEngineModel } from '../../lib/tools/simulation/scaling-engine-model.ts';
import { startUaaServer } from '../../lib/tools/simulation/uaa-server.ts';
import type { UaaServer } from '../../lib/tools/simulation/uaa-server.ts';
import type { Envelope } from '../../lib/core/model/envelope.ts';
import { msToNs, NS_PER_SECOND } from '../../lib/core/time/ns.ts';

export interface Peers {
  readonly uaa: UaaServer;
  readonly logCache: LogCacheServer;
  readonly scalingEngine: ScalingEngineServer;
  readonly client: { readonly id: string; readonly secret: string };
  close(): Promise<void>;
}

/** Fake UAA, log-cache and scaling engine on 127.0.0.1, speaking the real wire formats. */
export const startPeers = async (
  options: { logCache?: Partial<LogCacheServerOptions>; scalingEngine?: Partial<ScalingEngineServerOptions> } = {},
): Promise<Peers> => {
  const client = { id: 'eventgenerator', secret: 'peer-secret' };
  const uaa = await startUaaServer({
    host: '127.0.0.1',
    clients: [{ id: client.id, secret: client.secret, grants: ['client_credentials'], scopes: ['logs.admin'] }],
  });
  const logCache = await startLogCacheServer({
    host: '127.0.0.1',
    requireToken: (a) => uaa.registry.check(a),
    ...options.logCache,
  });
  const model = createScalingEngineModel({ now: () => msToNs(Date.now()), limits: () => ({ min: 1, max: 5 }) });
  const scalingEngine = await startScalingEngineServer({ host: '127.0.0.1', model, ...options.scalingEngine });
  return {
    uaa,
    logCache,
    scalingEngine,
    client,
    async close() {
      await Promise.allSettled([uaa.close(), logCache.close(), scalingEngine.close()]);
    },
  };
};

/** Diego-style cpu gauges for `instances` instances, one per second over [from, to) seconds from now. */
export const cpuGauges = (
  appId: string,
  value: number,
  fromSecs: number,
  toSecs: number,
  instances = 2,
): Envelope[] => {
  const now = msToNs(Date.now());
  const out: Envelope[] = [];
  for (let s = fromSecs; s < toSecs; s++) {
    for (let i = 0; i < instances; i++) {
      out.push({
        timestamp: now + BigInt(s) * NS_PER_SECOND + BigInt(i),
        sourceId: appId,
        instanceId: String(i),
        tags: { origin: 'rep' },
        gauge: { cpu: { unit: 'percentage', value } },
      });
    }
  }
  return out;
};

/** As small as the embedded database suggests (one shared session); a real server does not mind. */
export const EMBEDDED_SIZED_POOL = 4;

/** A service config for tests: short intervals, every listener on an OS-assigned port. */
export const serviceConfigYaml = (options: {
  databaseUrl: string;
  peers: Peers;
  extra?: string;
  databasePool?: number;
}): string => `
db:
  policy_db: { url: "${options.databaseUrl}", max_open_connections: ${options.databasePool ?? 10} }
  appmetrics_db: { url: "${options.databaseUrl}", max_open_connections: ${options.databasePool ?? 10} }
pool: { total_instances: 1, instance_index: 0 }
server: { port: 0 }
cf_server: { port: 0 }
health: { server_config: { port: 0 } }
scalingEngine: { scaling_engine_url: "${options.peers.scalingEngine.url}" }
metricCollector:
  metric_collector_url: "${options.peers.logCache.url}"
  uaa: { url: "${options.peers.uaa.url}", client_id: "${options.peers.client.id}", client_secret: "${options.peers.client.secret}" }
aggregator: { aggregator_execute_interval: 1s, policy_poller_interval: 1s, save_interval: 1s }
evaluator: { evaluation_manager_execute_interval: 1s }
defaultStatWindowSecs: 60
defaultBreachDurationSecs: 60
http_client_timeout: 5s
${options.extra ?? ''}`;
