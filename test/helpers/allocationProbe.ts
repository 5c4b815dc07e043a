/**
 * Child process for test/allocation.test.ts: trains one model (as a user's process
 * would) and prints how many young-generation bytes STEPS further training steps
 * left behind and how many minor collections ran. Run as:
 *   node --import tsx test/helpers/allocationProbe.ts '{"cell":"lstm","returnSequences":true,...}'
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { Rng } from '../../src/core/rng.js';
import { Sequential, input, layers, losses, model as graphModel, tensor, type Model, type SymbolicTensor } from '../../src/index.js';

export interface ProbeConfig {
  cell: 'simpleRNN' | 'lstm' | 'gru';
  optimizer: string;
  returnSequences: boolean;
  fromLogits: boolean;
  masked: boolean;
  dropout: number;
  /** A round that grew the young generation by at most this many bytes counts as flat. */
  slackBytes: number;
  /** Build a graph model instead: two inputs through one shared recurrent layer, attention between them, add, Dense. */
  graph?: boolean;
}

const STEPS = 1000;
const ROUNDS = 5;
const cfg = JSON.parse(process.argv[2]!) as ProbeConfig;
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const newSpaceUsed = (): number => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_used_size;

const rng = new Rng(5);
const N = 256;
const T = 10;
const xData = Float32Array.from({ length: N * T * 2 }, () => rng.uniform());
if (cfg.masked) for (let i = 0; i < N; i++) for (let t = 7; t < T; t++) xData.fill(0, (i * T + t) * 2, (i * T + t + 1) * 2);
const x = tensor(xData, [N, T, 2]);
function chain(): Model {
  const m = new Sequential();
  if (cfg.masked) m.add(layers.masking({ maskValue: 0, inputShape: [T, 2] }));
  const rnnArgs = { units: 16, returnSequences: cfg.returnSequences, dropout: cfg.dropout, recurrentDropout: cfg.dropout, seed: 1, ...(cfg.masked ? {} : { inputShape: [T, 2] }) };
  m.add(layers[cfg.cell](rnnArgs));
  m.add(layers.dense({ units: 3, activation: cfg.fromLogits ? 'linear' : 'softmax', seed: 2 }));
  return m;
}

function graph(): Model {
  const a = input({ shape: [T, 2] });
  const b = input({ shape: [T, 2] });
  const shared = layers[cfg.cell]({ units: 16, returnSequences: true, seed: 1 });
  const [ha, hb] = [shared.apply(cfg.masked ? layers.masking({ maskValue: 0 }).apply(a) : a), shared.apply(b)] as SymbolicTensor[];
  const att = layers.attention({ useScale: true }).apply([ha!, hb!]);
  const merged = layers.add().apply([ha!, att]);
  const last = cfg.returnSequences ? merged : layers.globalAveragePooling1d().apply(merged);
  return graphModel({ inputs: [a, b], outputs: layers.dense({ units: 3, activation: cfg.fromLogits ? 'linear' : 'softmax', seed: 2 }).apply(last) });
}

const model = cfg.graph === true ? graph() : chain();
const xs = cfg.graph === true ? [x, x] : x;
const y = cfg.returnSequences
  ? tensor(Float32Array.from({ length: N * T }, () => rng.int(3)), [N, T])
  : tensor(Float32Array.from({ length: N }, () => rng.int(3)), [N]);
model.compile({ optimizer: cfg.optimizer, loss: losses.sparseCategoricalCrossentropy({ fromLogits: cfg.fromLogits }), metrics: ['accuracy'] });
await model.fit(xs, y, { epochs: 1, batchSize: 32, verbose: 0, seed: 3 });
// The step as fit runs it: one output, no sample weights.
const SW_WIDTH = [1];
const WEIGHTED = [false];
for (let i = 0; i < 2000; i++) model.engine.trainStep(32, SW_WIDTH, WEIGHTED);

let gcs = 0;
// Count young-generation collections only: the forced full gc() below reports late.
const obs = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if ((e as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) gcs++;
});
obs.observe({ entryTypes: ['gc'] });
// Optimised code is compiled on a background thread; on a loaded machine a function can
// still run unoptimised (boxing its numbers) after the warm-up. A real per-step
// allocation shows in every round, so the probe measures up to ROUNDS rounds and
// reports the first flat one (or the last).
let result = { steps: STEPS, grown: 0, gcs: 0, rounds: 0 };
for (let round = 1; round <= ROUNDS; round++) {
  gc();
  await new Promise((r) => setImmediate(r));
  gcs = 0;
  const before = newSpaceUsed();
  for (let i = 0; i < STEPS; i++) model.engine.trainStep(32, SW_WIDTH, WEIGHTED);
  const after = newSpaceUsed();
  await new Promise((r) => setImmediate(r));
  result = { steps: STEPS, grown: after - before, gcs, rounds: round };
  if (result.gcs === 0 && result.grown <= cfg.slackBytes) break;
}
obs.disconnect();
console.log(JSON.stringify(result));
