/** A seeded pseudo-random source (mulberry32), so a generated sample is the same on every run. */
export interface Prng {
  /** Uniform in [0, 1). */
  next(): number;
  between(low: number, high: number): number;
  /** Integer in [low, high]. */
  int(low: number, high: number): number;
  /** Centred noise in (-amplitude, amplitude), bell-shaped (mean of three uniforms). */
  noise(amplitude: number): number;
  /** A version-4-shaped GUID built from this source. */
  guid(): string;
}

export const createPrng = (seed: number): Prng => {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(next() * 16).toString(16)).join('');
  return {
    next,
    between: (low, high) => low + (high - low) * next(),
    int: (low, high) => low + Math.floor(next() * (high - low + 1)),
    noise: (amplitude) => ((next() + next() + next()) / 1.5 - 1) * amplitude,
    guid: () => `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[Math.floor(next() * 4)]}${hex(3)}-${hex(12)}`,
  };
};

/** A piecewise-linear load profile: [seconds from start, value] points, flat before and after. */
export const profile =
  (points: readonly (readonly [number, number])[]) =>
  (seconds: number): number => {
    const first = points[0]!;
    if (seconds <= first[0]) return first[1];
    for (let i = 1; i < points.length; i += 1) {
      const [t1, v1] = points[i]!;
      const [t0, v0] = points[i - 1]!;
      if (seconds <= t1) return t1 === t0 ? v1 : v0 + ((v1 - v0) * (seconds - t0)) / (t1 - t0);
    }
    return points[points.length - 1]![1];
  };
