/**
 * The GEMM on packed B (assembly/packed.ts, src/backend/wasm/packed.ts) against the plain
 * WebAssembly gemm: the same sums in the same order, so equal bit for bit (Object.is, so a
 * −0 or NaN that moved would fail too) — whole-matrix packing (packB, packBT) with
 * gemmPacked, block packing with gemmPackB (A transposed or not, packed or not), the
 * N mod 8 tail through gemm, accumulate, K = 0, rows M mod 4; and the LSTM time loop
 * with its recurrent kernel packed against the same loop on the plain gemm. Run again
 * on the relaxed-SIMD build by test/wasmRelaxed.test.ts. The packed backward (whose
 * transposed recurrent kernel is packed, not transposed) against the TypeScript kernel on
 * the same GEMM, with masks and recurrent dropout, to test/wasmKernels.test.ts's tolerance.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { Rng } from '../src/core/rng.js';
import { residentAlloc, wasmRuntime, wasmSupported, addr } from '../src/backend/wasm/runtime.js';
import { gemmLarge } from '../src/backend/wasm/packed.js';
import { lstmBackwardWasm, lstmForwardWasm } from '../src/backend/wasm/lstm.js';
import { lstmBackward, lstmForward } from '../src/backend/ts/lstm.js';
import { gemmWasm } from '../src/backend/wasm/gemm.js';
import { gruBackwardWasm, gruForwardWasm } from '../src/backend/wasm/gru.js';
import { gruBackward, gruForward, type GruCache, type GruCacheGrads, type GruDims } from '../src/backend/ts/gru.js';
import type { RecurrentWeights } from '../src/backend/recurrent.js';
import { Act } from '../src/backend/ts/activation.js';
import { assertClose } from './helpers/check.js';
import { lstmB, lstmF } from './helpers/recurrentStructs.js';

const skip = !wasmSupported() && 'WebAssembly SIMD not available';

function fill(a: Float32Array, rng: Rng): Float32Array {
  for (let i = 0; i < a.length; i++) a[i] = rng.uniform() * 2 - 1;
  return a;
}

function assertSame(got: Float32Array, want: Float32Array, what: string): void {
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) assert.fail(`${what}: element ${i} is ${got[i]}, gemm gives ${want[i]}`);
}

describe('wasm GEMM on packed B equals gemm bit for bit', { skip }, () => {
  it('packB / packBT + gemmPacked, gemmPackB and gemmLarge: random shapes, transposed A, leading dimensions, accumulate, K = 0', () => {
    const k = wasmRuntime().kernels;
    const rng = new Rng(2026);
    const work = residentAlloc(k.gemmPackBWorkFloats());
    for (let t = 0; t < 120; t++) {
      const M = 1 + Math.floor(rng.uniform() * 45);
      const N = 1 + Math.floor(rng.uniform() * 70);
      // K up to 600: more than one K slice of 256
      const K = t % 10 === 0 ? 0 : 1 + Math.floor(rng.uniform() * 600);
      const transA = rng.uniform() < 0.5;
      const acc = rng.uniform() < 0.5 ? 1 : 0;
      const ldb = N + Math.floor(rng.uniform() * 5);
      const ldc = N + Math.floor(rng.uniform() * 3);
      const what = `M ${M} N ${N} K ${K}${transA ? ' Aᵀ' : ''}${acc ? ' accumulate' : ''}`;
      const a = fill(residentAlloc(Math.max(1, M * K)), rng);
      const b = fill(residentAlloc(Math.max(1, K * ldb)), rng);
      const c0 = fill(residentAlloc(M * ldc), rng);
      const sai = transA ? 1 : K;
      const sak = transA ? M : 1;
      const n8 = N & ~7;
      const want = residentAlloc(M * ldc);
      want.set(c0);
      k.gemm(M, N, K, addr(a), sai, sak, addr(b), ldb, addr(want), ldc, acc);
      const tail = (c: Float32Array): void => {
        if (N > n8) k.gemm(M, N - n8, K, addr(a), sai, sak, addr(b, n8), ldb, addr(c, n8), ldc, acc);
      };
      // whole B packed once, as the time loops do
      const bp = residentAlloc(Math.max(1, K * n8));
      k.packB(K, N, addr(b), ldb, addr(bp));
      const c1 = residentAlloc(M * ldc);
      c1.set(c0);
      k.gemmPacked(M, N, K, addr(a), sai, sak, addr(bp), addr(c1), ldc, acc);
      tail(c1);
      assertSame(c1, want, `gemmPacked ${what}`);
      // packBT of the transpose packs the same panels
      const ldt = K + 3;
      const bt = residentAlloc(Math.max(1, N * ldt));
      for (let j = 0; j < N; j++) for (let q = 0; q < K; q++) bt[j * ldt + q] = b[q * ldb + j]!;
      const bpt = residentAlloc(Math.max(1, K * n8));
      k.packBT(K, N, addr(bt), ldt, addr(bpt));
      assertSame(bpt, bp, `packBT ${what}`);
      // B packed block by block
      const c2 = residentAlloc(M * ldc);
      c2.set(c0);
      k.gemmPackB(M, N, K, addr(a), sai, sak, addr(b), ldb, addr(c2), ldc, acc, addr(work));
      tail(c2);
      assertSame(c2, want, `gemmPackB ${what}`);
      const c3 = residentAlloc(M * ldc);
      c3.set(c0);
      gemmLarge(k, M, N, K, addr(a), sai, sak, addr(b), ldb, addr(c3), ldc, acc);
      assertSame(c3, want, `gemmLarge ${what}`);
    }
  });

  it('the LSTM time loop with its recurrent kernel packed gives the plain loop\'s numbers (H 8, 40; B·T rows over and under the packing threshold)', () => {
    for (const [H, B, T, I] of [[8, 3, 4, 5], [40, 9, 5, 36]] as const) {
      const rng = new Rng(H + B);
      const G = 4 * H;
      const slab = B * H;
      const r = (n: number): Float32Array => fill(residentAlloc(n), rng);
      const z = (n: number): Float32Array => residentAlloc(n);
      const xs = r(T * B * I), h0 = r(slab), c0 = r(slab), kernel = r(I * G), rk = r(H * G), bias = r(G);
      const run = (rkT: Float32Array): Float32Array[] => {
        const out = [z(T * slab), z(T * slab), z(T * slab), z(T * B * G), z(T * B * G), z(T * slab)] as const;
        lstmForwardWasm(...lstmF(out[0], out[1], out[2], out[3], out[4], out[5], rkT, xs, h0, c0, kernel, rk, bias, null, null, T, B, I, H, Act.tanh, Act.sigmoid));
        return [...out];
      };
      // A recurrentKernelT outside WebAssembly memory keeps the loop on the plain gemm.
      const plain = run(new Float32Array(H * G));
      const packed = run(z(H * G));
      const names = ['h', 'c', 'act(c)', 'pre', 'gates', 'hPrev'];
      for (let i = 0; i < names.length; i++) assertSame(packed[i]!, plain[i]!, `LSTM H ${H}: ${names[i]}`);
    }
  });

  for (const [H, B, T, I] of [[40, 9, 4, 36], [520, 2, 2, 3]] as const) {
    it(`the packed LSTM backward (H ${H}: ${H === 40 ? 'the weight gradients over T·B ≥ 32 rows packed per block' : 'Uᵀ packed'}) matches the TypeScript kernel, with masks and recurrent dropout`, () => {
      const G = 4 * H;
      const slab = B * H;
      const rng = new Rng(H);
      const rtol = 2e-5, atol = 1e-5;
      const pair = (n: number, lo = -1, hi = 1): [Float32Array, Float32Array] => {
        const w = residentAlloc(n);
        for (let i = 0; i < n; i++) w[i] = lo + (hi - lo) * rng.uniform();
        return [w, Float32Array.from(w)];
      };
      const zero = (n: number): [Float32Array, Float32Array] => [residentAlloc(n), new Float32Array(n)];
      const [xsW, xsT] = pair(T * B * I), [h0W, h0T] = pair(slab), [c0W, c0T] = pair(slab);
      const [kW, kT] = pair(I * G, -0.5, 0.5), [rkW, rkT] = pair(H * G, -0.5, 0.5), [bW, bT] = pair(G);
      const recurrentMask = Float32Array.from({ length: slab }, () => (rng.uniform() < 0.3 ? 0 : 1 / 0.7));
      const mask = Float32Array.from({ length: T * B }, (_, i) => (i % 3 === 1 ? 0 : 1));
      const [hsW, hsT] = zero(T * slab), [csW, csT] = zero(T * slab), [caW, caT] = zero(T * slab);
      const [preW, preT] = zero(T * B * G), [gW, gT] = zero(T * B * G), [hpW, hpT] = zero(T * slab), [rktW, rktT] = zero(G * H);
      lstmForwardWasm(...lstmF(hsW, csW, caW, preW, gW, hpW, rktW, xsW, h0W, c0W, kW, rkW, bW, recurrentMask, mask, T, B, I, H, Act.tanh, Act.sigmoid));
      lstmForward(gemmWasm, ...lstmF(hsT, csT, caT, preT, gT, hpT, rktT, xsT, h0T, c0T, kT, rkT, bT, recurrentMask, mask, T, B, I, H, Act.tanh, Act.sigmoid));
      assertClose(hsW, hsT, rtol, atol, 'h');
      const [dOutW, dOutT] = pair(T * slab);
      const [dkW, dkT] = zero(I * G), [drkW, drkT] = zero(H * G), [dbW, dbT] = zero(G), [dxW, dxT] = zero(T * B * I), [dPreW, dPreT] = zero(T * B * G);
      const [a1, a2] = zero(slab), [b1, b2] = zero(slab), [c1, c2] = zero(slab), [d1, d2] = zero(slab), [e1, e2] = zero(slab);
      lstmBackwardWasm(...lstmB(dxW, dkW, drkW, dbW, dPreW, a1, b1, c1, d1, e1, dOutW, true, null, xsW, hpW, c0W, csW, caW, preW, gW, kW, rkW, rktW, recurrentMask, mask, T, B, I, H, Act.tanh, Act.sigmoid));
      lstmBackward(gemmWasm, ...lstmB(dxT, dkT, drkT, dbT, dPreT, a2, b2, c2, d2, e2, dOutT, true, null, xsT, hpT, c0T, csT, caT, preT, gT, kT, rkT, rktT, recurrentMask, mask, T, B, I, H, Act.tanh, Act.sigmoid));
      assertClose(dPreW, dPreT, rtol, atol, 'dPre');
      assertClose(dkW, dkT, rtol, atol, 'dKernel');
      assertClose(drkW, drkT, rtol, atol, 'dRecurrentKernel');
      assertClose(dbW, dbT, rtol, atol, 'dBias');
      assertClose(dxW, dxT, rtol, atol, 'dx');
    });
  }

  for (const resetAfter of [true, false]) {
    it(`the packed GRU (resetAfter ${resetAfter}; H 16: in place; 512: U packed forward; 688: and Uᵀ backward) matches the TypeScript kernel and, forward, the loop on the plain gemm bit for bit`, () => {
      for (const [H, B, T, I] of [[16, 3, 4, 5], [512, 2, 2, 3], [688, 2, 2, 3]] as const) {
        const G = 3 * H;
        const slab = B * H;
        const rng = new Rng(H * 3 + (resetAfter ? 1 : 0));
        const rtol = 2e-5, atol = 1e-5;
        const vals = (n: number, lo = -1, hi = 1): Float32Array => Float32Array.from({ length: n }, () => lo + (hi - lo) * rng.uniform());
        const res = (a: Float32Array): Float32Array => {
          const r = residentAlloc(a.length);
          r.set(a);
          return r;
        };
        const xs = vals(T * B * I), h0 = vals(slab), kernel = vals(I * G, -0.5, 0.5), rk = vals(H * G, -0.5, 0.5), bias = vals(resetAfter ? 2 * G : G);
        const recurrent = Float32Array.from({ length: slab }, () => (rng.uniform() < 0.3 ? 0 : 1 / 0.7));
        const step = Float32Array.from({ length: T * B }, (_, i) => (i % 3 === 1 ? 0 : 1));
        const dOut = vals(T * slab);
        const d: GruDims = { T, B, I, H, act: Act.tanh, ract: Act.sigmoid, resetAfter };
        const m = { recurrent, step };
        // wasm: every operand resident; plain: recurrentKernelT outside WebAssembly memory (no packing); ts: the TypeScript kernel
        const run = (kind: 'packed' | 'plain' | 'ts'): Float32Array[] => {
          const alloc = kind === 'ts' ? (n: number): Float32Array => new Float32Array(n) : residentAlloc;
          const put = kind === 'ts' ? (a: Float32Array): Float32Array => Float32Array.from(a) : res;
          const c: GruCache = { xs: put(xs), h0: put(h0), c0: null, cs: null, hs: alloc(T * slab), hPrev: alloc(T * slab), pre: alloc(T * B * G), recurrentKernelT: kind === 'plain' ? new Float32Array(G * H) : alloc(G * H), gates: alloc(T * B * G), mh: alloc(T * B * G), rh: alloc(T * slab) };
          const w: RecurrentWeights = { kernel: put(kernel), recurrentKernel: put(rk), bias: put(bias) };
          const dw: RecurrentWeights = { kernel: alloc(I * G), recurrentKernel: alloc(H * G), bias: alloc(bias.length) };
          const g: GruCacheGrads = { dxs: alloc(T * B * I), dOut: put(dOut), returnSequences: true, ends: null, dPre: alloc(T * B * G), dhA: alloc(slab), dhB: alloc(slab), dcA: null, dcB: null, dPreH: alloc(T * B * G), dhTmp: alloc(slab) };
          if (kind === 'ts') {
            gruForward(gemmWasm, c, w, m, d);
            gruBackward(gemmWasm, dw, g, c, w, m, d);
          } else {
            gruForwardWasm(c, w, m, d);
            gruBackwardWasm(dw, g, c, w, m, d);
          }
          return [c.hs, c.gates, g.dPre, dw.kernel, dw.recurrentKernel, dw.bias!, g.dxs!];
        };
        const packed = run('packed'), plain = run('plain'), ts = run('ts');
        const names = ['h', 'gates', 'dPre', 'dKernel', 'dRecurrentKernel', 'dBias', 'dx'];
        assertSame(packed[0]!, plain[0]!, `GRU H ${H}: h`);
        assertSame(packed[1]!, plain[1]!, `GRU H ${H}: gates`);
        for (let i = 0; i < names.length; i++) assertClose(packed[i]!, ts[i]!, rtol, atol, `GRU H ${H}: ${names[i]}`);
      }
    });
  }

  it('GRU backward (resetAfter, no recurrent dropout) adds dh·Uᵀ into dhNext inside the kernel with the numbers of the JavaScript add (a dropout mask of ones takes that path)', () => {
    const [H, B, T, I] = [24, 5, 4, 7];
    const G = 3 * H;
    const slab = B * H;
    const rng = new Rng(24);
    const vals = (n: number): Float32Array => {
      const a = residentAlloc(n);
      for (let i = 0; i < n; i++) a[i] = rng.uniform() * 2 - 1;
      return a;
    };
    const xs = vals(T * B * I), h0 = vals(slab), kernel = vals(I * G), rk = vals(H * G), bias = vals(2 * G), dOut = vals(T * slab);
    const d: GruDims = { T, B, I, H, act: Act.tanh, ract: Act.sigmoid, resetAfter: true };
    const run = (recurrent: Float32Array | null): Float32Array[] => {
      const z = (n: number): Float32Array => residentAlloc(n);
      const c: GruCache = { xs, h0, c0: null, cs: null, hs: z(T * slab), hPrev: z(T * slab), pre: z(T * B * G), recurrentKernelT: z(G * H), gates: z(T * B * G), mh: z(T * B * G), rh: z(T * slab) };
      const w: RecurrentWeights = { kernel, recurrentKernel: rk, bias };
      const dw: RecurrentWeights = { kernel: z(I * G), recurrentKernel: z(H * G), bias: z(2 * G) };
      const dh0 = z(slab);
      const g: GruCacheGrads = { dxs: z(T * B * I), dOut, returnSequences: true, ends: { dhT: null, dcT: null, dh0, dc0: null }, dPre: z(T * B * G), dhA: z(slab), dhB: z(slab), dcA: null, dcB: null, dPreH: z(T * B * G), dhTmp: z(slab) };
      gruForwardWasm(c, w, { recurrent, step: null }, d);
      gruBackwardWasm(dw, g, c, w, { recurrent, step: null }, d);
      return [g.dPre, dw.kernel, dw.recurrentKernel, dw.bias!, g.dxs!, dh0];
    };
    const direct = run(null);
    const viaAdd = run(new Float32Array(slab).fill(1));
    const names = ['dPre', 'dKernel', 'dRecurrentKernel', 'dBias', 'dx', 'dh0'];
    for (let i = 0; i < names.length; i++) assertSame(direct[i]!, viaAdd[i]!, `GRU ${names[i]}`);
  });
});
