import { Observable, catchError, defer, exhaustMap, interval, map, of, take, timer } from 'rxjs';
import type { SchedulerLike, Subscription } from 'rxjs';
import type { JournalEntry } from '../lib/core/model/decision-journal.ts';
import type { AppendJournal, PruneJournal } from '../lib/core/model/ports.ts';
import { errorText } from '../lib/core/error-text.ts';
import { backoffMs } from '../lib/core/time/backoff.ts';
import type { Backoff } from '../lib/core/time/backoff.ts';

export type JournalWriteEvent =
  | { readonly kind: 'written'; readonly count: number }
  | {
      readonly kind: 'retrying';
      readonly attempt: number;
      readonly delayMs: number;
      readonly error: string;
      readonly pending: number;
    }
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
 * A failed batch is kept ahead of newer entries and retried with back-off. Past `maxPending` the
 * oldest entries not in flight are dropped and reported; once `entry$` completes the buffer is
 * flushed with at most `finalAttempts` tries, so a dead database cannot hold a shutdown (a source
 * error is passed on after that flush). The
 * journal is pruned every `pruneIntervalMs` (first after one interval); pruned rows are reported
 * as dropped by `retention` or `row-cap`.
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
  return new Observable<JournalWriteEvent>((subscriber) => {
    const finalAttempts = deps.finalAttempts ?? 3;
    let pending: JournalEntry[] = [];
    let inFlight = 0;
    let waitingRetry = false;
    let attempt = 0;
    let sourceDone = false;
    let sourceError: { readonly err: unknown } | undefined;
    let writeSub: Subscription | undefined;
    let retrySub: Subscription | undefined;

    const finishIfDone = (): void => {
      if (!sourceDone || pending.length > 0 || inFlight > 0 || subscriber.closed) return;
      if (sourceError) subscriber.error(sourceError.err);
      else subscriber.complete();
    };

    const flush = (): void => {
      if (subscriber.closed || inFlight > 0 || waitingRetry) return;
      if (pending.length === 0) {
        finishIfDone();
        return;
      }
      const batch = pending.slice(0, maxBatchSize);
      inFlight = batch.length;
      let written: number | undefined;
      writeSub = defer(() => deps.append(batch))
        .pipe(take(1))
        .subscribe({
          next: (n) => {
            written = n;
          },
          error: (err: unknown) => failed(err),
          complete: () =>
            written === undefined ? failed(new Error('append ended without a result')) : succeeded(written),
        });
    };

    const succeeded = (count: number): void => {
      pending = pending.slice(inFlight);
      inFlight = 0;
      attempt = 0;
      subscriber.next({ kind: 'written', count });
      if (pending.length >= maxBatchSize || sourceDone) flush();
    };

    const failed = (err: unknown): void => {
      inFlight = 0;
      attempt += 1;
      if (sourceDone && attempt >= finalAttempts) {
        subscriber.next({ kind: 'dropped', count: pending.length, reason: 'shutdown' });
        pending = [];
        finishIfDone();
        return;
      }
      const delayMs = backoffMs(attempt, deps.retry);
      waitingRetry = true;
      subscriber.next({ kind: 'retrying', attempt, delayMs, error: errorText(err), pending: pending.length });
      retrySub = timer(delayMs, deps.scheduler).subscribe(() => {
        waitingRetry = false;
        flush();
      });
    };

    const tickSub = interval(deps.flushIntervalMs, deps.scheduler).subscribe(() => flush());
    const pruneSub = interval(deps.pruneIntervalMs, deps.scheduler)
      .pipe(
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
      )
      .subscribe((events) => {
        for (const event of events) subscriber.next(event);
      });

    const sourceSub = sources.entry$.subscribe({
      next: (entry) => {
        pending.push(entry);
        if (pending.length > maxPending) {
          // The batch in flight cannot be recalled, so the oldest after it go.
          const excess = pending.length - maxPending;
          pending.splice(inFlight, excess);
          subscriber.next({ kind: 'dropped', count: excess, reason: 'buffer-full' });
        }
        if (pending.length >= maxBatchSize) flush();
      },
      error: (err: unknown) => {
        sourceDone = true;
        sourceError = { err };
        tickSub.unsubscribe();
        flush();
      },
      complete: () => {
        sourceDone = true;
        tickSub.unsubscribe();
        flush();
      },
    });

    return () => {
      sourceSub.unsubscribe();
      tickSub.unsubscribe();
      pruneSub.unsubscribe();
      writeSub?.unsubscribe();
      retrySub?.unsubscribe();
    };
  });
};
