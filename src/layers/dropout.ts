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

/**
 * A layer that perturbs its input in training only: y = x ⊙ mult + add, with mult and/or add
 * drawn per batch from the layer's own seeded Rng (reseeded per epoch, so a resumed fit draws
 * what an unbroken one would), broadcast along the axes where `noiseShape` is 1; inference
 * is the identity. Dropout, AlphaDropout, GaussianDropout and GaussianNoise are its kinds.
 */
export abstract class TrainingNoise extends Layer {
  readonly noiseShape: readonly (number | null)[] | null;
  private rng: Rng | null = null;
  private baseSeed = 0;
  private F = 0; // last axis
  private hasTime = 0; // 1 for [B, T, F] input, 0 for [B, F]
  private bcB = 0; // 1 = the noise is shared along that axis
  private bcT = 1;
  private bcF = 0;
  private fixedBatch = 0; // a noiseShape batch entry other than null/1: batches must have this size
  private applied = false;
  private out: Float32Array = new Float32Array(0);
  /** The multiplicative and additive noise of the last training forward (null: the kind has none). */
  private mult: Float32Array | null;
  private add: Float32Array | null;
  private dx: Float32Array = new Float32Array(0);

  /** `kinds`: which of mult and add this layer draws. */
  protected constructor(args: LayerArgs & { noiseShape?: readonly (number | null)[] | null }, prefix: string, kinds: { mult: boolean; add: boolean }) {
    super(args ?? {}, prefix);
    this.mult = kinds.mult ? new Float32Array(0) : null;
    this.add = kinds.add ? new Float32Array(0) : null;
    const ns = args?.noiseShape;
    if (ns === undefined || ns === null) {
      this.noiseShape = null;
    } else {
      if (!Array.isArray(ns)) throw new TypeError(`${this.where}: noiseShape must be an array (batch axis first) or null, got ${show(ns)}`);
      this.noiseShape = ns.map((d, i) => (d === null ? null : checkPositiveInt(d, `${this.where}: noiseShape[${i}]`)));
    }
  }

  /** Whether a training forward perturbs anything (a rate or stddev above 0). */
  abstract get drawsInTraining(): boolean;

  /** Fill the first n entries of mult and/or add (whichever the kind has) with fresh draws. */
  protected abstract draw(rng: Rng, mult: Float32Array | null, add: Float32Array | null, n: number): void;

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
    // No weights: the build-time Rng (this layer's seed, or drawn from the global seed) draws the noise.
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
    this.applied = training && this.drawsInTraining;
    if (!this.applied) {
      for (let i = 0; i < n; i++) out[i] = x[i]!;
      return out;
    }
    if (this.fixedBatch !== 0 && this.fixedBatch !== B) this.badBatch(B);
    const size = (this.bcB === 1 ? 1 : B) * (this.bcT === 1 ? 1 : Tn) * (this.bcF === 1 ? 1 : F);
    if (this.mult !== null) this.mult = ensure(this.mult, size);
    if (this.add !== null) this.add = ensure(this.add, size);
    this.draw(this.rng!, this.mult, this.add, size);
    this.applyNoise(out, x, B, Tn, this.add);
    return out;
  }

  /** y[b, t, f] = v[b, t, f] · mult[b', t', f'] + add[b', t', f'] with the broadcast axes pinned to 0. */
  private applyNoise(y: Float32Array, v: Float32Array, B: number, T: number, add: Float32Array | null): void {
    const F = this.F;
    const mF = this.bcF === 1 ? 1 : F;
    const mT = this.bcT === 1 ? 1 : T;
    const sF = this.bcF === 1 ? 0 : 1;
    const sT = this.bcT === 1 ? 0 : mF;
    const sB = this.bcB === 1 ? 0 : mT * mF;
    const m = this.mult;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const o = (b * T + t) * F;
        const mo = b * sB + t * sT;
        // Three loops, not one with a + 0: x · 0 is −0 for negative x (as in Keras), and −0 + 0 would be +0.
        if (add === null) for (let f = 0; f < F; f++) y[o + f] = v[o + f]! * m![mo + f * sF]!;
        else if (m === null) for (let f = 0; f < F; f++) y[o + f] = v[o + f]! + add[mo + f * sF]!;
        else for (let f = 0; f < F; f++) y[o + f] = v[o + f]! * m[mo + f * sF]! + add[mo + f * sF]!;
      }
    }
  }

  private badBatch(B: number): never {
    throw new RangeError(`${this.where}: noiseShape ${formatShape(this.noiseShape!)} fixes the batch size to ${this.fixedBatch}, got a batch of ${B}`);
  }

  /** out = x ⊙ mult + add  =>  dx = dy ⊙ mult (identity when no noise was applied). */
  backward(dy: Float32Array, B: number, T: number, needDx: boolean): Float32Array | null {
    if (!needDx) return null;
    const Tn = this.hasTime === 1 ? T : 1;
    const n = B * Tn * this.F;
    this.dx = ensure(this.dx, n);
    const dx = this.dx;
    if (!this.applied || this.mult === null) {
      for (let i = 0; i < n; i++) dx[i] = dy[i]!;
      return dx;
    }
    this.applyNoise(dx, dy, B, Tn, null);
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
}

export class Dropout extends TrainingNoise {
  readonly className = 'Dropout';
  readonly rate: number;

  constructor(args: DropoutArgs) {
    super(args ?? {}, 'dropout', { mult: true, add: false });
    checkLayerOptions(args, ['rate', 'noiseShape', 'seed'], this.where);
    this.rate = checkNumberIn(args.rate, 0, 1, `${this.where}: rate`, { hiOpen: true });
  }

  get drawsInTraining(): boolean {
    return this.rate > 0;
  }

  /** Inverted-dropout mask: 0 with probability rate, else 1/(1 − rate) (Keras: keep where u ≥ rate). */
  protected draw(rng: Rng, mult: Float32Array | null, _add: Float32Array | null, n: number): void {
    const rate = this.rate;
    const keep = 1 / (1 - rate);
    const m = mult!;
    for (let i = 0; i < n; i++) m[i] = rng.uniform() < rate ? 0 : keep;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), rate: this.rate, noiseShape: this.noiseShape === null ? null : [...this.noiseShape] };
  }
}

/** `layers.dropout({rate, noiseShape, seed})`. */
export function dropout(args: DropoutArgs): Dropout {
  return new Dropout(args);
}
