import type { Envelope } from '../model/envelope.ts';
import { sameTags } from './same-tags.ts';

const sameGauge = (a: Envelope['gauge'], b: Envelope['gauge']): boolean => {
  if (a === undefined || b === undefined) return a === b;
  let n = 0;
  for (const key in a) {
    const x = a[key]!;
    const y = b[key];
    // Object.is: a NaN gauge re-delivered is still the same envelope.
    if (y === undefined || !Object.is(x.value, y.value) || x.unit !== y.unit) return false;
    n += 1;
  }
  for (const _ in b) n -= 1;
  return n === 0;
};

/**
 * Whether two envelopes are the same emission delivered twice: same source, instance, timestamp,
 * message and tags. Written without allocating, as it runs for every envelope that shares a
 * timestamp with one already buffered.
 */
export const sameEnvelope = (a: Envelope, b: Envelope): boolean => {
  if (a === b) return true;
  if (a.timestamp !== b.timestamp || a.instanceId !== b.instanceId || a.sourceId !== b.sourceId) return false;
  if (!sameGauge(a.gauge, b.gauge)) return false;
  const ta = a.timer;
  const tb = b.timer;
  if (
    ta !== tb &&
    (ta === undefined || tb === undefined || ta.name !== tb.name || ta.start !== tb.start || ta.stop !== tb.stop)
  )
    return false;
  const ca = a.counter;
  const cb = b.counter;
  if (
    ca !== cb &&
    (ca === undefined || cb === undefined || ca.name !== cb.name || ca.delta !== cb.delta || ca.total !== cb.total)
  )
    return false;
  return sameTags(a.tags, b.tags);
};
