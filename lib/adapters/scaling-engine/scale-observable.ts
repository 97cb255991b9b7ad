import { catchError, of } from 'rxjs';
import type { Scale } from '../../core/model/ports.ts';
import type { ScaleReply } from '../../core/model/scale-reply.ts';
import type { ScalingEngineClient } from './scaling-engine-client.ts';
import { errorText } from '../../core/error-text.ts';
import { fromCall } from '../../core/from-call.ts';

/**
 * The client as the evaluation pipeline's `scale` dependency: lazy (one call per subscription),
 * one reply then complete, and unsubscribing aborts the request.
 */
export const scaleObservable =
  (client: Pick<ScalingEngineClient, 'scale'>): Scale =>
  (trigger) =>
    fromCall((signal) => client.scale(trigger, signal)).pipe(
      catchError((err: unknown) => of<ScaleReply>({ ok: false, error: `request failed: ${errorText(err)}` })),
    );
