/**
 * MaxPooling1D and AveragePooling1D (Keras 3 semantics, tfjs names): the maximum or mean
 * over windows of poolSize steps, strides apart, of [B, T, C] input, giving
 * [B, T', C]. 'valid': T' = floor((T − poolSize) / strides) + 1; 'same': T' =
 * ceil(T / strides), padded as TF does (floor(total / 2) steps before), and the padding
 * takes no part: a maximum over the real steps only, an average divided by the number
 * of real steps in the window (TF's avg_pool, Keras 3 on every backend).
 *
 * No mask leaves these layers (Keras 3 pooling layers drop it); masked steps are pooled
 * like any other. dataFormat 'channelsFirst' is refused by name.
 */
import { backend, type Kernels } from '../backend/kernels.js';
import { formatShape } from '../core/tensor.js';
import type { Rng } from '../core/rng.js';
import { Layer, checkLayerOptions, ensure, type LayerArgs, type Shape } from './layer.js';
import { checkChannelsLast, checkPadding, checkSize1D, samePadBefore, type Size1D } from './conv1d.js';

export interface Pooling1DArgs extends LayerArgs {
  /** Steps per window. Default 2. */
  poolSize?: Size1D;
  /** Step between windows. Default poolSize. */
  strides?: Size1D | null;
  /** 'valid' (default) or 'same'. */
  padding?: 'valid' | 'same';
  /** Only 'channelsLast' ([batch, steps, channels]); 'channels_last' is read too. */
  dataFormat?: 'channelsLast' | 'channelsFirst';
}

abstract class Pooling1D extends Layer {
  readonly poolSize: number;
  readonly strides: number;
  readonly padding: 'valid' | 'same';
  readonly dataFormat: 'channelsLast';
  protected abstract readonly max: boolean;
  private k: Kernels = backend();
  private C = 0;
  private B = 0;
  private T = 0;
  private Tout = 0;
  private padLeft = 0;
  private out: Float32Array = new Float32Array(0);
  private dx: Float32Array = new Float32Array(0);
  private arg: Int32Array = new Int32Array(0);

  /** `kind`: the Keras class name (errors name it before the subclass's fields exist). */
  protected constructor(args: Pooling1DArgs, prefix: string, kind: string) {
    super(args ?? {}, prefix);
    const where = `${kind} '${this.name}'`;
    checkLayerOptions(args ?? {}, ['poolSize', 'strides', 'padding', 'dataFormat'], where);
    this.poolSize = args?.poolSize === undefined ? 2 : checkSize1D(args.poolSize, `${where}: poolSize`);
    this.strides = args?.strides === undefined || args.strides === null ? this.poolSize : checkSize1D(args.strides, `${where}: strides`);
    this.padding = args?.padding === undefined ? 'valid' : checkPadding(args.padding, ['valid', 'same'] as const, `${where}: padding`);
    this.dataFormat = checkChannelsLast(args?.dataFormat, `${where}: dataFormat`);
  }

  private outLength(T: number): number {
    if (this.padding === 'valid') return Math.floor((T - this.poolSize) / this.strides) + 1;
    return Math.floor((T - 1) / this.strides) + 1;
  }

  private tooShort(T: number): RangeError {
    return new RangeError(`${this.where}: an input of ${T} steps is shorter than one window (poolSize ${this.poolSize} with padding 'valid')`);
  }

  computeOutputShape(inputShape: Shape): Shape {
    if (inputShape.length !== 2) throw new RangeError(`${this.where}: expected input of rank 3 ([batch, steps, channels]), got ${formatShape([null, ...inputShape])}`);
    const [T, C] = inputShape;
    if (C === null || C === undefined) throw new RangeError(`${this.where}: the channel dimension must be known, got ${formatShape([null, ...inputShape])}`);
    if (T === null || T === undefined) return [null, C];
    const Tout = this.outLength(T);
    if (Tout <= 0) throw this.tooShort(T);
    return [Tout, C];
  }

  protected createWeights(inputShape: Shape, _rng: Rng): void {
    this.C = inputShape[1]!;
    this.k = backend();
  }

  forward(x: Float32Array, B: number, T: number, _training: boolean, _mask: Float32Array | null): Float32Array {
    const Tout = this.outLength(T);
    if (Tout <= 0) throw this.tooShort(T);
    const pad = this.padding === 'same' ? samePadBefore(T, Tout, this.poolSize, this.strides) : 0;
    const C = this.C;
    this.B = B;
    this.T = T;
    this.Tout = Tout;
    this.padLeft = pad;
    const n = B * Tout * C;
    this.out = ensure(this.out, n);
    if (this.max) {
      if (this.arg.length < n) this.arg = new Int32Array(n);
      this.k.maxPool1dForward(this.out, this.arg, x, B, T, C, Tout, this.poolSize, this.strides, pad);
    } else {
      this.k.avgPool1dForward(this.out, x, B, T, C, Tout, this.poolSize, this.strides, pad);
    }
    return this.out;
  }

  backward(dy: Float32Array, _B: number, _T: number, needDx: boolean): Float32Array | null {
    if (!needDx) return null;
    const { B, T, Tout, C } = this;
    this.dx = ensure(this.dx, B * T * C);
    if (this.max) this.k.maxPool1dBackward(this.dx, dy, this.arg, B, T, C, Tout);
    else this.k.avgPool1dBackward(this.dx, dy, B, T, C, Tout, this.poolSize, this.strides, this.padLeft);
    return this.dx;
  }

  /** No mask leaves a pooling layer (Keras 3). */
  override outputMask(_inputMask: Float32Array | null): Float32Array | null {
    return null;
  }

  override outputTime(T: number): number {
    return this.outLength(T);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), poolSize: [this.poolSize], strides: [this.strides], padding: this.padding, dataFormat: this.dataFormat };
  }
}

export class MaxPooling1D extends Pooling1D {
  readonly className = 'MaxPooling1D';
  protected readonly max = true;
  constructor(args: Pooling1DArgs = {}) {
    super(args, 'max_pooling1d', 'MaxPooling1D');
  }
}

export class AveragePooling1D extends Pooling1D {
  readonly className = 'AveragePooling1D';
  protected readonly max = false;
  constructor(args: Pooling1DArgs = {}) {
    super(args, 'average_pooling1d', 'AveragePooling1D');
  }
}

/** `layers.maxPooling1d({poolSize, strides, padding})`: the maximum over each window. */
export function maxPooling1d(args?: Pooling1DArgs): MaxPooling1D {
  return new MaxPooling1D(args);
}

/** `layers.averagePooling1d({poolSize, strides, padding})`: the mean over each window's real steps. */
export function averagePooling1d(args?: Pooling1DArgs): AveragePooling1D {
  return new AveragePooling1D(args);
}
