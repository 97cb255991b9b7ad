import { EMPTY, Observable, catchError, defer, exhaustMap, from, interval, map, mergeMap, of, take } from 'rxjs';
import type { SchedulerLike } from 'rxjs';
import type { JournalEntry } from '../lib/core/model/decision-journal.ts';
import type { AppendJournal, PruneJournal } from '../lib/core/model/ports.ts';
import { errorText } from '../lib/core/error-text.ts';
import type { Backoff } from '../lib/core/time/backoff.ts';
import { writeInBatches } from './write-in-batches.ts';
import type { RetryingEvent } from './write-in-batches.ts';

export type JournalWriteEvent =
  | { readonly kind: 'written'; readonly count: number }
  | RetryingEvent
  /** Rows that will never be (or are no longer) in the journal, by why. */
  | { readonly kind: 'dropped'; readonly count: number; readonly reason: JournalDropReason }
  | { readonly kind: 'prune-failed'; readonly error: string };

export type JournalDropReason = 'buffer-full' | 'shutdown' | 'retention' | 'row-cap';

export interface JournalDecisionsDeps {
  readonly scheduler: SchedulerLike;
  /** One batch insert. An error means nothing of the batch was stored. */
  readonly append: AppendJournal;
  readonly prune: PruneJournal;
  readonly flushIntervalMs: number;
  readonly maxBatchSize: number;
  /** Entries held (buffered, in flight, awaiting retry) at most; past it the oldest not in flight go. */
  readonly maxPending: number;
  readonly pruneIntervalMs: number;
  readonly retry: Backoff;
  /** Attempts left to the final flush once `entry$` has completed (default 3), then the rest is dropped. */
  readonly finalAttempts?: number;
}

/**
 * Writes journal entries in batches, away from the decision path: `entry$` only ever appends to an
 * in-memory buffer, so a slow or absent database costs memory (bounded by `maxPending`), never time.
 *
 * ```
 * entry$:  -a-b--------c--------|      (flushIntervalMs = 5 frames; first append fails)
 * append:       x   [a,b]   [c]
 * output:  -----r---w-------(w|)       r retrying, w written
 * ```
 *
 * The batching is writeInBatches': a failed batch is kept ahead of newer entries and retried with
 * back-off; past `maxPending` the oldest entries not in flight are dropped and reported; once
 * `entry$` completes the buffer is flushed with at most `finalAttempts` tries, so a dead database
 * cannot hold a shutdown (a source error is passed on after that flush). The journal is pruned
 * every `pruneIntervalMs` (first after one interval); pruned rows are reported as dropped by
 * `retention` or `row-cap`.
 */
export const journalDecisions = (
  sources: { readonly entry$: Observable<JournalEntry> },
  deps: JournalDecisionsDeps,
): Observable<JournalWriteEvent> => {
  const { maxBatchSize, maxPending } = deps;
  if (!(Number.isInteger(maxBatchSize) && maxBatchSize >= 1 && maxPending >= maxBatchSize))
    throw new RangeError(
      `journalDecisions: maxBatchSize (${maxBatchSize}) must be a positive integer no larger than maxPending (${maxPending})`,
    );
  const write$ = writeInBatches(
    { item$: sources.entry$ },
    { ...deps, write: deps.append, finalAttempts: deps.finalAttempts ?? 3 },
  ).pipe(
    map((event): JournalWriteEvent => {
      if (event.kind === 'written') return { kind: 'written', count: event.result };
      if (event.kind === 'dropped')
        return {
          kind: 'dropped',
          count: event.count,
          reason: event.reason === 'overflow' ? 'buffer-full' : 'shutdown',
        };
      return event;
    }),
  );
  const prune$ = interval(deps.pruneIntervalMs, deps.scheduler).pipe(
    // exhaustMap: a slow prune skips intervals rather than piling up deletes.
    exhaustMap(() =>
      defer(() => deps.prune()).pipe(
        take(1),
        map((r): JournalWriteEvent[] => [
          ...(r.expired > 0 ? [{ kind: 'dropped' as const, count: r.expired, reason: 'retention' as const }] : []),
          ...(r.overCap > 0 ? [{ kind: 'dropped' as const, count: r.overCap, reason: 'row-cap' as const }] : []),
        ]),
        catchError((err: unknown) => of<JournalWriteEvent[]>([{ kind: 'prune-failed', error: errorText(err) }])),
      ),
    ),
    mergeMap((events) => (events.length === 0 ? EMPTY : from(events))),
  );
  // The pruning goes on as long as the writing; it ends with it.
  return new Observable<JournalWriteEvent>((subscriber) => {
    const pruning = prune$.subscribe((event) => subscriber.next(event));
    const writing = write$.subscribe(subscriber);
    return () => {
      pruning.unsubscribe();
      writing.unsubscribe();
    };
  });
};
