import { Observable } from 'rxjs';
import type { Scale } from '../../core/model/ports.ts';
import type { ScaleReply } from '../../core/model/scale-reply.ts';
import type { ScalingEngineClient } from './scaling-engine-client.ts';
import { errorText } from '../../core/error-text.ts';

/**
 * The client as the evaluation pipeline's `scale` dependency: lazy (one call per subscription),
 * one reply then complete, and unsubscribing aborts the request.
 */
export const scaleObservable =
  (client: Pick<ScalingEngineClient, 'scale'>): Scale =>
  (trigger) =>
    new Observable<ScaleReply>((subscriber) => {
      const abort = new AbortController();
      client.scale(trigger, abort.signal).then(
        (reply) => {
          subscriber.next(reply);
          subscriber.complete();
        },
        (err: unknown) => {
          subscriber.next({ ok: false, error: `request failed: ${errorText(err)}` });
          subscriber.complete();
        },
      );
      return () => abort.abort();
    });
