/**
 * The service entry point, for `cf push` and local use. See USAGE.
 * SIGTERM/SIGINT stop it within `shutdown.timeout` (8 s): no new polls, calls under way finish,
 * app metrics are flushed as far as the bound allows, and it exits 0.
 */
import { join } from 'node:path';
import { loadConfigWithSources } from '../lib/adapters/config/load-config.ts';
import type { LoadedConfig } from '../lib/adapters/config/load-config.ts';
import { describeConfigError } from '../lib/adapters/config/describe-config-error.ts';
import { validateConfig } from '../lib/adapters/config/validate-config.ts';
import { isCloudFoundry } from '../lib/adapters/config/vcap.ts';
import { cfAppGuid } from '../lib/adapters/config/cf-app-guid.ts';
import { withOverrides } from '../lib/adapters/config/with-overrides.ts';
import type { Config } from '../lib/adapters/config/schema.ts';
import { errorTextWithCauses } from '../lib/core/error-text.ts';
import { createLogger, logFormatFor } from '../lib/adapters/log/logger.ts';
import type { LogFormat } from '../lib/adapters/log/logger.ts';
import { startService } from '../lib/service/start-service.ts';
import { startDemoEnvironment } from '../lib/tools/simulation/demo-environment.ts';
import type { DemoEnvironment } from '../lib/tools/simulation/demo-environment.ts';
import { parseCli } from '../lib/tools/cli/parse-cli.ts';
import { announceDemo } from '../lib/tools/simulation/announce-demo.ts';

const USAGE = `Usage: node scripts/start.ts [-c <config.yml|config.json>] [--sample <name>]

Starts the eventgenerator.
  -c <file>          the configuration file, YAML or JSON (docs/configuration.md); unknown keys fail
  --sample <name>    with no configuration: the bundled recording the simulated log-cache serves
                     (spike, slow-ramp, flapping, quiet, custom-metrics, http-throughput; default spike)
  -h, --help         this text

Without -c, off Cloud Foundry and with no peers configured, it runs on embedded defaults: an
embedded PostgreSQL and simulated UAA, log-cache and scaling engine on 127.0.0.1.
On Cloud Foundry the configuration comes from VCAP_SERVICES (docs/deploying-on-cloud-foundry.md).
Environment: DATABASE_URL (both databases), LOG_LEVEL, LOG_FORMAT=pretty|json, PORT.
`;

const { values } = parseCli({
  name: 'start',
  usage: USAGE,
  options: {
    c: { type: 'string', short: 'c' },
    sample: { type: 'string', default: 'spike' },
  },
});
const env = process.env;
const path = values.c ?? '';
const cfMode = isCloudFoundry(env);
const fail = (line: string): never => {
  process.stderr.write(`${line}\n`);
  return process.exit(1);
};

let format: LogFormat = 'json';
try {
  format = logFormatFor(env, process.stdout);
} catch (err) {
  fail((err as Error).message);
}

let loaded: LoadedConfig;
try {
  loaded = loadConfigWithSources({ path, env });
} catch (err) {
  fail(describeConfigError(err, { path }));
}
let config: Config = loaded!.config;

const embeddedDefaults =
  path === '' &&
  !cfMode &&
  config.metricCollector.metric_collector_url === '' &&
  config.scalingEngine.scaling_engine_url === '';
const levelOf = (c: Config) => c.logging.level as 'debug' | 'info' | 'error' | 'fatal';
const bootLogger = createLogger({
  level: ['debug', 'info', 'error', 'fatal'].includes(config.logging.level) ? levelOf(config) : 'info',
  format,
});

// Short intervals, so that decisions show within seconds rather than minutes.
const DEMO = {
  aggregatorMs: 5_000,
  statWindowSecs: 60,
  breachDurationSecs: 60,
} as const;
let demo: DemoEnvironment | undefined;
if (embeddedDefaults) {
  try {
    demo = await startDemoEnvironment({
      sampleDir: join(import.meta.dirname, '..', 'recordings', values.sample),
      settings: {
        statWindowSecs: DEMO.statWindowSecs,
        intervalMs: DEMO.aggregatorMs,
        defaultBreachDurationSecs: DEMO.breachDurationSecs,
      },
      fallbackStartSecs: 13 * 60,
      logger: bootLogger,
    });
  } catch (err) {
    fail(`cannot start the embedded defaults with sample '${values.sample}': ${errorTextWithCauses(err)}`);
  }
  const port = Number(env.PORT ?? 8080);
  config = withOverrides(config, {
    db: { policy_db: { url: demo!.database.url }, appmetrics_db: { url: demo!.database.url } },
    scalingEngine: { scaling_engine_url: demo!.scalingEngineUrl },
    metricCollector: {
      metric_collector_url: demo!.logCacheUrl,
      uaa: { url: demo!.uaaUrl, client_id: demo!.clientId, client_secret: demo!.clientSecret },
    },
    pool: { total_instances: 1, instance_index: 0 },
    server: { port: 0 },
    cf_server: { port },
    health: { server_config: { port: port === 0 ? 0 : port + 1 } },
    aggregator: {
      aggregator_execute_interval: DEMO.aggregatorMs,
      policy_poller_interval: 15_000,
      save_interval: 5_000,
    },
    evaluator: { evaluation_manager_execute_interval: 30_000 },
    defaultStatWindowSecs: DEMO.statWindowSecs,
    defaultBreachDurationSecs: DEMO.breachDurationSecs,
  });
}

try {
  validateConfig(config);
} catch (err) {
  await demo?.close();
  fail(describeConfigError(err, { path, sourceOf: loaded!.sourceOf }));
}

const logger = createLogger({ level: levelOf(config), format });
if (config.membership.mode === 'lease') {
  const unused = (['pool.total_instances', 'pool.instance_index'] as const).filter(
    (key) => !['the default', 'environment variable CF_INSTANCE_INDEX'].includes(loaded!.sourceOf(key)),
  );
  for (const key of unused)
    logger.info(
      `${key} (from ${loaded!.sourceOf(key)}) is not used: membership.mode is lease, apps are shared by leases`,
    );
}

let service: Awaited<ReturnType<typeof startService>>;
try {
  service = await startService({
    config,
    logger,
    cfMode,
    memberId: env.CF_INSTANCE_GUID || undefined,
    host: env.APP_AUTOSCALER_TEST_RUN === 'true' ? '127.0.0.1' : undefined,
    cfAppGuid: cfMode ? cfAppGuid(env) : undefined,
    instanceName: env.CF_INSTANCE_GUID
      ? `${config.pool.instance_index} (${env.CF_INSTANCE_GUID})`
      : `${config.pool.instance_index}`,
  });
} catch (err) {
  // An unreachable database is news, not a bug: the reason without a stack trace.
  logger.fatal(`eventgenerator failed to start: ${errorTextWithCauses(err)}`);
  logger.debug({ err }, 'start-up failure');
  await demo?.close();
  process.exit(1);
}
if (demo) announceDemo(logger, { demo, ports: service.ports, sample: values.sample, env });

const boundMs = config.shutdown.timeout;
// service.stop keeps the last quarter second to a second of the bound for the exit itself.
const reserveMs = Math.min(1_000, boundMs / 4);
let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, `shutdown requested; exiting within ${boundMs} ms`);
  // A last resort should closing hang somewhere unforeseen: the bound is what the platform relies on.
  setTimeout(() => process.exit(0), boundMs - reserveMs / 2).unref();
  await service.stop(boundMs);
  await Promise.race([demo?.close(), new Promise((resolve) => setTimeout(resolve, reserveMs / 4).unref())]);
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
await service.done;
if (!stopping) {
  logger.fatal('the service stopped unexpectedly');
  await service.stop(boundMs);
  await demo?.close();
  process.exit(1);
}
