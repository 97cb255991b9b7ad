/**
 * Go duration strings (`300ms`, `40s`, `1h30m`, `1.5h`, `-2m`), as accepted by Go's time.ParseDuration,
 * so that config files written for the anchor load unchanged. Only `0` may go without a unit.
 */
const NS_PER_UNIT: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5 micro sign
  μs: 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const MAX_NS = 2n ** 63n - 1n;

/** Parses a Go duration string and returns milliseconds (fractions kept for sub-millisecond units). */
export const parseGoDuration = (text: string): number => {
  const quoted = JSON.stringify(text);
  const invalid = () => new Error(`time: invalid duration ${quoted}`);
  let rest = text;
  const negative = rest.startsWith('-');
  if (negative || rest.startsWith('+')) rest = rest.slice(1);
  if (rest === '0') return 0;
  if (rest === '') throw invalid();
  let total = 0n;
  while (rest !== '') {
    const number = /^(\d*)(?:\.(\d*))?/.exec(rest);
    const whole = number?.[1] ?? '';
    const fraction = number?.[2] ?? '';
    if (whole === '' && fraction === '') throw invalid();
    rest = rest.slice(number?.[0].length ?? 0);
    const unitText = /^[^\d.]+/.exec(rest)?.[0];
    if (unitText === undefined) throw new Error(`time: missing unit in duration ${quoted}`);
    const unit = NS_PER_UNIT[unitText];
    if (unit === undefined) throw new Error(`time: unknown unit ${JSON.stringify(unitText)} in duration ${quoted}`);
    rest = rest.slice(unitText.length);
    total += BigInt(whole || '0') * unit;
    if (fraction !== '') total += (BigInt(fraction) * unit) / 10n ** BigInt(fraction.length);
    if (total > MAX_NS + (negative ? 1n : 0n)) throw invalid();
  }
  const ms = Number(total / 1_000_000n) + Number(total % 1_000_000n) / 1e6;
  return negative ? -ms : ms;
};
