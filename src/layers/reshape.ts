/**
 * Reshape and Permute (Keras 3 semantics, tfjs names). Reshape reinterprets each
 * sample's values in a new shape (one entry may be -1: inferred) — batch-major buffers
 * need no copy, so forward hands on its input buffer and backward its output gradient.
 * Permute reorders the per-sample axes (`dims` is 1-based, the batch axis stays first).
 * Only the first per-sample axis may be open (a sequence of any length): a reshape of
 * an open input must put its -1 first, and a permute must keep axis 1 first. Neither
 * passes a mask on (Keras drops it too).
 */
import { checkOptions, show } from '../core/errors.js';
import { formatShape } from '../core/tensor.js';
import type { Rng } from '../core/rng.js';
import { Layer, LAYER_ARG_KEYS, ensure, type LayerArgs, type Shape } from './layer.js';

export interface ReshapeArgs extends LayerArgs {
  /** The per-sample shape (no batch axis); one entry may be -1 (inferred from the size). */
  targetShape: readonly number[];
}

export class Reshape extends Layer {
  readonly className = 'Reshape';
  readonly targetShape: readonly number[];
  private inRest = 1; // input floats per step of its first axis
  private outRest = 1; // output floats per step of its first axis

  constructor(args: ReshapeArgs) {
    super(args ?? ({} as ReshapeArgs), 'reshape');
    checkOptions(args, [...LAYER_ARG_KEYS, 'targetShape'], this.where);
    const t = args?.targetShape;
    if (!Array.isArray(t) || t.length === 0 || !t.every((d) => Number.isInteger(d) && (d > 0 || d === -1)) || t.filter((d) => d === -1).length > 1) {
      throw new RangeError(`${this.where}: targetShape must be a list of positive integers with at most one -1, got ${show(t)}`);
    }
    this.targetShape = [...t];
  }

  computeOutputShape(inputShape: Shape): Shape {
    const t = this.targetShape;
    const known = t.reduce((n, d) => (d === -1 ? n : n * d), 1);
    if (inputShape.some((d) => d === null)) {
      if (t[0] !== -1) throw new RangeError(`${this.where}: input ${formatShape([null, ...inputShape])} has an open first axis, so targetShape needs -1 first (got ${show(t)})`);
      const rest = (inputShape.slice(1) as number[]).reduce((a, b) => a * b, 1);
      if (rest % known !== 0 && known % rest !== 0) throw new RangeError(`${this.where}: cannot reshape ${formatShape([null, ...inputShape])} to ${JSON.stringify(t)}`);
      return [null, ...t.slice(1)];
    }
    const size = (inputShape as number[]).reduce((a, b) => a * b, 1);
    if (t.includes(-1)) {
      if (size % known !== 0) throw new RangeError(`${this.where}: cannot reshape ${formatShape([null, ...inputShape])} (${size} values per sample) to ${JSON.stringify(t)}`);
      return t.map((d) => (d === -1 ? size / known : d));
    }
    if (size !== known) throw new RangeError(`${this.where}: cannot reshape ${formatShape([null, ...inputShape])} (${size} values per sample) to ${formatShape([null, ...t])} (${known})`);
    return [...t];
  }

  protected createWeights(inputShape: Shape, _rng: Rng): void {
    this.inRest = (inputShape.slice(1) as number[]).reduce((a, b) => a * b, 1);
    this.outRest = (this.outputShape.slice(1) as number[]).reduce((a, b) => a * b, 1);
  }

  /** Inputs of any rank: the time length is the size of the first axis. */
  override inputTime(sampleShape: readonly number[]): number {
    return sampleShape[0] ?? 1;
  }

  forward(x: Float32Array): Float32Array {
    return x;
  }

  backward(dy: Float32Array, _B: number, _T: number, needDx: boolean): Float32Array | null {
    return needDx ? dy : null;
  }

  override outputMask(): Float32Array | null {
    return null;
  }

  /** The output's first axis for an input whose first axis has T steps. */
  override outputTime(T: number): number {
    return this.outputShape[0] ?? (T * this.inRest) / this.outRest;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), targetShape: [...this.targetShape] };
  }
}

export interface PermuteArgs extends LayerArgs {
  /** The new order of the per-sample axes, 1-based (e.g. [2, 1] swaps time and features). */
  dims: readonly number[];
}

export class Permute extends Layer {
  readonly className = 'Permute';
  readonly dims: readonly number[];
  private inDims: number[] = [];
  private readonly srcStride: Int32Array; // per output axis: the stride of that axis in the input
  private readonly outDims: Int32Array;
  private out: Float32Array = new Float32Array(0);
  private dx: Float32Array = new Float32Array(0);

  constructor(args: PermuteArgs) {
    super(args ?? ({} as PermuteArgs), 'permute');
    checkOptions(args, [...LAYER_ARG_KEYS, 'dims'], this.where);
    const d = args?.dims;
    const ok = Array.isArray(d) && d.length > 0 && [...d].sort((a, b) => a - b).every((v, i) => v === i + 1);
    if (!ok) throw new RangeError(`${this.where}: dims must be a permutation of 1 … rank-1 (the batch axis 0 stays), got ${show(d)}`);
    this.dims = [...d];
    this.srcStride = new Int32Array(this.dims.length);
    this.outDims = new Int32Array(this.dims.length);
  }

  computeOutputShape(inputShape: Shape): Shape {
    if (inputShape.length !== this.dims.length) throw new RangeError(`${this.where}: dims ${JSON.stringify(this.dims)} need inputs of rank ${this.dims.length + 1}, got ${formatShape([null, ...inputShape])}`);
    if (inputShape[0] === null && this.dims[0] !== 1) throw new RangeError(`${this.where}: input ${formatShape([null, ...inputShape])} has an open first axis, which must stay first (dims[0] = 1)`);
    return this.dims.map((a) => inputShape[a - 1]!);
  }

  protected createWeights(inputShape: Shape, _rng: Rng): void {
    this.inDims = inputShape.map((d) => d ?? 0);
  }

  override inputTime(sampleShape: readonly number[]): number {
    return sampleShape[0] ?? 1;
  }

  /** Per output axis, the input's stride for this pass (the first axis may be open: T). */
  private plan(T: number): number {
    const r = this.dims.length;
    const inDims = this.inDims;
    const first = inDims[0] === 0 ? T : inDims[0]!;
    let size = 1;
    for (let k = 0; k < r; k++) {
      const a = this.dims[k]! - 1;
      let stride = 1;
      for (let j = r - 1; j > a; j--) stride *= j === 0 ? first : inDims[j]!;
      this.srcStride[k] = stride;
      this.outDims[k] = a === 0 ? first : inDims[a]!;
      size *= this.outDims[k]!;
    }
    return size;
  }

  /** out[b, …] = x[b, permuted …]; with back, the reverse (dx from dy). */
  private move(dst: Float32Array, src: Float32Array, B: number, size: number, back: boolean): void {
    const r = this.dims.length;
    const od = this.outDims;
    const st = this.srcStride;
    for (let b = 0; b < B; b++) {
      const base = b * size;
      for (let e = 0; e < size; e++) {
        let rest = e;
        let s = 0;
        for (let k = r - 1; k >= 0; k--) {
          const n = od[k]!;
          s += (rest % n) * st[k]!;
          rest = (rest / n) | 0;
        }
        if (back) dst[base + s] = src[base + e]!;
        else dst[base + e] = src[base + s]!;
      }
    }
  }

  forward(x: Float32Array, B: number, T: number): Float32Array {
    const size = this.plan(T);
    this.out = ensure(this.out, B * size);
    this.move(this.out, x, B, size, false);
    return this.out;
  }

  backward(dy: Float32Array, B: number, T: number, needDx: boolean): Float32Array | null {
    if (!needDx) return null;
    const size = this.plan(T);
    this.dx = ensure(this.dx, B * size);
    this.move(this.dx, dy, B, size, true);
    return this.dx;
  }

  override outputMask(): Float32Array | null {
    return null;
  }

  override outputTime(T: number): number {
    const a = this.dims[0]! - 1;
    return a === 0 ? T : this.inDims[a]!;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), dims: [...this.dims] };
  }
}

/** `layers.reshape({targetShape})`. */
export function reshape(args: ReshapeArgs): Reshape {
  return new Reshape(args);
}

/** `layers.permute({dims})`. */
export function permute(args: PermuteArgs): Permute {
  return new Permute(args);
}
