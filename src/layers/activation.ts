/**
 * Activation: y = act(x) elementwise (softmax over the last axis), on [B, F] or
 * [B, T, F] input, through the backend activation kernels. The step mask passes through.
 */
import { backend, type ActId, type Kernels } from '../backend/kernels.js';
import { activationName, getActivation, type ActivationIdentifier } from '../activations/index.js';
import { formatShape } from '../core/tensor.js';
import type { Rng } from '../core/rng.js';
import { Layer, checkLayerOptions, ensure, type LayerArgs, type Shape } from './layer.js';

export interface ActivationArgs extends LayerArgs {
  /** Any activation name ('relu', 'softmax', …); null = 'linear'. Required. */
  activation: ActivationIdentifier | null;
}

export class Activation extends Layer {
  readonly className = 'Activation';
  readonly activation: ActId;
  private k: Kernels = backend();
  private F = 0;
  private hasTime = 0; // 1 for [B, T, F] input
  private x: Float32Array = new Float32Array(0); // forward input (the previous layer's buffer)
  private out: Float32Array = new Float32Array(0);
  private dx: Float32Array = new Float32Array(0);

  constructor(args: ActivationArgs) {
    super(args ?? {}, 'activation');
    checkLayerOptions(args, ['activation'], this.where);
    if (args.activation === undefined) throw new RangeError(`${this.where}: the activation option is required, e.g. {activation: 'relu'}`);
    this.activation = getActivation(args.activation, 'linear', this.where);
  }

  computeOutputShape(inputShape: Shape): Shape {
    if (inputShape.length !== 1 && inputShape.length !== 2) {
      throw new RangeError(`${this.where}: expected input of rank 2 or 3 ([batch, features] or [batch, time, features]), got ${formatShape([null, ...inputShape])}`);
    }
    if (inputShape[inputShape.length - 1] === null) throw new RangeError(`${this.where}: the last input dimension must be known, got ${formatShape([null, ...inputShape])}`);
    return [...inputShape];
  }

  protected createWeights(inputShape: Shape, _rng: Rng): void {
    this.F = inputShape[inputShape.length - 1]!;
    this.hasTime = inputShape.length === 2 ? 1 : 0;
    this.k = backend();
  }

  forward(x: Float32Array, B: number, T: number, _training: boolean, _mask: Float32Array | null): Float32Array {
    const rows = this.hasTime === 1 ? B * T : B;
    const F = this.F;
    this.out = ensure(this.out, rows * F);
    this.x = x;
    this.k.activationForward(this.activation, this.out, 0, x, 0, rows, F);
    return this.out;
  }

  backward(dy: Float32Array, B: number, T: number, needDx: boolean): Float32Array | null {
    if (!needDx) return null;
    const rows = this.hasTime === 1 ? B * T : B;
    const F = this.F;
    this.dx = ensure(this.dx, rows * F);
    this.k.activationBackward(this.activation, this.dx, 0, dy, 0, this.x, 0, this.out, 0, rows, F);
    return this.dx;
  }

  override outputMask(inputMask: Float32Array | null): Float32Array | null {
    return inputMask;
  }

  override outputTime(T: number): number {
    return this.hasTime === 1 ? T : 1;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), activation: activationName(this.activation) };
  }
}

/** `layers.activation({activation})`. */
export function activation(args: ActivationArgs): Activation {
  return new Activation(args);
}
