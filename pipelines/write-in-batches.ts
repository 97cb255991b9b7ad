import { Observable, defer, interval, take, timer } from 'rxjs';
import type { SchedulerLike, Subscription } from 'rxjs';
import { createWriteQueue } from '../lib/core/persistence/write-queue.ts';
import { backoffMs } from '../lib/core/time/backoff.ts';
import { errorText } from '../lib/core/error-text.ts';
import type { BatchSettings } from './batch-settings.ts';

/** A write failed; its batch is kept and tried again after `delayMs`. */
export interface RetryingEvent {
  readonly kind: 'retrying';
  readonly attempt: number;
  readonly delayMs: number;
  readonly error: string;
  readonly pending: number;
}

export type BatchWriteEvent<T, R> =
  | { readonly kind: 'written'; readonly batch: readonly T[]; readonly result: R }
  | RetryingEvent
  /** Rows dropped unwritten: past `maxPending` (`overflow`), or at the end after `finalAttempts`. */
  | { readonly kind: 'dropped'; readonly count: number; readonly reason: 'overflow' | 'final-attempts' };

export interface WriteInBatchesDeps<T, R> extends BatchSettings {
  readonly scheduler: SchedulerLike;
  /** One write of a batch; emits its result once. An error means nothing of the batch was stored. */
  readonly write: (batch: readonly T[]) => Observable<R>;
  /** Tries left to the final flush once `item$` has completed, then the rest is dropped (default: no end). */
  readonly finalAttempts?: number;
}

/**
 * Writes items in batches, by time and by count, one write at a time, and never loses a batch to
 * a failed write: it is retried with back-off and kept ahead of newer items. `item$` only ever
 * appends to a buffer, so a slow or absent database costs memory (bounded by `maxPending`), never
 * time to the producer.
 *
 * ```
 * item$:   -a-b--------c-----|        (flushIntervalMs = 5 frames; the first write fails)
 * write:        x   [a,b]     [c]
 * output:  -----r---w---------(w|)     r retrying, w written
 * ```
 *
 * Each tick writes everything buffered, in as many back-to-back writes as it takes. Past
 * `maxPending` the oldest items not in flight are dropped and reported. When `item$` completes,
 * everything held is written at once (still retrying, at most `finalAttempts` times) before the
 * output completes; a source error is re-raised after that. Unsubscribing cancels the write in
 * flight and any pending retry.
 *
 * One Observable rather than an operator chain, because the write's result feeds back into what
 * is buffered (kept on failure, the next chunk at once on a backlog), which a chain of
 * buffer/concatMap operators cannot express without losing the failed batch.
 */
export const writeInBatches = <T, R>(
  sources: { readonly item$: Observable<T> },
  deps: WriteInBatchesDeps<T, R>,
): Observable<BatchWriteEvent<T, R>> => {
  const { maxBatchSize, maxPending } = deps;
  const finalAttempts = deps.finalAttempts ?? Number.POSITIVE_INFINITY;
  return new Observable<BatchWriteEvent<T, R>>((subscriber) => {
    const pending = createWriteQueue<T>();
    let inFlight = 0; // the first `inFlight` pending items are being written
    let writeSub: Subscription | undefined;
    let backoffSub: Subscription | undefined;
    let waitingRetry = false;
    let attempt = 0;
    let flushDue = false;
    let sourceDone = false;
    let sourceError: { readonly err: unknown } | undefined;
    let pumping = false;
    let again = false;

    const write = (): void => {
      const batch = pending.head(maxBatchSize);
      inFlight = batch.length;
      if (batch.length === pending.length) flushDue = false;
      let result: { readonly value: R } | undefined;
      writeSub = defer(() => deps.write(batch))
        .pipe(take(1))
        .subscribe({
          next: (value) => {
            result = { value };
          },
          error: (err: unknown) => failed(err),
          complete: () =>
            result ? succeeded(batch, result.value) : failed(new Error('the write ended without a result')),
        });
    };

    const succeeded = (batch: readonly T[], result: R): void => {
      pending.dropHead(inFlight);
      inFlight = 0;
      attempt = 0;
      subscriber.next({ kind: 'written', batch, result });
      pump();
    };

    const failed = (err: unknown): void => {
      inFlight = 0;
      attempt += 1;
      if (sourceDone && attempt >= finalAttempts) {
        subscriber.next({ kind: 'dropped', count: pending.length, reason: 'final-attempts' });
        pending.dropHead(pending.length);
        pump();
        return;
      }
      const delayMs = backoffMs(attempt, deps.retry);
      waitingRetry = true;
      subscriber.next({ kind: 'retrying', attempt, delayMs, error: errorText(err), pending: pending.length });
      backoffSub = timer(delayMs, deps.scheduler).subscribe(() => {
        waitingRetry = false;
        flushDue = true;
        pump();
      });
    };

    const step = (): void => {
      if (subscriber.closed || inFlight > 0 || waitingRetry) return;
      if (pending.length === 0) {
        flushDue = false;
        if (!sourceDone) return;
        if (sourceError) subscriber.error(sourceError.err);
        else subscriber.complete();
        return;
      }
      if (flushDue || sourceDone || pending.length >= maxBatchSize) write();
    };

    // Writes may answer synchronously; a loop instead of recursion keeps a long backlog off the stack.
    const pump = (): void => {
      if (pumping) {
        again = true;
        return;
      }
      pumping = true;
      try {
        do {
          again = false;
          step();
        } while (again);
      } finally {
        pumping = false;
      }
    };

    const tickSub = interval(deps.flushIntervalMs, deps.scheduler).subscribe(() => {
      flushDue = true;
      pump();
    });
    const sourceSub = sources.item$.subscribe({
      next: (item) => {
        pending.push(item);
        if (pending.length > maxPending) {
          // The batch in flight cannot be recalled, so the oldest after it go.
          const count = pending.length - maxPending;
          pending.dropAfter(inFlight, count);
          subscriber.next({ kind: 'dropped', count, reason: 'overflow' });
        }
        pump();
      },
      error: (err: unknown) => {
        sourceDone = true;
        sourceError = { err };
        tickSub.unsubscribe();
        pump();
      },
      complete: () => {
        sourceDone = true;
        tickSub.unsubscribe();
        pump();
      },
    });

    return () => {
      sourceSub.unsubscribe();
      tickSub.unsubscribe();
      writeSub?.unsubscribe();
      backoffSub?.unsubscribe();
    };
  });
};
