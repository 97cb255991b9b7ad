/**
 * The service entry point, for `cf push` and local use:
 *   node scripts/start.ts -c config.yml     the anchor's YAML/JSON config file (strict)
 *   node scripts/start.ts                   on CF: VCAP_SERVICES and friends; elsewhere, with no peers
 *                                           configured, the embedded defaults (simulated peers)
 * SIGTERM/SIGINT stop it gracefully: no new polls, calls under way finish, app metrics are flushed.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../lib/adapters/config/load-config.ts';
import { validateConfig } from '../lib/adapters/config/validate-config.ts';
import { isCloudFoundry } from '../lib/adapters/config/vcap.ts';
import { cfAppGuid } from '../lib/adapters/config/cf-app-guid.ts';
import { withOverrides } from '../lib/adapters/config/with-overrides.ts';
import type { Config } from '../lib/adapters/config/schema.ts';
import { createLogger } from '../lib/adapters/log/logger.ts';
import { startService } from '../lib/service/start-service.ts';
import { startDemoEnvironment } from '../lib/tools/simulation/demo-environment.ts';
import type { DemoEnvironment } from '../lib/tools/simulation/demo-environment.ts';
import { errorText } from '../lib/core/error-text.ts';

const { values } = parseArgs({
  options: {
    c: { type: 'string', short: 'c' },
    sample: { type: 'string', default: 'spike' },
    'shutdown-timeout': { type: 'string', default: '20' },
  },
});
const env = process.env;
const path = values.c ?? '';
const cfMode = isCloudFoundry(env);

let config: Config;
try {
  config = loadConfig({ path, env });
} catch (err) {
  console.log(`failed to read/validate config file '${path}' : ${errorText(err)}`);
  process.exit(1);
}

const embeddedDefaults =
  path === '' &&
  !cfMode &&
  config.metricCollector.metric_collector_url === '' &&
  config.scalingEngine.scaling_engine_url === '';
const bootLogger = createLogger({
  level: config.logging.level === 'info' || config.logging.level === 'debug' ? config.logging.level : 'info',
});
let demo: DemoEnvironment | undefined;
if (embeddedDefaults) {
  // The bundled sample, from two minutes before its load changes, with short intervals so that
  // decisions show within minutes.
  demo = await startDemoEnvironment({
    sampleDir: join(import.meta.dirname, '..', 'recordings', values.sample),
    startAtSecs: 13 * 60,
    logger: bootLogger,
  });
  const port = Number(env.PORT ?? 8080);
  config = withOverrides(config, {
    db: { policy_db: { url: demo.database.url }, appmetrics_db: { url: demo.database.url } },
    scalingEngine: { scaling_engine_url: demo.scalingEngineUrl },
    metricCollector: {
      metric_collector_url: demo.logCacheUrl,
      uaa: { url: demo.uaaUrl, client_id: demo.clientId, client_secret: demo.clientSecret },
    },
    pool: { total_instances: 1, instance_index: 0 },
    server: { port: 0 },
    cf_server: { port },
    health: { server_config: { port: port + 1 } },
    aggregator: { aggregator_execute_interval: 10_000, policy_poller_interval: 15_000, save_interval: 5_000 },
    evaluator: { evaluation_manager_execute_interval: 30_000 },
    defaultStatWindowSecs: 60,
    defaultBreachDurationSecs: 60,
  });
}

try {
  validateConfig(config);
} catch (err) {
  console.log(`failed to validate configuration : ${errorText(err)}`);
  await demo?.close();
  process.exit(1);
}

const logger = createLogger({ level: config.logging.level as 'debug' | 'info' | 'error' | 'fatal' });
let service;
try {
  service = await startService({
    config,
    logger,
    cfMode,
    memberId: env.CF_INSTANCE_GUID || undefined,
    host: env.APP_AUTOSCALER_TEST_RUN === 'true' ? '127.0.0.1' : undefined,
    cfAppGuid: cfMode ? cfAppGuid(env) : undefined,
  });
} catch (err) {
  logger.fatal({ err }, 'eventgenerator failed to start');
  await demo?.close();
  process.exit(1);
}
if (demo)
  logger.info(
    { api: `http://127.0.0.1:${service.ports.cf}/v1/apps/${demo.appIds[0]}/aggregated_metric_histories/cpu` },
    'embedded defaults: try the history API',
  );

const graceMs = Number(values['shutdown-timeout']) * 1000;
let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutdown requested');
  const { flushed } = await service.stop(graceMs);
  await demo?.close();
  process.exit(flushed ? 0 : 1);
};
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
await service.done;
if (!stopping) {
  logger.fatal('the service stopped unexpectedly');
  await service.stop(graceMs);
  await demo?.close();
  process.exit(1);
}
