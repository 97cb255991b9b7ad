import type { Sql, TransactionSql } from 'postgres';
import { QueryDeadlineError } from './query-deadline-error.ts';

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
export const withDeadline = <T>(query: PromiseLike<T>, deadlineMs: number, operation: string): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new QueryDeadlineError(operation, deadlineMs)), deadlineMs);
  });
  return Promise.race([Promise.resolve(query), deadline]).finally(() => clearTimeout(timer));
};

/**
 * Runs `body` in a transaction bounded like withDeadline, such that a write reported as failed
 * never lands: the caller retries it, and a plain deadline would let a slow insert commit after
 * the caller was told it failed (app_metric has no key to stop the second copy).
 *
 * - The deadline passes before the body is done: the error is reported at once and the body,
 *   should it finish after all, rolls back instead of committing.
 * - The deadline passes while COMMIT is on its way: the commit's own outcome decides, as long as it
 *   comes within a second deadline; only a COMMIT that never answers (the hang above, on a dead
 *   connection) is reported failed without being known to have failed.
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
    if (given) throw new QueryDeadlineError(operation, deadlineMs);
    committing = true;
    return result;
  }) as Promise<T>;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    const expire = (graceLeft: boolean) => {
      if (committing && graceLeft) timer = setTimeout(() => expire(false), deadlineMs);
      else {
        given = true;
        reject(new QueryDeadlineError(operation, deadlineMs));
      }
    };
    timer = setTimeout(() => expire(true), deadlineMs);
  });
  return Promise.race([transaction, deadline]).finally(() => clearTimeout(timer));
};
