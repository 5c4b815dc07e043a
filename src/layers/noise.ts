/**
 * Noise layers (Keras 3 semantics, tfjs names), active in training only, like Dropout:
 *
 *   GaussianNoise    y = x + N(0, stddev²)
 *   GaussianDropout  y = x · N(1, rate / (1 − rate))
 *   AlphaDropout     y = a · (x·k + α'·(1 − k)) + b, k ~ Bernoulli(1 − rate) (broadcast by
 *                    noiseShape), α' = −SELU's α·scale, a = ((1 − rate)(1 + rate·α'²))^−½,
 *                    b = −a·α'·rate: keeps a SELU network's zero mean and unit variance
 *
 * Inference is the identity; the step mask passes through. The draws come from the layer's
 * own seeded Rng (TrainingNoise), reseeded per epoch for exact resume.
 */
import { checkNumberIn } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { TrainingNoise } from './dropout.js';
import { checkLayerOptions, type LayerArgs } from './layer.js';

/** rate in [0, 1): at 1 Keras divides by zero (GaussianDropout's variance, AlphaDropout's a). */
const checkRate = (v: unknown, where: string): number => checkNumberIn(v, 0, 1, `${where}: rate`, { hiOpen: true });

export interface GaussianNoiseArgs extends LayerArgs {
  /** Standard deviation of the added noise, ≥ 0. Required. */
  stddev: number;
}

export class GaussianNoise extends TrainingNoise {
  readonly className = 'GaussianNoise';
  readonly stddev: number;

  constructor(args: GaussianNoiseArgs) {
    super(args ?? {}, 'gaussian_noise', { mult: false, add: true });
    checkLayerOptions(args, ['stddev', 'seed'], this.where);
    // Keras 3 refuses stddev > 1; Keras 2 and tfjs take any: noise on unscaled inputs is a real use.
    this.stddev = checkNumberIn(args?.stddev, 0, Infinity, `${this.where}: stddev`, { hiOpen: true });
  }

  get drawsInTraining(): boolean {
    return this.stddev > 0;
  }

  protected draw(rng: Rng, _mult: Float32Array | null, add: Float32Array | null, n: number): void {
    const a = add!;
    for (let i = 0; i < n; i++) a[i] = this.stddev * rng.normal();
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), stddev: this.stddev };
  }
}

export interface GaussianDropoutArgs extends LayerArgs {
  /** The equivalent dropout rate, in [0, 1): the noise's variance is rate / (1 − rate). Required. */
  rate: number;
}

export class GaussianDropout extends TrainingNoise {
  readonly className = 'GaussianDropout';
  readonly rate: number;

  constructor(args: GaussianDropoutArgs) {
    super(args ?? {}, 'gaussian_dropout', { mult: true, add: false });
    checkLayerOptions(args, ['rate', 'seed'], this.where);
    this.rate = checkRate(args?.rate, this.where);
  }

  get drawsInTraining(): boolean {
    return this.rate > 0;
  }

  protected draw(rng: Rng, mult: Float32Array | null, _add: Float32Array | null, n: number): void {
    const sd = Math.sqrt(this.rate / (1 - this.rate));
    const m = mult!;
    for (let i = 0; i < n; i++) m[i] = 1 + sd * rng.normal();
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), rate: this.rate };
  }
}

export interface AlphaDropoutArgs extends LayerArgs {
  /** Fraction of entries dropped (set to SELU's saturation value) in training, in [0, 1). Required. */
  rate: number;
  /** Shape of the random mask, batch axis first: null entries take the input's size, 1 broadcasts. */
  noiseShape?: readonly (number | null)[] | null;
}

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

export class AlphaDropout extends TrainingNoise {
  readonly className = 'AlphaDropout';
  readonly rate: number;

  constructor(args: AlphaDropoutArgs) {
    super(args ?? {}, 'alpha_dropout', { mult: true, add: true });
    checkLayerOptions(args, ['rate', 'noiseShape', 'seed'], this.where);
    this.rate = checkRate(args?.rate, this.where);
  }

  get drawsInTraining(): boolean {
    return this.rate > 0;
  }

  /** mult = a·k, add = a·α'·(1 − k) + b, so y = x·mult + add is Keras's a·(x·k + α'(1 − k)) + b. */
  protected draw(rng: Rng, mult: Float32Array | null, add: Float32Array | null, n: number): void {
    const rate = this.rate;
    const alphaP = -SELU_ALPHA * SELU_SCALE;
    const a = ((1 - rate) * (1 + rate * alphaP * alphaP)) ** -0.5;
    const b = -a * alphaP * rate;
    const m = mult!;
    const s = add!;
    for (let i = 0; i < n; i++) {
      const kept = rng.uniform() >= rate; // Keras: kept where u ≥ rate
      m[i] = kept ? a : 0;
      s[i] = kept ? b : a * alphaP + b;
    }
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), rate: this.rate, noiseShape: this.noiseShape === null ? null : [...this.noiseShape] };
  }
}

/** `layers.gaussianNoise({stddev, seed})`. */
export function gaussianNoise(args: GaussianNoiseArgs): GaussianNoise {
  return new GaussianNoise(args);
}
/** `layers.gaussianDropout({rate, seed})`. */
export function gaussianDropout(args: GaussianDropoutArgs): GaussianDropout {
  return new GaussianDropout(args);
}
/** `layers.alphaDropout({rate, noiseShape, seed})`. */
export function alphaDropout(args: AlphaDropoutArgs): AlphaDropout {
  return new AlphaDropout(args);
}
