/**
 * The exhaustive error sweep behind assembly/simd.ts's stated bounds for the rational tanh and
 * sigmoid (test/wasmRationalTanh.test.ts runs a coarse version): every float32 in [0, 20] for
 * tanh (it is exactly odd), every 5th in [-20, 20] for sigmoid, against Math in float64.
 *   npx tsx tools/rationalTanh/sweep.ts        (minutes of CPU)
 * The coefficients come from tools/rationalTanh/fit.py (python3-scipy):
 *   /usr/bin/python3 tools/rationalTanh/fit.py 6 3 9.1   → P of degree 6 and Q of degree 3 in x², on [0, 9.1]
 */
import { addr, residentAlloc, wasmRuntime } from '../../src/backend/wasm/runtime.js';
import { Act } from '../../src/backend/ts/activation.js';
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
function sweep(act: number, sign: 1 | -1, hiBits: number, stride: number, exact: (x: number) => number, relFrom: number, range: [number, number]): Sweep {
  const k = wasmRuntime().kernels;
  const CH = 1 << 20;
  const xb = residentAlloc(CH), yb = residentAlloc(CH);
  const xu = new Uint32Array(xb.buffer, xb.byteOffset, CH);
  const s: Sweep = { maxUlp: 0, atUlp: NaN, maxAbs: 0, maxRel: 0, atRel: NaN, outOfRange: 0, count: 0 };
  const signBit = sign < 0 ? 0x80000000 : 0;
  for (let b = 0; b <= hiBits; ) {
    let n = 0;
    for (; n < CH && b <= hiBits; n++, b += stride) xu[n] = (b | signBit) >>> 0;
    k.activationRational(act, addr(yb), addr(xb), n);
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


const HI20 = bitsOf(20);
const fmt = (s: Sweep): string => `${s.count} values: max ${s.maxUlp.toFixed(3)} ulp at ${s.atUlp}, max abs ${s.maxAbs.toExponential(3)}, max rel ${s.maxRel.toExponential(3)} at ${s.atRel}, out of range ${s.outOfRange}`;
const sig = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
console.log('tanh rational, every float32 in [0, 20]:', fmt(sweep(Act.tanh, 1, HI20, 1, Math.tanh, 0, [-1, 1])));
console.log('sigmoid rational, every 5th float32 in [0, 20]:', fmt(sweep(Act.sigmoid, 1, HI20, 5, sig, Infinity, [0, 1])));
console.log('sigmoid rational, every 5th float32 in [-20, 0]:', fmt(sweep(Act.sigmoid, -1, HI20, 5, sig, Infinity, [0, 1])));
