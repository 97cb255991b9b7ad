type Tags = Readonly<Record<string, string>>;

/** Equal tag maps: the same keys with the same values. Parsers often share one object, checked first. */
export const sameTags = (a: Tags, b: Tags): boolean => {
  if (a === b) return true;
  let n = 0;
  for (const key in a) {
    if (a[key] !== b[key] || !Object.hasOwn(b, key)) return false;
    n += 1;
  }
  for (const _ in b) n -= 1;
  return n === 0;
};
