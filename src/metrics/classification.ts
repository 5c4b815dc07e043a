/**
 * Exact classification scores of whole prediction sets (plain functions, no state, no
 * bucketing; browser-safe): confusion matrix, a per-class precision / recall / F1 /
 * support report with micro, macro and support-weighted averages, ROC AUC by sorting
 * (trapezoids through every distinct score, tied scores one step), and average precision
 * (the step-wise area under the precision–recall curve). They agree with scikit-learn's
 * confusion_matrix, precision_recall_fscore_support (labels = every class, zero_division
 * 0), roc_auc_score and average_precision_score. For the streaming, Keras-exact metrics
 * that compile logs, see metrics.precision / recall / auc / f1Score.
 */
import { show } from '../core/errors.js';

/** Check that a value is a list of numbers (or booleans), and return its length. */
function listLength(v: unknown, what: string): number {
  if (v === null || typeof v !== 'object' || typeof (v as ArrayLike<unknown>).length !== 'number') {
    throw new TypeError(`${what} must be an array of numbers, got ${v === null ? 'null' : typeof v}`);
  }
  return (v as ArrayLike<unknown>).length;
}

function checkWeights(weights: ArrayLike<number> | null | undefined, n: number, where: string): ArrayLike<number> | null {
  if (weights === undefined || weights === null) return null;
  if (listLength(weights, `${where}: weights`) !== n) throw new RangeError(`${where}: ${listLength(weights, 'weights')} weights for ${n} samples`);
  for (let i = 0; i < n; i++) {
    const w = weights[i]!;
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) throw new RangeError(`${where}: weights[${i}] must be a finite number ≥ 0, got ${show(w)}`);
  }
  return weights;
}

function checkClassIndices(a: ArrayLike<number>, numClasses: number, what: string): void {
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= numClasses) {
      throw new RangeError(`${what}[${i}] must be a class index in [0, ${numClasses}), got ${show(v)}`);
    }
  }
}

/**
 * Counts [true class][predicted class] (rows: truth, columns: prediction, as Keras and
 * scikit-learn), each sample adding its weight (default 1).
 */
export function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number, weights?: ArrayLike<number> | null): number[][] {
  const where = 'confusionMatrix';
  if (typeof numClasses !== 'number' || !Number.isInteger(numClasses) || numClasses < 1) {
    throw new RangeError(`${where}: numClasses must be a positive integer, got ${show(numClasses)}`);
  }
  const n = listLength(yTrue, `${where}: yTrue`);
  if (listLength(yPred, `${where}: yPred`) !== n) throw new RangeError(`${where}: ${n} true labels but ${yPred.length} predictions`);
  checkClassIndices(yTrue, numClasses, `${where}: yTrue`);
  checkClassIndices(yPred, numClasses, `${where}: yPred`);
  const w = checkWeights(weights, n, where);
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < n; i++) m[yTrue[i]!]![yPred[i]!]! += w === null ? 1 : w[i]!;
  return m;
}

/** Precision, recall, F1 and support (weighted count of samples whose true class it is). */
export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface ClassificationScores {
  /** Per class, in class-index order, with its name. */
  classes: (ClassMetrics & { name: string })[];
  /** Share (weighted) of samples whose predicted class is the true one. */
  accuracy: number;
  /** From the summed counts over every class; for single-label data precision = recall = F1 = accuracy. */
  micro: ClassMetrics;
  /** Unweighted mean over every class, including classes absent from the data (their scores are 0). */
  macro: ClassMetrics;
  /** Mean weighted by support. */
  weighted: ClassMetrics;
  /** Counts [true class][predicted class]. */
  confusion: number[][];
}

const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);
const f1Of = (p: number, r: number): number => (p + r === 0 ? 0 : (2 * p * r) / (p + r));

/**
 * scikit-learn-style classification report from class indices: per class precision
 * tp/(tp+fp), recall tp/(tp+fn) and F1 (0 where undefined, scikit-learn's zero_division
 * 0), with support; accuracy; micro, macro and weighted averages over all numClasses
 * classes. `classNames` (default '0', '1', …) name the classes; `weights` weight samples.
 */
export function classificationReport(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  numClasses: number,
  options: { classNames?: readonly string[]; weights?: ArrayLike<number> | null } = {},
): ClassificationScores {
  const where = 'classificationReport';
  const confusion = confusionMatrix(yTrue, yPred, numClasses, options.weights);
  const names = options.classNames ?? Array.from({ length: numClasses }, (_, k) => String(k));
  if (!Array.isArray(names) || names.length !== numClasses) {
    throw new RangeError(`${where}: classNames must list ${numClasses} names, got ${show(options.classNames)}`);
  }
  const K = numClasses;
  let total = 0;
  let correct = 0;
  const classes: ClassificationScores['classes'] = [];
  for (let k = 0; k < K; k++) {
    let predicted = 0;
    let support = 0;
    for (let j = 0; j < K; j++) {
      predicted += confusion[j]![k]!;
      support += confusion[k]![j]!;
    }
    const tp = confusion[k]![k]!;
    total += support;
    correct += tp;
    const precision = ratio(tp, predicted);
    const recall = ratio(tp, support);
    classes.push({ name: String(names[k]), precision, recall, f1: f1Of(precision, recall), support });
  }
  const accuracy = ratio(correct, total);
  const mean = (key: 'precision' | 'recall' | 'f1', weighted: boolean): number => {
    let s = 0;
    for (const c of classes) s += c[key] * (weighted ? c.support : 1);
    return weighted ? ratio(s, total) : s / K;
  };
  // single-label: Σ fp = Σ fn = total − correct, so micro precision = recall = accuracy
  const micro = { precision: accuracy, recall: accuracy, f1: f1Of(accuracy, accuracy), support: total };
  const macro = { precision: mean('precision', false), recall: mean('recall', false), f1: mean('f1', false), support: total };
  const weighted = { precision: mean('precision', true), recall: mean('recall', true), f1: mean('f1', true), support: total };
  return { classes, accuracy, micro, macro, weighted, confusion };
}

/** The report as scikit-learn prints it: one line per class, then accuracy, macro avg, weighted avg. */
export function formatClassificationReport(report: ClassificationScores, digits = 2): string {
  const f = (v: number): string => v.toFixed(digits);
  const s = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(digits));
  const width = Math.max('weighted avg'.length, ...report.classes.map((c) => c.name.length));
  const col = Math.max(9, digits + 2);
  const head = `${''.padStart(width)} ${'precision'.padStart(col)} ${'recall'.padStart(col)} ${'f1-score'.padStart(col)} ${'support'.padStart(col)}`;
  const row = (name: string, m: ClassMetrics): string =>
    `${name.padStart(width)} ${f(m.precision).padStart(col)} ${f(m.recall).padStart(col)} ${f(m.f1).padStart(col)} ${s(m.support).padStart(col)}`;
  const lines = [head, ''];
  for (const c of report.classes) lines.push(row(c.name, c));
  lines.push('');
  lines.push(`${'accuracy'.padStart(width)} ${''.padStart(col)} ${''.padStart(col)} ${f(report.accuracy).padStart(col)} ${s(report.micro.support).padStart(col)}`);
  lines.push(row('macro avg', report.macro));
  lines.push(row('weighted avg', report.weighted));
  return lines.join('\n');
}

/**
 * Scores sorted descending with their labels and weights, grouped by distinct score:
 * calls `step(tp, fp)` with the cumulative weighted positives and negatives after each
 * group. Returns the totals [P, N]. Checks the inputs.
 */
function sweep(
  scores: ArrayLike<number>,
  labels: ArrayLike<number | boolean>,
  weights: ArrayLike<number> | null | undefined,
  where: string,
  step: (tp: number, fp: number) => void,
): [number, number] {
  const n = listLength(scores, `${where}: scores`);
  if (listLength(labels, `${where}: labels`) !== n) throw new RangeError(`${where}: ${n} scores but ${labels.length} labels`);
  const w = checkWeights(weights, n, where);
  const order = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const s = scores[i]!;
    if (typeof s !== 'number' || Number.isNaN(s)) throw new RangeError(`${where}: scores[${i}] must be a number, got ${show(s)}`);
    const l = labels[i]!;
    if (l !== 0 && l !== 1 && l !== true && l !== false) throw new RangeError(`${where}: labels[${i}] must be 0 or 1, got ${show(l)}`);
    order[i] = i;
  }
  order.sort((a, b) => (scores[a]! > scores[b]! ? -1 : scores[a]! < scores[b]! ? 1 : 0));
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < n; ) {
    const s = scores[order[i]!]!;
    for (; i < n && scores[order[i]!]! === s; i++) {
      const k = order[i]!;
      const wk = w === null ? 1 : w[k]!;
      if (labels[k] === 1 || labels[k] === true) tp += wk;
      else fp += wk;
    }
    step(tp, fp);
  }
  return [tp, fp];
}

/**
 * Exact area under the ROC curve: the trapezoid rule through (FPR, TPR) at every distinct
 * score (samples with equal scores form one diagonal step), from (0, 0) to (1, 1).
 * labels are 0/1; weights (optional, ≥ 0) weight samples. RangeError when the labels
 * (of positive weight) are all one class: the ROC AUC is then undefined.
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>, weights?: ArrayLike<number> | null): number {
  let area = 0;
  let tp0 = 0;
  let fp0 = 0;
  const [P, N] = sweep(scores, labels, weights, 'rocAuc', (tp, fp) => {
    area += ((fp - fp0) * (tp + tp0)) / 2;
    tp0 = tp;
    fp0 = fp;
  });
  if (P === 0 || N === 0) throw new RangeError(`rocAuc: the ROC AUC is undefined with ${P === 0 ? 'no positive' : 'no negative'} samples`);
  return area / (P * N);
}

/**
 * Exact average precision (area under the precision–recall curve, step-wise, as
 * scikit-learn's average_precision_score): Σ (Rₖ − Rₖ₋₁)·Pₖ over the distinct scores,
 * descending, each tie group one step. RangeError when no sample (of positive weight) is positive.
 */
export function prAuc(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>, weights?: ArrayLike<number> | null): number {
  let sum = 0;
  let tp0 = 0;
  const [P] = sweep(scores, labels, weights, 'prAuc', (tp, fp) => {
    if (tp > tp0) sum += (tp - tp0) * (tp / (tp + fp));
    tp0 = tp;
  });
  if (P === 0) throw new RangeError('prAuc: the average precision is undefined with no positive samples');
  return sum / P;
}
