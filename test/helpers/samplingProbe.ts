/**
 * Child process for test/streamSampling.test.ts: samples with stream.sampleNext (the
 * bench's char model: Embedding(30, 16) → LSTM(128) → Dense(30, softmax)) and prints how
 * many young-generation bytes STEPS further steps left behind and how many minor
 * collections ran, as test/helpers/allocationProbe.ts does for training. Run as:
 *   node --import tsx test/helpers/samplingProbe.ts ROWS [PRECISION]
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { Rng, Sequential, layers } from '../../src/index.js';

const STEPS = 2000;
const ROUNDS = 8;
/**
 * Rounds go on past ROUNDS until this many ms from the first (a round is ~10 ms): under a
 * loaded test run the optimising compiler, on its background thread, can finish after the
 * eighth round, and the unoptimised code boxes a number per step (34 KB over 2,000 steps was
 * seen, every round, beside a parallel test file). A real per-step allocation fails every round.
 */
const PATIENCE_MS = 4000;
/** The measurement itself costs about 2 KB; one boxed number per step would be 32 KB. */
const SLACK = 8192;
const rows = Number(process.argv[2] ?? 1);
const precision = (process.argv[3] ?? 'float32') as 'float32' | 'int8';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const newSpaceUsed = (): number => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_used_size;

const m = new Sequential();
m.add(layers.embedding({ inputDim: 30, outputDim: 16, inputShape: [null], seed: 3 }));
m.add(layers.lstm({ units: 128, returnSequences: true, seed: 1 }));
m.add(layers.dense({ units: 30, activation: 'softmax', seed: 2 }));
const s = m.stream({ batchSize: rows, precision });
const rng = new Rng(7);
const options = { temperature: 0.9, banned: [0] };
let ids: Int32Array = new Int32Array(rows).fill(1);
const run = (n: number): void => {
  for (let i = 0; i < n; i++) ids = s.sampleNext(ids, rng, options);
};
// Warm up for at least half a second (the optimising compiler runs on a background thread).
const warmEnd = performance.now() + 500;
do run(500);
while (performance.now() < warmEnd);

let gcs = 0;
const obs = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if ((e as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) gcs++;
});
obs.observe({ entryTypes: ['gc'] });
// As in allocationProbe.ts: on a loaded machine a function can still run unoptimised after
// the warm-up; a real per-step allocation shows in every round.
let result = { steps: STEPS, grown: 0, gcs: 0, rounds: 0, slack: SLACK };
const giveUp = performance.now() + PATIENCE_MS;
for (let round = 1; round <= ROUNDS || performance.now() < giveUp; round++) {
  gc();
  await new Promise((r) => setTimeout(r, 20));
  gcs = 0;
  const before = newSpaceUsed();
  run(STEPS);
  const after = newSpaceUsed();
  await new Promise((r) => setImmediate(r));
  result = { steps: STEPS, grown: after - before, gcs, rounds: round, slack: SLACK };
  if (result.gcs === 0 && result.grown <= SLACK) break;
}
obs.disconnect();
console.log(JSON.stringify(result));
