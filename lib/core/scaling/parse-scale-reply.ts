import { decode, parseKeepingNumbers } from '../policy/go-json.ts';
import type { DecodedObject, Shape } from '../policy/go-json.ts';
import type { ScaleReply } from '../model/scale-reply.ts';
import { errorText } from '../error-text.ts';

const resultShape: Shape = {
  fields: { app_id: 'string', status: 'int', adjustment: 'int', cool_down_expired_at: 'int' },
};

const WRONG_RESPONSE = 'received wrong response';

/**
 * Reads a 200 reply as the anchor decodes an AppScalingResult
 * (docs/anchor-compatibility.md#scaling-engine): a body that does not decode into that object is a
 * failure; `null` is a success without cooldown (the anchor crashes on it).
 */
export const parseScaleReply = (status: number, body: string): ScaleReply => {
  let doc: unknown;
  try {
    doc = decode(parseKeepingNumbers(body), resultShape);
  } catch (err) {
    return { ok: false, status, error: `${WRONG_RESPONSE}: ${errorText(err)}` };
  }
  if (doc === undefined) return { ok: true, status };
  const r = doc as DecodedObject;
  const big = (v: unknown): bigint | undefined => (typeof v === 'bigint' ? v : undefined);
  const cooldown = big(r.cool_down_expired_at);
  const adjustment = big(r.adjustment);
  const scalingStatus = big(r.status);
  return {
    ok: true,
    status,
    ...(cooldown !== undefined ? { cooldownExpiredAt: cooldown } : {}),
    ...(adjustment !== undefined ? { adjustment: Number(adjustment) } : {}),
    ...(scalingStatus !== undefined ? { scalingStatus: Number(scalingStatus) } : {}),
  };
};
