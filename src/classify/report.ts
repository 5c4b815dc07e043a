/**
 * A classifier's scores on labelled data, from its probabilities: the exact report of
 * metrics/classification.ts (per-class precision, recall, F1, support; micro, macro and
 * weighted averages; confusion) plus, per class, the exact ROC AUC and average precision of
 * its probability (one class against the rest, over every threshold). Single-label
 * predictions are the most probable class; multi-label ones every class at or above the
 * threshold (each label scored as its own binary problem). Browser-safe.
 */
import { classificationReport, prAuc, rocAuc, type ClassMetrics } from '../metrics/classification.js';

export interface ClassScores extends ClassMetrics {
  name: string;
  /** Area under the ROC curve of this class's probability (NaN when the class is absent or everywhere). */
  rocAuc: number;
  /** Average precision (step-wise area under the precision–recall curve); NaN when the class is absent. */
  averagePrecision: number;
}

export interface AveragedScores extends ClassMetrics {
  /** Over the classes where the ROC AUC is defined. */
  rocAuc: number;
}

export interface ClassifierReport {
  /** Texts scored. */
  count: number;
  /** Share of texts whose predicted label (multi-label: whose whole label set) is right. */
  accuracy: number;
  classes: ClassScores[];
  /** From counts summed over the classes. */
  micro: ClassMetrics;
  /** Unweighted mean over the classes. */
  macro: AveragedScores;
  /** Mean weighted by support. */
  weighted: AveragedScores;
  /** Single-label: counts [true class][predicted class]. Multi-label: per class [[TN, FP], [FN, TP]]. */
  confusion: number[][] | number[][][];
}

/** probs [N, K] and truth [N, K] (0/1; exactly one 1 per row unless multiLabel). */
export function classifierReport(probs: Float32Array, truth: Float32Array, classes: readonly string[], options: { multiLabel: boolean; threshold: number }): ClassifierReport {
  const K = classes.length;
  const N = probs.length / K;
  if (!Number.isInteger(N) || truth.length !== probs.length) throw new RangeError(`classifierReport: probabilities and truth must both be [N, ${K}]`);
  for (let i = 0; i < probs.length; i++) if (Number.isNaN(probs[i]!)) throw new RangeError(`classifierReport: the probability of text ${Math.floor(i / K) + 1} is NaN`);
  const column = (a: Float32Array, k: number): Float64Array => Float64Array.from({ length: N }, (_, n) => a[n * K + k]!);
  const curves = (k: number): { rocAuc: number; averagePrecision: number } => {
    const scores = column(probs, k);
    const labels = column(truth, k);
    const positives = labels.reduce((s, l) => s + l, 0);
    return { rocAuc: positives === 0 || positives === N ? NaN : rocAuc(scores, labels), averagePrecision: positives === 0 ? NaN : prAuc(scores, labels) };
  };

  let perClass: ClassScores[];
  let accuracy: number;
  let micro: ClassMetrics;
  let confusion: number[][] | number[][][];
  let macro: ClassMetrics;
  let weighted: ClassMetrics;
  if (!options.multiLabel) {
    const argmax = (a: Float32Array, n: number): number => {
      let best = 0;
      for (let k = 1; k < K; k++) if (a[n * K + k]! > a[n * K + best]!) best = k;
      return best;
    };
    const yTrue = Int32Array.from({ length: N }, (_, n) => argmax(truth, n));
    const yPred = Int32Array.from({ length: N }, (_, n) => argmax(probs, n));
    const r = classificationReport(yTrue, yPred, K, { classNames: classes });
    perClass = r.classes.map((c, k) => ({ ...c, ...curves(k) }));
    ({ accuracy, micro, macro, weighted, confusion } = r);
  } else {
    // Each label a binary problem; its class 1 row is the label's scores.
    const said = (n: number, k: number): number => (probs[n * K + k]! >= options.threshold ? 1 : 0);
    const perLabel = classes.map((_, k) => classificationReport(Int32Array.from(column(truth, k)), Int32Array.from({ length: N }, (_, n) => said(n, k)), 2));
    perClass = perLabel.map((r, k) => ({ ...r.classes[1]!, name: classes[k]!, ...curves(k) }));
    confusion = perLabel.map((r) => r.confusion);
    let exact = 0;
    for (let n = 0; n < N; n++) {
      let same = true;
      for (let k = 0; k < K && same; k++) same = said(n, k) === truth[n * K + k];
      if (same) exact++;
    }
    accuracy = N === 0 ? 0 : exact / N;
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (const m of confusion) {
      tp += m[1]![1]!;
      fp += m[0]![1]!;
      fn += m[1]![0]!;
    }
    const p = tp + fp === 0 ? 0 : tp / (tp + fp);
    const rc = tp + fn === 0 ? 0 : tp / (tp + fn);
    const support = perClass.reduce((s, c) => s + c.support, 0);
    micro = { precision: p, recall: rc, f1: p + rc === 0 ? 0 : (2 * p * rc) / (p + rc), support };
    const mean = (key: 'precision' | 'recall' | 'f1', byWeight: boolean): number => {
      const total = byWeight ? support : K;
      return total === 0 ? 0 : perClass.reduce((s, c) => s + c[key] * (byWeight ? c.support : 1), 0) / total;
    };
    macro = { precision: mean('precision', false), recall: mean('recall', false), f1: mean('f1', false), support };
    weighted = { precision: mean('precision', true), recall: mean('recall', true), f1: mean('f1', true), support };
  }
  const meanAuc = (byWeight: boolean): number => {
    let s = 0;
    let w = 0;
    for (const c of perClass) {
      if (Number.isNaN(c.rocAuc)) continue;
      const cw = byWeight ? c.support : 1;
      s += cw * c.rocAuc;
      w += cw;
    }
    return w === 0 ? NaN : s / w;
  };
  return { count: N, accuracy, classes: perClass, micro, macro: { ...macro, rocAuc: meanAuc(false) }, weighted: { ...weighted, rocAuc: meanAuc(true) }, confusion };
}

/** The report as text: a per-class table with averages, then the confusion matrix. */
export function formatClassifierReport(r: ClassifierReport, options: { title?: string } = {}): string {
  const f = (x: number): string => (Number.isNaN(x) ? '—' : x.toFixed(3));
  const width = Math.max(12, ...r.classes.map((c) => c.name.length));
  const pad = (s: string): string => s.padEnd(width);
  const row = (name: string, p: number, rc: number, f1: number, auc: number, ap: string, support: number): string =>
    `${pad(name)}  ${f(p).padStart(9)}  ${f(rc).padStart(6)}  ${f(f1).padStart(5)}  ${f(auc).padStart(7)}  ${ap.padStart(8)}  ${String(support).padStart(7)}`;
  const lines: string[] = [];
  if (options.title !== undefined) lines.push(options.title);
  lines.push(`${pad('class')}  precision  recall     f1  roc_auc  avg_prec  support`);
  for (const c of r.classes) lines.push(row(c.name, c.precision, c.recall, c.f1, c.rocAuc, f(c.averagePrecision), c.support));
  lines.push(row('macro avg', r.macro.precision, r.macro.recall, r.macro.f1, r.macro.rocAuc, '', r.macro.support));
  lines.push(row('weighted avg', r.weighted.precision, r.weighted.recall, r.weighted.f1, r.weighted.rocAuc, '', r.weighted.support));
  lines.push(`accuracy ${f(r.accuracy)} on ${r.count} texts`);
  lines.push('');
  if (Array.isArray(r.confusion[0]?.[0])) {
    lines.push('confusion per label: [[TN, FP], [FN, TP]]');
    (r.confusion as number[][][]).forEach((m, k) => lines.push(`${pad(r.classes[k]!.name)}  [[${m[0]!.join(', ')}], [${m[1]!.join(', ')}]]`));
  } else {
    const m = r.confusion as number[][];
    const cell = Math.max(6, ...r.classes.map((c) => c.name.length), ...m.flat().map((x) => String(x).length));
    lines.push('confusion (rows: true class, columns: predicted)');
    lines.push(`${pad('')}  ${r.classes.map((c) => c.name.padStart(cell)).join(' ')}`);
    m.forEach((row, k) => lines.push(`${pad(r.classes[k]!.name)}  ${row.map((x) => String(x).padStart(cell)).join(' ')}`));
  }
  return lines.join('\n');
}
