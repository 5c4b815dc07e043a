/**
 * Layers that add, drop or repeat whole steps of [B, T, C] (channels last), as Keras 3
 * and tf.keras 2 define them — the plumbing of convolutional sequence autoencoders:
 *
 *   ZeroPadding1D({padding})   zero steps before and after: T + l + r
 *   Cropping1D({cropping})     steps dropped from the start and the end: T − l − r
 *   UpSampling1D({size})       each step repeated `size` times in place: T·size
 *
 * `padding`/`cropping` is n (both sides) or [before, after]. None of them supports
 * masking in Keras: masked steps pass like any other and no mask leaves. dataFormat
 * 'channelsFirst' (Keras 3's ZeroPadding1D) is refused by name.
 */
import { checkPositiveInt, show } from '../core/errors.js';
import { formatShape } from '../core/tensor.js';
import type { Rng } from '../core/rng.js';
import { Layer, checkLayerOptions, ensure, type LayerArgs, type Shape } from './layer.js';
import { checkChannelsLast } from './conv1d.js';

/** n or [before, after], non-negative integers. */
function checkPair(value: unknown, what: string): [number, number] {
  const ok = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
  if (ok(value)) return [value, value];
  if (Array.isArray(value) && value.length === 2 && ok(value[0]) && ok(value[1])) return [value[0], value[1]];
  throw new RangeError(`${what} must be a non-negative integer or a list [before, after] of two, got ${show(value)}`);
}

/**
 * The common pass: output step u of [B, Tout, C] copies input step `source(u)` (−1: a
 * zero step); backward adds each output step's gradient back to its source.
 */
abstract class StepMap1D extends Layer {
  private C = 0;
  private T = 0;
  private Tout = 0;
  private out: Float32Array = new Float32Array(0);
  private dx: Float32Array = new Float32Array(0);

  /** Output length for T input steps (checked positive). */
  protected abstract outLength(T: number): number;
  /** The input step output step u copies, or −1 for zeros. */
  protected abstract source(u: number): number;

  computeOutputShape(inputShape: Shape): Shape {
    if (inputShape.length !== 2) throw new RangeError(`${this.where}: expected input of rank 3 ([batch, steps, channels]), got ${formatShape([null, ...inputShape])}`);
    const [T, C] = inputShape;
    if (C === null || C === undefined) throw new RangeError(`${this.where}: the channel dimension must be known, got ${formatShape([null, ...inputShape])}`);
    return [T === null || T === undefined ? null : this.checkedLength(T), C];
  }

  private checkedLength(T: number): number {
    const n = this.outLength(T);
    if (n <= 0) throw new RangeError(`${this.where}: an input of ${T} steps leaves ${n} steps (${JSON.stringify(this.getConfig())})`);
    return n;
  }

  protected createWeights(inputShape: Shape, _rng: Rng): void {
    this.C = inputShape[1]!;
  }

  forward(x: Float32Array, B: number, T: number, _training: boolean, _mask: Float32Array | null): Float32Array {
    const C = this.C;
    const Tout = this.checkedLength(T);
    this.T = T;
    this.Tout = Tout;
    this.out = ensure(this.out, B * Tout * C);
    const out = this.out;
    for (let b = 0; b < B; b++) {
      for (let u = 0; u < Tout; u++) {
        const o = (b * Tout + u) * C;
        const t = this.source(u);
        if (t < 0 || t >= T) out.fill(0, o, o + C);
        else out.set(x.subarray((b * T + t) * C, (b * T + t + 1) * C), o);
      }
    }
    return out;
  }

  backward(dy: Float32Array, B: number, _T: number, needDx: boolean): Float32Array | null {
    if (!needDx) return null;
    const { C, T, Tout } = this;
    this.dx = ensure(this.dx, B * T * C);
    const dx = this.dx;
    dx.fill(0, 0, B * T * C);
    for (let b = 0; b < B; b++) {
      for (let u = 0; u < Tout; u++) {
        const t = this.source(u);
        if (t < 0 || t >= T) continue;
        const o = (b * Tout + u) * C;
        const d = (b * T + t) * C;
        for (let c = 0; c < C; c++) dx[d + c] = dx[d + c]! + dy[o + c]!;
      }
    }
    return dx;
  }

  /** Keras's ZeroPadding1D, Cropping1D and UpSampling1D do not support masking. */
  override outputMask(_inputMask: Float32Array | null): Float32Array | null {
    return null;
  }

  override outputTime(T: number): number {
    return this.checkedLength(T);
  }
}

export interface ZeroPadding1DArgs extends LayerArgs {
  /** Zero steps on both sides (n) or [before, after]. Default 1. */
  padding?: number | readonly [number, number];
  /** Only 'channelsLast' (Keras 3 also has 'channelsFirst', refused). */
  dataFormat?: 'channelsLast' | 'channelsFirst';
}

export class ZeroPadding1D extends StepMap1D {
  readonly className = 'ZeroPadding1D';
  readonly padding: readonly [number, number];
  readonly dataFormat: 'channelsLast';

  constructor(args: ZeroPadding1DArgs = {}) {
    super(args ?? {}, 'zero_padding1d');
    checkLayerOptions(args ?? {}, ['padding', 'dataFormat'], this.where);
    this.padding = args?.padding === undefined ? [1, 1] : checkPair(args.padding, `${this.where}: padding`);
    this.dataFormat = checkChannelsLast(args?.dataFormat, `${this.where}: dataFormat`);
  }

  protected outLength(T: number): number {
    return T + this.padding[0] + this.padding[1];
  }

  protected source(u: number): number {
    return u - this.padding[0];
  }

  override getConfig(): Record<string, unknown> {
    // dataFormat is left out: Keras 3.0-3.3's ZeroPadding1D does not take it, and channels last is every version's default.
    return { ...super.getConfig(), padding: [...this.padding] };
  }
}

export interface Cropping1DArgs extends LayerArgs {
  /** Steps dropped on both sides (n) or [start, end]. Default [1, 1]. */
  cropping?: number | readonly [number, number];
}

export class Cropping1D extends StepMap1D {
  readonly className = 'Cropping1D';
  readonly cropping: readonly [number, number];

  constructor(args: Cropping1DArgs = {}) {
    super(args ?? {}, 'cropping1d');
    checkLayerOptions(args ?? {}, ['cropping'], this.where);
    this.cropping = args?.cropping === undefined ? [1, 1] : checkPair(args.cropping, `${this.where}: cropping`);
  }

  protected outLength(T: number): number {
    return T - this.cropping[0] - this.cropping[1];
  }

  protected source(u: number): number {
    return u + this.cropping[0];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), cropping: [...this.cropping] };
  }
}

export interface UpSampling1DArgs extends LayerArgs {
  /** Times each step is repeated. Default 2. */
  size?: number;
}

export class UpSampling1D extends StepMap1D {
  readonly className = 'UpSampling1D';
  readonly size: number;

  constructor(args: UpSampling1DArgs = {}) {
    super(args ?? {}, 'up_sampling1d');
    checkLayerOptions(args ?? {}, ['size'], this.where);
    this.size = args?.size === undefined ? 2 : checkPositiveInt(args.size, `${this.where}: size`);
  }

  protected outLength(T: number): number {
    return T * this.size;
  }

  protected source(u: number): number {
    return Math.floor(u / this.size);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), size: this.size };
  }
}

/** `layers.zeroPadding1d({padding})`. */
export function zeroPadding1d(args?: ZeroPadding1DArgs): ZeroPadding1D {
  return new ZeroPadding1D(args);
}

/** `layers.cropping1d({cropping})`. */
export function cropping1d(args?: Cropping1DArgs): Cropping1D {
  return new Cropping1D(args);
}

/** `layers.upSampling1d({size})`. */
export function upSampling1d(args?: UpSampling1DArgs): UpSampling1D {
  return new UpSampling1D(args);
}
