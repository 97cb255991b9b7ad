import { EMPTY } from 'rxjs';
import type { Observable } from 'rxjs';
import type { Config } from '../adapters/config/schema.ts';
import type { Database } from '../adapters/db/connect.ts';
import {
  installPolicyNotifyTrigger,
  listenPolicyChanges,
  policyNotifyTriggerInstalled,
} from '../adapters/db/policy-notify.ts';
import type { Logger } from '../adapters/log/logger.ts';

/**
 * Policy-change notifications: a trigger on policy_json NOTIFYs, and the service polls at once.
 * The trigger is installed only where the service may alter the table: the embedded database it
 * created, or a real one when the operator opts in. The embedded socket server shares one session
 * between its clients, so LISTEN cannot work there; polling alone covers that case.
 */
export const policyChanges = async (config: Config, db: Database, logger: Logger): Promise<Observable<string>> => {
  const log = logger.child({ component: 'policy-notify' });
  if (db.embedded) {
    log.info('embedded database: policy changes are picked up by polling');
    return EMPTY;
  }
  if (config.policy_notifications.install_trigger) await installPolicyNotifyTrigger(db.sql);
  if (!(await policyNotifyTriggerInstalled(db.sql))) {
    log.info(
      'no NOTIFY trigger on policy_json: policy changes are picked up by polling (policy_notifications.install_trigger installs it)',
    );
    return EMPTY;
  }
  log.info('listening for policy changes; polling stays as the fallback');
  return listenPolicyChanges(db.sql, logger);
};
