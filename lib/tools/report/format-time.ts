import { NS_PER_SECOND } from '../../core/time/ns.ts';

/** `2024-11-14 10:15:42` in UTC, whole seconds. */
export const formatUtc = (ns: bigint): string =>
  new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 19).replace('T', ' ');

/** `+1h05m20s` from the start of the recording. */
export const formatOffset = (ns: bigint, startNs: bigint): string => {
  const total = Number((ns - startNs) / NS_PER_SECOND);
  const sign = total < 0 ? '-' : '+';
  const abs = Math.abs(total);
  const h = Math.floor(abs / 3600);
  const m = Math.floor((abs % 3600) / 60);
  const s = abs % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${sign}${h}h${two(m)}m${two(s)}s` : `${sign}${m}m${two(s)}s`;
};
