import { errorGuard } from '../../core/error-guard.ts';

/** A database call that did not settle within its deadline. */
export class QueryDeadlineError extends Error {
  override name = 'QueryDeadlineError' as const;
  readonly code = 'EQUERYDEADLINE' as const;
  readonly operation: string;
  readonly deadlineMs: number;
  /**
   * Whether the call may still take effect: true unless it is known not to (a write that
   * writeWithDeadline rolls back should it finish after all).
   */
  readonly mayHaveLanded: boolean;

  constructor(operation: string, deadlineMs: number, options: { readonly mayHaveLanded?: boolean } = {}) {
    super(`${operation} did not finish within ${deadlineMs}ms`);
    this.operation = operation;
    this.deadlineMs = deadlineMs;
    this.mayHaveLanded = options.mayHaveLanded ?? true;
  }
}

export const isQueryDeadlineError = errorGuard(QueryDeadlineError);
