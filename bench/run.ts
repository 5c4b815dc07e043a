/**
 * `npm run bench` — rnnkit against TensorFlow.js (pure-JS CPU backend) on the anchor
 * workloads of reference/anchor-benchmarks.md, side by side in one process.
 *
 *   npm run bench                      table (default: 1 warm-up + 7 timed epochs)
 *   npm run bench -- --epochs 3        timed epochs per seed training workload
 *   npm run bench -- --batches 5       timed tfjs batches per LSTM/GRU workload (default 3)
 *   npm run bench -- --backend wasm    rnnkit's kernels for the training/predict rows: ts (default) or wasm
 *   npm run bench -- --only lstm       one of: seed, seed-learn, predict, gemm, lstm, gru, charlm
 *                                      (charlm: see bench/charlm.ts)
 *   npm run --silent bench -- --json   machine-readable results on stdout (--silent keeps
 *                                      npm's own header out of it; progress goes to stderr)
 *
 * Method: for each training workload both libraries start from the same initial weights
 * (rnnkit's, injected into tfjs). First a parity check: one epoch with shuffle false in
 * each must give epoch losses (and post-epoch evaluate losses) within 1e-3 relative.
 * Then fresh models train 1 warm-up epoch plus N timed epochs, each a separate
 * `fit({epochs: 1, batchSize: 32, shuffle: true, verbose: 0})` call timed on its own;
 * the figure is the median seconds per epoch. Exit code 1 when a parity check fails.
 * The check also compares predictions before training (1e-5 absolute) and, in a second
 * run with Adam ε = 1e-12, the weights after the epoch (1e-5 absolute): at the default ε
 * the weights differ by up to ~5e-4 because Keras 3 (and rnnkit) add ε to the
 * uncorrected √v while tfjs adds it after bias correction.
 *
 * LSTM / GRU (w2: 2048×50×16, 10 classes, batch 64): tfjs-cpu needs a minute or two per
 * epoch here, so both libraries are timed per batch, the same way: each timed batch is one
 * `fit({epochs: 1, batchSize: 64, shuffle: false})` call on a distinct 64-sample slice
 * (slice k = samples 64k … 64k+63), and s/epoch is the median s/batch × 32 batches. Both
 * models start from the same weights; the parity check is the first two of those batches
 * (they double as the warm-up): the loss of batch 0 (before any update) and of batch 1
 * (after one Adam step, so it checks the gradients too) must agree within 1e-3 relative,
 * and predictions before training within 1e-5. Then the timed batches run interleaved
 * (a few rnnkit batches, one tfjs batch, repeated) so that background load hits both
 * alike. tfjs has no GRU with resetAfter true (Keras 3's default), so the GRU ratio is taken
 * with resetAfter false on both sides; rnnkit's default (resetAfter true) gets its own row.
 * Predict rows: sequences/s over the first 256 sequences, batch 64 (after a 64-sequence
 * warm-up that is also the parity check); tfjs is timed once, rnnkit 3 times (median).
 */
import os from 'node:os';
import { LSTM_GEMM_SHAPES, benchGemm, benchGemmShape, type GemmResult } from './gemmBench.js';
import { useBackend } from '../src/backend/index.js';
import { formatCharlmCheck, runCharlm, CHARLM } from './charlm.js';
import { initTfjs, makeRnnkit, makeTfjs, tfjsVersion, type Contestant } from './frameworks.js';
import { fmtNum, fmtSeconds, formatTable, median, relDiff, timeOnce } from './stats.js';
import {
  DATA_SEED,
  SEED_MODEL,
  W2,
  W2_PREDICT_N,
  WORKLOAD_NAMES,
  gruWorkload,
  lstmWorkload,
  makeDataset,
  seedWorkloads,
  type TrainWorkload,
  type WorkloadName,
} from './workloads.js';

const LOSS_REL_TOL = 1e-3;
const PREDICT_ABS_TOL = 1e-5;
const WEIGHTS_ABS_TOL = 1e-5;
const TINY_EPS = 1e-12;
const PREDICT_RUNS = 5;
const PREDICT_BATCH = 32;
const GEMM_SIZES = [64, 256];
/** w2: rnnkit batches timed per tfjs batch (interleaved), and rnnkit predict runs. */
const W2_OURS_PER_THEIRS = 3;
const W2_PREDICT_RUNS_OURS = 3;
const W2_PREDICT_RUNS_THEIRS = 1;
const W2_BATCHES_PER_EPOCH = Math.ceil(W2.n / W2.batchSize);

interface Options {
  epochs: number;
  batches: number;
  only: WorkloadName | null;
  json: boolean;
  backend: 'ts' | 'wasm';
}

function usage(): string {
  return [
    'usage: npm run bench -- [--epochs N] [--batches N] [--only NAME] [--json]',
    `  --epochs N   timed epochs per seed training workload after 1 warm-up epoch (default 7)`,
    `  --batches N  timed tfjs batches per LSTM/GRU workload after 2 warm-up/parity batches (default 3; rnnkit times ${W2_OURS_PER_THEIRS}× as many)`,
    `  --backend B  rnnkit kernels for the model rows: ts (default) or wasm`,
    `  --only NAME  run one workload: ${WORKLOAD_NAMES.join(', ')}`,
    '  --json       print machine-readable results instead of the table',
  ].join('\n');
}

function parseArgs(argv: readonly string[]): Options {
  const opts: Options = { epochs: 7, batches: 3, only: null, json: false, backend: 'ts' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) fail(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--epochs': {
        const v = value();
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1) fail(`--epochs must be a positive integer, got ${JSON.stringify(v)}`);
        opts.epochs = n;
        break;
      }
      case '--batches': {
        const v = value();
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1) fail(`--batches must be a positive integer, got ${JSON.stringify(v)}`);
        opts.batches = n;
        break;
      }
      case '--only': {
        const v = value();
        if (!(WORKLOAD_NAMES as readonly string[]).includes(v)) fail(`--only: unknown workload ${JSON.stringify(v)}; choose one of ${WORKLOAD_NAMES.join(', ')}`);
        opts.only = v as WorkloadName;
        break;
      }
      case '--json':
        opts.json = true;
        break;
      case '--backend': {
        const v = value();
        if (v !== 'ts' && v !== 'wasm') fail(`--backend: ts or wasm, got ${JSON.stringify(v)}`);
        opts.backend = v;
        break;
      }
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

function fail(message: string): never {
  console.error(`bench: ${message}\n${usage()}`);
  process.exit(2);
}

/** Progress notes go to stderr so `--json` output stays clean. */
function note(message: string): void {
  process.stderr.write(`${message}\n`);
}

// ---------------------------------------------------------------- parity check

interface CheckResult {
  workload: string;
  predictMaxAbsDiff: number;
  epochLoss: { rnnkit: number; tfjs: number; rel: number };
  evalLoss: { rnnkit: number; tfjs: number; rel: number };
  /** After the epoch, default ε: differs by Adam's ε placement (Keras 3 vs tfjs), not a bug. */
  weightsMaxAbsDiff: number;
  /** Same epoch with ε = 1e-12, where the placement no longer matters: must be tiny. */
  weightsMaxAbsDiffTinyEps: number;
  ok: boolean;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function weightsDiff(a: Contestant, b: Contestant): number {
  const wa = a.getWeights();
  const wb = b.getWeights();
  let m = wa.length === wb.length ? 0 : Infinity;
  for (let i = 0; i < Math.min(wa.length, wb.length); i++) m = Math.max(m, maxAbsDiff(wa[i]!.data, wb[i]!.data));
  return m;
}

async function parityCheck(w: TrainWorkload): Promise<CheckResult> {
  const ours = makeRnnkit(w.data, w.model);
  const theirs = makeTfjs(w.data, w.model, ours.getWeights());
  const predictMaxAbsDiff = maxAbsDiff(ours.predict(PREDICT_BATCH), theirs.predict(PREDICT_BATCH));
  const l1 = await ours.fitEpoch(false);
  const l2 = await theirs.fitEpoch(false);
  const [e1] = ours.evaluate();
  const [e2] = theirs.evaluate();
  const weightsMaxAbsDiff = weightsDiff(ours, theirs);
  theirs.dispose();

  // Keras 3 (and rnnkit) add ε to the uncorrected √v, tfjs to the bias-corrected one; with
  // ε = 1e-12 the two update rules coincide, so the weights must agree to float32 noise.
  const tiny = { ...w.model, epsilon: TINY_EPS };
  const ours2 = makeRnnkit(w.data, tiny);
  const theirs2 = makeTfjs(w.data, tiny, ours2.getWeights());
  await ours2.fitEpoch(false);
  await theirs2.fitEpoch(false);
  const weightsMaxAbsDiffTinyEps = weightsDiff(ours2, theirs2);
  theirs2.dispose();

  const epochLoss = { rnnkit: l1, tfjs: l2, rel: relDiff(l1, l2) };
  const evalLoss = { rnnkit: e1, tfjs: e2, rel: relDiff(e1, e2) };
  const ok =
    epochLoss.rel <= LOSS_REL_TOL &&
    evalLoss.rel <= LOSS_REL_TOL &&
    Number.isFinite(l1) &&
    Number.isFinite(l2) &&
    predictMaxAbsDiff <= PREDICT_ABS_TOL &&
    weightsMaxAbsDiffTinyEps <= WEIGHTS_ABS_TOL;
  return { workload: w.name, predictMaxAbsDiff, epochLoss, evalLoss, weightsMaxAbsDiff, weightsMaxAbsDiffTinyEps, ok };
}

function formatCheck(c: CheckResult): string {
  return (
    `check ${c.workload}: same initial weights, 1 epoch shuffle=false: ` +
    `epoch loss rnnkit ${c.epochLoss.rnnkit.toFixed(6)} tfjs ${c.epochLoss.tfjs.toFixed(6)} (rel ${c.epochLoss.rel.toExponential(1)}), ` +
    `evaluate loss rnnkit ${c.evalLoss.rnnkit.toFixed(6)} tfjs ${c.evalLoss.tfjs.toFixed(6)} (rel ${c.evalLoss.rel.toExponential(1)}), ` +
    `initial predict max|Δ| ${c.predictMaxAbsDiff.toExponential(1)}, ` +
    `weights max|Δ| after the epoch ${c.weightsMaxAbsDiff.toExponential(1)} (Adam ε placement; with ε=${TINY_EPS}: ${c.weightsMaxAbsDiffTinyEps.toExponential(1)}) ` +
    `→ ${c.ok ? 'OK' : `FAIL (tolerances: losses ${LOSS_REL_TOL} relative, predict ${PREDICT_ABS_TOL}, weights at tiny ε ${WEIGHTS_ABS_TOL})`}`
  );
}

// ---------------------------------------------------------------- timing

interface SideResult {
  /** Median over the timed runs (s/epoch, s/predict, seq/s, or GFLOP/s for gemm). */
  value: number;
  samples: number[];
  loss?: number;
  accuracy?: number;
  extra?: string;
}

type Unit = 's/epoch' | 's' | 'GFLOP/s' | 'seq/s' | 's/batch' | 'char/s';

interface Row {
  workload: string;
  unit: Unit;
  rnnkit: SideResult;
  /** null where tfjs has no equivalent (GRU resetAfter true). */
  tfjs: SideResult | null;
  /** How many times faster rnnkit is (tfjs time / rnnkit time, or rnnkit rate / tfjs rate); NaN without tfjs. */
  speedup: number;
}


async function timeTraining(c: Contestant, epochs: number): Promise<SideResult> {
  await c.fitEpoch(true); // warm-up: JIT, buffer planning
  const samples: number[] = [];
  for (let e = 0; e < epochs; e++) samples.push(await timeOnce(() => c.fitEpoch(true)));
  const [loss, accuracy] = c.evaluate();
  return { value: median(samples), samples, loss, accuracy };
}

async function trainRow(w: TrainWorkload, epochs: number): Promise<Row> {
  note(`timing ${w.name}: rnnkit, 1 warm-up + ${epochs} epochs`);
  const ours = makeRnnkit(w.data, w.model);
  const initial = ours.getWeights();
  const r = await timeTraining(ours, epochs);
  note(`timing ${w.name}: tfjs-cpu, 1 warm-up + ${epochs} epochs`);
  const theirs = makeTfjs(w.data, w.model, initial);
  const t = await timeTraining(theirs, epochs);
  theirs.dispose();
  return { workload: w.name, unit: 's/epoch', rnnkit: r, tfjs: t, speedup: t.value / r.value };
}

async function predictRow(): Promise<Row> {
  note(`timing predict: ${PREDICT_RUNS} runs each`);
  const data = makeDataset(DATA_SEED, 1000, SEED_MODEL.T, SEED_MODEL.I, 2);
  const ours = makeRnnkit(data, SEED_MODEL);
  const theirs = makeTfjs(data, SEED_MODEL, ours.getWeights());
  const diff = maxAbsDiff(ours.predict(PREDICT_BATCH), theirs.predict(PREDICT_BATCH)); // also the warm-up
  const time = async (c: Contestant): Promise<SideResult> => {
    const samples: number[] = [];
    for (let i = 0; i < PREDICT_RUNS; i++) samples.push(await timeOnce(() => c.predict(PREDICT_BATCH)));
    return { value: median(samples), samples };
  };
  const r = await time(ours);
  const t = await time(theirs);
  theirs.dispose();
  r.extra = `${Math.round(data.n / r.value)} seq/s, max|Δ| vs tfjs ${diff.toExponential(1)}`;
  t.extra = `${Math.round(data.n / t.value)} seq/s`;
  return { workload: `predict ${data.n} seqs, batch ${PREDICT_BATCH}`, unit: 's', rnnkit: r, tfjs: t, speedup: t.value / r.value };
}

function gemmRows(n: number): Row[] {
  note(`timing gemm ${n}³`);
  const g: GemmResult = benchGemm(n);
  const tfjs = { value: g.tfjsGflops, samples: [], extra: 'tf.matMul' };
  return [
    {
      workload: `gemm ${n}³`,
      unit: 'GFLOP/s',
      rnnkit: { value: g.rnnkitGflops, samples: [], extra: `max|Δ| vs f64 ${g.maxAbsErr.toExponential(1)}` },
      tfjs,
      speedup: g.rnnkitGflops / g.tfjsGflops,
    },
    { workload: `gemm wasm ${n}³`, unit: 'GFLOP/s', rnnkit: { value: g.wasmGflops, samples: [], extra: 'WebAssembly SIMD, copies included' }, tfjs, speedup: g.wasmGflops / g.tfjsGflops },
  ];
}

function gemmShapeRows(): Row[] {
  return LSTM_GEMM_SHAPES.flatMap((shape) => {
    note(`timing gemm ${shape.label}`);
    const r = benchGemmShape(shape);
    return [
      { workload: `gemm ts ${shape.label}`, unit: 'GFLOP/s' as const, rnnkit: { value: r.tsGflops, samples: [] }, tfjs: null, speedup: NaN },
      { workload: `gemm wasm ${shape.label}`, unit: 'GFLOP/s' as const, rnnkit: { value: r.wasmGflops, samples: [], extra: `${(r.wasmGflops / r.tsGflops).toFixed(2)}x ts, max|Δ| ${r.maxAbsDiff.toExponential(1)}` }, tfjs: null, speedup: NaN },
    ];
  });
}

// ---------------------------------------------------------------- w2: LSTM / GRU

interface W2Check {
  workload: string;
  predictMaxAbsDiff: number;
  /** Batch 0's loss (initial weights) and batch 1's (after one Adam step on batch 0). */
  batchLoss: { rnnkit: number; tfjs: number; rel: number }[];
  ok: boolean;
}

function formatW2Check(c: W2Check): string {
  const losses = c.batchLoss
    .map((b, i) => `batch ${i} loss rnnkit ${b.rnnkit.toFixed(6)} tfjs ${b.tfjs.toFixed(6)} (rel ${b.rel.toExponential(1)})`)
    .join(', ');
  return (
    `check ${c.workload}: same initial weights, one fit call per 64-sample batch: ${losses}, ` +
    `initial predict max|Δ| on 64 seqs ${c.predictMaxAbsDiff.toExponential(1)} ` +
    `→ ${c.ok ? 'OK' : `FAIL (tolerances: losses ${LOSS_REL_TOL} relative, predict ${PREDICT_ABS_TOL})`}`
  );
}

/** A batch-index cursor over the 32 slices of the w2 data set, one per contestant. */
function slicer(c: Contestant, first: number): { next(): Promise<number>; lastLoss: number } {
  let k = first;
  const s = {
    lastLoss: NaN,
    async next(): Promise<number> {
      const start = (k++ % W2_BATCHES_PER_EPOCH) * W2.batchSize;
      return timeOnce(async () => {
        s.lastLoss = await c.fitSlice(start, W2.batchSize);
      });
    },
  };
  return s;
}

/**
 * `oursPerTheirs` runs of `ours` then one of `theirs`, `rounds` times (theirs may be null):
 * interleaving keeps background load from favouring either side. Returns the samples.
 */
async function interleave(ours: () => Promise<number>, theirs: (() => Promise<number>) | null, rounds: number, oursPerTheirs: number): Promise<[number[], number[]]> {
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < oursPerTheirs; i++) a.push(await ours());
    if (theirs !== null) b.push(await theirs());
  }
  return [a, b];
}

/** 'LSTM(128)', 'GRU(128) resetAfter=false'. */
function w2Layer(w: TrainWorkload): string {
  const m = w.model;
  return `${m.cell.toUpperCase()}(${m.units})${m.cell === 'gru' ? ` resetAfter=${m.resetAfter}` : ''}`;
}

function perBatchSide(samples: number[], lastLoss: number): SideResult {
  const perBatch = median(samples);
  return {
    value: perBatch * W2_BATCHES_PER_EPOCH,
    samples,
    extra: `last batch loss=${fmtNum(lastLoss)}; ${fmtSeconds(perBatch)} s/batch × ${W2_BATCHES_PER_EPOCH} (median of ${samples.length})`,
  };
}

/**
 * Parity check, then interleaved per-batch timing and predict throughput, for one w2
 * workload. `withTfjs` false: rnnkit alone (GRU resetAfter true), no check.
 */
async function w2Rows(w: TrainWorkload, batches: number, withTfjs: boolean, report: (line: string) => void): Promise<{ check: W2Check | null; rows: Row[] }> {
  const B = W2.batchSize;
  note(`${w.name}: building models${withTfjs ? ', parity check (2 batches each)' : ''}`);
  const ours = makeRnnkit(w.data, w.model);
  const theirs = withTfjs ? makeTfjs(w.data, w.model, ours.getWeights()) : null;

  // Parity check; also the warm-up of predict (64 seqs, batch 64) and of training (2 batches).
  const p1 = ours.predict(B, B);
  const p2 = theirs?.predict(B, B);
  const batchLoss: W2Check['batchLoss'] = [];
  for (let k = 0; k < 2; k++) {
    const l1 = await ours.fitSlice(k * B, B);
    const l2 = theirs === null ? NaN : await theirs.fitSlice(k * B, B);
    batchLoss.push({ rnnkit: l1, tfjs: l2, rel: relDiff(l1, l2) });
  }
  let check: W2Check | null = null;
  if (p2 !== undefined) {
    const predictMaxAbsDiff = maxAbsDiff(p1, p2);
    const ok = predictMaxAbsDiff <= PREDICT_ABS_TOL && batchLoss.every((b) => Number.isFinite(b.rnnkit) && b.rel <= LOSS_REL_TOL);
    check = { workload: w.name, predictMaxAbsDiff, batchLoss, ok };
    report(formatW2Check(check));
  }

  note(`${w.name}: timing ${batches * W2_OURS_PER_THEIRS} rnnkit${withTfjs ? ` and ${batches} tfjs-cpu batches, interleaved` : ' batches'}`);
  const so = slicer(ours, 2);
  const st = theirs === null ? null : slicer(theirs, 2);
  const [ts, tt] = await interleave(() => so.next(), st === null ? null : () => st.next(), batches, W2_OURS_PER_THEIRS);
  const r = perBatchSide(ts, so.lastLoss);
  const t = st === null ? null : perBatchSide(tt, st.lastLoss);
  const label = `${w2Layer(w)} train`;
  const train: Row = { workload: label, unit: 's/epoch', rnnkit: r, tfjs: t, speedup: t === null ? NaN : t.value / r.value };

  note(`${w.name}: timing predict on ${W2_PREDICT_N} seqs (${W2_PREDICT_RUNS_OURS} rnnkit${withTfjs ? `, ${W2_PREDICT_RUNS_THEIRS} tfjs-cpu` : ''})`);
  const predictOnce = (c: Contestant) => () => timeOnce(() => c.predict(B, W2_PREDICT_N));
  const [ps, pt] = await interleave(
    predictOnce(ours),
    theirs === null ? null : predictOnce(theirs),
    W2_PREDICT_RUNS_THEIRS,
    Math.ceil(W2_PREDICT_RUNS_OURS / W2_PREDICT_RUNS_THEIRS),
  );
  theirs?.dispose();
  const rate = (samples: number[]): SideResult => ({
    value: W2_PREDICT_N / median(samples),
    samples,
    extra: `${fmtSeconds(median(samples))} s (median of ${samples.length})`,
  });
  const pr = rate(ps);
  const pth = theirs === null ? null : rate(pt);
  const predict: Row = {
    workload: `${w2Layer(w)} predict ${W2_PREDICT_N} seqs`,
    unit: 'seq/s',
    rnnkit: pr,
    tfjs: pth,
    speedup: pth === null ? NaN : pr.value / pth.value,
  };
  return { check, rows: [train, predict] };
}

// ---------------------------------------------------------------- output

function fmtValue(v: number, unit: Unit): string {
  if (!Number.isFinite(v)) return 'n/a';
  return unit === 'GFLOP/s' ? v.toFixed(2) : unit === 'seq/s' || unit === 'char/s' ? (v >= 100 ? v.toFixed(0) : v.toPrecision(3)) : fmtSeconds(v);
}

function fmtResult(s: SideResult | null): string {
  if (s === null) return 'n/a';
  const parts: string[] = [];
  if (s.loss !== undefined) parts.push(`loss=${fmtNum(s.loss)}`);
  if (s.accuracy !== undefined) parts.push(`acc=${fmtNum(s.accuracy)}`);
  if (s.extra !== undefined) parts.push(s.extra);
  return parts.join(' ');
}

function fmtSpeedup(x: number): string {
  if (!Number.isFinite(x)) return 'n/a (no tfjs equivalent)';
  return x >= 1 ? `${x.toFixed(1)}x faster` : `${(1 / x).toFixed(1)}x slower`;
}

function printTable(rows: readonly Row[], opts: Options): void {
  const header = ['workload', 'unit', 'rnnkit', 'tfjs-cpu', 'ratio (rnnkit vs tfjs)', 'rnnkit result', 'tfjs-cpu result'];
  const body = rows.map((r) => [r.workload, r.unit, fmtValue(r.rnnkit.value, r.unit), fmtValue(r.tfjs?.value ?? NaN, r.unit), fmtSpeedup(r.speedup), fmtResult(r.rnnkit), fmtResult(r.tfjs)]);
  console.log('');
  console.log(formatTable(header, body));
  console.log('');
  const has = (prefix: string): boolean => rows.some((r) => r.workload.toLowerCase().startsWith(prefix));
  if (has('seed')) {
    console.log(
      `seed rows: median s/epoch over ${opts.epochs} timed epochs after 1 warm-up, both from the same initial weights; ` +
        `result = evaluate() on the training set after ${opts.epochs + 1} epochs.`,
    );
  }
  if (has('predict')) console.log(`predict row: median of ${PREDICT_RUNS} runs.`);
  if (has('gemm')) console.log('gemm: C = A·B, square fp32, median of 5 blocks; ratio = GFLOP/s quotient.');
  if (has('lstm') || has('gru')) {
    console.log(
      `lstm/gru train rows: s/epoch ESTIMATED as median s/batch × ${W2_BATCHES_PER_EPOCH} batches (not whole epochs: tfjs-cpu needs 1–2 min per epoch); ` +
        `each batch = one fit call on a distinct 64-sample slice, after 2 parity/warm-up batches; rnnkit ${W2_OURS_PER_THEIRS} batches per tfjs batch, interleaved; ` +
        `result = loss of the last timed batch. GRU ratio with resetAfter false on both sides (tfjs has no resetAfter true); ` +
        `predict rows: ${W2_PREDICT_N} sequences, batch ${W2.batchSize}, ratio = seq/s quotient.`,
    );
  }
  console.log(
    'Anchor (reference/anchor-benchmarks.md, same workloads on a similar 2-core machine): seed tfjs-cpu 0.1377, ' +
      'tfjs-wasm 0.0890, PyTorch 1 thread 0.0163 s/epoch; OpenBLAS AVX-512 1 core 185 GFLOP/s at 64³, 230 at 256³; naive JS 1.6; ' +
      'LSTM(128) s/epoch tfjs-cpu 59.5, tfjs-wasm 15.3, PyTorch 1T 0.724 (predict 67 / 2232 / 8231 seq/s); ' +
      'GRU(128) tfjs-cpu 77.9, tfjs-wasm 9.78, PyTorch 1T 0.587 (predict 36 / 1790 / 12020 seq/s).',
  );
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const started = performance.now();
  await initTfjs();
  useBackend(opts.backend);
  note(`rnnkit backend: ${opts.backend}`);
  const want = (name: WorkloadName): boolean => opts.only === null || opts.only === name;
  const workloads = seedWorkloads().filter((w) => want(w.name as WorkloadName));
  const report = (line: string): void => (opts.json ? note(line) : console.log(line));

  const checks: (CheckResult | W2Check | { workload: 'charlm'; ok: boolean })[] = [];
  for (const w of workloads) {
    const c = await parityCheck(w);
    checks.push(c);
    report(formatCheck(c));
  }

  const rows: Row[] = [];
  for (const w of workloads) rows.push(await trainRow(w, opts.epochs));
  if (want('predict')) rows.push(await predictRow());
  if (want('gemm')) {
    for (const n of GEMM_SIZES) rows.push(...gemmRows(n));
    rows.push(...gemmShapeRows());
  }

  const w2: [TrainWorkload, boolean][] = [];
  if (want('lstm')) w2.push([lstmWorkload(), true]);
  if (want('gru')) w2.push([gruWorkload(false), true], [gruWorkload(true), false]);
  for (const [w, withTfjs] of w2) {
    const { check, rows: r } = await w2Rows(w, opts.batches, withTfjs, report);
    if (check !== null) checks.push(check);
    rows.push(...r);
  }

  if (want('charlm')) {
    const c = await runCharlm(note, opts.batches + 1);
    checks.push({ workload: 'charlm', ...c.check });
    report(formatCharlmCheck(c.check));
    const side = (samples: number[], what: string): SideResult => ({ value: median(samples), samples, extra: `median of ${samples.length} ${what}` });
    const tr = side(c.trainRnnkit, 'batches');
    const tt = side(c.trainTfjs, 'batches');
    rows.push({ workload: `charlm Embedding(${CHARLM.V},${CHARLM.E})→SimpleRNN(${CHARLM.H})→Dense(${CHARLM.V}) train, T ${CHARLM.T}, batch ${CHARLM.B}`, unit: 's/batch', rnnkit: tr, tfjs: tt, speedup: tt.value / tr.value });
    const sr = side(c.sampleRnnkit, 'runs of 20000 chars (model.stream)');
    const st = side(c.sampleTfjs, 'runs of 2000 chars (stateful [1,1] predict)');
    rows.push({ workload: 'charlm sampling, batch 1, one char at a time', unit: 'char/s', rnnkit: sr, tfjs: st, speedup: sr.value / st.value });
    rows.push({ workload: 'TextGenerator default (LSTM(64), V 30) sampleMany', unit: 'char/s', rnnkit: side(c.sampleTextGenerator, 'runs of 400 names'), tfjs: null, speedup: NaN });
  }

  const totalSeconds = (performance.now() - started) / 1000;
  const ok = checks.every((c) => c.ok);
  if (opts.json) {
    const out = {
      env: { node: process.version, tfjs: tfjsVersion(), tfjsBackend: 'cpu', cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, date: new Date().toISOString() },
      config: {
        timedEpochs: opts.epochs,
        warmupEpochs: 1,
        predictRuns: PREDICT_RUNS,
        lossRelTolerance: LOSS_REL_TOL,
        w2: { timedBatchesTfjs: opts.batches, rnnkitBatchesPerTfjsBatch: W2_OURS_PER_THEIRS, batchesPerEpoch: W2_BATCHES_PER_EPOCH, predictSequences: W2_PREDICT_N, predictRuns: { rnnkit: W2_PREDICT_RUNS_OURS, tfjs: W2_PREDICT_RUNS_THEIRS } },
      },
      checks,
      rows,
      ok,
      totalSeconds,
    };
    console.log(JSON.stringify(out, null, 2));
  } else {
    printTable(rows, opts);
    console.log(`node ${process.version}, tfjs ${tfjsVersion()} (cpu backend), ${os.cpus().length}× ${os.cpus()[0]?.model ?? 'cpu'}; total ${totalSeconds.toFixed(1)} s`);
    if (!ok) console.log('PARITY CHECK FAILED: see the check lines above.');
  }
  if (!ok) process.exitCode = 1;
}

await main();
