/** A loggregator v2 envelope as log-cache returns it, reduced to the parts this service reads. */
export interface GaugeValue {
  readonly unit: string;
  readonly value: number;
}

export interface Timer {
  readonly name: string;
  readonly start: bigint;
  readonly stop: bigint;
}

export interface Counter {
  readonly name: string;
  readonly delta: bigint;
  readonly total: bigint;
}

export interface Envelope {
  /** Nanoseconds since the epoch. */
  readonly timestamp: bigint;
  readonly sourceId: string;
  readonly instanceId: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly gauge?: Readonly<Record<string, GaugeValue>>;
  readonly timer?: Timer;
  readonly counter?: Counter;
}

/** One per-instance value derived from an envelope (anchor: AppInstanceMetric). */
export interface InstanceSample {
  readonly appId: string;
  readonly instanceIndex: number;
  readonly name: string;
  readonly unit: string;
  /** Base-10 integer text after `ceil`, or NaN/+Inf text that later fails integer parsing. */
  readonly value: string;
  readonly timestamp: bigint;
  readonly collectedAt: bigint;
}

/** One read of an app's envelopes (a log-cache read, all pages). */
export interface EnvelopeRead {
  readonly envelopes: Envelope[];
  /** Envelopes that could not be read, by position in the batch; the rest of the batch is kept. */
  readonly rejected: { readonly index: number; readonly reason: string }[];
}

/**
 * What a live envelope stream (the RLP gateway) yields, in order: `open` once the gateway has
 * accepted it, then batches as they come. `malformed` is stream data that could not be read at all
 * (the stream goes on); `closing` is the gateway saying it is about to end the stream (its stream
 * timeout). The stream completes when the gateway ends it.
 */
export type StreamItem =
  | { readonly kind: 'open' }
  | ({ readonly kind: 'batch' } & EnvelopeRead)
  | { readonly kind: 'malformed'; readonly reason: string }
  | { readonly kind: 'closing'; readonly reason: string };
