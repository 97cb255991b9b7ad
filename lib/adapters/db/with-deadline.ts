import type { Sql, TransactionSql } from 'postgres';
import { QueryDeadlineError } from './query-deadline-error.ts';

/**
 * Calls `then` `ms` from now, but only after the I/O that has arrived by then; returns a cancel.
 * On a thread that was busy past a deadline, timers run before I/O callbacks, so an answer that
 * came in time would otherwise lose to the timer (a day's replay once counted 20,000 stored rows
 * as failed that way).
 */
const afterPendingIo = (ms: number, then: () => void): (() => void) => {
  let immediate: NodeJS.Immediate | undefined;
  const timer = setTimeout(() => {
    immediate = setImmediate(then);
  }, ms);
  return () => {
    clearTimeout(timer);
    clearImmediate(immediate);
  };
};

/** Settles like `settled` once it does, cancelling the deadline; `deadline` may reject first. */
const raced = <T>(settled: PromiseLike<T>, deadline: (reject: (err: unknown) => void) => () => void): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const cancel = deadline(reject);
    settled.then(
      (value) => {
        cancel();
        resolve(value);
      },
      (err: unknown) => {
        cancel();
        reject(err);
      },
    );
  });

/**
 * Settles like `query`, or rejects with QueryDeadlineError after `deadlineMs`.
 *
 * Why: postgres.js 3.4 never settles a query that the pool hands to a connection between its
 * socket's `error` and `close` events (the reset connection still sits in the open queue, and
 * `closed(hadError)` rejects nothing), not even after the database is back. Without a deadline
 * such a call hangs for good: the persistence sink stops writing and the policy poller stops polling.
 *
 * The statement is not cancelled: postgres.js's cancel opens a new connection and, when the
 * server is unreachable (the usual reason for a deadline), fails with an unhandled rejection.
 * A write that is retried after its deadline goes through writeWithDeadline instead.
 */
export const withDeadline = <T>(query: PromiseLike<T>, deadlineMs: number, operation: string): Promise<T> =>
  raced(query, (reject) => afterPendingIo(deadlineMs, () => reject(new QueryDeadlineError(operation, deadlineMs))));

/**
 * Runs `body` in a transaction bounded like withDeadline, such that a write reported as failed
 * does not land: the caller retries it, and a plain deadline would let a slow insert commit after
 * the caller was told it failed (app_metric has no key to stop the second copy).
 *
 * - The deadline passes before the body is done: the error (`mayHaveLanded: false`) is reported at
 *   once and the body, should it finish after all, rolls back instead of committing.
 * - The deadline passes while COMMIT is on its way: the commit's own outcome decides, as long as it
 *   comes within a second deadline; only a COMMIT that never answers (the hang above, on a dead
 *   connection) is reported failed without being known to have failed (`mayHaveLanded: true`).
 */
export const writeWithDeadline = <T>(
  sql: Sql,
  body: (tx: TransactionSql) => PromiseLike<T>,
  deadlineMs: number,
  operation: string,
): Promise<T> => {
  let given = false;
  let committing = false;
  const transaction = sql.begin(async (tx) => {
    const result = await body(tx);
    // Thrown inside the transaction, so it rolls back: the caller has been told it failed.
    if (given) throw new QueryDeadlineError(operation, deadlineMs, { mayHaveLanded: false });
    committing = true;
    return result;
  }) as Promise<T>;
  return raced(transaction, (reject) => {
    let cancel = afterPendingIo(deadlineMs, () => {
      if (committing)
        cancel = afterPendingIo(deadlineMs, () =>
          reject(new QueryDeadlineError(operation, deadlineMs, { mayHaveLanded: true })),
        );
      else {
        given = true;
        reject(new QueryDeadlineError(operation, deadlineMs, { mayHaveLanded: false }));
      }
    });
    return () => cancel();
  });
};
