/**
 * The rational tanh and sigmoid of assembly/simd.ts (tanhRationalv, sigmoidRationalv; run through
 * the test-only export activationRational) against Math in float64, over the float32 range: every
 * 401st float32 in [−20, 20] by bit pattern (5.5 million values: every binade from the subnormals
 * up, each stepped finely; 401 is odd, so the low mantissa bits vary too), then the extremes,
 * ±0, ±Inf, NaN and subnormals. The bounds asserted are the ones stated in simd.ts, measured
 * there over every float32 below 20 for tanh and one in five for sigmoid (RNNKIT_SWEEP_STRIDE=1
 * runs every one here). Beside them the exp-based
 * tanhv/sigmoidv, which every kernel uses, are held to their own (tighter) bounds, so the test
 * also says what the rational ones would give up. And the backward from the rational forward's
 * outputs (1 − y², y(1 − y)) is the kernels' one formula on those outputs.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { Rng } from '../src/core/rng.js';
import { addr, residentAlloc, wasmRuntime, wasmSupported } from '../src/backend/wasm/runtime.js';
import { Act } from '../src/backend/ts/activation.js';

const skip = (process.env.RNNKIT_BACKEND === 'ts' && 'the TypeScript pass of the suite (the wasm pass runs this)') || (!wasmSupported() && 'WebAssembly SIMD not available');

/** Which function a sweep runs: the rational ones (activationRational) or the kernels' own (activationForward). */
type Fn = 'tanh rational' | 'sigmoid rational' | 'tanh' | 'sigmoid';
function apply(fn: Fn, y: number, x: number, n: number): void {
  const k = wasmRuntime().kernels;
  if (fn === 'tanh rational') k.activationRational(Act.tanh, y, x, n);
  else if (fn === 'sigmoid rational') k.activationRational(Act.sigmoid, y, x, n);
  else k.activationForward(fn === 'tanh' ? Act.tanh : Act.sigmoid, y, x, 1, n, n);
}

/** The stated bounds (assembly/simd.ts). */
const TANH_RATIONAL_ULP = 6.5;
const TANH_RATIONAL_REL = 4e-7;
const SIGMOID_RATIONAL_ABS = 2.5e-7;
/** The exp-based kernels, for contrast: what the default path keeps. */
const TANH_EXP_ULP = 2;
const SIGMOID_EXP_ULP = 3;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const bitsOf = (x: number): number => ((f32[0] = x), u32[0]!);

/** Spacing of float32 at |t| (t exact, in float64): 2^(e−23) for |t| in [2^e, 2^(e+1)), 2^−149 below 2^−126. */
function ulpAt(t: number): number {
  const a = Math.abs(t);
  if (a < 2 ** -126) return 2 ** -149;
  return 2 ** (Math.floor(Math.log2(a)) - 23);
}

interface Sweep { maxUlp: number; atUlp: number; maxAbs: number; maxRel: number; atRel: number; outOfRange: number; count: number }

/**
 * act over the float32s with bit patterns lo, lo + stride, … ≤ hi (one sign), in chunks through
 * activationForward; errors against `exact` (float64). Relative error where the exact value is at
 * least `relFrom` in magnitude.
 */
function sweep(fn: Fn, sign: 1 | -1, hiBits: number, stride: number, exact: (x: number) => number, relFrom: number, range: [number, number]): Sweep {
  const CH = 1 << 20;
  const xb = residentAlloc(CH), yb = residentAlloc(CH);
  const xu = new Uint32Array(xb.buffer, xb.byteOffset, CH);
  const s: Sweep = { maxUlp: 0, atUlp: NaN, maxAbs: 0, maxRel: 0, atRel: NaN, outOfRange: 0, count: 0 };
  const signBit = sign < 0 ? 0x80000000 : 0;
  for (let b = 0; b <= hiBits; ) {
    let n = 0;
    for (; n < CH && b <= hiBits; n++, b += stride) xu[n] = (b | signBit) >>> 0;
    apply(fn, addr(yb), addr(xb), n);
    for (let i = 0; i < n; i++) {
      const x = xb[i]!, y = yb[i]!, t = exact(x);
      const d = Math.abs(y - t);
      const u = d / ulpAt(t);
      if (u > s.maxUlp) (s.maxUlp = u), (s.atUlp = x);
      if (d > s.maxAbs) s.maxAbs = d;
      if (Math.abs(t) >= relFrom && t !== 0 && d / Math.abs(t) > s.maxRel) (s.maxRel = d / Math.abs(t)), (s.atRel = x);
      if (!(y >= range[0] && y <= range[1])) s.outOfRange++;
    }
    s.count += n;
  }
  return s;
}

function run(fn: Fn, xs: number[]): Float32Array {
  const x = residentAlloc(xs.length), y = residentAlloc(xs.length);
  x.set(xs);
  apply(fn, addr(y), addr(x), xs.length);
  return Float32Array.from(y);
}

const STRIDE = Number(process.env.RNNKIT_SWEEP_STRIDE ?? 401);
const HI20 = bitsOf(20);
const tanhExact = (x: number): number => Math.tanh(x);
const sigmoidExact = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
const fmt = (s: Sweep): string => `${s.count} values: max ${s.maxUlp.toFixed(2)} ulp at ${s.atUlp}, max abs ${s.maxAbs.toExponential(2)}, max rel ${s.maxRel.toExponential(2)} at ${s.atRel}`;

describe('rational tanh/sigmoid (assembly/simd.ts) over the float32 range', { skip }, () => {
  it(`tanh: within ${TANH_RATIONAL_ULP} ulp and ${TANH_RATIONAL_REL} relative of Math.tanh on one float32 in every ${STRIDE} (by bit pattern) in [−20, 20]; |y| ≤ 1; the exp-based tanh within ${TANH_EXP_ULP} ulp`, () => {
    for (const sign of [1, -1] as const) {
      const r = sweep('tanh rational', sign, HI20, STRIDE, tanhExact, 0, [-1, 1]);
      if (process.env.RNNKIT_SWEEP_REPORT) console.log(`tanh rational, sign ${sign}: ${fmt(r)}`);
      assert.ok(r.maxUlp <= TANH_RATIONAL_ULP, `rational tanh: ${fmt(r)}`);
      assert.ok(r.maxRel <= TANH_RATIONAL_REL, `rational tanh: ${fmt(r)}`);
      assert.equal(r.outOfRange, 0, 'rational tanh left [−1, 1]');
      const e = sweep('tanh', sign, HI20, STRIDE * 3, tanhExact, 0, [-1, 1]);
      if (process.env.RNNKIT_SWEEP_REPORT) console.log(`tanh exp-based, sign ${sign}: ${fmt(e)}`);
      assert.ok(e.maxUlp <= TANH_EXP_ULP, `exp-based tanh: ${fmt(e)}`);
    }
  });

  it(`sigmoid: within ${SIGMOID_RATIONAL_ABS} absolute of 1/(1 + e^−x) on [−20, 20], in [0, 1]; the exp-based sigmoid within ${SIGMOID_EXP_ULP} ulp (relative, also in the far-negative tail)`, () => {
    for (const sign of [1, -1] as const) {
      const r = sweep('sigmoid rational', sign, HI20, STRIDE, sigmoidExact, Infinity, [0, 1]);
      if (process.env.RNNKIT_SWEEP_REPORT) console.log(`sigmoid rational, sign ${sign}: ${fmt(r)}`);
      assert.ok(r.maxAbs <= SIGMOID_RATIONAL_ABS, `rational sigmoid: ${fmt(r)}`);
      assert.equal(r.outOfRange, 0, 'rational sigmoid left [0, 1]');
      const e = sweep('sigmoid', sign, HI20, STRIDE * 3, sigmoidExact, 0, [0, 1]);
      if (process.env.RNNKIT_SWEEP_REPORT) console.log(`sigmoid exp-based, sign ${sign}: ${fmt(e)}`);
      assert.ok(e.maxUlp <= SIGMOID_EXP_ULP, `exp-based sigmoid: ${fmt(e)}`);
    }
    // The tail the rational sigmoid gives up: e^−17 ≈ 4e-8 is below its absolute error.
    const [tail] = run('sigmoid', [-17]);
    assert.ok(Math.abs(tail! / sigmoidExact(-17) - 1) < 2.4e-7, `exp-based sigmoid(−17) = ${tail}`);
  });

  it('extremes, ±0, ±Inf, NaN and subnormals', () => {
    const tiny = [2 ** -149, 3 * 2 ** -149, 2 ** -130, 2 ** -126 * 0.75, 1e-30, 1e-10, 1e-5];
    const xs = [0, -0, Infinity, -Infinity, NaN, 3.4028234663852886e38, -3.4028234663852886e38, 9, 9.01, 9.1, 20, 1e4, ...tiny, ...tiny.map((v) => -v)];
    const t = run('tanh rational', xs);
    const s = run('sigmoid rational', xs);
    assert.ok(Object.is(t[0], 0) && Object.is(t[1], -0), `tanh(±0) = ${t[0]}, ${t[1]}: the sign stays`);
    assert.deepEqual([t[2], t[3], t[5], t[6]], [1, -1, 1, -1], 'tanh(±Inf), tanh(±max) are ±1');
    assert.ok(Number.isNaN(t[4]!) && Number.isNaN(s[4]!), 'NaN stays NaN');
    for (const i of [7, 8, 9, 10, 11]) assert.ok(t[i]! <= 1 && 1 - t[i]! <= 2 * 2 ** -24, `tanh(${xs[i]}) = ${t[i]}`);
    // below ~1e-4 tanh(x) rounds to x; subnormals come back exactly
    for (let i = 12; i < xs.length; i++) {
      const x = Math.fround(xs[i]!);
      assert.ok(Math.abs(t[i]! - x) <= Math.abs(x) * 2 ** -23, `tanh(${x}) = ${t[i]}`);
      if (Math.abs(x) < 2 ** -126) assert.equal(t[i], x, `tanh of the subnormal ${x}`);
    }
    assert.deepEqual([s[0], s[1], s[2], s[3]], [0.5, 0.5, 1, 0], 'sigmoid(±0) = 0.5, sigmoid(±Inf) = 1, 0');
  });

  it('backward: the kernels differentiate tanh and sigmoid from the output y, so from the rational y it is dy·(1 − y²) and dy·y·(1 − y) on that y', () => {
    const k = wasmRuntime().kernels;
    const rng = new Rng(5);
    const n = 4099;
    const x = residentAlloc(n), y = residentAlloc(n), dy = residentAlloc(n), dx = residentAlloc(n);
    for (let i = 0; i < n; i++) (x[i] = (rng.uniform() * 2 - 1) * 12), (dy[i] = rng.uniform() * 2 - 1);
    for (const [act, grad] of [
      [Act.tanh, (g: number, v: number) => Math.fround(g * Math.fround(1 - Math.fround(v * v)))],
      [Act.sigmoid, (g: number, v: number) => Math.fround(Math.fround(g * v) * Math.fround(1 - v))],
    ] as const) {
      k.activationRational(act, addr(y), addr(x), n);
      for (let i = 0; i < n; i++) assert.ok(y[i]! >= (act === Act.tanh ? -1 : 0) && y[i]! <= 1, `act ${act}: y[${i}] = ${y[i]} out of range (1 − y² or y(1 − y) would turn negative)`);
      k.activationBackward(act, addr(dx), addr(dy), addr(x), addr(y), 1, n, n);
      for (let i = 0; i < n; i++) assert.ok(Object.is(dx[i], grad(dy[i]!, y[i]!)), `act ${act}: dx[${i}] = ${dx[i]}`);
    }
  });
});
