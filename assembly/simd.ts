/**
 * AssemblyScript: the SIMD helpers every kernel file shares (imported by assembly/index.ts,
 * the module's entry, and assembly/cells.ts). Nothing here is a module export: an entry
 * file's exports become the module's, and a function that takes or returns v128 cannot
 * be called from JavaScript. All are inlined where they are used.
 */

@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

@inline export function f32at(p: usize): f32 {
  return load<f32>(p);
}

@inline export function bcast(p: usize): v128 {
  return v128.load32_splat(p);
}

// ---------------------------------------------------------------- activations

// Activation ids: the same numbers as Act in src/backend/ts/activation.ts. The ones below
// are computed here; the caller keeps the others in TypeScript.
export const LINEAR = 0;
export const TANH = 1;
export const SIGMOID = 2;
export const HARD_SIGMOID = 3;
export const RELU = 4;
export const HARD_SIGMOID_LEGACY = 11;


/**
 * e^x, Cephes' expf scheme: x = n·ln2 + r with |r| ≤ ln2/2, a degree-6 polynomial for
 * e^r, 2^n through the exponent bits. |x| is clamped to 88 (e^88 is finite in f32;
 * below −88 the result flushes to 0, which sigmoid and tanh never notice). ~1 ulp.
 */
@inline export function expv(x: v128): v128 {
  // pmax/pmin are single instructions (min/max add NaN fix-ups); x first keeps NaN NaN.
  x = f32x4.pmin(f32x4.pmax(x, f32x4.splat(-88.0)), f32x4.splat(88.0));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504088896341)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = madd(p, r, f32x4.splat(1.3981999507e-3));
  p = madd(p, r, f32x4.splat(8.3334519073e-3));
  p = madd(p, r, f32x4.splat(4.1665795894e-2));
  p = madd(p, r, f32x4.splat(1.6666665459e-1));
  p = madd(p, r, f32x4.splat(5.0000001201e-1));
  p = madd(p, f32x4.mul(r, r), f32x4.add(r, f32x4.splat(1)));
  // 2^n: n + 1.5·2^23 holds n + 127 in its low mantissa bits (one add instead of the
  // saturating conversion's fix-ups); shift them into the exponent.
  const scale = i32x4.shl(i32x4.sub(f32x4.add(n, f32x4.splat(12582912.0 + 127.0)), f32x4.splat(12582912.0)), 23);
  return f32x4.mul(p, scale);
}

@inline export function sigmoidv(x: v128): v128 {
  return f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), expv(f32x4.neg(x))));
}

/** tanh: odd polynomial (Cephes tanhf) for |x| < 0.625, else 1 − 2/(e^{2|x|} + 1) with x's sign. */
@inline export function tanhv(x: v128): v128 {
  const ax = f32x4.abs(x);
  const z = f32x4.mul(x, x);
  let p = f32x4.splat(-5.70498872745e-3);
  p = madd(p, z, f32x4.splat(2.06390887954e-2));
  p = madd(p, z, f32x4.splat(-5.37397155531e-2));
  p = madd(p, z, f32x4.splat(1.33314422036e-1));
  p = madd(p, z, f32x4.splat(-3.33332819422e-1));
  const small = madd(f32x4.mul(p, z), x, x);
  const e = expv(f32x4.add(ax, ax));
  const big = f32x4.sub(f32x4.splat(1), f32x4.div(f32x4.splat(2), f32x4.add(e, f32x4.splat(1))));
  const signed = v128.or(big, v128.and(x, f32x4.splat(-0.0)));
  return v128.bitselect(small, signed, f32x4.lt(ax, f32x4.splat(0.625)));
}

/**
 * tanh as one rational function, x·P(x²)/Q(x²) with P of degree 6 and Q of degree 3 in x²
 * (13/6 in x), x clamped to ±9 and the result to ±1: 15 vector operations and one division,
 * no exp and no select between two branches. The coefficients are our own minimax fit of the
 * relative error on [0, 9.1] (differential correction; 7.4e-9 in float64), rounded to f32.
 *
 * Error, measured over every positive float32 below 20 (it is odd exactly: every operation
 * commutes with x → −x) on the plain SIMD build: at most 6.32 ulp of the exact result, 3.77e-7
 * absolute and relative, worst near x = 7 where the result is just below 1 (tanhv: 1.3 ulp);
 * with madd fused (the relaxed build) 4.5 ulp on a sample of one float32 in 97.
 * What costs the ulps is evaluating P and Q in float32 at x² up to 81, where they reach ~36 and
 * ~325, not the fit: 15/6 and 13/8 fits (~1e-9) gave 6.0 and 6.1 ulp on a sample. So it misses
 * the 2 ulp Keras-exact numerics would need, and no kernel uses it: activationRational (index.ts) runs it
 * for test/wasmRationalTanh.test.ts, which asserts ≤ 6.5 ulp and 4e-7 relative on a sweep of
 * [−20, 20]. Speed, CPU time against tanhv on this machine: 0.88 against 1.92 ns per element;
 * 0.59× the fused LSTM gates pass; an LSTM(128) training pass 0.96×, GRU(128) 0.97×,
 * LSTM(512) unchanged (the activations are ~7%, ~5% and ~2% of those passes).
 * Near 0 the result is x (below ~1e-4 exactly x; subnormals too), ±0 keep their sign, NaN stays
 * NaN, ±Inf give ±1.
 */
@inline export function tanhRationalv(x: v128): v128 {
  // pmax/pmin with x first keep NaN (as in expv).
  x = f32x4.pmin(f32x4.pmax(x, f32x4.splat(-9.0)), f32x4.splat(9.0));
  const z = f32x4.mul(x, x);
  let p = f32x4.splat(-8.228488013574745e-14);
  p = madd(p, z, f32x4.splat(5.1776988946317104e-11));
  p = madd(p, z, f32x4.splat(-2.001916499239087e-8));
  p = madd(p, z, f32x4.splat(1.1103932592959609e-5));
  p = madd(p, z, f32x4.splat(0.003099162597209215));
  p = madd(p, z, f32x4.splat(0.13079725205898285));
  p = madd(p, z, f32x4.splat(1.0));
  let q = f32x4.splat(0.00025391517556272447);
  q = madd(q, z, f32x4.splat(0.024476109072566032));
  q = madd(q, z, f32x4.splat(0.4641305208206177));
  q = madd(q, z, f32x4.splat(1.0));
  const y = f32x4.div(f32x4.mul(x, p), q);
  // Float32 rounding can land a hair above 1; |y| ≤ 1 keeps 1 − y² (the backward) ≥ 0.
  return f32x4.pmin(f32x4.pmax(y, f32x4.splat(-1.0)), f32x4.splat(1.0));
}

/**
 * sigmoid(x) = (1 + tanh(x/2))/2 through tanhRationalv: within 2.1e-7 absolute (measured on one
 * float32 in 5 of [−20, 20]), but with no relative accuracy in the far-negative tail, where
 * 1 + tanh cancels (sigmoid(−17) ≈ 4e-8 comes out 0 or 6e-8); sigmoidv keeps 3 ulp there.
 * 1.09 against sigmoidv's 1.32 ns per element: too little to pay for that.
 */
@inline export function sigmoidRationalv(x: v128): v128 {
  return madd(tanhRationalv(f32x4.mul(x, f32x4.splat(0.5))), f32x4.splat(0.5), f32x4.splat(0.5));
}

/**
 * SPECIALIZED: a kernel whose loop calls actv or actGradv with the ids it was given runs the
 * switch below on every vector, and V8 keeps that control flow in the loop (values move through
 * memory around it). The exported kernels therefore call their loop (an @inline body) once with
 * the ids of the common activations as constants — tanh/sigmoid for the recurrent cells, tanh,
 * sigmoid and relu for the elementwise passes — where the switch folds away, and once with the
 * ids as given for the rest: the same operations on each element, so the same bits. Measured:
 * the fused LSTM gates pass at batch 64 −29%, LSTM(128) prediction +12%, batch-1 sampling +10%.
 */
@inline export function actv(act: i32, x: v128): v128 {
  switch (act) {
    case TANH: return tanhv(x);
    case SIGMOID: return sigmoidv(x);
    case HARD_SIGMOID: return f32x4.min(f32x4.splat(1), f32x4.max(f32x4.splat(0), madd(x, f32x4.splat(<f32>1 / 6), f32x4.splat(0.5))));
    case HARD_SIGMOID_LEGACY: return f32x4.min(f32x4.splat(1), f32x4.max(f32x4.splat(0), madd(x, f32x4.splat(0.2), f32x4.splat(0.5))));
    case RELU: return f32x4.max(x, f32x4.splat(0));
    default: return x;
  }
}

/** act'(x)·dy, from the output y where that is cheaper (tanh, sigmoid), else from x. */
@inline export function actGradv(act: i32, dy: v128, x: v128, y: v128): v128 {
  switch (act) {
    case TANH: return f32x4.mul(dy, f32x4.sub(f32x4.splat(1), f32x4.mul(y, y)));
    case SIGMOID: return f32x4.mul(f32x4.mul(dy, y), f32x4.sub(f32x4.splat(1), y));
    case HARD_SIGMOID:
      return v128.and(f32x4.mul(dy, f32x4.splat(<f32>1 / 6)), v128.and(f32x4.gt(x, f32x4.splat(-3)), f32x4.lt(x, f32x4.splat(3))));
    case HARD_SIGMOID_LEGACY:
      return v128.and(f32x4.mul(dy, f32x4.splat(0.2)), v128.and(f32x4.gt(x, f32x4.splat(-2.5)), f32x4.lt(x, f32x4.splat(2.5))));
    case RELU: return v128.and(dy, f32x4.gt(x, f32x4.splat(0)));
    default: return dy;
  }
}

/** One lane through the vector code, so tails round exactly like the body. */
@inline export function lane(v: v128): f32 {
  return f32x4.extract_lane(v, 0);
}
