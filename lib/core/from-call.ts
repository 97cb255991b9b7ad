import { Observable } from 'rxjs';

/**
 * A promise-returning call as a cold Observable, the one way a promise becomes a stream: each
 * subscription makes the call, emits its value and completes, or errors with its rejection.
 * Unsubscribing aborts the signal the call was given (with an Error of `cancelMessage` as the
 * reason, or the standard AbortError), so a call that honours the signal is cancelled.
 */
export const fromCall = <T>(call: (signal: AbortSignal) => PromiseLike<T>, cancelMessage?: string): Observable<T> =>
  new Observable<T>((subscriber) => {
    const controller = new AbortController();
    call(controller.signal).then(
      (value) => {
        subscriber.next(value);
        subscriber.complete();
      },
      (err: unknown) => subscriber.error(err),
    );
    return () => controller.abort(cancelMessage === undefined ? undefined : new Error(cancelMessage));
  });
