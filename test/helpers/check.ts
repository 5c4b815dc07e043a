/** Test helpers: seeded data, tolerance comparison that reports the worst entry. */
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import type { Kernels } from '../../src/backend/kernels.js';
import type { Layer } from '../../src/layers/layer.js';

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

/**
 * Finite-difference check of a built layer's backward pass on loss = Σ out ⊙ R (a random R:
 * all-ones would hide transposition bugs): every trainable weight's gradient and the input's
 * against central differences of step 1e-2, within float32 round-off (2e-3); a wrong gradient
 * is off by O(1). Non-trainable weights must get no gradient. The forward runs with `training`
 * and `mask` as given.
 */
export function checkLayerGradients(layer: Layer, c: { x: Float32Array; B: number; T: number; R: Float32Array; training?: boolean; mask?: Float32Array | null }, what: string): void {
  const STEP = 1e-2;
  const TOL = 2e-3;
  const { x, B, T, R } = c;
  const lossOf = (): number => {
    const out = layer.forward(x, B, T, c.training ?? true, c.mask ?? null);
    let s = 0;
    for (let i = 0; i < R.length; i++) s += out[i]! * R[i]!;
    return s;
  };
  for (const w of layer.weights) w.grad.fill(0);
  lossOf();
  const dx = layer.backward(R, B, T, true)!.slice(0, x.length);
  const numeric = (values: Float32Array): Float32Array => {
    const g = new Float32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      values[i] = v + STEP;
      const up = lossOf();
      values[i] = v - STEP;
      const down = lossOf();
      values[i] = v;
      g[i] = (up - down) / (2 * STEP);
    }
    return g;
  };
  for (const w of layer.weights) {
    if (w.trainable) assertClose(w.grad, numeric(w.value), TOL, TOL, `${what}: d${w.name}`);
    else assert.ok(w.grad.every((g) => g === 0), `${what}: ${w.name} gets no gradient`);
  }
  assertClose(dx, numeric(x), TOL, TOL, `${what}: dInput`);
}
