/**
 * Masking: marks the time steps of x [B, T, F] whose features ALL equal maskValue as
 * padding (Keras 3 semantics). Output = x with those steps zeroed; the mask passed on
 * is [B, T] (1 = keep) = "some feature differs from maskValue", ANDed with any incoming
 * mask (Keras itself drops an incoming mask here; keeping it is never less strict).
 * Only the layer's own rule zeroes outputs, as in Keras: out = x ⊙ own, dx = dy ⊙ own.
 */
import { show } from '../core/errors.js';
import { formatShape } from '../core/tensor.js';
import type { Rng } from '../core/rng.js';
import { Layer, checkLayerOptions, ensure, type LayerArgs, type Shape } from './layer.js';

export interface MaskingArgs extends LayerArgs {
  /** A step is masked when every feature equals this value. Default 0. */
  maskValue?: number;
}

export class Masking extends Layer {
  readonly className = 'Masking';
  readonly maskValue: number;
  private F = 0;
  private out: Float32Array = new Float32Array(0); // [B, T, F]
  private own: Float32Array = new Float32Array(0); // [B, T] this layer's rule, 1 = keep
  private mask: Float32Array = new Float32Array(0); // [B, T] own AND incoming
  private dx: Float32Array = new Float32Array(0); // [B, T, F]

  constructor(args: MaskingArgs = {}) {
    super(args ?? {}, 'masking');
    checkLayerOptions(args, ['maskValue'], this.where);
    const v = args?.maskValue;
    if (v !== undefined && typeof v !== 'number') throw new TypeError(`${this.where}: maskValue must be a number, got ${show(v)}`);
    if (Number.isNaN(v)) throw new RangeError(`${this.where}: maskValue NaN would never match a feature (NaN != NaN); give a number`);
    this.maskValue = v ?? 0;
  }

  computeOutputShape(inputShape: Shape): Shape {
    if (inputShape.length !== 2) {
      throw new RangeError(`${this.where}: expected input of rank 3 [batch, time, features], got ${formatShape([null, ...inputShape])}`);
    }
    if (inputShape[1] === null) throw new RangeError(`${this.where}: the feature dimension must be known, got ${formatShape([null, ...inputShape])}`);
    return [...inputShape];
  }

  protected createWeights(inputShape: Shape, _rng: Rng): void {
    this.F = inputShape[1]!;
  }

  forward(x: Float32Array, B: number, T: number, _training: boolean, mask: Float32Array | null): Float32Array {
    const F = this.F;
    const steps = B * T;
    this.out = ensure(this.out, steps * F);
    this.own = ensure(this.own, steps);
    this.mask = ensure(this.mask, steps);
    const out = this.out;
    const own = this.own;
    const m = this.mask;
    // Compared as float32, as Keras's not_equal casts mask_value to the input's dtype: 0.1 matches a stored 0.1.
    const mv = Math.fround(this.maskValue);
    for (let s = 0; s < steps; s++) {
      const o = s * F;
      let keep = 0;
      for (let f = 0; f < F; f++) {
        // NaN differs from every maskValue, as in Keras's not_equal.
        if (x[o + f] !== mv) {
          keep = 1;
          break;
        }
      }
      own[s] = keep;
      if (keep === 1) for (let f = 0; f < F; f++) out[o + f] = x[o + f]!;
      else for (let f = 0; f < F; f++) out[o + f] = 0;
      m[s] = mask === null || mask[s] !== 0 ? keep : 0;
    }
    return out;
  }

  /** out = x ⊙ own[step]  =>  dx = dy ⊙ own[step]. */
  backward(dy: Float32Array, B: number, T: number, needDx: boolean): Float32Array | null {
    if (!needDx) return null;
    const F = this.F;
    const steps = B * T;
    this.dx = ensure(this.dx, steps * F);
    const dx = this.dx;
    const own = this.own;
    for (let s = 0; s < steps; s++) {
      const o = s * F;
      if (own[s] === 1) for (let f = 0; f < F; f++) dx[o + f] = dy[o + f]!;
      else for (let f = 0; f < F; f++) dx[o + f] = 0;
    }
    return dx;
  }

  /** The [B, T] mask of the last forward (own rule AND the incoming mask). */
  override outputMask(_inputMask: Float32Array | null): Float32Array | null {
    return this.mask;
  }

  override outputTime(T: number): number {
    return T;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), maskValue: this.maskValue };
  }
}

/** `layers.masking({maskValue})`. */
export function masking(args?: MaskingArgs): Masking {
  return new Masking(args);
}
