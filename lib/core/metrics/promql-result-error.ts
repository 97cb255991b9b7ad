import { errorGuard } from '../error-guard.ts';

/**
 * A PromQL instant query answered 200 but its result cannot become samples
 * (docs/anchor-compatibility.md#promql): not a vector, a sample without `instance_id`, an instance
 * id that is not an unsigned 32-bit integer, a sample without a value point. The whole fetch fails
 * and no app metric is emitted for that cycle.
 */
export class PromQlResultError extends Error {
  override name = 'PromQlResultError' as const;
  readonly code = 'EPROMQLRESULT' as const;
  readonly appId: string;
  readonly metricType: string;

  constructor(
    message: string,
    context: { readonly appId: string; readonly metricType: string },
    options?: ErrorOptions,
  ) {
    super(`PromQL ${context.metricType} result for app ${context.appId}: ${message}`, options);
    this.appId = context.appId;
    this.metricType = context.metricType;
  }
}

export const isPromQlResultError = errorGuard(PromQlResultError);
