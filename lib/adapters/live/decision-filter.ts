import type { Decision, DecisionKind } from '../../core/model/decision.ts';

/** Every kind of Decision, for validating `?kinds=`; the type check below keeps it complete. */
const DECISION_KINDS = [
  'metric',
  'breach',
  'no-breach',
  'rule-skipped',
  'cooldown-hold',
  'breaker-open',
  'breaker-state',
  'scaling-call',
  'scaling-result',
] as const satisfies readonly DecisionKind[];
type Unlisted = Exclude<DecisionKind, (typeof DECISION_KINDS)[number]>;
const allKindsListed: [Unlisted] extends [never] ? true : Unlisted = true;
void allKindsListed;

/** Which decisions a client asked for; undefined means "all". */
export interface DecisionFilter {
  readonly appIds?: ReadonlySet<string>;
  readonly kinds?: ReadonlySet<DecisionKind>;
}

export type FilterResult =
  | { readonly ok: true; readonly filter: DecisionFilter }
  | { readonly ok: false; readonly reason: string };

/** app_id is varchar(50) in policy_json (docs/anchor-compatibility.md#tables). */
const MAX_APP_ID = 50;

/**
 * Reads `?app_id=<guid>` (repeatable) and `?kinds=a,b` (comma-separated, repeatable) from a
 * request URL. A bad value is refused with a reason rather than silently widening the filter.
 */
export const parseDecisionFilter = (url: URL): FilterResult => {
  const appIds = url.searchParams.getAll('app_id');
  for (const id of appIds) {
    if (id.trim() === '' || id.length > MAX_APP_ID)
      return {
        ok: false,
        reason: `app_id must be 1 to ${MAX_APP_ID} characters, got ${JSON.stringify(id.slice(0, 60))}`,
      };
  }
  const kindValues = url.searchParams
    .getAll('kinds')
    .flatMap((v) => v.split(','))
    .map((k) => k.trim())
    .filter((k) => k !== '');
  const unknown = kindValues.filter((k) => !(DECISION_KINDS as readonly string[]).includes(k));
  if (unknown.length > 0)
    return { ok: false, reason: `unknown kind(s) ${unknown.join(', ')}; known: ${DECISION_KINDS.join(', ')}` };
  if (url.searchParams.has('kinds') && kindValues.length === 0) return { ok: false, reason: 'kinds is empty' };
  return {
    ok: true,
    filter: {
      ...(appIds.length > 0 ? { appIds: new Set(appIds) } : {}),
      ...(kindValues.length > 0 ? { kinds: new Set(kindValues as DecisionKind[]) } : {}),
    },
  };
};

export const decisionAppId = (decision: Decision): string =>
  decision.kind === 'metric' ? decision.metric.appId : decision.appId;

export const matchesFilter = (filter: DecisionFilter, decision: Decision): boolean =>
  (filter.kinds === undefined || filter.kinds.has(decision.kind)) &&
  (filter.appIds === undefined || filter.appIds.has(decisionAppId(decision)));
