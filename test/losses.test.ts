/**
 * Losses: finite-difference gradient checks for every loss and option combination
 * (unweighted and with random per-row weights), values against independent float64
 * references and hand-computed numbers (clipping included), per-row weights and
 * masks (`maskToWeights`), option/name/label validation messages, reductions, config
 * round trips, and no allocation per call.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { youngGrowth } from './helpers/allocation.js';
import {
  EPSILON,
  Loss,
  getLoss,
  lossFromConfig,
  losses,
  maskToWeights,
} from '../src/losses/index.js';

/** Finite-difference step on yPred. */
const FD_STEP = 1e-3;
/** Relative tolerance of analytic vs central-difference gradient. */
const GRAD_RTOL = 1e-3;
/**
 * Floor of the relative-error denominator, as a fraction of the case's largest
 * gradient: an entry near zero (p ≈ y with soft targets) is compared against the
 * gradient's overall scale, since the O(h²) truncation error does not shrink with it.
 */
const GRAD_FLOOR_FRACTION = 1e-2;
/** Tolerance of compute() vs a float64 reference on the same float32 inputs. */
const VALUE_RTOL = 1e-12;

/** Small deterministic RNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uniform(r: () => number, n: number, lo: number, hi: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * r();
  return a;
}

/** Values of |x| in [lo, hi] with a random sign. */
function awayFromZero(r: () => number, n: number, lo: number, hi: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (r() < 0.5 ? -1 : 1) * (lo + (hi - lo) * r());
  return a;
}

interface Case {
  label: string;
  loss: Loss;
  yPred: Float32Array;
  yTrue: Float32Array;
  rows: number;
  cols: number;
}

/**
 * Central differences of the reduced loss w.r.t. every yPred entry, in float64;
 * with per-row weights when given.
 */
function gradCheck(c: Case, weights: Float32Array | null = null): void {
  const { loss, yTrue, rows, cols } = c;
  const yPred = c.yPred.slice();
  const n = rows * cols;
  const analytic = new Float32Array(n).fill(Number.NaN); // must be overwritten
  const value = loss.compute(yPred, yTrue, analytic, rows, cols, weights);
  assert.ok(Number.isFinite(value), `${c.label}: loss not finite: ${value}`);
  const valueNoGrad = loss.compute(yPred, yTrue, null, rows, cols, weights);
  assert.equal(valueNoGrad, value, `${c.label}: value differs with and without dPred`);
  let maxAbs = 0;
  for (let i = 0; i < n; i++) maxAbs = Math.max(maxAbs, Math.abs(analytic[i]));
  const floor = Math.max(GRAD_FLOOR_FRACTION * maxAbs, 1e-12);
  let worst = 0;
  let worstAt = -1;
  let worstA = 0;
  let worstN = 0;
  for (let i = 0; i < n; i++) {
    const x = yPred[i];
    yPred[i] = x + FD_STEP;
    const xp = yPred[i]; // float32-rounded perturbation actually seen
    const lp = loss.compute(yPred, yTrue, null, rows, cols, weights);
    yPred[i] = x - FD_STEP;
    const xm = yPred[i];
    const lm = loss.compute(yPred, yTrue, null, rows, cols, weights);
    yPred[i] = x;
    const numeric = (lp - lm) / (xp - xm);
    const a = analytic[i];
    const err = Math.abs(a - numeric) / Math.max(Math.abs(a), Math.abs(numeric), floor);
    if (worstAt < 0 || !(err <= worst)) {
      worst = Number.isNaN(err) ? Infinity : err;
      worstAt = i;
      worstA = a;
      worstN = numeric;
    }
  }
  assert.ok(
    worst <= GRAD_RTOL,
    `${c.label}: max relative gradient error ${worst.toExponential(3)} at index ${worstAt} ` +
      `(row ${Math.floor(worstAt / cols)}, col ${worstAt % cols}): analytic ${worstA}, numeric ${worstN}; ` +
      `first analytic values ${Array.from(analytic.slice(0, 4)).join(', ')}`,
  );
}

// ---------- float64 references, written independently of the library ----------

/** Per-sample values (one per row) of a loss, before weighting and reduction. */
type Ref = (p: number[], y: number[], rows: number, cols: number) => number[];

/** Keras reduction: Σ w·value, divided by the value count for sum_over_batch_size. */
function reduceRef(perSample: number[], reduction: string, weights: ArrayLike<number> | null = null): number {
  const s = perSample.reduce((a, v, r) => a + (weights === null ? 1 : weights[r]) * v, 0);
  return reduction === 'sum' ? s : s / perSample.length;
}

function rowsOf(a: ArrayLike<number>, rows: number, cols: number): number[][] {
  const out: number[][] = [];
  for (let r = 0; r < rows; r++) out.push(Array.from({ length: cols }, (_, j) => a[r * cols + j]));
  return out;
}

const clip = (p: number): number => Math.min(Math.max(p, EPSILON), Math.fround(1 - 1e-7));
const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

function bceRef(fromLogits: boolean, s: number): Ref {
  return (p, y, rows, cols) =>
    rowsOf(p, rows, cols).map((row, r) => {
      let t = 0;
      for (let j = 0; j < cols; j++) {
        const yy = y[r * cols + j] * (1 - s) + 0.5 * s;
        if (fromLogits) {
          const q = sigmoid(row[j]);
          t += -(yy * Math.log(q) + (1 - yy) * Math.log(1 - q));
        } else {
          const q = clip(row[j]);
          t += -(yy * Math.log(q) + (1 - yy) * Math.log(1 - q));
        }
      }
      return t / cols;
    });
}

function cceRef(fromLogits: boolean, s: number, sparse: boolean): Ref {
  return (p, y, rows, cols) =>
    rowsOf(p, rows, cols).map((row, r) => {
      const target = sparse
        ? Array.from({ length: cols }, (_, j) => (j === y[r] ? 1 : 0))
        : Array.from({ length: cols }, (_, j) => y[r * cols + j] * (1 - s) + s / cols);
      let logq: number[];
      if (fromLogits) {
        const e = row.map(Math.exp);
        const z = e.reduce((a, b) => a + b, 0);
        logq = e.map((v) => Math.log(v / z));
      } else {
        const z = row.reduce((a, b) => a + b, 0);
        logq = row.map((v) => Math.log(clip(v / z)));
      }
      return -target.reduce((acc, t, j) => acc + t * logq[j], 0);
    });
}

function elementwiseRef(f: (x: number) => number): Ref {
  return (p, y, rows, cols) =>
    rowsOf(p, rows, cols).map((row, r) => row.reduce((acc, v, j) => acc + f(v - y[r * cols + j]), 0) / cols);
}

const huberRef = (d: number) => (x: number) => (Math.abs(x) <= d ? 0.5 * x * x : d * Math.abs(x) - 0.5 * d * d);

// ---------- the cases: every loss × option combination ----------

const REDUCTIONS = ['sum_over_batch_size', 'sum'] as const;

function buildCases(): { c: Case; ref: Ref }[] {
  const out: { c: Case; ref: Ref }[] = [];
  const r = rng(1234);
  const rows = 5;
  const cols = 4;
  const n = rows * cols;
  for (const reduction of REDUCTIONS) {
    for (const fromLogits of [false, true]) {
      for (const s of [0, 0.2]) {
        // binary CE: hard and soft targets mixed
        const yb = new Float32Array(n);
        for (let i = 0; i < n; i++) yb[i] = i % 3 === 0 ? r() : r() < 0.5 ? 0 : 1;
        const pb = fromLogits ? uniform(r, n, -4, 4) : uniform(r, n, 0.1, 0.9);
        out.push({
          c: { label: `binaryCrossentropy fromLogits=${fromLogits} s=${s} ${reduction}`, loss: losses.binaryCrossentropy({ fromLogits, labelSmoothing: s, reduction }), yPred: pb, yTrue: yb, rows, cols },
          ref: bceRef(fromLogits, s),
        });
        // categorical CE: one-hot targets on odd rows, soft targets on even rows;
        // probabilities deliberately unnormalised to exercise the Σp path
        const yc = new Float32Array(n);
        for (let row = 0; row < rows; row++) {
          if (row % 2 === 1) yc[row * cols + Math.floor(r() * cols)] = 1;
          else for (let j = 0; j < cols; j++) yc[row * cols + j] = r();
        }
        const pc = fromLogits ? uniform(r, n, -3, 3) : uniform(r, n, 0.1, 1.5);
        out.push({
          c: { label: `categoricalCrossentropy fromLogits=${fromLogits} s=${s} ${reduction}`, loss: losses.categoricalCrossentropy({ fromLogits, labelSmoothing: s, reduction }), yPred: pc, yTrue: yc, rows, cols },
          ref: cceRef(fromLogits, s, false),
        });
      }
      const ys = new Float32Array(rows);
      for (let row = 0; row < rows; row++) ys[row] = Math.floor(r() * cols);
      const ps = fromLogits ? uniform(r, n, -3, 3) : uniform(r, n, 0.1, 1.5);
      out.push({
        c: { label: `sparseCategoricalCrossentropy fromLogits=${fromLogits} ${reduction}`, loss: losses.sparseCategoricalCrossentropy({ fromLogits, reduction }), yPred: ps, yTrue: ys, rows, cols },
        ref: cceRef(fromLogits, 0, true),
      });
    }
    // regression losses: yPred = yTrue + offset, offsets away from 0 and from |x| = δ
    const yt = uniform(r, n, -1, 1);
    const offMse = awayFromZero(r, n, 0.05, 2);
    const offMae = awayFromZero(r, n, 0.05, 2);
    const offHuber = new Float32Array(n);
    for (let i = 0; i < n; i++) offHuber[i] = (r() < 0.5 ? -1 : 1) * (i % 2 === 0 ? 0.05 + 0.8 * r() : 1.2 + r());
    const offHuberD = new Float32Array(n);
    for (let i = 0; i < n; i++) offHuberD[i] = (r() < 0.5 ? -1 : 1) * (i % 2 === 0 ? 0.05 + 0.3 * r() : 0.6 + r());
    const add = (a: Float32Array, b: Float32Array) => a.map((v, i) => v + b[i]);
    out.push({
      c: { label: `meanSquaredError ${reduction}`, loss: losses.meanSquaredError({ reduction }), yPred: add(yt, offMse), yTrue: yt, rows, cols },
      ref: elementwiseRef((x) => x * x),
    });
    out.push({
      c: { label: `meanAbsoluteError ${reduction}`, loss: losses.meanAbsoluteError({ reduction }), yPred: add(yt, offMae), yTrue: yt, rows, cols },
      ref: elementwiseRef(Math.abs),
    });
    out.push({
      c: { label: `huber delta=1 ${reduction}`, loss: losses.huber({ reduction }), yPred: add(yt, offHuber), yTrue: yt, rows, cols },
      ref: elementwiseRef(huberRef(1)),
    });
    out.push({
      c: { label: `huber delta=0.5 ${reduction}`, loss: losses.huber({ delta: 0.5, reduction }), yPred: add(yt, offHuberD), yTrue: yt, rows, cols },
      ref: elementwiseRef(huberRef(0.5)),
    });
  }
  return out;
}

const CASES = buildCases();

test('gradient check: every loss and option combination (central differences)', () => {
  assert.equal(CASES.length, 2 * (2 * 2 * 2 + 2 + 4));
  for (const { c } of CASES) gradCheck(c);
});

test('values match independent float64 references', () => {
  for (const { c, ref } of CASES) {
    const got = c.loss.compute(c.yPred, c.yTrue, null, c.rows, c.cols);
    const want = reduceRef(ref(Array.from(c.yPred), Array.from(c.yTrue), c.rows, c.cols), c.loss.reduction);
    assert.ok(
      Math.abs(got - want) <= VALUE_RTOL * Math.abs(want),
      `${c.label}: got ${got}, reference ${want}, diff ${Math.abs(got - want)}`,
    );
  }
});

function close(got: number, want: number, what: string, rtol = 1e-6): void {
  assert.ok(Math.abs(got - want) <= rtol * Math.max(1, Math.abs(want)), `${what}: got ${got}, want ${want}`);
}

test('hand-computed values', () => {
  const f = Math.fround;
  // BCE, probabilities: mean over the last axis of −log 0.9 and −log 0.8
  close(losses.binaryCrossentropy().compute(new Float32Array([0.9, 0.2]), new Float32Array([1, 0]), null, 1, 2),
    -(Math.log(f(0.9)) + Math.log(1 - f(0.2))) / 2, 'bce');
  // BCE, logits: log(1+e^-2) and log(1+e^-1)... for z=2,y=1 and z=-1,y=0: ℓ = log1p(e^{-|z|}) + max(z,0) − zy
  close(losses.binaryCrossentropy({ fromLogits: true }).compute(new Float32Array([2, -1]), new Float32Array([1, 0]), null, 1, 2),
    (Math.log1p(Math.exp(-2)) + Math.log1p(Math.exp(-1))) / 2, 'bce logits');
  // BCE, label smoothing 0.2: y=1 → 0.9
  close(losses.binaryCrossentropy({ labelSmoothing: 0.2 }).compute(new Float32Array([0.7]), new Float32Array([1]), null, 1, 1),
    -(0.9 * Math.log(f(0.7)) + 0.1 * Math.log(1 - f(0.7))), 'bce smoothing');
  // CCE: unnormalised [1, 1, 2] → q = [0.25, 0.25, 0.5]; two rows, mean
  close(losses.categoricalCrossentropy().compute(new Float32Array([1, 1, 2, 0.2, 0.3, 0.5]), new Float32Array([0, 0, 1, 1, 0, 0]), null, 2, 3),
    (-Math.log(0.5) - Math.log(f(0.2) / (f(0.2) + f(0.3) + f(0.5)))) / 2, 'cce');
  // CCE logits: −(3 − log(e + e² + e³))
  const lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
  close(losses.categoricalCrossentropy({ fromLogits: true }).compute(new Float32Array([1, 2, 3]), new Float32Array([0, 0, 1]), null, 1, 3),
    lse - 3, 'cce logits');
  // CCE label smoothing 0.3, 3 classes: y = [0.1, 0.1, 0.8]
  close(losses.categoricalCrossentropy({ labelSmoothing: 0.3 }).compute(new Float32Array([0.25, 0.25, 0.5]), new Float32Array([0, 0, 1]), null, 1, 3),
    -(0.1 * Math.log(0.25) * 2 + 0.8 * Math.log(0.5)), 'cce smoothing', 1e-6);
  // sparse CE, probabilities and logits
  close(losses.sparseCategoricalCrossentropy().compute(new Float32Array([1, 1, 2]), new Float32Array([0]), null, 1, 3), -Math.log(0.25), 'scce');
  close(losses.sparseCategoricalCrossentropy({ fromLogits: true }).compute(new Float32Array([1, 2, 3]), new Float32Array([1]), null, 1, 3), lse - 2, 'scce logits');
  // regression: x = [0.5, −2]
  const yp = new Float32Array([1.5, -1]);
  const yt = new Float32Array([1, 1]);
  close(losses.meanSquaredError().compute(yp, yt, null, 1, 2), (0.25 + 4) / 2, 'mse');
  close(losses.meanAbsoluteError().compute(yp, yt, null, 1, 2), (0.5 + 2) / 2, 'mae');
  close(losses.huber().compute(yp, yt, null, 1, 2), (0.125 + (2 - 0.5)) / 2, 'huber');
  close(losses.huber({ delta: 0.25 }).compute(yp, yt, null, 1, 2), ((0.125 - 0.03125) + (0.5 - 0.03125)) / 2, 'huber delta');
});

test('BCE clips at p = 0 and p = 1: finite loss, zero gradient at the clipped entries', () => {
  const loss = losses.binaryCrossentropy();
  const hi = Math.fround(1 - 1e-7);
  const yPred = new Float32Array([0, 1, 0.5, 0, 1]);
  const yTrue = new Float32Array([1, 0, 1, 0, 1]);
  const d = new Float32Array(5).fill(Number.NaN);
  const v = loss.compute(yPred, yTrue, d, 1, 5);
  const want = (-Math.log(EPSILON) - Math.log(1 - hi) - Math.log(0.5) - Math.log(1 - EPSILON) - Math.log(hi)) / 5;
  assert.ok(Number.isFinite(v), `loss not finite: ${v}`);
  close(v, want, 'clipped bce');
  assert.ok(v > 6 && v < 7, `clipped loss ≈ 2·16.12/5 + log2/5, got ${v}`);
  assert.deepEqual(Array.from(d), [0, 0, Math.fround(-2 / 5), 0, 0]);
  // categorical: a class with probability 0 is clipped too
  const dc = new Float32Array(3).fill(Number.NaN);
  const vc = losses.categoricalCrossentropy().compute(new Float32Array([0, 0.5, 0.5]), new Float32Array([1, 0, 0]), dc, 1, 3);
  close(vc, -Math.log(EPSILON), 'clipped cce');
  assert.ok(dc.every((v) => v === 0), `cce gradient should be 0 everywhere, got ${Array.from(dc).join(', ')}`);
});

test("reduction 'sum' equals the default times the row count; empty batch gives 0", () => {
  for (const rows of [1, 3, 7]) {
    const r = rng(rows);
    const cols = 3;
    const yPred = uniform(r, rows * cols, 0.1, 0.9);
    const yTrue = new Float32Array(rows * cols).map(() => (r() < 0.5 ? 0 : 1));
    const labels = new Float32Array(rows).map(() => Math.floor(r() * cols));
    const pairs: [Loss, Loss, Float32Array][] = [
      [losses.binaryCrossentropy(), losses.binaryCrossentropy({ reduction: 'sum' }), yTrue],
      [losses.categoricalCrossentropy(), losses.categoricalCrossentropy({ reduction: 'sum' }), yTrue],
      [losses.sparseCategoricalCrossentropy(), losses.sparseCategoricalCrossentropy({ reduction: 'sum' }), labels],
      [losses.meanSquaredError(), losses.meanSquaredError({ reduction: 'sum' }), yTrue],
      [losses.meanAbsoluteError(), losses.meanAbsoluteError({ reduction: 'sum' }), yTrue],
      [losses.huber(), losses.huber({ reduction: 'sum' }), yTrue],
    ];
    for (const [mean, sum, t] of pairs) {
      const dm = new Float32Array(rows * cols);
      const ds = new Float32Array(rows * cols);
      const vm = mean.compute(yPred, t, dm, rows, cols);
      const vs = sum.compute(yPred, t, ds, rows, cols);
      close(vs, vm * rows, `${mean.name} sum vs mean, rows ${rows}`, 1e-12);
      if (rows > 1) assert.notEqual(vs, vm);
      for (let i = 0; i < dm.length; i++) close(ds[i], dm[i] * rows, `${mean.name} gradient ${i}`, 1e-6);
      assert.equal(mean.compute(new Float32Array(0), new Float32Array(0), null, 0, cols), 0);
    }
  }
});

test('sparse labels: out of range / non-integer names the index, the value and the range', () => {
  const loss = losses.sparseCategoricalCrossentropy();
  loss.validateTargets(new Float32Array([0, 2, 1]), 3, 3, 'fit');
  assert.throws(() => loss.validateTargets(new Float32Array([0, 3, 1]), 3, 3, 'fit'),
    (e: unknown) => e instanceof RangeError && /index 1/.test(e.message) && /is 3\b/.test(e.message) && e.message.includes('[0, 3)') && e.message.startsWith('fit'));
  assert.throws(() => loss.validateTargets(new Float32Array([0, 1, 2.5]), 3, 3, 'fit'),
    (e: unknown) => e instanceof RangeError && /index 2/.test(e.message) && e.message.includes('2.5'));
  assert.throws(() => loss.validateTargets(new Float32Array([-1, 0]), 2, 3, 'fit'),
    (e: unknown) => e instanceof RangeError && /index 0/.test(e.message) && e.message.includes('-1'));
  assert.throws(() => loss.validateTargets(new Float32Array([0, Number.NaN]), 2, 3, 'fit'),
    (e: unknown) => e instanceof RangeError && /index 1/.test(e.message) && e.message.includes('NaN'));
  assert.throws(() => loss.validateTargets(new Float32Array([0, 1]), 3, 3, 'fit'), /expected 3 target values/);
  // dense losses check the length; binary cross-entropy also that targets are probabilities
  losses.meanSquaredError().validateTargets(new Float32Array([0.3, 7]), 1, 2, 'fit');
  losses.binaryCrossentropy().validateTargets(new Float32Array([0.3, 1]), 1, 2, 'fit');
  assert.throws(() => losses.binaryCrossentropy().validateTargets(new Float32Array([0.3, 7]), 1, 2, 'fit'), /target 1 is 7; binary cross-entropy takes targets in \[0, 1\]/);
  assert.throws(() => losses.binaryCrossentropy().validateTargets(new Float32Array([0.3]), 1, 2, 'fit'), RangeError);
});

test('getLoss: Keras, tfjs and alias names; unknown names list the valid ones', () => {
  const expect: Record<string, string> = {
    binary_crossentropy: 'BinaryCrossentropy',
    binaryCrossentropy: 'BinaryCrossentropy',
    categorical_crossentropy: 'CategoricalCrossentropy',
    categoricalCrossentropy: 'CategoricalCrossentropy',
    sparse_categorical_crossentropy: 'SparseCategoricalCrossentropy',
    sparseCategoricalCrossentropy: 'SparseCategoricalCrossentropy',
    mean_squared_error: 'MeanSquaredError',
    meanSquaredError: 'MeanSquaredError',
    mse: 'MeanSquaredError',
    mean_absolute_error: 'MeanAbsoluteError',
    meanAbsoluteError: 'MeanAbsoluteError',
    mae: 'MeanAbsoluteError',
    huber: 'Huber',
    huber_loss: 'Huber',
  };
  for (const [name, cls] of Object.entries(expect)) {
    const l = getLoss(name);
    assert.equal(l.className, cls, name);
    assert.equal(l.reduction, 'sum_over_batch_size');
  }
  assert.equal(getLoss('sparse_categorical_crossentropy').sparse, true);
  assert.equal(getLoss('mse').name, 'mean_squared_error');
  const inst = losses.huber({ delta: 2 });
  assert.equal(getLoss(inst), inst);
  assert.throws(() => getLoss('crossentropyy'), (e: unknown) =>
    e instanceof RangeError &&
    e.message.startsWith('unknown loss "crossentropyy"; valid names:') &&
    ['binary_crossentropy', 'sparseCategoricalCrossentropy', 'mse', 'mae', 'huber_loss'].every((n) => e.message.includes(n)));
  assert.throws(() => getLoss(42 as unknown as string), TypeError);
  assert.throws(() => getLoss(null as unknown as string), TypeError);
});

test('options: unknown, unsupported and invalid values are rejected by name', () => {
  assert.throws(() => losses.meanSquaredError({ reduction: null } as object), /reduction null is ambiguous; write 'none'/);
  for (const reduction of ['average', 'SUM', '', 1]) {
    assert.throws(() => losses.meanSquaredError({ reduction } as object), (e: unknown) =>
      e instanceof RangeError && e.message.includes(JSON.stringify(reduction)) && e.message.includes('sum_over_batch_size'));
  }
  assert.throws(() => losses.binaryCrossentropy({ frmLogits: true } as object), (e: unknown) => e instanceof RangeError && e.message.includes('frmLogits'));
  assert.throws(() => losses.sparseCategoricalCrossentropy({ labelSmoothing: 0.1 } as object), /labelSmoothing/);
  assert.throws(() => losses.binaryCrossentropy({ labelSmoothing: 1.5 }), RangeError);
  assert.throws(() => losses.categoricalCrossentropy({ labelSmoothing: -0.1 }), RangeError);
  assert.throws(() => losses.binaryCrossentropy({ fromLogits: 'yes' as unknown as boolean }), TypeError);
  assert.throws(() => losses.huber({ delta: 0 }), RangeError);
  assert.throws(() => losses.huber({ axis: 1 } as object), /axis/);
  assert.throws(() => losses.binaryCrossentropy({ axis: 0 }), /axis 0 is not supported; losses reduce over the last axis \(axis -1\) only/);
  assert.equal(losses.binaryCrossentropy({ axis: -1 }).name, 'binary_crossentropy');
});

test('getConfig round trip and Keras snake_case configs', () => {
  const all: Loss[] = [
    losses.binaryCrossentropy({ fromLogits: true, labelSmoothing: 0.1, reduction: 'sum' }),
    losses.categoricalCrossentropy({ labelSmoothing: 0.2 }),
    losses.sparseCategoricalCrossentropy({ fromLogits: true }),
    losses.meanSquaredError(),
    losses.meanAbsoluteError({ reduction: 'sum' }),
    losses.huber({ delta: 0.7 }),
  ];
  for (const l of all) {
    const cfg = l.getConfig();
    assert.deepEqual(JSON.parse(JSON.stringify(cfg)), cfg);
    const back = lossFromConfig(l.className, cfg);
    assert.equal(back.className, l.className);
    assert.deepEqual(back.getConfig(), cfg);
  }
  assert.deepEqual(losses.binaryCrossentropy().getConfig(), {
    name: 'binary_crossentropy', reduction: 'sum_over_batch_size', fromLogits: false, labelSmoothing: 0,
  });
  const keras = lossFromConfig('BinaryCrossentropy', {
    name: 'binary_crossentropy', reduction: 'sum', from_logits: true, label_smoothing: 0.1, axis: -1, dtype: null,
  });
  assert.deepEqual(keras.getConfig(), { name: 'binary_crossentropy', reduction: 'sum', fromLogits: true, labelSmoothing: 0.1 });
  assert.throws(() => lossFromConfig('Dice', {}), (e: unknown) => e instanceof RangeError && e.message.includes('BinaryCrossentropy') && e.message.includes('CategoricalFocalCrossentropy'));
});

// ---------- per-row weights (sample weights, class weights, masks) ----------

/** |got − want| ≤ rtol·max(|got|, |want|) + atol, for gradients and small values. */
function relClose(got: number, want: number, what: string, rtol: number, atol = 1e-12): void {
  assert.ok(
    Math.abs(got - want) <= rtol * Math.max(Math.abs(got), Math.abs(want)) + atol,
    `${what}: got ${got}, want ${want}`,
  );
}

/** Random weights in [0.1, 3] with row 1 at exactly 0. */
function randomWeights(r: () => number, rows: number): Float32Array {
  const w = uniform(r, rows, 0.1, 3);
  w[1] = 0;
  return w;
}

test('gradient check with random per-row weights (a zero-weight row included)', () => {
  const r = rng(99);
  for (const { c } of CASES) {
    const w = randomWeights(r, c.rows);
    gradCheck({ ...c, label: `${c.label} weighted` }, w);
    const d = new Float32Array(c.rows * c.cols).fill(Number.NaN);
    c.loss.compute(c.yPred, c.yTrue, d, c.rows, c.cols, w);
    for (let j = 0; j < c.cols; j++) assert.ok(d[c.cols + j] === 0, `${c.label}: zero-weight row gradient ${d[c.cols + j]}`);
  }
});

test('weighted values match the float64 reference Σ w·value / rows (divisor stays rows)', () => {
  const r = rng(7);
  for (const { c, ref } of CASES) {
    const w = randomWeights(r, c.rows);
    const got = c.loss.compute(c.yPred, c.yTrue, null, c.rows, c.cols, w);
    const perSample = ref(Array.from(c.yPred), Array.from(c.yTrue), c.rows, c.cols);
    const want = reduceRef(perSample, c.loss.reduction, w);
    relClose(got, want, `${c.label} weighted`, VALUE_RTOL);
    // the divisor is the row count, not Σw
    if (c.loss.reduction === 'sum_over_batch_size') {
      const sumW = w.reduce((a, b) => a + b, 0);
      const byWeights = perSample.reduce((a, v, i) => a + w[i] * v, 0) / sumW;
      assert.ok(Math.abs(got - byWeights) > 1e-6 * Math.abs(got), `${c.label}: divided by Σw instead of rows`);
    }
  }
});

test('weights null and all-ones weights agree: identical gradients, values to rounding', () => {
  for (const { c } of CASES) {
    const n = c.rows * c.cols;
    const dNull = new Float32Array(n);
    const dOnes = new Float32Array(n);
    const vNull = c.loss.compute(c.yPred, c.yTrue, dNull, c.rows, c.cols, null);
    const vOnes = c.loss.compute(c.yPred, c.yTrue, dOnes, c.rows, c.cols, new Float32Array(c.rows).fill(1));
    relClose(vOnes, vNull, c.label, 1e-14, 0);
    assert.deepEqual(dOnes, dNull, `${c.label}: gradients differ`);
    // the default argument is null
    assert.equal(c.loss.compute(c.yPred, c.yTrue, null, c.rows, c.cols), vNull);
  }
});

test('weights [1, 0, 1, 0, 1] give the unweighted loss on the kept rows × kept/rows; dropped rows are never read', () => {
  for (const { c } of CASES) {
    const { loss, rows, cols } = c;
    const keep = [0, 2, 4];
    const w = new Float32Array(rows).map((_, i) => (keep.includes(i) ? 1 : 0));
    const keptPred = new Float32Array(keep.length * cols);
    const keptTrue = new Float32Array(loss.sparse ? keep.length : keep.length * cols);
    keep.forEach((row, k) => {
      keptPred.set(c.yPred.subarray(row * cols, (row + 1) * cols), k * cols);
      if (loss.sparse) keptTrue[k] = c.yTrue[row];
      else keptTrue.set(c.yTrue.subarray(row * cols, (row + 1) * cols), k * cols);
    });
    const dKept = new Float32Array(keep.length * cols);
    const vKept = loss.compute(keptPred, keptTrue, dKept, keep.length, cols);
    // dropped rows hold NaN predictions: a zero-weight row is skipped, not multiplied by 0
    const yPred = c.yPred.slice();
    for (let row = 0; row < rows; row++) if (!keep.includes(row)) yPred.fill(Number.NaN, row * cols, (row + 1) * cols);
    const d = new Float32Array(rows * cols).fill(Number.NaN);
    const v = loss.compute(yPred, c.yTrue, d, rows, cols, w);
    const factor = loss.reduction === 'sum' ? 1 : keep.length / rows;
    relClose(v, vKept * factor, `${c.label} value`, 1e-12);
    for (let row = 0; row < rows; row++) {
      const k = keep.indexOf(row);
      for (let j = 0; j < cols; j++) {
        const got = d[row * cols + j];
        if (k < 0) assert.ok(got === 0, `${c.label}: dropped row ${row} gradient ${got}`);
        else relClose(got, dKept[k * cols + j] * factor, `${c.label} gradient [${row}, ${j}]`, 1e-6);
      }
    }
  }
});

test('maskToWeights: Keras 3 apply_mask weights in float32 (mask·divide_no_nan(total, valid), then × sample weights)', () => {
  const f = Math.fround;
  const mask = new Float32Array([1, 1, 0, 1, 0]);
  const out = new Float32Array(5).fill(Number.NaN);
  maskToWeights(mask, 5, out, null);
  const k = f(5 / 3);
  assert.deepEqual(Array.from(out), [k, k, 0, k, 0]);
  // one valid row: exactly total (Keras before 3.13 divided by valid + ε: 2.9999998 here)
  const one = new Float32Array(3);
  maskToWeights(new Float32Array([0, 1, 0]), 3, one, null);
  assert.deepEqual(Array.from(one), [0, 3, 0]);
  // sample weights multiply the scaled mask; out may alias the sample weights
  const sw = new Float32Array([2, 5, 0.5, 1, 3, 99]);
  maskToWeights(new Float32Array([1, 0, 1, 1, 0, 1]), 5, sw, sw);
  const k4 = f(5 / 3);
  assert.deepEqual(Array.from(sw), [f(2 * k4), 0, f(0.5 * k4), k4, 0, 99], 'only [0, rows) is written');
  // out may alias the mask
  const m2 = new Float32Array([0, 1, 1, 1]);
  maskToWeights(m2, 4, m2, null);
  assert.deepEqual(Array.from(m2), [0, f(4 / 3), f(4 / 3), f(4 / 3)]);
  // reduction 'sum': the mask as is (× sample weights)
  const s = new Float32Array(3);
  maskToWeights(new Float32Array([1, 0, 1]), 3, s, null, 'sum');
  assert.deepEqual(Array.from(s), [1, 0, 1]);
  maskToWeights(new Float32Array([1, 0, 1]), 3, s, new Float32Array([0.25, 4, 3]), 'sum');
  assert.deepEqual(Array.from(s), [0.25, 0, 3]);
  // nothing valid: every weight 0; no rows: nothing written, no throw
  const z = new Float32Array(3).fill(7);
  maskToWeights(new Float32Array(3), 3, z, null);
  assert.deepEqual(Array.from(z), [0, 0, 0]);
  maskToWeights(new Float32Array(0), 0, new Float32Array(0), null);
});

test('a masked loss is the mean over the valid rows only (hand computation)', () => {
  // MSE, cols 2, per-row values: x = [1, 1] → 1; masked (NaN); x = [2, 0] → 2; x = [0, 3] → 4.5
  const yTrue = new Float32Array([0, 0, 0, 0, 0, 0, 0, 0]);
  const yPred = new Float32Array([1, -1, Number.NaN, Number.NaN, 2, 0, 0, 3]);
  const mask = new Float32Array([1, 0, 1, 1]);
  const w = new Float32Array(4);
  maskToWeights(mask, 4, w, null);
  const mse = losses.meanSquaredError();
  const d = new Float32Array(8);
  const v = mse.compute(yPred, yTrue, d, 4, 2, w);
  close(v, (1 + 2 + 4.5) / 3, 'masked mse = mean over 3 valid rows', 1e-6);
  // gradient of the mean over valid rows: 2x / (cols · valid)
  const want = [2 / 6, -2 / 6, 0, 0, 4 / 6, 0, 0, 6 / 6];
  for (let i = 0; i < 8; i++) relClose(d[i], want[i], `masked mse gradient ${i}`, 1e-6);
  // reduction 'sum' takes the mask as is: the sum over valid rows
  const ws = new Float32Array(4);
  maskToWeights(mask, 4, ws, null, 'sum');
  assert.equal(losses.meanSquaredError({ reduction: 'sum' }).compute(yPred, yTrue, null, 4, 2, ws), 1 + 2 + 4.5);
  // mask and sample weights together: Σ_valid sw·value / valid
  const sw = new Float32Array([2, 7, 0.5, 1]);
  maskToWeights(mask, 4, sw, sw);
  close(mse.compute(yPred, yTrue, null, 4, 2, sw), (2 * 1 + 0.5 * 2 + 1 * 4.5) / 3, 'masked, sample-weighted mse', 1e-6);
  // every loss: masked value = mean of the reference per-sample values over valid rows
  for (const { c, ref } of CASES) {
    if (c.loss.reduction !== 'sum_over_batch_size') continue;
    const m = new Float32Array([0, 1, 1, 0, 1]);
    const mw = new Float32Array(c.rows);
    maskToWeights(m, c.rows, mw, null);
    const perSample = ref(Array.from(c.yPred), Array.from(c.yTrue), c.rows, c.cols);
    const meanValid = (perSample[1] + perSample[2] + perSample[4]) / 3;
    relClose(c.loss.compute(c.yPred, c.yTrue, null, c.rows, c.cols, mw), meanValid, `${c.label} masked`, 1e-6);
  }
  // nothing valid: loss 0 and zero gradient
  const wz = new Float32Array(4);
  maskToWeights(new Float32Array(4), 4, wz, null);
  const dz = new Float32Array(8).fill(Number.NaN);
  assert.equal(mse.compute(yPred, yTrue, dz, 4, 2, wz), 0);
  assert.ok(dz.every((x) => x === 0));
});

test('computeInto and maskToWeights allocate nothing, weighted or not', async () => {
  const CALLS = 2000;
  // one boxed double per call would be 32 KB; the measurement itself costs about 2 KB
  const SLACK = 8192;
  const out = new Float64Array(1);
  const r = rng(3);
  for (const { c } of CASES) {
    const d = new Float32Array(c.rows * c.cols);
    const w = randomWeights(r, c.rows);
    const mask = new Float32Array([1, 0, 1, 1, 0]);
    const mw = new Float32Array(c.rows);
    const grown = await youngGrowth(() => {
      for (let i = 0; i < CALLS; i++) {
        c.loss.computeInto(out, c.yPred, c.yTrue, d, c.rows, c.cols, null);
        c.loss.computeInto(out, c.yPred, c.yTrue, null, c.rows, c.cols, w);
        maskToWeights(mask, c.rows, mw, w);
        c.loss.computeInto(out, c.yPred, c.yTrue, d, c.rows, c.cols, mw);
      }
    }, SLACK);
    assert.ok(grown <= SLACK, `${c.label}: young generation grew by ${grown} bytes over ${CALLS} rounds`);
  }
});
