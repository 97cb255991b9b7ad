import type { IncomingMessage } from 'node:http';
import { defaultIfEmpty, defer, take } from 'rxjs';
import type { Logger } from '../log/logger.ts';
import type { AppMetric } from '../../core/model/app-metric.ts';
import type { QueryAppMetrics } from '../../core/model/ports.ts';
import { stringify } from '../../core/json/bigint-json.ts';
import { parseHistoryQuery } from './history-query.ts';
import { sendEmpty, sendJson, sendJsonError, sendUnauthorized } from './responses.ts';
import { createRouter, splitTarget } from './router.ts';
import type { Mount, RequestHandler, Route, RouteHandler } from './router.ts';

export type AuthResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export interface ApiRouterDeps {
  readonly queryAppMetrics: QueryAppMetrics;
  readonly logger: Logger;
  /** Runs on every matched /v1 route before its handler (XFCC on the CF server); unmatched paths get 404 without it. */
  readonly authenticate?: (req: IncomingMessage) => AuthResult;
  /** Counts in-flight /v1 requests; the returned function ends the request. */
  readonly trackRequest?: () => () => void;
  /** Extra prefix handlers, e.g. `/health` on the CF server. */
  readonly mounts?: readonly Mount[];
  /** Further /v1 routes (explain, decisions), guarded like the others. */
  readonly routes?: readonly Route[];
}

// The wire shape of one history item (docs/anchor-compatibility.md#history-api): timestamp is a
// bare int64.
const toWire = (m: AppMetric) => ({
  app_id: m.appId,
  name: m.name,
  value: m.value,
  unit: m.unit,
  timestamp: m.timestamp,
});

const INTERNAL_ERROR = 'Error getting aggregated metric histories';

const histories =
  (deps: ApiRouterDeps): RouteHandler =>
  (req, res, params) => {
    const appId = params['appid'] ?? '';
    const metricType = params['metrictype'] ?? '';
    const query = parseHistoryQuery(splitTarget(req.url).query);
    if (!query.ok) {
      sendJsonError(res, 400, 'Bad-Request', query.message);
      return;
    }
    const fail = (err: unknown) => {
      deps.logger.error({ err, appId, metricType }, 'failed to retrieve aggregated metric histories');
      if (!res.headersSent) sendJsonError(res, 500, 'Internal-Server-Error', INTERNAL_ERROR);
    };
    const subscription = defer(() => deps.queryAppMetrics(appId, metricType, query.start, query.end, query.order))
      .pipe(take(1), defaultIfEmpty([] as AppMetric[]))
      .subscribe({
        next: (metrics) => {
          try {
            sendJson(res, 200, stringify(metrics.map(toWire)));
          } catch (err) {
            fail(err);
          }
        },
        error: fail,
      });
    // A client that goes away cancels the read.
    res.once('close', () => subscription.unsubscribe());
  };

const liveness: RouteHandler = (_req, res) => sendEmpty(res, 200);

const guarded =
  (deps: ApiRouterDeps, handle: RouteHandler): RouteHandler =>
  (req, res, params) => {
    const done = deps.trackRequest?.();
    if (done) res.once('close', done);
    if (deps.authenticate) {
      const auth = deps.authenticate(req);
      if (!auth.ok) {
        deps.logger.info({ reason: auth.reason, path: splitTarget(req.url).path }, `request rejected: ${auth.reason}`);
        sendUnauthorized(res);
        return;
      }
    }
    handle(req, res, params);
  };

/**
 * The EG's own API (docs/anchor-compatibility.md#history-api):
 * `GET /v1/apps/{appid}/aggregated_metric_histories/{metrictype}` answered from `queryAppMetrics`
 * as a JSON array, and `GET /v1/liveness`.
 * @param deps.queryAppMetrics the shared cache-else-database reader; its first emission is the answer
 * @param deps.authenticate optional per-request check (XFCC on the CF server)
 */
export const createApiRouter = (deps: ApiRouterDeps): RequestHandler => {
  const routes: Route[] = [
    {
      method: 'GET',
      pattern: '/v1/apps/{appid}/aggregated_metric_histories/{metrictype}',
      handle: guarded(deps, histories(deps)),
    },
    { method: 'GET', pattern: '/v1/liveness', handle: guarded(deps, liveness) },
    ...(deps.routes ?? []).map((route) => ({ ...route, handle: guarded(deps, route.handle) })),
  ];
  return createRouter({ routes, mounts: deps.mounts });
};
