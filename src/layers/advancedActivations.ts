/**
 * The activation layers with options (Keras's "advanced activations"; tfjs names):
 * ReLU, LeakyReLU, ELU, ThresholdedReLU (one function per element, fixed parameters),
 * PReLU (a learned slope per element, shared along chosen axes) and Softmax (along any
 * axis). Keras 3 semantics:
 *
 *   ReLU            y = x > θ ? min(x, maxValue) : negativeSlope · (x − θ)
 *   LeakyReLU       y = x > 0 ? x : α · x
 *   ELU             y = x > 0 ? x : α · (eˣ − 1)
 *   ThresholdedReLU y = x > θ ? x : 0
 *   PReLU           y = x > 0 ? x : α[i] · x, α a weight ('alpha', zeros by default)
 *   Softmax         y = e^(x − max) / Σ e^(x − max) along `axis`
 *
 * Input of any rank ([batch, features], [batch, time, features], …); only the first
 * per-sample axis (time) may be open. The step mask passes through (Keras: supports_masking)
 * except into Softmax, which Keras would add to its scores as a [batch, time] tensor that
 * does not broadcast against them: refused there rather than computed some other way.
 */
import { checkNumberIn, show } from '../core/errors.js';
import { formatShape } from '../core/tensor.js';
import type { Rng } from '../core/rng.js';
import { getInitializer, serializeInitializer, type Initializer, type InitializerIdentifier } from '../initializers/index.js';
import { getRegularizer, serializeRegularizer, type Regularizer, type RegularizerIdentifier } from '../regularizers/index.js';
import { getConstraint, serializeConstraint, type Constraint, type ConstraintIdentifier } from '../constraints/index.js';
import { SameShapeLayer, checkLayerOptions, ensure, type LayerArgs, type LayerWeight, type Shape } from './layer.js';
import { checkAxisOption } from './layerNormalization.js';
import { broadcastIndex } from './broadcast.js';

/** Per-sample shape checks shared by these layers: a feature axis, only time open. */
function checkSampleShape(inputShape: Shape, where: string): void {
  const full = formatShape([null, ...inputShape]);
  if (inputShape.length === 0) throw new RangeError(`${where}: expected input with a feature axis ([batch, features] or [batch, time, features]), got ${full}`);
  if (inputShape.slice(1).some((d) => d === null) || (inputShape.length === 1 && inputShape[0] === null)) {
    throw new RangeError(`${where}: only the time axis (the first per-sample axis of a rank ≥ 3 input) may be open, got ${full}`);
  }
}

/** Values per time step (rank ≥ 3 input) or per sample (rank 2). */
const perStep = (inputShape: Shape): number => (inputShape.length >= 2 ? inputShape.slice(1) : inputShape).reduce<number>((a, b) => a * b!, 1);

/**
 * A layer that applies one function to every element: y = f(x), dx = dy · f'(x) (f'
 * from x and y). Subclasses give f and f' and their options.
 */
abstract class ElementwiseActivation extends SameShapeLayer {
  private step = 0;
  private x: Float32Array = new Float32Array(0);
  private out: Float32Array = new Float32Array(0);
  private dx: Float32Array = new Float32Array(0);

  protected abstract f(x: number): number;
  /** dy/dx at input x with output y. */
  protected abstract df(x: number, y: number): number;

  computeOutputShape(inputShape: Shape): Shape {
    checkSampleShape(inputShape, this.where);
    return [...inputShape];
  }

  protected createWeights(inputShape: Shape, _rng: Rng): void {
    this.step = perStep(inputShape);
  }


  forward(x: Float32Array, B: number, T: number, _training: boolean, _mask: Float32Array | null): Float32Array {
    const n = B * (this.hasTime ? T : 1) * this.step;
    this.out = ensure(this.out, n);
    this.x = x;
    const out = this.out;
    for (let i = 0; i < n; i++) out[i] = this.f(x[i]!);
    return out;
  }

  backward(dy: Float32Array, B: number, T: number, needDx: boolean): Float32Array | null {
    if (!needDx) return null;
    const n = B * (this.hasTime ? T : 1) * this.step;
    this.dx = ensure(this.dx, n);
    const { x, out, dx } = this;
    for (let i = 0; i < n; i++) dx[i] = dy[i]! * this.df(x[i]!, out[i]!);
    return dx;
  }
}

/**
 * The layers compute in float32, where Keras casts these options too: a value beyond float32's
 * range (|v| > 3.4e38, such as 1e300 in an edited file) would become ±Infinity there, and the
 * products NaN downstream. Refused instead.
 */
const FLOAT32_MAX = 3.4028234663852886e38;
const float32Option = (v: unknown, lo: number, what: string, loOpen = false): number => checkNumberIn(v, lo, FLOAT32_MAX, what, { loOpen });

/** A non-negative option within float32's range (Keras refuses negative slopes, thresholds and caps). */
const nonNegative = (v: unknown, what: string): number => float32Option(v, 0, what);

export interface ReLUArgs extends LayerArgs {
  /** Cap of the output (tfjs and Keras); null or absent: none. */
  maxValue?: number | null;
  /** Slope below the threshold (Keras). Default 0. */
  negativeSlope?: number;
  /** Inputs at or below it are "negative" (Keras). Default 0. */
  threshold?: number;
}

/** y = x > threshold ? min(x, maxValue) : negativeSlope · (x − threshold). */
export class ReLU extends ElementwiseActivation {
  readonly className = 'ReLU';
  readonly maxValue: number | null;
  readonly negativeSlope: number;
  readonly threshold: number;

  constructor(args: ReLUArgs = {}) {
    super(args ?? {}, 're_lu');
    checkLayerOptions(args, ['maxValue', 'negativeSlope', 'threshold'], this.where);
    const a = args ?? {};
    this.maxValue = a.maxValue === undefined || a.maxValue === null ? null : nonNegative(a.maxValue, `${this.where}: maxValue`);
    this.negativeSlope = a.negativeSlope === undefined ? 0 : nonNegative(a.negativeSlope, `${this.where}: negativeSlope`);
    this.threshold = a.threshold === undefined ? 0 : nonNegative(a.threshold, `${this.where}: threshold`);
  }

  protected f(x: number): number {
    if (x > this.threshold) return this.maxValue !== null && x > this.maxValue ? this.maxValue : x;
    return this.negativeSlope === 0 ? 0 : this.negativeSlope * (x - this.threshold); // 0, not −0, as Keras's relu
  }

  protected df(x: number): number {
    if (x > this.threshold) return this.maxValue !== null && x > this.maxValue ? 0 : 1;
    return this.negativeSlope;
  }

  override getConfig(): Record<string, unknown> {
    const c: Record<string, unknown> = { ...super.getConfig(), maxValue: this.maxValue };
    // Written when set: tfjs's ReLU knows only maxValue.
    if (this.negativeSlope !== 0) c.negativeSlope = this.negativeSlope;
    if (this.threshold !== 0) c.threshold = this.threshold;
    return c;
  }
}

export interface LeakyReLUArgs extends LayerArgs {
  /** Slope for x ≤ 0 (tfjs and Keras 2). Default 0.3. */
  alpha?: number;
  /** Keras 3's name for alpha. */
  negativeSlope?: number;
}

/** y = x > 0 ? x : α · x. */
export class LeakyReLU extends ElementwiseActivation {
  readonly className = 'LeakyReLU';
  readonly alpha: number;

  constructor(args: LeakyReLUArgs = {}) {
    super(args ?? {}, 'leaky_re_lu');
    checkLayerOptions(args, ['alpha', 'negativeSlope'], this.where);
    const a = args ?? {};
    if (a.alpha !== undefined && a.negativeSlope !== undefined && a.alpha !== a.negativeSlope) {
      throw new RangeError(`${this.where}: alpha ${show(a.alpha)} and negativeSlope ${show(a.negativeSlope)} name the same slope (Keras 3 renamed alpha); give one`);
    }
    const v = a.alpha ?? a.negativeSlope;
    this.alpha = v === undefined ? 0.3 : nonNegative(v, `${this.where}: ${a.alpha !== undefined ? 'alpha' : 'negativeSlope'}`);
  }

  protected f(x: number): number {
    return x > 0 ? x : this.alpha * x;
  }

  protected df(x: number): number {
    return x > 0 ? 1 : this.alpha;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), alpha: this.alpha };
  }
}

export interface ELUArgs extends LayerArgs {
  /** Scale of the negative part. Default 1. */
  alpha?: number;
}

/** y = x > 0 ? x : α · (eˣ − 1). */
export class ELU extends ElementwiseActivation {
  readonly className = 'ELU';
  readonly alpha: number;

  constructor(args: ELUArgs = {}) {
    super(args ?? {}, 'elu');
    checkLayerOptions(args, ['alpha'], this.where);
    const a = args ?? {};
    this.alpha = a.alpha === undefined ? 1 : float32Option(a.alpha, -FLOAT32_MAX, `${this.where}: alpha`);
  }

  protected f(x: number): number {
    return x > 0 ? x : this.alpha * Math.expm1(x);
  }

  /** x ≤ 0: α·eˣ = y + α. */
  protected df(x: number, y: number): number {
    return x > 0 ? 1 : y + this.alpha;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), alpha: this.alpha };
  }
}

export interface ThresholdedReLUArgs extends LayerArgs {
  /** Inputs at or below it give 0. Default 1. */
  theta?: number;
}

/** y = x > θ ? x : 0 (Keras 2 and tfjs; Keras 3 writes it as ReLU({threshold: θ})). */
export class ThresholdedReLU extends ElementwiseActivation {
  readonly className = 'ThresholdedReLU';
  readonly theta: number;

  constructor(args: ThresholdedReLUArgs = {}) {
    super(args ?? {}, 'thresholded_re_lu');
    checkLayerOptions(args, ['theta'], this.where);
    const a = args ?? {};
    this.theta = a.theta === undefined ? 1 : nonNegative(a.theta, `${this.where}: theta`);
  }

  /** x · [x > θ] as Keras and tfjs compute it: −0 for negative x, NaN stays NaN. */
  protected f(x: number): number {
    return x > this.theta ? x : x * 0;
  }

  protected df(x: number): number {
    return x > this.theta ? 1 : 0;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), theta: this.theta };
  }
}

export interface PReLUArgs extends LayerArgs {
  /** Default 'zeros' (a ReLU to start with). */
  alphaInitializer?: InitializerIdentifier | Initializer;
  alphaRegularizer?: RegularizerIdentifier | Regularizer | null;
  alphaConstraint?: ConstraintIdentifier | Constraint | null;
  /** Axes (1 = the first per-sample axis) along which one α is shared: [1] for one α per feature over time. */
  sharedAxes?: number | readonly number[] | null;
}

/**
 * y = x > 0 ? x : α · x with α a weight of the per-sample shape, size 1 on the shared
 * axes (Keras and tfjs). dα = Σ over the shared positions of dy · min(x, 0).
 */
export class PReLU extends SameShapeLayer {
  readonly className = 'PReLU';
  readonly alphaInitializer: Initializer;
  readonly alphaRegularizer: Regularizer | null;
  readonly alphaConstraint: Constraint | null;
  readonly sharedAxes: readonly number[] | null;
  private alpha: LayerWeight | null = null;
  private step = 0;
  /** Within one time step (or sample): the α index of each value. */
  private alphaIndex: Int32Array = new Int32Array(0);
  /** α values per time step: 0 when the time axis is shared. */
  private timeStride = 0;
  private x: Float32Array = new Float32Array(0);
  private out: Float32Array = new Float32Array(0);
  private dx: Float32Array = new Float32Array(0);

  constructor(args: PReLUArgs = {}) {
    super(args ?? {}, 'p_re_lu');
    checkLayerOptions(args, ['alphaInitializer', 'alphaRegularizer', 'alphaConstraint', 'sharedAxes', 'seed'], this.where);
    const a = args ?? {};
    this.alphaInitializer = getInitializer(a.alphaInitializer ?? 'zeros', `${this.where}: alphaInitializer`);
    this.alphaRegularizer = getRegularizer(a.alphaRegularizer, `${this.where}: alphaRegularizer`);
    this.alphaConstraint = getConstraint(a.alphaConstraint, `${this.where}: alphaConstraint`);
    if (a.sharedAxes === undefined || a.sharedAxes === null) this.sharedAxes = null;
    else {
      const axes = typeof a.sharedAxes === 'number' ? [a.sharedAxes] : a.sharedAxes;
      if (!Array.isArray(axes) || !axes.every((i) => Number.isInteger(i) && i >= 1)) {
        throw new RangeError(`${this.where}: sharedAxes must be an axis or a list of axes counted from 1 (the first axis after the batch), got ${show(a.sharedAxes)}`);
      }
      this.sharedAxes = [...(axes as number[])];
    }
  }

  /** Whether α is the same at every time step (a stream can then run it step by step). */
  get sharedOverTime(): boolean {
    return !this.hasTime || this.timeStride === 0;
  }

  computeOutputShape(inputShape: Shape): Shape {
    checkSampleShape(inputShape, this.where);
    const shared = new Set(this.sharedAxes ?? []);
    for (const i of shared) {
      if (i > inputShape.length) throw new RangeError(`${this.where}: sharedAxes ${show(this.sharedAxes)} names axis ${i}, but the input ${formatShape([null, ...inputShape])} has axes 1 to ${inputShape.length} after the batch`);
    }
    if (inputShape[0] === null && !shared.has(1)) {
      throw new RangeError(`${this.where}: the time axis of input ${formatShape([null, ...inputShape])} is open, so α cannot have one value per step; share it with sharedAxes: [1]`);
    }
    return [...inputShape];
  }

  protected createWeights(inputShape: Shape, rng: Rng): void {
    const shared = new Set(this.sharedAxes ?? []);
    const b = broadcastIndex(inputShape, (k) => shared.has(k + 1), this.where);
    this.step = perStep(inputShape);
    this.alpha = this.addWeight('alpha', b.shape, this.alphaInitializer, rng, { regularizer: this.alphaRegularizer, constraint: this.alphaConstraint });
    this.alphaIndex = b.index;
    this.timeStride = b.timeStride;
  }


  forward(x: Float32Array, B: number, T: number, _training: boolean, _mask: Float32Array | null): Float32Array {
    const steps = this.hasTime ? T : 1;
    const S = this.step;
    this.out = ensure(this.out, B * steps * S);
    this.x = x;
    const out = this.out;
    const a = this.alpha!.value;
    const idx = this.alphaIndex;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < steps; t++) {
        const o = (b * steps + t) * S;
        const ao = t * this.timeStride;
        for (let j = 0; j < S; j++) {
          const v = x[o + j]!;
          out[o + j] = v > 0 ? v : a[ao + idx[j]!]! * v;
        }
      }
    }
    return out;
  }

  backward(dy: Float32Array, B: number, T: number, needDx: boolean): Float32Array | null {
    const steps = this.hasTime ? T : 1;
    const S = this.step;
    if (needDx) this.dx = ensure(this.dx, B * steps * S);
    const { x, dx } = this;
    const a = this.alpha!.value;
    const g = this.alpha!.grad;
    const idx = this.alphaIndex;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < steps; t++) {
        const o = (b * steps + t) * S;
        const ao = t * this.timeStride;
        for (let j = 0; j < S; j++) {
          const v = x[o + j]!;
          const d = dy[o + j]!;
          if (v > 0) {
            if (needDx) dx[o + j] = d;
          } else {
            const k = ao + idx[j]!;
            g[k] = g[k]! + d * v;
            if (needDx) dx[o + j] = a[k]! * d;
          }
        }
      }
    }
    return needDx ? dx : null;
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      alphaInitializer: serializeInitializer(this.alphaInitializer),
      alphaRegularizer: this.alphaRegularizer === null ? null : serializeRegularizer(this.alphaRegularizer),
      alphaConstraint: this.alphaConstraint === null ? null : serializeConstraint(this.alphaConstraint),
      sharedAxes: this.sharedAxes === null ? null : [...this.sharedAxes],
    };
  }
}

export interface SoftmaxArgs extends LayerArgs {
  /**
   * The axis (or adjacent axes, normalised together) the output sums to 1 over: -1 (the
   * features, Keras's default), or 1 (time, for attention weights over steps), …; not the
   * batch axis. Default -1. (tfjs's constructor defaults to axis 1 while its documentation
   * says -1; rnnkit follows Keras and the documentation.)
   */
  axis?: number | readonly number[];
}

/** y = e^(x − max) / Σ e^(x − max) along `axis` (several adjacent axes: jointly). */
export class Softmax extends SameShapeLayer {
  readonly className = 'Softmax';
  readonly axis: number | readonly number[];
  private readonly axes: number[];
  private sample: Shape = [];
  /** Canonical per-sample axes [first, last] (0 = the first per-sample axis). */
  private span: [number, number] = [0, 0];
  private out: Float32Array = new Float32Array(0);
  private dx: Float32Array = new Float32Array(0);

  constructor(args: SoftmaxArgs = {}) {
    super(args ?? {}, 'softmax');
    checkLayerOptions(args, ['axis'], this.where);
    const a = args ?? {};
    this.axes = checkAxisOption(a.axis ?? -1, this.where, true);
    this.axis = Array.isArray(a.axis) ? [...a.axis] : (a.axis ?? -1);
  }

  /** Whether the normalisation stays within one time step (a stream can run it step by step). */
  get withinStep(): boolean {
    return !this.hasTime || this.span[0] > 0;
  }

  computeOutputShape(inputShape: Shape): Shape {
    checkSampleShape(inputShape, this.where);
    const rank = inputShape.length + 1;
    const full = formatShape([null, ...inputShape]);
    const canonical = this.axes.map((ax) => {
      if (ax >= rank || ax < -rank) throw new RangeError(`${this.where}: axis ${ax} is out of bounds for input ${full}`);
      return ax < 0 ? ax + rank : ax;
    });
    const sorted = [...new Set(canonical)].sort((p, q) => p - q);
    if (sorted.length !== canonical.length) throw new RangeError(`${this.where}: duplicate axes are not allowed, got axis ${show(this.axis)}`);
    if (sorted[0] === 0) throw new RangeError(`${this.where}: axis ${show(this.axis)} includes the batch axis; a softmax across samples would make each prediction depend on the others in its batch`);
    if (sorted.some((ax, k) => k > 0 && ax !== sorted[k - 1]! + 1)) {
      throw new RangeError(`${this.where}: axes ${show(this.axis)} are not adjacent; rnnkit normalises over one axis or a run of adjacent axes`);
    }
    return [...inputShape];
  }

  protected createWeights(inputShape: Shape, _rng: Rng): void {
    const rank = inputShape.length + 1;
    const canonical = this.axes.map((ax) => (ax < 0 ? ax + rank : ax)).sort((p, q) => p - q);
    this.span = [canonical[0]! - 1, canonical[canonical.length - 1]! - 1];
    this.sample = [...inputShape];
  }


  /** [outer, n, inner] of the last forward: rows of n values `inner` apart. */
  private layout(B: number, T: number): [number, number, number] {
    const dims = this.sample.map((d, k) => (k === 0 && this.hasTime ? T : d!));
    const [lo, hi] = this.span;
    const prod = (from: number, to: number): number => dims.slice(from, to).reduce((a, b) => a * b, 1);
    return [B * prod(0, lo), prod(lo, hi + 1), prod(hi + 1, dims.length)];
  }

  forward(x: Float32Array, B: number, T: number, _training: boolean, mask: Float32Array | null): Float32Array {
    if (mask !== null) {
      throw new RangeError(`${this.where}: its input carries a step mask (from Embedding maskZero or Masking); Keras would add that [batch, time] mask to the scores, which does not broadcast against them, and tfjs refuses it. Apply the softmax before the mask arises, or in a Dense/Activation layer`);
    }
    const [outer, n, inner] = this.layout(B, T);
    this.out = ensure(this.out, outer * n * inner);
    const y = this.out;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * n * inner + i;
        let max = -Infinity;
        for (let k = 0; k < n; k++) max = Math.max(max, x[base + k * inner]!);
        let sum = 0;
        for (let k = 0; k < n; k++) {
          const e = Math.exp(x[base + k * inner]! - max);
          y[base + k * inner] = e;
          sum += e;
        }
        const inv = 1 / sum;
        for (let k = 0; k < n; k++) y[base + k * inner] = y[base + k * inner]! * inv;
      }
    }
    return y;
  }

  /** dx_k = y_k (dy_k − Σ_j y_j dy_j) along the axis. */
  backward(dy: Float32Array, B: number, T: number, needDx: boolean): Float32Array | null {
    if (!needDx) return null;
    const [outer, n, inner] = this.layout(B, T);
    this.dx = ensure(this.dx, outer * n * inner);
    const { out: y, dx } = this;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * n * inner + i;
        let dot = 0;
        for (let k = 0; k < n; k++) dot += y[base + k * inner]! * dy[base + k * inner]!;
        for (let k = 0; k < n; k++) dx[base + k * inner] = y[base + k * inner]! * (dy[base + k * inner]! - dot);
      }
    }
    return dx;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), axis: Array.isArray(this.axis) ? [...this.axis] : this.axis };
  }
}

/** `layers.reLU({maxValue, negativeSlope, threshold})`. */
export function reLU(args?: ReLUArgs): ReLU {
  return new ReLU(args);
}
/** `layers.leakyReLU({alpha})`. */
export function leakyReLU(args?: LeakyReLUArgs): LeakyReLU {
  return new LeakyReLU(args);
}
/** `layers.elu({alpha})`. */
export function elu(args?: ELUArgs): ELU {
  return new ELU(args);
}
/** `layers.thresholdedReLU({theta})`. */
export function thresholdedReLU(args?: ThresholdedReLUArgs): ThresholdedReLU {
  return new ThresholdedReLU(args);
}
/** `layers.prelu({alphaInitializer, sharedAxes, …})`. */
export function prelu(args?: PReLUArgs): PReLU {
  return new PReLU(args);
}
/** `layers.softmax({axis})`. */
export function softmax(args?: SoftmaxArgs): Softmax {
  return new Softmax(args);
}
