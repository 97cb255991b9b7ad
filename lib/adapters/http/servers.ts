import type { IncomingMessage, Server } from 'node:http';
import { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { SchedulerLike } from 'rxjs';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../log/logger.ts';
import type { QueryAppMetrics } from '../../core/model/ports.ts';
import { createApiRouter } from './api-router.ts';
import { createHealthRouter } from './health-router.ts';
import type { ReadinessCheck } from './health-router.ts';
import type { MetricsRegistry } from './metrics-registry.ts';
import { closeServer, listen, makeServer } from './listener.ts';
import { createRouter } from './router.ts';
import type { Route } from './router.ts';
import { authenticateXfcc } from './xfcc.ts';

export interface HttpServersOptions {
  readonly server: Config['server'];
  readonly cf_server: Config['cf_server'];
  readonly health: Config['health'];
  /** Running on Cloud Foundry (VCAP_APPLICATION set): XFCC is then always enforced. */
  readonly cfMode: boolean;
  /** Bind address; default 0.0.0.0. */
  readonly host?: string | undefined;
  /** `server.port: 0` skips the internal server (as on CF); tests ask for an ephemeral port instead. */
  readonly internalPortZero?: 'skip' | 'ephemeral';
  /** How long close() lets in-flight requests finish before cutting connections (default 10 s). */
  readonly shutdownGraceMs?: number;
}

export interface HttpServersDeps {
  readonly queryAppMetrics: QueryAppMetrics;
  readonly metrics: MetricsRegistry;
  readonly logger: Logger;
  readonly scheduler: SchedulerLike;
  readonly readinessChecks?: readonly ReadinessCheck[];
  /** Further /v1 routes served on the CF and internal servers, with the same authentication. */
  readonly routes?: readonly Route[];
}

export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

export interface HttpServers {
  readonly cfServer: Server;
  readonly healthServer: Server;
  readonly internalServer?: Server | undefined;
  readonly ports: { readonly cf: number; readonly health: number; readonly internal?: number | undefined };
  /** Whether /v1 on the CF server requires XFCC. */
  readonly xfccEnforced: boolean;
  /** Attaches a WebSocket (or other) upgrade handler to the CF server; its sockets are cut on close. */
  onUpgrade(handler: UpgradeHandler): void;
  /** Stops accepting, lets in-flight requests finish (bounded), then resolves. */
  close(): Promise<void>;
}

/**
 * Starts the EG's listeners (docs/anchor-compatibility.md#listeners):
 * - the CF server on `cf_server.port` (on CF, $PORT): `/v1/*` with XFCC and `/health*` via the
 *   health router. XFCC is enforced when running on CF or when `cf_server.xfcc.valid_org_guid` is
 *   set; off CF without an org, /v1 is open so that local use works;
 * - the health server on `health.server_config.port`;
 * - the internal server on `server.port` (no XFCC; TLS with key+cert, client certificates required
 *   with a CA), skipped when the port is 0 unless `internalPortZero: 'ephemeral'`.
 */
export const startHttpServers = async (options: HttpServersOptions, deps: HttpServersDeps): Promise<HttpServers> => {
  const host = options.host ?? '0.0.0.0';
  const graceMs = options.shutdownGraceMs ?? 10_000;
  const logger = deps.logger.child({ component: 'http' });
  const xfcc = options.cf_server.xfcc;
  const xfccEnforced = options.cfMode || xfcc.valid_org_guid !== '';
  const health = createHealthRouter(
    { basicAuth: options.health.basic_auth, readinessEnabled: options.health.readiness_enabled },
    {
      metrics: deps.metrics,
      scheduler: deps.scheduler,
      logger,
      readinessChecks: deps.readinessChecks,
    },
  );
  const trackRequest = () => deps.metrics.trackHttpRequest();
  const cfRouter = createApiRouter({
    queryAppMetrics: deps.queryAppMetrics,
    logger,
    trackRequest,
    mounts: [{ prefix: '/health', handle: health }],
    ...(deps.routes ? { routes: deps.routes } : {}),
    ...(xfccEnforced
      ? {
          authenticate: (req: IncomingMessage) =>
            authenticateXfcc(req, { validOrgGuid: xfcc.valid_org_guid, validSpaceGuid: xfcc.valid_space_guid }),
        }
      : {}),
  });
  const cfServer = makeServer('cf_server.tls', options.cf_server.tls, cfRouter);
  const healthServer = makeServer(
    'health.server_config.tls',
    options.health.server_config.tls,
    createRouter({ routes: [], mounts: [{ prefix: '/', handle: health }] }),
  );
  const internalWanted = options.server.port !== 0 || options.internalPortZero === 'ephemeral';
  const internalServer = internalWanted
    ? makeServer(
        'server.tls',
        options.server.tls,
        createApiRouter({
          queryAppMetrics: deps.queryAppMetrics,
          logger,
          trackRequest,
          ...(deps.routes ? { routes: deps.routes } : {}),
        }),
      )
    : undefined;

  const upgraded = new Set<Socket | Duplex>();
  const started: Server[] = [];
  const start = async (server: Server, port: number, name: string) => {
    const actual = await listen(server, port, host);
    started.push(server);
    logger.info({ server: name, host, port: actual, tls: server instanceof HttpsServer }, `${name} server listening`);
    return actual;
  };
  const close = async () => {
    await Promise.all(started.map((server) => closeServer(server, upgraded, graceMs)));
  };
  try {
    const cf = await start(cfServer, options.cf_server.port, 'cf');
    const healthPort = await start(healthServer, options.health.server_config.port, 'health');
    const internal = internalServer ? await start(internalServer, options.server.port, 'internal') : undefined;
    logger.info(
      { xfccEnforced, cfMode: options.cfMode },
      xfccEnforced
        ? 'XFCC required on /v1 of the CF server'
        : 'XFCC off: /v1 of the CF server is open (not on CF, no org configured)',
    );
    return {
      cfServer,
      healthServer,
      internalServer,
      ports: { cf, health: healthPort, internal },
      xfccEnforced,
      onUpgrade(handler) {
        cfServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
          upgraded.add(socket);
          socket.once('close', () => upgraded.delete(socket));
          handler(req, socket, head);
        });
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
};
