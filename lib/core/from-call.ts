import { Observable } from 'rxjs';

/**
 * A promise-returning call as a cold Observable, the one way a promise becomes a stream: each
 * subscription makes the call, emits its value and completes, or errors with its rejection.
 * Unsubscribing before the call settles aborts the signal the call was given (with an Error of
 * `cancelMessage` as the reason, or the standard AbortError), so a call that honours the signal is
 * cancelled.
 */
export const fromCall = <T>(call: (signal: AbortSignal) => PromiseLike<T>, cancelMessage?: string): Observable<T> =>
  new Observable<T>((subscriber) => {
    const controller = new AbortController();
    // Once the call has settled there is nothing left to cancel; aborting anyway built an
    // AbortError (with its stack) for every call that had already answered.
    let settled = false;
    call(controller.signal).then(
      (value) => {
        settled = true;
        subscriber.next(value);
        subscriber.complete();
      },
      (err: unknown) => {
        settled = true;
        subscriber.error(err);
      },
    );
    return () => {
      if (!settled) controller.abort(cancelMessage === undefined ? undefined : new Error(cancelMessage));
    };
  });
