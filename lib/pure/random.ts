// Seeded pseudo-random numbers for generated data: same seed, same sequence, on every platform.
// sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 128-bit state) seeded through
// splitmix32, so that neighbouring seeds (group 1, group 2, …) give unrelated streams.
// Pure code: no Node imports, no clock, no Math.random.

/** A deterministic stream of pseudo-random values. Not for cryptography. */
export interface Random {
  /** A uniform unsigned 32-bit integer. */
  uint32(): number;
  /** A uniform float in [0, 1). */
  float(): number;
  /** A uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  /** One element of a non-empty list, uniformly. */
  pick<T>(items: readonly T[]): T;
  /** `true` with probability `probability`. */
  chance(probability: number): boolean;
}

const UINT32 = 0x1_0000_0000;

/**
 * Hashes seed parts (numbers or strings) into one unsigned 32-bit seed: `hashSeed(seed, 'group', 3)`.
 * FNV-1a over the parts' text with a separator, finished by a murmur3 avalanche.
 */
export function hashSeed(...parts: readonly (number | string)[]): number {
  let hash = 0x811c9dc5;
  for (const part of parts) {
    const text = `${typeof part}:${String(part)}\u0000`;
    for (let index = 0; index < text.length; index += 1) {
      hash ^= text.charCodeAt(index);
      hash = Math.imul(hash, 0x01000193);
    }
  }
  return mix32(hash);
}

/** murmur3's 32-bit finaliser: a cheap bijective avalanche of one word. */
export function mix32(value: number): number {
  let word = value >>> 0;
  word ^= word >>> 16;
  word = Math.imul(word, 0x85ebca6b);
  word ^= word >>> 13;
  word = Math.imul(word, 0xc2b2ae35);
  word ^= word >>> 16;
  return word >>> 0;
}

/** A generator for `seed`; a string or several parts go through `hashSeed` first. */
export function createRandom(...seed: readonly (number | string)[]): Random {
  let splitState = hashSeed(...seed);
  const splitmix32 = (): number => {
    splitState = (splitState + 0x9e3779b9) | 0;
    let word = splitState;
    word = Math.imul(word ^ (word >>> 16), 0x21f0aaad);
    word = Math.imul(word ^ (word >>> 15), 0x735a2d97);
    return (word ^ (word >>> 15)) >>> 0;
  };
  let a = splitmix32();
  let b = splitmix32();
  let c = splitmix32();
  let counter = splitmix32();

  const uint32 = (): number => {
    const result = (((a + b) | 0) + counter) | 0;
    counter = (counter + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + result) | 0;
    return result >>> 0;
  };
  // Discard the first outputs: sfc32's state needs a few rounds to mix.
  for (let round = 0; round < 12; round += 1) uint32();

  const float = (): number => uint32() / UINT32;
  const int = (min: number, max: number): number => {
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max < min) {
      throw new RangeError(`int(${min}, ${max}): bounds must be integers with min <= max`);
    }
    return min + Math.floor(float() * (max - min + 1));
  };
  const pick = <T>(items: readonly T[]): T => {
    if (items.length === 0) throw new RangeError('pick: the list is empty');
    return items[Math.floor(float() * items.length)] as T;
  };
  const chance = (probability: number): boolean => float() < probability;

  return { uint32, float, int, pick, chance };
}

/**
 * A keyed bijection of [0, 10^12): four Feistel rounds over two base-10^6 halves. Maps distinct
 * indexes to distinct, random-looking 12-digit numbers (zero-padded), so generated ids are unique
 * without remembering the ones already issued.
 */
export function createIdPermutation12(...seed: readonly (number | string)[]): (index: number) => string {
  const half = 1_000_000;
  const random = createRandom(...seed, 'id-permutation-12');
  const keys = [random.uint32(), random.uint32(), random.uint32(), random.uint32()];
  return (index: number): string => {
    if (!Number.isSafeInteger(index) || index < 0 || index >= half * half) {
      throw new RangeError(`id index ${index} is outside [0, 10^12)`);
    }
    let left = Math.floor(index / half);
    let right = index % half;
    for (const key of keys) {
      const next = (left + (mix32(right ^ key) % half)) % half;
      left = right;
      right = next;
    }
    return String(half + left).slice(1) + String(half + right).slice(1);
  };
}
