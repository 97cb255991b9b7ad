import type { Config } from '../adapters/config/schema.ts';
import type { Logger } from '../adapters/log/logger.ts';
import { createLogCacheClient } from '../adapters/logcache/logcache-client.ts';
import { createMetricSources } from '../adapters/logcache/metric-sources.ts';
import { createRlpStreamClient } from '../adapters/logcache/rlp-stream-client.ts';
import { createTlsFetch } from '../adapters/tls/tls-fetch.ts';
import { createClientCredentialsProvider } from '../adapters/uaa/client-credentials-provider.ts';
import { createPasswordGrantProvider } from '../adapters/uaa/password-grant-provider.ts';
import type { TokenProvider } from '../adapters/uaa/token-provider.ts';

/** Per-request bound for log-cache and UAA calls (the anchor's clients use 5 s and 10 s). */
const LOGCACHE_TIMEOUT_MS = 10_000;
/** A stream silent this long is broken: the RLP gateway sends a heartbeat every 15 s when it has no data. */
const STREAM_IDLE_MS = 60_000;

/**
 * The log-cache client as the configuration asks for it
 * (docs/anchor-compatibility.md#log-cache-auth): UAA password or client-credentials grant when
 * `metricCollector.uaa.url` is set (one HTTP client for UAA and log-cache, so skip_ssl_validation
 * covers both), otherwise mTLS with `metricCollector.tls`. With `logcache.collection: streaming`,
 * also the RLP gateway stream at `metricCollector.log_stream_url`, with the same token and HTTP client.
 */
export const createLogCacheAdapter = (
  config: Config,
  deps: { readonly now: () => bigint; readonly logger: Logger },
) => {
  const collector = config.metricCollector;
  const uaa = collector.uaa;
  const timeoutMs = Math.min(LOGCACHE_TIMEOUT_MS, config.http_client_timeout);
  const skipSsl = uaa.url !== '' && uaa.skip_ssl_validation ? createTlsFetch({ skipSslValidation: true }) : undefined;
  let auth: TokenProvider | undefined;
  if (uaa.url !== '' && uaa.grant_type === 'password') {
    auth = createPasswordGrantProvider({
      url: uaa.url,
      clientId: uaa.client_id,
      clientSecret: uaa.client_secret,
      username: uaa.username,
      password: uaa.password,
      now: deps.now,
      logger: deps.logger,
      fetch: skipSsl?.fetch,
    });
  } else if (uaa.url !== '') {
    auth = createClientCredentialsProvider({
      url: uaa.url,
      clientId: uaa.client_id,
      clientSecret: uaa.client_secret,
      now: deps.now,
      logger: deps.logger,
      fetch: skipSsl?.fetch,
    });
  }
  const tls =
    uaa.url === ''
      ? { certFile: collector.tls.cert_file, keyFile: collector.tls.key_file, caFile: collector.tls.ca_file }
      : undefined;
  const client = createLogCacheClient({
    url: collector.metric_collector_url,
    auth,
    timeoutMs,
    retry: { limit: 2, initialMs: 250, maxMs: 2_000 },
    concurrency: config.logcache.request_concurrency,
    fetch: skipSsl?.fetch,
    tls: tls?.certFile || tls?.caFile ? tls : undefined,
    logger: deps.logger,
  });
  const sources = createMetricSources(client, {
    promQlWindowSecs: config.aggregator.aggregator_execute_interval / 1000,
    readLimit: config.aggregator.envelope_read_limit,
  });
  const stream =
    config.logcache.collection === 'streaming'
      ? createRlpStreamClient({
          url: collector.log_stream_url,
          auth,
          fetch: skipSsl?.fetch,
          connectTimeoutMs: timeoutMs,
          idleTimeoutMs: STREAM_IDLE_MS,
        })
      : undefined;
  return {
    ...sources,
    streamEnvelopes: stream?.stream,
    async close() {
      await client.close();
      await skipSsl?.close();
    },
  };
};
