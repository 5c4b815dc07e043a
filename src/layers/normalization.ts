/**
 * Normalization (Keras's preprocessing layer): y = (x − mean) / max(√variance, 1e-7) per
 * position of the kept axes (`axis`, default -1: one mean and variance per feature), or with
 * `invert` y = mean + x · max(√variance, 1e-7). Computed in float32 as Keras computes it (the
 * difference rounded, then the quotient), so the outputs are Keras's to the bit.
 *
 * The statistics come from `mean` and `variance` options (constants in the config, no
 * weights), or from `adapt(data)`, which stores them in non-trainable weights 'mean',
 * 'variance' and 'count' (Keras's names and order; count is the number of values averaged,
 * an integer in Keras files). Neither is trained by fit. Before adapt, mean 0 and variance 1.
 *
 * Only the first per-sample axis (time) may be open, and then it cannot be kept. The step
 * mask passes through.
 */
import { ModelFormatError, checkBoolean, show } from '../core/errors.js';
import { formatShape, toTensor, type NestedArray, type Tensor } from '../core/tensor.js';
import type { Rng } from '../core/rng.js';
import { getInitializer } from '../initializers/index.js';
import { SameShapeLayer, chargeWeightBudget, checkLayerOptions, ensure, type LayerArgs, type LayerWeight, type Shape } from './layer.js';
import { broadcastIndex } from './broadcast.js';

export interface NormalizationArgs extends LayerArgs {
  /** The axis or axes with their own statistics; null: one mean and variance for everything. Default -1. */
  axis?: number | readonly number[] | null;
  /** Constant mean (a number, or an array aligned right to left with the kept axes); with variance. */
  mean?: number | NestedArray | null;
  /** Constant variance, of mean's shape. */
  variance?: number | NestedArray | null;
  /** Undo the normalization: y = mean + x · √variance. Default false. */
  invert?: boolean;
}

const EPSILON = Math.fround(1e-7); // Keras's backend.epsilon()

export class Normalization extends SameShapeLayer {
  readonly className = 'Normalization';
  readonly axis: number | readonly number[] | null;
  readonly invert: boolean;
  /** The constant statistics as given (config values), or null when adapted. */
  private readonly inputMean: number | NestedArray | null;
  private readonly inputVariance: number | NestedArray | null;
  private readonly axes: number[];
  private meanW: LayerWeight | null = null;
  private varianceW: LayerWeight | null = null;
  private countW: LayerWeight | null = null;
  /** Statistics of the kept positions (weights' values, or the broadcast constants). */
  private constMean: Float32Array | null = null;
  private constVariance: Float32Array | null = null;
  private keptShape: number[] = [];
  /** The statistics' per-sample shape: the input's, 1 on the axes not kept. */
  private paramShape: number[] = [];
  private index: Int32Array = new Int32Array(0);
  private timeStride = 0;
  private step = 0;
  private out: Float32Array = new Float32Array(0);
  private dx: Float32Array = new Float32Array(0);
  private scale: Float32Array = new Float32Array(0);

  constructor(args: NormalizationArgs = {}) {
    super(args ?? {}, 'normalization');
    checkLayerOptions(args, ['axis', 'mean', 'variance', 'invert'], this.where);
    const a = args ?? {};
    const ax = a.axis === undefined ? -1 : a.axis;
    if (ax === null) this.axes = [];
    else if (typeof ax === 'number' && Number.isInteger(ax)) this.axes = [ax];
    else if (Array.isArray(ax) && ax.every((v) => typeof v === 'number' && Number.isInteger(v))) this.axes = [...(ax as number[])];
    else throw new TypeError(`${this.where}: axis must be an integer, a list of integers or null, got ${show(ax)}`);
    this.axis = Array.isArray(ax) ? [...ax] : ax;
    this.invert = a.invert === undefined ? false : checkBoolean(a.invert, `${this.where}: invert`);
    const m = a.mean ?? null;
    const v = a.variance ?? null;
    if ((m === null) !== (v === null)) throw new RangeError(`${this.where}: give both mean and variance, or neither (then adapt(data) sets them); got ${m === null ? 'variance only' : 'mean only'}`);
    this.inputMean = m;
    this.inputVariance = v;
  }

  /** Whether the statistics are the same at every time step (a stream can then run it step by step). */
  get sharedOverTime(): boolean {
    return !this.hasTime || this.timeStride === 0;
  }

  /** Per-sample indices of the kept axes for input of this shape (Keras's _keep_axis, batch excluded). */
  private keptAxes(inputShape: Shape): number[] {
    const rank = inputShape.length + 1;
    const full = formatShape([null, ...inputShape]);
    const kept = this.axes.map((a) => {
      if (a >= rank || a < -rank) throw new RangeError(`${this.where}: axis ${a} is out of bounds for input ${full}`);
      return a < 0 ? a + rank : a;
    });
    if (kept.includes(0)) throw new RangeError(`${this.where}: axis ${show(this.axis)} keeps the batch axis; statistics per sample position would tie the model to one batch size`);
    for (const k of kept) {
      if (inputShape[k - 1] === null) throw new RangeError(`${this.where}: axis ${k} of input ${full} is open; kept axes need a known size (Keras's rule), e.g. axis -1 for one mean per feature`);
    }
    return [...new Set(kept)].sort((p, q) => p - q).map((k) => k - 1);
  }

  computeOutputShape(inputShape: Shape): Shape {
    const full = formatShape([null, ...inputShape]);
    if (inputShape.length === 0) throw new RangeError(`${this.where}: expected input with a feature axis, got ${full}`);
    if (inputShape.slice(1).some((d) => d === null) || (inputShape.length === 1 && inputShape[0] === null)) {
      throw new RangeError(`${this.where}: only the time axis (the first per-sample axis of a rank ≥ 3 input) may be open, got ${full}`);
    }
    const kept = this.keptAxes(inputShape);
    if (this.inputMean !== null) this.constants(kept.map((k) => inputShape[k]!), false);
    return [...inputShape];
  }

  /**
   * The constant mean and variance broadcast to the kept shape (Keras: aligned right to left),
   * checked; with materialize false only checked (computeOutputShape: nothing allocated for the
   * kept shape, which a file gives, before the build charges it to the weight budget).
   */
  private constants(keptShape: number[], materialize: boolean): [Float32Array, Float32Array] {
    const size = keptShape.reduce((a, b) => a * b, 1);
    const read = (v: number | NestedArray, what: string): Float32Array => {
      const t: Tensor = typeof v === 'number' ? toTensor([v], `${this.where}: ${what}`) : toTensor(v, `${this.where}: ${what}`);
      const shape = typeof v === 'number' ? [] : t.shape;
      if (!t.data.every((x) => Number.isFinite(x))) throw new RangeError(`${this.where}: ${what} holds a non-finite value`);
      if (what === 'variance' && t.data.some((x) => x < 0)) throw new RangeError(`${this.where}: variance holds a negative value`);
      if (shape.length > keptShape.length) throw new RangeError(`${this.where}: ${what} of shape ${formatShape(shape)} has more axes than the ${keptShape.length} kept (axis ${show(this.axis)})`);
      // Right-aligned broadcast onto the kept shape.
      const aligned = [...new Array<number>(keptShape.length - shape.length).fill(1), ...shape];
      aligned.forEach((d, k) => {
        if (d !== 1 && d !== keptShape[k]) throw new RangeError(`${this.where}: ${what} of shape ${formatShape(shape)} does not broadcast to the kept axes' ${formatShape(keptShape)}`);
      });
      if (!materialize) return new Float32Array(0);
      const out = new Float32Array(size);
      const strides = aligned.map((_, k) => aligned.slice(k + 1).reduce((a, b) => a * b, 1));
      for (let j = 0; j < size; j++) {
        let rem = j;
        let src = 0;
        for (let k = keptShape.length - 1; k >= 0; k--) {
          const c = rem % keptShape[k]!;
          rem = (rem - c) / keptShape[k]!;
          if (aligned[k] !== 1) src += c * strides[k]!;
        }
        out[j] = t.data[src]!;
      }
      return out;
    };
    const m = read(this.inputMean!, 'mean');
    const v = read(this.inputVariance!, 'variance');
    return [m, v];
  }

  protected createWeights(inputShape: Shape, rng: Rng): void {
    const kept = new Set(this.keptAxes(inputShape));
    const b = broadcastIndex(inputShape, (k) => !kept.has(k), this.where);
    this.keptShape = [...kept].map((k) => inputShape[k]!);
    this.paramShape = b.shape;
    this.index = b.index;
    this.timeStride = b.timeStride;
    this.step = b.index.length;
    if (this.inputMean !== null) {
      chargeWeightBudget(2 * this.keptShape.reduce((a, d) => a * d, 1), `${this.where}: constant mean and variance`);
      [this.constMean, this.constVariance] = this.constants(this.keptShape, true);
    } else {
      const opts = { trainable: false };
      this.meanW = this.addWeight('mean', this.keptShape, getInitializer('zeros', this.where), rng, opts);
      this.varianceW = this.addWeight('variance', this.keptShape, getInitializer('ones', this.where), rng, opts);
      this.countW = this.addWeight('count', [], getInitializer('zeros', this.where), rng, { ...opts, integer: true });
    }
  }

  private get meanValues(): Float32Array {
    return this.constMean ?? this.meanW!.value;
  }

  /** max(√variance, ε) per kept position, in float32 as Keras computes it. */
  private denominators(): Float32Array {
    const v = this.constVariance ?? this.varianceW!.value;
    this.scale = ensure(this.scale, v.length);
    for (let i = 0; i < v.length; i++) {
      if (!(v[i]! >= 0)) throw new RangeError(`${this.where}: variance ${v[i]} at position ${i}; a variance must be a number ≥ 0`);
      this.scale[i] = Math.max(Math.fround(Math.sqrt(v[i]!)), EPSILON);
    }
    return this.scale;
  }

  /**
   * For exporters: the mean and max(√variance, ε) as arrays of the per-sample shape with 1 on
   * the axes not kept (they broadcast against [batch, …] from the right).
   */
  statistics(): { shape: number[]; mean: Float32Array; scale: Float32Array } {
    return { shape: [...this.paramShape], mean: this.meanValues.slice(), scale: this.denominators().slice() };
  }


  forward(x: Float32Array, B: number, T: number, _training: boolean, _mask: Float32Array | null): Float32Array {
    const steps = this.hasTime ? T : 1;
    const S = this.step;
    this.out = ensure(this.out, B * steps * S);
    const out = this.out;
    const m = this.meanValues;
    const d = this.denominators();
    const idx = this.index;
    const f = Math.fround;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < steps; t++) {
        const o = (b * steps + t) * S;
        const po = t * this.timeStride;
        if (this.invert) for (let j = 0; j < S; j++) out[o + j] = m[po + idx[j]!]! + f(x[o + j]! * d[po + idx[j]!]!);
        else for (let j = 0; j < S; j++) out[o + j] = f(x[o + j]! - m[po + idx[j]!]!) / d[po + idx[j]!]!;
      }
    }
    return out;
  }

  /** dx = dy / max(√variance, ε) (invert: dy · max(√variance, ε)); the statistics get no gradient. */
  backward(dy: Float32Array, B: number, T: number, needDx: boolean): Float32Array | null {
    if (!needDx) return null;
    const steps = this.hasTime ? T : 1;
    const S = this.step;
    this.dx = ensure(this.dx, B * steps * S);
    const dx = this.dx;
    const d = this.scale;
    const idx = this.index;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < steps; t++) {
        const o = (b * steps + t) * S;
        const po = t * this.timeStride;
        if (this.invert) for (let j = 0; j < S; j++) dx[o + j] = dy[o + j]! * d[po + idx[j]!]!;
        else for (let j = 0; j < S; j++) dx[o + j] = dy[o + j]! / d[po + idx[j]!]!;
      }
    }
    return dx;
  }

  /**
   * Set mean and variance from data (any shape whose per-sample axes match the layer's input;
   * built from it when the layer is not built yet): per kept position, the mean and the
   * population variance (ddof 0, as numpy's var in Keras's adapt) over every other axis,
   * summed in float64. Refused for a layer given constant mean and variance.
   */
  adapt(data: Tensor | NestedArray): void {
    if (this.inputMean !== null) throw new RangeError(`${this.where}: adapt: this layer was given mean and variance; adapt sets them for a layer given neither`);
    const t = toTensor(data, `${this.where}: adapt`);
    if (t.shape.length < 2) throw new RangeError(`${this.where}: adapt: expected data [samples, …features], got shape ${formatShape(t.shape)}`);
    const sample = t.shape.slice(1);
    if (!this.isBuilt) this.build(sample);
    const built = this.inputShape;
    if (sample.length !== built.length || sample.some((d, k) => built[k] !== null && d !== built[k])) {
      throw new RangeError(`${this.where}: adapt: data of shape ${formatShape(t.shape)} does not fit the input ${formatShape([null, ...built])}`);
    }
    if (!t.data.every((v) => Number.isFinite(v))) throw new ModelFormatError(`${this.where}: adapt: the data holds NaN or an infinite value`);
    const steps = this.hasTime ? sample[0]! : 1;
    const B = t.shape[0]!;
    const P = this.meanW!.value.length;
    const sum = new Float64Array(P);
    const n = new Float64Array(P);
    const idx = this.index;
    const stride = this.hasTime && this.timeStride !== 0 ? this.timeStride : 0;
    const S = this.step;
    for (let b = 0; b < B; b++) {
      for (let s = 0; s < steps; s++) {
        const o = (b * steps + s) * S;
        for (let j = 0; j < S; j++) {
          const p = s * stride + idx[j]!;
          sum[p] += t.data[o + j]!;
          n[p]++;
        }
      }
    }
    const mean = Float64Array.from(sum, (v, p) => v / n[p]!);
    const sq = new Float64Array(P);
    for (let b = 0; b < B; b++) {
      for (let s = 0; s < steps; s++) {
        const o = (b * steps + s) * S;
        for (let j = 0; j < S; j++) {
          const p = s * stride + idx[j]!;
          sq[p] += (t.data[o + j]! - mean[p]!) ** 2;
        }
      }
    }
    this.meanW!.value.set(mean);
    this.varianceW!.value.set(Float64Array.from(sq, (v, p) => v / n[p]!));
    this.countW!.value[0] = n[0]!;
  }

  override getConfig(): Record<string, unknown> {
    const axis = this.axis;
    return { ...super.getConfig(), axis: Array.isArray(axis) ? [...axis] : axis, mean: this.inputMean, variance: this.inputVariance, invert: this.invert };
  }
}

/** `layers.normalization({axis, mean, variance, invert})`. */
export function normalization(args?: NormalizationArgs): Normalization {
  return new Normalization(args);
}
