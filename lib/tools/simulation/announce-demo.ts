import type { Logger } from '../../adapters/log/logger.ts';
import type { DemoEnvironment } from './demo-environment.ts';

/**
 * Tells a person who just ran `npm start` what is running, what will happen and where to look,
 * before the first decision comes. Each line stands alone, so it reads in pretty and JSON logs.
 */
export const announceDemo = (
  logger: Logger,
  context: {
    readonly demo: DemoEnvironment;
    readonly ports: { readonly cf: number; readonly health: number };
    readonly sample: string;
    readonly env: Readonly<Record<string, string | undefined>>;
  },
): void => {
  const { demo, ports, sample } = context;
  const base = `http://127.0.0.1:${ports.cf}`;
  const appId = demo.expected?.appId ?? demo.appIds[0]!;
  const metricType = demo.expected?.rule.metricType ?? 'cpu';
  const urls = {
    history: `${base}/v1/apps/${appId}/aggregated_metric_histories/${metricType}`,
    explain: `${base}/v1/apps/${appId}/explain`,
    live: `ws://127.0.0.1:${ports.cf}/v1/decisions`,
    metrics: `http://127.0.0.1:${ports.health}/metrics`,
  };
  logger.info(
    { sample, apps: demo.appIds },
    `embedded defaults: an embedded PostgreSQL and simulated UAA, log-cache and scaling engine on 127.0.0.1 play the '${sample}' sample (${demo.appIds.length} app(s)) in real time`,
  );
  const expected = demo.expected;
  if (expected) {
    const { rule } = expected;
    logger.info(
      { appId: expected.appId },
      `what to expect: app ${expected.appId} has had ${rule.metricType} ${rule.operator} ${rule.threshold} for ${expected.breachDurationSecs} s in the history log-cache and app_metric already hold, so within about 15 s the log shows the rule breach and the scaling call ("scaling engine answered 200, instances ${rule.adjustment}"), then the app is held in cooldown`,
    );
  } else {
    logger.info(
      `what to expect: no breach of the '${sample}' sample's rules can be foreseen from its gauges (throughput and response time rules are judged live), so the sample plays from minute 13 and decisions come as it unfolds`,
    );
  }
  logger.info(urls, `where to look: history ${urls.history}`);
  logger.info(`where to look: why it decided ${urls.explain}`);
  const port = context.env['PORT'];
  logger.info(
    `where to look: live decisions ${urls.live}, or in another terminal: npm run tail${port && port !== '8080' ? ` -- --url ${urls.live}` : ''}`,
  );
  logger.info(`where to look: Prometheus metrics ${urls.metrics}; LOG_LEVEL=debug shows every rule evaluated`);
};
