/**
 * The TypeScript GEMM's few-rows path (M ≤ SMALL_M: streaming one sequence, no packing) must give
 * bit-identical results to the packed 4×4 path, and the recurrent kernels' B ≤ SMALL_M
 * branch (kernel used as stored, no transpose) must match their packed branch exactly.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { SMALL_M, gemmTs as gemm } from '../src/backend/ts/gemm.js';
import { Rng, Sequential, layers } from '../src/index.js';

function rand(n: number, rng: Rng): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform() * 2 - 1;
  return a;
}

test('gemm: rows path (M ≤ SMALL_M) is bit-identical to the packed path, with and without accumulate', () => {
  const rng = new Rng(3);
  for (const [K, N] of [[16, 128], [128, 512], [7, 5], [33, 30]] as const) {
    const M = 6; // the packed path handles these rows; rows 0…M-1 are then redone a few at a time
    const A = rand(M * K, rng);
    const B = rand(K * N, rng);
    const C0 = rand(M * N, rng);
    for (const accumulate of [false, true]) {
      const full = Float32Array.from(C0);
      gemm(false, false, M, N, K, A, 0, K, B, 0, N, full, 0, N, accumulate);
      for (let m = 1; m <= SMALL_M; m++) {
        const part = Float32Array.from(C0);
        for (let i = 0; i < M; i += m) {
          const rows = Math.min(m, M - i);
          gemm(false, false, rows, N, K, A, i * K, K, B, 0, N, part, i * N, N, accumulate);
        }
        let diffs = 0;
        for (let i = 0; i < full.length; i++) if (full[i] !== part[i]) diffs++;
        assert.equal(diffs, 0, `K ${K} N ${N} rows ${m} accumulate ${accumulate}: ${diffs} values differ`);
      }
    }
  }
});

test('recurrent layers: a stream of 1 sequence (rows path) gives exactly what batch 4 (packed path) gives', () => {
  for (const make of [() => layers.simpleRNN({ units: 12, returnSequences: true, seed: 1 }), () => layers.lstm({ units: 12, returnSequences: true, seed: 1 }), () => layers.gru({ units: 12, returnSequences: true, seed: 1 }), () => layers.gru({ units: 12, returnSequences: true, resetAfter: false, seed: 1 })]) {
    const m = new Sequential({ layers: [layers.embedding({ inputDim: 9, outputDim: 5, inputShape: [null], seed: 2 }), make()] });
    const seq = [1, 4, 2, 8, 3, 7];
    const batch = m.predict([seq, seq, seq, seq]).data;
    const s = m.stream({ batchSize: 1 });
    const stepped: number[] = [];
    for (const id of seq) stepped.push(...s.step([id]).data);
    assert.deepEqual(stepped, Array.from(batch.subarray(0, stepped.length)), m.layers[1]!.className);
  }
});
