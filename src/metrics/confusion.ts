/**
 * Confusion-count metrics (Keras 3 `metrics/confusion_metrics.py` and
 * `metrics_utils.update_confusion_matrix_variables`): Precision, Recall, AUC. Each keeps
 * weighted counts of true/false positives/negatives over every batch since `reset` and
 * computes its result from those counts, so several batches give exactly what one batch
 * of the same rows gives (never a mean of per-batch values).
 *
 * A prediction p is positive at threshold t iff p > t (strictly), compared in float32 as
 * Keras casts the thresholds to the predictions' dtype. Targets are positive iff nonzero
 * (Keras casts y_true to bool). Every element of a row carries the row's weight; a row
 * with weight 0 is skipped (its prediction may be NaN).
 *
 * Keras's two counting paths are both reproduced:
 *   - thresholds evenly spaced over [0, 1] (≥ 3 of them, `np.allclose` to i/(n−1)), and
 *     AUC's default thresholds: predictions are clipped to [0, 1] and bucketed as
 *     ceil(p·(n−1)) − 1 in float32 (AUC's epsilon-padded end thresholds lift bucket −1
 *     to 0), exactly as `_update_confusion_matrix_variables_optimized`;
 *   - any other thresholds: the plain comparison p > t, without clipping.
 *
 * Layout: yPred [rows, cols]; yTrue [rows, cols], or [rows] class indices when
 * sparseTargets and cols > 1 — read as one-hot rows (an extension: Keras cannot score
 * class-index targets with these metrics). With cols = 1 the two layouts coincide.
 *
 * Several thresholds make Precision/Recall vector-valued in Keras: `results()` returns
 * one value per threshold, `result()` (one number, what compile logs) refuses, and
 * compile refuses such a metric with a message naming `thresholds`.
 */
import { checkBoolean, checkOptions, checkPositiveInt, table, show } from '../core/errors.js';
import { Metric, checkMetricName } from './metric.js';
import type { BaseMetricOptions, MetricConfig, MetricContext } from './metric.js';

/** Keras `backend.epsilon()`. */
export const EPSILON = 1e-7;
/** Keras `metrics_utils.NEG_INF`: the threshold used with topK and no thresholds. */
export const NEG_INF = -1e10;

const divNoNan = (a: number, b: number): number => (b === 0 ? 0 : a / b);

/** Keras `is_evenly_distributed_thresholds`: ≥ 3 values, np.allclose(t, arange(n, float32)/(n − 1), atol = 1e-7). */
function evenlyDistributed(t: readonly number[]): boolean {
  const n = t.length;
  if (n < 3) return false;
  for (let i = 0; i < n; i++) {
    const even = Math.fround(i / (n - 1));
    if (!(Math.abs(t[i]! - even) <= EPSILON + 1e-5 * Math.abs(even))) return false;
  }
  return true;
}

/**
 * Weighted counts at T ascending thresholds for `slots` independent labels. A prediction
 * lands in bucket c = how many thresholds lie strictly below it (0..T); the counts at
 * threshold i are then the sums over buckets c > i.
 */
class ThresholdCounts {
  readonly T: number;
  /** float32 thresholds, ascending (plain comparison path). */
  private readonly sorted: Float64Array;
  private readonly evenly: boolean;
  private readonly withEpsilon: boolean;
  slots = 0;
  /** [slots, T + 1] weight of positive / negative targets per bucket. */
  pos = new Float64Array(0);
  neg = new Float64Array(0);

  constructor(sortedThresholds: readonly number[], evenly: boolean, withEpsilon: boolean) {
    this.T = sortedThresholds.length;
    this.sorted = Float64Array.from(sortedThresholds, (t) => Math.fround(t));
    this.evenly = evenly;
    this.withEpsilon = withEpsilon;
  }

  allocate(slots: number): void {
    this.slots = slots;
    this.pos = new Float64Array(slots * (this.T + 1));
    this.neg = new Float64Array(slots * (this.T + 1));
  }

  reset(): void {
    this.pos.fill(0);
    this.neg.fill(0);
  }

  /** How many thresholds a float32 prediction is above (NaN: none). */
  bucket(p: number): number {
    if (this.evenly) {
      if (Number.isNaN(p)) return 0;
      const q = p < 0 ? 0 : p > 1 ? 1 : p;
      let b = Math.ceil(Math.fround(q * (this.T - 1))) - 1;
      if (b < 0) {
        if (!this.withEpsilon) return 0;
        b = 0;
      }
      return b + 1;
    }
    const t = this.sorted;
    let lo = 0;
    let hi = this.T;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (t[mid]! < p) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Fill tp/fp/tn/fn [T] (ascending thresholds) for one slot. */
  counts(slot: number, tp: Float64Array, fp: Float64Array, tn: Float64Array, fn: Float64Array): void {
    const T = this.T;
    const o = slot * (T + 1);
    let totalPos = 0;
    let totalNeg = 0;
    for (let c = 0; c <= T; c++) {
      totalPos += this.pos[o + c]!;
      totalNeg += this.neg[o + c]!;
    }
    let sp = 0;
    let sn = 0;
    for (let i = T - 1; i >= 0; i--) {
      sp += this.pos[o + i + 1]!;
      sn += this.neg[o + i + 1]!;
      tp[i] = sp;
      fp[i] = sn;
      fn[i] = totalPos - sp;
      tn[i] = totalNeg - sn;
    }
  }
}

/** Read the target of (row r, column j) as 0/1: one-hot from a class index when `expand`. */
function positiveAt(yTrue: Float32Array, r: number, j: number, cols: number, expand: boolean): boolean {
  return expand ? yTrue[r] === j : yTrue[r * cols + j] !== 0;
}

function checkThreshold(t: unknown, where: string): number {
  if (typeof t !== 'number' || !(t >= 0 && t <= 1)) {
    throw new RangeError(`${where}: threshold values must be in [0, 1], got ${show(t)}`);
  }
  return t;
}

function checkClassId(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new RangeError(`${where}: classId must be a non-negative integer, got ${show(v)}`);
  }
  return v;
}

// ---------------------------------------------------------------------------
// Precision / Recall

export interface PrecisionRecallOptions extends BaseMetricOptions {
  /**
   * Threshold(s) in [0, 1]: a prediction is positive iff strictly above. Default 0.5, or,
   * with topK, −1e10 (every top-k prediction is positive). Several thresholds give one
   * value each (`results()`); compile accepts only one per metric.
   */
  thresholds?: number | readonly number[];
  /** Only each row's k highest predictions can be positive (ties: lower column first). */
  topK?: number;
  /** Score only this column (after topK), in [0, cols). */
  classId?: number;
}
export type PrecisionOptions = PrecisionRecallOptions;
export type RecallOptions = PrecisionRecallOptions;

abstract class PrecisionRecallBase extends Metric {
  /** Thresholds in the order given (Keras `thresholds`). */
  readonly thresholds: readonly number[];
  readonly topK: number | undefined;
  readonly classId: number | undefined;
  private readonly initThresholds: number | readonly number[] | undefined;
  protected readonly counts: ThresholdCounts;
  /** Index in the ascending order of each given threshold. */
  private readonly rank: Int32Array;
  private topMask = new Uint8Array(0);
  private readonly tp: Float64Array;
  private readonly fp: Float64Array;
  private readonly tn: Float64Array;
  private readonly fn: Float64Array;

  protected constructor(options: PrecisionRecallOptions, where: string, fallbackName: string) {
    checkOptions(options, ['name', 'thresholds', 'topK', 'classId'], where);
    super(checkMetricName(options.name, fallbackName, where));
    this.topK = options.topK === undefined ? undefined : checkPositiveInt(options.topK, `${where}: topK`);
    this.classId = options.classId === undefined ? undefined : checkClassId(options.classId, where);
    const given = options.thresholds;
    this.initThresholds = Array.isArray(given) ? [...(given as number[])] : (given as number | undefined);
    let list: number[];
    if (given === undefined) list = [this.topK === undefined ? 0.5 : NEG_INF];
    else if (typeof given === 'number') list = [checkThreshold(given, where)];
    else if (Array.isArray(given)) {
      if (given.length === 0) throw new RangeError(`${where}: thresholds must not be empty`);
      list = given.map((t) => checkThreshold(t, where));
    } else throw new TypeError(`${where}: thresholds must be a number or a list of numbers, got ${show(given)}`);
    this.thresholds = list;
    const order = list.map((_, i) => i).sort((a, b) => list[a]! - list[b]! || a - b);
    this.rank = new Int32Array(list.length);
    order.forEach((idx, pos) => (this.rank[idx] = pos));
    // Keras takes the bucketed path when the thresholds (in the order given) are evenly spaced.
    const evenly = evenlyDistributed(list);
    this.counts = new ThresholdCounts(order.map((i) => list[i]!), evenly, false);
    this.counts.allocate(1);
    const T = list.length;
    this.tp = new Float64Array(T);
    this.fp = new Float64Array(T);
    this.tn = new Float64Array(T);
    this.fn = new Float64Array(T);
  }

  override reset(): void {
    super.reset();
    this.counts.reset();
  }

  update(
    yPred: Float32Array,
    yTrue: Float32Array,
    rows: number,
    cols: number,
    sparseTargets: boolean,
    weights: Float32Array | null = null,
  ): void {
    const expand = sparseTargets && cols > 1;
    const k = this.topK;
    const cid = this.classId;
    if (cid !== undefined && cid >= cols) throw new RangeError(`metric '${this.name}' (${this.className}): classId ${cid} is outside the ${cols} prediction columns`);
    if (k !== undefined && k > cols) throw new RangeError(`metric '${this.name}' (${this.className}): topK ${k} is more than the ${cols} prediction columns`);
    if (k !== undefined && this.topMask.length < cols) this.topMask = new Uint8Array(cols);
    const mask = this.topMask;
    const counts = this.counts;
    const pos = counts.pos;
    const neg = counts.neg;
    const j0 = cid ?? 0;
    const j1 = cid === undefined ? cols : cid + 1;
    for (let r = 0; r < rows; r++) {
      const w = weights === null ? 1 : weights[r]!;
      if (w === 0) continue;
      const o = r * cols;
      if (k !== undefined) markTopK(yPred, o, cols, k, mask);
      for (let j = j0; j < j1; j++) {
        // Keras sets the predictions outside the top k to −1e10: positive at no threshold.
        const c = k !== undefined && mask[j] === 0 ? 0 : counts.bucket(yPred[o + j]!);
        if (positiveAt(yTrue, r, j, cols, expand)) pos[c] += w;
        else neg[c] += w;
      }
    }
  }

  /** One value per threshold, in the order given. */
  abstract override results(): number[];

  /** Counts at each threshold (in the order given): tp, fp, tn, fn. */
  confusion(): { tp: number[]; fp: number[]; tn: number[]; fn: number[] } {
    this.counts.counts(0, this.tp, this.fp, this.tn, this.fn);
    const pick = (a: Float64Array): number[] => this.thresholds.map((_, i) => a[this.rank[i]!]!);
    return { tp: pick(this.tp), fp: pick(this.fp), tn: pick(this.tn), fn: pick(this.fn) };
  }

  protected perThreshold(f: (tp: number, fp: number, fn: number) => number): number[] {
    this.counts.counts(0, this.tp, this.fp, this.tn, this.fn);
    return this.thresholds.map((_, i) => {
      const s = this.rank[i]!;
      return f(this.tp[s]!, this.fp[s]!, this.fn[s]!);
    });
  }

  override result(): number {
    if (this.thresholds.length !== 1) {
      throw new RangeError(
        `metric '${this.name}' (${this.className}) has ${this.thresholds.length} thresholds and one value for each: read results(), not result()`,
      );
    }
    return this.results()[0]!;
  }

  override validate(ctx: MetricContext): void {
    if (this.thresholds.length !== 1) {
      throw new RangeError(
        `metric '${this.name}' (${this.className}) has thresholds ${JSON.stringify(this.thresholds)}, one value each, ` +
          `but a compiled metric logs one number: compile one metric per threshold, ` +
          `e.g. metrics.${this.className === 'Precision' ? 'precision' : 'recall'}({ thresholds: ${this.thresholds[0]}, name: '…' }), ` +
          `or call results() on a standalone metric`,
      );
    }
    if (this.classId !== undefined && this.classId >= ctx.predWidth) {
      throw new RangeError(`metric '${this.name}' (${this.className}): classId ${this.classId} is outside the model's ${ctx.predWidth} output columns`);
    }
    if (this.topK !== undefined && this.topK > ctx.predWidth) {
      throw new RangeError(`metric '${this.name}' (${this.className}): topK ${this.topK} is more than the model's ${ctx.predWidth} output columns`);
    }
  }

  override getConfig(): MetricConfig {
    const config: MetricConfig = { ...super.getConfig() };
    if (this.initThresholds !== undefined) config.thresholds = typeof this.initThresholds === 'number' ? this.initThresholds : [...this.initThresholds];
    if (this.topK !== undefined) config.topK = this.topK;
    if (this.classId !== undefined) config.classId = this.classId;
    return config;
  }
}

/**
 * Mark the k largest of row [o, o + cols) in mask (1 = kept): TF `top_k` order, so among
 * equal values the lower column wins. No allocation.
 */
function markTopK(a: Float32Array, o: number, cols: number, k: number, mask: Uint8Array): void {
  mask.fill(0, 0, cols);
  for (let n = 0; n < k; n++) {
    let best = -1;
    for (let j = 0; j < cols; j++) {
      if (mask[j] === 1) continue;
      if (best < 0 || a[o + j]! > a[o + best]!) best = j;
    }
    mask[best] = 1;
  }
}

/** Keras Precision: tp / (tp + fp) from counts accumulated since reset (0 when nothing was predicted positive). */
export class Precision extends PrecisionRecallBase {
  readonly className = 'Precision';

  constructor(options: PrecisionOptions = {}) {
    super(options, 'Precision', 'precision');
  }

  results(): number[] {
    return this.perThreshold((tp, fp) => divNoNan(tp, tp + fp));
  }
}

/** Keras Recall: tp / (tp + fn) from counts accumulated since reset (0 when no target was positive). */
export class Recall extends PrecisionRecallBase {
  readonly className = 'Recall';

  constructor(options: RecallOptions = {}) {
    super(options, 'Recall', 'recall');
  }

  results(): number[] {
    return this.perThreshold((tp, _fp, fn) => divNoNan(tp, tp + fn));
  }
}

// ---------------------------------------------------------------------------
// AUC

export type AUCCurve = 'ROC' | 'PR' | 'PRGAIN';
export type AUCSummationMethod = 'interpolation' | 'minoring' | 'majoring';

export interface AUCOptions extends BaseMetricOptions {
  /** Thresholds used to discretise the curve, > 1; default 200 (evenly spaced over [0, 1]). Not with `thresholds`. */
  numThresholds?: number;
  /** 'ROC' (default), 'PR' (precision–recall) or 'PRGAIN' (precision–recall gain); Keras also takes 'roc', 'pr', 'prgain'. */
  curve?: AUCCurve | 'roc' | 'pr' | 'prgain';
  /**
   * 'interpolation' (default; for PR the Davis & Goadrich interpolation of Keras's
   * `interpolate_pr_auc`), 'minoring' or 'majoring' (Keras also takes the capitalised names).
   */
  summationMethod?: AUCSummationMethod | 'Interpolation' | 'Minoring' | 'Majoring';
  /** Explicit thresholds in [0, 1] (sorted here); −ε and 1 + ε are added. Not with `numThresholds`. */
  thresholds?: readonly number[];
  /** One AUC per column, then their mean (weighted by labelWeights if given); otherwise every element is one data point. */
  multiLabel?: boolean;
  /** Number of labels (columns); only with multiLabel. Checked against the model's output width. */
  numLabels?: number;
  /** Non-negative weight per column: with multiLabel, weights the per-label AUCs' mean; otherwise each element's count. */
  labelWeights?: readonly number[];
  /** Predictions are logits: a sigmoid is applied first. */
  fromLogits?: boolean;
}

const CURVES: Record<string, AUCCurve> = table({ ROC: 'ROC', roc: 'ROC', PR: 'PR', pr: 'PR', PRGAIN: 'PRGAIN', prgain: 'PRGAIN' });
const SUMMATIONS: Record<string, AUCSummationMethod> = table({
  interpolation: 'interpolation',
  Interpolation: 'interpolation',
  minoring: 'minoring',
  Minoring: 'minoring',
  majoring: 'majoring',
  Majoring: 'majoring',
});

/**
 * Keras AUC: bucketed confusion counts at `numThresholds` thresholds (−ε, the given or
 * evenly spaced ones, 1 + ε) accumulated since reset, then a Riemann sum over the curve.
 */
export class AUC extends Metric {
  readonly className = 'AUC';
  readonly numThresholds: number;
  readonly curve: AUCCurve;
  readonly summationMethod: AUCSummationMethod;
  readonly multiLabel: boolean;
  readonly numLabels: number | undefined;
  readonly labelWeights: readonly number[] | undefined;
  readonly fromLogits: boolean;
  /** Every threshold, ascending, with the −ε and 1 + ε ends (Keras `thresholds`). */
  readonly thresholds: readonly number[];
  private readonly initFromThresholds: boolean;
  private readonly counts: ThresholdCounts;
  private readonly tp: Float64Array;
  private readonly fp: Float64Array;
  private readonly tn: Float64Array;
  private readonly fn: Float64Array;

  constructor(options: AUCOptions = {}) {
    const where = 'AUC';
    checkOptions(options, ['name', 'numThresholds', 'curve', 'summationMethod', 'thresholds', 'multiLabel', 'numLabels', 'labelWeights', 'fromLogits'], where);
    super(checkMetricName(options.name, 'auc', where));
    const curve = options.curve ?? 'ROC';
    if (typeof curve !== 'string' || !(curve in CURVES)) throw new RangeError(`${where}: invalid curve ${JSON.stringify(curve)}; expected 'ROC', 'PR' or 'PRGAIN'`);
    this.curve = CURVES[curve]!;
    const sm = options.summationMethod ?? 'interpolation';
    if (typeof sm !== 'string' || !(sm in SUMMATIONS)) throw new RangeError(`${where}: invalid summationMethod ${JSON.stringify(sm)}; expected 'interpolation', 'majoring' or 'minoring'`);
    this.summationMethod = SUMMATIONS[sm]!;
    let inner: number[];
    let evenly: boolean;
    if (options.thresholds !== undefined) {
      if (options.numThresholds !== undefined) {
        throw new RangeError(`${where}: pass numThresholds or thresholds, not both (with thresholds, Keras ignores numThresholds)`);
      }
      if (!Array.isArray(options.thresholds)) throw new TypeError(`${where}: thresholds must be a list of numbers in [0, 1], got ${show(options.thresholds)}`);
      inner = (options.thresholds as number[]).map((t) => checkThreshold(t, where)).sort((a, b) => a - b);
      evenly = evenlyDistributed([0, ...inner, 1]);
      this.initFromThresholds = true;
    } else {
      const n = options.numThresholds ?? 200;
      if (typeof n !== 'number' || !Number.isInteger(n) || n <= 1) throw new RangeError(`${where}: numThresholds must be an integer > 1, got ${show(n)}`);
      inner = [];
      for (let i = 0; i < n - 2; i++) inner.push(((i + 1) * 1.0) / (n - 1));
      evenly = true;
      this.initFromThresholds = false;
    }
    this.thresholds = [0 - EPSILON, ...inner, 1 + EPSILON];
    this.numThresholds = this.thresholds.length;
    this.multiLabel = options.multiLabel === undefined ? false : checkBoolean(options.multiLabel, `${where}: multiLabel`);
    if (options.numLabels !== undefined) {
      if (!this.multiLabel) throw new RangeError(`${where}: numLabels is needed only when multiLabel is true`);
      this.numLabels = checkPositiveInt(options.numLabels, `${where}: numLabels`);
    } else this.numLabels = undefined;
    if (options.labelWeights !== undefined) {
      const lw = options.labelWeights;
      if (!Array.isArray(lw) || lw.length === 0 || !lw.every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0)) {
        throw new RangeError(`${where}: labelWeights must be a non-empty list of non-negative numbers, got ${show(lw)}`);
      }
      if (this.numLabels !== undefined && lw.length !== this.numLabels) throw new RangeError(`${where}: ${lw.length} labelWeights for numLabels ${this.numLabels}`);
      this.labelWeights = [...(lw as number[])];
    } else this.labelWeights = undefined;
    this.fromLogits = options.fromLogits === undefined ? false : checkBoolean(options.fromLogits, `${where}: fromLogits`);
    this.counts = new ThresholdCounts(this.thresholds, evenly, true);
    if (!this.multiLabel) this.counts.allocate(1);
    else if (this.numLabels !== undefined) this.counts.allocate(this.numLabels);
    const T = this.numThresholds;
    this.tp = new Float64Array(T);
    this.fp = new Float64Array(T);
    this.tn = new Float64Array(T);
    this.fn = new Float64Array(T);
  }

  override reset(): void {
    super.reset();
    this.counts.reset();
  }

  update(
    yPred: Float32Array,
    yTrue: Float32Array,
    rows: number,
    cols: number,
    sparseTargets: boolean,
    weights: Float32Array | null = null,
  ): void {
    const expand = sparseTargets && cols > 1;
    const counts = this.counts;
    if (this.multiLabel) {
      if (counts.slots === 0) counts.allocate(cols);
      else if (counts.slots !== cols) throw new RangeError(`metric '${this.name}' (AUC, multiLabel): built for ${counts.slots} labels, got ${cols} prediction columns`);
    }
    const lw = this.labelWeights;
    if (lw !== undefined && lw.length !== cols) throw new RangeError(`metric '${this.name}' (AUC): ${lw.length} labelWeights for ${cols} prediction columns`);
    // multiLabel: label weights only average the per-label AUCs (Keras)
    const elementWeights = lw !== undefined && !this.multiLabel ? lw : undefined;
    const stride = counts.T + 1;
    const pos = counts.pos;
    const neg = counts.neg;
    const logits = this.fromLogits;
    for (let r = 0; r < rows; r++) {
      const w = weights === null ? 1 : weights[r]!;
      if (w === 0) continue;
      const o = r * cols;
      for (let j = 0; j < cols; j++) {
        const x = yPred[o + j]!;
        const p = logits ? Math.fround(1 / (1 + Math.exp(-x))) : x;
        const c = counts.bucket(p) + (this.multiLabel ? j * stride : 0);
        const we = elementWeights === undefined ? w : w * elementWeights[j]!;
        if (positiveAt(yTrue, r, j, cols, expand)) pos[c] += we;
        else neg[c] += we;
      }
    }
  }

  /** Counts per threshold (ascending, as `thresholds`), per label with multiLabel. */
  confusion(): { tp: number[]; fp: number[]; tn: number[]; fn: number[] }[] {
    const out = [];
    for (let s = 0; s < this.counts.slots; s++) {
      this.counts.counts(s, this.tp, this.fp, this.tn, this.fn);
      out.push({ tp: [...this.tp], fp: [...this.fp], tn: [...this.tn], fn: [...this.fn] });
    }
    return out;
  }

  override result(): number {
    const slots = this.counts.slots;
    if (slots === 0) return 0;
    if (!this.multiLabel) return this.slotAuc(0);
    const lw = this.labelWeights;
    let sum = 0;
    let wsum = 0;
    for (let s = 0; s < slots; s++) {
      const a = this.slotAuc(s);
      const w = lw === undefined ? 1 : lw[s]!;
      sum += a * w;
      wsum += w;
    }
    return lw === undefined ? sum / slots : divNoNan(sum, wsum);
  }

  /** The AUC of one label slot, from its counts: Keras `AUC.result` / `interpolate_pr_auc`. */
  private slotAuc(slot: number): number {
    const { tp, fp, tn, fn } = this;
    this.counts.counts(slot, tp, fp, tn, fn);
    const T = this.numThresholds;
    let sum = 0;
    if (this.curve === 'PR' && this.summationMethod === 'interpolation') {
      for (let i = 0; i < T - 1; i++) {
        const dtp = tp[i]! - tp[i + 1]!;
        const pA = tp[i]! + fp[i]!;
        const pB = tp[i + 1]! + fp[i + 1]!;
        const slope = divNoNan(dtp, Math.max(pA - pB, 0));
        const intercept = tp[i + 1]! - slope * pB;
        const ratio = pA > 0 && pB > 0 ? divNoNan(pA, Math.max(pB, 0)) : 1;
        sum += divNoNan(slope * (dtp + intercept * Math.log(ratio)), Math.max(tp[i + 1]! + fn[i + 1]!, 0));
      }
      return sum;
    }
    const xy = (i: number): [number, number] => {
      const recall = divNoNan(tp[i]!, tp[i]! + fn[i]!);
      if (this.curve === 'ROC') return [divNoNan(fp[i]!, fp[i]! + tn[i]!), recall];
      if (this.curve === 'PR') return [recall, divNoNan(tp[i]!, tp[i]! + fp[i]!)];
      // PRGAIN (Keras: recall gain 0 and precision gain 1 where tp = 0; recall gain ≥ 0)
      const scale = divNoNan(tp[i]! + fn[i]!, tn[i]! + fp[i]!);
      let rg = 1 - scale * divNoNan(fn[i]!, tp[i]!);
      let pg = 1 - scale * divNoNan(fp[i]!, tp[i]!);
      if (tp[i] === 0) {
        rg = 0;
        pg = 1;
      }
      return [Math.max(rg, 0), pg];
    };
    let [x0, y0] = xy(0);
    for (let i = 0; i < T - 1; i++) {
      const [x1, y1] = xy(i + 1);
      const h = this.summationMethod === 'interpolation' ? (y0 + y1) / 2 : this.summationMethod === 'minoring' ? Math.min(y0, y1) : Math.max(y0, y1);
      sum += (x0 - x1) * h;
      x0 = x1;
      y0 = y1;
    }
    return sum;
  }

  override validate(ctx: MetricContext): void {
    if (this.multiLabel && this.numLabels !== undefined && this.numLabels !== ctx.predWidth) {
      throw new RangeError(`metric '${this.name}' (AUC): numLabels ${this.numLabels}, but the model has ${ctx.predWidth} output columns`);
    }
    if (this.labelWeights !== undefined && this.labelWeights.length !== ctx.predWidth) {
      throw new RangeError(`metric '${this.name}' (AUC): ${this.labelWeights.length} labelWeights, but the model has ${ctx.predWidth} output columns`);
    }
  }

  override getConfig(): MetricConfig {
    // with explicit thresholds, numThresholds follows from them (and the constructor takes one or the other)
    const config: MetricConfig = {
      ...super.getConfig(),
      ...(this.initFromThresholds ? {} : { numThresholds: this.numThresholds }),
      curve: this.curve,
      summationMethod: this.summationMethod,
      multiLabel: this.multiLabel,
      fromLogits: this.fromLogits,
    };
    if (this.numLabels !== undefined) config.numLabels = this.numLabels;
    if (this.labelWeights !== undefined) config.labelWeights = [...this.labelWeights];
    if (this.initFromThresholds) config.thresholds = this.thresholds.slice(1, -1);
    return config;
  }
}

/** Precision; see {@link PrecisionRecallOptions}. */
export function precision(options?: PrecisionOptions): Precision {
  return new Precision(options);
}

/** Recall; see {@link PrecisionRecallOptions}. */
export function recall(options?: RecallOptions): Recall {
  return new Recall(options);
}

/** Area under the ROC or PR curve; see {@link AUCOptions}. */
export function auc(options?: AUCOptions): AUC {
  return new AUC(options);
}
