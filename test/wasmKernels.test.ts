/**
 * The WebAssembly SIMD kernels (src/backend/wasm*.ts) against the TypeScript kernels, the
 * reference: the GEMM in every transpose combination, odd sizes, leading dimensions and
 * offsets, with and without accumulate, with operands in WebAssembly memory and outside;
 * activations; Dense forward (softmax row by row); the SimpleRNN, LSTM and GRU time loops
 * against the TypeScript kernels built around the same (WebAssembly) GEMM, so what is
 * compared is the cells, and a fallback is bit for bit; training on useBackend('wasm') against 'ts'; and the
 * embedded binaries up to date with their AssemblyScript source.
 *
 * Tolerance: the WASM kernel accumulates in f32 (TS in f64), so each element is
 * compared against 1e-5 × (|C₀| + Σₖ|a·b|), the natural scale of the rounding error.
 */
import { describe, it, after } from 'node:test';
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { gemmTs } from '../src/backend/ts/gemm.js';
import { backend, tsKernels, wasmKernels, type Kernels } from '../src/backend/kernels.js';
import { gemmWasm } from '../src/backend/wasm/gemm.js';
import { wasmSupported as wasmGemmSupported } from '../src/backend/wasm/runtime.js';
import { KERNELS_WASM_SIMD, KERNELS_WASM_SOURCE_SHA256 } from '../src/backend/wasm/kernelsWasm.js';

const decodeBase64 = (b64: string): Uint8Array<ArrayBuffer> => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
import { Rng, Sequential, layers, tensor, useBackend } from '../src/index.js';
import { Act, activationForward, type ActId } from '../src/backend/ts/activation.js';
import { denseForward } from '../src/backend/ts/dense.js';
import { denseForwardWasm } from '../src/backend/wasm/dense.js';
import { lstmBackward, lstmForward } from '../src/backend/ts/lstm.js';
import { lstmBackwardWasm, lstmForwardWasm } from '../src/backend/wasm/lstm.js';
import { gruBackward, gruForward } from '../src/backend/ts/gru.js';
import { gruBackwardWasm, gruForwardWasm } from '../src/backend/wasm/gru.js';
import { simpleRnnBackward, simpleRnnForward } from '../src/backend/ts/simpleRnn.js';
import { simpleRnnBackwardWasm, simpleRnnForwardWasm } from '../src/backend/wasm/simpleRnn.js';
import { residentAlloc, unshareMemoryImport, wasmRuntime } from '../src/backend/wasm/runtime.js';
import { assertClose, randomArray } from './helpers/check.js';
import type { RecurrentCache, RecurrentCacheGrads, RecurrentDims, RecurrentMasks, RecurrentWeights } from '../src/backend/recurrent.js';
import { gruB, gruF, lstmB, lstmF } from './helpers/recurrentStructs.js';

function rand(n: number, rng: Rng): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform() * 2 - 1;
  return a;
}

const skip = !wasmGemmSupported() && 'WebAssembly SIMD not available';

describe('wasm gemm', () => {
  after(() => useBackend('auto'));

  it('the embedded binaries were built from the current assembly/*.ts (else: npm run build:wasm)', () => {
    const dir = new URL('../assembly/', import.meta.url);
    const hash = createHash('sha256');
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts')).sort()) hash.update(readFileSync(new URL(f, dir)));
    assert.equal(hash.digest('hex'), KERNELS_WASM_SOURCE_SHA256);
  });

  it('matches the TypeScript gemm: all transposes, odd sizes, leading dimensions, offsets, accumulate', { skip }, () => {
    const rng = new Rng(11);
    const sizes = [1, 2, 3, 4, 5, 7, 8, 9, 13, 17, 33, 64, 129];
    let cases = 0;
    for (let t = 0; t < 160; t++) {
      const pick = (): number => sizes[Math.floor(rng.uniform() * sizes.length)]!;
      const M = pick(), N = pick(), K = pick();
      const transA = (t & 1) === 1, transB = (t & 2) === 2, accumulate = (t & 4) === 4;
      const pad = (t >> 3) % 3; // 0: tight leading dimensions, else padded
      const [ar, ac] = transA ? [K, M] : [M, K];
      const [br, bc] = transB ? [N, K] : [K, N];
      const lda = ac + pad * 3, ldb = bc + pad * 5, ldc = N + pad * 2;
      const aOff = pad * 7, bOff = pad * 2, cOff = pad * 9;
      const A = rand(aOff + ar * lda, rng);
      const B = rand(bOff + br * ldb, rng);
      const C0 = rand(cOff + M * ldc + 3, rng);
      const want = Float32Array.from(C0);
      const got = Float32Array.from(C0);
      gemmTs(transA, transB, M, N, K, A, aOff, lda, B, bOff, ldb, want, cOff, ldc, accumulate);
      // every other case with the operands in WebAssembly memory (the pointer paths, gemmNT)
      const place = (a: Float32Array): Float32Array => {
        if (Math.floor(t / 24) % 2 === 0) return a; // blocks of 24 cases: every transpose/accumulate/padding combination both ways
        const r = residentAlloc(a.length);
        r.set(a);
        return r;
      };
      const gotR = place(got);
      gemmWasm(transA, transB, M, N, K, place(A), aOff, lda, place(B), bOff, ldb, gotR, cOff, ldc, accumulate);
      got.set(gotR);
      for (let p = 0; p < C0.length; p++) {
        const i = Math.floor((p - cOff) / ldc), j = p - cOff - i * ldc;
        const inside = p >= cOff && i < M && j < N;
        if (!inside) {
          assert.equal(got[p], C0[p], `element ${p} outside C was written (M ${M} N ${N} K ${K})`);
          continue;
        }
        let scale = accumulate ? Math.abs(C0[p]!) : 0;
        for (let k = 0; k < K; k++) {
          const a = transA ? A[aOff + k * lda + i]! : A[aOff + i * lda + k]!;
          const b = transB ? B[bOff + j * ldb + k]! : B[bOff + k * ldb + j]!;
          scale += Math.abs(a * b);
        }
        assert.ok(Math.abs(got[p]! - want[p]!) <= 1e-5 * scale + 1e-30, `M ${M} N ${N} K ${K} tA ${transA} tB ${transB} acc ${accumulate} pad ${pad} (${i},${j}): ${got[p]} vs ${want[p]}`);
      }
      cases++;
    }
    assert.equal(cases, 160);
  });

  it('a row alone (the single-row tiles and their vector + scalar tail) gives the bits that row gets inside a 4-row tile', { skip }, () => {
    // Streams and batch-1 sampling run one row; predict runs 4-row tiles. Each column must be
    // summed in the same order with the same kind of madd, or a stream drifts from predict.
    const rng = new Rng(12);
    for (const N of [5, 6, 7, 13, 29, 30, 31]) {
      for (const accumulate of [false, true]) {
        const K = 37;
        const A = residentAlloc(4 * K);
        const B = residentAlloc(K * N);
        A.set(rand(4 * K, rng));
        B.set(rand(K * N, rng));
        const C0 = rand(4 * N, rng);
        const tile = residentAlloc(4 * N);
        tile.set(C0);
        gemmWasm(false, false, 4, N, K, A, 0, K, B, 0, N, tile, 0, N, accumulate);
        for (let r = 0; r < 4; r++) {
          const row = residentAlloc(N);
          row.set(C0.subarray(r * N, (r + 1) * N));
          gemmWasm(false, false, 1, N, K, A.subarray(r * K, (r + 1) * K), 0, K, B, 0, N, row, 0, N, accumulate);
          for (let j = 0; j < N; j++) assert.ok(Object.is(row[j], tile[r * N + j]), `N ${N} acc ${accumulate} row ${r} column ${j}: ${row[j]} alone vs ${tile[r * N + j]} in the tile`);
        }
      }
    }
  });

  it("each kernel set multiplies with its own GEMM: 'wasm' kernels with WebAssembly's, 'ts' kernels with TypeScript's, whatever the current backend", { skip }, () => {
    // denseBackward with a linear activation: dKernel = xᵀ · dOut, one product over 300 rows
    const x = Float32Array.from({ length: 300 * 8 }, (_, i) => Math.sin(i) * 1e-3 + 1);
    const dOut = Float32Array.from({ length: 300 * 8 }, (_, i) => Math.cos(i) * 1e-3 + 1);
    const ts = new Float32Array(64), direct = new Float32Array(64);
    gemmTs(true, false, 8, 8, 300, x, 0, 8, dOut, 0, 8, ts, 0, 8, false);
    gemmWasm(true, false, 8, 8, 300, x, 0, 8, dOut, 0, 8, direct, 0, 8, false);
    assert.notDeepEqual(direct, ts); // f32 vs f64 accumulation over 300 terms near 1: the paths really differ
    const viaSet = (k: Kernels): Float32Array => {
      const dKernel = new Float32Array(64);
      k.denseBackward(null, dKernel, null, new Float32Array(300 * 8), dOut, x, dOut, dOut, new Float32Array(64), 300, 8, 8, Act.linear);
      return dKernel;
    };
    for (const current of ['ts', 'wasm'] as const) {
      useBackend(current);
      try {
        assert.equal(backend().gemm, current === 'ts' ? gemmTs : gemmWasm);
        assert.deepEqual(viaSet(wasmKernels), direct, `wasm set, current backend ${current}`);
        assert.deepEqual(viaSet(tsKernels), ts, `ts set, current backend ${current}`);
      } finally {
        useBackend('auto');
      }
    }
  });

  it("an LSTM model trained 3 epochs on 'wasm' gives the 'ts' losses within 1e-4 relative", { skip }, async () => {
    const run = async (name: 'ts' | 'wasm'): Promise<number[]> => {
      useBackend(name);
      try {
        const rng = new Rng(5);
        const n = 96, T = 12, F = 3;
        const x = rand(n * T * F, rng);
        const y = new Float32Array(n);
        for (let s = 0; s < n; s++) {
          let sum = 0;
          for (let t = 0; t < T; t++) sum += x[(s * T + t) * F]!;
          y[s] = sum > 0 ? 1 : 0;
        }
        const model = new Sequential({ layers: [layers.lstm({ units: 24, inputShape: [T, F], seed: 1 }), layers.dense({ units: 1, activation: 'sigmoid', seed: 2 })] });
        model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
        const h = await model.fit(tensor(x, [n, T, F]), tensor(y, [n, 1]), { epochs: 3, batchSize: 16, verbose: 0, seed: 3 });
        return h.history.loss!;
      } finally {
        useBackend('ts');
      }
    };
    const ts = await run('ts');
    const wasm = await run('wasm');
    assert.equal(wasm.length, 3);
    for (let e = 0; e < 3; e++) assert.ok(Math.abs(wasm[e]! - ts[e]!) <= 1e-4 * Math.abs(ts[e]!), `epoch ${e}: wasm ${wasm[e]} ts ${ts[e]}`);
  });
});

/** A resident copy (the wasm kernels take pointers) and a plain copy (the TS reference). */
const both = (a: Float32Array): [Float32Array, Float32Array] => {
  const r = residentAlloc(a.length);
  r.set(a);
  return [r, Float32Array.from(a)];
};
/** Activation pairs (act, recurrent act) with WebAssembly kernels. */
const acts: [ActId, ActId][] = [
  [Act.tanh, Act.sigmoid],
  [Act.relu, Act.hardSigmoid],
  [Act.linear, Act.hardSigmoidLegacy],
];
// Tolerance of the recurrent kernel tests: f32 accumulation over up to 129 O(1) terms
// (≲ 129·2⁻²⁴ ≈ 8e-6 absolute, where cancellation leaves a small result) and polynomial
// exp/tanh (a few ulp), against f64 accumulation and Math.exp.
const rtol = 2e-5, atol = 1e-5;

/** Recurrent dropout [B, H] (30% dropped, the rest scaled 1/0.7) and a step mask [T, B] dropping every third entry; or none. */
function dropoutAndMask(rng: Rng, T: number, B: number, H: number, masked: boolean): [Float32Array | null, Float32Array | null] {
  if (!masked) return [null, null];
  const recurrentMask = Float32Array.from({ length: B * H }, () => (rng.uniform() < 0.3 ? 0 : 1 / 0.7));
  return [recurrentMask, Float32Array.from({ length: T * B }, (_, i) => (i % 3 === 1 ? 0 : 1))];
}

describe('wasm LSTM, GRU, activation and bias kernels against the TypeScript kernels', { skip }, () => {
  for (const [H, B, T, I] of [[1, 1, 3, 1], [3, 17, 4, 5], [17, 3, 5, 129], [129, 4, 3, 3]] as const) {
    for (const [act, ract] of acts) {
      for (const masked of [false, true]) {
        it(`H ${H} B ${B} T ${T} I ${I} act ${act}/${ract}${masked ? ', masks and recurrent dropout' : ''}: forward and every gradient`, () => {
          const rng = new Rng(H * 1000 + B * 10 + act);
          const G = 4 * H, slab = B * H;
          const f = (n: number, lo = -1, hi = 1): [Float32Array, Float32Array] => both(randomArray(n, rng, lo, hi));
          const [xsW, xsT] = f(T * B * I), [h0W, h0T] = f(slab), [c0W, c0T] = f(slab);
          const [kW, kT] = f(I * G, -0.5, 0.5), [rkW, rkT] = f(H * G, -0.5, 0.5), [bW, bT] = f(G);
          const [recurrentMask, mask] = dropoutAndMask(rng, T, B, H, masked);
          const out = (n: number): [Float32Array, Float32Array] => both(new Float32Array(n));
          const [hsW, hsT] = out(T * slab), [csW, csT] = out(T * slab), [caW, caT] = out(T * slab);
          const [preW, preT] = out(T * B * G), [gW, gT] = out(T * B * G), [hpW, hpT] = out(T * slab), [rktW, rktT] = out(G * H);
          lstmForwardWasm(...lstmF(hsW, csW, caW, preW, gW, hpW, rktW, xsW, h0W, c0W, kW, rkW, bW, recurrentMask, mask, T, B, I, H, act, ract));
          lstmForward(gemmWasm, ...lstmF(hsT, csT, caT, preT, gT, hpT, rktT, xsT, h0T, c0T, kT, rkT, bT, recurrentMask, mask, T, B, I, H, act, ract));
          assertClose(preW, preT, rtol, atol, 'pre-activations');
          assertClose(gW, gT, rtol, atol, 'gates');
          assertClose(csW, csT, rtol, atol, 'cell states');
          assertClose(hsW, hsT, rtol, atol, 'h');
          const [dOutW, dOutT] = f(T * slab);
          const [dkW, dkT] = out(I * G), [drkW, drkT] = out(H * G), [dbW, dbT] = out(G), [dxW, dxT] = out(T * B * I), [dPreW, dPreT] = out(T * B * G);
          const s = (): [Float32Array, Float32Array] => out(slab);
          const [a1, a2] = s(), [b1, b2] = s(), [c1, c2] = s(), [d1, d2] = s(), [e1, e2] = s();
          // the TS reference backward reads the forward caches it produced itself
          lstmBackwardWasm(...lstmB(dxW, dkW, drkW, dbW, dPreW, a1, b1, c1, d1, e1, dOutW, true, null, xsW, hpW, c0W, csW, caW, preW, gW, kW, rkW, rktW, recurrentMask, mask, T, B, I, H, act, ract));
          lstmBackward(gemmWasm, ...lstmB(dxT, dkT, drkT, dbT, dPreT, a2, b2, c2, d2, e2, dOutT, true, null, xsT, hpT, c0T, csT, caT, preT, gT, kT, rkT, rktT, recurrentMask, mask, T, B, I, H, act, ract));
          assertClose(dPreW, dPreT, rtol, atol, 'dPre');
          assertClose(dkW, dkT, rtol, atol, 'dKernel');
          assertClose(drkW, drkT, rtol, atol, 'dRecurrentKernel');
          assertClose(dbW, dbT, rtol, atol, 'dBias');
          assertClose(dxW, dxT, rtol, atol, 'dx');
        });
      }
    }
  }

  for (const [H, B, T, I] of [[1, 1, 3, 1], [3, 17, 4, 5], [17, 3, 5, 129], [129, 4, 3, 3]] as const) {
    for (const [act, ract] of acts) {
      for (const masked of [false, true]) {
        it(`GRU (resetAfter) H ${H} B ${B} T ${T} I ${I} act ${act}/${ract}${masked ? ', masks and recurrent dropout' : ''}: forward and every gradient`, () => {
          const rng = new Rng(H * 1000 + B * 10 + act + 7);
          const G = 3 * H, slab = B * H;
          const f = (n: number, lo = -1, hi = 1): [Float32Array, Float32Array] => both(randomArray(n, rng, lo, hi));
          const out = (n: number): [Float32Array, Float32Array] => both(new Float32Array(n));
          const [xsW, xsT] = f(T * B * I), [h0W, h0T] = f(slab);
          const [kW, kT] = f(I * G, -0.5, 0.5), [rkW, rkT] = f(H * G, -0.5, 0.5), [bW, bT] = f(2 * G);
          const [recurrentMask, mask] = dropoutAndMask(rng, T, B, H, masked);
          const [hsW, hsT] = out(T * slab), [preW, preT] = out(T * B * G), [gW, gT] = out(T * B * G), [mhW, mhT] = out(T * B * G);
          const [rhW, rhT] = out(T * slab), [hpW, hpT] = out(T * slab), [rktW, rktT] = out(G * H);
          gruForwardWasm(...gruF(hsW, preW, gW, mhW, rhW, hpW, rktW, xsW, h0W, kW, rkW, bW, true, recurrentMask, mask, T, B, I, H, act, ract));
          gruForward(gemmWasm, ...gruF(hsT, preT, gT, mhT, rhT, hpT, rktT, xsT, h0T, kT, rkT, bT, true, recurrentMask, mask, T, B, I, H, act, ract));
          assertClose(gW, gT, rtol, atol, 'gates');
          assertClose(hsW, hsT, rtol, atol, 'h');
          const [dOutW, dOutT] = f(T * slab);
          const [dkW, dkT] = out(I * G), [drkW, drkT] = out(H * G), [dbW, dbT] = out(2 * G), [dxW, dxT] = out(T * B * I);
          const [dPreW, dPreT] = out(T * B * G), [dPhW, dPhT] = out(T * B * G);
          const [a1, a2] = out(slab), [b1, b2] = out(slab), [c1, c2] = out(slab);
          gruBackwardWasm(...gruB(dxW, dkW, drkW, dbW, dPreW, dPhW, a1, b1, c1, dOutW, true, null, xsW, hpW, h0W, hsW, preW, gW, mhW, rhW, kW, rkW, true, recurrentMask, mask, T, B, I, H, act, ract));
          gruBackward(gemmWasm, ...gruB(dxT, dkT, drkT, dbT, dPreT, dPhT, a2, b2, c2, dOutT, true, null, xsT, hpT, h0T, hsT, preT, gT, mhT, rhT, kT, rkT, true, recurrentMask, mask, T, B, I, H, act, ract));
          assertClose(dPreW, dPreT, rtol, atol, 'dPre');
          assertClose(dkW, dkT, rtol, atol, 'dKernel');
          assertClose(drkW, drkT, rtol, atol, 'dRecurrentKernel');
          assertClose(dbW, dbT, rtol, atol, 'dBias');
          assertClose(dxW, dxT, rtol, atol, 'dx');
        });
      }
    }
  }

  it('exp-based activations stay within a few ulp of Math over the whole f32 range, and saturate cleanly', () => {
    const k = wasmRuntime().kernels;
    const xs = [0, -0, 1e-30, -1e-8, 1e-4, 0.3, 0.6249, 0.625, 0.7, 1, 3, 8.9, 9.1, 15, 20, 44, 87.9, 88.5, 100, 1e30, -1e30, -100, -88.5, -50, -20, -3, -0.5];
    const [x] = both(Float32Array.from(xs));
    for (const act of [Act.tanh, Act.sigmoid]) {
      const y = residentAlloc(xs.length);
      k.activationForward(act, y.byteOffset, x.byteOffset, 1, xs.length, xs.length);
      const want = Float32Array.from(xs, (v) => (act === Act.tanh ? Math.tanh(v) : 1 / (1 + Math.exp(-v))));
      assertClose(y, want, 4e-7, 1e-30 + 2e-8, act === Act.tanh ? 'tanh' : 'sigmoid');
    }
  });
});

// [H, B, T, I] with H, B, I spread over {1, 3, 17, 129} (not the whole product), and
// whether the loss reads every step (returnSequences) or the last.
const cellShapes: [number, number, number, number, boolean][] = [
  [1, 1, 3, 1, true],
  [3, 17, 4, 129, false],
  [17, 3, 5, 1, true],
  [129, 4, 3, 17, true],
  [17, 129, 2, 3, false],
  [3, 1, 6, 17, true],
  [129, 17, 2, 129, false],
];
const shapeName = ([H, B, T, I, seq]: (typeof cellShapes)[number]): string => `H ${H} B ${B} T ${T} I ${I}${seq ? ', returnSequences' : ''}`;

/** Operand pairs (wasm side, TS side): random in [lo, hi), or zeros; `resident` false leaves the wasm side outside WebAssembly memory. */
function operandPairs(rng: Rng, resident: boolean, sameMemory: boolean) {
  // sameMemory: the reference's operands live where the wasm kernel's do (the wasm GEMM's summation order depends on it)
  const place = (p: [Float32Array, Float32Array]): [Float32Array, Float32Array] =>
    !resident ? [Float32Array.from(p[0]), p[1]] : sameMemory ? [p[0], both(p[0])[0]] : p;
  return {
    f: (n: number, lo = -1, hi = 1): [Float32Array, Float32Array] => place(both(randomArray(n, rng, lo, hi))),
    out: (n: number): [Float32Array, Float32Array] => place(both(new Float32Array(n))),
  };
}

/** Every named result of the wasm kernel against the TS kernel's: within the recurrent-test tolerance, or (`exact`) bit for bit. */
function compareResults<R extends Record<string, Float32Array>>(r: { wasm: R; ts: R }, exact: boolean, what = ''): void {
  for (const key of Object.keys(r.ts)) {
    if (exact) assert.deepEqual(r.wasm[key], r.ts[key], `${what}${key}`);
    else assertClose(r.wasm[key]!, r.ts[key]!, rtol, atol, `${what}${key}`);
  }
}

describe('wasm SimpleRNN time loop against the TypeScript kernel', { skip }, () => {
  /** Forward and backward of both kernels on the same data; `resident`: the wasm kernel's operands in WebAssembly memory. */
  function run(shape: (typeof cellShapes)[number], act: ActId, masked: boolean, resident = true, sameMemory = false) {
    const [H, B, T, I, seq] = shape;
    const rng = new Rng(H * 1000 + B * 10 + T + act);
    const slab = B * H;
    const { f, out } = operandPairs(rng, resident, sameMemory);
    const [xsW, xsT] = f(T * B * I), [h0W, h0T] = f(slab);
    const [kW, kT] = f(I * H, -0.5, 0.5), [rkW, rkT] = f(H * H, -0.5, 0.5), [bW, bT] = f(H);
    const [recurrentMask, mask] = dropoutAndMask(rng, T, B, H, masked);
    const [hsW, hsT] = out(T * slab), [preW, preT] = out(T * slab), [hpW, hpT] = out(T * slab), [rktW, rktT] = out(H * H);
    const d: RecurrentDims = { T, B, I, H, act, ract: Act.linear };
    const m: RecurrentMasks = { recurrent: recurrentMask, step: mask };
    const cW: RecurrentCache = { xs: xsW, h0: h0W, c0: null, hs: hsW, cs: null, hPrev: hpW, pre: preW, recurrentKernelT: rktW };
    const cT: RecurrentCache = { xs: xsT, h0: h0T, c0: null, hs: hsT, cs: null, hPrev: hpT, pre: preT, recurrentKernelT: rktT };
    const wW: RecurrentWeights = { kernel: kW, recurrentKernel: rkW, bias: bW }, wT: RecurrentWeights = { kernel: kT, recurrentKernel: rkT, bias: bT };
    simpleRnnForwardWasm(cW, wW, m, d);
    simpleRnnForward(gemmWasm, cT, wT, m, d);
    const [dOutW, dOutT] = f(seq ? T * slab : slab);
    const [dkW, dkT] = out(I * H), [drkW, drkT] = out(H * H), [dbW, dbT] = out(H), [dxW, dxT] = out(T * B * I), [dPreW, dPreT] = out(T * slab);
    const [a1, a2] = out(slab), [b1, b2] = out(slab);
    // each backward reads the forward caches its own forward produced
    const gW: RecurrentCacheGrads = { dxs: dxW, dOut: dOutW, returnSequences: seq, ends: null, dPre: dPreW, dhA: a1, dhB: b1, dcA: null, dcB: null };
    const gT: RecurrentCacheGrads = { dxs: dxT, dOut: dOutT, returnSequences: seq, ends: null, dPre: dPreT, dhA: a2, dhB: b2, dcA: null, dcB: null };
    simpleRnnBackwardWasm({ kernel: dkW, recurrentKernel: drkW, bias: dbW }, gW, cW, wW, m, d);
    simpleRnnBackward(gemmWasm, { kernel: dkT, recurrentKernel: drkT, bias: dbT }, gT, cT, wT, m, d);
    return {
      wasm: { pre: preW, h: hsW, dPre: dPreW, dKernel: dkW, dRecurrentKernel: drkW, dBias: dbW, dx: dxW },
      ts: { pre: preT, h: hsT, dPre: dPreT, dKernel: dkT, dRecurrentKernel: drkT, dBias: dbT, dx: dxT },
    };
  }

  for (const shape of cellShapes) {
    for (const act of [Act.tanh, Act.sigmoid, Act.relu, Act.hardSigmoid, Act.linear, Act.hardSigmoidLegacy]) {
      for (const masked of [false, true]) {
        it(`${shapeName(shape)} act ${act}${masked ? ', masks and recurrent dropout' : ''}: forward and every gradient`, () => {
          compareResults(run(shape, act, masked), false);
        });
      }
    }
  }

  it('runs in WebAssembly (f32 results differ from the TS kernel in the last bits) and falls back to the TS kernel bit for bit: an activation without a wasm kernel, an operand outside WebAssembly memory', () => {
    const shape = cellShapes[1]!;
    const viaWasm = run(shape, Act.tanh, true);
    assert.notDeepEqual(viaWasm.wasm.h, viaWasm.ts.h);
    assert.notDeepEqual(viaWasm.wasm.dKernel, viaWasm.ts.dKernel);
    // A fallback is the TypeScript kernel on the wasm set's GEMM, fed operands placed alike.
    for (const [act, resident] of [[Act.elu, true], [Act.softsign, true], [Act.tanh, false]] as const) {
      compareResults(run(shape, act, true, resident, true), true, `act ${act} resident ${resident}: `);
    }
  });
});

describe('wasm Dense forward (product, bias, activation; softmax row by row) against the TypeScript kernel', { skip }, () => {
  const cases: [rows: number, I: number, O: number][] = [[1, 1, 1], [3, 5, 3], [17, 17, 30], [129, 3, 5], [4, 129, 129]];
  for (const [rows, I, O] of cases) {
    for (const act of [Act.softmax, Act.tanh, Act.sigmoid, Act.relu, Act.linear, Act.elu]) {
      it(`rows ${rows} I ${I} O ${O} act ${act}${act === Act.elu ? ' (no wasm kernel: the TS activation)' : ''}`, () => {
        const rng = new Rng(rows * 100 + O + act);
        const [xW, xT] = both(randomArray(rows * I, rng, -3, 3));
        const [kW, kT] = both(randomArray(I * O, rng, -1, 1));
        const [bW, bT] = both(randomArray(O, rng));
        const [outW, outT] = both(new Float32Array(rows * O));
        const [preW, preT] = act === Act.linear ? [outW, outT] : both(new Float32Array(rows * O));
        denseForwardWasm(outW, preW, xW, kW, bW, rows, I, O, act);
        denseForward(gemmWasm, outT, preT, xT, kT, bT, rows, I, O, act);
        assertClose(preW, preT, rtol, atol, 'pre-activation');
        assertClose(outW, outT, rtol, atol, 'output');
      });
    }
  }

  it('softmax rows: sums to 1, a dominant entry, a constant row, -Infinity entries, a NaN row', () => {
    const O = 7;
    const rowsIn = [
      [0.5, -1, 2, 3, -4, 0, 1],
      [1000, 0, -1000, 999, 1, 2, 3], // e^(x − max) spans the whole f32 range
      [3, 3, 3, 3, 3, 3, 3],
      [-Infinity, 1, -Infinity, 2, -Infinity, -Infinity, 0],
      [1, NaN, 2, 3, 4, 5, 6],
    ];
    const x = residentAlloc(rowsIn.length * O);
    x.set(rowsIn.flat());
    const y = residentAlloc(x.length);
    wasmRuntime().kernels.softmaxForward(y.byteOffset, x.byteOffset, rowsIn.length, O);
    const want = new Float32Array(x.length);
    activationForward(Act.softmax, want, 0, Float32Array.from(x), 0, rowsIn.length, O);
    for (let r = 0; r < 4; r++) {
      const row = y.subarray(r * O, (r + 1) * O);
      assertClose(row, want.subarray(r * O, (r + 1) * O), 1e-6, 1e-30, `row ${r}`);
      assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-6, `row ${r} sums to ${row.reduce((a, b) => a + b, 0)}`);
    }
    assert.ok(y.subarray(4 * O).every(Number.isNaN), 'a NaN input makes its row NaN');
  });
});

describe('wasm GRU (resetAfter = false) time loop against the TypeScript kernel', { skip }, () => {
  function run(shape: (typeof cellShapes)[number], act: ActId, ract: ActId, masked: boolean, resident = true, sameMemory = false) {
    const [H, B, T, I, seq] = shape;
    const rng = new Rng(H * 1000 + B * 10 + T + act * 20 + ract);
    const G = 3 * H, slab = B * H;
    const { f, out } = operandPairs(rng, resident, sameMemory);
    const [xsW, xsT] = f(T * B * I), [h0W, h0T] = f(slab);
    const [kW, kT] = f(I * G, -0.5, 0.5), [rkW, rkT] = f(H * G, -0.5, 0.5), [bW, bT] = f(G);
    const [recurrentMask, mask] = dropoutAndMask(rng, T, B, H, masked);
    const none = new Float32Array(0); // mh and dPreH: resetAfter only (the layer leaves them empty)
    const [hsW, hsT] = out(T * slab), [preW, preT] = out(T * B * G), [gW, gT] = out(T * B * G);
    const [rhW, rhT] = out(T * slab), [hpW, hpT] = out(T * slab), [rktW, rktT] = out(G * H);
    gruForwardWasm(...gruF(hsW, preW, gW, none, rhW, hpW, rktW, xsW, h0W, kW, rkW, bW, false, recurrentMask, mask, T, B, I, H, act, ract));
    gruForward(gemmWasm, ...gruF(hsT, preT, gT, none, rhT, hpT, rktT, xsT, h0T, kT, rkT, bT, false, recurrentMask, mask, T, B, I, H, act, ract));
    const [dOutW, dOutT] = f(seq ? T * slab : slab);
    const [dkW, dkT] = out(I * G), [drkW, drkT] = out(H * G), [dbW, dbT] = out(G), [dxW, dxT] = out(T * B * I), [dPreW, dPreT] = out(T * B * G);
    const [a1, a2] = out(slab), [b1, b2] = out(slab), [c1, c2] = out(slab);
    gruBackwardWasm(...gruB(dxW, dkW, drkW, dbW, dPreW, none, a1, b1, c1, dOutW, seq, null, xsW, hpW, h0W, hsW, preW, gW, none, rhW, kW, rkW, false, recurrentMask, mask, T, B, I, H, act, ract));
    gruBackward(gemmWasm, ...gruB(dxT, dkT, drkT, dbT, dPreT, none, a2, b2, c2, dOutT, seq, null, xsT, hpT, h0T, hsT, preT, gT, none, rhT, kT, rkT, false, recurrentMask, mask, T, B, I, H, act, ract));
    return {
      wasm: { pre: preW, gates: gW, rh: rhW, h: hsW, dPre: dPreW, dKernel: dkW, dRecurrentKernel: drkW, dBias: dbW, dx: dxW },
      ts: { pre: preT, gates: gT, rh: rhT, h: hsT, dPre: dPreT, dKernel: dkT, dRecurrentKernel: drkT, dBias: dbT, dx: dxT },
    };
  }

  for (const shape of cellShapes) {
    for (const [act, ract] of [...acts, [Act.sigmoid, Act.tanh] as [ActId, ActId]]) {
      for (const masked of [false, true]) {
        it(`${shapeName(shape)} act ${act}/${ract}${masked ? ', masks and recurrent dropout' : ''}: forward and every gradient`, () => {
          compareResults(run(shape, act, ract, masked), false);
        });
      }
    }
  }

  it('runs in WebAssembly (f32 results differ from the TS kernel in the last bits) and falls back to the TS kernel bit for bit: an activation without a wasm kernel, an operand outside WebAssembly memory', () => {
    const shape = cellShapes[1]!;
    const viaWasm = run(shape, Act.tanh, Act.sigmoid, true);
    assert.notDeepEqual(viaWasm.wasm.h, viaWasm.ts.h);
    assert.notDeepEqual(viaWasm.wasm.dRecurrentKernel, viaWasm.ts.dRecurrentKernel);
    // A fallback is the TypeScript kernel on the wasm set's GEMM, fed operands placed alike.
    for (const [act, ract, resident] of [[Act.elu, Act.sigmoid, true], [Act.tanh, Act.softsign, true], [Act.tanh, Act.sigmoid, false]] as const) {
      compareResults(run(shape, act, ract, true, resident, true), true, `act ${act}/${ract} resident ${resident}: `);
    }
  });
});

/** The same small LSTM training run, in whichever process calls it. */
const TRAIN = `
  const { Sequential, layers, tensor, Rng } = rnnkit;
  const rng = new Rng(9);
  const n = 48, T = 6, F = 2;
  const x = Float32Array.from({ length: n * T * F }, () => rng.uniform() * 2 - 1);
  const y = Float32Array.from({ length: n }, (_, i) => (x[i * T * F] > 0 ? 1 : 0));
  const model = new Sequential({ layers: [layers.lstm({ units: 8, inputShape: [T, F], seed: 1 }), layers.dense({ units: 1, activation: 'sigmoid', seed: 2 })] });
  model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
  const losses = (await model.fit(tensor(x, [n, T, F]), tensor(y, [n, 1]), { epochs: 2, batchSize: 16, verbose: 0, seed: 3 })).history.loss;`;


/** TRAIN in this process. */
async function trainHere(): Promise<number[]> {
  const rnnkit = await import('../src/index.js');
  const run = new Function('rnnkit', `return (async () => { ${TRAIN}\n return losses; })();`) as (m: typeof rnnkit) => Promise<number[]>;
  return run(rnnkit);
}

describe('without WebAssembly SIMD', () => {
  it("falls back to the TypeScript kernels (WebAssembly.validate simulated failing): 'auto' picks ts, 'wasm' is refused clearly, training gives the ts results bit for bit", async () => {
    const src = new URL('../src/index.ts', import.meta.url).href;
    const backendSrc = new URL('../src/backend/kernels.ts', import.meta.url).href;
    const child = `
      WebAssembly.validate = () => false; // an engine without SIMD rejects the kernel module
      const rnnkit = await import(${JSON.stringify(src)});
      const { backend, useBackend } = await import(${JSON.stringify(backendSrc)});
      let refusal = '';
      try { useBackend('wasm'); } catch (e) { refusal = e.message; }
      ${TRAIN}
      console.log(JSON.stringify({ name: backend().name, refusal, losses }));`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', child], { encoding: 'utf8', env: { ...process.env, RNNKIT_BACKEND: '' } });
    const got = JSON.parse(out.trim().split('\n').pop()!) as { name: string; refusal: string; losses: number[] };
    assert.equal(got.name, 'ts');
    assert.match(got.refusal, /WebAssembly SIMD is not available/);
    useBackend('ts');
    try {
      assert.deepEqual(got.losses, await trainHere());
    } finally {
      useBackend('auto');
    }
  });
});

describe('wasm memory', { skip }, () => {
  it('without SharedArrayBuffer the wasm backend still trains (buffers outside, operands copied) to the resident run\'s losses', async () => {
    const src = new URL('../src/index.ts', import.meta.url).href;
    const rt = new URL('../src/backend/wasm/runtime.ts', import.meta.url).href;
    const child = `
      delete globalThis.SharedArrayBuffer; // as in a page that is not cross-origin isolated
      const rnnkit = await import(${JSON.stringify(src)});
      const { wasmRuntime } = await import(${JSON.stringify(rt)});
      ${TRAIN}
      console.log(JSON.stringify({ backend: rnnkit.getBackend(), resident: wasmRuntime().resident, losses }));`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', child], { encoding: 'utf8', env: { ...process.env, RNNKIT_BACKEND: 'wasm' } });
    const got = JSON.parse(out.trim().split('\n').pop()!) as { backend: string; resident: boolean; losses: number[] };
    assert.equal(got.backend, 'wasm');
    assert.equal(got.resident, false);
    useBackend('wasm');
    try {
      const want = await trainHere();
      for (let e = 0; e < want.length; e++) assert.ok(Math.abs(got.losses[e]! - want[e]!) <= 1e-5 * want[e]!, `epoch ${e}: ${got.losses[e]} vs ${want[e]}`);
    } finally {
      useBackend('auto');
    }
  });

  it('blocks return to the allocator when their views are collected: 50 rounds of 16 MiB reuse the same memory', () => {
    const rt = new URL('../src/backend/wasm/runtime.ts', import.meta.url).href;
    const child = `
      const { residentAlloc, residentBytesInUse, wasmRuntime } = await import(${JSON.stringify(rt)});
      const keep = residentAlloc(1000);
      for (let round = 0; round < 50; round++) {
        let a = residentAlloc(4 << 20); a[a.length - 1] = round; a = null;
        globalThis.gc();
        await new Promise((r) => setTimeout(r, 0)); // finalizers run after the collection
      }
      globalThis.gc();
      await new Promise((r) => setTimeout(r, 10));
      console.log(JSON.stringify({ inUse: residentBytesInUse(), memory: wasmRuntime().memory.buffer.byteLength, kept: keep.length }));`;
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', child], { encoding: 'utf8' });
    const got = JSON.parse(out.trim().split('\n').pop()!) as { inUse: number; memory: number; kept: number };
    assert.equal(got.kept, 1000);
    assert.ok(got.inUse <= 64 << 10, `bytes still in use: ${got.inUse}`);
    assert.ok(got.memory < 3 * (16 << 20), `memory grew to ${got.memory} bytes: blocks were not reused`);
  });

  it('the kernels also run on an unshared memory (pages without cross-origin isolation): the import is rewritten, the GEMM copies', () => {
    const shared = decodeBase64(KERNELS_WASM_SIMD);
    const unshared = unshareMemoryImport(shared);
    assert.notDeepEqual(unshared, shared);
    const memory = new WebAssembly.Memory({ initial: 2, maximum: 65536 });
    assert.throws(() => new WebAssembly.Instance(new WebAssembly.Module(shared), { env: { memory } }));
    const k = new WebAssembly.Instance(new WebAssembly.Module(unshared), { env: { memory } }).exports as unknown as { gemm: (...a: number[]) => void };
    const f = new Float32Array(memory.buffer);
    f.set([1, 2, 3, 4], 16384); // A [2, 2] at byte 65536
    f.set([5, 6, 7, 8], 16388); // B [2, 2]
    k.gemm(2, 2, 2, 65536, 2, 1, 65552, 2, 65568, 2, 0);
    assert.deepEqual(Array.from(f.subarray(16392, 16396)), [19, 22, 43, 50]);
  });
});

describe('backend selection errors', () => {
  it("useBackend rejects an unknown name, listing the choices; RNNKIT_BACKEND does too, at import", () => {
    assert.throws(() => useBackend('gpu' as 'ts'), /useBackend: unknown backend "gpu"; available: auto, ts, wasm/);
    const src = new URL('../src/index.ts', import.meta.url).href;
    assert.throws(
      () => execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `await import(${JSON.stringify(src)});`], { encoding: 'utf8', stdio: 'pipe', env: { ...process.env, RNNKIT_BACKEND: 'cuda' } }),
      (e: { stderr?: string }) => /RNNKIT_BACKEND: unknown backend "cuda"; use auto, ts, wasm/.test(e.stderr ?? ''),
    );
  });
});
