/**
 * The WebAssembly SIMD kernels (src/backend/wasm*.ts) against the TypeScript kernels, the
 * reference: the GEMM in every transpose combination, odd sizes, leading dimensions and
 * offsets, with and without accumulate, with operands in WebAssembly memory and outside;
 * activations; the LSTM time loop; training on useBackend('wasm') against 'ts'; and the
 * embedded binaries up to date with their AssemblyScript source.
 *
 * Tolerance: the WASM kernel accumulates in f32 (TS in f64), so each element is
 * compared against 1e-5 × (|C₀| + Σₖ|a·b|), the natural scale of the rounding error.
 */
import { describe, it, after } from 'node:test';
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gemm, gemmTs } from '../src/backend/gemm.js';
import { gemmWasm } from '../src/backend/wasmGemm.js';
import { wasmSupported as wasmGemmSupported } from '../src/backend/wasmRuntime.js';
import { KERNELS_WASM_SOURCE_SHA256 } from '../src/backend/wasm/kernelsWasm.js';
import { Rng, Sequential, layers, tensor, useBackend } from '../src/index.js';

function rand(n: number, rng: Rng): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform() * 2 - 1;
  return a;
}

const skip = !wasmGemmSupported() && 'WebAssembly SIMD not available';

describe('wasm gemm', () => {
  after(() => useBackend('ts'));

  it('the embedded binaries were built from the current wasm/kernels.ts (else: npm run build:wasm)', () => {
    const src = readFileSync(new URL('../wasm/kernels.ts', import.meta.url));
    assert.equal(createHash('sha256').update(src).digest('hex'), KERNELS_WASM_SOURCE_SHA256);
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
      gemmWasm(transA, transB, M, N, K, A, aOff, lda, B, bOff, ldb, got, cOff, ldc, accumulate);
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

  it("useBackend('wasm') routes the layer kernels' gemm to WebAssembly; 'ts' restores the TypeScript path", { skip }, () => {
    const A = Float32Array.from({ length: 8 * 300 }, (_, i) => Math.sin(i) * 1e-3 + 1);
    const B = Float32Array.from({ length: 300 * 8 }, (_, i) => Math.cos(i) * 1e-3 + 1);
    const ts = new Float32Array(64), viaWasm = new Float32Array(64), direct = new Float32Array(64), back = new Float32Array(64);
    gemmTs(false, false, 8, 8, 300, A, 0, 300, B, 0, 8, ts, 0, 8, false);
    gemmWasm(false, false, 8, 8, 300, A, 0, 300, B, 0, 8, direct, 0, 8, false);
    useBackend('wasm');
    gemm(false, false, 8, 8, 300, A, 0, 300, B, 0, 8, viaWasm, 0, 8, false);
    useBackend('ts');
    gemm(false, false, 8, 8, 300, A, 0, 300, B, 0, 8, back, 0, 8, false);
    assert.deepEqual(viaWasm, direct);
    assert.deepEqual(back, ts);
    assert.notDeepEqual(direct, ts); // f32 vs f64 accumulation over 300 terms near 1: the paths really differ
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
