/**
 * Inference over long sequences: memory and time of predict with the recurrent layers' caches
 * kept for one chunk of steps (the default, layers/recurrent.ts forwardInChunks) against every
 * step's cache kept (the one-pass forward training uses), each in a fresh process so that the
 * resident memory of one does not count for the other.
 *
 *   npx tsx tools/predictMemory.ts [T, default 10000] [samples, default 32]
 *
 * The model: LSTM(128) → Dense(1) on 8 features, batch 32, one thread, the process's default
 * backend. Prints, per mode, the first call's and two later calls' times and the resident
 * memory and WebAssembly memory after them, and checks the two modes predict the same bits.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { layers, sequential, Tensor } from '../src/index.js';
import { setInferenceChunkFloats } from '../src/layers/recurrent.js';
import { memorySample, MiB } from './memory.js';

const [T, n] = [Number(process.argv[2] ?? 10_000), Number(process.argv[3] ?? 32)];
const mode = process.env.PREDICT_MEMORY_MODE;

if (mode === undefined) {
  const self = fileURLToPath(import.meta.url);
  const run = (m: string): { lines: string[]; sum: number } => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', self, String(T), String(n)], { env: { ...process.env, PREDICT_MEMORY_MODE: m }, encoding: 'utf8' });
    const lines = out.trim().split('\n');
    return { lines: lines.slice(0, -1), sum: Number(lines.at(-1)) };
  };
  console.log(`predict ${n} × ${T} × 8 through LSTM(128) → Dense(1), batch 32, one thread`);
  const chunked = run('chunked');
  const onePass = run('one-pass');
  for (const [name, r] of [['chunks of steps (default)', chunked], ['every step cached (one pass)', onePass]] as const) {
    console.log(`  ${name}:`);
    for (const l of r.lines) console.log(`    ${l}`);
  }
  console.log(`  the same predictions: ${chunked.sum === onePass.sum ? 'yes' : `NO (${chunked.sum} vs ${onePass.sum})`}`);
  if (chunked.sum !== onePass.sum) process.exitCode = 1;
} else {
  if (mode === 'one-pass') setInferenceChunkFloats(Number.MAX_SAFE_INTEGER);
  const m = sequential({ layers: [layers.lstm({ units: 128, inputShape: [null, 8], seed: 1 }), layers.dense({ units: 1, seed: 2 })] });
  let seed = 7;
  const x = new Tensor(Float32Array.from({ length: n * T * 8 }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1), [n, T, 8]);
  let sum = 0;
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    const y = m.predict(x, { batchSize: 32, workers: 1 }) as Tensor;
    const ms = performance.now() - t0;
    const s = memorySample();
    console.log(`call ${r + 1}: ${(ms / 1000).toFixed(2)} s, resident ${(s.rss / MiB).toFixed(0)} MiB, WebAssembly memory ${(s.wasmMemory / MiB).toFixed(0)} MiB`);
    sum = y.data.reduce((a, v) => a + v, 0);
  }
  console.log(String(sum));
}
