import { defaultIfEmpty, firstValueFrom, take } from 'rxjs';
import type { AppMetric } from '../core/model/app-metric.ts';
import type { DecisionJournal } from '../core/model/decision-journal.ts';
import type { QueryAppMetrics } from '../core/model/ports.ts';
import { watchFromJournal } from '../core/explain/app-watch.ts';
import type { DecisionWatcher } from '../core/explain/decision-watcher.ts';
import { explainApp } from '../core/explain/explain-app.ts';
import type { Explanation, OwnerInfo } from '../core/explain/explain-app.ts';
import { secondsToNs } from '../core/time/ns.ts';
import type { PolicyLookup } from '../adapters/stores/policy-lookup.ts';

export interface ExplainerDeps {
  readonly lookupPolicy: (appId: string) => Promise<PolicyLookup>;
  readonly ownerOf: (appId: string) => Promise<OwnerInfo>;
  readonly watcher: DecisionWatcher;
  readonly journal: DecisionJournal;
  readonly queryAppMetrics: QueryAppMetrics;
  readonly now: () => bigint;
  readonly defaultBreachDurationSecs: number;
  /** How far back the journal is read to rebuild another instance's view (the retention). */
  readonly journalLookbackMs: number;
  /** Journal rows read at most for it (the per-app cap). */
  readonly journalRowCap: number;
}

export type ExplainResult =
  | { readonly ok: true; readonly explanation: Explanation }
  | { readonly ok: false; readonly reason: string };

/**
 * Answers `explain` on any instance: the owner from what it watches live, any other instance (or a
 * new owner without a live view yet) from the journal, and both with the app metrics of each rule's
 * window read through the shared reader (cache, else the database).
 */
export const createExplainer =
  (deps: ExplainerDeps) =>
  async (appId: string): Promise<ExplainResult> => {
    const found = await deps.lookupPolicy(appId);
    if (!found.found) return { ok: false, reason: `No policy found for app ${appId}` };
    if (!found.ok) return { ok: false, reason: `The policy of app ${appId} cannot be used: ${found.reason}` };
    const { policy } = found;
    const now = deps.now();
    const owner = await deps.ownerOf(appId);
    const live = owner.thisInstance ? deps.watcher.get(appId) : undefined;
    const watch =
      live ??
      watchFromJournal(
        appId,
        await deps.journal
          .read(appId, now - secondsToNs(deps.journalLookbackMs / 1000), -1n, 'DESC', deps.journalRowCap)
          .then((newestFirst) => newestFirst.reverse()),
      );
    const rows = new Map<number, readonly AppMetric[]>();
    await Promise.all(
      policy.rules.map(async (rule, index) => {
        const bd = secondsToNs(rule.breachDurationSecs > 0 ? rule.breachDurationSecs : deps.defaultBreachDurationSecs);
        const read$ = deps.queryAppMetrics(appId, rule.metricType, now - 2n * bd, now, 'ASC');
        rows.set(index, await firstValueFrom(read$.pipe(take(1), defaultIfEmpty([] as AppMetric[]))));
      }),
    );
    return {
      ok: true,
      explanation: explainApp({
        policy,
        watch,
        rows,
        now,
        owner,
        source: live ? 'live' : 'journal',
        defaultBreachDurationSecs: deps.defaultBreachDurationSecs,
      }),
    };
  };

export type Explainer = ReturnType<typeof createExplainer>;
