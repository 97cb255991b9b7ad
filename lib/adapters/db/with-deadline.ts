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
 */
export const withDeadline = <T>(query: PromiseLike<T>, deadlineMs: number, operation: string): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new QueryDeadlineError(operation, deadlineMs)), deadlineMs);
  });
  return Promise.race([Promise.resolve(query), deadline]).finally(() => clearTimeout(timer));
};
