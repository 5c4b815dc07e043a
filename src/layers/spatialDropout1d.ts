/**
 * SpatialDropout1D (Keras 3, tfjs names): dropout of whole channels. In training each
 * (sample, channel) of [B, T, C] input is kept with probability 1 − rate and scaled by
 * 1/(1 − rate), else zeroed at every step (noise shape [B, 1, C]); inference is the
 * identity. The random numbers come as Dropout's do: the layer's own seeded Rng (its
 * `seed`, or one drawn from the global seed when it is built), reseeded per epoch from
 * (seed, fit seed, epoch), B·C draws per batch in [b][c] order. The step mask passes
 * through unchanged (Keras's SpatialDropout1D is a Dropout).
 */
import { backend, type Kernels } from '../backend/kernels.js';
import { checkNumberIn } from '../core/errors.js';
import { formatShape } from '../core/tensor.js';
import { Rng, mixSeeds } from '../core/rng.js';
import { Layer, checkLayerOptions, ensure, type LayerArgs, type Shape } from './layer.js';

export interface SpatialDropout1DArgs extends LayerArgs {
  /** Fraction of channels dropped in training, in [0, 1). */
  rate: number;
}

export class SpatialDropout1D extends Layer {
  readonly className = 'SpatialDropout1D';
  readonly rate: number;
  private k: Kernels = backend();
  private rng: Rng | null = null;
  private baseSeed = 0;
  private C = 0;
  private applied = false;
  private out: Float32Array = new Float32Array(0);
  private noise: Float32Array = new Float32Array(0);
  private dx: Float32Array = new Float32Array(0);

  constructor(args: SpatialDropout1DArgs) {
    super(args ?? {}, 'spatial_dropout1d');
    checkLayerOptions(args, ['rate', 'seed'], this.where);
    this.rate = checkNumberIn(args.rate, 0, 1, `${this.where}: rate`, { hiOpen: true });
  }

  computeOutputShape(inputShape: Shape): Shape {
    if (inputShape.length !== 2) throw new RangeError(`${this.where}: expected input of rank 3 ([batch, steps, channels]), got ${formatShape([null, ...inputShape])}`);
    if (inputShape[1] === null) throw new RangeError(`${this.where}: the channel dimension must be known, got ${formatShape([null, ...inputShape])}`);
    return [...inputShape];
  }

  protected createWeights(inputShape: Shape, rng: Rng): void {
    // No weights: the build-time Rng (this layer's seed, or drawn from the global seed) draws the noise.
    this.rng = rng;
    this.baseSeed = rng.nextUint32();
    this.C = inputShape[1]!;
    this.k = backend();
  }

  forward(x: Float32Array, B: number, T: number, training: boolean, _mask: Float32Array | null): Float32Array {
    const C = this.C;
    const n = B * T * C;
    this.out = ensure(this.out, n);
    this.applied = training && this.rate > 0;
    if (!this.applied) {
      this.out.set(x.subarray(0, n));
      return this.out;
    }
    this.noise = ensure(this.noise, B * C);
    this.k.dropoutNoise(this.noise, B * C, this.rate, this.rng!);
    this.k.scaleChannels(this.out, x, this.noise, B, T, C);
    return this.out;
  }

  /** out = x ⊙ noise[b, c]  =>  dx = dy ⊙ noise[b, c] (identity when no dropout was applied). */
  backward(dy: Float32Array, B: number, T: number, needDx: boolean): Float32Array | null {
    if (!needDx) return null;
    const n = B * T * this.C;
    this.dx = ensure(this.dx, n);
    if (!this.applied) this.dx.set(dy.subarray(0, n));
    else this.k.scaleChannels(this.dx, dy, this.noise, B, T, this.C);
    return this.dx;
  }

  override outputMask(inputMask: Float32Array | null): Float32Array | null {
    return inputMask;
  }

  override outputTime(T: number): number {
    return T;
  }

  override beginEpoch(fitSeed: number, epoch: number): void {
    this.rng = new Rng(mixSeeds(mixSeeds(this.baseSeed, fitSeed), epoch));
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), rate: this.rate };
  }
}

/** `layers.spatialDropout1d({rate, seed})`: drops whole channels in training. */
export function spatialDropout1d(args: SpatialDropout1DArgs): SpatialDropout1D {
  return new SpatialDropout1D(args);
}
