/**
 * onnx: rnnkit's `predict` against ONNX Runtime (onnxruntime-node, its CPU execution
 * provider, one thread: intraOpNumThreads 1, interOpNumThreads 1, sequential execution,
 * all graph optimizations) running the same model as `exportOnnx` writes it: the same
 * weights (rnnkit's, seeded), the same inputs, batch 64.
 *
 *   onnx classifier   ids [200] (right-padded, 20..200 real tokens) → Embedding(20000, 64,
 *                     maskZero) → LSTM(64) → Dense(3, softmax): the mask becomes ONNX's
 *                     sequence_lens, counted inside the graph
 *   onnx lstm128      the predict workload: [50, 16] → LSTM(128) → Dense(10, softmax)
 *
 * Check: on the first 64 sequences, ONNX Runtime's outputs against rnnkit's (each backend)
 * within 1e-5 (what test/onnxExport.test.ts asserts). Timing: sequences/s over as many
 * batches as fit in predictBudgetSeconds / maxRuns at the speed of one batch, median of up to
 * maxRuns runs, each contestant alone, after one warm-up run. Without onnxruntime-node
 * installed the rows say so.
 */
import { Rng, exportOnnx, layers, sequential, tensor, useBackend, type Sequential } from '../src/index.js';
import { getBackend, wasmSupported } from '../src/backend/kernels.js';
import { budgetCount, maxAbsDiff, median, timeOnce } from './stats.js';
import { DATA_SEED, WEIGHT_SEED } from './workloads.js';

export const ONNX = { batch: 64, sequences: 1024, checkSeqs: 64, predictBudgetSeconds: 3, maxRuns: 3, tolerance: 1e-5 } as const;

export interface OnnxCase {
  name: string;
  title: string;
  build(): Sequential;
  /** Inputs [sequences, …] as predict takes them. */
  data(): { x: Float32Array; shape: number[] };
}

const CLASSIFIER = { vocab: 20000, dim: 64, units: 64, T: 200, classes: 3, minTokens: 20 } as const;

export const ONNX_CASES: readonly OnnxCase[] = [
  {
    name: 'onnx classifier',
    title: `ids [${CLASSIFIER.T}] right-padded → Embedding(${CLASSIFIER.vocab}, ${CLASSIFIER.dim}, maskZero) → LSTM(${CLASSIFIER.units}) → Dense(${CLASSIFIER.classes}, softmax)`,
    build: () =>
      sequential({
        layers: [
          layers.embedding({ inputDim: CLASSIFIER.vocab, outputDim: CLASSIFIER.dim, maskZero: true, inputShape: [CLASSIFIER.T], seed: WEIGHT_SEED }),
          layers.lstm({ units: CLASSIFIER.units, seed: WEIGHT_SEED + 1 }),
          layers.dense({ units: CLASSIFIER.classes, activation: 'softmax', seed: WEIGHT_SEED + 2 }),
        ],
      }),
    data: () => {
      const { T, vocab } = CLASSIFIER;
      const rng = new Rng(DATA_SEED);
      const x = new Float32Array(ONNX.sequences * T);
      for (let i = 0; i < ONNX.sequences; i++) {
        const len = CLASSIFIER.minTokens + rng.int(T - CLASSIFIER.minTokens + 1);
        for (let t = 0; t < len; t++) x[i * T + t] = 1 + rng.int(vocab - 1);
      }
      return { x, shape: [ONNX.sequences, T] };
    },
  },
  {
    name: 'onnx lstm128',
    title: '[50, 16] → LSTM(128) → Dense(10, softmax) (the predict workload)',
    build: () =>
      sequential({
        layers: [layers.lstm({ units: 128, inputShape: [50, 16], seed: WEIGHT_SEED }), layers.dense({ units: 10, activation: 'softmax', seed: WEIGHT_SEED + 1 })],
      }),
    data: () => {
      const rng = new Rng(DATA_SEED);
      return { x: Float32Array.from({ length: ONNX.sequences * 50 * 16 }, () => rng.uniformIn(-1, 1)), shape: [ONNX.sequences, 50, 16] };
    },
  },
];

export interface OnnxRow {
  workload: string;
  contestant: string;
  framework: 'rnnkit' | 'onnxruntime';
  ranOn: string;
  /** Sequences per second; NaN when the row did not run. */
  value: number;
  times: number[];
  perRun: number;
  status: 'ok' | 'n/a' | 'error';
  note?: string;
  check?: { reference: string; losses: []; outputsMaxAbsDiff: number; ok: boolean };
}

type Ort = typeof import('onnxruntime-node');

/** A predict function on the first `count` sequences, batch by batch; returns the outputs. */
type Predict = (count: number) => Promise<Float32Array>;

async function measure(predict: Predict): Promise<{ check: Float32Array; times: number[]; perRun: number }> {
  const check = await predict(ONNX.checkSeqs); // also the warm-up
  const t = await timeOnce(() => predict(ONNX.batch));
  const perRun = ONNX.batch * budgetCount(t, ONNX.predictBudgetSeconds / ONNX.maxRuns, 1, ONNX.sequences / ONNX.batch);
  const runs = budgetCount((t * perRun) / ONNX.batch, ONNX.predictBudgetSeconds, 1, ONNX.maxRuns);
  const times: number[] = [];
  for (let r = 0; r < runs; r++) times.push(await timeOnce(() => predict(perRun)));
  return { check, times, perRun };
}

export async function benchOnnx(backends: readonly ('ts' | 'wasm')[], note: (s: string) => void): Promise<{ rows: OnnxRow[]; summary: string }> {
  let ort: Ort | null = null;
  let missing = '';
  try {
    ort = await import('onnxruntime-node');
  } catch (e) {
    missing = e instanceof Error ? e.message.split('\n')[0]! : String(e);
  }
  const version = ort === null ? null : (ort.env.versions.node ?? ort.env.versions.common);
  const rows: OnnxRow[] = [];
  const before = getBackend() as 'ts' | 'wasm';
  try {
    for (const c of ONNX_CASES) {
      note(`${c.name}: ${c.title}`);
      const model = c.build();
      const { x, shape } = c.data();
      const per = shape.slice(1).reduce((a, b) => a * b, 1);
      const slice = (count: number, at: number): Float32Array => x.subarray(at * per, (at + count) * per);
      let reference: Float32Array | null = null;
      for (const b of backends) {
        if (b === 'wasm' && !wasmSupported()) {
          rows.push({ workload: c.name, contestant: `rnnkit ${b}`, framework: 'rnnkit', ranOn: '', value: NaN, times: [], perRun: 0, status: 'n/a', note: 'WebAssembly SIMD unavailable' });
          continue;
        }
        useBackend(b);
        note(`${c.name}: rnnkit ${b}`);
        const m = await measure(async (count) => Float32Array.from(model.predict(tensor(slice(count, 0), [count, ...shape.slice(1)]), { batchSize: ONNX.batch }).data));
        reference ??= m.check;
        rows.push({ workload: c.name, contestant: `rnnkit ${b}`, framework: 'rnnkit', ranOn: `backend ${getBackend()}`, value: m.perRun / median(m.times), times: m.times, perRun: m.perRun, status: 'ok' });
      }
      if (ort === null) {
        rows.push({ workload: c.name, contestant: 'onnxruntime 1T', framework: 'onnxruntime', ranOn: '', value: NaN, times: [], perRun: 0, status: 'n/a', note: `onnxruntime-node not installed (${missing})` });
        continue;
      }
      note(`${c.name}: onnxruntime-node ${version}, 1 thread`);
      const session = await ort.InferenceSession.create(await exportOnnx(model), {
        executionProviders: ['cpu'],
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      });
      const [inputName] = session.inputNames;
      const [outputName] = session.outputNames;
      const o = ort;
      const m = await measure(async (count) => {
        const parts: Float32Array[] = [];
        for (let at = 0; at < count; at += ONNX.batch) {
          const n = Math.min(ONNX.batch, count - at);
          const out = await session.run({ [inputName!]: new o.Tensor('float32', slice(n, at), [n, ...shape.slice(1)]) });
          parts.push(out[outputName!]!.data as Float32Array);
        }
        const all = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
        let off = 0;
        for (const p of parts) all.set(p, (off += p.length) - p.length);
        return all;
      });
      await session.release();
      const row: OnnxRow = { workload: c.name, contestant: 'onnxruntime 1T', framework: 'onnxruntime', ranOn: `onnxruntime-node ${version} CPU, 1 thread`, value: m.perRun / median(m.times), times: m.times, perRun: m.perRun, status: 'ok' };
      if (reference !== null) {
        const d = maxAbsDiff(m.check, reference);
        row.check = { reference: `rnnkit ${backends[0]}`, losses: [], outputsMaxAbsDiff: d, ok: d <= ONNX.tolerance };
      }
      rows.push(row);
    }
  } finally {
    useBackend(before);
  }
  const summary =
    `onnx: rnnkit predict vs ONNX Runtime (onnxruntime-node ${version ?? 'not installed'}, CPU, intraOpNumThreads 1, interOpNumThreads 1) on the exportOnnx model, ` +
    `the same weights and inputs, batch ${ONNX.batch}, seq/s (median of up to ${ONNX.maxRuns} runs); ${ONNX_CASES.map((c) => `${c.name}: ${c.title}`).join('; ')}; ` +
    `check: ONNX Runtime's outputs for the first ${ONNX.checkSeqs} sequences against rnnkit's within ${ONNX.tolerance} (bench/onnxBench.ts).`;
  return { rows, summary };
}
