import type { Observable } from 'rxjs';
import type { Config } from '../config/schema.ts';
import type { HttpServers } from '../http/servers.ts';
import type { Logger } from '../log/logger.ts';
import type { Decision } from '../model/decision.ts';

/** The live decision stream on the CF server; wired once the WebSocket endpoint is in place. */
export const attachLiveStream = (options: { http: HttpServers; config: Config; decision$: Observable<Decision>; logger: Logger }) => {
  void options;
  return { close: async () => {} };
};
