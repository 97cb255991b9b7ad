import { EMPTY, from, merge } from 'rxjs';
import { mergeMap } from 'rxjs/operators';
import type { Observable, SchedulerLike } from 'rxjs';
import type { DecisionWatcher } from '../../lib/core/explain/decision-watcher.ts';
import type { WatchInput } from '../../lib/core/explain/watch-input.ts';
import type { Decision } from '../../lib/core/model/decision.ts';
import type { AppendJournal, PruneJournal } from '../../lib/core/model/ports.ts';
import { nowNs } from '../../lib/core/time/ns.ts';
import type { CollectEvent } from '../collect-metrics.ts';
import { journalDecisions } from '../journal-decisions.ts';
import type { JournalWriteEvent } from '../journal-decisions.ts';
import type { JournalSettings } from './service-settings.ts';

/** A log-cache read as the watcher sees it: when, the newest envelope it brought, the instances reporting. */
const watchInputOf =
  (scheduler: SchedulerLike) =>
  (e: CollectEvent): WatchInput[] => {
    if (e.kind === 'failed')
      return [
        {
          kind: 'read-failed',
          at: nowNs(scheduler),
          appId: e.appId,
          error: e.error,
          ...(e.metricType !== undefined ? { metricType: e.metricType } : {}),
        },
      ];
    if (e.kind !== 'envelopes') return [];
    let newest: bigint | undefined;
    const instances = new Set<string>();
    for (const envelope of e.envelopes) {
      if (newest === undefined || envelope.timestamp > newest) newest = envelope.timestamp;
      if (envelope.gauge !== undefined) instances.add(envelope.instanceId);
    }
    return [
      {
        kind: 'read',
        at: nowNs(scheduler),
        appId: e.appId,
        ...(newest !== undefined ? { newestEnvelopeAt: newest } : {}),
        ...(instances.size > 0 ? { instances: instances.size } : {}),
      },
    ];
  };

/**
 * The decision journal beside the decisions: the watcher follows every decision and read, and the
 * state changes it finds are written by journalDecisions in their own time. The watcher's work is a
 * map update per decision, so nothing here holds up the decision path.
 *
 * ```
 * decision$   -b-c-k-h-h-h-      b breach, c call, k answer, h cooldown hold
 * entries     -b-c-k-h-----      repeats of the same hold are not news
 * output      --------w----      w written (flush interval)
 * ```
 */
export const journalPath = (
  sources: { readonly decision$: Observable<Decision>; readonly collect$: Observable<CollectEvent> },
  deps: {
    readonly scheduler: SchedulerLike;
    readonly watcher: DecisionWatcher;
    readonly append: AppendJournal;
    readonly prune: PruneJournal;
    readonly settings: JournalSettings;
  },
): Observable<JournalWriteEvent> => {
  const input$: Observable<WatchInput> = merge(
    sources.decision$,
    sources.collect$.pipe(mergeMap(watchInputOf(deps.scheduler))),
  );
  const entry$ = input$.pipe(
    mergeMap((input) => {
      const entries = deps.watcher.observe(input);
      return entries.length === 0 ? EMPTY : from(entries);
    }),
  );
  return journalDecisions(
    { entry$ },
    {
      scheduler: deps.scheduler,
      append: deps.append,
      prune: deps.prune,
      ...deps.settings,
      retry: { initialMs: 1000, maxMs: 30_000 },
    },
  );
};
