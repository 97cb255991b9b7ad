import type { SchedulerLike } from 'rxjs';

/** Nanosecond arithmetic. Timestamps are bigint end to end; scheduler clocks are milliseconds. */
export const NS_PER_MS = 1_000_000n;
export const NS_PER_SECOND = 1_000_000_000n;

export const msToNs = (ms: number): bigint => BigInt(Math.trunc(ms)) * NS_PER_MS + BigInt(Math.round((ms % 1) * 1e6));
export const secondsToNs = (seconds: number): bigint => BigInt(Math.round(seconds * 1000)) * NS_PER_MS;
/** Whole milliseconds (floor) of a nanosecond instant, for scheduling. */
export const nsToMs = (ns: bigint): number => Number(ns / NS_PER_MS);

/** The scheduler's clock in nanoseconds, so virtual time and wall time read the same way. */
export const nowNs = (scheduler: SchedulerLike): bigint => msToNs(scheduler.now());
