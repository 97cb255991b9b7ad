import type { Logger } from '../adapters/log/logger.ts';
import { logDecision } from '../adapters/log/log-decision.ts';
import type { MetricsRegistry } from '../adapters/http/metrics-registry.ts';
import type { ServiceEvent } from '../../pipelines/graph/service-graph.ts';
import type { StreamConnectionEvent } from '../../pipelines/collect-metrics.ts';

/**
 * The one place where what the service did becomes log lines and Prometheus counters. Logging is a
 * side effect, so it happens here, at the edge, and not inside the pipelines.
 */
export const createEventReporter = (logger: Logger, metrics: MetricsRegistry) => {
  const policyLog = logger.child({ component: 'policies' });
  const collectLog = logger.child({ component: 'collector' });
  const persistLog = logger.child({ component: 'persistence' });
  const decisionLog = logger.child({ component: 'evaluator' });
  const journalLog = logger.child({ component: 'journal' });

  const reportStream = (event: StreamConnectionEvent): void => {
    const connection = event.connection;
    if (event.kind === 'opened')
      collectLog.debug(
        { connection, sourceIds: event.sourceIds },
        'log stream opened; backfilling its apps from log-cache',
      );
    else if (event.kind === 'ended')
      collectLog.info(
        { connection, reason: event.reason, retryInMs: event.retryInMs },
        `log stream ${connection} ended (${event.reason}); reopening in ${event.retryInMs} ms`,
      );
    else if (event.kind === 'failed')
      collectLog.error(
        { connection, error: event.error, attempt: event.attempt, retryInMs: event.retryInMs },
        `log stream ${connection} failed (${event.error}); its apps get no metrics until it reopens, retry ${event.attempt} in ${event.retryInMs} ms`,
      );
    else {
      metrics.envelopesRejected('malformed');
      collectLog.warn(
        { connection, reason: event.reason },
        `log stream data skipped (${event.reason}); the stream goes on`,
      );
    }
  };

  return (e: ServiceEvent): void => {
    switch (e.source) {
      case 'policies': {
        const event = e.event;
        if (event.kind === 'poll-failed') {
          policyLog.error(
            { error: event.error, attempt: event.attempt, retryInMs: event.retryInMs },
            `reading policy_json failed (${event.error}); the last good policy set stays in force`,
          );
          return;
        }
        metrics.setPoliciesLoaded(event.policies.size);
        for (const r of event.rejected) {
          metrics.policiesRejected('invalid');
          policyLog.error(
            { appId: r.appId, reason: r.reason },
            'policy skipped: it cannot be parsed; other apps are unaffected',
          );
        }
        for (const w of event.warnings)
          policyLog.warn({ appId: w.appId, warning: w.warning }, 'policy accepted with a warning');
        policyLog.debug({ owned: event.policies.size, total: event.total }, 'policies refreshed');
        return;
      }
      case 'collect': {
        const event = e.event;
        if (event.kind === 'failed') {
          metrics.logCacheRequest('failed');
          collectLog.warn(
            { appId: event.appId, metricType: event.metricType, error: event.error },
            `retrieveMetric Failed (${event.error}): no metric for this app this interval`,
          );
        } else if (event.kind === 'envelopes' || event.kind === 'backfill') {
          metrics.logCacheRequest('ok');
          metrics.envelopesParsed(event.envelopes.length);
          if (event.rejected > 0) metrics.envelopesRejected('malformed', event.rejected);
        } else if (event.kind === 'streamed') {
          metrics.envelopesParsed(event.envelopes.length);
          if (event.rejected > 0) metrics.envelopesRejected('malformed', event.rejected);
        } else if (event.kind === 'stream') reportStream(event.event);
        return;
      }
      case 'persist': {
        const event = e.event;
        if (event.kind === 'saved') metrics.appMetricsSaved(event.count);
        else if (event.kind === 'rejected') {
          metrics.appMetricsRejected(event.reason);
          persistLog.error(
            { appId: event.metric.appId, metricType: event.metric.name, reason: event.reason },
            'app metric cannot be stored; the rest of its batch was saved',
          );
        } else if (event.kind === 'retrying') {
          persistLog.warn(
            { attempt: event.attempt, delayMs: event.delayMs, pending: event.pending, error: event.error },
            `saving app metrics failed (${event.error}); the batch is kept and retried in ${event.delayMs} ms`,
          );
        } else {
          metrics.appMetricsDropped(event.reason, event.count);
          persistLog.error(
            { count: event.count, reason: event.reason },
            'app metrics dropped: the pending bound was reached',
          );
        }
        return;
      }
      case 'decision': {
        const d = e.event;
        if (d.kind === 'metric') metrics.appMetricsProduced();
        else if (d.kind === 'scaling-result') metrics.scalingCall(d.ok ? 'ok' : 'failed');
        else if (d.kind === 'breaker-open') metrics.scalingCall('breaker-open');
        else if (d.kind === 'cooldown-hold') metrics.scalingCall('cooldown');
        else if (d.kind === 'breaker-state') metrics.breakerStateChanged(d.state);
        if (d.kind !== 'metric') logDecision(decisionLog, d);
        return;
      }
      case 'journal': {
        const event = e.event;
        if (event.kind === 'written') metrics.journalRowsWritten(event.count);
        else if (event.kind === 'dropped') {
          metrics.journalRowsDropped(event.reason, event.count);
          if (event.reason === 'buffer-full' || event.reason === 'shutdown')
            journalLog.error(
              { count: event.count, reason: event.reason },
              'decision-journal rows dropped unwritten: the database stayed away',
            );
          else journalLog.debug({ count: event.count, reason: event.reason }, 'decision journal pruned');
        } else if (event.kind === 'retrying')
          journalLog.warn(
            { attempt: event.attempt, delayMs: event.delayMs, pending: event.pending, error: event.error },
            'writing the decision journal failed; the rows are kept and retried',
          );
        else journalLog.warn({ error: event.error }, 'pruning the decision journal failed; it is tried again later');
        return;
      }
    }
  };
};
