import { combineLatest, defer, merge, of, timer } from 'rxjs';
import { catchError, connect, exhaustMap, filter, map, switchMap } from 'rxjs/operators';
import type { Observable } from 'rxjs';
import type { SchedulerLike } from 'rxjs';
import type { Policy, PolicyRow } from '../lib/core/model/policy.ts';
import type { RetrievePolicies } from '../lib/core/model/ports.ts';
import { buildPolicyMap } from '../lib/core/policy/policy-map.ts';
import { backoffMs } from '../lib/core/time/backoff.ts';
import type { Backoff } from '../lib/core/time/backoff.ts';
import { errorText } from '../lib/core/error-text.ts';

export type PolicyPollEvent =
  | {
      readonly kind: 'policies';
      readonly policies: ReadonlyMap<string, Policy>;
      readonly rejected: readonly { readonly appId: string; readonly reason: string }[];
      readonly warnings: readonly { readonly appId: string; readonly warning: string }[];
      /** Rows read, in every shard. */
      readonly total: number;
    }
  | { readonly kind: 'poll-failed'; readonly error: string; readonly attempt: number; readonly retryInMs: number };

export interface PollPoliciesDeps {
  readonly scheduler: SchedulerLike;
  readonly retrievePolicies: RetrievePolicies;
  /** Back-off between failed reads; the last good policy set stays in force meanwhile. */
  readonly retry: Backoff;
}

export interface PollPoliciesSources {
  /** Poll now: the poller interval, policy-change notifications, or both merged. */
  readonly trigger$: Observable<unknown>;
  /** Which apps this instance owns; a change re-filters the last rows without a new read. */
  readonly owns$: Observable<(appId: string) => boolean>;
}

/**
 * Reads `policy_json` on every trigger and emits this instance's policy map.
 *
 *   trigger$  a-------b---------c
 *   read      --r     --X--r    --r
 *   output    --P-----F----P------P     (F: poll-failed, then a retry after back-off)
 *
 * exhaustMap: a trigger that arrives while a read (or its retries) is under way is dropped, because
 * that read will see the newer rows anyway. A failed read is retried with back-off instead of in the
 * anchor's tight loop, and a new trigger does not cut the back-off short.
 */
export const pollPolicies = (sources: PollPoliciesSources, deps: PollPoliciesDeps): Observable<PolicyPollEvent> => {
  const readWithRetry = (attempt: number): Observable<{ rows: readonly PolicyRow[] } | PolicyPollEvent> =>
    defer(() => deps.retrievePolicies()).pipe(
      map((rows) => ({ rows })),
      catchError((err: unknown) => {
        const retryInMs = backoffMs(attempt, deps.retry);
        const failed: PolicyPollEvent = {
          kind: 'poll-failed',
          error: errorText(err),
          attempt,
          retryInMs,
        };
        return merge(of(failed), timer(retryInMs, deps.scheduler).pipe(switchMap(() => readWithRetry(attempt + 1))));
      }),
    );

  type ReadResult = { readonly rows: readonly PolicyRow[] } | PolicyPollEvent;
  const isRows = (r: ReadResult): r is { readonly rows: readonly PolicyRow[] } => 'rows' in r;
  const isFailure = (r: ReadResult): r is PolicyPollEvent => !('rows' in r);

  // connect() subscribes both branches before the first read, so a trigger that fires on
  // subscription is seen by both.
  return sources.trigger$.pipe(
    exhaustMap(() => readWithRetry(1)),
    connect((read$) =>
      merge(
        read$.pipe(filter(isFailure)),
        combineLatest([read$.pipe(filter(isRows)), sources.owns$]).pipe(
          map(([{ rows }, owns]): PolicyPollEvent => {
            const built = buildPolicyMap(rows, owns);
            return {
              kind: 'policies',
              policies: built.policies,
              rejected: built.rejected,
              warnings: built.warnings,
              total: rows.length,
            };
          }),
        ),
      ),
    ),
  );
};
