/** The notification channel and payloads shared by the `policy_json` trigger and its listener. */
export const POLICY_CHANNEL = 'policy_json_changed';

/** Emitted instead of an app id when any policy may have changed (TRUNCATE, or notifications were missed). */
export const ALL_POLICIES = '*';

export type PolicyNotification =
  | { readonly kind: 'app'; readonly appId: string }
  | { readonly kind: 'all' }
  | { readonly kind: 'probe'; readonly token: string }
  /** Another schema's table on the same database: not ours. */
  | { readonly kind: 'elsewhere' }
  | { readonly kind: 'malformed'; readonly reason: string };

export const probePayload = (schema: string, token: string): string => JSON.stringify({ schema, probe: token });

/** Reads one payload; anything unexpected becomes `malformed` with the reason, never an exception. */
export const parsePolicyNotification = (payload: string, schema: string): PolicyNotification => {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return { kind: 'malformed', reason: `not JSON: ${payload.slice(0, 80)}` };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    return { kind: 'malformed', reason: `not a JSON object: ${payload.slice(0, 80)}` };
  const fields = value as Record<string, unknown>;
  if (typeof fields.schema !== 'string') return { kind: 'malformed', reason: 'no "schema" string' };
  if (fields.schema !== schema) return { kind: 'elsewhere' };
  if (typeof fields.probe === 'string') return { kind: 'probe', token: fields.probe };
  if (fields.app_id === undefined || fields.app_id === null) return { kind: 'all' };
  if (typeof fields.app_id !== 'string' || fields.app_id === '')
    return { kind: 'malformed', reason: `"app_id" is not a non-empty string: ${JSON.stringify(fields.app_id)}` };
  return { kind: 'app', appId: fields.app_id };
};
