/** Test helpers: seeded data, tolerance comparison that reports the worst entry. */
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import type { Kernels } from '../../src/backend/kernels.js';

export function randomArray(n: number, rng: Rng, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniformIn(lo, hi);
  return a;
}

/**
 * Assert |a − b| ≤ atol + rtol·|b| elementwise; on failure say where the worst
 * difference is and show the first values.
 */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} vs ${expected.length}`);
  let worst = -1;
  let worstExcess = 0;
  let maxDiff = 0;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    maxDiff = Math.max(maxDiff, d);
    const excess = d - (atol + rtol * Math.abs(expected[i]!));
    if (excess > worstExcess || Number.isNaN(d)) {
      worstExcess = Number.isNaN(d) ? Infinity : excess;
      worst = i;
    }
  }
  if (worst >= 0) {
    const head = (v: ArrayLike<number>): string => Array.from(v).slice(0, 6).map((x) => x.toPrecision(6)).join(', ');
    assert.fail(
      `${what}: max |diff| ${maxDiff.toExponential(3)}; worst at index ${worst}: got ${actual[worst]}, expected ${expected[worst]} (rtol ${rtol}, atol ${atol})\n` +
        `  got      [${head(actual)} …]\n  expected [${head(expected)} …]`,
    );
  }
}

/** Largest |a − b| / max(|b|, floor). */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-3): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), floor));
  return m;
}

/**
 * Run `body` with the kernel `name` of `k` wrapped to count the calls that took the work
 * (returned true: the fused or WebAssembly path ran rather than a fallback); the kernel
 * is restored afterwards. Returns body's result and the count.
 */
export function countTaken<T>(k: Kernels, name: 'lstmStep' | 'lstmStepProjected' | 'adamUpdate', body: () => T): { result: T; taken: number } {
  const kernel = k[name] as (...args: unknown[]) => boolean;
  let taken = 0;
  (k as unknown as Record<string, unknown>)[name] = (...args: unknown[]): boolean => {
    const took = kernel(...args);
    if (took) taken++;
    return took;
  };
  try {
    return { result: body(), taken };
  } finally {
    (k as unknown as Record<string, unknown>)[name] = kernel;
  }
}
