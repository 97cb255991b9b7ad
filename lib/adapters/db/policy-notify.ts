import type { ISql, Sql } from 'postgres';
import { POLICY_CHANNEL } from './policy-notify-channel.ts';

export { ALL_POLICIES } from './policy-notify-channel.ts';
export { listenPolicyChanges } from './policy-notify-listener.ts';

/**
 * Policy changes as PostgreSQL notifications: a trigger on `policy_json` sends
 * `{"schema": <table schema>, "app_id": <id>}` on channel `policy_json_changed` for every inserted,
 * updated or deleted row, and `{"schema": ...}` (everything changed) on TRUNCATE. The schema lets
 * listeners on one database ignore other schemas' tables (channels are database-wide).
 *
 * The service never alters tables it did not create, so this is installed only in embedded mode
 * or when the operator opts in (config flag, `scripts/migrate`). Without it, polling still works.
 */
const FUNCTION_NAME = 'eventgenerator_policy_notify';
const ROW_TRIGGER = 'eventgenerator_policy_notify';
const TRUNCATE_TRIGGER = 'eventgenerator_policy_truncate_notify';
// Serialises concurrent installs from instances starting together (CREATE OR REPLACE races otherwise).
const INSTALL_LOCK = 7_351_208_466_118_394_001n;

const createFunction = `
  CREATE OR REPLACE FUNCTION ${FUNCTION_NAME}() RETURNS trigger LANGUAGE plpgsql AS $body$
  BEGIN
    IF TG_OP = 'TRUNCATE' THEN
      PERFORM pg_notify('${POLICY_CHANNEL}', json_build_object('schema', TG_TABLE_SCHEMA)::text);
      RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
      PERFORM pg_notify('${POLICY_CHANNEL}', json_build_object('schema', TG_TABLE_SCHEMA, 'app_id', OLD.app_id)::text);
    END IF;
    -- an UPDATE that keeps the app id sends one notification: identical ones in a transaction fold into one
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
      PERFORM pg_notify('${POLICY_CHANNEL}', json_build_object('schema', TG_TABLE_SCHEMA, 'app_id', NEW.app_id)::text);
    END IF;
    RETURN NULL;
  END
  $body$`;

const triggerExists = async (sql: ISql, name: string): Promise<boolean> => {
  const rows = await sql`SELECT 1 FROM pg_trigger WHERE tgrelid = 'policy_json'::regclass AND tgname = ${name}`;
  return rows.length > 0;
};

/** Idempotent; creates the function and triggers only where missing, in the current schema. */
export const installPolicyNotifyTrigger = async (sql: Sql): Promise<void> => {
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${INSTALL_LOCK.toString()}::bigint)`;
    await tx.unsafe(createFunction);
    if (!(await triggerExists(tx, ROW_TRIGGER))) {
      await tx.unsafe(
        `CREATE TRIGGER ${ROW_TRIGGER} AFTER INSERT OR UPDATE OR DELETE ON policy_json FOR EACH ROW EXECUTE FUNCTION ${FUNCTION_NAME}()`,
      );
    }
    if (!(await triggerExists(tx, TRUNCATE_TRIGGER))) {
      await tx.unsafe(
        `CREATE TRIGGER ${TRUNCATE_TRIGGER} AFTER TRUNCATE ON policy_json FOR EACH STATEMENT EXECUTE FUNCTION ${FUNCTION_NAME}()`,
      );
    }
  });
};

/** Removes what `installPolicyNotifyTrigger` created (operators turning the option off). */
export const removePolicyNotifyTrigger = async (sql: Sql): Promise<void> => {
  await sql.begin(async (tx) => {
    await tx.unsafe(`DROP TRIGGER IF EXISTS ${ROW_TRIGGER} ON policy_json`);
    await tx.unsafe(`DROP TRIGGER IF EXISTS ${TRUNCATE_TRIGGER} ON policy_json`);
    await tx.unsafe(`DROP FUNCTION IF EXISTS ${FUNCTION_NAME}()`);
  });
};

export const policyNotifyTriggerInstalled = async (sql: Sql): Promise<boolean> =>
  (await triggerExists(sql, ROW_TRIGGER)) && (await triggerExists(sql, TRUNCATE_TRIGGER));
