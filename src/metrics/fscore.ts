/**
 * F-scores (Keras 3 `metrics/f_score_metrics.py`): FBetaScore and F1Score (beta 1).
 * Per class (column) the metric accumulates, over every batch since `reset`,
 *   tp += w·ŷ·y   fp += w·ŷ·(1 − y)   fn += w·(1 − ŷ)·y   support += w·y
 * with ŷ the binarised prediction — ŷ > threshold, or with threshold null the row's
 * maxima (every column equal to the row maximum, if |ŷ| > 1e-9) — and y the target as a
 * number (Keras does not binarise it). Then, with ε = 1e-7 as Keras:
 *   precision = tp/(tp + fp + ε), recall = tp/(tp + fn + ε),
 *   F = (1 + β²)·precision·recall / (β²·precision + recall + ε)
 * average: null → one F per class; 'micro' → F of the summed counts; 'macro' → mean of
 * the per-class F; 'weighted' → Σ F·support / (Σ support + ε).
 *
 * average null gives a vector, as in Keras: `results()` returns it; `result()` (one
 * number) returns it only with one class and refuses otherwise, and compile refuses
 * such a metric for a model with several output columns (naming `average`). Compile also
 * refuses threshold null for a one-column output, where Keras's argmax rule makes every
 * nonzero prediction positive. By name ('f1_score', 'fbeta_score', …) compile picks a
 * number-valued form: threshold 0.5 for one column, average 'macro' for several.
 *
 * Layout: yPred [rows, cols]; yTrue [rows, cols], or [rows] class indices when sparse
 * and cols > 1 (read as one-hot rows: an extension, Keras needs one-hot targets);
 * weights per row (skipped when 0).
 */
import { checkOptions, show } from '../core/errors.js';
import { Metric, checkMetricName } from './metric.js';
import type { BaseMetricOptions, MetricConfig, MetricContext } from './metric.js';

const EPSILON = 1e-7;
/** Keras compares |ŷ| > 1e-9 in float32. */
const TINY = Math.fround(1e-9);

export type FScoreAverage = null | 'micro' | 'macro' | 'weighted';

export interface FBetaScoreOptions extends BaseMetricOptions {
  /** null (default: one score per class), 'micro', 'macro' or 'weighted'. */
  average?: FScoreAverage;
  /** Weight of recall in the harmonic mean, > 0. Default 1. */
  beta?: number;
  /** ŷ counts as 1 iff ŷ > threshold, in (0, 1]; null (default): the row's argmax. */
  threshold?: number | null;
}
export type F1ScoreOptions = Omit<FBetaScoreOptions, 'beta'>;

export class FBetaScore extends Metric {
  readonly className: string = 'FBetaScore';
  readonly average: FScoreAverage;
  readonly beta: number;
  readonly threshold: number | null;
  private classes = 0;
  private tp = new Float64Array(0);
  private fp = new Float64Array(0);
  private fn = new Float64Array(0);
  private support = new Float64Array(0);

  constructor(options: FBetaScoreOptions = {}, where = 'FBetaScore', fallbackName = 'fbeta_score', supported: readonly string[] = ['name', 'average', 'beta', 'threshold']) {
    checkOptions(options, supported, where);
    super(checkMetricName(options.name, fallbackName, where));
    const average = options.average === undefined ? null : options.average;
    if (average !== null && average !== 'micro' && average !== 'macro' && average !== 'weighted') {
      throw new RangeError(`${where}: invalid average ${JSON.stringify(average)}; expected null, 'micro', 'macro' or 'weighted'`);
    }
    this.average = average;
    const beta = options.beta === undefined ? 1 : options.beta;
    if (typeof beta !== 'number' || !Number.isFinite(beta) || beta <= 0) throw new RangeError(`${where}: beta must be a number > 0, got ${show(beta)}`);
    this.beta = beta;
    const t = options.threshold === undefined ? null : options.threshold;
    if (t !== null && (typeof t !== 'number' || !(t > 0 && t <= 1))) {
      throw new RangeError(`${where}: threshold must be null or a number with 0 < threshold <= 1, got ${show(t)}`);
    }
    this.threshold = t;
  }

  override reset(): void {
    super.reset();
    this.tp.fill(0);
    this.fp.fill(0);
    this.fn.fill(0);
    this.support.fill(0);
  }

  update(
    yPred: Float32Array,
    yTrue: Float32Array,
    rows: number,
    cols: number,
    sparseTargets: boolean,
    weights: Float32Array | null = null,
  ): void {
    if (this.classes === 0) {
      this.classes = cols;
      this.tp = new Float64Array(cols);
      this.fp = new Float64Array(cols);
      this.fn = new Float64Array(cols);
      this.support = new Float64Array(cols);
    } else if (this.classes !== cols) {
      throw new RangeError(`metric '${this.name}' (${this.className}): built for ${this.classes} classes, got ${cols} prediction columns`);
    }
    const expand = sparseTargets && cols > 1;
    const { tp, fp, fn, support } = this;
    const t = this.threshold === null ? 0 : Math.fround(this.threshold);
    const argmax = this.threshold === null;
    for (let r = 0; r < rows; r++) {
      const w = weights === null ? 1 : weights[r]!;
      if (w === 0) continue;
      const o = r * cols;
      let max = 0;
      if (argmax) {
        max = yPred[o]!;
        for (let j = 1; j < cols; j++) if (yPred[o + j]! > max) max = yPred[o + j]!;
      }
      for (let j = 0; j < cols; j++) {
        const p = yPred[o + j]!;
        const yp = argmax ? (p >= max && Math.abs(p) > TINY ? 1 : 0) : p > t ? 1 : 0;
        const y = expand ? (yTrue[r] === j ? 1 : 0) : yTrue[o + j]!;
        tp[j] += w * yp * y;
        fp[j] += w * yp * (1 - y);
        fn[j] += w * (1 - yp) * y;
        support[j] += w * y;
      }
    }
  }

  private score(tp: number, fp: number, fn: number): number {
    const b2 = this.beta * this.beta;
    const precision = tp / (tp + fp + EPSILON);
    const recall = tp / (tp + fn + EPSILON);
    return ((precision * recall) / (b2 * precision + recall + EPSILON)) * (1 + b2);
  }

  /** One score per class with average null; otherwise the one averaged score. Nothing seen: [] (null) or [0]. */
  override results(): number[] {
    const K = this.classes;
    const { tp, fp, fn, support } = this;
    if (this.average === null) return Array.from({ length: K }, (_, j) => this.score(tp[j]!, fp[j]!, fn[j]!));
    if (K === 0) return [0];
    if (this.average === 'micro') {
      let a = 0;
      let b = 0;
      let c = 0;
      for (let j = 0; j < K; j++) {
        a += tp[j]!;
        b += fp[j]!;
        c += fn[j]!;
      }
      return [this.score(a, b, c)];
    }
    let sum = 0;
    if (this.average === 'macro') {
      for (let j = 0; j < K; j++) sum += this.score(tp[j]!, fp[j]!, fn[j]!);
      return [sum / K];
    }
    let total = 0;
    for (let j = 0; j < K; j++) total += support[j]!;
    for (let j = 0; j < K; j++) sum += this.score(tp[j]!, fp[j]!, fn[j]!) * (support[j]! / (total + EPSILON));
    return [sum];
  }

  override result(): number {
    const all = this.results();
    if (all.length > 1) {
      throw new RangeError(
        `metric '${this.name}' (${this.className}) with average null has one score per class (${all.length} classes): read results(), not result(), ` +
          `or pass average 'micro', 'macro' or 'weighted'`,
      );
    }
    return all.length === 0 ? 0 : all[0]!;
  }

  override validate(ctx: MetricContext): void {
    if (this.average === null && ctx.predWidth > 1) {
      throw new RangeError(
        `metric '${this.name}' (${this.className}): average null gives one score per class (${ctx.predWidth} here), ` +
          `but a compiled metric logs one number: pass average 'micro', 'macro' or 'weighted', ` +
          `or score per class after predict (classificationReport)`,
      );
    }
    if (this.threshold === null && ctx.predWidth === 1) {
      throw new RangeError(
        `metric '${this.name}' (${this.className}): threshold null takes each row's argmax, which with one output column ` +
          `counts every nonzero prediction as positive; pass a threshold, e.g. 0.5`,
      );
    }
  }

  override getConfig(): MetricConfig {
    const config: MetricConfig = { ...super.getConfig(), beta: this.beta };
    if (this.average !== null) config.average = this.average;
    if (this.threshold !== null) config.threshold = this.threshold;
    return config;
  }
}

export class F1Score extends FBetaScore {
  override readonly className: string = 'F1Score';

  constructor(options: F1ScoreOptions = {}) {
    super(options, 'F1Score', 'f1_score', ['name', 'average', 'threshold']);
  }

  override getConfig(): MetricConfig {
    const { beta, ...rest } = super.getConfig();
    void beta;
    return rest;
  }
}

/** F-beta score; see {@link FBetaScoreOptions}. */
export function fbetaScore(options?: FBetaScoreOptions): FBetaScore {
  return new FBetaScore(options);
}

/** F1 score (F-beta with beta 1); see {@link F1ScoreOptions}. */
export function f1Score(options?: F1ScoreOptions): F1Score {
  return new F1Score(options);
}
