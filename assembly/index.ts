/**
 * AssemblyScript source of rnnkit's WebAssembly SIMD kernels (compiled by
 * scripts/build-wasm.mjs into src/backend/wasm/kernelsWasm.ts; not part of the tsc
 * build). Every pointer is a byte offset into the imported memory, where the 'wasm'
 * backend keeps the arenas (src/backend/wasm/runtime.ts), so calls copy nothing. The
 * module keeps no state of its own: several instances (worker threads) may share one
 * memory.
 *
 * Built twice: with relaxed SIMD (`madd` is one fused multiply-add, about twice the
 * throughput where the engine has it) and without (separate mul and add). The two differ
 * only in rounding.
 */

import { lstmGatesCellForward } from './lstmCell';
import { tile1x8, tile4x8 } from './tiles';
import { HARD_SIGMOID, HARD_SIGMOID_LEGACY, LINEAR, RELU, SIGMOID, TANH, actGradv, actv, bcast, expv, f32at, lane, madd, sigmoidRationalv, tanhRationalv } from './simd';

// ---------------------------------------------------------------- GEMM

/** Block sizes: a [KC, NC] block of B (512 KiB) stays in L2 while every row block of A passes over it. */
const KC: i32 = 256;
const NC: i32 = 512;

/**
 *   C[M,N] (+)= A[M,K] · B[K,N]
 *
 * A element (i,k) is at a + 4·(i·sai + k·sak) — any strides, so a transposed A needs no
 * packing. B is row-major [K, ldb] (N contiguous columns), C row-major [M, ldc].
 * Micro-kernel: 4 rows × 8 columns of C in eight f32x4 accumulators; per k two vector
 * loads of B, four broadcast loads of A, eight multiply-adds. B is taken in [KC, NC]
 * blocks (each K slice accumulating into C) so it is reused from cache.
 */
export function gemm(M: i32, N: i32, K: i32, a: usize, sai: i32, sak: i32, b: usize, ldb: i32, c: usize, ldc: i32, accumulate: i32): void {
  if (K === 0) {
    if (!accumulate) for (let i = 0; i < M; i++) memory.fill(c + ((<usize>i * <usize>ldc) << 2), 0, <usize>N << 2);
    return;
  }
  for (let j0 = 0; j0 < N; j0 += NC) {
    const nc = min(NC, N - j0);
    for (let k0 = 0; k0 < K; k0 += KC) {
      const kc = min(KC, K - k0);
      const bk = b + ((<usize>k0 * <usize>ldb + <usize>j0) << 2);
      gemmSlice(M, nc, kc, a + ((<usize>k0 * <usize>sak) << 2), sai, sak, bk, ldb, c + (<usize>j0 << 2), ldc, accumulate !== 0 || k0 > 0);
    }
  }
}

/**
 * Row blocks outermost: four rows of A stay in L1 while the B slice streams from L2.
 * (Column blocks outermost, and 6×8 tiles, measured slower here: V8 spills the twelve
 * accumulators.)
 */
function gemmSlice(M: i32, N: i32, K: i32, a: usize, sai: i32, sak: i32, b: usize, ldb: i32, c: usize, ldc: i32, accumulate: bool): void {
  const sa = <usize>sai << 2;
  const sk = <usize>sak << 2;
  const sb = <usize>ldb << 2;
  const sc = <usize>ldc << 2;
  const n8 = N & ~7;
  const n4 = N & ~3;
  let i = 0;
  for (; i + 4 <= M; i += 4) {
    const ai = a + <usize>i * sa;
    const ci = c + <usize>i * sc;
    for (let j = 0; j < n8; j += 8) tile4x8(K, ai, sa, sk, b + (<usize>j << 2), sb, ci + (<usize>j << 2), sc, accumulate);
    if (n4 > n8) tile4x4(K, ai, sa, sk, b + (<usize>n8 << 2), sb, ci + (<usize>n8 << 2), sc, accumulate);
    if (N > n4) for (let r = 0; r < 4; r++) tileRowTail(K, ai + <usize>r * sa, sk, b + (<usize>n4 << 2), sb, ci + <usize>r * sc + (<usize>n4 << 2), N - n4, accumulate);
  }
  for (; i < M; i++) {
    const ai = a + <usize>i * sa;
    const ci = c + <usize>i * sc;
    let j = 0;
    for (; j + 24 <= n8; j += 24) tile1x24(K, ai, sk, b + (<usize>j << 2), sb, ci + (<usize>j << 2), accumulate);
    for (; j < n8; j += 8) tile1x8(K, ai, sk, b + (<usize>j << 2), sb, ci + (<usize>j << 2), accumulate);
    // Columns [n8, n4) in a vector and the last < 4 scalar, as the 4-row tiles do: each
    // column then rounds alike in both paths, also where madd is fused (relaxed SIMD).
    if (N > n8) tileRowTail(K, ai, sk, b + (<usize>n8 << 2), sb, ci + (<usize>n8 << 2), N - n8, accumulate);
  }
}

/**
 * C[1, 24] (+)= A[1, K] · B[K, 24]: the single-row (GEMV) kernel (streaming one sequence,
 * sampling), bound by reading B from L2. Six independent accumulators hide the add
 * latency; six, the broadcast and six loads fit V8's 15 usable vector registers;
 * a 1×32 tile (eight accumulators) spilled two vectors per k and ran 1.5× slower.
 */
@inline function tile1x24(K: i32, a0: usize, sk: usize, b: usize, sb: usize, c0: usize, accumulate: bool): void {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0);
  let s3 = f32x4.splat(0), s4 = f32x4.splat(0), s5 = f32x4.splat(0);
  if (accumulate) {
    s0 = v128.load(c0); s1 = v128.load(c0, 16); s2 = v128.load(c0, 32);
    s3 = v128.load(c0, 48); s4 = v128.load(c0, 64); s5 = v128.load(c0, 80);
  }
  let pb = b;
  let pa: usize = 0;
  for (let k = 0; k < K; k++) {
    const x = bcast(a0 + pa);
    s0 = madd(x, v128.load(pb), s0); s1 = madd(x, v128.load(pb, 16), s1);
    s2 = madd(x, v128.load(pb, 32), s2); s3 = madd(x, v128.load(pb, 48), s3);
    s4 = madd(x, v128.load(pb, 64), s4); s5 = madd(x, v128.load(pb, 80), s5);
    pb += sb;
    pa += sk;
  }
  v128.store(c0, s0); v128.store(c0, s1, 16); v128.store(c0, s2, 32);
  v128.store(c0, s3, 48); v128.store(c0, s4, 64); v128.store(c0, s5, 80);
}

@inline function tile4x4(K: i32, a0: usize, sa: usize, sk: usize, b: usize, sb: usize, c0: usize, sc: usize, accumulate: bool): void {
  const a1 = a0 + sa;
  const a2 = a1 + sa;
  const a3 = a2 + sa;
  const c1 = c0 + sc;
  const c2 = c1 + sc;
  const c3 = c2 + sc;
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
  if (accumulate) {
    s0 = v128.load(c0); s1 = v128.load(c1); s2 = v128.load(c2); s3 = v128.load(c3);
  }
  let pb = b;
  let pa: usize = 0;
  for (let k = 0; k < K; k++) {
    const y = v128.load(pb);
    s0 = madd(bcast(a0 + pa), y, s0);
    s1 = madd(bcast(a1 + pa), y, s1);
    s2 = madd(bcast(a2 + pa), y, s2);
    s3 = madd(bcast(a3 + pa), y, s3);
    pb += sb;
    pa += sk;
  }
  v128.store(c0, s0); v128.store(c1, s1); v128.store(c2, s2); v128.store(c3, s3);
}

/**
 * The last n < 8 columns of one row of C: the first four in a vector where n ≥ 4, the rest
 * (< 4) scalar, each column's sum over k in order — so each rounds as the 4-row tiles round it
 * (tile4x4, and this for their scalar tail), also where madd is fused. One k loop for all of
 * them: at one row the sums are bound by the add's latency, and summed one after another (the
 * vector, then column by column) they took most of a sampled character's Dense(30) (columns
 * 24–29); side by side their adds overlap (charlm sampling at batch 1 +4%).
 */
function tileRowTail(K: i32, a0: usize, sk: usize, b: usize, sb: usize, c0: usize, n: i32, accumulate: bool): void {
  const vec = n >= 4;
  const o: usize = vec ? 16 : 0; // where the scalar columns start, in bytes
  const m = n - (vec ? 4 : 0);
  let v = vec && accumulate ? v128.load(c0) : f32x4.splat(0);
  let s0: f32 = m > 0 && accumulate ? f32at(c0 + o) : 0;
  let s1: f32 = m > 1 && accumulate ? f32at(c0 + o + 4) : 0;
  let s2: f32 = m > 2 && accumulate ? f32at(c0 + o + 8) : 0;
  let pb = b;
  let pa: usize = 0;
  for (let k = 0; k < K; k++) {
    const x = f32at(a0 + pa);
    if (vec) v = madd(f32x4.splat(x), v128.load(pb), v);
    if (m > 0) s0 += x * f32at(pb + o);
    if (m > 1) s1 += x * f32at(pb + o + 4);
    if (m > 2) s2 += x * f32at(pb + o + 8);
    pb += sb;
    pa += sk;
  }
  if (vec) v128.store(c0, v);
  if (m > 0) store<f32>(c0 + o, s0);
  if (m > 1) store<f32>(c0 + o + 4, s1);
  if (m > 2) store<f32>(c0 + o + 8, s2);
}

@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/** Σ_k a[k]·b[k] over K contiguous floats: four lanes, then the tail. */
@inline function dot(a: usize, b: usize, K: i32): f32 {
  let v = f32x4.splat(0);
  let k = 0;
  for (; k + 4 <= K; k += 4) v = madd(v128.load(a + (<usize>k << 2)), v128.load(b + (<usize>k << 2)), v);
  let s = hsum(v);
  for (; k < K; k++) s += f32at(a + (<usize>k << 2)) * f32at(b + (<usize>k << 2));
  return s;
}

/**
 *   C[M,N] (+)= A[M,K] · B[N,K]ᵀ   (A row-major [M, lda], B row-major [N, ldb])
 *
 * Both operands K-contiguous, so no transposed copy of B: each C entry is a dot product.
 * Tile 2 rows × 4 columns: eight f32x4 partial sums along k (two loads of A, four of B,
 * eight multiply-adds per four k), each summed across lanes at the end. Used for the
 * backward products with a weight matrix (dh·Uᵀ every step, dx = dz·Wᵀ).
 */
export function gemmNT(M: i32, N: i32, K: i32, a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, accumulate: i32): void {
  const sa = <usize>lda << 2;
  const sb = <usize>ldb << 2;
  const sc = <usize>ldc << 2;
  const k4 = K & ~3;
  let i = 0;
  for (; i + 2 <= M; i += 2) {
    const a0 = a + <usize>i * sa;
    const a1 = a0 + sa;
    const c0 = c + <usize>i * sc;
    const c1 = c0 + sc;
    let j = 0;
    for (; j + 4 <= N; j += 4) {
      const b0 = b + <usize>j * sb;
      const b1 = b0 + sb;
      const b2 = b1 + sb;
      const b3 = b2 + sb;
      let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s02 = f32x4.splat(0), s03 = f32x4.splat(0);
      let s10 = f32x4.splat(0), s11 = f32x4.splat(0), s12 = f32x4.splat(0), s13 = f32x4.splat(0);
      for (let k = 0; k < k4; k += 4) {
        const q = <usize>k << 2;
        const x0 = v128.load(a0 + q);
        const x1 = v128.load(a1 + q);
        let y = v128.load(b0 + q);
        s00 = madd(x0, y, s00); s10 = madd(x1, y, s10);
        y = v128.load(b1 + q);
        s01 = madd(x0, y, s01); s11 = madd(x1, y, s11);
        y = v128.load(b2 + q);
        s02 = madd(x0, y, s02); s12 = madd(x1, y, s12);
        y = v128.load(b3 + q);
        s03 = madd(x0, y, s03); s13 = madd(x1, y, s13);
      }
      let r00 = hsum(s00), r01 = hsum(s01), r02 = hsum(s02), r03 = hsum(s03);
      let r10 = hsum(s10), r11 = hsum(s11), r12 = hsum(s12), r13 = hsum(s13);
      for (let k = k4; k < K; k++) {
        const q = <usize>k << 2;
        const x0 = f32at(a0 + q), x1 = f32at(a1 + q);
        const y0 = f32at(b0 + q), y1 = f32at(b1 + q), y2 = f32at(b2 + q), y3 = f32at(b3 + q);
        r00 += x0 * y0; r01 += x0 * y1; r02 += x0 * y2; r03 += x0 * y3;
        r10 += x1 * y0; r11 += x1 * y1; r12 += x1 * y2; r13 += x1 * y3;
      }
      const jo = <usize>j << 2;
      if (accumulate) {
        r00 += f32at(c0 + jo); r01 += f32at(c0 + jo + 4); r02 += f32at(c0 + jo + 8); r03 += f32at(c0 + jo + 12);
        r10 += f32at(c1 + jo); r11 += f32at(c1 + jo + 4); r12 += f32at(c1 + jo + 8); r13 += f32at(c1 + jo + 12);
      }
      store<f32>(c0 + jo, r00); store<f32>(c0 + jo + 4, r01); store<f32>(c0 + jo + 8, r02); store<f32>(c0 + jo + 12, r03);
      store<f32>(c1 + jo, r10); store<f32>(c1 + jo + 4, r11); store<f32>(c1 + jo + 8, r12); store<f32>(c1 + jo + 12, r13);
    }
    for (; j < N; j++) {
      const bj = b + <usize>j * sb;
      const jo = <usize>j << 2;
      store<f32>(c0 + jo, dot(a0, bj, K) + (accumulate ? f32at(c0 + jo) : 0));
      store<f32>(c1 + jo, dot(a1, bj, K) + (accumulate ? f32at(c1 + jo) : 0));
    }
  }
  for (; i < M; i++) {
    const ai = a + <usize>i * sa;
    const ci = c + <usize>i * sc;
    for (let j = 0; j < N; j++) {
      const jo = <usize>j << 2;
      store<f32>(ci + jo, dot(ai, b + <usize>j * sb, K) + (accumulate ? f32at(ci + jo) : 0));
    }
  }
}

/** out[c, r] = src[r, c] for a [rows, cols] block with row stride ld (out is [cols, rows]). */
export function transpose(out: usize, src: usize, ld: i32, rows: i32, cols: i32): void {
  for (let r0 = 0; r0 < rows; r0 += 16) {
    const r1 = min(rows, r0 + 16);
    for (let c = 0; c < cols; c++) {
      const o = out + ((<usize>c * <usize>rows) << 2);
      for (let r = r0; r < r1; r++) store<f32>(o + (<usize>r << 2), f32at(src + ((<usize>r * <usize>ld + <usize>c) << 2)));
    }
  }
}

// ---------------------------------------------------------------- activations

/** Whether `act` has a kernel here. */
export function hasActivation(act: i32): i32 {
  return i32(act === LINEAR || act === TANH || act === SIGMOID || act === HARD_SIGMOID || act === RELU || act === HARD_SIGMOID_LEGACY);
}

/** y = act(x) over `rows` rows of `cols` values, rows `ld` floats apart in both. */
export function activationForward(act: i32, y: usize, x: usize, rows: i32, cols: i32, ld: i32): void {
  // Constant activation ids for the common ones, so actv's switch folds (simd.ts: SPECIALIZED).
  if (act === TANH) activationForwardBody(TANH, y, x, rows, cols, ld);
  else if (act === SIGMOID) activationForwardBody(SIGMOID, y, x, rows, cols, ld);
  else if (act === RELU) activationForwardBody(RELU, y, x, rows, cols, ld);
  else activationForwardBody(act, y, x, rows, cols, ld);
}

@inline function activationForwardBody(act: i32, y: usize, x: usize, rows: i32, cols: i32, ld: i32): void {
  const stride = <usize>ld << 2;
  for (let r = 0; r < rows; r++) {
    const xo = x + <usize>r * stride;
    const yo = y + <usize>r * stride;
    let j = 0;
    for (; j + 4 <= cols; j += 4) v128.store(yo + (<usize>j << 2), actv(act, v128.load(xo + (<usize>j << 2))));
    for (; j < cols; j++) store<f32>(yo + (<usize>j << 2), lane(actv(act, f32x4.splat(f32at(xo + (<usize>j << 2))))));
  }
}

/**
 * y = the rational tanh (act TANH) or sigmoid (act SIGMOID) of simd.ts over n contiguous floats,
 * for the tests that state their error (test/wasmRationalTanh.test.ts) and for measuring them.
 * No kernel uses them: they are not within 2 ulp of tanh (see tanhRationalv), and the measured
 * gain was 3–4% of an LSTM(128) training pass. They are kept out of actv, whose switch every
 * activation pass runs per vector: two more cases there slowed the linear and sigmoid passes.
 */
export function activationRational(act: i32, y: usize, x: usize, n: i32): void {
  let j = 0;
  if (act === TANH) {
    for (; j + 4 <= n; j += 4) v128.store(y + (<usize>j << 2), tanhRationalv(v128.load(x + (<usize>j << 2))));
    for (; j < n; j++) store<f32>(y + (<usize>j << 2), lane(tanhRationalv(f32x4.splat(f32at(x + (<usize>j << 2))))));
  } else if (act === SIGMOID) {
    for (; j + 4 <= n; j += 4) v128.store(y + (<usize>j << 2), sigmoidRationalv(v128.load(x + (<usize>j << 2))));
    for (; j < n; j++) store<f32>(y + (<usize>j << 2), lane(sigmoidRationalv(f32x4.splat(f32at(x + (<usize>j << 2))))));
  }
}

/**
 * y = softmax(x) along each of `rows` rows of `cols` values (rows `cols` apart; y may
 * alias x): e^(x − row max), then scaled by 1/Σ. A row holding NaN gives NaN, as in
 * the TypeScript kernel.
 */
export function softmaxForward(y: usize, x: usize, rows: i32, cols: i32): void {
  const rb = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const xo = x + <usize>r * rb;
    const yo = y + <usize>r * rb;
    let mv = f32x4.splat(-Infinity);
    let j = 0;
    for (; j + 4 <= cols; j += 4) mv = f32x4.max(mv, v128.load(xo + (<usize>j << 2)));
    let m = max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
    for (; j < cols; j++) m = max(m, f32at(xo + (<usize>j << 2)));
    const mvs = f32x4.splat(m);
    let sv = f32x4.splat(0);
    j = 0;
    for (; j + 4 <= cols; j += 4) {
      const e = expv(f32x4.sub(v128.load(xo + (<usize>j << 2)), mvs));
      v128.store(yo + (<usize>j << 2), e);
      sv = f32x4.add(sv, e);
    }
    let sum = f32x4.extract_lane(sv, 0) + f32x4.extract_lane(sv, 1) + f32x4.extract_lane(sv, 2) + f32x4.extract_lane(sv, 3);
    for (; j < cols; j++) {
      const e = lane(expv(f32x4.splat(f32at(xo + (<usize>j << 2)) - m)));
      store<f32>(yo + (<usize>j << 2), e);
      sum += e;
    }
    const inv = <f32>1 / sum;
    const iv = f32x4.splat(inv);
    j = 0;
    for (; j + 4 <= cols; j += 4) v128.store(yo + (<usize>j << 2), f32x4.mul(v128.load(yo + (<usize>j << 2)), iv));
    for (; j < cols; j++) store<f32>(yo + (<usize>j << 2), f32at(yo + (<usize>j << 2)) * inv);
  }
}

/** Softmax's activation id (Act.softmax in src/backend/ts/activation.ts): a row-wise activation, not in actv. */
const SOFTMAX = 10;

/**
 * Dense forward in one call: pre = x · kernel (+ bias), out = act(pre) — softmax row by
 * row — for `rows` rows (bias 0: none; out may be pre for the identity). The same gemm,
 * addBias and activation calls the wrapper made one by one, so the same numbers; one call
 * instead of three counts when a stream samples one character per step.
 */
export function denseForward(act: i32, rows: i32, I: i32, O: i32, x: usize, kernel: usize, bias: usize, pre: usize, out: usize): void {
  gemm(rows, O, I, x, I, 1, kernel, O, pre, O, 0);
  if (bias !== 0) addBias(pre, bias, rows, O);
  if (act === SOFTMAX) softmaxForward(out, pre, rows, O);
  else if (act !== LINEAR || out !== pre) activationForward(act, out, pre, rows, O, O);
}

/** dx = dy ⊙ act'(x) (x the input, y the output), same layout as activationForward; dx may alias dy. */
export function activationBackward(act: i32, dx: usize, dy: usize, x: usize, y: usize, rows: i32, cols: i32, ld: i32): void {
  // Constant activation ids for the common ones, so actv's switch folds (simd.ts: SPECIALIZED).
  if (act === TANH) activationBackwardBody(TANH, dx, dy, x, y, rows, cols, ld);
  else if (act === SIGMOID) activationBackwardBody(SIGMOID, dx, dy, x, y, rows, cols, ld);
  else if (act === RELU) activationBackwardBody(RELU, dx, dy, x, y, rows, cols, ld);
  else activationBackwardBody(act, dx, dy, x, y, rows, cols, ld);
}

@inline function activationBackwardBody(act: i32, dx: usize, dy: usize, x: usize, y: usize, rows: i32, cols: i32, ld: i32): void {
  const stride = <usize>ld << 2;
  for (let r = 0; r < rows; r++) {
    const o = <usize>r * stride;
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const q = o + (<usize>j << 2);
      v128.store(dx + q, actGradv(act, v128.load(dy + q), v128.load(x + q), v128.load(y + q)));
    }
    for (; j < cols; j++) {
      const q = o + (<usize>j << 2);
      store<f32>(dx + q, lane(actGradv(act, f32x4.splat(f32at(dy + q)), f32x4.splat(f32at(x + q)), f32x4.splat(f32at(y + q)))));
    }
  }
}

// ---------------------------------------------------------------- LSTM cell (gate order i, f, c, o)

/**
 * One step after the gate activations: c = f ⊙ cPrev + i ⊙ g, cAct = act(c),
 * h = o ⊙ cAct, for B rows. gates rows are 4H apart; cPrev, c, cAct, h are [B, H].
 */
export function lstmCellForward(B: i32, H: i32, act: i32, gates: usize, cPrev: usize, c: usize, cAct: usize, h: usize): void {
  // Constant activation ids for the common ones, so actv's switch folds (simd.ts: SPECIALIZED).
  if (act === TANH) lstmCellForwardBody(B, H, TANH, gates, cPrev, c, cAct, h);
  else lstmCellForwardBody(B, H, act, gates, cPrev, c, cAct, h);
}

@inline function lstmCellForwardBody(B: i32, H: i32, act: i32, gates: usize, cPrev: usize, c: usize, cAct: usize, h: usize): void {
  const G = <usize>(4 * H) << 2;
  const hb = <usize>H << 2;
  for (let b = 0; b < B; b++) {
    const g = gates + <usize>b * G;
    const r = <usize>b * hb;
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const q = <usize>j << 2;
      const cv = madd(v128.load(g + hb + q), v128.load(cPrev + r + q), f32x4.mul(v128.load(g + q), v128.load(g + 2 * hb + q)));
      const av = actv(act, cv);
      v128.store(c + r + q, cv);
      v128.store(cAct + r + q, av);
      v128.store(h + r + q, f32x4.mul(v128.load(g + 3 * hb + q), av));
    }
    for (; j < H; j++) {
      const q = <usize>j << 2;
      const cv = f32at(g + hb + q) * f32at(cPrev + r + q) + f32at(g + q) * f32at(g + 2 * hb + q);
      const av = lane(actv(act, f32x4.splat(cv)));
      store<f32>(c + r + q, cv);
      store<f32>(cAct + r + q, av);
      store<f32>(h + r + q, f32at(g + 3 * hb + q) * av);
    }
  }
}

/**
 * One inference step of B streams in one call (sampling, stream.step): the same
 * operations in the same order as a step of the time loop — x·kernel, + bias,
 * + h·recurrentKernel, gate activations, cell update — with the carried h and c
 * updated in place. gates [B, 4H] and cAct [B, H] are scratch; bias 0 means none.
 */
export function lstmStep(B: i32, I: i32, H: i32, act: i32, ract: i32, x: usize, kernel: usize, recurrentKernel: usize, bias: usize, h: usize, c: usize, gates: usize, cAct: usize): void {
  const G = 4 * H;
  gemm(B, G, I, x, I, 1, kernel, G, gates, G, 0);
  if (bias !== 0) addBias(gates, bias, B, G);
  lstmStepRecurrent(B, H, act, ract, recurrentKernel, h, c, gates, cAct);
}

/**
 * lstmStep with the input product looked up instead of computed: row b of the gates
 * starts as row ids[b] (an index stored as a float, already checked by the Embedding
 * layer) of `table` [vocab, 4H], which holds embedding row · kernel + bias made by the
 * same gemm and addBias calls as lstmStep's, so the numbers are lstmStep's exactly.
 * What is left per step is the recurrent product (a stream of an Embedding → LSTM model).
 */
export function lstmStepProjected(B: i32, H: i32, act: i32, ract: i32, ids: usize, table: usize, recurrentKernel: usize, h: usize, c: usize, gates: usize, cAct: usize): void {
  const rowBytes = <usize>(4 * H) << 2;
  for (let b = 0; b < B; b++) {
    const id = <usize>(<i32>f32at(ids + (<usize>b << 2)));
    memory.copy(gates + <usize>b * rowBytes, table + id * rowBytes, rowBytes);
  }
  lstmStepRecurrent(B, H, act, ract, recurrentKernel, h, c, gates, cAct);
}

/** The rest of a step once gates holds x·kernel + bias: + h·recurrentKernel, the gate activations, the cell update. */
@inline function lstmStepRecurrent(B: i32, H: i32, act: i32, ract: i32, recurrentKernel: usize, h: usize, c: usize, gates: usize, cAct: usize): void {
  const G = 4 * H;
  gemm(B, G, H, h, H, 1, recurrentKernel, G, gates, G, 1);
  // One pass over the gates (assembly/lstmCell.ts) instead of three activation passes and the
  // cell's: the same operations per element, so the same bits. c is cPrev and c at once: each
  // element's cPrev is read before its c is written.
  lstmGatesCellForward(B, H, act, ract, gates, gates, c, c, cAct, h);
}

/**
 * One step backward up to the gate activations. dh, dc: gradients reaching h_s, c_s
 * ([B, H]); writes the gate-output gradients di, df, dg, do into dPre (rows 4H apart)
 * and dcNext = dc_total ⊙ f (flowing to step s−1).
 *   dc_total = dc + dh ⊙ o ⊙ act'(c);  di = dc_total ⊙ g;  df = dc_total ⊙ cPrev;
 *   dg = dc_total ⊙ i;  do = dh ⊙ cAct
 */
export function lstmCellBackward(B: i32, H: i32, act: i32, dPre: usize, dcNext: usize, dh: usize, dc: usize, gates: usize, cPrev: usize, c: usize, cAct: usize): void {
  // Constant activation ids for the common ones, so actv's switch folds (simd.ts: SPECIALIZED).
  if (act === TANH) lstmCellBackwardBody(B, H, TANH, dPre, dcNext, dh, dc, gates, cPrev, c, cAct);
  else lstmCellBackwardBody(B, H, act, dPre, dcNext, dh, dc, gates, cPrev, c, cAct);
}

@inline function lstmCellBackwardBody(B: i32, H: i32, act: i32, dPre: usize, dcNext: usize, dh: usize, dc: usize, gates: usize, cPrev: usize, c: usize, cAct: usize): void {
  const G = <usize>(4 * H) << 2;
  const hb = <usize>H << 2;
  for (let b = 0; b < B; b++) {
    const g = gates + <usize>b * G;
    const d = dPre + <usize>b * G;
    const r = <usize>b * hb;
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const q = <usize>j << 2;
      const dhv = v128.load(dh + r + q);
      const av = v128.load(cAct + r + q);
      const dcs = f32x4.add(v128.load(dc + r + q), actGradv(act, f32x4.mul(dhv, v128.load(g + 3 * hb + q)), v128.load(c + r + q), av));
      v128.store(d + q, f32x4.mul(dcs, v128.load(g + 2 * hb + q)));
      v128.store(d + hb + q, f32x4.mul(dcs, v128.load(cPrev + r + q)));
      v128.store(d + 2 * hb + q, f32x4.mul(dcs, v128.load(g + q)));
      v128.store(d + 3 * hb + q, f32x4.mul(dhv, av));
      v128.store(dcNext + r + q, f32x4.mul(dcs, v128.load(g + hb + q)));
    }
    for (; j < H; j++) {
      const q = <usize>j << 2;
      const dhv = f32at(dh + r + q);
      const av = f32at(cAct + r + q);
      const dcs = f32at(dc + r + q) + lane(actGradv(act, f32x4.splat(dhv * f32at(g + 3 * hb + q)), f32x4.splat(f32at(c + r + q)), f32x4.splat(av)));
      store<f32>(d + q, dcs * f32at(g + 2 * hb + q));
      store<f32>(d + hb + q, dcs * f32at(cPrev + r + q));
      store<f32>(d + 2 * hb + q, dcs * f32at(g + q));
      store<f32>(d + 3 * hb + q, dhv * av);
      store<f32>(dcNext + r + q, dcs * f32at(g + hb + q));
    }
  }
}

// ---------------------------------------------------------------- bias

/** y[r, :] += bias for `rows` rows of `cols`. */
export function addBias(y: usize, bias: usize, rows: i32, cols: i32): void {
  const rb = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const o = y + <usize>r * rb;
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const q = <usize>j << 2;
      v128.store(o + q, f32x4.add(v128.load(o + q), v128.load(bias + q)));
    }
    for (; j < cols; j++) {
      const q = <usize>j << 2;
      store<f32>(o + q, f32at(o + q) + f32at(bias + q));
    }
  }
}

/** dBias += Σ_r dy[r, :] (rows summed in order, as the TypeScript kernel does, but in f32). */
export function biasGrad(dBias: usize, dy: usize, rows: i32, cols: i32): void {
  const rb = <usize>cols << 2;
  let j = 0;
  for (; j + 4 <= cols; j += 4) {
    const q = <usize>j << 2;
    let s = f32x4.splat(0);
    for (let r = 0; r < rows; r++) s = f32x4.add(s, v128.load(dy + <usize>r * rb + q));
    v128.store(dBias + q, f32x4.add(v128.load(dBias + q), s));
  }
  for (; j < cols; j++) {
    const q = <usize>j << 2;
    let s: f32 = 0;
    for (let r = 0; r < rows; r++) s += f32at(dy + <usize>r * rb + q);
    store<f32>(dBias + q, f32at(dBias + q) + s);
  }
}

// ---------------------------------------------------------------- optimizer

/** Two f32 at p as f64x2. */
@inline function load2(p: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(p));
}

/** Two f64 lanes rounded to f32 and stored at p. */
@inline function store2(p: usize, x: v128): void {
  v128.store64_lane(p, f32x4.demote_f64x2_zero(x), 0);
}

/**
 * Adam (Keras rule, see src/optimizers/adam.ts) on elements [lo, hi): in f64 with the
 * moments rounded to f32 where the TypeScript rule rounds them (Math.fround), so the
 * results are the same bit for bit. hyper holds f64 alpha, 1 − β1, 1 − β2, ε (doubles
 * passed as arguments would be boxed by the JavaScript caller). vHat 0: no AMSGrad.
 */
export function adamUpdate(params: usize, grads: usize, m: usize, v: usize, vHat: usize, lo: i32, hi: i32, hyper: usize): void {
  const alpha = f64x2.splat(load<f64>(hyper));
  const c1 = f64x2.splat(load<f64>(hyper, 8));
  const c2 = f64x2.splat(load<f64>(hyper, 16));
  const eps = f64x2.splat(load<f64>(hyper, 24));
  let i = lo;
  for (; i + 2 <= hi; i += 2) {
    const q = <usize>i << 2;
    const g = load2(grads + q);
    const m0 = load2(m + q);
    const v0 = load2(v + q);
    // Round to f32 and back: the stored moment is what the update uses.
    const mi = f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(f64x2.add(m0, f64x2.mul(f64x2.sub(g, m0), c1))));
    const vi = f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(f64x2.add(v0, f64x2.mul(f64x2.sub(f64x2.mul(g, g), v0), c2))));
    store2(m + q, mi);
    store2(v + q, vi);
    let denomV = vi;
    if (vHat !== 0) {
      denomV = f64x2.max(load2(vHat + q), vi);
      store2(vHat + q, denomV);
    }
    const step = f64x2.div(f64x2.mul(mi, alpha), f64x2.add(f64x2.sqrt(denomV), eps));
    store2(params + q, f64x2.sub(load2(params + q), step));
  }
  for (; i < hi; i++) {
    const q = <usize>i << 2;
    const g = <f64>load<f32>(grads + q);
    const m0 = <f64>load<f32>(m + q);
    const v0 = <f64>load<f32>(v + q);
    const mi = <f64><f32>(m0 + (g - m0) * f64x2.extract_lane(c1, 0));
    const vi = <f64><f32>(v0 + (g * g - v0) * f64x2.extract_lane(c2, 0));
    store<f32>(m + q, <f32>mi);
    store<f32>(v + q, <f32>vi);
    let denomV = vi;
    if (vHat !== 0) {
      denomV = max(<f64>load<f32>(vHat + q), vi);
      store<f32>(vHat + q, <f32>denomV);
    }
    const p = <f64>load<f32>(params + q);
    store<f32>(params + q, <f32>(p - (mi * f64x2.extract_lane(alpha, 0)) / (Math.sqrt(denomV) + f64x2.extract_lane(eps, 0))));
  }
}

// ---------------------------------------------------------------- GRU cell, resetAfter (gate order z, r, h)

/**
 * One step after mh = hPrev·U: mh += b_h (when hasBias), z, r = ract(pre_zr + mh_zr)
 * (pre_zr updated to the sum), pre_h += r ⊙ mh_h, hh = act(pre_h),
 * h = z ⊙ hPrev + (1 − z) ⊙ hh. pre, gates, mh rows are 3H apart; hPrev, h are [B, H].
 */
export function gruCellForward(B: i32, H: i32, act: i32, ract: i32, pre: usize, gates: usize, mh: usize, biasH: usize, hasBias: i32, hPrev: usize, h: usize): void {
  // Constant activation ids for the common ones, so actv's switch folds (simd.ts: SPECIALIZED).
  if (act === TANH && ract === SIGMOID) gruCellForwardBody(B, H, TANH, SIGMOID, pre, gates, mh, biasH, hasBias, hPrev, h);
  else gruCellForwardBody(B, H, act, ract, pre, gates, mh, biasH, hasBias, hPrev, h);
}

@inline function gruCellForwardBody(B: i32, H: i32, act: i32, ract: i32, pre: usize, gates: usize, mh: usize, biasH: usize, hasBias: i32, hPrev: usize, h: usize): void {
  const G = <usize>(3 * H) << 2;
  const hb = <usize>H << 2;
  for (let b = 0; b < B; b++) {
    const p = pre + <usize>b * G;
    const g = gates + <usize>b * G;
    const m = mh + <usize>b * G;
    const r = <usize>b * hb;
    if (hasBias) {
      let q: usize = 0;
      for (; q + 16 <= G; q += 16) v128.store(m + q, f32x4.add(v128.load(m + q), v128.load(biasH + q)));
      for (; q < G; q += 4) store<f32>(m + q, f32at(m + q) + f32at(biasH + q));
    }
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const q = <usize>j << 2;
      const pz = f32x4.add(v128.load(p + q), v128.load(m + q));
      const pr = f32x4.add(v128.load(p + hb + q), v128.load(m + hb + q));
      const z = actv(ract, pz);
      const rr = actv(ract, pr);
      const ph = madd(rr, v128.load(m + 2 * hb + q), v128.load(p + 2 * hb + q));
      const hh = actv(act, ph);
      v128.store(p + q, pz); v128.store(p + hb + q, pr); v128.store(p + 2 * hb + q, ph);
      v128.store(g + q, z); v128.store(g + hb + q, rr); v128.store(g + 2 * hb + q, hh);
      v128.store(h + r + q, madd(z, f32x4.sub(v128.load(hPrev + r + q), hh), hh));
    }
    for (; j < H; j++) {
      const q = <usize>j << 2;
      const pz = f32at(p + q) + f32at(m + q);
      const pr = f32at(p + hb + q) + f32at(m + hb + q);
      const z = lane(actv(ract, f32x4.splat(pz)));
      const rr = lane(actv(ract, f32x4.splat(pr)));
      const ph = rr * f32at(m + 2 * hb + q) + f32at(p + 2 * hb + q);
      const hh = lane(actv(act, f32x4.splat(ph)));
      store<f32>(p + q, pz); store<f32>(p + hb + q, pr); store<f32>(p + 2 * hb + q, ph);
      store<f32>(g + q, z); store<f32>(g + hb + q, rr); store<f32>(g + 2 * hb + q, hh);
      store<f32>(h + r + q, z * (f32at(hPrev + r + q) - hh) + hh);
    }
  }
}

/**
 * One step backward through the cell: from dh (reaching h_s) writes dPre (input-side
 * pre-activation gradients z, r, h), dPreH (gradients of mh: z, r as dPre, h scaled
 * by r) and dhNext = dh ⊙ z (the direct path to h_{s−1}).
 */
export function gruCellBackward(B: i32, H: i32, act: i32, ract: i32, dPre: usize, dPreH: usize, dhNext: usize, dh: usize, pre: usize, gates: usize, mh: usize, hPrev: usize): void {
  // Constant activation ids for the common ones, so actv's switch folds (simd.ts: SPECIALIZED).
  if (act === TANH && ract === SIGMOID) gruCellBackwardBody(B, H, TANH, SIGMOID, dPre, dPreH, dhNext, dh, pre, gates, mh, hPrev);
  else gruCellBackwardBody(B, H, act, ract, dPre, dPreH, dhNext, dh, pre, gates, mh, hPrev);
}

@inline function gruCellBackwardBody(B: i32, H: i32, act: i32, ract: i32, dPre: usize, dPreH: usize, dhNext: usize, dh: usize, pre: usize, gates: usize, mh: usize, hPrev: usize): void {
  const G = <usize>(3 * H) << 2;
  const hb = <usize>H << 2;
  for (let b = 0; b < B; b++) {
    const o = <usize>b * G;
    const r = <usize>b * hb;
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const q = <usize>j << 2;
      const z = v128.load(gates + o + q);
      const rr = v128.load(gates + o + hb + q);
      const hh = v128.load(gates + o + 2 * hb + q);
      const d = v128.load(dh + r + q);
      const dph = actGradv(act, f32x4.sub(d, f32x4.mul(d, z)), v128.load(pre + o + 2 * hb + q), hh);
      const dpz = actGradv(ract, f32x4.mul(d, f32x4.sub(v128.load(hPrev + r + q), hh)), v128.load(pre + o + q), z);
      const dpr = actGradv(ract, f32x4.mul(dph, v128.load(mh + o + 2 * hb + q)), v128.load(pre + o + hb + q), rr);
      v128.store(dPre + o + q, dpz); v128.store(dPre + o + hb + q, dpr); v128.store(dPre + o + 2 * hb + q, dph);
      v128.store(dPreH + o + q, dpz); v128.store(dPreH + o + hb + q, dpr); v128.store(dPreH + o + 2 * hb + q, f32x4.mul(dph, rr));
      v128.store(dhNext + r + q, f32x4.mul(d, z));
    }
    for (; j < H; j++) {
      const q = <usize>j << 2;
      const z = f32at(gates + o + q);
      const rr = f32at(gates + o + hb + q);
      const hh = f32at(gates + o + 2 * hb + q);
      const d = f32at(dh + r + q);
      const dph = lane(actGradv(act, f32x4.splat(d - d * z), f32x4.splat(f32at(pre + o + 2 * hb + q)), f32x4.splat(hh)));
      const dpz = lane(actGradv(ract, f32x4.splat(d * (f32at(hPrev + r + q) - hh)), f32x4.splat(f32at(pre + o + q)), f32x4.splat(z)));
      const dpr = lane(actGradv(ract, f32x4.splat(dph * f32at(mh + o + 2 * hb + q)), f32x4.splat(f32at(pre + o + hb + q)), f32x4.splat(rr)));
      store<f32>(dPre + o + q, dpz); store<f32>(dPre + o + hb + q, dpr); store<f32>(dPre + o + 2 * hb + q, dph);
      store<f32>(dPreH + o + q, dpz); store<f32>(dPreH + o + hb + q, dpr); store<f32>(dPreH + o + 2 * hb + q, dph * rr);
      store<f32>(dhNext + r + q, d * z);
    }
  }
}

export * from './cells'; // the GRU cell for resetAfter = false (assembly/cells.ts)
export * from './sample'; // one call per sampling step (assembly/sample.ts)
export * from './packed'; // the GEMM on B packed in 8-column panels (assembly/packed.ts)
export * from './lstmCell'; // the LSTM step's activations and cell update in one pass (assembly/lstmCell.ts)
