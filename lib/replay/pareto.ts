/** A point of the cost-versus-pressure plane. */
export interface Scored {
  readonly instanceHours: number;
  readonly pressureSecs: number;
  readonly flaps: number;
}

const dominates = (a: Scored, b: Scored): boolean =>
  a.instanceHours <= b.instanceHours &&
  a.pressureSecs <= b.pressureSecs &&
  (a.instanceHours < b.instanceHours || a.pressureSecs < b.pressureSecs);

/** Indexes of the candidates no other candidate beats on both cost and pressure (equal points all stay). */
export const paretoFront = (scores: readonly Scored[]): number[] => {
  const front: number[] = [];
  for (let i = 0; i < scores.length; i += 1)
    if (!scores.some((other, j) => j !== i && dominates(other, scores[i]!))) front.push(i);
  return front;
};

/** Cheapest first; then less pressure, fewer flaps, and the earlier candidate. */
export const byCost =
  (scores: readonly Scored[]) =>
  (i: number, j: number): number => {
    const a = scores[i]!;
    const b = scores[j]!;
    return a.instanceHours - b.instanceHours || a.pressureSecs - b.pressureSecs || a.flaps - b.flaps || i - j;
  };

export interface Recommendation {
  readonly index: number;
  /** True when a candidate on the front stays within the pressure limit. */
  readonly withinLimit: boolean;
}

/**
 * The cheapest candidate on the front whose time under pressure is within `maxPressureSecs`; when
 * none is, the front's candidate with the least pressure.
 */
export const recommend = (
  scores: readonly Scored[],
  front: readonly number[],
  maxPressureSecs: number,
): Recommendation => {
  const order = byCost(scores);
  const within = front.filter((i) => scores[i]!.pressureSecs <= maxPressureSecs).sort(order);
  if (within.length > 0) return { index: within[0]!, withinLimit: true };
  const least = [...front].sort((i, j) => scores[i]!.pressureSecs - scores[j]!.pressureSecs || order(i, j));
  return { index: least[0]!, withinLimit: false };
};
