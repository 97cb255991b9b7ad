import type { Observable } from 'rxjs';
import type { AppMetric } from '../../lib/core/model/app-metric.ts';
import type { Decision } from '../../lib/core/model/decision.ts';
import type { Policy } from '../../lib/core/model/policy.ts';
import { evaluateAppMetrics } from '../evaluate-app-metrics.ts';
import type { EvaluateAppMetricsDeps } from '../evaluate-app-metrics.ts';

export interface CandidateSources {
  /** Metrics aggregated once for all candidates, after this candidate's load model. */
  readonly appMetric$: Observable<AppMetric>;
  readonly policy$: Observable<ReadonlyMap<string, Policy>>;
  readonly tick$?: Observable<unknown>;
}

/**
 * The evaluation half of the metric path, for the policy lab: the aggregation does not depend on
 * the policy, so it runs once (see replayGraph) and each candidate policy is evaluated by the
 * service's own evaluation pipeline (rules, cooldown, breakers, scaling calls) on its output.
 * `queryAppMetrics` must answer from the candidate's own history of load-model values.
 *
 *   appMetric$  --m-----m--m--
 *   output      --(bc)s-n--n--   the Decisions of evaluateAppMetrics
 */
export const candidateGraph = (
  sources: CandidateSources,
  deps: Pick<
    EvaluateAppMetricsDeps,
    'scheduler' | 'queryAppMetrics' | 'scale' | 'defaultBreachDurationSecs' | 'breaker'
  >,
): Observable<Decision> =>
  evaluateAppMetrics(
    { appMetric$: sources.appMetric$, policy$: sources.policy$, ...(sources.tick$ ? { tick$: sources.tick$ } : {}) },
    deps,
  );
