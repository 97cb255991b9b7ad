import type { SchedulerLike } from 'rxjs';
import type { Logger } from '../log/logger.ts';
import { createBasicAuth } from './basic-auth.ts';
import type { BasicAuthConfig } from './basic-auth.ts';
import type { MetricsRegistry } from './metrics-registry.ts';
import { sendBody, sendJson, sendTextError, sendUnauthorized } from './responses.ts';
import { splitTarget } from './router.ts';
import type { RequestHandler } from './router.ts';

/** One readiness check; the EG registers none by default, so readiness is always UP. */
export interface ReadinessCheck {
  readonly name: string;
  readonly type: string;
  readonly check: () => boolean;
}

export interface HealthRouterOptions {
  readonly basicAuth: BasicAuthConfig;
  readonly readinessEnabled: boolean;
}

export interface HealthRouterDeps {
  readonly metrics: Pick<MetricsRegistry, 'render' | 'contentType'>;
  readonly scheduler: SchedulerLike;
  readonly logger: Logger;
  readonly readinessChecks?: readonly ReadinessCheck[] | undefined;
}

const READINESS_PATH = '/health/readiness';
/** The platform's HTTP health check sends no credentials, so liveness answers without them. */
const LIVENESS_PATH = '/health/liveness';
const READINESS_CACHE_MS = 30_000;

/**
 * The health router (docs/anchor-compatibility.md#health): `/health/readiness` (when enabled, never
 * behind auth, cached 30 s on the injected clock) and Prometheus text on every other path, behind
 * basic auth when any credential is configured. There is no pprof: `/debug/pprof` is just another
 * metrics path.
 */
export const createHealthRouter = (options: HealthRouterOptions, deps: HealthRouterDeps): RequestHandler => {
  const auth = createBasicAuth(options.basicAuth);
  let cached: { readonly at: number; readonly status: number; readonly body: string } | undefined;

  const readiness = () => {
    const now = deps.scheduler.now();
    if (cached && now - cached.at < READINESS_CACHE_MS) return cached;
    const checks = (deps.readinessChecks ?? []).map((c) => ({
      name: c.name,
      type: c.type,
      status: safeCheck(c) ? 'UP' : 'DOWN',
    }));
    const up = checks.every((c) => c.status === 'UP');
    cached = { at: now, status: up ? 200 : 503, body: JSON.stringify({ overall_status: up ? 'UP' : 'DOWN', checks }) };
    return cached;
  };

  const metrics = (res: Parameters<RequestHandler>[1]) => {
    deps.metrics.render().then(
      (text) => sendBody(res, 200, deps.metrics.contentType, text),
      (err: unknown) => {
        deps.logger.error({ err }, 'failed to render metrics');
        if (!res.headersSent) sendTextError(res, 500, 'failed to render metrics');
      },
    );
  };

  return (req, res) => {
    if (splitTarget(req.url).path === LIVENESS_PATH && req.method === 'GET') {
      sendBody(res, 200, 'application/json', '{"status":"UP"}');
      return;
    }
    if (options.readinessEnabled && splitTarget(req.url).path === READINESS_PATH) {
      const { status, body } = readiness();
      sendJson(res, status, body);
      return;
    }
    if (!auth.enabled) {
      metrics(res);
      return;
    }
    auth.check(req.headers).then(
      (ok) => {
        if (ok) metrics(res);
        else sendUnauthorized(res);
      },
      () => sendUnauthorized(res),
    );
  };
};

const safeCheck = (check: ReadinessCheck): boolean => {
  try {
    return check.check();
  } catch {
    return false;
  }
};
