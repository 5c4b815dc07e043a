/**
 * Metrics: the Keras 'accuracy' resolution rule, the strict ŷ > threshold rule,
 * argmax ties, stateful means across batches, reset, name handling and errors;
 * weighted means (per element for binary accuracy / mse / mae, per row for the
 * categorical accuracies), zero-weight rows, masks, and no allocation per update.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { maskToWeights } from '../src/losses/index.js';
import { youngGrowth } from './helpers/allocation.js';
import {
  BinaryAccuracy,
  CategoricalAccuracy,
  MeanAbsoluteErrorMetric,
  MeanSquaredErrorMetric,
  Metric,
  SparseCategoricalAccuracy,
  metrics,
  resolveMetric,
} from '../src/metrics/index.js';

const f32 = (...v: number[]): Float32Array => new Float32Array(v);
/** Tolerance for float64 means of float32 inputs. */
const RTOL = 1e-12;

function close(got: number, want: number, what: string): void {
  assert.ok(Math.abs(got - want) <= RTOL * Math.max(1, Math.abs(want)), `${what}: got ${got}, want ${want}`);
}

test("'accuracy' / 'acc' resolve from the output width and target kind, keeping the typed name", () => {
  for (const name of ['accuracy', 'acc']) {
    const bin = resolveMetric(name, { predWidth: 1, sparseTargets: false });
    assert.ok(bin instanceof BinaryAccuracy, `${name}, width 1 → binary`);
    assert.equal(bin.name, name);
    // width 1 wins even with sparse targets (Keras checks y_pred's last dim first)
    assert.ok(resolveMetric(name, { predWidth: 1, sparseTargets: true }) instanceof BinaryAccuracy);
    const sparse = resolveMetric(name, { predWidth: 5, sparseTargets: true });
    assert.ok(sparse instanceof SparseCategoricalAccuracy, `${name}, width 5 sparse → sparse categorical`);
    assert.equal(sparse.name, name);
    const cat = resolveMetric(name, { predWidth: 5, sparseTargets: false });
    assert.ok(cat instanceof CategoricalAccuracy, `${name}, width 5 dense → categorical`);
    assert.equal(cat.name, name);
  }
});

test('explicit names resolve to their class and keep the typed name', () => {
  const dense = { predWidth: 3, sparseTargets: false };
  const sparse = { predWidth: 3, sparseTargets: true };
  const cases: [string, new (...a: never[]) => Metric, typeof dense][] = [
    ['binaryAccuracy', BinaryAccuracy, dense],
    ['binary_accuracy', BinaryAccuracy, dense],
    ['categoricalAccuracy', CategoricalAccuracy, dense],
    ['categorical_accuracy', CategoricalAccuracy, dense],
    ['sparseCategoricalAccuracy', SparseCategoricalAccuracy, sparse],
    ['sparse_categorical_accuracy', SparseCategoricalAccuracy, sparse],
    ['mse', MeanSquaredErrorMetric, dense],
    ['meanSquaredError', MeanSquaredErrorMetric, dense],
    ['mean_squared_error', MeanSquaredErrorMetric, dense],
    ['mae', MeanAbsoluteErrorMetric, dense],
    ['meanAbsoluteError', MeanAbsoluteErrorMetric, dense],
    ['mean_absolute_error', MeanAbsoluteErrorMetric, dense],
  ];
  for (const [name, cls, ctx] of cases) {
    const m = resolveMetric(name, ctx);
    assert.ok(m instanceof cls, `${name} → ${cls.name}, got ${m.constructor.name}`);
    assert.equal(m.name, name);
  }
  const inst = metrics.binaryAccuracy({ threshold: 0.7 });
  assert.equal(resolveMetric(inst, { predWidth: 1, sparseTargets: false }), inst);
  assert.equal(inst.name, 'binary_accuracy');
  assert.equal(metrics.meanSquaredError().name, 'mean_squared_error');
  assert.equal(metrics.sparseCategoricalAccuracy({ name: 'acc' }).name, 'acc');
});

test('unknown metric names list the valid names; wrong kinds and impossible targets are rejected', () => {
  assert.throws(() => resolveMetric('acuracy', { predWidth: 1, sparseTargets: false }), (e: unknown) =>
    e instanceof RangeError &&
    e.message.startsWith('unknown metric "acuracy"; valid names:') &&
    ['accuracy', 'acc', 'binary_accuracy', 'sparseCategoricalAccuracy', 'mse', 'mean_absolute_error'].every((n) => e.message.includes(n)));
  assert.throws(() => resolveMetric(3 as unknown as string, { predWidth: 1, sparseTargets: false }), TypeError);
  assert.throws(() => resolveMetric('categorical_accuracy', { predWidth: 4, sparseTargets: true }), (e: unknown) =>
    e instanceof RangeError && e.message.includes('categorical_accuracy') && e.message.includes('class indices'));
  assert.throws(() => resolveMetric('sparse_categorical_accuracy', { predWidth: 4, sparseTargets: false }), RangeError);
  assert.throws(() => resolveMetric('mse', { predWidth: 4, sparseTargets: true }), RangeError);
  assert.throws(() => metrics.binaryAccuracy({ thresh: 0.5 } as object), (e: unknown) => e instanceof RangeError && e.message.includes('thresh'));
  assert.throws(() => metrics.binaryAccuracy({ threshold: Number.NaN }), RangeError);
});

test('binary accuracy: ŷ counts as 1 only when strictly above the threshold (0.5 → class 0)', () => {
  const m = resolveMetric('accuracy', { predWidth: 1, sparseTargets: false });
  assert.equal(m.result(), 0, 'nothing seen → 0, not NaN');
  m.update(f32(0.5), f32(0), 1, 1, false);
  assert.equal(m.result(), 1, '0.5 is class 0, matching target 0');
  m.reset();
  m.update(f32(0.5), f32(1), 1, 1, false);
  assert.equal(m.result(), 0, '0.5 is not class 1');
  m.reset();
  m.update(f32(0.5, 0.5000001, 0.49, 0.9, 0.1, 1), f32(0, 1, 0, 0, 1, 1), 6, 1, false);
  close(m.result(), 4 / 6, 'six predictions');
  // sparse layout with width 1 is the same data
  m.update(f32(0.7, 0.2), f32(1, 0), 2, 1, true);
  close(m.result(), 6 / 8, 'accumulates across updates');
  m.reset();
  assert.equal(m.result(), 0);
  // averaged over all elements, several per row
  const wide = metrics.binaryAccuracy();
  wide.update(f32(0.9, 0.1, 0.6, 0.6), f32(1, 0, 0, 1), 2, 2, false);
  close(wide.result(), 3 / 4, 'element average');
  // a custom threshold
  const t = metrics.binaryAccuracy({ threshold: 0.7 });
  t.update(f32(0.7, 0.71, 0.6), f32(0, 1, 0), 3, 1, false);
  assert.equal(t.result(), 1);
  // the threshold is compared in float32, as Keras casts it to y_pred's dtype
  const t3 = metrics.binaryAccuracy({ threshold: 0.3 });
  t3.update(f32(0.3), f32(0), 1, 1, false);
  assert.equal(t3.result(), 1, 'float32 0.3 is not above threshold 0.3');
});

test('categorical accuracy: argmax equality, first maximum wins on ties', () => {
  const m = metrics.categoricalAccuracy();
  m.update(f32(0.4, 0.4, 0.2), f32(1, 0, 0), 1, 3, false);
  assert.equal(m.result(), 1, 'tie goes to the first index');
  m.reset();
  m.update(f32(0.4, 0.4, 0.2), f32(0, 1, 0), 1, 3, false);
  assert.equal(m.result(), 0, 'second of the tied maxima is not the argmax');
  m.reset();
  m.update(f32(0.1, 0.7, 0.2, 0.5, 0.3, 0.2, 0.1, 0.1, 0.8), f32(0, 1, 0, 0, 1, 0, 0, 0, 1), 3, 3, false);
  close(m.result(), 2 / 3, 'three rows');
  m.update(f32(-1, -3, -2), f32(1, 0, 0), 1, 3, false);
  close(m.result(), 3 / 4, 'row count accumulates; negative scores fine');
});

test('sparse categorical accuracy: argmax equals the integer label', () => {
  const m = resolveMetric('acc', { predWidth: 3, sparseTargets: true });
  m.update(f32(0.1, 0.7, 0.2, 0.5, 0.3, 0.2, 0.3, 0.3, 0.3), f32(1, 1, 0), 3, 3, true);
  close(m.result(), 2 / 3, 'three rows (last is a three-way tie → 0)');
  m.update(f32(0.2, 0.2, 0.6, 0.9, 0.05, 0.05), f32(2, 0), 2, 3, true);
  close(m.result(), 4 / 5, 'accumulates over a batch of a different size');
});

test('mse / mae metrics: mean over every element seen, across uneven batches', () => {
  const mse = resolveMetric('mse', { predWidth: 2, sparseTargets: false });
  const mae = resolveMetric('mae', { predWidth: 2, sparseTargets: false });
  const p1 = f32(1, 2, 3, 4, 5, 6);
  const t1 = f32(1.5, 2, 2, 4, 5, 8);
  const p2 = f32(0, 0);
  const t2 = f32(1, -1);
  for (const m of [mse, mae]) {
    m.update(p1, t1, 3, 2, false);
    m.update(p2, t2, 1, 2, false);
  }
  close(mse.result(), (0.25 + 0 + 1 + 0 + 0 + 4 + 1 + 1) / 8, 'mse');
  close(mae.result(), (0.5 + 0 + 1 + 0 + 0 + 2 + 1 + 1) / 8, 'mae');
  assert.equal(mse.name, 'mse');
  mse.reset();
  assert.equal(mse.result(), 0);
});

// ---------- weighted updates (sample weights, class weights, masks) ----------

test('fractional weights: binary accuracy / mse / mae weight every element by its row weight', () => {
  // rows [0.9, 0.2] vs [1, 0] → 2 of 2 correct; [0.6, 0.4] vs [0, 0] → 1 of 2; [0.7, 0.7] vs [1, 1] → 2 of 2
  const p = f32(0.9, 0.2, 0.6, 0.4, 0.7, 0.7);
  const t = f32(1, 0, 0, 0, 1, 1);
  const w = f32(0.5, 2, 0.25);
  const acc = metrics.binaryAccuracy();
  acc.update(p, t, 3, 2, false, w);
  // Keras: Σ w·(row mean) / Σ w = (0.5·1 + 2·0.5 + 0.25·1) / 2.75
  close(acc.result(), (0.5 * 1 + 2 * 0.5 + 0.25 * 1) / 2.75, 'weighted binary accuracy');
  // a second, unweighted batch: weight 1 per row, its 2 elements each count 1
  acc.update(f32(0.1, 0.1), f32(1, 1), 1, 2, false, null);
  close(acc.result(), (0.5 * 2 + 2 * 1 + 0.25 * 2 + 0) / ((2.75 + 1) * 2), 'weighted and unweighted batches');

  const yp = f32(1, 2, 3, 4);
  const yt = f32(0, 0, 0, 0);
  const ww = f32(0.5, 1.5);
  const mse = metrics.meanSquaredError();
  const mae = metrics.meanAbsoluteError();
  mse.update(yp, yt, 2, 2, false, ww);
  mae.update(yp, yt, 2, 2, false, ww);
  close(mse.result(), (0.5 * (1 + 4) + 1.5 * (9 + 16)) / (2 * 2), 'weighted mse');
  close(mae.result(), (0.5 * (1 + 2) + 1.5 * (3 + 4)) / (2 * 2), 'weighted mae');
});

test('fractional weights: categorical and sparse accuracy weight each row once', () => {
  const p = f32(0.1, 0.7, 0.2, 0.5, 0.3, 0.2, 0.2, 0.2, 0.6);
  const w = f32(0.25, 3, 1.5);
  const cat = metrics.categoricalAccuracy();
  // rows: correct, wrong, correct
  cat.update(p, f32(0, 1, 0, 0, 1, 0, 0, 0, 1), 3, 3, false, w);
  close(cat.result(), (0.25 + 1.5) / 4.75, 'weighted categorical accuracy');
  const sparse = metrics.sparseCategoricalAccuracy();
  sparse.update(p, f32(1, 1, 2), 3, 3, true, w);
  close(sparse.result(), (0.25 + 1.5) / 4.75, 'weighted sparse accuracy');
  sparse.update(f32(0.9, 0.05, 0.05), f32(0), 1, 3, true, null);
  close(sparse.result(), (0.25 + 1.5 + 1) / 5.75, 'then an unweighted row');
});

test('zero-weight rows do not count: same result as the kept rows alone, even with NaN predictions', () => {
  const keep = f32(1, 0, 1, 0);
  type Maker = () => Metric;
  const cases: [string, Maker, number, boolean, Float32Array, Float32Array][] = [
    ['binary', () => metrics.binaryAccuracy(), 2, false, f32(0.9, 0.1, 0.9, 0.9, 0.2, 0.8, 0.1, 0.1), f32(1, 0, 0, 0, 0, 0, 1, 1)],
    ['categorical', () => metrics.categoricalAccuracy(), 2, false, f32(0.9, 0.1, 0.9, 0.1, 0.2, 0.8, 0.1, 0.9), f32(1, 0, 0, 1, 1, 0, 0, 1)],
    ['sparse', () => metrics.sparseCategoricalAccuracy(), 2, true, f32(0.9, 0.1, 0.9, 0.1, 0.2, 0.8, 0.1, 0.9), f32(0, 1, 0, 1)],
    ['mse', () => metrics.meanSquaredError(), 2, false, f32(1, 2, 3, 4, 5, 6, 7, 8), f32(0, 0, 1, 1, 2, 2, 3, 3)],
    ['mae', () => metrics.meanAbsoluteError(), 2, false, f32(1, 2, 3, 4, 5, 6, 7, 8), f32(0, 0, 1, 1, 2, 2, 3, 3)],
  ];
  for (const [label, make, cols, sparse, p, t] of cases) {
    const kept = make();
    const tw = sparse ? 1 : cols;
    kept.update(
      f32(...p.subarray(0, cols), ...p.subarray(2 * cols, 3 * cols)),
      f32(...t.subarray(0, tw), ...t.subarray(2 * tw, 3 * tw)),
      2, cols, sparse, null,
    );
    const pNaN = p.slice();
    pNaN.fill(Number.NaN, cols, 2 * cols);
    pNaN.fill(Number.NaN, 3 * cols, 4 * cols);
    const weighted = make();
    weighted.update(pNaN, t, 4, cols, sparse, keep);
    assert.equal(weighted.result(), kept.result(), label);
    // all rows at weight 0: nothing seen, result 0 (not NaN), and later batches count normally
    const none = make();
    none.update(p, t, 4, cols, sparse, f32(0, 0, 0, 0));
    assert.equal(none.result(), 0, `${label}: all weights 0`);
    none.update(p, t, 4, cols, sparse, null);
    const plain = make();
    plain.update(p, t, 4, cols, sparse, null);
    assert.equal(none.result(), plain.result(), `${label}: zero-weight batch leaves no trace`);
    // weights of 1 are the unweighted update; the argument defaults to null
    const ones = make();
    ones.update(p, t, 4, cols, sparse, f32(1, 1, 1, 1));
    close(ones.result(), plain.result(), `${label}: all-ones weights`);
    const dflt = make();
    dflt.update(p, t, 4, cols, sparse);
    assert.equal(dflt.result(), plain.result(), `${label}: default weights`);
  }
});

test("a mask folded in with maskToWeights(…, 'sum') makes a metric the mean over valid rows", () => {
  // sequence output flattened to rows = batch × time; timesteps 1 and 3 are padding
  const mask = f32(1, 0, 1, 0);
  const w = new Float32Array(4);
  maskToWeights(mask, 4, w, null, 'sum');
  const acc = metrics.binaryAccuracy();
  acc.update(f32(0.9, 0.9, 0.1, 0.9), f32(1, 0, 1, 0), 4, 1, false, w);
  close(acc.result(), 1 / 2, 'valid rows 0 (right) and 2 (wrong)');
  // with sample weights: Σ w·value over valid rows / Σ w over valid rows
  const sw = f32(3, 100, 1, 100);
  maskToWeights(mask, 4, sw, sw, 'sum');
  const mse = metrics.meanSquaredError();
  mse.update(f32(1, 5, 2, 5), f32(0, 0, 0, 0), 4, 1, false, sw);
  close(mse.result(), (3 * 1 + 1 * 4) / 4, 'masked, sample-weighted mse');
});

test('update allocates nothing, weighted or not', async () => {
  const ROUNDS = 2000;
  const SLACK = 8192; // one boxed double per update would be 32 KB
  const rows = 6;
  const cols = 3;
  const p = new Float32Array(rows * cols).map((_, i) => ((i * 7) % 10) / 10);
  const dense = new Float32Array(rows * cols).map((_, i) => (i % cols === i % 2 ? 1 : 0));
  const labels = new Float32Array(rows).map((_, i) => i % cols);
  const w = f32(0.5, 0, 2, 1, 0.25, 3);
  const all: [Metric, Float32Array, boolean][] = [
    [metrics.binaryAccuracy(), dense, false],
    [metrics.categoricalAccuracy(), dense, false],
    [metrics.sparseCategoricalAccuracy(), labels, true],
    [metrics.meanSquaredError(), dense, false],
    [metrics.meanAbsoluteError(), dense, false],
  ];
  for (const [m, t, sparse] of all) {
    const run = (): void => {
      for (let i = 0; i < ROUNDS; i++) {
        m.update(p, t, rows, cols, sparse, null);
        m.update(p, t, rows, cols, sparse, w);
      }
    };
    const least = await youngGrowth(run, SLACK);
    assert.ok(least <= SLACK, `${m.className}: young generation grew by ${least} bytes over ${ROUNDS} rounds`);
  }
});
