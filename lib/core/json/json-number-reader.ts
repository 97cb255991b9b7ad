const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
/** Exact powers of ten: an integer of at most 15 digits divided by one rounds once, as Number() does. */
const POWERS = Array.from({ length: 23 }, (_v, i) => 10 ** i);

/** Reads JSON numbers straight from bytes, as `Number()` reads their text (the byte scanners' shared piece). */
export interface JsonNumberReader {
  /** The JSON number at `at` (before `limit`), or undefined when there is none; its end goes to `end`. */
  read(b: Buffer, at: number, limit: number): number | undefined;
  /** Where the number the last successful `read` found ends. */
  end: number;
}

export const createJsonNumberReader = (): JsonNumberReader => {
  const reader: JsonNumberReader = {
    end: 0,
    read(b, at, limit) {
      let i = at;
      if (b[i] === MINUS) i++;
      const intStart = i;
      while (i < limit && b[i]! >= ZERO && b[i]! <= NINE) i++;
      const intDigits = i - intStart;
      if (intDigits === 0 || (intDigits > 1 && b[intStart] === ZERO)) return undefined;
      let fracDigits = 0;
      if (b[i] === DOT) {
        i++;
        const fracStart = i;
        while (i < limit && b[i]! >= ZERO && b[i]! <= NINE) i++;
        fracDigits = i - fracStart;
        if (fracDigits === 0) return undefined;
      }
      const c = b[i];
      if (c === 0x65 || c === 0x45) {
        // An exponent: rare; the engine's own conversion reads it.
        i++;
        if (b[i] === 0x2b || b[i] === MINUS) i++;
        const expStart = i;
        while (i < limit && b[i]! >= ZERO && b[i]! <= NINE) i++;
        if (i === expStart) return undefined;
        reader.end = i;
        return Number(b.toString('latin1', at, i));
      }
      reader.end = i;
      // Many digits (a bare integer too long for a double converts alike from its bigint): the engine's conversion.
      if (intDigits + fracDigits > 15) return Number(b.toString('latin1', at, i));
      // Up to 15 digits are an exact integer, and dividing it by an exact power of ten rounds once,
      // correctly: the value the engine's own conversion gives.
      let m = 0;
      for (let j = intStart; j < i; j++) {
        const d = b[j]!;
        if (d !== DOT) m = m * 10 + (d - ZERO);
      }
      const value = fracDigits === 0 ? m : m / POWERS[fracDigits]!;
      return b[at] === MINUS ? -value : value;
    },
  };
  return reader;
};
