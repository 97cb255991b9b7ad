import { errorGuard } from '../../core/error-guard.ts';

/** A database call that did not settle within its deadline; nothing is known about its outcome. */
export class QueryDeadlineError extends Error {
  override name = 'QueryDeadlineError' as const;
  readonly code = 'EQUERYDEADLINE' as const;
  readonly operation: string;
  readonly deadlineMs: number;

  constructor(operation: string, deadlineMs: number) {
    super(`${operation} did not finish within ${deadlineMs}ms`);
    this.operation = operation;
    this.deadlineMs = deadlineMs;
  }
}

export const isQueryDeadlineError = errorGuard(QueryDeadlineError);
