/**
 * Seeded random numbers: the only source of randomness in rnnkit, so the same seed
 * gives the same numbers in Node and in browsers. xoshiro128** (32-bit state words,
 * exact in JS integer arithmetic) seeded through splitmix32.
 */
export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spareNormal = NaN;

  constructor(seed: number) {
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    // Mix in the high part of seeds beyond 32 bits so 2**32 + k differs from k.
    this.s0 ^= Math.floor(seed / 4294967296) >>> 0;
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in [lo, hi). */
  uniformIn(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** Standard normal (Box–Muller, both values used). */
  normal(): number {
    if (!Number.isNaN(this.spareNormal)) {
      const v = this.spareNormal;
      this.spareNormal = NaN;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T>(a: Int32Array | T[]): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

let globalRng = new Rng(Math.floor(Math.random() * 4294967296));

/**
 * Seed everything that has no seed of its own (layer initializers, fit's shuffling),
 * like keras.utils.set_random_seed: after setSeed(n) a script is reproducible.
 */
export function setSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0) throw new RangeError(`setSeed: seed must be a non-negative integer, got ${seed}`);
  globalRng = new Rng(seed);
}

/**
 * Run fn with the global generator seeded to `seed`, then put the caller's generator back,
 * its stream continuing as if fn had not run. Data-parallel fit builds a shard's replica
 * on the main thread this way, drawing what a worker thread would draw after setSeed.
 */
export function withGlobalSeed<T>(seed: number, fn: () => T): T {
  const saved = globalRng;
  globalRng = new Rng(seed);
  try {
    return fn();
  } finally {
    globalRng = saved;
  }
}

/** A fresh seed drawn from the global generator (for objects created without a seed). */
export function nextSeed(): number {
  return globalRng.nextUint32();
}

/** A 32-bit seed derived from two numbers (e.g. a fit seed and an epoch), well mixed. */
export function mixSeeds(a: number, b: number): number {
  return (Math.imul(a ^ 0x5bd1e995, 0x9e3779b1) + Math.imul(b + 1, 0x85ebca6b)) >>> 0;
}
