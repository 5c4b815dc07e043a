/**
 * The Keras 3 metrics added for issue 16: top-k accuracies (TF in_top_k ties, NaN rows,
 * fromSortedIds), RMSE, MAPE, MSLE, log-cosh, cosine similarity (and tfjs's
 * cosineProximity), R2Score — against the numbers of Keras 3's own tests
 * (keras/src/metrics/accuracy_metrics_test.py, regression_metrics_test.py, cited by
 * test name) and float64 references; streaming over uneven batches equals one pass;
 * names (Keras, tfjs) and log keys; config round trips through metricFromConfig;
 * refused options; a compiled model's evaluate logs; no allocation per update.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { youngGrowth } from './helpers/allocation.js';
import { Rng } from '../src/core/rng.js';
import { Sequential, layers, loadModel, tensor } from '../src/index.js';
import { removeTempDirs, tempDir } from './helpers/saving.js';
import { metricDirection } from '../src/models/callbacks.js';
import {
  CosineProximity,
  CosineSimilarity,
  LogCoshError,
  MeanAbsolutePercentageError,
  MeanSquaredLogarithmicError,
  Metric,
  R2Score,
  RootMeanSquaredError,
  SparseTopKCategoricalAccuracy,
  TopKCategoricalAccuracy,
  metricFromConfig,
  metrics,
  resolveMetric,
  serializeMetric,
} from '../src/metrics/index.js';

const f32 = (...v: number[]): Float32Array => new Float32Array(v);

function close(got: number, want: number, tol: number, what: string): void {
  assert.ok(Math.abs(got - want) <= tol, `${what}: got ${got}, want ${want} (±${tol})`);
}

const rel = (got: number, want: number, rtol: number, what: string): void => close(got, want, rtol * Math.abs(want), what);

// ---------- top-k accuracy ----------

test('TopKCategoricalAccuracy / SparseTopKCategoricalAccuracy: Keras test_unweighted / test_weighted (k 1)', () => {
  const yPred = f32(0.1, 0.9, 0.8, 0.05, 0.95, 0);
  const oneHot = f32(0, 0, 1, 0, 1, 0);
  const labels = f32(2, 1);
  const dense = metrics.topKCategoricalAccuracy({ k: 1 });
  dense.update(yPred, oneHot, 2, 3, false);
  assert.equal(dense.result(), 0.5);
  dense.reset();
  dense.update(yPred, oneHot, 2, 3, false, f32(0.7, 0.3));
  close(dense.result(), 0.3, 1e-7, 'weighted');
  const sparse = metrics.sparseTopKCategoricalAccuracy({ k: 1 });
  sparse.update(yPred, labels, 2, 3, true);
  assert.equal(sparse.result(), 0.5);
  sparse.reset();
  sparse.update(yPred, labels, 2, 3, true, f32(0.7, 0.3));
  close(sparse.result(), 0.3, 1e-7, 'sparse weighted');
  // k = 2: both targets are in the top two
  const two = metrics.sparseTopKCategoricalAccuracy({ k: 2 });
  two.update(yPred, labels, 2, 3, true);
  assert.equal(two.result(), 1);
});

test('top-k ties as TF in_top_k: every class tied at the boundary is in; a non-finite or out-of-range row is not', () => {
  // keras.ops.in_top_k docstring: targets [2, 5, 3], k 3 → [True, False, True] (5 is out of range)
  const p = f32(0.1, 0.4, 0.6, 0.9, 0.5, 0.1, 0.7, 0.9, 0.8, 0.3, 0.1, 0.6, 0.9, 0.9, 0.5);
  const m = metrics.sparseTopKCategoricalAccuracy({ k: 3 });
  for (const [r, label, want] of [[0, 2, 1], [1, 5, 0], [2, 3, 1]] as const) {
    m.reset();
    m.update(p.subarray(r * 5, r * 5 + 5), f32(label), 1, 5, true);
    assert.equal(m.result(), want, `in_top_k docstring row ${r}`);
  }
  // four equal scores, k 1: no score is strictly greater, so any of them is a hit
  const tie = metrics.sparseTopKCategoricalAccuracy({ k: 1 });
  tie.update(f32(0.25, 0.25, 0.25, 0.25, 0.4, 0.4, 0.1, 0.1), f32(3, 1), 2, 4, true);
  assert.equal(tie.result(), 1, 'the last of four tied classes, and the second of two tied maxima');
  const denseTie = metrics.topKCategoricalAccuracy({ k: 1 });
  denseTie.update(f32(0.25, 0.25, 0.25, 0.25), f32(0, 0, 0, 1), 1, 4, false);
  assert.equal(denseTie.result(), 1);
  // a NaN or ∞ anywhere in the row: never a hit (TF InTopK's "cannot say"), but the row counts
  const nan = metrics.sparseTopKCategoricalAccuracy({ k: 2 });
  nan.update(f32(0.9, Number.NaN, 0.1, 0.9, 0.1, 0.0, 0.2, Number.POSITIVE_INFINITY, 0.1), f32(0, 0, 0), 3, 3, true);
  close(nan.result(), 1 / 3, 1e-15, 'only the finite row hits');
  // the one-hot target is argmax(y_true): the first maximum, as Keras
  const soft = metrics.topKCategoricalAccuracy({ k: 1 });
  soft.update(f32(0.1, 0.8, 0.1), f32(0.4, 0.4, 0.2), 1, 3, false);
  assert.equal(soft.result(), 0, 'target class 0 (first of the tied 0.4), prediction 1');
});

test('SparseTopKCategoricalAccuracy fromSortedIds: Keras test_from_sorted_ids_unweighted / _weighted', () => {
  const m = metrics.sparseTopKCategoricalAccuracy({ k: 1, fromSortedIds: true });
  m.update(f32(1, 0, 3, 1, 2, 3), f32(2, 1), 2, 3, true);
  assert.equal(m.result(), 0.5);
  m.reset();
  m.update(f32(1, 0, 3, 1, 2, 3), f32(2, 1), 2, 3, true, f32(0.7, 0.3));
  close(m.result(), 0.3, 1e-7, 'weighted');
  // the first k ids only; a repeated id counts once
  const k2 = metrics.sparseTopKCategoricalAccuracy({ k: 2, fromSortedIds: true });
  k2.update(f32(4, 4, 7, 9, 4, 7), f32(4, 7), 2, 3, true);
  close(k2.result(), 1 / 2, 1e-15, 'id 7 is third in row 0; row 1 hits once');
  assert.deepEqual(k2.getConfig(), { name: 'sparse_top_k_categorical_accuracy', k: 2, fromSortedIds: true });
  assert.throws(() => metrics.sparseTopKCategoricalAccuracy({ k: 4, fromSortedIds: true }).validate({ predWidth: 3, sparseTargets: true }), /at least k = 4 sorted ids/);
  // with sorted ids, k may equal the width
  assert.doesNotThrow(() => metrics.sparseTopKCategoricalAccuracy({ k: 3, fromSortedIds: true }).validate({ predWidth: 3, sparseTargets: true }));
});

test('top-k: k ≥ the number of classes is refused (the metric would always be 1), as are bad k and target kinds', () => {
  assert.throws(() => resolveMetric('top_k_categorical_accuracy', { predWidth: 5, sparseTargets: false }), (e: unknown) =>
    e instanceof RangeError && /k 5 is not below the 5 model's output columns/.test(e.message) && /k: 4/.test(e.message));
  assert.throws(() => metrics.sparseTopKCategoricalAccuracy({ k: 3 }).update(f32(1, 2, 3), f32(0), 1, 3, true), /k 3 is not below the 3 prediction columns/);
  assert.ok(resolveMetric('sparse_top_k_categorical_accuracy', { predWidth: 6, sparseTargets: true }) instanceof SparseTopKCategoricalAccuracy);
  for (const k of [0, -1, 1.5, Number.NaN, '2']) {
    assert.throws(() => metrics.topKCategoricalAccuracy({ k: k as number }), /TopKCategoricalAccuracy: k must be a positive integer/);
  }
  assert.throws(() => metrics.topKCategoricalAccuracy({ fromSortedIds: true } as object), /unknown option 'fromSortedIds'; supported options: name, k/);
  assert.throws(() => metrics.sparseTopKCategoricalAccuracy({ fromSortedIds: 1 as unknown as boolean }), /fromSortedIds must be true or false/);
  assert.throws(() => resolveMetric('top_k_categorical_accuracy', { predWidth: 8, sparseTargets: true }), /class indices/);
  assert.throws(() => resolveMetric('sparse_top_k_categorical_accuracy', { predWidth: 8, sparseTargets: false }), /integer class-index targets/);
});

// ---------- regression metrics: Keras's test numbers ----------

const Y_TRUE = f32(0, 1, 0, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1);
const Y_PRED = f32(0, 0, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 1, 1);
const W4 = f32(1, 1.5, 2, 2.5);

test('MeanAbsolutePercentageError: Keras test_unweighted 35e7, test_weighted 40e7 (ε = 1e-7 in float32)', () => {
  const m = metrics.meanAbsolutePercentageError();
  m.update(Y_PRED, Y_TRUE, 4, 5, false);
  rel(m.result(), 35e7, 1e-6, 'unweighted');
  // exactly: 7 elements with y = 0, ŷ = 1 give 100/fround(1e-7) each, 3 with y = 1, ŷ = 0 give 100; over 20 elements
  rel(m.result(), ((7 * 100) / Math.fround(1e-7) + 3 * 100) / 20, 1e-15, 'float64 reference');
  m.reset();
  m.update(Y_PRED, Y_TRUE, 4, 5, false, W4);
  rel(m.result(), 40e7, 1e-6, 'weighted');
  assert.equal(m.name, 'mean_absolute_percentage_error');
});

test('MeanSquaredLogarithmicError: Keras test_unweighted 0.24022, test_weighted 0.26082', () => {
  const m = metrics.meanSquaredLogarithmicError();
  m.update(Y_PRED, Y_TRUE, 4, 5, false);
  close(m.result(), 0.24022, 1e-5, 'unweighted');
  m.reset();
  m.update(Y_PRED, Y_TRUE, 4, 5, false, W4);
  close(m.result(), 0.26082, 1e-5, 'weighted');
  // float64: 10 elements differ, each by log(2) − log(1 + ε)
  const d = Math.log(2) - Math.log1p(Math.fround(1e-7));
  m.reset();
  m.update(Y_PRED, Y_TRUE, 4, 5, false);
  rel(m.result(), (10 * d * d) / 20, 1e-14, 'float64 reference');
});

test('RootMeanSquaredError: Keras test_unweighted √6, test_weighted √13; the root of the streamed mean', () => {
  const m = metrics.rootMeanSquaredError();
  m.update(f32(1, 3, 2), f32(2, 4, 6), 3, 1, false);
  rel(m.result(), Math.sqrt(6), 1e-15, 'unweighted');
  m.reset();
  m.update(f32(1, 3, 2, 3), f32(2, 4, 6, 8), 4, 1, false, f32(0, 1, 0, 1));
  rel(m.result(), Math.sqrt(13), 1e-15, 'weighted');
  // two batches: √((1 + 1 + 16 + 25) / 4), not the mean of the two roots
  m.reset();
  m.update(f32(1, 3), f32(2, 4), 2, 1, false);
  m.update(f32(2, 3), f32(6, 8), 2, 1, false);
  rel(m.result(), Math.sqrt(43 / 4), 1e-15, 'streamed');
  assert.equal(m.name, 'root_mean_squared_error');
});

test('LogCoshError and CosineSimilarity: Keras test_unweighted / test_weighted (float64 references)', () => {
  const yt = f32(1, 9, 2, -5, -2, 6);
  const yp = f32(4, 8, 12, 8, 1, 3);
  const lc = (x: number): number => Math.log((Math.exp(x) + Math.exp(-x)) / 2);
  const per = Array.from(yp, (p, i) => lc(p - yt[i]!));
  const m = metrics.logCoshError();
  m.update(yp, yt, 2, 3, false);
  rel(m.result(), per.reduce((a, b) => a + b) / 6, 1e-14, 'logcosh unweighted');
  m.reset();
  m.update(yp, yt, 2, 3, false, f32(1.2, 3.4));
  const w = [1.2, 1.2, 1.2, 3.4, 3.4, 3.4].map(Math.fround);
  rel(m.result(), per.reduce((a, v, i) => a + v * w[i]!, 0) / w.reduce((a, b) => a + b), 1e-14, 'logcosh weighted');
  assert.equal(m.name, 'logcosh', 'Keras LogCoshError logs as logcosh');
  // no overflow far out: log cosh 1000 = 1000 − log 2
  const far = metrics.logCoshError();
  far.update(f32(1000), f32(0), 1, 1, false);
  rel(far.result(), 1000 - Math.LN2, 1e-15, 'large error');

  const cos = (r: number): number => {
    let pt = 0;
    let pp = 0;
    let tt = 0;
    for (let j = 0; j < 3; j++) {
      pt += yp[r * 3 + j]! * yt[r * 3 + j]!;
      pp += yp[r * 3 + j]! ** 2;
      tt += yt[r * 3 + j]! ** 2;
    }
    return pt / Math.sqrt(pp * tt);
  };
  const c = metrics.cosineSimilarity();
  c.update(yp, yt, 2, 3, false);
  rel(c.result(), (cos(0) + cos(1)) / 2, 1e-14, 'cosine unweighted');
  c.reset();
  c.update(yp, yt, 2, 3, false, f32(1.2, 3.4));
  rel(c.result(), (cos(0) * w[0]! + cos(1) * w[3]!) / (w[0]! + w[3]!), 1e-14, 'cosine weighted');
  // keras.losses.cosine_similarity docstring: y_true [[0, 1], [1, 1], [1, 1]], y_pred [[1, 0], [1, 1], [-1, -1]]
  // → loss [-0, -0.99999994, 0.99999994], cosines [0, 1, −1]
  const d = metrics.cosineSimilarity();
  d.update(f32(1, 0), f32(0, 1), 1, 2, false);
  assert.equal(d.result(), 0, 'orthogonal rows');
  d.update(f32(1, 1), f32(1, 1), 1, 2, false);
  close(d.result(), 1 / 2, 1e-15, 'then an equal pair');
  d.update(f32(-1, -1), f32(1, 1), 1, 2, false);
  close(d.result(), 0, 1e-15, 'then opposite rows');
  // a zero row has cosine 0, not NaN (the norm is clamped)
  const z = metrics.cosineSimilarity();
  z.update(f32(0, 0), f32(1, 2), 1, 2, false);
  assert.equal(z.result(), 0);
  // tfjs 'cosine' / cosineProximity: the negative
  const prox = resolveMetric('cosine', { predWidth: 3, sparseTargets: false });
  assert.ok(prox instanceof CosineProximity);
  prox.update(yp, yt, 2, 3, false);
  rel(prox.result(), -(cos(0) + cos(1)) / 2, 1e-14, 'tfjs cosine');
  assert.equal(prox.name, 'cosine');
  assert.throws(() => metrics.cosineSimilarity({ axis: 1 }), /axis 1 is not supported/);
  assert.doesNotThrow(() => metrics.cosineSimilarity({ axis: -1 }));
});

// ---------- R2Score ----------

const R2_TRUE = f32(0, 0, 1, 0, 1, 0, 1, 0, 0);

test('R2Score: Keras test_r2_sklearn_comparison', () => {
  const yp = f32(0.4, 0.5, 0.6, 0.1, 0.2, 0.3, 0.5, 0.8, 0.2);
  const cases: [null | 'uniform_average' | 'variance_weighted_average', number, number[]][] = [
    [null, 0, [0.37, -1.295, 0.565]],
    [null, 1, [-0.26, -3.59, 0.13]],
    ['uniform_average', 0, [-0.12]],
    ['variance_weighted_average', 0, [-0.12]],
  ];
  for (const [classAggregation, numRegressors, want] of cases) {
    const m = metrics.r2Score({ classAggregation, numRegressors });
    m.update(yp, R2_TRUE, 3, 3, false);
    const got = m.results();
    assert.equal(got.length, want.length);
    got.forEach((g, i) => close(g, want[i]!, 1e-6, `${classAggregation}, p ${numRegressors} [${i}]`));
  }
});

test('R2Score: Keras test_r2_tfa_comparison (sample weights; p = 2 = n − 1 falls back to the plain R², with one warning)', (t) => {
  const warn = t.mock.method(console, 'warn', () => {});
  const yp = f32(0.4, 0.9, 1.6, 0.1, 1.2, 0.6, 1.5, 0.8, 0.6);
  const sw = f32(0.8, 0.1, 0.4);
  const cases: [null | 'uniform_average' | 'variance_weighted_average', number, number[]][] = [
    [null, 0, [0.17305559, -8.836666, -0.521]],
    [null, 1, [-0.65388882, -18.673332, -2.042]],
    [null, 2, [0.17305559, -8.836666, -0.521]],
    ['uniform_average', 0, [-3.0615367889404297]],
    ['uniform_average', 1, [-7.123073577880859]],
    ['uniform_average', 2, [-3.0615367889404297]],
    ['variance_weighted_average', 0, [-1.3710224628448486]],
    ['variance_weighted_average', 1, [-3.742044448852539]],
    ['variance_weighted_average', 2, [-1.3710224628448486]],
  ];
  for (const [classAggregation, numRegressors, want] of cases) {
    const m = metrics.r2Score({ classAggregation, numRegressors });
    m.update(yp, R2_TRUE, 3, 3, false, sw);
    const got = m.results();
    // Keras's float32 variables: its numbers carry ~1e-6 relative error (−18.673332)
    got.forEach((g, i) => close(g, want[i]!, 1e-6 + 2e-6 * Math.abs(want[i]!), `${classAggregation}, p ${numRegressors} [${i}]`));
    m.results();
  }
  assert.equal(warn.mock.callCount(), 3, 'one warning per metric that falls back, however often it is read');
  assert.match(String(warn.mock.calls[0]!.arguments[0]), /numRegressors 2 equals the 3 samples − 1/);
});

test('R2Score: float64 reference over uneven batches with weights and zero-weight NaN rows; edge cases', () => {
  const rng = new Rng(11);
  const rows = 23;
  const cols = 2;
  const yt = Float32Array.from({ length: rows * cols }, () => rng.normal());
  const yp = Float32Array.from(yt, (v) => v + 0.5 * rng.normal());
  const w = Float32Array.from({ length: rows }, (_, i) => (i % 5 === 0 ? 0 : rng.uniform() * 2));
  // a float64 two-pass reference: Σw(y − ȳ)² with ȳ the weighted mean
  const ref: number[] = [];
  const variance: number[] = [];
  for (let j = 0; j < cols; j++) {
    let sw = 0;
    let sy = 0;
    for (let r = 0; r < rows; r++) {
      sw += w[r]!;
      sy += w[r]! * yt[r * cols + j]!;
    }
    const mean = sy / sw;
    let ss = 0;
    let res = 0;
    for (let r = 0; r < rows; r++) {
      ss += w[r]! * (yt[r * cols + j]! - mean) ** 2;
      res += w[r]! * (yt[r * cols + j]! - yp[r * cols + j]!) ** 2;
    }
    ref.push(1 - res / ss);
    variance.push(ss);
  }
  const pNaN = yp.slice();
  for (let r = 0; r < rows; r++) if (w[r] === 0) pNaN.fill(Number.NaN, r * cols, r * cols + cols);
  const perColumn = metrics.r2Score({ classAggregation: null });
  const weighted = metrics.r2Score({ classAggregation: 'variance_weighted_average', numRegressors: 3 });
  for (const [a, b] of [[0, 7], [7, 8], [8, 23]] as const) {
    for (const m of [perColumn, weighted]) m.update(pNaN.subarray(a * cols, b * cols), yt.subarray(a * cols, b * cols), b - a, cols, false, w.subarray(a, b));
  }
  perColumn.results().forEach((g, j) => rel(g, ref[j]!, 1e-12, `column ${j}`));
  const vw = (ref[0]! * variance[0]! + ref[1]! * variance[1]!) / (variance[0]! + variance[1]!);
  const n = rows - Math.ceil(rows / 5); // rows of nonzero weight
  rel(weighted.result(), 1 - ((1 - vw) * (n - 1)) / (n - 3 - 1), 1e-12, 'variance weighted, adjusted (p 3)');
  // nothing seen: 0; reset forgets everything
  const fresh = metrics.r2Score();
  assert.equal(fresh.result(), 0);
  weighted.reset();
  assert.equal(weighted.result(), 0);
  // constant targets: Keras maps −∞ to 0, and 0/0 stays NaN
  const constant = metrics.r2Score();
  constant.update(f32(1, 2), f32(1, 1), 2, 1, false);
  assert.equal(constant.result(), 0, '−∞ → 0');
  const exact = metrics.r2Score();
  exact.update(f32(1, 1), f32(1, 1), 2, 1, false);
  assert.ok(Number.isNaN(exact.result()), 'constant targets predicted exactly: NaN, as Keras');
});

test('R2Score: options and shapes are checked (Keras test_errors), classAggregation null refused in compile', () => {
  assert.throws(() => metrics.r2Score({ classAggregation: 'wrong' as never }), /R2Score: invalid classAggregation "wrong"/);
  assert.throws(() => metrics.r2Score({ numRegressors: -1 }), /numRegressors must be an integer ≥ 0, got -1/);
  assert.throws(() => metrics.r2Score({ numRegressors: 1.5 }), /numRegressors/);
  assert.throws(() => metrics.r2Score({ multioutput: 'raw_values' } as object), /unknown option 'multioutput'; supported options: name, classAggregation, numRegressors/);
  assert.throws(() => resolveMetric(metrics.r2Score({ classAggregation: null }), { predWidth: 3, sparseTargets: false }), /classAggregation null gives one score per output column/);
  assert.doesNotThrow(() => resolveMetric(metrics.r2Score({ classAggregation: null }), { predWidth: 1, sparseTargets: false }));
  const m = metrics.r2Score({ classAggregation: null });
  m.update(f32(1, 2, 3, 4), f32(1, 2, 2, 5), 2, 2, false);
  assert.throws(() => m.result(), /read results\(\)/);
  assert.throws(() => m.update(f32(1, 2, 3), f32(1, 2, 3), 1, 3, false), /built for 2 output columns, got 3/);
  assert.throws(() => resolveMetric('r2_score', { predWidth: 3, sparseTargets: true }), /class indices/);
});

// ---------- loss-function metrics (crossentropies, KL, Poisson, hinges) ----------

test('crossentropy metrics: Keras probabilistic_metrics_test numbers (unweighted, weighted, logits, label smoothing)', () => {
  const run = (m: Metric, p: Float32Array, t: Float32Array, rows: number, cols: number, sparse: boolean, w?: Float32Array): number => {
    m.update(p, t, rows, cols, sparse, w ?? null);
    return m.result();
  };
  // BinaryCrossentropyTest
  const bt = f32(1, 0, 1, 0);
  const bp = f32(1, 1, 1, 0);
  close(run(metrics.binaryCrossentropy(), bp, bt, 2, 2, false), 3.9855, 1e-3, 'bce test_unweighted');
  close(run(metrics.binaryCrossentropy(), bp, bt, 2, 2, false, f32(1.5, 2)), 3.4162, 1e-3, 'bce test_weighted');
  const blt = f32(1, 0, 1, 0, 1, 1);
  const blp = f32(10, -10, 10, 10, 10, -10);
  close(run(metrics.binaryCrossentropy({ fromLogits: true }), blp, blt, 2, 3, false), 3.333, 1e-3, 'bce test_unweighted_with_logits');
  close(run(metrics.binaryCrossentropy({ fromLogits: true }), blp, blt, 2, 3, false, f32(2, 2.5)), 3.7037, 1e-3, 'bce test_weighted_from_logits');
  close(run(metrics.binaryCrossentropy({ fromLogits: true, labelSmoothing: 0.1 }), f32(10, -10, -10), f32(1, 0, 1), 1, 3, false), (10 + 5 * 0.1) / 3, 1e-3, 'bce test_label_smoothing');
  // CategoricalCrossentropyTest and SparseCategoricalCrossentropyTest
  const ct = f32(0, 1, 0, 0, 0, 1);
  const labels = f32(1, 2);
  const cp = f32(0.05, 0.95, 0, 0.1, 0.8, 0.1);
  const logits = f32(1, 9, 0, 1, 8, 1);
  close(run(metrics.categoricalCrossentropy(), cp, ct, 2, 3, false), 1.176, 1e-3, 'cce test_unweighted');
  close(run(metrics.categoricalCrossentropy({ fromLogits: true }), logits, ct, 2, 3, false), 3.5011, 1e-3, 'cce test_unweighted_from_logits');
  close(run(metrics.categoricalCrossentropy(), cp, ct, 2, 3, false, f32(1.5, 2)), 1.338, 1e-3, 'cce test_weighted');
  close(run(metrics.categoricalCrossentropy({ fromLogits: true }), logits, ct, 2, 3, false, f32(1.5, 2)), 4.0012, 1e-3, 'cce test_weighted_from_logits');
  close(run(metrics.categoricalCrossentropy({ fromLogits: true, labelSmoothing: 0.1 }), logits, ct, 2, 3, false), 3.667, 1e-3, 'cce test_label_smoothing');
  close(run(metrics.sparseCategoricalCrossentropy(), cp, labels, 2, 3, true), 1.176, 1e-3, 'scce test_unweighted');
  close(run(metrics.sparseCategoricalCrossentropy({ fromLogits: true }), logits, labels, 2, 3, true), 3.5011, 1e-3, 'scce test_unweighted_from_logits');
  close(run(metrics.sparseCategoricalCrossentropy(), cp, labels, 2, 3, true, f32(1.5, 2)), 1.338, 1e-3, 'scce test_weighted');
  close(run(metrics.sparseCategoricalCrossentropy({ fromLogits: true }), logits, labels, 2, 3, true, f32(1.5, 2)), 4.0012, 1e-3, 'scce test_weighted_from_logits');
  // ignore_class: Keras counts the ignored row without weights (÷3) and not with them
  const ip = f32(0.8, 0.1, 0.1, 0.05, 0.95, 0, 0.1, 0.8, 0.1);
  const il = f32(0, 1, 2);
  close(run(metrics.sparseCategoricalCrossentropy({ ignoreClass: 0 }), ip, il, 3, 3, true), 0.78462, 1e-3, 'scce test_ignore_class');
  close(run(metrics.sparseCategoricalCrossentropy({ ignoreClass: 0 }), ip, il, 3, 3, true, f32(0.5, 1.5, 2)), 1.33774646, 1e-3, 'scce test_ignore_class_weighted');
  close(run(metrics.sparseCategoricalCrossentropy({ fromLogits: true, ignoreClass: 0 }), f32(10, 1, 1, 1, 9, 0, 1, 8, 1), il, 3, 3, true), 2.33409, 1e-3, 'scce test_ignore_class_from_logits');
});

test('KLDivergence, Poisson, Hinge, SquaredHinge, CategoricalHinge metrics: Keras test numbers', () => {
  const kp = f32(0.4, 0.9, 0.12, 0.36, 0.3, 0.4);
  const kt = f32(0.5, 0.8, 0.12, 0.7, 0.43, 0.8);
  const kl = (r: number): number => [0, 1, 2].reduce((s, j) => s + kt[r * 3 + j]! * Math.log(kt[r * 3 + j]! / kp[r * 3 + j]!), 0);
  const k = metrics.klDivergence();
  k.update(kp, kt, 2, 3, false);
  close(k.result(), (kl(0) + kl(1)) / 2, 1e-3, 'KLDivergenceTest.test_unweighted');
  k.reset();
  k.update(kp, kt, 2, 3, false, f32(1.2, 3.4));
  close(k.result(), (1.2 * kl(0) + 3.4 * kl(1)) / 4.6, 1e-3, 'KLDivergenceTest.test_weighted');
  const pp = f32(1, 9, 2, 5, 2, 6);
  const pt = f32(4, 8, 12, 8, 1, 3);
  const pv = Array.from(pp, (p, i) => p - pt[i]! * Math.log(p));
  const po = metrics.poisson();
  po.update(pp, pt, 2, 3, false);
  close(po.result(), pv.reduce((a, b) => a + b) / 6, 1e-3, 'PoissonTest.test_unweighted');
  po.reset();
  po.update(pp, pt, 2, 3, false, f32(1.2, 3.4));
  close(po.result(), (1.2 * (pv[0]! + pv[1]! + pv[2]!) + 3.4 * (pv[3]! + pv[4]! + pv[5]!)) / (3 * 4.6), 1e-3, 'PoissonTest.test_weighted');
  const hp = f32(-0.3, 0.2, -0.1, 1.6, -0.25, -1.0, 0.5, 0.6);
  const h = metrics.hinge();
  h.update(hp, f32(0, 1, 0, 1, 0, 0, 1, 1), 2, 4, false);
  close(h.result(), 0.506, 1e-3, 'HingeTest.test_unweighted');
  h.reset();
  h.update(hp, f32(-1, 1, -1, 1, -1, -1, 1, 1), 2, 4, false, f32(1.5, 2));
  close(h.result(), 0.493, 1e-3, 'HingeTest.test_weighted');
  const sh = metrics.squaredHinge();
  sh.update(hp, f32(0, 1, 0, 1, 0, 0, 1, 1), 2, 4, false);
  close(sh.result(), 0.364, 1e-3, 'SquaredHingeTest.test_unweighted');
  sh.reset();
  sh.update(hp, f32(-1, 1, -1, 1, -1, -1, 1, 1), 2, 4, false, f32(1.5, 2));
  close(sh.result(), 0.347, 1e-3, 'SquaredHingeTest.test_weighted');
  const ch = metrics.categoricalHinge();
  ch.update(Y_PRED, Y_TRUE, 4, 5, false);
  close(ch.result(), 0.5, 1e-5, 'CategoricalHingeTest.test_unweighted');
  ch.reset();
  ch.update(Y_PRED, Y_TRUE, 4, 5, false, W4);
  close(ch.result(), 0.5, 1e-5, 'CategoricalHingeTest.test_weighted');
});

test('loss-function metrics: names, log keys, target kinds and options refused by name', () => {
  const dense = { predWidth: 3, sparseTargets: false };
  for (const [name, className] of [
    ['binary_crossentropy', 'BinaryCrossentropy'],
    ['binaryCrossentropy', 'BinaryCrossentropy'],
    ['bce', 'BinaryCrossentropy'],
    ['BCE', 'BinaryCrossentropy'],
    ['categorical_crossentropy', 'CategoricalCrossentropy'],
    ['categoricalCrossentropy', 'CategoricalCrossentropy'],
    ['kl_divergence', 'KLDivergence'],
    ['KLDivergence', 'KLDivergence'],
    ['poisson', 'Poisson'],
    ['hinge', 'Hinge'],
    ['squared_hinge', 'SquaredHinge'],
    ['categorical_hinge', 'CategoricalHinge'],
  ] as const) {
    const m = resolveMetric(name, dense);
    assert.equal(m.className, className, name);
    assert.equal(m.name, name);
  }
  assert.equal(resolveMetric('sparse_categorical_crossentropy', { predWidth: 3, sparseTargets: true }).className, 'SparseCategoricalCrossentropy');
  assert.equal(resolveMetric('sparseCategoricalCrossentropy', { predWidth: 3, sparseTargets: true }).name, 'sparseCategoricalCrossentropy');
  assert.equal(metrics.sparseCategoricalCrossentropy().name, 'sparse_categorical_crossentropy');
  assert.throws(() => resolveMetric('sparse_categorical_crossentropy', dense), /integer class-index targets/);
  assert.throws(() => resolveMetric('categorical_crossentropy', { predWidth: 3, sparseTargets: true }), /class indices/);
  assert.throws(() => metrics.binaryCrossentropy({ axis: -1 } as object), /BinaryCrossentropy: unknown option 'axis'; supported options: name, fromLogits, labelSmoothing/);
  assert.throws(() => metrics.hinge({ fromLogits: true } as object), /Hinge: unknown option 'fromLogits'; supported options: name/);
  assert.throws(() => metrics.binaryCrossentropy({ labelSmoothing: 2 }), /labelSmoothing/);
  assert.throws(() => metrics.categoricalCrossentropy({ axis: 0 }), /axis/);
  assert.doesNotThrow(() => metrics.categoricalCrossentropy({ axis: -1 }));
  assert.deepEqual(metrics.binaryCrossentropy({ fromLogits: true, labelSmoothing: 0.2, name: 'bce' }).getConfig(), { name: 'bce', fromLogits: true, labelSmoothing: 0.2 });
});

// ---------- tfjs-layers parity ----------

test('tfjs-layers parity: MSE, MAPE, cosineProximity, binary and categorical cross-entropy', async () => {
  const { tf, tfl, initTfjs } = await import('./helpers/tfjs.js');
  await initTfjs();
  const rng = new Rng(21);
  const rows = 6;
  const cols = 3;
  const yt = Float32Array.from({ length: rows * cols }, () => rng.uniform() * 2 - 0.5);
  const yp = Float32Array.from({ length: rows * cols }, () => rng.uniform() * 2 - 0.5);
  const probs = Float32Array.from({ length: rows * cols }, () => 0.05 + 0.9 * rng.uniform());
  const onehot = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) onehot[r * cols + (r % cols)] = 1;
  const tfMean = (fn: (a: unknown, b: unknown) => unknown, t: Float32Array, p: Float32Array, shape: number[]): number => {
    const out = fn(tf.tensor(t, shape), tf.tensor(p, shape)) as Parameters<typeof tf.mean>[0];
    return tf.mean(out).dataSync()[0]!;
  };
  const ours = (m: Metric, p: Float32Array, t: Float32Array, r = rows, c = cols): number => {
    m.update(p, t, r, c, false);
    return m.result();
  };
  const M = tfl.metrics as unknown as Record<string, (a: unknown, b: unknown) => unknown>;
  // every tfjs-layers metric name (and the metricsMap aliases) is a metric name here
  for (const name of [...Object.keys(M), 'MAE', 'mae', 'cosine', 'sparseCategoricalCrossentropy']) {
    const sparse = /^sparse/.test(name);
    assert.doesNotThrow(() => resolveMetric(name, { predWidth: cols, sparseTargets: sparse }), name);
  }
  rel(ours(resolveMetric('MSE', { predWidth: cols, sparseTargets: false }), yp, yt), tfMean(M.MSE!, yt, yp, [rows, cols]), 1e-5, 'MSE');
  rel(ours(resolveMetric('MAPE', { predWidth: cols, sparseTargets: false }), yp, yt), tfMean(M.MAPE!, yt, yp, [rows, cols]), 1e-5, 'MAPE');
  rel(ours(resolveMetric('cosineProximity', { predWidth: cols, sparseTargets: false }), yp, yt), tfMean(M.cosineProximity!, yt, yp, [rows, cols]), 1e-5, 'cosineProximity');
  rel(ours(metrics.binaryCrossentropy(), probs, onehot), tfMean(M.binaryCrossentropy!, onehot, probs, [rows, cols]), 1e-5, 'binaryCrossentropy');
  rel(ours(metrics.categoricalCrossentropy(), probs, onehot), tfMean(M.categoricalCrossentropy!, onehot, probs, [rows, cols]), 1e-5, 'categoricalCrossentropy');
  // (tfjs's r2Score needs the chained tensor methods, which the CommonJS bundles used here do not register)
});

// ---------- streaming, names, configs ----------

type Make = () => Metric;
const STREAMED: [string, Make, boolean][] = [
  ['top_k', () => metrics.topKCategoricalAccuracy({ k: 2 }), false],
  ['sparse_top_k', () => metrics.sparseTopKCategoricalAccuracy({ k: 2 }), true],
  ['rmse', () => metrics.rootMeanSquaredError(), false],
  ['mape', () => metrics.meanAbsolutePercentageError(), false],
  ['msle', () => metrics.meanSquaredLogarithmicError(), false],
  ['logcosh', () => metrics.logCoshError(), false],
  ['cosine', () => metrics.cosineSimilarity(), false],
  ['r2', () => metrics.r2Score(), false],
  ['r2 variance weighted', () => metrics.r2Score({ classAggregation: 'variance_weighted_average' }), false],
  ['categorical crossentropy', () => metrics.categoricalCrossentropy({ labelSmoothing: 0.1 }), false],
  ['sparse crossentropy', () => metrics.sparseCategoricalCrossentropy({ ignoreClass: 2 }), true],
  ['kl', () => metrics.klDivergence(), false],
  ['categorical hinge', () => metrics.categoricalHinge(), false],
];

test('every new metric: three uneven weighted batches give what one pass gives; zero-weight rows leave no trace', () => {
  const rng = new Rng(5);
  const rows = 17;
  const cols = 4;
  const p = Float32Array.from({ length: rows * cols }, () => rng.uniform());
  const dense = new Float32Array(rows * cols);
  const labels = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    labels[r] = Math.floor(rng.uniform() * cols);
    dense[r * cols + labels[r]!] = 1;
  }
  const w = Float32Array.from({ length: rows }, (_, i) => (i % 4 === 1 ? 0 : 0.25 + rng.uniform()));
  for (const [label, make, sparse] of STREAMED) {
    const t = sparse ? labels : dense;
    const tw = sparse ? 1 : cols;
    const once = make();
    once.update(p, t, rows, cols, sparse, w);
    const parts = make();
    for (const [a, b] of [[0, 5], [5, 6], [6, 17]] as const) parts.update(p.subarray(a * cols, b * cols), t.subarray(a * tw, b * tw), b - a, cols, sparse, w.subarray(a, b));
    rel(parts.result(), once.result(), 1e-13, `${label}: batches = one pass`);
    // the kept rows alone, unweighted-by-zero
    const keep = [...Array(rows).keys()].filter((r) => w[r] !== 0);
    const kept = make();
    kept.update(
      Float32Array.from(keep.flatMap((r) => [...p.subarray(r * cols, r * cols + cols)])),
      Float32Array.from(keep.flatMap((r) => [...t.subarray(r * tw, r * tw + tw)])),
      keep.length, cols, sparse, Float32Array.from(keep, (r) => w[r]!),
    );
    rel(kept.result(), once.result(), 1e-13, `${label}: zero-weight rows`);
    once.reset();
    assert.equal(once.result(), 0, `${label}: reset`);
  }
});

test('names: Keras class names, snake_case and aliases, tfjs spellings; the typed name is the log key', () => {
  const dense = { predWidth: 8, sparseTargets: false };
  const cases: [string, new (...a: never[]) => Metric, boolean?][] = [
    ['top_k_categorical_accuracy', TopKCategoricalAccuracy],
    ['topKCategoricalAccuracy', TopKCategoricalAccuracy],
    ['TopKCategoricalAccuracy', TopKCategoricalAccuracy],
    ['sparse_top_k_categorical_accuracy', SparseTopKCategoricalAccuracy, true],
    ['sparseTopKCategoricalAccuracy', SparseTopKCategoricalAccuracy, true],
    ['root_mean_squared_error', RootMeanSquaredError],
    ['rootMeanSquaredError', RootMeanSquaredError],
    ['RootMeanSquaredError', RootMeanSquaredError],
    ['mean_absolute_percentage_error', MeanAbsolutePercentageError],
    ['meanAbsolutePercentageError', MeanAbsolutePercentageError],
    ['mape', MeanAbsolutePercentageError],
    ['MAPE', MeanAbsolutePercentageError],
    ['mean_squared_logarithmic_error', MeanSquaredLogarithmicError],
    ['msle', MeanSquaredLogarithmicError],
    ['MSLE', MeanSquaredLogarithmicError],
    ['logcosh', LogCoshError],
    ['log_cosh_error', LogCoshError],
    ['logCoshError', LogCoshError],
    ['cosine_similarity', CosineSimilarity],
    ['cosineSimilarity', CosineSimilarity],
    ['cosineProximity', CosineProximity],
    ['cosine', CosineProximity],
    ['r2_score', R2Score],
    ['r2Score', R2Score],
    ['R2Score', R2Score],
  ];
  for (const [name, cls, sparse] of cases) {
    const m = resolveMetric(name, sparse ? { predWidth: 8, sparseTargets: true } : dense);
    assert.ok(m instanceof cls, `${name} → ${cls.name}, got ${m.constructor.name}`);
    assert.equal(m.name, name);
  }
  assert.equal(resolveMetric('MSE', dense).className, 'MeanSquaredError');
  assert.equal(resolveMetric('MAE', dense).className, 'MeanAbsoluteError');
  assert.equal(resolveMetric('top_k_categorical_accuracy', dense).getConfig().k, 5, 'Keras default k');
  // default log keys are Keras 3's names
  assert.equal(metrics.topKCategoricalAccuracy().name, 'top_k_categorical_accuracy');
  assert.equal(metrics.sparseTopKCategoricalAccuracy().name, 'sparse_top_k_categorical_accuracy');
  assert.equal(metrics.meanSquaredLogarithmicError().name, 'mean_squared_logarithmic_error');
  assert.equal(metrics.cosineSimilarity().name, 'cosine_similarity');
  assert.equal(metrics.r2Score().name, 'r2_score');
  assert.equal(metrics.r2Score({ name: 'r2' }).name, 'r2');
});

test("Keras metrics rnnkit does not build are refused by their class and snake_case names, saying why", () => {
  for (const [name, why] of [
    ['MeanIoU', /IoU metrics are not built/],
    ['mean_io_u', /IoU metrics are not built/],
    ['binary_io_u', /IoU/],
    ['TruePositives', /confusion\(\) returns them/],
    ['true_positives', /confusion counts/],
    ['precision_at_recall', /fixed operating point/],
    ['PearsonCorrelation', /correlation metrics/],
    ['Accuracy', /exact equality/],
  ] as const) {
    assert.throws(() => resolveMetric(name, { predWidth: 3, sparseTargets: false }), (e: unknown) => e instanceof RangeError && e.message.startsWith(`metric "${name}" (Keras `) && why.test(e.message), name);
  }
  // compile checks names up front with the same message
  const m = new Sequential();
  m.add(layers.dense({ units: 2, inputShape: [3] }));
  assert.throws(() => m.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['mean_io_u'] }), /metric "mean_io_u" \(Keras MeanIoU\) is not supported: the IoU metrics are not built/);
  // 'accuracy' (lower case) is still the shape-resolved accuracy
  assert.equal(resolveMetric('accuracy', { predWidth: 1, sparseTargets: false }).className, 'BinaryAccuracy');
});

test('configs round-trip through metricFromConfig for every metric class; unknown classes and keys are refused', () => {
  const all: Metric[] = [
    metrics.binaryAccuracy({ threshold: 0.3, name: 'b' }),
    metrics.categoricalAccuracy(),
    metrics.sparseCategoricalAccuracy(),
    metrics.topKCategoricalAccuracy({ k: 3, name: 'top3' }),
    metrics.sparseTopKCategoricalAccuracy({ k: 2, fromSortedIds: true }),
    metrics.meanSquaredError(),
    metrics.meanAbsoluteError(),
    metrics.rootMeanSquaredError({ name: 'rmse' }),
    metrics.meanAbsolutePercentageError(),
    metrics.meanSquaredLogarithmicError(),
    metrics.logCoshError(),
    metrics.cosineSimilarity(),
    metrics.cosineProximity(),
    metrics.r2Score({ classAggregation: null, numRegressors: 2 }),
    metrics.r2Score({ classAggregation: 'variance_weighted_average' }),
    metrics.precision({ thresholds: [0.2, 0.6], topK: 2, classId: 1 }),
    metrics.recall({ thresholds: 0.4 }),
    metrics.auc({ numThresholds: 50, curve: 'PR', multiLabel: true, numLabels: 3 }),
    metrics.f1Score({ average: 'macro', threshold: 0.4 }),
    metrics.fbetaScore({ beta: 2, average: 'weighted' }),
    metrics.binaryCrossentropy({ fromLogits: true, labelSmoothing: 0.1 }),
    metrics.categoricalCrossentropy({ labelSmoothing: 0.2, name: 'cce' }),
    metrics.sparseCategoricalCrossentropy({ fromLogits: true, ignoreClass: 3 }),
    metrics.klDivergence(),
    metrics.poisson(),
    metrics.hinge(),
    metrics.squaredHinge(),
    metrics.categoricalHinge(),
  ];
  for (const m of all) {
    const s = serializeMetric(m);
    const json = JSON.parse(JSON.stringify(s)) as typeof s;
    const back = metricFromConfig(json.className, json.config);
    assert.equal(back.className, m.className);
    assert.equal(back.constructor, m.constructor);
    assert.deepEqual(back.getConfig(), m.getConfig(), m.className);
  }
  assert.equal((metricFromConfig('R2Score', { classAggregation: null }) as R2Score).classAggregation, null);
  assert.throws(() => metricFromConfig('IoU', {}), /unknown metric class "IoU"; supported: BinaryAccuracy, /);
  assert.throws(() => metricFromConfig('TopKCategoricalAccuracy', { k: 2, dtype: 'float32' }), /unknown option 'dtype'/);
  assert.throws(() => metricFromConfig('R2Score', [] as never), /a metric config must be an object/);
});

test("monitor mode 'auto' knows the new names' directions (Keras _direction)", () => {
  for (const k of ['root_mean_squared_error', 'val_rootMeanSquaredError', 'mape', 'MAPE', 'mean_absolute_percentage_error', 'msle', 'val_mean_squared_logarithmic_error', 'logcosh', 'log_cosh_error', 'cosine', 'cosineProximity', 'MSE', 'bce', 'val_binary_crossentropy', 'sparseCategoricalCrossentropy', 'kl_divergence', 'poisson', 'squared_hinge', 'categoricalHinge']) {
    assert.equal(metricDirection(k), 'min', k);
  }
  for (const k of ['r2_score', 'val_r2Score', 'cosine_similarity', 'top_k_categorical_accuracy', 'val_sparse_top_k_categorical_accuracy']) assert.equal(metricDirection(k), 'max', k);
});

// ---------- a compiled model ----------

test("compile with the new names: evaluate's logs equal the metrics over predict's outputs", async () => {
  const rng = new Rng(9);
  const n = 37;
  const x = Float32Array.from({ length: n * 3 }, () => rng.uniform() * 2 - 1);
  const labels = Float32Array.from({ length: n }, () => Math.floor(rng.uniform() * 7));
  const model = new Sequential();
  model.add(layers.dense({ units: 7, activation: 'softmax', inputShape: [3], seed: 3 }));
  model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['sparse_top_k_categorical_accuracy', metrics.sparseTopKCategoricalAccuracy({ k: 2, name: 'top2' })] });
  const xs = tensor(x, [n, 3]);
  const ys = tensor(labels, [n]);
  assert.deepEqual(model.metricsNames, ['loss', 'sparse_top_k_categorical_accuracy', 'top2']);
  const [, top5, top2] = model.evaluate(xs, ys, { batchSize: 8, verbose: 0 });
  const pred = model.predict(xs).data;
  for (const [k, got] of [[5, top5], [2, top2]] as const) {
    let hits = 0;
    for (let r = 0; r < n; r++) {
      const t = pred[r * 7 + labels[r]!]!;
      let greater = 0;
      for (let j = 0; j < 7; j++) if (pred[r * 7 + j]! > t) greater++;
      if (greater < k) hits++;
    }
    close(got!, hits / n, 1e-15, `top ${k}`);
  }

  const reg = new Sequential();
  reg.add(layers.dense({ units: 2, inputShape: [3], seed: 4 }));
  reg.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['root_mean_squared_error', 'mape', 'msle', 'logcosh', 'cosine_similarity', 'r2_score'] });
  const yr = tensor(Float32Array.from({ length: n * 2 }, (_, i) => x[i % (n * 3)]! + 0.1 * rng.normal()), [n, 2]);
  const logs = reg.evaluate(xs, yr, { batchSize: 10, verbose: 0 });
  assert.deepEqual(reg.metricsNames, ['loss', 'root_mean_squared_error', 'mape', 'msle', 'logcosh', 'cosine_similarity', 'r2_score']);
  const out = reg.predict(xs).data;
  const direct = [metrics.rootMeanSquaredError(), metrics.meanAbsolutePercentageError(), metrics.meanSquaredLogarithmicError(), metrics.logCoshError(), metrics.cosineSimilarity(), metrics.r2Score()];
  direct.forEach((m, i) => {
    m.update(out, yr.data, n, 2, false);
    rel(logs[i + 1]!, m.result(), 1e-12, m.className);
  });
  // fit logs them under their names, and val_ ones
  const history = await reg.fit(xs, yr, { epochs: 1, batchSize: 16, verbose: 0, validationData: [xs, yr] });
  for (const k of ['root_mean_squared_error', 'r2_score', 'val_r2_score', 'val_mape']) assert.equal(history.history[k]?.length, 1, k);
});

test('masked timesteps (Embedding maskZero): the new metrics average over the kept steps; sample weights do not reach compile metrics (Keras metrics vs weighted_metrics)', () => {
  const B = 3;
  const T = 4;
  const K = 4;
  const m = new Sequential();
  m.add(layers.embedding({ inputDim: 6, outputDim: 3, maskZero: true, inputShape: [T], seed: 1 }));
  m.add(layers.simpleRNN({ units: 4, returnSequences: true, seed: 2 }));
  m.add(layers.dense({ units: K, activation: 'softmax', seed: 3 }));
  m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: [metrics.sparseTopKCategoricalAccuracy({ k: 2 }), 'sparse_categorical_crossentropy'] });
  const x = tensor(f32(1, 2, 3, 0, 4, 5, 0, 0, 2, 2, 5, 1), [B, T]);
  const labels = f32(0, 3, 2, 1, 2, 1, 0, 0, 3, 1, 0, 2);
  const y = tensor(labels, [B, T]);
  const sw = [0.5, 2, 1];
  const [, top2, ce] = m.evaluate(x, y, { verbose: 0, sampleWeight: sw });
  const probs = m.predict(x).data;
  const kept = Array.from({ length: B * T }, (_, i) => i).filter((i) => x.data[i] !== 0);
  const w = (_i: number): number => 1; // Keras passes sample_weight to weighted_metrics only
  const wsum = kept.reduce((a, i) => a + w(i), 0);
  let hits = 0;
  let ceSum = 0;
  for (const i of kept) {
    const t = probs[i * K + labels[i]!]!;
    let greater = 0;
    for (let j = 0; j < K; j++) if (probs[i * K + j]! > t) greater++;
    if (greater < 2) hits += w(i);
    ceSum += w(i) * -Math.log(t);
  }
  close(top2!, hits / wsum, 1e-7, 'top-2 over kept steps');
  close(ce!, ceSum / wsum, 1e-5, 'cross-entropy over kept steps');
  // a regression metric cannot read class indices: refused at compile, not computed on them
  assert.throws(() => m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['r2_score'] }), /'r2_score' \(R2Score\) needs targets of shape \[\*, 4\]/);
});

test('a saved training config rebuilds every compiled metric: names where a name rebuilds it, {class_name, config} otherwise', async (t) => {
  t.after(removeTempDirs);
  const model = new Sequential();
  model.add(layers.dense({ units: 4, activation: 'softmax', inputShape: [3], seed: 2 }));
  model.compile({
    optimizer: 'sgd',
    loss: 'categoricalCrossentropy',
    metrics: [
      'accuracy',
      metrics.topKCategoricalAccuracy({ k: 2, name: 'top2' }),
      metrics.precision(),
      metrics.r2Score({ classAggregation: 'variance_weighted_average' }),
      metrics.categoricalCrossentropy({ labelSmoothing: 0.1 }),
      'mape',
    ],
  });
  const rng = new Rng(4);
  const x = tensor(Float32Array.from({ length: 30 }, () => rng.normal()), [10, 3]);
  const y = tensor(Float32Array.from({ length: 40 }, (_, i) => (i % 4 === Math.floor(i / 4) % 4 ? 1 : 0)), [10, 4]);
  const dir = await tempDir('metrics');
  await model.save(dir, { includeOptimizer: true });
  const json = JSON.parse(await (await import('node:fs/promises')).readFile(`${dir}/model.json`, 'utf8')) as { trainingConfig: { rnnkit: { metrics: unknown[] } } };
  assert.deepEqual(json.trainingConfig.rnnkit.metrics, [
    'accuracy',
    { class_name: 'TopKCategoricalAccuracy', config: { name: 'top2', k: 2 } },
    'precision',
    { class_name: 'R2Score', config: { name: 'r2_score', classAggregation: 'variance_weighted_average', numRegressors: 0 } },
    { class_name: 'CategoricalCrossentropy', config: { name: 'categorical_crossentropy', labelSmoothing: 0.1 } },
    'mape',
  ]);
  const loaded = await loadModel(dir);
  assert.deepEqual(loaded.metricsNames, model.metricsNames);
  assert.deepEqual(loaded.evaluate(x, y, { batchSize: 4, verbose: 0 }), model.evaluate(x, y, { batchSize: 4, verbose: 0 }));
  // a refused or malformed metric object in a file is an error naming it
  const bad = (await import('../src/metrics/index.js')).checkMetricId;
  assert.throws(() => bad({ class_name: 'TopKCategoricalAccuracy', config: { k: 0 } }), /k must be a positive integer/);
  assert.throws(() => bad({ class_name: 'MeanIoU', config: {} }), /unknown metric class "MeanIoU"/);
});

test('updates allocate nothing, weighted or not', async () => {
  const ROUNDS = 2000;
  const SLACK = 8192;
  const rows = 6;
  const cols = 4;
  const p = new Float32Array(rows * cols).map((_, i) => ((i * 7) % 10) / 10);
  const dense = new Float32Array(rows * cols).map((_, i) => (i % cols === i % 3 ? 1 : 0));
  const labels = new Float32Array(rows).map((_, i) => i % cols);
  const w = f32(0.5, 0, 2, 1, 0.25, 3);
  for (const [label, make, sparse] of STREAMED) {
    const m = make();
    const t = sparse ? labels : dense;
    const run = (): void => {
      for (let i = 0; i < ROUNDS; i++) {
        m.update(p, t, rows, cols, sparse, null);
        m.update(p, t, rows, cols, sparse, w);
      }
    };
    run(); // R2Score allocates its sums on the first update
    const least = await youngGrowth(run, SLACK);
    assert.ok(least <= SLACK, `${label}: young generation grew by ${least} bytes over ${ROUNDS} rounds`);
  }
});
