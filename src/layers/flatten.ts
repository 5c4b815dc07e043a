/**
 * Flatten: [B, T, F] → [B, T·F] (batch-major, so a plain copy); [B, F] passes as is.
 * The time length must be known. The step mask ends here (Keras Flatten drops it).
 */
import { formatShape } from '../core/tensor.js';
import type { Rng } from '../core/rng.js';
import { Layer, checkLayerOptions, ensure, type LayerArgs, type Shape } from './layer.js';

export interface FlattenArgs extends LayerArgs {
  /** Only 'channelsLast' (the default); rnnkit has no channels-first layout. */
  dataFormat?: 'channelsLast';
}

export class Flatten extends Layer {
  readonly className = 'Flatten';
  readonly dataFormat = 'channelsLast' as const;
  private size = 0; // values per sample
  private out: Float32Array = new Float32Array(0);
  private dx: Float32Array = new Float32Array(0);

  constructor(args: FlattenArgs = {}) {
    super(args ?? {}, 'flatten');
    checkLayerOptions(args, ['dataFormat'], this.where);
    const df = args?.dataFormat;
    if (df !== undefined && df !== 'channelsLast' && (df as string) !== 'channels_last') {
      throw new RangeError(`${this.where}: dataFormat ${JSON.stringify(df)} is not supported; only 'channelsLast'`);
    }
  }

  computeOutputShape(inputShape: Shape): Shape {
    if (inputShape.length === 0) throw new RangeError(`${this.where}: expected input with at least one feature axis, got ${formatShape([null])}`);
    if (inputShape.some((d) => d === null)) {
      throw new RangeError(`${this.where}: every input dimension must be known to flatten (give inputShape [timeSteps, features]), got ${formatShape([null, ...inputShape])}`);
    }
    return [(inputShape as readonly number[]).reduce((a, b) => a * b, 1)];
  }

  protected createWeights(inputShape: Shape, _rng: Rng): void {
    this.size = (inputShape as readonly number[]).reduce((a, b) => a * b, 1);
  }

  forward(x: Float32Array, B: number, _T: number, _training: boolean, _mask: Float32Array | null): Float32Array {
    const n = B * this.size;
    this.out = ensure(this.out, n);
    const out = this.out;
    for (let i = 0; i < n; i++) out[i] = x[i]!;
    return out;
  }

  backward(dy: Float32Array, B: number, _T: number, needDx: boolean): Float32Array | null {
    if (!needDx) return null;
    const n = B * this.size;
    this.dx = ensure(this.dx, n);
    const dx = this.dx;
    for (let i = 0; i < n; i++) dx[i] = dy[i]!;
    return dx;
  }

  override outputMask(_inputMask: Float32Array | null): Float32Array | null {
    return null;
  }

  override outputTime(_T: number): number {
    return 1;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), dataFormat: this.dataFormat };
  }
}

/** `layers.flatten()`. */
export function flatten(args?: FlattenArgs): Flatten {
  return new Flatten(args);
}
