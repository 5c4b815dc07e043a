/**
 * Losses: finite-difference gradient checks for every loss and option combination,
 * values against independent float64 references and hand-computed numbers (clipping
 * included), option/name/label validation messages, reductions, config round trips.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import {
  EPSILON,
  Loss,
  getLoss,
  lossFromConfig,
  losses,
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

/** Central differences of the reduced loss w.r.t. every yPred entry, in float64. */
function gradCheck(c: Case): void {
  const { loss, yTrue, rows, cols } = c;
  const yPred = c.yPred.slice();
  const n = rows * cols;
  const analytic = new Float32Array(n).fill(Number.NaN); // must be overwritten
  const value = loss.compute(yPred, yTrue, analytic, rows, cols);
  assert.ok(Number.isFinite(value), `${c.label}: loss not finite: ${value}`);
  const valueNoGrad = loss.compute(yPred, yTrue, null, rows, cols);
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
    const lp = loss.compute(yPred, yTrue, null, rows, cols);
    yPred[i] = x - FD_STEP;
    const xm = yPred[i];
    const lm = loss.compute(yPred, yTrue, null, rows, cols);
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

type Ref = (p: number[], y: number[], rows: number, cols: number) => number;

function reduceRef(perSample: number[], reduction: string): number {
  const s = perSample.reduce((a, b) => a + b, 0);
  return reduction === 'sum' ? s : s / perSample.length;
}

function rowsOf(a: ArrayLike<number>, rows: number, cols: number): number[][] {
  const out: number[][] = [];
  for (let r = 0; r < rows; r++) out.push(Array.from({ length: cols }, (_, j) => a[r * cols + j]));
  return out;
}

const clip = (p: number): number => Math.min(Math.max(p, EPSILON), Math.fround(1 - 1e-7));
const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

function bceRef(fromLogits: boolean, s: number, reduction: string): Ref {
  return (p, y, rows, cols) =>
    reduceRef(
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
      }),
      reduction,
    );
}

function cceRef(fromLogits: boolean, s: number, reduction: string, sparse: boolean): Ref {
  return (p, y, rows, cols) =>
    reduceRef(
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
      }),
      reduction,
    );
}

function elementwiseRef(f: (x: number) => number, reduction: string): Ref {
  return (p, y, rows, cols) =>
    reduceRef(
      rowsOf(p, rows, cols).map((row, r) => row.reduce((acc, v, j) => acc + f(v - y[r * cols + j]), 0) / cols),
      reduction,
    );
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
          ref: bceRef(fromLogits, s, reduction),
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
          ref: cceRef(fromLogits, s, reduction, false),
        });
      }
      const ys = new Float32Array(rows);
      for (let row = 0; row < rows; row++) ys[row] = Math.floor(r() * cols);
      const ps = fromLogits ? uniform(r, n, -3, 3) : uniform(r, n, 0.1, 1.5);
      out.push({
        c: { label: `sparseCategoricalCrossentropy fromLogits=${fromLogits} ${reduction}`, loss: losses.sparseCategoricalCrossentropy({ fromLogits, reduction }), yPred: ps, yTrue: ys, rows, cols },
        ref: cceRef(fromLogits, 0, reduction, true),
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
      ref: elementwiseRef((x) => x * x, reduction),
    });
    out.push({
      c: { label: `meanAbsoluteError ${reduction}`, loss: losses.meanAbsoluteError({ reduction }), yPred: add(yt, offMae), yTrue: yt, rows, cols },
      ref: elementwiseRef(Math.abs, reduction),
    });
    out.push({
      c: { label: `huber delta=1 ${reduction}`, loss: losses.huber({ reduction }), yPred: add(yt, offHuber), yTrue: yt, rows, cols },
      ref: elementwiseRef(huberRef(1), reduction),
    });
    out.push({
      c: { label: `huber delta=0.5 ${reduction}`, loss: losses.huber({ delta: 0.5, reduction }), yPred: add(yt, offHuberD), yTrue: yt, rows, cols },
      ref: elementwiseRef(huberRef(0.5), reduction),
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
    const want = ref(Array.from(c.yPred), Array.from(c.yTrue), c.rows, c.cols);
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
  // dense losses check only the length; label values are not restricted
  losses.binaryCrossentropy().validateTargets(new Float32Array([0.3, 7]), 1, 2, 'fit');
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
  assert.throws(() => losses.sparseCategoricalCrossentropy({ ignoreClass: 0 } as object), (e: unknown) =>
    e instanceof RangeError && e.message.includes("option 'ignoreClass' is not supported yet"));
  for (const reduction of ['none', 'mean_with_sample_weight', 'average']) {
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
  assert.throws(() => lossFromConfig('Hinge', {}), (e: unknown) => e instanceof RangeError && e.message.includes('BinaryCrossentropy'));
});
