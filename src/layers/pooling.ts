/**
 * GlobalAveragePooling1D and GlobalMaxPooling1D (Keras 3 options, tfjs names): the
 * mean or maximum over the steps of [B, T, F] (channelsLast) or [B, F, T]
 * (channelsFirst), giving [B, F] ([B, 1, F] / [B, F, 1] with keepdims).
 *
 * Masked steps are left out of both (Keras 3's average does so; its maximum ignores
 * the mask — a demanding user wants padding out of a maximum too). A sample whose
 * every step is masked pools to 0 with no gradient (Keras's average gives NaN
 * there). No mask leaves these layers.
 */
import { checkBoolean, show } from '../core/errors.js';
import { formatShape } from '../core/tensor.js';
import type { Rng } from '../core/rng.js';
import { Layer, checkLayerOptions, ensure, type LayerArgs, type Shape } from './layer.js';

export interface GlobalPooling1DArgs extends LayerArgs {
  /** 'channelsLast' ([batch, steps, features], default) or 'channelsFirst' ([batch, features, steps]). */
  dataFormat?: 'channelsLast' | 'channelsFirst';
  /** Keep the pooled axis with length 1. Default false. */
  keepdims?: boolean;
}

abstract class GlobalPooling1D extends Layer {
  readonly dataFormat: 'channelsLast' | 'channelsFirst';
  readonly keepdims: boolean;
  protected abstract readonly max: boolean;
  private F = 0;
  private T = 0;
  private out: Float32Array = new Float32Array(0);
  private dx: Float32Array = new Float32Array(0);
  private arg: Int32Array = new Int32Array(0); // max: the step that won, per (b, f); −1 none
  private count: Float32Array = new Float32Array(0); // average: kept steps per sample
  private mask: Float32Array | null = null;

  protected constructor(args: GlobalPooling1DArgs, prefix: string) {
    super(args ?? {}, prefix);
    checkLayerOptions(args ?? {}, ['dataFormat', 'keepdims'], this.where);
    const df = (args?.dataFormat ?? 'channelsLast') as string;
    if (df !== 'channelsLast' && df !== 'channelsFirst' && df !== 'channels_last' && df !== 'channels_first') {
      throw new RangeError(`${this.where}: dataFormat must be 'channelsLast' or 'channelsFirst', got ${show(df)}`);
    }
    this.dataFormat = df === 'channelsFirst' || df === 'channels_first' ? 'channelsFirst' : 'channelsLast';
    this.keepdims = args?.keepdims === undefined ? false : checkBoolean(args.keepdims, `${this.where}: keepdims`);
  }

  private get last(): boolean {
    return this.dataFormat === 'channelsLast';
  }

  computeOutputShape(inputShape: Shape): Shape {
    if (inputShape.length !== 2) throw new RangeError(`${this.where}: expected input of rank 3, got ${formatShape([null, ...inputShape])}`);
    const F = this.last ? inputShape[1] : inputShape[0];
    if (F === null || F === undefined) throw new RangeError(`${this.where}: the feature axis must be known, got ${formatShape([null, ...inputShape])}`);
    if (!this.keepdims) return [F];
    return this.last ? [1, F] : [F, 1];
  }

  protected createWeights(inputShape: Shape, _rng: Rng): void {
    this.F = (this.last ? inputShape[1] : inputShape[0]) as number;
  }

  /** Index of (b, t, f) in the input. */
  private at(b: number, t: number, f: number): number {
    return this.last ? (b * this.T + t) * this.F + f : (b * this.F + f) * this.T + t;
  }

  /** T: the steps (axis 0 channelsLast, the fixed last axis channelsFirst). */
  forward(x: Float32Array, B: number, T: number, _training: boolean, mask: Float32Array | null): Float32Array {
    const F = this.F;
    const steps = this.last ? T : (this.inputShape[1] as number);
    this.T = steps;
    this.mask = this.last ? mask : null;
    const m = this.mask;
    this.out = ensure(this.out, B * F);
    const out = this.out;
    if (this.max) {
      this.arg = this.arg.length >= B * F ? this.arg : new Int32Array(B * F);
      for (let b = 0; b < B; b++) {
        for (let f = 0; f < F; f++) {
          let best = -Infinity;
          let arg = -1;
          for (let t = 0; t < steps; t++) {
            if (m !== null && m[b * steps + t] === 0) continue;
            const v = x[this.at(b, t, f)]!;
            if (arg === -1 || v > best) {
              best = v;
              arg = t;
            }
          }
          this.arg[b * F + f] = arg;
          out[b * F + f] = arg === -1 ? 0 : best;
        }
      }
      return out;
    }
    this.count = ensure(this.count, B);
    for (let b = 0; b < B; b++) {
      let n = 0;
      for (let t = 0; t < steps; t++) if (m === null || m[b * steps + t] !== 0) n++;
      this.count[b] = n;
      for (let f = 0; f < F; f++) {
        let s = 0;
        for (let t = 0; t < steps; t++) if (m === null || m[b * steps + t] !== 0) s += x[this.at(b, t, f)]!;
        out[b * F + f] = n === 0 ? 0 : s / n;
      }
    }
    return out;
  }

  backward(dy: Float32Array, B: number, _T: number, needDx: boolean): Float32Array | null {
    if (!needDx) return null;
    const F = this.F;
    const steps = this.T;
    const m = this.mask;
    this.dx = ensure(this.dx, B * steps * F);
    const dx = this.dx;
    if (this.max) {
      dx.fill(0, 0, B * steps * F);
      for (let b = 0; b < B; b++) {
        for (let f = 0; f < F; f++) {
          const t = this.arg[b * F + f]!;
          if (t >= 0) dx[this.at(b, t, f)] = dy[b * F + f]!;
        }
      }
      return dx;
    }
    for (let b = 0; b < B; b++) {
      const n = this.count[b]!;
      for (let t = 0; t < steps; t++) {
        const keep = n > 0 && (m === null || m[b * steps + t] !== 0);
        for (let f = 0; f < F; f++) dx[this.at(b, t, f)] = keep ? dy[b * F + f]! / n : 0;
      }
    }
    return dx;
  }

  override outputMask(): Float32Array | null {
    return null;
  }

  override outputTime(_T: number): number {
    return this.keepdims && this.last ? 1 : this.keepdims ? this.F : 1;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), dataFormat: this.dataFormat, keepdims: this.keepdims };
  }
}

export class GlobalAveragePooling1D extends GlobalPooling1D {
  readonly className = 'GlobalAveragePooling1D';
  protected readonly max = false;
  constructor(args: GlobalPooling1DArgs = {}) {
    super(args, 'global_average_pooling1d');
  }
}

export class GlobalMaxPooling1D extends GlobalPooling1D {
  readonly className = 'GlobalMaxPooling1D';
  protected readonly max = true;
  constructor(args: GlobalPooling1DArgs = {}) {
    super(args, 'global_max_pooling1d');
  }
}

/** `layers.globalAveragePooling1d({dataFormat, keepdims})`: the mean over the (unmasked) steps. */
export function globalAveragePooling1d(args?: GlobalPooling1DArgs): GlobalAveragePooling1D {
  return new GlobalAveragePooling1D(args);
}

/** `layers.globalMaxPooling1d({dataFormat, keepdims})`: the maximum over the (unmasked) steps. */
export function globalMaxPooling1d(args?: GlobalPooling1DArgs): GlobalMaxPooling1D {
  return new GlobalMaxPooling1D(args);
}
