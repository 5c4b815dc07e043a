/**
 * RepeatVector: x [B, F] → y [B, n, F], y[b, t] = x[b] for every t (the usual bridge
 * from an encoder's last state to a decoder). Backward sums dy over the n copies.
 */
import { checkPositiveInt } from '../core/errors.js';
import { formatShape } from '../core/tensor.js';
import type { Rng } from '../core/rng.js';
import { Layer, checkLayerOptions, ensure, type LayerArgs, type Shape } from './layer.js';

export interface RepeatVectorArgs extends LayerArgs {
  /** Number of repetitions (the output's time length). */
  n: number;
}

export class RepeatVector extends Layer {
  readonly className = 'RepeatVector';
  readonly n: number;
  private F = 0;
  private out: Float32Array = new Float32Array(0); // [B, n, F]
  private dx: Float32Array = new Float32Array(0); // [B, F]

  constructor(args: RepeatVectorArgs) {
    super(args ?? {}, 'repeat_vector');
    checkLayerOptions(args, ['n'], this.where);
    this.n = checkPositiveInt(args.n, `${this.where}: n`);
  }

  computeOutputShape(inputShape: Shape): Shape {
    if (inputShape.length !== 1 || inputShape[0] === null) {
      throw new RangeError(`${this.where}: expected input of rank 2 [batch, features], got ${formatShape([null, ...inputShape])}`);
    }
    return [this.n, inputShape[0]!];
  }

  protected createWeights(inputShape: Shape, _rng: Rng): void {
    this.F = inputShape[0]!;
  }

  forward(x: Float32Array, B: number, _T: number, _training: boolean, _mask: Float32Array | null): Float32Array {
    const F = this.F;
    const n = this.n;
    this.out = ensure(this.out, B * n * F);
    const out = this.out;
    for (let b = 0; b < B; b++) {
      const xo = b * F;
      for (let t = 0; t < n; t++) {
        const o = (b * n + t) * F;
        for (let f = 0; f < F; f++) out[o + f] = x[xo + f]!;
      }
    }
    return out;
  }

  /** y[b, t, f] = x[b, f]  =>  dx[b, f] = Σ_t dy[b, t, f]. */
  backward(dy: Float32Array, B: number, _T: number, needDx: boolean): Float32Array | null {
    if (!needDx) return null;
    const F = this.F;
    const n = this.n;
    this.dx = ensure(this.dx, B * F);
    const dx = this.dx;
    for (let b = 0; b < B; b++) {
      for (let f = 0; f < F; f++) {
        let s = 0;
        for (let t = 0; t < n; t++) s += dy[(b * n + t) * F + f]!;
        dx[b * F + f] = s;
      }
    }
    return dx;
  }

  /** Keras RepeatVector does not support masking: no mask leaves it. */
  override outputMask(_inputMask: Float32Array | null): Float32Array | null {
    return null;
  }

  override outputTime(_T: number): number {
    return this.n;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), n: this.n };
  }
}

/** `layers.repeatVector({n})`. */
export function repeatVector(args: RepeatVectorArgs): RepeatVector {
  return new RepeatVector(args);
}
