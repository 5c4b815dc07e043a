/**
 * Classification metrics: Precision, Recall, AUC, F1Score / FBetaScore against Keras's
 * docstring examples and unit-test numbers, hand-computed confusion counts (threshold,
 * classId, topK, weights), streaming over batches (several batches = one batch), Keras's
 * bucketed counting (clipping, epsilon-padded thresholds), vector results and their
 * refusal in compile; the exact helpers (confusionMatrix, classificationReport, rocAuc,
 * prAuc) against scikit-learn's numbers and the bucketed AUC; a compiled model's
 * evaluate logs against its predictions.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { youngGrowth } from './helpers/allocation.js';
import { Rng } from '../src/core/rng.js';
import { Sequential, layers, tensor, callbacks, metrics as rootMetrics, confusionMatrix as rootConfusionMatrix } from '../src/index.js';
import { metricDirection } from '../src/models/callbacks.js';
import {
  AUC,
  F1Score,
  FBetaScore,
  Metric,
  Precision,
  Recall,
  classificationReport,
  confusionMatrix,
  formatClassificationReport,
  metrics,
  prAuc,
  resolveMetric,
  rocAuc,
} from '../src/metrics/index.js';

const f32 = (...v: number[]): Float32Array => new Float32Array(v);

function close(got: number, want: number, tol: number, what: string): void {
  assert.ok(Math.abs(got - want) <= tol, `${what}: got ${got}, want ${want} (±${tol})`);
}

function closeAll(got: readonly number[], want: readonly number[], tol: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  got.forEach((g, i) => close(g, want[i]!, tol, `${what}[${i}]`));
}

const dense1 = { predWidth: 1, sparseTargets: false };

// ---------- Keras docstring examples ----------

test('Precision / Recall: the Keras docstring examples', () => {
  const p = metrics.precision();
  p.update(f32(1, 0, 1, 1), f32(0, 1, 1, 1), 4, 1, false);
  close(p.result(), 0.6666667, 1e-7, 'precision');
  p.reset();
  p.update(f32(1, 0, 1, 1), f32(0, 1, 1, 1), 4, 1, false, f32(0, 0, 1, 0));
  assert.equal(p.result(), 1);
  // top_k over one row of four (Keras's 1-D input is one row)
  const top2 = metrics.precision({ topK: 2 });
  top2.update(f32(1, 1, 1, 1), f32(0, 0, 1, 1), 1, 4, false);
  assert.equal(top2.result(), 0, 'ties: the lower columns are the top 2');
  const top4 = metrics.precision({ topK: 4 });
  top4.update(f32(1, 1, 1, 1), f32(0, 0, 1, 1), 1, 4, false);
  assert.equal(top4.result(), 0.5);

  const r = metrics.recall();
  r.update(f32(1, 0, 1, 1), f32(0, 1, 1, 1), 4, 1, false);
  close(r.result(), 0.6666667, 1e-7, 'recall');
  r.reset();
  r.update(f32(1, 0, 1, 1), f32(0, 1, 1, 1), 4, 1, false, f32(0, 0, 1, 0));
  assert.equal(r.result(), 1);
});

test('AUC: the Keras docstring example and its counts', () => {
  const m = metrics.auc({ numThresholds: 3 });
  m.update(f32(0, 0.5, 0.3, 0.9), f32(0, 0, 1, 1), 4, 1, false);
  // threshold values are [0 - 1e-7, 0.5, 1 + 1e-7]
  assert.deepEqual(m.thresholds, [-1e-7, 0.5, 1 + 1e-7]);
  assert.deepEqual(m.confusion(), [{ tp: [2, 1, 0], fp: [2, 0, 0], tn: [0, 2, 2], fn: [0, 1, 2] }]);
  assert.equal(m.result(), 0.75);
  m.reset();
  m.update(f32(0, 0.5, 0.3, 0.9), f32(0, 0, 1, 1), 4, 1, false, f32(1, 0, 0, 1));
  assert.equal(m.result(), 1);
});

test('F1Score / FBetaScore: the Keras docstring examples (per-class vectors)', () => {
  const yTrue = f32(1, 1, 1, 1, 0, 0, 1, 1, 0);
  const yPred = f32(0.2, 0.6, 0.7, 0.2, 0.6, 0.6, 0.6, 0.8, 0.0);
  const f1 = metrics.f1Score({ threshold: 0.5 });
  f1.update(yPred, yTrue, 3, 3, false);
  closeAll(f1.results(), [0.5, 0.8, 0.6666667], 1e-6, 'F1Score');
  const fb = metrics.fbetaScore({ beta: 2, threshold: 0.5 });
  fb.update(yPred, yTrue, 3, 3, false);
  closeAll(fb.results(), [0.3846154, 0.90909094, 0.8333334], 1e-6, 'FBetaScore');
  assert.throws(() => f1.result(), (e: unknown) => e instanceof RangeError && /one score per class.*results\(\)/.test(e.message));
  assert.equal(f1.name, 'f1_score');
  assert.equal(fb.name, 'fbeta_score');
});

// ---------- Keras unit-test numbers ----------

test('Precision / Recall: Keras test cases (thresholds, top_k, class_id, division by zero)', () => {
  // test_unweighted_with_threshold: one value per threshold
  const p = metrics.precision({ thresholds: [0.5, 0.7] });
  p.update(f32(1, 0, 0.6, 0), f32(0, 1, 1, 0), 4, 1, false);
  assert.deepEqual(p.results(), [0.5, 0]);
  const r = metrics.recall({ thresholds: [0.5, 0.7] });
  r.update(f32(1, 0, 0.6, 0), f32(0, 1, 1, 0), 4, 1, false);
  assert.deepEqual(r.results(), [0.5, 0]);
  // test_div_by_zero
  const z = metrics.precision();
  z.update(f32(0, 0, 0, 0), f32(0, 0, 0, 0), 4, 1, false);
  assert.equal(z.result(), 0);
  assert.equal(metrics.recall().result(), 0, 'nothing seen');
  // test_unweighted_top_k
  const pk = metrics.precision({ topK: 3 });
  pk.update(f32(0.2, 0.1, 0.5, 0, 0.2), f32(0, 1, 1, 0, 0), 1, 5, false);
  close(pk.result(), 1 / 3, 1e-15, 'precision top 3');
  const rk = metrics.recall({ topK: 3 });
  rk.update(f32(0.2, 0.1, 0.5, 0, 0.2), f32(0, 1, 1, 0, 0), 1, 5, false);
  assert.equal(rk.result(), 0.5);
  // test_unweighted_class_id_multiclass
  const yPred = f32(0.1, 0.2, 0.7, 0.5, 0.3, 0.2, 0.2, 0.6, 0.2, 0.7, 0.2, 0.1, 0.1, 0.1, 0.8);
  const yTrue = f32(0, 0, 1, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1);
  const pc = metrics.precision({ classId: 1 });
  pc.update(yPred, yTrue, 5, 3, false);
  assert.equal(pc.result(), 1);
  assert.deepEqual(pc.confusion(), { tp: [1], fp: [0], tn: [4], fn: [0] });
  const rc = metrics.recall({ classId: 1 });
  rc.update(yPred, yTrue, 5, 3, false);
  assert.equal(rc.result(), 1);
  // test_unweighted_top_k_and_threshold
  const ptk = metrics.precision({ thresholds: 0.7, topK: 2 });
  ptk.update(f32(0.2, 0.8, 0.6, 0, 0.2), f32(0, 1, 1, 0, 1), 1, 5, false);
  assert.equal(ptk.result(), 1);
  assert.deepEqual(ptk.confusion().tp, [1]);
  assert.deepEqual(ptk.confusion().fp, [0]);
  const rtk = metrics.recall({ thresholds: 0.7, topK: 2 });
  rtk.update(f32(0.2, 0.8, 0.6, 0, 0.2), f32(1, 1, 1, 0, 1), 1, 5, false);
  assert.equal(rtk.result(), 0.25);
  assert.deepEqual(rtk.confusion().fn, [3]);
});

test('AUC: Keras test cases (summation methods, PR interpolation, PR gain, logits, manual thresholds)', () => {
  const yPred = f32(0, 0.5, 0.3, 0.9);
  const yTrue = f32(0, 0, 1, 1);
  const sw = f32(1, 2, 3, 4);
  const run = (m: AUC, weights: Float32Array | null = sw, p = yPred): number => {
    m.update(p, yTrue, 4, 1, false, weights);
    return m.result();
  };
  // tp = [7, 4, 0], fp = [3, 0, 0], fn = [0, 3, 7], tn = [0, 3, 3]
  close(run(metrics.auc({ numThresholds: 3 })), (1 + 4 / 7) / 2, 1e-12, 'ROC interpolation');
  close(run(metrics.auc({ numThresholds: 3, summationMethod: 'majoring' })), 1, 1e-12, 'ROC majoring');
  close(run(metrics.auc({ numThresholds: 3, summationMethod: 'minoring' })), 4 / 7, 1e-12, 'ROC minoring');
  close(run(metrics.auc({ numThresholds: 3, curve: 'PR', summationMethod: 'majoring' })), 1, 1e-12, 'PR majoring');
  close(run(metrics.auc({ numThresholds: 3, curve: 'PR', summationMethod: 'minoring' })), 0.7 * (3 / 7), 1e-12, 'PR minoring');
  // Davis & Goadrich: slope [0.5, 1], intercept [2, 0], P ratio [2.5, 1]
  close(run(metrics.auc({ numThresholds: 3, curve: 'PR' })), (0.5 * (3 + 2 * Math.log(2.5)) + 4) / 7, 1e-12, 'PR interpolation');
  assert.equal(run(metrics.auc({ numThresholds: 3, curve: 'PR' }), f32(-1, -2, -3, -4)), 0, 'negative weights: divisor max(·, 0) = 0');
  close(run(metrics.auc({ numThresholds: 3, curve: 'PRGAIN', summationMethod: 'majoring' })), 1, 1e-12, 'PR gain majoring');
  close(run(metrics.auc({ numThresholds: 3, curve: 'PRGAIN', summationMethod: 'minoring' })), 0, 1e-12, 'PR gain minoring');
  close(run(metrics.auc({ numThresholds: 3, curve: 'PRGAIN' })), 0.5, 1e-12, 'PR gain interpolation');
  const gain = metrics.auc({ numThresholds: 3, curve: 'prgain' });
  gain.update(f32(0.1, 0.2, 0.3, 0.3, 0.4, 0.4, 0.6, 0.6, 0.8, 0.9), f32(0, 0, 0, 1, 0, 1, 0, 1, 1, 1), 10, 1, false);
  close(gain.result(), (2 / 3) * (1 / 3) + (1 / 3) * (5 / 6), 1e-12, 'test_prgain_interpolation');
  // from logits: the same counts from the logits of the same probabilities
  const logits = Float32Array.from(yPred, (p) => -Math.log(1 / (p + 1e-12) - 1));
  close(run(metrics.auc({ numThresholds: 3, fromLogits: true }), null, logits), 0.75, 1e-12, 'from logits');
  // manual thresholds
  const manual = metrics.auc({ thresholds: [0.5] });
  assert.equal(manual.numThresholds, 3);
  close(run(manual, null), 0.75, 1e-12, 'manual thresholds');
  // all correct, default 200 thresholds
  const all = metrics.auc();
  all.update(f32(0, 0, 1, 1), yTrue, 4, 1, false);
  assert.equal(all.result(), 1);
});

test('AUC multiLabel and flattened: Keras MultiAUCTest numbers', () => {
  // columns: label 0 predictions [0, 0.5, 0.3, 0.9], label 1 [0.1, 0.2, 0.3, 0.4]
  const yPred = f32(0, 0.1, 0.5, 0.2, 0.3, 0.3, 0.9, 0.4);
  const good = f32(0, 0, 0, 0, 1, 1, 1, 1);
  const bad = f32(0, 1, 0, 1, 1, 0, 1, 0);
  const auc = (opts: Parameters<typeof metrics.auc>[0], yTrue = good, w: Float32Array | null = null, p = yPred): number => {
    const m = metrics.auc(opts?.thresholds === undefined ? { numThresholds: 5, ...opts } : opts);
    m.update(p, yTrue, 4, 2, false, w);
    return m.result();
  };
  close(auc({ multiLabel: true }), (0.875 + 1) / 2, 1e-12, 'multi-label');
  const logits = Float32Array.from(yPred, (p) => -Math.log(1 / (p + 1e-12) - 1));
  close(auc({ multiLabel: true, fromLogits: true }, good, null, logits), (0.875 + 1) / 2, 1e-12, 'multi-label from logits');
  close(auc({ multiLabel: true, labelWeights: [0.75, 0.25] }), 0.875 * 0.75 + 0.25, 1e-12, 'label weights average the label AUCs');
  close(auc({ multiLabel: false }), 1 - 3 / 32, 1e-12, 'flattened');
  close(auc({ multiLabel: false }, good, f32(1, 2, 3, 4)), 1 - (1 / 3) * (1 - 2 / 7) / 2, 1e-12, 'flattened, sample weights');
  close(auc({ multiLabel: false, labelWeights: [0.75, 0.25] }), 1 - ((1 - 0.375) * 0.375) / 2, 1e-12, 'flattened, label weights');
  close(auc({ multiLabel: true, thresholds: [0.5] }), (0.75 + 0.5) / 2, 1e-12, 'multi-label, manual thresholds');
  // PR, Davis & Goadrich by hand: label 0 has tp [2, 2, 1, 1, 0], fp [2, 1, 0, 0, 0]; label 1 scores 1
  const label0 = (0.5 * (1 + 0.5 * Math.log(3))) / 2 + 0.5;
  close(auc({ multiLabel: true, curve: 'PR' }), (label0 + 1) / 2, 1e-12, 'PR good');
  close(auc({ multiLabel: true, curve: 'PR' }), (0.91667 + 1) / 2, 1e-1, 'PR good, Keras test tolerance');
  // Keras's test calls one metric object twice: the bad labels add to the good ones' counts
  const pr = metrics.auc({ numThresholds: 5, multiLabel: true, curve: 'PR' });
  pr.update(yPred, good, 4, 2, false);
  pr.update(yPred, bad, 4, 2, false);
  close(pr.result(), (label0 + 0.5) / 2, 1e-12, 'PR good + bad');
  close(pr.result(), (0.91667 + 0.5) / 2, 1e-1, 'PR good + bad, Keras test tolerance');
  assert.equal(auc({ multiLabel: true }, good, null, good), 1, 'all correct');
  // numLabels builds the counts up front and is checked
  const m = metrics.auc({ multiLabel: true, numLabels: 2, numThresholds: 5 });
  assert.throws(() => m.update(f32(0.1, 0.2, 0.3), f32(0, 1, 0), 1, 3, false), /2 labels.*3 prediction columns/);
  assert.throws(() => resolveMetric(m, { predWidth: 3, sparseTargets: false }), /numLabels 2.*3 output columns/);
  // class-index targets are read as one-hot rows: the same as one-hot targets
  const p3 = f32(0.7, 0.2, 0.1, 0.1, 0.3, 0.6, 0.3, 0.4, 0.3, 0.5, 0.1, 0.4);
  const oneHot = metrics.auc({ multiLabel: true, numThresholds: 11 });
  oneHot.update(p3, f32(1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1), 4, 3, false);
  const sparse = metrics.auc({ multiLabel: true, numThresholds: 11 });
  sparse.update(p3, f32(0, 2, 1, 2), 4, 3, true);
  assert.equal(sparse.result(), oneHot.result());
});

test('F-scores: Keras test numbers for every average, beta, threshold and sample weights', () => {
  // test_fbeta_random_score (threshold 0.66)
  const p1 = f32(0.7, 0.7, 0.7, 1, 0, 0, 0.9, 0.8, 0);
  const t1 = f32(0, 0, 1, 1, 1, 0, 1, 1, 1);
  const cases1: [null | 'micro' | 'macro' | 'weighted', number, number[]][] = [
    [null, 0.5, [0.71428573, 0.5, 0.833334]],
    [null, 1, [0.8, 0.5, 0.6666667]],
    [null, 2, [0.9090904, 0.5, 0.555556]],
    ['micro', 0.5, [0.6666667]],
    ['micro', 2, [0.6666667]],
    ['macro', 0.5, [0.6825397]],
    ['macro', 1, [0.6555555]],
    ['macro', 2, [0.6548822]],
    ['weighted', 0.5, [0.6825397]],
    ['weighted', 2, [0.6548822]],
  ];
  for (const [average, beta, want] of cases1) {
    const m = metrics.fbetaScore({ average, beta, threshold: 0.66 });
    m.update(p1, t1, 3, 3, false);
    closeAll(m.results(), want, 1e-6, `random, ${average}, beta ${beta}`);
  }
  // test_fbeta_weighted_random_score_none (threshold null: the argmax)
  const t2 = f32(1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 1);
  const p2 = f32(0.9, 0.1, 0, 0.2, 0.6, 0.2, 0, 0, 1, 0.4, 0.3, 0.3, 0, 0.9, 0.1, 0, 0, 1);
  const halves = f32(0.5, 1, 1, 1, 0.5, 1);
  const zeros = f32(1, 0, 1, 1, 0, 1);
  const cases2: [null | 'micro' | 'macro' | 'weighted', number, Float32Array | null, number[]][] = [
    [null, 0.5, null, [0.9090904, 0.555556, 1]],
    [null, 1, null, [0.8, 0.6666667, 1]],
    [null, 2, zeros, [1, 0, 1]],
    [null, 0.5, halves, [0.9375, 0.714286, 1]],
    [null, 1, halves, [0.857143, 0.8, 1]],
    [null, 2, halves, [0.789474, 0.909091, 1]],
    ['micro', 1, null, [0.833334]],
    ['micro', 1, halves, [0.9]],
    ['macro', 0.5, null, [0.821549]],
    ['macro', 1, null, [0.822222]],
    ['macro', 2, halves, [0.899522]],
    ['macro', 1, zeros, [0.666667]],
    ['weighted', 0.5, null, [0.880471]],
    ['weighted', 1, halves, [0.902857]],
    ['weighted', 2, halves, [0.897608]],
  ];
  for (const [average, beta, w, want] of cases2) {
    const m = metrics.fbetaScore({ average, beta });
    m.update(p2, t2, 6, 3, false, w);
    closeAll(m.results(), want, 1e-5, `argmax, ${average}, beta ${beta}, weights ${w === null ? 'none' : [...w]}`);
  }
  // perfect and worst scores
  const perfect = metrics.f1Score({ average: 'weighted', threshold: 0.66 });
  perfect.update(p1, f32(1, 1, 1, 1, 0, 0, 1, 1, 0), 3, 3, false);
  close(perfect.result(), 1, 1e-6, 'perfect');
  const worst = metrics.f1Score({ average: 'micro', threshold: 0.66 });
  worst.update(p1, f32(0, 0, 0, 0, 1, 0, 0, 0, 1), 3, 3, false);
  close(worst.result(), 0, 1e-6, 'worst');
  // argmax ties: every maximum counts, an all-zero row predicts nothing
  const ties = metrics.f1Score();
  ties.update(f32(0.5, 0.5, 0, 0, 0, 0), f32(1, 0, 0, 0, 1, 0), 2, 3, false);
  closeAll(ties.results(), [1, 0, 0], 1e-6, 'ties');
});

// ---------- hand-computed counts ----------

test('hand-computed counts: threshold, classId, topK and row weights', () => {
  // rows × 3 columns
  const yPred = f32(0.9, 0.4, 0.65, 0.2, 0.8, 0.55, 0.6, 0.6, 0.1, 0.3, 0.35, 0.95);
  const yTrue = f32(1, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 1);
  const w = f32(2, 0.5, 1, 4);
  // threshold 0.6 (strict: 0.6 is not above), every element, row weights
  // positives above: (0.9, y1, w2) (0.65, y1, w2) (0.8, y1, w.5) — 0.6s are not above — (0.95, y1, w4)
  // negatives above: none; positives not above: (0.6 col 1 row 2, w1)
  const p = metrics.precision({ thresholds: 0.6 });
  const r = metrics.recall({ thresholds: 0.6 });
  p.update(yPred, yTrue, 4, 3, false, w);
  r.update(yPred, yTrue, 4, 3, false, w);
  // negatives not above: row 0 (0.4: w2), row 1 (0.2, 0.55: w.5 each), row 2 (0.6, 0.1: w1 each), row 3 (0.3, 0.35: w4 each)
  assert.deepEqual(p.confusion(), { tp: [8.5], fp: [0], tn: [2 + 2 * 0.5 + 2 * 1 + 2 * 4], fn: [1] });
  assert.equal(p.result(), 1);
  assert.equal(r.result(), 8.5 / 9.5);
  // threshold 0.5: 0.55 (negative, w .5) and both 0.6s (row 2, w 1: one positive, one negative) are above
  const p5 = metrics.precision();
  p5.update(yPred, yTrue, 4, 3, false, w);
  assert.deepEqual(p5.confusion(), { tp: [9.5], fp: [1.5], tn: [13 - 1.5], fn: [0] });
  // classId 2: column 2 only — rows: (0.65, 1, w2) (0.55, 0, w.5) (0.1, 0, w1) (0.95, 1, w4)
  const pc = metrics.precision({ classId: 2 });
  pc.update(yPred, yTrue, 4, 3, false, w);
  assert.deepEqual(pc.confusion(), { tp: [6], fp: [0.5], tn: [1], fn: [0] });
  assert.equal(pc.result(), 6 / 6.5);
  // topK 1 then classId 1: column 1 is the row's top only in row 1 (0.8) — row 2's tie goes to column 0
  const rk = metrics.recall({ topK: 1, classId: 1 });
  rk.update(yPred, yTrue, 4, 3, false, w);
  assert.deepEqual(rk.confusion(), { tp: [0.5], fp: [0], tn: [2 + 4], fn: [1] });
  assert.equal(rk.result(), 0.5 / 1.5);
  // topK 2, every column: kept (top 2 of each row) and counted positive at threshold −1e10
  // row 0: 0.9 (y1), 0.65 (y1); row 1: 0.8 (y1), 0.55 (y0); row 2: 0.6 (y0), 0.6 (y1); row 3: 0.95 (y1), 0.35 (y0)
  const pk = metrics.precision({ topK: 2 });
  pk.update(yPred, yTrue, 4, 3, false, w);
  assert.deepEqual(pk.confusion(), { tp: [2 + 2 + 0.5 + 1 + 4], fp: [0.5 + 1 + 4], tn: [2 + 0.5 + 1 + 4], fn: [0] });
  // F1 at threshold 0.6 per class, weighted counts: class 0 tp 2; class 1 tp .5 fn 1; class 2 tp 6
  const f1 = metrics.f1Score({ threshold: 0.6 });
  f1.update(yPred, yTrue, 4, 3, false, w);
  const F = (tp: number, fp: number, fn: number): number => {
    const pr = tp / (tp + fp + 1e-7);
    const rc = tp / (tp + fn + 1e-7);
    return (2 * pr * rc) / (pr + rc + 1e-7);
  };
  closeAll(f1.results(), [F(2, 0, 0), F(0.5, 0, 1), F(6, 0, 0)], 1e-12, 'F1 per class');
  const micro = metrics.f1Score({ threshold: 0.6, average: 'micro' });
  micro.update(yPred, yTrue, 4, 3, false, w);
  close(micro.result(), F(8.5, 0, 1), 1e-12, 'micro F1');
});

test('several batches give exactly what one batch gives (counts, not means of batches)', () => {
  const rng = new Rng(11);
  const rows = 37;
  const cols = 3;
  const p = Float32Array.from({ length: rows * cols }, () => Math.fround(rng.uniform()));
  const t = Float32Array.from({ length: rows * cols }, () => (rng.uniform() < 0.4 ? 1 : 0));
  const labels = Float32Array.from({ length: rows }, () => rng.int(cols));
  const w = Float32Array.from({ length: rows }, (_, i) => [0.5, 1, 2, 0, 0.25][i % 5]!);
  const makers: [string, () => Metric, boolean][] = [
    ['precision', () => metrics.precision({ thresholds: 0.3 }), false],
    ['recall', () => metrics.recall({ topK: 2 }), false],
    ['precision classId', () => metrics.precision({ classId: 1 }), false],
    ['recall, sparse targets', () => metrics.recall(), true],
    ['auc', () => metrics.auc(), false],
    ['auc PR', () => metrics.auc({ curve: 'PR', numThresholds: 50 }), false],
    ['auc multiLabel uneven thresholds', () => metrics.auc({ multiLabel: true, thresholds: [0.1, 0.25, 0.7] }), false],
    ['f1 macro', () => metrics.f1Score({ average: 'macro' }), false],
    ['fbeta weighted, sparse targets', () => metrics.fbetaScore({ average: 'weighted', beta: 0.5, threshold: 0.4 }), true],
  ];
  for (const [label, make, sparse] of makers) {
    const y = sparse ? labels : t;
    const tw = sparse ? 1 : cols;
    const one = make();
    one.update(p, y, rows, cols, sparse, w);
    const many = make();
    for (const [a, b] of [[0, 5], [5, 6], [6, 20], [20, 37]] as const) {
      many.update(p.subarray(a * cols, b * cols), y.subarray(a * tw, b * tw), b - a, cols, sparse, w.subarray(a, b));
    }
    assert.deepEqual(many.results(), one.results(), label);
    assert.ok(one.results().every((v) => v > 0 && v < 1), `${label}: a nontrivial value (${one.results()})`);
    // and differs from the mean of per-batch results
    const perBatch: number[] = [];
    for (const [a, b] of [[0, 5], [5, 6], [6, 20], [20, 37]] as const) {
      const m = make();
      m.update(p.subarray(a * cols, b * cols), y.subarray(a * tw, b * tw), b - a, cols, sparse, w.subarray(a, b));
      perBatch.push(m.results()[0]!);
    }
    assert.notEqual(perBatch.reduce((s, v) => s + v, 0) / perBatch.length, one.results()[0], `${label}: not a mean of batch values`);
    many.reset();
    assert.deepEqual(many.results(), make().results(), `${label}: reset`);
  }
});

test('zero-weight rows (masked timesteps) do not count, even with NaN predictions', () => {
  const p = f32(0.9, 0.2, 0.4, 0.7, 0.3, 0.6, 0.8, 0.1);
  const t = f32(1, 0, 0, 1, 1, 1, 0, 0);
  const pNaN = p.slice();
  pNaN.fill(Number.NaN, 2, 4);
  pNaN.fill(Number.NaN, 6, 8);
  const keep = f32(1, 0, 1, 0);
  const makers: (() => Metric)[] = [
    () => metrics.precision({ thresholds: 0.35 }),
    () => metrics.recall({ topK: 1 }),
    () => metrics.auc(),
    () => metrics.auc({ multiLabel: true, curve: 'PR', thresholds: [0.25, 0.5] }),
    () => metrics.f1Score(),
    () => metrics.fbetaScore({ average: 'weighted', threshold: 0.5 }),
  ];
  for (const make of makers) {
    const kept = make();
    kept.update(f32(0.9, 0.2, 0.3, 0.6), f32(1, 0, 1, 1), 2, 2, false);
    const masked = make();
    masked.update(pNaN, t, 4, 2, false, keep);
    assert.deepEqual(masked.results(), kept.results(), masked.className);
  }
});

test('class-index targets are one-hot rows for Precision / Recall / F1 (an extension of Keras)', () => {
  const p = f32(0.7, 0.2, 0.1, 0.1, 0.6, 0.3, 0.5, 0.4, 0.1);
  const oneHot = f32(1, 0, 0, 0, 0, 1, 0, 1, 0);
  const idx = f32(0, 2, 1);
  for (const make of [() => metrics.precision(), () => metrics.recall({ classId: 2 }), () => metrics.f1Score({ average: 'macro' })]) {
    const a = make();
    a.update(p, oneHot, 3, 3, false);
    const b = make();
    b.update(p, idx, 3, 3, true);
    assert.deepEqual(b.results(), a.results());
  }
});

// ---------- Keras's bucketed counting ----------

test("Keras's bucketed path: evenly spaced thresholds clip predictions to [0, 1]; others compare as given", () => {
  // [0, 0.5, 1] is evenly spaced: Keras buckets, and 1.5 is clipped to 1, not above threshold 1
  const even = metrics.precision({ thresholds: [0, 0.5, 1] });
  even.update(f32(1.5, 0.7, -0.2), f32(1, 0, 1), 3, 1, false);
  assert.deepEqual(even.confusion().tp, [1, 1, 0]);
  assert.deepEqual(even.confusion().fp, [1, 1, 0]);
  assert.deepEqual(even.results(), [0.5, 0.5, 0]);
  // [0, 0.5, 0.9] is not: plain comparison, 1.5 > 0.9
  const plain = metrics.precision({ thresholds: [0, 0.5, 0.9] });
  plain.update(f32(1.5, 0.7, -0.2), f32(1, 0, 1), 3, 1, false);
  assert.deepEqual(plain.confusion().tp, [1, 1, 1]);
  // AUC: 0 and 1 lie above −ε and below 1 + ε, whatever the path
  for (const m of [metrics.auc({ numThresholds: 5 }), metrics.auc({ thresholds: [0.3, 0.8] })]) {
    m.update(f32(0, 1, 1, 0), f32(0, 1, 1, 0), 4, 1, false);
    const c = m.confusion()[0]!;
    assert.deepEqual([c.tp[0], c.fp[0], c.tp.at(-1), c.fp.at(-1)], [2, 2, 0, 0]);
    assert.equal(m.result(), 1);
  }
  // thresholds given out of order keep their order in results
  const unordered = metrics.recall({ thresholds: [0.7, 0.2, 0.5] });
  unordered.update(f32(0.6, 0.3, 0.9, 0.1), f32(1, 1, 1, 1), 4, 1, false);
  assert.deepEqual(unordered.results(), [0.25, 0.75, 0.5]);
  // float32 comparison: ŷ = 0.3 is not above threshold 0.3
  const t3 = metrics.precision({ thresholds: 0.3 });
  t3.update(f32(0.3), f32(1), 1, 1, false);
  assert.equal(t3.confusion().tp[0], 0);
});

test('bucketed AUC vs the exact trapezoid: close with 200 thresholds, equal with thresholds between the scores', () => {
  const rng = new Rng(5);
  const n = 400;
  const scores = new Float32Array(n);
  const labels = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = rng.uniform() < 0.45 ? 1 : 0;
    // informative scores with plenty of overlap
    scores[i] = Math.min(1, Math.max(0, 0.5 + (labels[i] === 1 ? 0.15 : -0.15) + 0.25 * rng.normal()));
  }
  const exact = rocAuc(scores, labels);
  assert.ok(exact > 0.7 && exact < 0.95, `exact ${exact}`);
  const bucketed = metrics.auc();
  bucketed.update(scores, labels, n, 1, false);
  close(bucketed.result(), exact, 2e-3, 'ROC, 200 thresholds');
  assert.notEqual(bucketed.result(), exact, 'bucketing is an approximation');
  // PR: Keras's interpolation vs exact average precision
  const pr = metrics.auc({ curve: 'PR' });
  pr.update(scores, labels, n, 1, false);
  close(pr.result(), prAuc(scores, labels), 1e-2, 'PR, 200 thresholds');

  // scores on a grid (k + 0.5)/20 with ties; thresholds k/20 fall between them
  const grid = Float32Array.from(scores, (s) => (Math.min(19, Math.floor(s * 20)) + 0.5) / 20);
  const evenly = metrics.auc({ thresholds: Array.from({ length: 19 }, (_, k) => (k + 1) / 20) });
  evenly.update(grid, labels, n, 1, false);
  close(evenly.result(), rocAuc(grid, labels), 1e-12, 'thresholds between the grid scores (bucketed path)');
  // uneven thresholds: the plain path; scores from a few distinct values
  const values = [0.05, 0.13, 0.3, 0.41, 0.77, 0.9];
  const few = Float32Array.from(labels, (l, i) => values[(i * 7 + (l === 1 ? 3 : 0)) % 6]!);
  const mids = values.slice(1).map((v, k) => (v + values[k]!) / 2);
  const uneven = metrics.auc({ thresholds: mids });
  uneven.update(few, labels, n, 1, false);
  const w = Float32Array.from(labels, (_, i) => 1 + (i % 3));
  close(uneven.result(), rocAuc(few, labels), 1e-12, 'thresholds between the distinct scores (plain path)');
  const unevenW = metrics.auc({ thresholds: mids });
  unevenW.update(few, labels, n, 1, false, w);
  close(unevenW.result(), rocAuc(few, labels, w), 1e-12, 'weighted');
  // with a threshold missing, the bucketed value is only an approximation
  const coarse = metrics.auc({ thresholds: mids.filter((_, k) => k !== 2) });
  coarse.update(few, labels, n, 1, false);
  assert.ok(Math.abs(coarse.result() - rocAuc(few, labels)) > 1e-6, 'merged buckets differ');
});

// ---------- exact helpers ----------

test('rocAuc / prAuc: exact values with ties and weights (scikit-learn numbers)', () => {
  const s = [0.1, 0.4, 0.35, 0.8, 0.35, 0.6, 0.2, 0.9, 0.6, 0.05];
  const l = [0, 0, 1, 1, 0, 1, 0, 1, 0, 1];
  const w = [1, 2, 0.5, 1, 3, 1, 1, 0.25, 2, 1];
  // sklearn.metrics.roc_auc_score / average_precision_score
  close(rocAuc(s, l), 0.68, 1e-15, 'roc');
  close(rocAuc(s, l, w), 0.6222222222222222, 1e-15, 'roc weighted');
  close(prAuc(s, l), 0.7642857142857143, 1e-15, 'ap');
  close(prAuc(s, l, w), 0.5905480140774259, 1e-15, 'ap weighted');
  // ties are one diagonal step: all scores equal → 0.5
  assert.equal(rocAuc([0.3, 0.3, 0.3, 0.3], [1, 0, 1, 0]), 0.5);
  assert.equal(prAuc([0.3, 0.3, 0.3, 0.3], [1, 0, 1, 0]), 0.5);
  assert.equal(rocAuc(f32(0.9, 0.1), [true, false]), 1);
  assert.equal(rocAuc([0.9, 0.1], [0, 1]), 0);
  // zero weights drop samples
  assert.equal(rocAuc([0.2, 0.9, 0.5, 0.1], [1, 1, 0, 0], [0, 1, 1, 1]), rocAuc([0.9, 0.5, 0.1], [1, 0, 0]));
  assert.throws(() => rocAuc([0.2, 0.4], [1, 1]), /undefined with no negative/);
  assert.throws(() => rocAuc([0.2, 0.4], [1, 0], [1, 0]), /no negative/);
  assert.throws(() => prAuc([0.2, 0.4], [0, 0]), /no positive/);
  assert.throws(() => rocAuc([0.2, Number.NaN], [1, 0]), /scores\[1\]/);
  assert.throws(() => rocAuc([0.2, 0.3], [1, 2]), /labels\[1\] must be 0 or 1/);
  assert.throws(() => rocAuc([0.2, 0.3], [1]), /2 scores but 1 labels/);
  assert.throws(() => prAuc([0.2, 0.3], [1, 0], [1, -1]), /weights\[1\]/);
});

test('confusionMatrix and classificationReport: scikit-learn numbers', () => {
  const yt = [0, 1, 2, 2, 1, 0, 2, 1, 1, 0, 2, 2];
  const yp = [0, 2, 2, 1, 1, 0, 2, 0, 1, 1, 2, 0];
  assert.deepEqual(confusionMatrix(yt, yp, 3), [[2, 1, 0], [1, 2, 1], [1, 1, 3]]);
  assert.deepEqual(confusionMatrix(yt, yp, 4)[3], [0, 0, 0, 0]);
  assert.equal(rootConfusionMatrix, confusionMatrix, 'exported from the package root');
  // labels = range(4) with an absent class, zero_division 0
  const r4 = classificationReport(yt, yp, 4);
  closeAll(r4.classes.map((c) => c.precision), [0.5, 0.5, 0.75, 0], 1e-15, 'precision');
  closeAll(r4.classes.map((c) => c.recall), [0.6666666666666666, 0.5, 0.6, 0], 1e-15, 'recall');
  closeAll(r4.classes.map((c) => c.f1), [0.5714285714285715, 0.5, 0.6666666666666665, 0], 1e-15, 'f1');
  assert.deepEqual(r4.classes.map((c) => c.support), [3, 4, 5, 0]);
  close(r4.accuracy, 0.5833333333333334, 1e-15, 'accuracy');
  closeAll([r4.micro.precision, r4.micro.recall, r4.micro.f1], [0.5833333333333334, 0.5833333333333334, 0.5833333333333334], 1e-15, 'micro');
  closeAll([r4.macro.precision, r4.macro.recall, r4.macro.f1], [0.4375, 0.44166666666666665, 0.43452380952380953], 1e-15, 'macro');
  closeAll([r4.weighted.precision, r4.weighted.recall, r4.weighted.f1], [0.6041666666666666, 0.5833333333333334, 0.5873015873015873], 1e-15, 'weighted');
  // sample weights
  const ww = [1, 2, 1, 0.5, 1, 1, 3, 1, 1, 2, 1, 1];
  assert.deepEqual(confusionMatrix(yt, yp, 3, ww), [[2, 2, 0], [1, 2, 2], [1, 0.5, 5]]);
  const rw = classificationReport(yt, yp, 3, { weights: ww, classNames: ['neg', 'neu', 'pos'] });
  closeAll(rw.classes.map((c) => c.f1), [0.5, 0.42105263157894735, 0.7407407407407407], 1e-12, 'weighted f1 per class');
  assert.deepEqual(rw.classes.map((c) => c.support), [4, 5, 6.5]);
  closeAll([rw.macro.precision, rw.macro.recall, rw.macro.f1], [0.5529100529100529, 0.5564102564102564, 0.5539311241065628], 1e-12, 'weighted macro');
  closeAll([rw.weighted.precision, rw.weighted.recall, rw.weighted.f1], [0.5719406041986688, 0.5806451612903226, 0.5754889014651324], 1e-12, 'weighted weighted');
  // scikit-learn's printed report
  const text = formatClassificationReport(classificationReport(yt, yp, 3, { classNames: ['neg', 'neu', 'pos'] }));
  assert.equal(
    text,
    [
      '             precision    recall  f1-score   support',
      '',
      '         neg      0.50      0.67      0.57         3',
      '         neu      0.50      0.50      0.50         4',
      '         pos      0.75      0.60      0.67         5',
      '',
      '    accuracy                          0.58        12',
      '   macro avg      0.58      0.59      0.58        12',
      'weighted avg      0.60      0.58      0.59        12',
    ].join('\n'),
  );
  assert.throws(() => confusionMatrix([0, 3], [0, 1], 3), /yTrue\[1\] must be a class index in \[0, 3\)/);
  assert.throws(() => confusionMatrix([0, 1], [0, 1.5], 3), /yPred\[1\]/);
  assert.throws(() => confusionMatrix([0, 1], [0], 3), /2 true labels but 1 predictions/);
  assert.throws(() => classificationReport([0], [0], 2, { classNames: ['a'] }), /classNames must list 2 names/);
});

// ---------- names, options, refusals ----------

test('names resolve to the classification metrics, keeping the typed name', () => {
  const cases: [string, new (...a: never[]) => Metric, number][] = [
    ['precision', Precision, 1],
    ['Precision', Precision, 3],
    ['recall', Recall, 1],
    ['auc', AUC, 1],
    ['AUC', AUC, 4],
    ['f1_score', F1Score, 1],
    ['f1Score', F1Score, 3],
    ['F1Score', F1Score, 3],
    ['fbeta_score', FBetaScore, 1],
    ['fbetaScore', FBetaScore, 2],
  ];
  for (const [name, cls, width] of cases) {
    const m = resolveMetric(name, { predWidth: width, sparseTargets: false });
    assert.ok(m instanceof cls, `${name} → ${cls.name}`);
    assert.equal(m.name, name);
  }
  // by name, F-scores are one number: threshold 0.5 with one column, macro average with several
  const f1 = resolveMetric('f1_score', dense1) as F1Score;
  assert.deepEqual([f1.threshold, f1.average], [0.5, null]);
  const f3 = resolveMetric('f1Score', { predWidth: 3, sparseTargets: true }) as F1Score;
  assert.deepEqual([f3.threshold, f3.average], [null, 'macro']);
  assert.equal(rootMetrics.auc, metrics.auc);
  assert.deepEqual(metrics.auc({ thresholds: [0.5, 0.2] }).getConfig(), {
    name: 'auc', curve: 'ROC', summationMethod: 'interpolation', multiLabel: false, fromLogits: false, thresholds: [0.2, 0.5],
  });
  assert.deepEqual(metrics.precision({ thresholds: [0.4, 0.9], topK: 15, classId: 12, name: 'my_precision' }).getConfig(), {
    name: 'my_precision', thresholds: [0.4, 0.9], topK: 15, classId: 12,
  });
});

test('options are checked; vector results are refused where one number is needed, naming the option', () => {
  assert.throws(() => metrics.auc({ numThreshold: 3 } as object), /unknown option 'numThreshold'/);
  assert.throws(() => metrics.auc({ numThresholds: 1 }), /numThresholds must be an integer > 1/);
  assert.throws(() => metrics.auc({ numThresholds: 3, thresholds: [0.5] }), /numThresholds or thresholds, not both/);
  assert.throws(() => metrics.auc({ curve: 'Invalid' as 'ROC' }), /invalid curve "Invalid"/);
  assert.throws(() => metrics.auc({ summationMethod: 'Invalid' as 'minoring' }), /invalid summationMethod "Invalid"/);
  assert.throws(() => metrics.auc({ numLabels: 2 }), /numLabels is needed only when multiLabel is true/);
  assert.throws(() => metrics.auc({ thresholds: [0.5, 1.2] }), /\[0, 1\]/);
  assert.throws(() => metrics.auc({ labelWeights: [1, -1] }), /labelWeights/);
  assert.throws(() => metrics.precision({ thresholds: 1.5 }), /threshold values must be in \[0, 1\]/);
  assert.throws(() => metrics.precision({ thresholds: [] }), /must not be empty/);
  assert.throws(() => metrics.recall({ topK: 0 }), /topK must be a positive integer/);
  assert.throws(() => metrics.recall({ classId: -1 }), /classId must be a non-negative integer/);
  assert.throws(() => metrics.f1Score({ beta: 2 } as object), /unknown option 'beta'/);
  assert.throws(() => metrics.fbetaScore({ beta: 0 }), /beta must be a number > 0/);
  assert.throws(() => metrics.fbetaScore({ threshold: 0 }), /0 < threshold <= 1/);
  assert.throws(() => metrics.fbetaScore({ average: 'samples' as 'micro' }), /invalid average "samples"/);
  // classId / topK beyond the columns
  assert.throws(() => metrics.precision({ classId: 3 }).update(f32(0.1, 0.2, 0.3), f32(0, 0, 1), 1, 3, false), /classId 3 is outside the 3 prediction columns/);
  assert.throws(() => resolveMetric(metrics.recall({ topK: 5 }), { predWidth: 3, sparseTargets: false }), /topK 5 is more than the model's 3 output columns/);
  // several thresholds: results() per threshold, result() and compile refuse
  const multi = metrics.precision({ thresholds: [0.3, 0.6] });
  multi.update(f32(0.5), f32(1), 1, 1, false);
  assert.deepEqual(multi.results(), [1, 0]);
  assert.throws(() => multi.result(), /2 thresholds.*results\(\)/);
  assert.throws(() => resolveMetric(metrics.precision({ thresholds: [0.3, 0.6] }), dense1), /thresholds \[0.3,0.6\].*one metric per threshold/);
  // F-scores: average null with several classes, threshold null with one column
  assert.throws(() => resolveMetric(metrics.f1Score(), { predWidth: 3, sparseTargets: false }), /average null gives one score per class.*average 'micro', 'macro' or 'weighted'/);
  assert.throws(() => resolveMetric(metrics.f1Score({ average: 'macro' }), dense1), /threshold null.*pass a threshold/);
  assert.doesNotThrow(() => resolveMetric(metrics.f1Score({ threshold: 0.5 }), dense1));
  // number-valued metrics answer results() with [result()]
  const acc = metrics.binaryAccuracy();
  acc.update(f32(0.9, 0.2), f32(1, 1), 2, 1, false);
  assert.deepEqual(acc.results(), [0.5]);
});

test('Keras direction: EarlyStopping and ReduceLROnPlateau maximise the classification metrics', () => {
  for (const k of ['precision', 'val_recall', 'val_auc', 'f1_score', 'val_f1Score', 'fbeta_score', 'out_auc']) assert.equal(metricDirection(k), 'max', k);
  assert.equal(metricDirection('fake'), null);
});

test('update allocates nothing', async () => {
  const rows = 6;
  const cols = 3;
  const p = new Float32Array(rows * cols).map((_, i) => ((i * 7) % 10) / 10);
  const t = new Float32Array(rows * cols).map((_, i) => (i % cols === i % 2 ? 1 : 0));
  const labels = new Float32Array(rows).map((_, i) => i % cols);
  const w = f32(0.5, 0, 2, 1, 0.25, 3);
  const all: [Metric, Float32Array, boolean][] = [
    [metrics.precision({ topK: 2 }), t, false],
    [metrics.recall({ thresholds: [0.2, 0.5, 0.9] }), labels, true],
    [metrics.auc(), t, false],
    [metrics.auc({ multiLabel: true, fromLogits: true, thresholds: [0.1, 0.7] }), t, false],
    [metrics.f1Score(), labels, true],
    [metrics.fbetaScore({ average: 'micro', threshold: 0.5 }), t, false],
  ];
  for (const [m, y, sparse] of all) {
    const run = (): void => {
      for (let i = 0; i < 1000; i++) {
        m.update(p, y, rows, cols, sparse, null);
        m.update(p, y, rows, cols, sparse, w);
      }
    };
    const least = await youngGrowth(run, 8192);
    assert.ok(least <= 8192, `${m.className}: young generation grew by ${least} bytes`);
  }
});

// ---------- a compiled model ----------

test("compile with ['accuracy', 'precision', 'recall', 'auc', 'f1_score']: evaluate's logs match the predictions", async () => {
  const rng = new Rng(3);
  const n = 90;
  const x = Float32Array.from({ length: n * 4 }, () => rng.uniform() * 2 - 1);
  const y = Float32Array.from({ length: n }, (_, i) => (x[i * 4]! + 0.5 * x[i * 4 + 1]! - 0.3 * x[i * 4 + 2]! + 0.4 * (rng.uniform() - 0.5) > 0 ? 1 : 0));
  const model = new Sequential();
  model.add(layers.dense({ units: 6, activation: 'tanh', inputShape: [4], seed: 1 }));
  model.add(layers.dense({ units: 1, activation: 'sigmoid', seed: 2 }));
  model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy', 'precision', 'recall', 'auc', 'f1_score'] });
  const xs = tensor(x, [n, 4]);
  const ys = tensor(y, [n, 1]);
  const history = await model.fit(xs, ys, {
    epochs: 4,
    batchSize: 16,
    verbose: 0,
    validationData: [xs, ys],
    callbacks: [callbacks.earlyStopping({ monitor: 'val_auc', patience: 10 })],
  });
  for (const k of ['precision', 'recall', 'auc', 'f1_score', 'val_precision', 'val_recall', 'val_auc', 'val_f1_score']) {
    assert.equal(history.history[k]?.length, 4, `history has ${k}`);
  }
  assert.deepEqual(model.metricsNames, ['loss', 'accuracy', 'precision', 'recall', 'auc', 'f1_score']);
  const batchSize = 16; // 90 = 5 × 16 + 10: the last batch is short
  const [, acc, prec, rec, aucValue, f1] = model.evaluate(xs, ys, { batchSize, verbose: 0 });
  const pred = model.predict(xs, { batchSize }).data;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let right = 0;
  const t = Math.fround(0.5);
  for (let i = 0; i < n; i++) {
    const pos = pred[i]! > t;
    if (pos && y[i] === 1) tp++;
    else if (pos) fp++;
    else if (y[i] === 1) fn++;
    if ((pos ? 1 : 0) === y[i]) right++;
  }
  assert.ok(tp > 0 && fp + fn > 0, `a nontrivial split: tp ${tp}, fp ${fp}, fn ${fn}`);
  assert.equal(acc, right / n, 'accuracy');
  assert.equal(prec, tp / (tp + fp), 'precision');
  assert.equal(rec, tp / (tp + fn), 'recall');
  const P = tp / (tp + fp + 1e-7);
  const R = tp / (tp + fn + 1e-7);
  close(f1!, (2 * P * R) / (P + R + 1e-7), 1e-12, 'f1_score');
  // the AUC of all predictions in one update: the same counts
  const whole = metrics.auc();
  whole.update(pred, y, n, 1, false);
  assert.equal(aucValue, whole.result(), 'auc: batches = one update');
  close(aucValue!, rocAuc(pred, y), 1e-2, 'auc vs exact');
  // a vector-valued metric is refused at compile, naming the option
  assert.throws(
    () => model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: [metrics.recall({ thresholds: [0.3, 0.7] })] }),
    /thresholds \[0.3,0.7\]/,
  );
});

test('compile checks only names before the output widths are known (a classId beyond 2 columns, sparse accuracy)', async () => {
  const model = new Sequential();
  model.add(layers.dense({ units: 4, activation: 'softmax', inputShape: [3], seed: 4 }));
  model.compile({
    optimizer: 'sgd',
    loss: 'sparseCategoricalCrossentropy',
    metrics: ['sparse_categorical_accuracy', metrics.precision({ classId: 3 }), metrics.recall({ topK: 2 }), 'f1_score'],
  });
  const x = tensor(Float32Array.from({ length: 24 }, (_, i) => Math.sin(i)), [8, 3]);
  const y = tensor(f32(0, 1, 2, 3, 3, 2, 1, 0), [8]);
  const [, , precision3, recallTop2, f1] = model.evaluate(x, y, { batchSize: 3, verbose: 0 });
  const pred = model.predict(x).data;
  const direct = metrics.precision({ classId: 3 });
  direct.update(pred, y.data, 8, 4, true);
  assert.equal(precision3, direct.result());
  const top2 = metrics.recall({ topK: 2 });
  top2.update(pred, y.data, 8, 4, true);
  assert.equal(recallTop2, top2.result());
  const macro = metrics.f1Score({ average: 'macro' });
  macro.update(pred, y.data, 8, 4, true);
  close(f1!, macro.result(), 1e-15, 'f1 macro');
  // but a typo still fails at compile
  assert.throws(() => model.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['precison'] }), /unknown metric "precison"/);
  const unbuilt = new Sequential();
  unbuilt.add(layers.dense({ units: 2 }));
  assert.doesNotThrow(() => unbuilt.compile({ optimizer: 'sgd', loss: 'mse', metrics: [metrics.precision({ classId: 1 })] }));
});
