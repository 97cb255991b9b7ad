import type { Observable } from 'rxjs';
import type { Config } from '../adapters/config/schema.ts';
import type { HttpServers } from '../adapters/http/servers.ts';
import { authenticateXfcc } from '../adapters/http/xfcc.ts';
import type { Logger } from '../adapters/log/logger.ts';
import type { Decision } from '../core/model/decision.ts';
import { attachDecisionStream } from '../adapters/live/decision-stream.ts';

/**
 * The live decision stream (`/v1/decisions`, WebSocket) on the CF server, behind the same XFCC
 * check as the rest of `/v1` whenever the API enforces it.
 */
export const attachLiveStream = (options: {
  http: HttpServers;
  config: Config;
  decision$: Observable<Decision>;
  logger: Logger;
}) => {
  const { http, config } = options;
  const xfcc = {
    validOrgGuid: config.cf_server.xfcc.valid_org_guid,
    validSpaceGuid: config.cf_server.xfcc.valid_space_guid,
  };
  return attachDecisionStream({
    server: http.cfServer,
    decision$: options.decision$,
    authenticate: (req) => (http.xfccEnforced ? authenticateXfcc(req, xfcc) : { ok: true }),
    logger: options.logger,
    maxBuffered: config.live.max_buffered_events,
  });
};
