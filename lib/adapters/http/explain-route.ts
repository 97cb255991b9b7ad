import type { ServerResponse } from 'node:http';
import type { Logger } from '../log/logger.ts';
import { stringify } from '../../core/json/bigint-json.ts';
import type { SortOrder } from '../../core/model/app-metric.ts';
import type { JournalDetail, JournalEntry } from '../../core/model/decision-journal.ts';
import type { Explanation } from '../../core/explain/explain-app.ts';
import { parseHistoryQuery } from './history-query.ts';
import { sendJson, sendJsonError } from './responses.ts';
import { splitTarget } from './router.ts';
import type { Route, RouteHandler } from './router.ts';

export interface ExplainRouteDeps {
  readonly explain: (
    appId: string,
  ) => Promise<
    { readonly ok: true; readonly explanation: Explanation } | { readonly ok: false; readonly reason: string }
  >;
  readonly decisions: (appId: string, start: bigint, end: bigint, order: SortOrder) => Promise<readonly JournalEntry[]>;
  readonly logger: Logger;
}

const snake = (key: string): string => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const wireDetail = (detail: JournalDetail): Record<string, unknown> =>
  Object.fromEntries(Object.entries(detail).map(([k, v]) => [snake(k), v]));

/** The wire shape of one journal entry; `timestamp` is a bare int64 (ns), as in the history API. */
export const journalEntryToWire = (e: JournalEntry) => ({
  app_id: e.appId,
  timestamp: e.at,
  event: e.event,
  rule_index: e.ruleIndex ?? null,
  metric_type: e.metricType ?? null,
  values: e.values,
  reason: e.reason,
  detail: wireDetail(e.detail),
});

const failWith =
  (res: ServerResponse, logger: Logger, message: string, context: Record<string, unknown>) => (err: unknown) => {
    logger.error({ err, ...context }, message);
    if (!res.headersSent) sendJsonError(res, 500, 'Internal-Server-Error', message);
  };

const explainHandler =
  (deps: ExplainRouteDeps): RouteHandler =>
  (_req, res, params) => {
    const appId = params['appid'] ?? '';
    const fail = failWith(res, deps.logger, 'Error explaining the scaling decisions', { appId });
    deps.explain(appId).then((result) => {
      if (!result.ok) sendJsonError(res, 404, 'Not-Found', result.reason);
      else sendJson(res, 200, stringify(result.explanation));
    }, fail);
  };

const decisionsHandler =
  (deps: ExplainRouteDeps): RouteHandler =>
  (req, res, params) => {
    const appId = params['appid'] ?? '';
    // The same parameters, checks and error bodies as the aggregated-metric-history route.
    const query = parseHistoryQuery(splitTarget(req.url).query);
    if (!query.ok) {
      sendJsonError(res, 400, 'Bad-Request', query.message);
      return;
    }
    const fail = failWith(res, deps.logger, 'Error getting decisions', { appId });
    deps.decisions(appId, query.start, query.end, query.order).then((entries) => {
      sendJson(res, 200, stringify(entries.map(journalEntryToWire)));
    }, fail);
  };

/**
 * `GET /v1/apps/{appid}/explain`: why the app scales or does not (404 when it has no usable policy);
 * `GET /v1/apps/{appid}/decisions?start&end&order`: its journal, from any instance.
 */
export const explainRoutes = (deps: ExplainRouteDeps): Route[] => [
  { method: 'GET', pattern: '/v1/apps/{appid}/explain', handle: explainHandler(deps) },
  { method: 'GET', pattern: '/v1/apps/{appid}/decisions', handle: decisionsHandler(deps) },
];
