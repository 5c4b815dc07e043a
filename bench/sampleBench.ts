/**
 * Sampling speed A/B in one process (issue 18): the charlm model (Embedding(30, 16) →
 * LSTM(128) → Dense(30, softmax), the bench's charlm-sample rows) generating with
 * stream.sampleNext, batch 1 and 64 streams, each variant timed in alternating rounds so
 * that load on a shared machine falls on both alike; best round per variant, in chars per
 * second of CPU time.
 *
 *   npx tsx bench/sampleBench.ts [--rounds 5] [--seconds 0.5] [--rows 1,64]
 *
 * Variants: layers (the executor runs the three layers, sampleIndex draws in JavaScript),
 * fused (one WebAssembly call per step: src/backend/wasm/sample.ts) and int8 (the same with
 * stream({precision: 'int8'}): the recurrent product in 8-bit weights).
 */
import { Rng, Sequential, layers, useBackend, type Stream } from '../src/index.js';
import { sampleTuning } from '../src/models/stream.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

const rounds = Number(arg('rounds', '5'));
const seconds = Number(arg('seconds', '0.5'));
const rowsList = arg('rows', '1,64').split(',').map(Number);

useBackend('wasm');
const m = new Sequential();
m.add(layers.embedding({ inputDim: 30, outputDim: 16, inputShape: [null], seed: 3 }));
m.add(layers.lstm({ units: 128, returnSequences: true, seed: 1 }));
m.add(layers.dense({ units: 30, activation: 'softmax', seed: 2 }));

interface Variant {
  readonly name: string;
  readonly set: () => void;
  readonly precision: 'float32' | 'int8';
}
const variants: Variant[] = [
  { name: 'layers', set: () => (sampleTuning.fused = false), precision: 'float32' },
  { name: 'fused', set: () => (sampleTuning.fused = true), precision: 'float32' },
  { name: 'int8', set: () => (sampleTuning.fused = true), precision: 'int8' },
];

/**
 * chars per second of this thread's CPU time (process.cpuUsage: the process runs one thread
 * here), over `seconds` of sampling: on a machine shared with other jobs, wall time counts
 * the time others held the core.
 */
function time(s: Stream, rows: number): number {
  const rng = new Rng(7);
  let ids: ArrayLike<number> = new Int32Array(rows).fill(1);
  let steps = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    for (let i = 0; i < 200; i++) ids = s.sampleNext(ids, rng);
    steps += 200;
  }
  const c = process.cpuUsage(c0);
  return (steps * rows) / ((c.user + c.system) / 1e6);
}

for (const rows of rowsList) {
  const streams = variants.map((v) => m.stream({ batchSize: rows, precision: v.precision }));
  const best = new Map<string, number>();
  variants.forEach((v, i) => {
    v.set();
    time(streams[i]!, rows); // warm-up
  });
  for (let r = 0; r < rounds; r++) {
    variants.forEach((v, i) => {
      v.set();
      best.set(v.name, Math.max(best.get(v.name) ?? 0, time(streams[i]!, rows)));
    });
  }
  const base = best.get(variants[0]!.name)!;
  for (const v of variants) {
    const b = best.get(v.name)!;
    console.log(`batch ${String(rows).padStart(2)}  ${v.name.padEnd(8)} ${Math.round(b).toLocaleString('en-US').padStart(9)} chars/s  ×${(b / base).toFixed(2)}`);
  }
}
