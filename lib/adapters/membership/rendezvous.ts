/**
 * Rendezvous (highest-random-weight) hashing: every member scores every app, the highest score
 * owns it. When a member leaves only its own apps move; when one joins it takes about 1/n of the
 * apps, all from the others and all to itself.
 */
const FNV64_OFFSET = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;
const MASK64 = 0xffffffffffffffffn;
const encoder = new TextEncoder();

/** FNV-1a, 64-bit, over UTF-8 bytes. */
export const fnv1a64 = (text: string): bigint => {
  let h = FNV64_OFFSET;
  for (const byte of encoder.encode(text)) h = ((h ^ BigInt(byte)) * FNV64_PRIME) & MASK64;
  return h;
};

// FNV's last bytes barely reach the high bits; the MurmurHash3 finaliser spreads them so that
// scores of different members for the same app are independent.
const mix64 = (value: bigint): bigint => {
  let h = value;
  h = ((h ^ (h >> 33n)) * 0xff51afd7ed558ccdn) & MASK64;
  h = ((h ^ (h >> 33n)) * 0xc4ceb9fe1a85ec53n) & MASK64;
  return h ^ (h >> 33n);
};

/** The score of one member for one app; the NUL keeps ("ab","c") and ("a","bc") apart. */
const rendezvousWeight = (member: string, appId: string): bigint => mix64(fnv1a64(`${member}\0${appId}`));

/** The member that owns `appId`, or undefined when there are no members. Ties go to the smaller id. */
export const rendezvousOwner = (appId: string, members: readonly string[]): string | undefined => {
  let owner: string | undefined;
  let best = -1n;
  for (const member of members) {
    const weight = rendezvousWeight(member, appId);
    if (weight > best || (weight === best && owner !== undefined && member < owner)) {
      best = weight;
      owner = member;
    }
  }
  return owner;
};
