/**
 * `npm run bench` — every workload of bench/workloads.ts (issue 6) for rnnkit (backends 'ts'
 * and 'wasm', 1 and 2 workers), TensorFlow.js (tfjs-layers on its 'cpu' and 'wasm' backends)
 * and PyTorch (1 and 2 threads, when a python3 with torch is installed), side by side in one
 * run; prints one table of medians, ratios to PyTorch 1T and to tfjs-wasm, and the issue's
 * targets with pass/fail.
 *
 *   npm run bench                          everything (about 5–10 minutes on 2 cores)
 *   npm run bench -- --only lstm,predict   workloads or groups: seed, seed-learn, lstm, gru, big, gru256,
 *                                          charlm (= charlm + charlm-sample + charlm-sample-64),
 *                                          charlm-sample, charlm-sample-64, predict, seq2seq,
 *                                          gemm, adam, seq2seq-decode (its four rows; about a
 *                                          minute on 2 cores), classify (the default TextClassifier:
 *                                          train step and predict; about a minute on 2 cores),
 *                                          onnx (rnnkit predict vs onnxruntime-node, 1 thread, on
 *                                          the exportOnnx model; bench/onnxBench.ts; ~30 s)
 *                                          textgen-names (the names job, TextGenerator vs PyTorch,
 *                                          15 epochs each side, a few minutes; bench/textgenBench.ts;
 *                                          RNNKIT_BENCH_TEXTGEN_EPOCHS=N for a shorter job)
 *   npm run bench -- --frameworks rnnkit,torch   any of rnnkit, tfjs-cpu, tfjs-wasm, torch
 *   npm run bench -- --skip-torch          the same as leaving torch out of --frameworks
 *   npm run bench -- --backend wasm        rnnkit backends: ts, wasm or ts,wasm (default both)
 *   npm run bench -- --workers 1           rnnkit worker counts (default 1,2)
 *   npm run bench -- --torch-threads 1     PyTorch thread counts (default 1,2)
 *   npm run bench -- --epochs 3            timed epochs of the per-epoch workloads (default 7)
 *   npm run bench -- --batches 5           least timed batches of the per-batch workloads (default 3)
 *   npm run --silent bench -- --json       machine-readable results on stdout (progress on stderr)
 *
 * Method. All contestants of a workload start from the same initial weights: rnnkit's
 * (seeded), injected into tfjs and PyTorch. Each contestant runs alone, one after the other:
 * the JavaScript ones in this process (tfjs's backend is global, so its models are built,
 * run and disposed under one backend at a time; each row shows tf.getBackend() as read
 * after its run), then PyTorch in a child process per thread count (bench/torch_bench.py).
 *
 * Check before timing, per contestant: the predictions for the first 64 sequences before
 * any training (max |Δ| ≤ 1e-5 against the reference), then two training batches, each one
 * fit call on one batch-size slice: the loss of batch 0 (before any update) and of batch 1
 * (after one Adam or RMSprop step, so the gradients are checked too) within 1e-3 relative. The
 * reference is the first rnnkit row (normally 'ts', 1 worker: the TypeScript kernels are
 * the specification). tfjs's GRU rows run resetAfter false, checked against rnnkit's GRU with
 * resetAfter false. The two check batches are the warm-up. Per-epoch workloads (seed) also
 * get the full-epoch parity check against tfjs (see epochParity). Sampling: the
 * probabilities of four steps from a fresh state, every row of the batch (1e-5; see probeIds).
 * seq2seq (the lstm_seq2seq encoder–decoder, two inputs) is checked and timed the same way;
 * its optimizer is RMSprop. Where the libraries put the optimizer's ε: Adam — Keras 3 and
 * rnnkit on the uncorrected √v, tfjs after bias correction (within the tolerance; see
 * epochParity), PyTorch made identical (torch_bench.py); RMSprop — Keras 3, rnnkit and tfjs
 * divide by √(v + ε), PyTorch by √v + ε, which no setting of torch.optim.RMSprop turns into
 * the other: PyTorch runs its own rule and its batch-1 loss differs within the tolerance.
 * Micro rows: gemm shows its max|Δ| against a float64 product; adam checks the parameters
 * after one update against a float64 evaluation of each library's rule (1e-6) and rnnkit
 * wasm against ts. seq2seq-decode (bench/seq2seqDecodeBench.ts; rnnkit and PyTorch, whose
 * bench/torch_decode.py builds the same Seq2Seq and runs the same greedy and beam-search
 * algorithm with the rnnkit model's trained weights): every contestant's outputs (token
 * sequences) for the timed inputs against the first rnnkit row's — identical, or ≥ 99%
 * identical with each difference a near-tie on the reference model. classify
 * (bench/classifyBench.ts; PyTorch: bench/torch_classify.py): rnnkit's default TextClassifier,
 * tfjs-wasm and PyTorch (its variant over all steps, and the pack_padded_sequence one) on the
 * same padded id batches from the TextClassifier's initial weights: initial predictions for 64
 * texts (1e-5) and the losses of two training batches (1e-3 relative), as above. A failed
 * check exits with code 1.
 *
 * Timing, per contestant:
 *  - per-epoch workloads: one fit call of 1 + N epochs (shuffled); each epoch's time from the
 *    library's epoch callbacks; the first epoch (warm-up) is dropped; median s/epoch.
 *  - per-batch workloads: one fit call over K further batches (distinct slices, no
 *    shuffling), each batch timed from the previous batch's end to its own end through the
 *    library's batch callbacks (PyTorch: the same around each optimizer step); median s/batch.
 *    K = as many as fit in BATCH_BUDGET_S at the speed of check batch 1, at least --batches,
 *    at most what the data holds. A contestant whose first batch takes over SLOW_BATCH_S
 *    (tfjs on 'big') is timed on that batch alone (it includes the warm-up).
 *  - predict: sequences/s of predict(batch 64) over as many sequences as fit in
 *    PREDICT_BUDGET_S (all 2048 for the fast ones), median of up to 3 runs.
 *  - sampling: characters/s generating one character per stream per step (state carried,
 *    drawing from the softmax in the host language; rnnkit steps and draws in one call,
 *    stream.sampleNext, the same draws) for SAMPLE_BUDGET_S, median of 3 runs;
 *    charlm-sample runs 1 stream (batch 1), charlm-sample-64 64 streams as the rows of one
 *    batch (each step feeds 64 ids and draws 64, one per row from that row's probabilities;
 *    64 characters per step). Step counts are budgeted in characters (sampleWarmup is in steps).
 *  - adam (bench/adamBench.ts): ms per Adam update of 1,180,000 parameters, median of blocks.
 *  - seq2seq-decode: words/s translating a fixed set of held-out words (text to text) with
 *    Seq2Seq.translate — greedy and beam 5, batchSize 1 (64 words) and 64 (256 words) —
 *    and PyTorch's equivalent (1 and 2 threads, a child process per thread count after the
 *    rnnkit rows); median of up to 3 runs in a 2 s budget after the check run (the warm-up).
 *    Target: batched greedy decoding faster than PyTorch 1T (the fastest rnnkit row).
 *  - classify: s/batch of training batches of 32 (Adam step; per-batch method above, a 2.5 s
 *    budget) and texts/s of prediction at batch 64 (median of 3 runs in a 2.4 s budget), per
 *    contestant; rnnkit also from texts (TextClassifier.probabilities, vectorizer included).
 * GFLOP/s = the matrix-product FLOPs of one batch (forward and backward, workloads.ts
 * flopsPerBatch) / median s/batch. Ratios: "x faster" = reference time / row time (or row
 * rate / reference rate). Targets are judged on rnnkit's rows: each row, or (Target.rows
 * 'best') only the workload's fastest rnnkit row, standing for workers 'auto'.
 */
import os from 'node:os';
import { Rng, sampleIndex } from '../src/index.js';
import {
  contestantLabel,
  initialWeights,
  makeContestant,
  tfjsInfo,
  useTfjsBackend,
  type Contestant,
  type ContestantSpec,
  type Sampler,
  type TfjsBackend,
  type WeightValue,
} from './frameworks.js';
import { N_PARAMS as ADAM_PARAMS, benchAdam } from './adamBench.js';
import { benchGemm } from './gemmBench.js';
import { DECODE, DECODE_CASES, benchSeq2SeqDecode } from './seq2seqDecodeBench.js';
import { CLASSIFY, CLASSIFY_PREDICT, CLASSIFY_TITLE, CLASSIFY_TRAIN, benchClassify } from './classifyBench.js';
import { benchOnnx } from './onnxBench.js';
import { TEXTGEN_NAME, benchTextgen } from './textgenBench.js';
import { budgetCount, fmtNum, fmtSeconds, formatTable, maxAbsDiff, median, relDiff, timeOnce } from './stats.js';
import { TorchBench, findTorch, type TorchFound, type TorchPlan, type TorchResult } from './torch.js';
import { WORKLOADS, WORKLOAD_NAMES, flopsPerBatch, type ModelSpec, type Target, type Unit, type Workload } from './workloads.js';

const LOSS_REL_TOL = 1e-3;
const OUTPUT_ABS_TOL = 1e-5;
/** Adam micro row: parameters after one update (steps of ~1e-3) against the float64 rule. */
const ADAM_ABS_TOL = 1e-6;
const WEIGHTS_ABS_TOL = 1e-5;
const TINY_EPS = 1e-12;

/** How every contestant is measured; torch_bench.py gets the same object. */
const PLAN: Omit<TorchPlan, 'epochs' | 'minBatches'> = {
  checkSeqs: 64,
  slowBatchSeconds: 12,
  batchBudgetSeconds: 4,
  predictBudgetSeconds: 3,
  sampleBudgetSeconds: 0.5,
  sampleWarmup: 200, // steps (of every row)
  sampleMin: 500, // characters (all rows together)
  sampleMax: 100_000, // characters
  sampleSeed: 7,
  maxRuns: 3,
  probeIds: [1, 5, 9, 3],
};

type Framework = 'rnnkit' | 'tfjs-cpu' | 'tfjs-wasm' | 'torch';
const FRAMEWORKS: readonly Framework[] = ['rnnkit', 'tfjs-cpu', 'tfjs-wasm', 'torch'];

interface Options {
  epochs: number;
  batches: number;
  only: string[] | null;
  json: boolean;
  backends: ('ts' | 'wasm')[];
  workers: number[];
  torchThreads: number[];
  frameworks: Set<Framework>;
}

function usage(): string {
  return [
    'usage: npm run bench -- [--only NAMES] [--frameworks LIST] [--skip-torch] [--backend B] [--workers N,..] [--torch-threads N,..] [--epochs N] [--batches N] [--json]',
    `  --only NAMES        comma-separated workloads or groups: ${WORKLOAD_NAMES.join(', ')} (default all)`,
    `  --frameworks LIST   comma-separated: ${FRAMEWORKS.join(', ')} (default all)`,
    '  --skip-torch        leave PyTorch out',
    '  --backend B         rnnkit backends: ts, wasm, or ts,wasm (default)',
    '  --workers N,..      rnnkit worker counts for training, predict and evaluate (default 1,2)',
    '  --torch-threads N,..  PyTorch thread counts (default 1,2)',
    '  --epochs N          timed epochs of the per-epoch workloads, after 1 warm-up epoch (default 7)',
    `  --batches N         least timed batches of the per-batch workloads, after 2 check batches (default 3; more where ${PLAN.batchBudgetSeconds} s allow)`,
    '  --json              print machine-readable results instead of the table',
  ].join('\n');
}

function fail(message: string): never {
  console.error(`bench: ${message}\n${usage()}`);
  process.exit(2);
}

function list<T extends string>(flag: string, v: string, allowed: readonly T[]): T[] {
  const items = v.split(',').filter((s) => s !== '');
  for (const s of items) if (!(allowed as readonly string[]).includes(s)) fail(`${flag}: unknown ${JSON.stringify(s)}; choose from ${allowed.join(', ')}`);
  if (items.length === 0) fail(`${flag} needs a value`);
  return items as T[];
}

function counts(flag: string, v: string): number[] {
  const out = v.split(',').map(Number);
  if (out.length === 0 || out.some((n) => !Number.isInteger(n) || n < 1)) fail(`${flag}: positive integers, got ${JSON.stringify(v)}`);
  return [...new Set(out)];
}

function parseArgs(argv: readonly string[]): Options {
  const opts: Options = { epochs: 7, batches: 3, only: null, json: false, backends: ['ts', 'wasm'], workers: [1, 2], torchThreads: [1, 2], frameworks: new Set(FRAMEWORKS) };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const [flag, inline] = a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) fail(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--epochs':
        opts.epochs = counts(flag, value())[0]!;
        break;
      case '--batches':
        opts.batches = counts(flag, value())[0]!;
        break;
      case '--only':
        opts.only = list(flag, value(), WORKLOAD_NAMES);
        break;
      case '--frameworks':
        opts.frameworks = new Set(list(flag, value(), FRAMEWORKS));
        break;
      case '--skip-torch':
        opts.frameworks.delete('torch');
        break;
      case '--backend':
        opts.backends = [...new Set(list(flag, value(), ['ts', 'wasm'] as const))];
        break;
      case '--workers':
        opts.workers = counts(flag, value());
        break;
      case '--torch-threads':
        opts.torchThreads = counts(flag, value());
        break;
      case '--json':
        opts.json = true;
        break;
      case '--help':
      case '-h':
        console.log(usage());
        process.exit(0);
        break;
      default:
        fail(`unknown argument ${JSON.stringify(a)}`);
    }
  }
  return opts;
}

/** Progress notes go to stderr so `--json` output stays clean. */
function note(message: string): void {
  process.stderr.write(`${message}\n`);
}

// ---------------------------------------------------------------- measuring

/** One contestant on one workload, before it is compared with the others. */
interface Measured {
  /** Losses of check batches 0 and 1 (only 0 for a slow contestant). */
  checkLosses: number[];
  /** Predictions for the first sequences before training, or the sampler's probe probabilities. */
  checkOutputs: ArrayLike<number> | null;
  /** Seconds per epoch / batch / predict run / sampling run. */
  times: number[];
  /** Sequences or characters per timed run (rates). */
  perRun?: number;
  /** Mean training loss of the timed fit (last epoch). */
  loss?: number;
  ranOn: string;
  note?: string;
}

/**
 * `steps` steps of every row of the sampler from a fresh state, every row starting from id 1:
 * each step feeds one id per row and draws the row's next id from its own probabilities
 * (rows·steps characters). One Rng for all rows; batch 1 is one-character-at-a-time sampling.
 */
function generate(s: Sampler, V: number, steps: number, scratch: Float64Array): void {
  const rng = new Rng(PLAN.sampleSeed);
  const rows = s.rows;
  let ids: Int32Array = new Int32Array(rows).fill(1);
  s.reset();
  if (s.sample !== undefined) {
    // The same draws in one call per step (rnnkit: stream.sampleNext, no copy of the probabilities).
    for (let i = 0; i < steps; i++) ids = s.sample(ids, rng);
    return;
  }
  for (let i = 0; i < steps; i++) {
    const probs = s.step(ids);
    for (let r = 0; r < rows; r++) ids[r] = sampleIndex(probs, r * V, V, rng, {}, scratch);
  }
}

/**
 * The check's inputs: step k feeds row r the id 1 + (probeIds[k] − 1 + r) mod (V − 1) —
 * probeIds themselves in row 0 (so batch 1 is checked as before), different ids in the other
 * rows, states carried. torch_bench.py uses the same formula.
 */
function probeIds(k: number, rows: number, V: number): Int32Array {
  return Int32Array.from({ length: rows }, (_, r) => 1 + ((PLAN.probeIds[k]! - 1 + r) % (V - 1)));
}

/** The check, then the timing, of one JavaScript contestant (torch_bench.py does the same). */
async function measure(c: Contestant, w: Workload, model: ModelSpec, opts: Options, checkOnly = false): Promise<Measured> {
  const d = w.data();
  const B = model.batchSize;
  const P = Math.min(PLAN.checkSeqs, d.n);
  if (w.mode === 'sample') {
    const V = model.embeddingVocab!;
    const rows = w.sampleRows ?? 1;
    const s = c.sampler(rows);
    const probe: number[] = [];
    s.reset();
    for (let k = 0; k < PLAN.probeIds.length; k++) probe.push(...Array.from(s.step(probeIds(k, rows, V))));
    const scratch = new Float64Array(V);
    const warm = await timeOnce(() => generate(s, V, PLAN.sampleWarmup, scratch));
    const steps = budgetCount(warm / PLAN.sampleWarmup, PLAN.sampleBudgetSeconds, Math.ceil(PLAN.sampleMin / rows), Math.ceil(PLAN.sampleMax / rows));
    const times: number[] = [];
    for (let r = 0; r < PLAN.maxRuns && !checkOnly; r++) times.push(await timeOnce(() => generate(s, V, steps, scratch)));
    s.dispose();
    return { checkLosses: [], checkOutputs: probe, times, perRun: steps * rows, ranOn: c.ranOn(), ...(rows > 1 ? { note: `${rows} streams × ${steps} steps` } : {}) };
  }
  if (w.mode === 'predict') {
    // Untimed first: the warm-up, where rnnkit with workers > 1 also starts its worker pool and replica.
    const check = c.predict(64, P);
    const t = await timeOnce(() => c.predict(64, P));
    const count = 64 * budgetCount(t, PLAN.predictBudgetSeconds, 1, Math.floor(d.n / 64));
    const runs = budgetCount((t * count) / P, PLAN.predictBudgetSeconds, 1, PLAN.maxRuns);
    const times: number[] = [];
    for (let r = 0; r < runs && !checkOnly; r++) times.push(await timeOnce(() => c.predict(64, count)));
    return { checkLosses: [], checkOutputs: check, times, perRun: count, ranOn: c.ranOn() };
  }
  const checkOutputs = c.predict(64, P);
  const losses: number[] = [];
  const t0 = await timeOnce(async () => losses.push(await c.fitSlice(0, B)));
  if (w.mode === 'batch' && t0 > PLAN.slowBatchSeconds && !checkOnly) {
    return { checkLosses: losses, checkOutputs, times: [t0], loss: losses[0], ranOn: c.ranOn(), note: '1 batch incl. warm-up (slow)' };
  }
  const t1 = await timeOnce(async () => losses.push(await c.fitSlice(B, B)));
  if (checkOnly) return { checkLosses: losses, checkOutputs, times: [], ranOn: c.ranOn() };
  if (w.mode === 'batch') {
    const K = budgetCount(t1, PLAN.batchBudgetSeconds, opts.batches, Math.floor(d.n / B) - 2);
    const r = await c.fitTimed(2 * B, K * B, 1, false, 'batch');
    return { checkLosses: losses, checkOutputs, times: r.times, loss: r.loss, ranOn: c.ranOn() };
  }
  const r = await c.fitTimed(0, d.n, 1 + opts.epochs, true, 'epoch');
  return { checkLosses: losses, checkOutputs, times: r.times.slice(1), loss: r.loss, ranOn: c.ranOn() };
}

// ---------------------------------------------------------------- seed: full-epoch parity with tfjs

interface EpochParity {
  workload: string;
  tfjs: string;
  predictMaxAbsDiff: number;
  epochLoss: { rnnkit: number; tfjs: number; rel: number };
  evalLoss: { rnnkit: number; tfjs: number; rel: number };
  /** After the epoch, default ε: differs by Adam's ε placement (Keras 3 vs tfjs), not a bug. */
  weightsMaxAbsDiff: number;
  /** Same epoch with ε = 1e-12, where the placement no longer matters: must be tiny. */
  weightsMaxAbsDiffTinyEps: number;
  ok: boolean;
}

function weightsDiff(a: readonly WeightValue[], b: readonly WeightValue[]): number {
  let m = a.length === b.length ? 0 : Infinity;
  for (let i = 0; i < Math.min(a.length, b.length); i++) m = Math.max(m, maxAbsDiff(a[i]!.data, b[i]!.data));
  return m;
}

/**
 * One whole epoch (shuffle false) in rnnkit ('ts', 1 worker) and in tfjs from the same weights:
 * epoch losses and post-epoch evaluate losses within 1e-3 relative, predictions before
 * training within 1e-5, and — in a second run with Adam ε = 1e-12 — the weights after the
 * epoch within 1e-5 (at the default ε they differ by up to ~5e-4 because Keras 3 and rnnkit
 * add ε to the uncorrected √v while tfjs adds it after bias correction).
 */
async function epochParity(w: Workload, tfjsBackend: TfjsBackend): Promise<EpochParity> {
  const d = w.data();
  const pair = async (model: ModelSpec): Promise<[Contestant, Contestant]> => {
    const ours = await makeContestant({ framework: 'rnnkit', backend: 'ts', workers: 1 }, d, model, null);
    return [ours, await makeContestant({ framework: 'tfjs', backend: tfjsBackend }, d, model, ours.getWeights())];
  };
  const [ours, theirs] = await pair(w.model);
  const predictMaxAbsDiff = maxAbsDiff(ours.predict(32, d.n), theirs.predict(32, d.n));
  const l1 = await ours.fitEpoch(false);
  const l2 = await theirs.fitEpoch(false);
  const [e1] = ours.evaluate();
  const [e2] = theirs.evaluate();
  const weightsMaxAbsDiff = weightsDiff(ours.getWeights(), theirs.getWeights());
  theirs.dispose();
  const [ours2, theirs2] = await pair({ ...w.model, epsilon: TINY_EPS });
  await ours2.fitEpoch(false);
  await theirs2.fitEpoch(false);
  const weightsMaxAbsDiffTinyEps = weightsDiff(ours2.getWeights(), theirs2.getWeights());
  theirs2.dispose();
  const epochLoss = { rnnkit: l1, tfjs: l2, rel: relDiff(l1, l2) };
  const evalLoss = { rnnkit: e1, tfjs: e2, rel: relDiff(e1, e2) };
  const ok =
    epochLoss.rel <= LOSS_REL_TOL && evalLoss.rel <= LOSS_REL_TOL && Number.isFinite(l1) && predictMaxAbsDiff <= OUTPUT_ABS_TOL && weightsMaxAbsDiffTinyEps <= WEIGHTS_ABS_TOL;
  return { workload: w.name, tfjs: `tfjs-${tfjsBackend}`, predictMaxAbsDiff, epochLoss, evalLoss, weightsMaxAbsDiff, weightsMaxAbsDiffTinyEps, ok };
}

function formatEpochParity(c: EpochParity): string {
  return (
    `check ${c.workload} ${c.tfjs} (1 whole epoch, shuffle=false, vs rnnkit ts): ` +
    `epoch loss ${c.epochLoss.rnnkit.toFixed(6)} vs ${c.epochLoss.tfjs.toFixed(6)} (rel ${c.epochLoss.rel.toExponential(1)}), ` +
    `evaluate loss ${c.evalLoss.rnnkit.toFixed(6)} vs ${c.evalLoss.tfjs.toFixed(6)} (rel ${c.evalLoss.rel.toExponential(1)}), ` +
    `initial predict max|Δ| ${c.predictMaxAbsDiff.toExponential(1)}, ` +
    `weights max|Δ| after the epoch ${c.weightsMaxAbsDiff.toExponential(1)} (Adam ε placement; with ε=${TINY_EPS}: ${c.weightsMaxAbsDiffTinyEps.toExponential(1)}) ` +
    `→ ${c.ok ? 'OK' : `FAIL (tolerances: losses ${LOSS_REL_TOL} relative, predict ${OUTPUT_ABS_TOL}, weights at tiny ε ${WEIGHTS_ABS_TOL})`}`
  );
}

// ---------------------------------------------------------------- rows

interface Check {
  reference: string;
  losses: { value: number; reference: number; rel: number }[];
  outputsMaxAbsDiff: number;
  /** Further compared figures, printed after the check line's own (adam: rnnkit wasm vs ts). */
  extra?: string;
  ok: boolean;
}

interface Row {
  workload: string;
  contestant: string;
  framework: 'rnnkit' | 'tfjs' | 'torch' | 'onnxruntime';
  unit: Unit;
  /** Median (s/epoch, s/batch) or rate (seq/s, chars/s, GFLOP/s); NaN when the row did not run. */
  value: number;
  samples: number[];
  status: 'ok' | 'n/a' | 'error';
  note?: string;
  ranOn?: string;
  loss?: number;
  gflops?: number;
  check?: Check;
  /** How many times faster than the PyTorch 1-thread row / the tfjs-wasm row (NaN without one). */
  vsTorch1T: number;
  vsTfjsWasm: number;
  targets: { label: string; pass: boolean | null }[];
  detail?: string;
  /** The measurement, kept until the checks are done. */
  measured?: Measured;
  /** The model the row ran, where it differs from the workload's (tfjs GRU). */
  model?: ModelSpec;
}

const RATE_UNITS: readonly Unit[] = ['seq/s', 'chars/s', 'words/s', 'texts/s', 'GFLOP/s'];

function toRow(w: Workload, contestant: string, framework: Row['framework'], m: Measured): Row {
  const rate = RATE_UNITS.includes(w.unit);
  const value = rate ? m.perRun! / median(m.times) : median(m.times);
  const row: Row = { workload: w.name, contestant, framework, unit: w.unit, value, samples: m.times, status: 'ok', ranOn: m.ranOn, vsTorch1T: NaN, vsTfjsWasm: NaN, targets: [], measured: m };
  if (m.note !== undefined) row.note = m.note;
  if (m.loss !== undefined) row.loss = m.loss;
  if (m.perRun !== undefined) row.detail = `${m.perRun.toLocaleString('en-US')} ${w.unit === 'seq/s' ? 'sequences' : 'characters'} per run`;
  if (w.mode === 'batch') row.gflops = flopsPerBatch(w.model) / value / 1e9;
  return row;
}

function naRow(w: Workload, contestant: string, framework: Row['framework'], status: 'n/a' | 'error', note: string): Row {
  return { workload: w.name, contestant, framework, unit: w.unit, value: NaN, samples: [], status, note, vsTorch1T: NaN, vsTfjsWasm: NaN, targets: [] };
}

function compare(m: Measured, ref: Measured, reference: string): Check {
  // A slow contestant (or reference) has batch 0 only: compare the batches both have.
  const n = Math.min(m.checkLosses.length, ref.checkLosses.length);
  const losses = m.checkLosses.slice(0, n).map((value, i) => ({ value, reference: ref.checkLosses[i]!, rel: relDiff(value, ref.checkLosses[i]!) }));
  const outputsMaxAbsDiff = m.checkOutputs === null || ref.checkOutputs === null ? NaN : maxAbsDiff(m.checkOutputs, ref.checkOutputs);
  const ok = losses.every((l) => Number.isFinite(l.value) && l.rel <= LOSS_REL_TOL) && (Number.isNaN(outputsMaxAbsDiff) || outputsMaxAbsDiff <= OUTPUT_ABS_TOL);
  return { reference, losses, outputsMaxAbsDiff, ok };
}

function formatCheck(r: Row): string {
  const c = r.check!;
  if (r.unit === 'ms/update') {
    return `check ${r.workload} ${r.contestant}: parameters after 1 update max|Δ| vs ${c.reference} ${c.outputsMaxAbsDiff.toExponential(1)}${c.extra ?? ''} → ${c.ok ? 'OK' : `FAIL (tolerance ${ADAM_ABS_TOL})`}`;
  }
  if (r.unit === 'words/s' || r.unit === 's/job') return `check ${r.workload} ${r.contestant} vs ${c.reference}: ${c.extra ?? ''} → ${c.ok ? 'OK' : 'FAIL'}`;
  const rows = WORKLOADS.find((w) => w.name === r.workload)?.sampleRows ?? 1;
  const what = r.unit === 'chars/s' ? `probabilities of ${PLAN.probeIds.length} steps${rows > 1 ? ` × ${rows} rows` : ''}` : 'initial predictions';
  const losses = c.losses.map((l, i) => `batch ${i} loss ${l.value.toFixed(6)} vs ${l.reference.toFixed(6)} (rel ${l.rel.toExponential(1)})`).join(', ');
  return `check ${r.workload} ${r.contestant} vs ${c.reference}: ${losses}${losses === '' ? '' : ', '}${what} max|Δ| ${c.outputsMaxAbsDiff.toExponential(1)} → ${c.ok ? 'OK' : `FAIL (tolerances: losses ${LOSS_REL_TOL} relative, outputs ${OUTPUT_ABS_TOL})`}`;
}

function speedup(row: Row, ref: Row | undefined): number {
  if (ref === undefined || row.status !== 'ok' || ref.status !== 'ok') return NaN;
  return RATE_UNITS.includes(row.unit) ? row.value / ref.value : ref.value / row.value;
}

/** The fastest 'ok' row (least time, or highest rate); undefined when none ran. */
function fastest(rows: readonly Row[]): Row | undefined {
  const ok = rows.filter((r) => r.status === 'ok' && Number.isFinite(r.value));
  const faster = (a: Row, b: Row): boolean => (RATE_UNITS.includes(a.unit) ? a.value > b.value : a.value < b.value);
  return ok.reduce<Row | undefined>((best, r) => (best === undefined || faster(r, best) ? r : best), undefined);
}

function judge(t: Target, row: Row): boolean | null {
  const x = t.vs === 'torch 1T' ? row.vsTorch1T : t.vs === 'tfjs-wasm' ? row.vsTfjsWasm : t.metric === 'gflops' ? (row.gflops ?? NaN) : row.value;
  return Number.isFinite(x) ? x >= t.min : null;
}

// ---------------------------------------------------------------- running

interface Env {
  node: string;
  cpus: number;
  availableParallelism: number;
  cpuModel: string;
  tfjs: ReturnType<typeof tfjsInfo>;
  torch: TorchFound & { threads?: number[] };
  rnnkit: { backends: string[]; workers: number[] };
}

function contestants(opts: Options): ContestantSpec[] {
  const out: ContestantSpec[] = [];
  if (opts.frameworks.has('rnnkit')) for (const b of opts.backends) for (const n of opts.workers) out.push({ framework: 'rnnkit', backend: b, workers: n });
  for (const b of ['cpu', 'wasm'] as const) if (opts.frameworks.has(`tfjs-${b}`)) out.push({ framework: 'tfjs', backend: b });
  return out;
}

/** Runs one JS contestant on one workload; 'n/a' when it cannot (workers, SIMD). */
async function runJs(spec: ContestantSpec, w: Workload, weights: Map<ModelSpec, WeightValue[]>, opts: Options, env: Env): Promise<Row> {
  const label = contestantLabel(spec);
  const framework = spec.framework;
  if (spec.framework === 'rnnkit' && spec.workers > 1 && w.mode === 'sample') return naRow(w, label, framework, 'n/a', 'workers apply to training, predict and evaluate');
  const model = spec.framework === 'tfjs' ? (w.tfjsModel ?? w.model) : w.model;
  let c: Contestant | null = null;
  try {
    c = await makeContestant(spec, w.data(), model, spec.framework === 'rnnkit' ? null : weights.get(model)!);
    const row = toRow(w, label, framework, await measure(c, w, model, opts));
    if (model !== w.model) row.model = model;
    return row;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/WebAssembly SIMD is not available/.test(msg)) return naRow(w, label, framework, 'n/a', msg);
    note(`${w.name} ${label}: ERROR ${msg}`);
    return naRow(w, label, framework, 'error', msg);
  } finally {
    c?.dispose();
  }
}

function torchRow(w: Workload, threads: number, r: TorchResult | undefined): Row {
  const label = `torch ${threads}T`;
  if (r === undefined || r.error !== undefined) return naRow(w, label, 'torch', 'error', r?.error ?? 'no result');
  const m: Measured = { checkLosses: r.checkLosses ?? [], checkOutputs: r.checkOutputs ?? null, times: r.times ?? [], ranOn: `${threads} thread${threads > 1 ? 's' : ''}` };
  if (r.perRun !== undefined) m.perRun = r.perRun;
  if (r.loss !== undefined) m.loss = r.loss;
  if (r.note !== undefined) m.note = r.note;
  return toRow(w, label, 'torch', m);
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const selected = WORKLOADS.filter((w) => opts.only === null || opts.only.includes(w.name) || opts.only.includes(w.group));
  const wantGemm = opts.only === null || opts.only.includes('gemm');
  const wantAdam = opts.only === null || opts.only.includes('adam');
  const wantDecode = opts.only === null || opts.only.includes('seq2seq-decode');
  const wantClassify = opts.only === null || opts.only.includes('classify');
  const wantOnnx = opts.only === null || opts.only.includes('onnx');
  const wantTextgen = opts.only === null || opts.only.includes(TEXTGEN_NAME);
  const torch: TorchFound = opts.frameworks.has('torch') ? findTorch() : { missing: 'skipped (--skip-torch / --frameworks)' };
  const env: Env = {
    node: process.version,
    cpus: os.cpus().length,
    availableParallelism: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    tfjs: tfjsInfo(),
    torch: 'version' in torch ? { ...torch, threads: opts.torchThreads } : torch,
    rnnkit: { backends: opts.backends, workers: opts.workers },
  };
  note(`PyTorch: ${'version' in torch ? `${torch.version} (${torch.python})` : `not installed (${torch.missing})`}`);

  const rows: Row[] = [];
  const epochChecks: EpochParity[] = [];
  const refs = new Map<Workload, { row: string; m: Measured }>();
  const tfjsRefs = new Map<Workload, { row: string; m: Measured }>();
  const weights = new Map<ModelSpec, WeightValue[]>();
  const js = contestants(opts);
  for (const w of selected) {
    note(`${w.name}: ${w.title}`);
    const models = [w.model, ...(w.tfjsModel !== undefined && js.some((c) => c.framework === 'tfjs') ? [w.tfjsModel] : [])];
    for (const m of models) if (!weights.has(m)) weights.set(m, initialWeights(m));
    for (const spec of js) {
      note(`${w.name}: ${contestantLabel(spec)}`);
      const row = await runJs(spec, w, weights, opts, env);
      rows.push(row);
      if (row.status === 'ok' && !refs.has(w) && row.framework === 'rnnkit') refs.set(w, { row: row.contestant, m: row.measured! });
    }
    if (w.tfjsModel !== undefined && js.some((c) => c.framework === 'tfjs')) {
      note(`${w.name}: rnnkit ts reference for tfjs's variant`);
      const c = await makeContestant({ framework: 'rnnkit', backend: 'ts', workers: 1 }, w.data(), w.tfjsModel, null);
      tfjsRefs.set(w, { row: 'rnnkit ts 1w (resetAfter=false)', m: await measure(c, w, w.tfjsModel, opts, true) });
    }
    if (w.mode === 'epoch') {
      for (const b of ['cpu', 'wasm'] as const) {
        if (!opts.frameworks.has(`tfjs-${b}`)) continue;
        note(`${w.name}: full-epoch parity check, tfjs-${b}`);
        epochChecks.push(await epochParity(w, b));
      }
    }
  }

  let gemmRows: Row[] = [];
  if (wantGemm) {
    const tfjsBackends = (['cpu', 'wasm'] as const).filter((b) => opts.frameworks.has(`tfjs-${b}`));
    const g = await benchGemm(opts.frameworks.has('rnnkit') ? opts.backends : [], tfjsBackends, note);
    gemmRows = g.map((x) => ({
      workload: x.workload,
      contestant: x.contestant,
      ranOn: x.ranOn,
      framework: x.contestant.startsWith('rnnkit') ? 'rnnkit' : 'tfjs',
      unit: 'GFLOP/s',
      value: x.gflops,
      samples: [],
      status: 'ok',
      vsTorch1T: NaN,
      vsTfjsWasm: NaN,
      targets: [],
      detail: `max|Δ| vs float64 ${x.maxAbsErr.toExponential(1)}`,
    }));
  }
  let adamRows: Row[] = [];
  if (wantAdam) {
    const tfjsBackends = (['cpu', 'wasm'] as const).filter((b) => opts.frameworks.has(`tfjs-${b}`));
    const a = await benchAdam(opts.frameworks.has('rnnkit') ? opts.backends : [], tfjsBackends, note);
    const ts = a.find((x) => x.contestant === 'rnnkit ts');
    const tfjsWasm = a.find((x) => x.contestant === 'tfjs-wasm');
    adamRows = a.map((x) => {
      const vsTs = ts === undefined || x === ts ? '' : `, ${fmtSpeedup(ts.msPerUpdate / x.msPerUpdate)} than rnnkit ts`;
      const vsTsBits = x.vsTsMaxAbsDiff === undefined ? '' : `, vs rnnkit ts ${x.vsTsMaxAbsDiff === 0 ? '0 (bit-identical)' : x.vsTsMaxAbsDiff.toExponential(1)}`;
      const reference = `float64 ${x.rule === 'keras' ? "Keras 3 rule (ε on uncorrected √v)" : "tfjs rule (ε after bias correction)"}`;
      const ok = x.maxAbsErr <= ADAM_ABS_TOL && (x.vsTsMaxAbsDiff === undefined || x.vsTsMaxAbsDiff <= ADAM_ABS_TOL);
      return {
        workload: x.workload,
        contestant: x.contestant,
        ranOn: x.ranOn,
        framework: x.contestant.startsWith('rnnkit') ? 'rnnkit' : 'tfjs',
        unit: 'ms/update',
        value: x.msPerUpdate,
        samples: [],
        status: 'ok',
        vsTorch1T: NaN,
        vsTfjsWasm: tfjsWasm === undefined ? NaN : tfjsWasm.msPerUpdate / x.msPerUpdate,
        targets: [],
        check: { reference, losses: [], outputsMaxAbsDiff: x.maxAbsErr, extra: vsTsBits, ok },
        detail: `${x.nsPerParam.toFixed(2)} ns/param${vsTs}`,
      } satisfies Row;
    });
  }
  let decodeRows: Row[] = [];
  let decodeSummary: string | null = null;
  if (wantDecode) {
    const d = await benchSeq2SeqDecode(opts.frameworks.has('rnnkit') ? opts.backends : [], opts.frameworks.has('torch') ? torch : null, opts.torchThreads, note);
    decodeSummary = d.summary;
    decodeRows = d.rows.map((x) => {
      const row: Row = {
        workload: x.workload,
        contestant: x.contestant,
        ranOn: x.ranOn,
        framework: x.framework,
        unit: 'words/s',
        value: x.wordsPerSecond,
        samples: x.times,
        status: x.status,
        vsTorch1T: NaN,
        vsTfjsWasm: NaN,
        targets: [],
      };
      if (x.status === 'ok') row.detail = `${x.perRun} words per run`;
      if (x.note !== undefined) row.note = x.note;
      if (x.check !== undefined) row.check = { reference: x.check.reference, losses: [], outputsMaxAbsDiff: NaN, extra: x.check.line, ok: x.check.ok };
      return row;
    });
    const caseIndex = (r: Row): number => DECODE_CASES.findIndex((c) => c.name === r.workload);
    decodeRows.sort((a, b) => caseIndex(a) - caseIndex(b)); // stable: per case, rnnkit's backends, then PyTorch's thread counts
    for (const c of DECODE_CASES) {
      const mine = decodeRows.filter((r) => r.workload === c.name);
      const torch1 = mine.find((r) => r.contestant === 'torch 1T');
      const best = fastest(mine.filter((r) => r.framework === 'rnnkit'));
      for (const r of mine) {
        r.vsTorch1T = speedup(r, torch1);
        if (r.framework === 'rnnkit' && r.status === 'ok') r.targets = c.targets.filter((t) => t.rows !== 'best' || r === best).map((t) => ({ label: t.label, pass: judge(t, r) }));
      }
    }
  }
  let classifyRows: Row[] = [];
  let classifySummary: string | null = null;
  if (wantClassify) {
    note(`classify: ${CLASSIFY_TITLE}`);
    const c = await benchClassify({
      backends: opts.frameworks.has('rnnkit') ? opts.backends : [],
      workers: opts.workers,
      tfjsWasm: opts.frameworks.has('tfjs-wasm'),
      torch: opts.frameworks.has('torch') ? torch : null,
      torchThreads: opts.torchThreads,
      tolerances: { loss: LOSS_REL_TOL, outputs: OUTPUT_ABS_TOL },
      note,
    });
    classifySummary = c.summary;
    classifyRows = c.rows.map((x) => {
      const row: Row = { workload: x.workload, contestant: x.contestant, framework: x.framework, ranOn: x.ranOn, unit: x.unit, value: x.value, samples: x.times, status: x.status, vsTorch1T: NaN, vsTfjsWasm: NaN, targets: [] };
      if (x.loss !== undefined) row.loss = x.loss;
      if (x.gflops !== undefined) row.gflops = x.gflops;
      if (x.note !== undefined) row.note = x.note;
      if (x.detail !== undefined) row.detail = x.detail;
      if (x.check !== undefined) row.check = x.check;
      return row;
    });
    for (const name of [CLASSIFY_TRAIN, CLASSIFY_PREDICT]) {
      const mine = classifyRows.filter((r) => r.workload === name);
      const torch1 = mine.find((r) => r.contestant === 'torch 1T');
      const tfjsWasm = mine.find((r) => r.contestant === 'tfjs-wasm');
      for (const r of mine) {
        r.vsTorch1T = speedup(r, torch1);
        r.vsTfjsWasm = speedup(r, tfjsWasm);
      }
    }
  }
  let onnxRows: Row[] = [];
  let onnxSummary: string | null = null;
  if (wantOnnx && opts.frameworks.has('rnnkit')) {
    const o = await benchOnnx(opts.backends, note);
    onnxSummary = o.summary;
    onnxRows = o.rows.map((x) => {
      const row: Row = { workload: x.workload, contestant: x.contestant, framework: x.framework, ranOn: x.ranOn, unit: 'seq/s', value: x.value, samples: x.times, status: x.status, vsTorch1T: NaN, vsTfjsWasm: NaN, targets: [] };
      if (x.note !== undefined) row.note = x.note;
      if (x.check !== undefined) row.check = x.check;
      if (x.status === 'ok') row.detail = `${x.perRun} sequences per run`;
      return row;
    });
    for (const r of onnxRows) {
      const ort = onnxRows.find((o) => o.workload === r.workload && o.framework === 'onnxruntime');
      if (r.framework === 'rnnkit' && ort !== undefined) r.detail = `${r.detail ?? ''}, ${fmtSpeedup(speedup(r, ort))} than onnxruntime 1T`;
    }
  }
  let textgenRows: Row[] = [];
  let textgenSummary: string | null = null;
  if (wantTextgen) {
    const t = await benchTextgen({ backends: opts.frameworks.has('rnnkit') ? opts.backends : [], torch: opts.frameworks.has('torch') ? torch : null, torchThreads: opts.torchThreads, note });
    textgenSummary = t.summary;
    const torch1 = t.rows.find((x) => x.contestant === 'torch 1T' && x.status === 'ok');
    textgenRows = t.rows.map((x) => {
      const row: Row = { workload: TEXTGEN_NAME, contestant: x.contestant, framework: x.framework, ranOn: x.ranOn, unit: 's/job', value: x.value, samples: [], status: x.status, vsTorch1T: NaN, vsTfjsWasm: NaN, targets: x.targets };
      if (x.status === 'ok' && torch1 !== undefined) row.vsTorch1T = torch1.value / x.value;
      if (x.loss !== undefined) row.loss = x.loss;
      if (x.note !== undefined) row.note = x.note;
      if (x.detail !== undefined) row.detail = x.detail;
      if (x.check !== undefined) row.check = x.check;
      return row;
    });
  }
  await useTfjsBackend('cpu'); // leaves the wasm flags readable below

  // PyTorch last, alone: one child process per thread count over every workload.
  if (opts.frameworks.has('torch') && selected.length > 0) {
    if ('version' in torch) {
      const bench = new TorchBench(torch.python, selected.map((w) => ({ name: w.name, mode: w.mode, model: w.model, data: w.data(), weights: weights.get(w.model)!, sampleRows: w.sampleRows ?? 1 })), { ...PLAN, epochs: opts.epochs, minBatches: opts.batches });
      try {
        for (const n of opts.torchThreads) {
          note(`PyTorch, ${n} thread${n > 1 ? 's' : ''}`);
          try {
            const out = bench.run(n);
            for (const w of selected) rows.push(torchRow(w, n, out.results[w.name]));
          } catch (e) {
            for (const w of selected) rows.push(naRow(w, `torch ${n}T`, 'torch', 'error', e instanceof Error ? e.message : String(e)));
          }
        }
      } finally {
        bench.dispose();
      }
    } else {
      for (const w of selected) for (const n of opts.torchThreads) rows.push(naRow(w, `torch ${n}T`, 'torch', 'n/a', 'not installed'));
    }
  }

  // Checks, ratios, targets.
  const order = (r: Row): number => selected.findIndex((w) => w.name === r.workload);
  rows.sort((a, b) => order(a) - order(b)); // stable: contestants keep their order
  for (const w of selected) {
    const mine = rows.filter((r) => r.workload === w.name);
    const ref = refs.get(w) ?? mine.filter((r) => r.status === 'ok').map((r) => ({ row: r.contestant, m: r.measured! }))[0];
    const torch1 = mine.find((r) => r.contestant === 'torch 1T');
    const tfjsWasm = mine.find((r) => r.contestant === 'tfjs-wasm');
    const best = fastest(mine.filter((r) => r.framework === 'rnnkit'));
    const best1w = fastest(mine.filter((r) => r.framework === 'rnnkit' && r.contestant.endsWith(' 1w')));
    const judged = (t: Target, r: Row): boolean => (t.rows === 'best' ? r === best : t.rows === 'best-1w' ? r === best1w : true);
    for (const r of mine) {
      if (r.status === 'ok') {
        const useRef = r.framework === 'tfjs' && tfjsRefs.has(w) ? tfjsRefs.get(w)! : ref;
        if (useRef !== undefined && useRef.row !== r.contestant) r.check = compare(r.measured!, useRef.m, useRef.row);
      }
      r.vsTorch1T = speedup(r, torch1);
      r.vsTfjsWasm = speedup(r, tfjsWasm);
      if (r.framework === 'rnnkit' && r.status === 'ok') r.targets = w.targets.filter((t) => judged(t, r)).map((t) => ({ label: t.label, pass: judge(t, r) }));
      delete r.measured;
    }
  }
  rows.push(...decodeRows, ...classifyRows, ...onnxRows, ...textgenRows, ...gemmRows, ...adamRows);

  const checkLines = [...epochChecks.map(formatEpochParity), ...rows.filter((r) => r.check !== undefined).map(formatCheck)];
  const ok = epochChecks.every((c) => c.ok) && rows.every((r) => r.status !== 'error' && (r.check === undefined || r.check.ok));
  env.tfjs = tfjsInfo();
  const totalSeconds = (performance.now() - started) / 1000;
  if (opts.json) {
    for (const line of checkLines) note(line);
    const config = { ...PLAN, epochs: opts.epochs, minBatches: opts.batches, lossRelTolerance: LOSS_REL_TOL, outputAbsTolerance: OUTPUT_ABS_TOL };
    const workloads = selected.map((w) => ({ name: w.name, title: w.title, mode: w.mode, unit: w.unit, targets: w.targets, ...(w.mode === 'batch' ? { flopsPerBatch: flopsPerBatch(w.model) } : {}) }));
    const seq2seqDecode = decodeSummary === null ? undefined : { title: decodeSummary, unit: 'words/s', config: DECODE, cases: DECODE_CASES };
    const classify = classifySummary === null ? undefined : { title: classifySummary, config: CLASSIFY };
    console.log(JSON.stringify({ env, config, workloads, seq2seqDecode, classify, onnx: onnxSummary ?? undefined, textgenNames: textgenSummary ?? undefined, epochChecks, rows, ok, totalSeconds }, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2));
  } else {
    for (const line of checkLines) console.log(line);
    printTable(rows, selected, env, opts, totalSeconds, decodeSummary, classifySummary);
    if (onnxSummary !== null) console.log(onnxSummary);
    if (textgenSummary !== null) console.log(textgenSummary);
    if (!ok) console.log('\nA CHECK FAILED or a contestant failed: see the check lines and the table above.');
  }
  process.exitCode = ok ? 0 : 1;
}

// ---------------------------------------------------------------- output

function fmtValue(v: number, unit: Unit): string {
  if (!Number.isFinite(v)) return 'n/a';
  if (unit === 'GFLOP/s') return v.toFixed(v >= 10 ? 1 : 2);
  if (unit === 'ms/update') return v.toPrecision(3);
  if (unit === 'seq/s' || unit === 'chars/s' || unit === 'words/s' || unit === 'texts/s') return v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toPrecision(3);
  return fmtSeconds(v);
}

function fmtSpeedup(x: number): string {
  if (!Number.isFinite(x)) return '—';
  if (Math.abs(x - 1) < 0.005) return '1.00x';
  return x >= 1 ? `${x.toFixed(x >= 10 ? 0 : 2)}x faster` : `${(1 / x).toFixed(1 / x >= 10 ? 0 : 2)}x slower`;
}

function fmtTargets(r: Row): string {
  return r.targets.map((t) => `${t.label}: ${t.pass === null ? 'n/a' : t.pass ? 'PASS' : 'FAIL'}`).join('; ');
}

function fmtResult(r: Row, w: Workload | undefined): string {
  if (r.status !== 'ok') return `${r.status === 'error' ? 'ERROR: ' : ''}${r.note ?? ''}`;
  const parts: string[] = [];
  if (r.gflops !== undefined) parts.push(`${r.gflops.toFixed(1)} GFLOP/s`);
  if (w !== undefined && w.mode === 'batch') {
    const perEpoch = Math.ceil(w.data().n / (r.model ?? w.model).batchSize);
    parts.push(`≈${fmtSeconds(r.value * perEpoch)} s/epoch (×${perEpoch})`);
  }
  if (r.loss !== undefined) parts.push(`loss ${fmtNum(r.loss)}`);
  if (r.samples.length > 0) parts.push(`median of ${r.samples.length}`);
  if (r.model !== undefined && r.model.cell === 'gru') parts.push(`resetAfter=${r.model.resetAfter}`);
  if (r.note !== undefined) parts.push(r.note);
  if (r.detail !== undefined) parts.push(r.detail);
  return parts.join(', ');
}

function printTable(rows: readonly Row[], workloads: readonly Workload[], env: Env, opts: Options, totalSeconds: number, decodeSummary: string | null, classifySummary: string | null): void {
  const t = env.tfjs;
  const torch = 'version' in env.torch ? `PyTorch ${env.torch.version} (${env.torch.python}; ${opts.torchThreads.join(' and ')} thread(s), run after the JS rows)` : `PyTorch: not installed (${env.torch.missing})`;
  console.log('');
  console.log(`machine: ${env.cpus} cores (os.cpus().length ${env.cpus}, os.availableParallelism() ${env.availableParallelism}), ${env.cpuModel}`);
  console.log(`node ${env.node}; rnnkit backends ${env.rnnkit.backends.join(', ')}, workers ${env.rnnkit.workers.join(', ')}`);
  console.log(`TensorFlow.js ${t.version}: cpu backend; wasm backend${t.wasmSimd === null ? '' : ` (SIMD ${t.wasmSimd ? 'yes' : 'no'}, threads ${t.wasmThreads ? 'yes' : 'no'})`}; ${torch}`);
  console.log('');
  const byName = new Map(workloads.map((w) => [w.name, w]));
  const header = ['workload', 'contestant', 'ran on', 'median', 'unit', 'vs torch 1T', 'vs tfjs-wasm', 'target', 'check', 'details'];
  const body = rows.map((r) => [
    r.workload,
    r.contestant,
    r.ranOn ?? '',
    fmtValue(r.value, r.unit),
    r.unit,
    fmtSpeedup(r.vsTorch1T),
    fmtSpeedup(r.vsTfjsWasm),
    fmtTargets(r),
    r.check === undefined ? (r.status === 'ok' && (byName.has(r.workload) || rows.some((o) => o.workload === r.workload && o.check?.reference === r.contestant)) ? 'ref' : '') : r.check.ok ? 'OK' : 'FAIL',
    fmtResult(r, byName.get(r.workload)),
  ]);
  console.log(formatTable(header, body));
  console.log('');
  for (const w of workloads) {
    const flops = w.mode === 'batch' ? `; ${(flopsPerBatch(w.model) / 1e9).toFixed(2)} GFLOP per batch (matrix products, forward + backward)` : '';
    const how = (x: Target): string => (x.rows === 'best' ? `${x.label} (judged on the fastest rnnkit row)` : x.rows === 'best-1w' ? `${x.label} (judged on the fastest 1-worker rnnkit row)` : x.label);
    console.log(`${w.name}: ${w.title}${flops}${w.targets.length > 0 ? `; target: ${w.targets.map(how).join(', ')}` : ''}`);
  }
  if (decodeSummary !== null) {
    console.log(decodeSummary);
    for (const c of DECODE_CASES) if (c.targets.length > 0) console.log(`${c.name}: target: ${c.targets.map((x) => (x.rows === 'best' ? `${x.label} (judged on the fastest rnnkit row)` : x.label)).join(', ')}`);
  }
  if (classifySummary !== null) console.log(classifySummary);
  if (rows.some((r) => r.unit === 'ms/update')) {
    console.log(
      `adam: one Adam update of ${ADAM_PARAMS.toLocaleString('en-US')} parameters (≈ the big workload's LSTM(512)): rnnkit optimizers.adam() build + apply on buffers from backend().alloc; ` +
        `tfjs tf.train.adam applyGradients on one variable; median over blocks of ≈0.1 s; ns/param = time per update / parameters (bench/adamBench.ts).`,
    );
  }
  console.log(
    `Per-epoch rows: median over ${opts.epochs} epochs after 1 warm-up epoch, one fit call. Per-batch rows: median over ≥${opts.batches} batches after the 2 check batches, one fit call, ` +
      `each batch from the end of the previous one; ≈s/epoch = s/batch × batches per epoch. "x faster" = the reference's time / the row's (rates: row / reference). ` +
      `check: against the 'ref' row of the workload (see the check lines). gru: tfjs has no resetAfter=true, so its rows run resetAfter=false.`,
  );
  console.log(`total ${totalSeconds.toFixed(1)} s`);
}

await main();
// Worker threads or wasm runtimes must not keep the process alive once the table is out.
process.exit(process.exitCode ?? 0);
