/**
 * Dropout: inverted dropout in training (Keras 3): each entry is kept with probability
 * 1 − rate and scaled by 1/(1 − rate), else zeroed; inference is the identity. A fresh
 * mask per batch from the layer's own seeded Rng (its `seed`, or one drawn from the
 * global seed when it is built). The step mask passes through unchanged.
 *
 * noiseShape (Keras/tfjs) gives the shape of the random mask with the batch axis first,
 * e.g. [null, 1, features] on [B, T, F] input: one mask per sample shared by every time
 * step. Each entry is null (full size), 1 (broadcast along that axis) or the axis size.
 */
import { checkNumberIn, checkPositiveInt, show } from '../core/errors.js';
import { formatShape } from '../core/tensor.js';
import { Rng, mixSeeds } from '../core/rng.js';
import { Layer, checkLayerOptions, ensure, type LayerArgs, type Shape } from './layer.js';

export interface DropoutArgs extends LayerArgs {
  /** Fraction of entries dropped in training, in [0, 1). */
  rate: number;
  /** Shape of the mask, batch axis first: null entries take the input's size, 1 broadcasts. Default: the input's shape. */
  noiseShape?: readonly (number | null)[] | null;
}

export class Dropout extends Layer {
  readonly className = 'Dropout';
  readonly rate: number;
  readonly noiseShape: readonly (number | null)[] | null;
  private rng: Rng | null = null;
  private baseSeed = 0;
  private F = 0; // last axis
  private hasTime = 0; // 1 for [B, T, F] input, 0 for [B, F]
  private bcB = 0; // 1 = the mask is shared along that axis
  private bcT = 1;
  private bcF = 0;
  private fixedBatch = 0; // a noiseShape batch entry other than null/1: batches must have this size
  private applied = false;
  private out: Float32Array = new Float32Array(0);
  private noise: Float32Array = new Float32Array(0);
  private dx: Float32Array = new Float32Array(0);

  constructor(args: DropoutArgs) {
    super(args ?? {}, 'dropout');
    checkLayerOptions(args, ['rate', 'noiseShape', 'seed'], this.where);
    this.rate = checkNumberIn(args.rate, 0, 1, `${this.where}: rate`, { hiOpen: true });
    const ns = args.noiseShape;
    if (ns === undefined || ns === null) {
      this.noiseShape = null;
    } else {
      if (!Array.isArray(ns)) throw new TypeError(`${this.where}: noiseShape must be an array (batch axis first) or null, got ${show(ns)}`);
      this.noiseShape = ns.map((d, i) => (d === null ? null : checkPositiveInt(d, `${this.where}: noiseShape[${i}]`)));
    }
  }

  computeOutputShape(inputShape: Shape): Shape {
    if (inputShape.length !== 1 && inputShape.length !== 2) {
      throw new RangeError(`${this.where}: expected input of rank 2 or 3 ([batch, features] or [batch, time, features]), got ${formatShape([null, ...inputShape])}`);
    }
    if (inputShape[inputShape.length - 1] === null) throw new RangeError(`${this.where}: the last input dimension must be known, got ${formatShape([null, ...inputShape])}`);
    const ns = this.noiseShape;
    if (ns !== null) {
      const full = [null, ...inputShape];
      if (ns.length !== full.length) {
        throw new RangeError(`${this.where}: noiseShape ${formatShape(ns)} must have one entry per input axis, batch first (input ${formatShape(full)})`);
      }
      ns.forEach((d, i) => {
        const size = full[i];
        if (d === null || d === 1 || i === 0) return;
        if (size === null || d !== size) {
          throw new RangeError(`${this.where}: noiseShape ${formatShape(ns)} does not broadcast to the input ${formatShape(full)}: axis ${i} must be null, 1 or ${size ?? 'the (unknown) time length'}`);
        }
      });
    }
    return [...inputShape];
  }

  protected createWeights(inputShape: Shape, rng: Rng): void {
    // No weights: the build-time Rng (this layer's seed, or drawn from the global seed) draws the masks.
    this.rng = rng;
    this.baseSeed = rng.nextUint32();
    this.F = inputShape[inputShape.length - 1]!;
    const ns = this.noiseShape;
    const last = ns === null ? null : ns[ns.length - 1];
    this.bcF = last === 1 && this.F !== 1 ? 1 : 0;
    this.bcT = inputShape.length === 2 && ns !== null && ns[1] === 1 ? 1 : 0;
    const b = ns === null ? null : ns[0];
    this.bcB = b === 1 ? 1 : 0;
    this.fixedBatch = b === null || b === undefined || b === 1 ? 0 : b;
    this.hasTime = inputShape.length === 2 ? 1 : 0;
  }

  forward(x: Float32Array, B: number, T: number, training: boolean, _mask: Float32Array | null): Float32Array {
    const F = this.F;
    const Tn = this.hasTime === 1 ? T : 1;
    const n = B * Tn * F;
    this.out = ensure(this.out, n);
    const out = this.out;
    this.applied = training && this.rate > 0;
    if (!this.applied) {
      for (let i = 0; i < n; i++) out[i] = x[i]!;
      return out;
    }
    if (this.fixedBatch !== 0 && this.fixedBatch !== B) this.badBatch(B);
    const mT = this.bcT === 1 ? 1 : Tn;
    const mF = this.bcF === 1 ? 1 : F;
    const mB = this.bcB === 1 ? 1 : B;
    this.noise = ensure(this.noise, mB * mT * mF);
    this.fillNoise(mB * mT * mF);
    this.applyNoise(out, x, B, Tn);
    return out;
  }

  /** Inverted-dropout mask: 0 with probability rate, else 1/(1 − rate) (Keras: keep where u ≥ rate). */
  private fillNoise(n: number): void {
    const rate = this.rate;
    const keep = 1 / (1 - rate);
    const rng = this.rng!;
    const m = this.noise;
    for (let i = 0; i < n; i++) m[i] = rng.uniform() < rate ? 0 : keep;
  }

  /** y[b, t, f] = v[b, t, f] · noise[b', t', f'] with the broadcast axes pinned to 0. */
  private applyNoise(y: Float32Array, v: Float32Array, B: number, T: number): void {
    const F = this.F;
    const mF = this.bcF === 1 ? 1 : F;
    const mT = this.bcT === 1 ? 1 : T;
    const sF = this.bcF === 1 ? 0 : 1;
    const sT = this.bcT === 1 ? 0 : mF;
    const sB = this.bcB === 1 ? 0 : mT * mF;
    const m = this.noise;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const o = (b * T + t) * F;
        const mo = b * sB + t * sT;
        for (let f = 0; f < F; f++) y[o + f] = v[o + f]! * m[mo + f * sF]!;
      }
    }
  }

  private badBatch(B: number): never {
    throw new RangeError(`${this.where}: noiseShape ${formatShape(this.noiseShape!)} fixes the batch size to ${this.fixedBatch}, got a batch of ${B}`);
  }

  /** out = x ⊙ noise  =>  dx = dy ⊙ noise (identity when no dropout was applied). */
  backward(dy: Float32Array, B: number, T: number, needDx: boolean): Float32Array | null {
    if (!needDx) return null;
    const Tn = this.hasTime === 1 ? T : 1;
    const n = B * Tn * this.F;
    this.dx = ensure(this.dx, n);
    const dx = this.dx;
    if (!this.applied) {
      for (let i = 0; i < n; i++) dx[i] = dy[i]!;
      return dx;
    }
    this.applyNoise(dx, dy, B, Tn);
    return dx;
  }

  override outputMask(inputMask: Float32Array | null): Float32Array | null {
    return inputMask;
  }

  override outputTime(T: number): number {
    return this.hasTime === 1 ? T : 1;
  }

  override beginEpoch(fitSeed: number, epoch: number): void {
    this.rng = new Rng(mixSeeds(mixSeeds(this.baseSeed, fitSeed), epoch));
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), rate: this.rate, noiseShape: this.noiseShape === null ? null : [...this.noiseShape] };
  }
}

/** `layers.dropout({rate, noiseShape, seed})`. */
export function dropout(args: DropoutArgs): Dropout {
  return new Dropout(args);
}
