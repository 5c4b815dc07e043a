/**
 * Dense: y = act(x · kernel + bias), kernel [I, O]. On 3-D input [B, T, I] it applies
 * to every time step (one product over B·T rows), as Keras does.
 */
import { backend, Act, type ActId, type Kernels } from '../backend/kernels.js';
import { activationName, getActivation, type ActivationIdentifier } from '../activations/index.js';
import { getInitializer, serializeInitializer, type Initializer, type InitializerIdentifier } from '../initializers/index.js';
import { checkBoolean, checkPositiveInt } from '../core/errors.js';
import { getRegularizer, serializeRegularizer, type Regularizer, type RegularizerIdentifier } from '../regularizers/index.js';
import { getConstraint, serializeConstraint, type Constraint, type ConstraintIdentifier } from '../constraints/index.js';
import { formatShape } from '../core/tensor.js';
import type { Rng } from '../core/rng.js';
import { Layer, checkLayerOptions, ensure, type LayerArgs, type LayerWeight, type Shape } from './layer.js';

export interface DenseArgs extends LayerArgs {
  /** Output width. */
  units: number;
  /** Default 'linear'. */
  activation?: ActivationIdentifier | null;
  /** Default true. */
  useBias?: boolean;
  /** Default 'glorotUniform' (Keras). */
  kernelInitializer?: InitializerIdentifier | Initializer;
  /** Default 'zeros'. */
  biasInitializer?: InitializerIdentifier | Initializer;
  kernelRegularizer?: RegularizerIdentifier | Regularizer | null;
  biasRegularizer?: RegularizerIdentifier | Regularizer | null;
  kernelConstraint?: ConstraintIdentifier | Constraint | null;
  biasConstraint?: ConstraintIdentifier | Constraint | null;
}

const LATER = {
  activityRegularizer: 'activity regularizers are not implemented',
  loraRank: 'LoRA is not implemented',
};

export class Dense extends Layer {
  readonly className = 'Dense';
  readonly units: number;
  readonly activation: ActId;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
  readonly kernelRegularizer: Regularizer | null;
  readonly biasRegularizer: Regularizer | null;
  readonly kernelConstraint: Constraint | null;
  readonly biasConstraint: Constraint | null;
  private kernel!: LayerWeight;
  private bias: LayerWeight | null = null;
  private k: Kernels = backend();
  private inputDim = 0;
  private x: Float32Array = new Float32Array(0);
  private pre: Float32Array = new Float32Array(0);
  private out: Float32Array = new Float32Array(0);
  private dPre: Float32Array = new Float32Array(0);
  private dx: Float32Array = new Float32Array(0);

  constructor(args: DenseArgs) {
    super(args ?? {}, 'dense');
    checkLayerOptions(
      args,
      ['units', 'activation', 'useBias', 'kernelInitializer', 'biasInitializer', 'kernelRegularizer', 'biasRegularizer', 'kernelConstraint', 'biasConstraint', 'seed'],
      `Dense '${this.name}'`,
      LATER,
    );
    this.units = checkPositiveInt(args.units, `${this.where}: units`);
    this.activation = getActivation(args.activation, 'linear', this.where);
    this.useBias = args.useBias === undefined ? true : checkBoolean(args.useBias, `${this.where}: useBias`);
    this.kernelInitializer = getInitializer(args.kernelInitializer ?? 'glorotUniform', `${this.where}: kernelInitializer`);
    this.biasInitializer = getInitializer(args.biasInitializer ?? 'zeros', `${this.where}: biasInitializer`);
    this.kernelRegularizer = getRegularizer(args.kernelRegularizer, `${this.where}: kernelRegularizer`);
    this.biasRegularizer = getRegularizer(args.biasRegularizer, `${this.where}: biasRegularizer`);
    this.kernelConstraint = getConstraint(args.kernelConstraint, `${this.where}: kernelConstraint`);
    this.biasConstraint = getConstraint(args.biasConstraint, `${this.where}: biasConstraint`);
  }

  computeOutputShape(inputShape: Shape): Shape {
    if (inputShape.length !== 1 && inputShape.length !== 2) {
      throw new RangeError(`${this.where}: expected input of rank 2 or 3 ([batch, features] or [batch, time, features]), got ${formatShape([null, ...inputShape])}`);
    }
    const last = inputShape[inputShape.length - 1];
    if (last === null || last === undefined) throw new RangeError(`${this.where}: the last input dimension must be known, got ${formatShape([null, ...inputShape])}`);
    return [...inputShape.slice(0, -1), this.units];
  }

  protected createWeights(inputShape: Shape, rng: Rng): void {
    this.inputDim = inputShape[inputShape.length - 1]!;
    this.kernel = this.addWeight('kernel', [this.inputDim, this.units], this.kernelInitializer, rng, { regularizer: this.kernelRegularizer, constraint: this.kernelConstraint });
    if (this.useBias) this.bias = this.addWeight('bias', [this.units], this.biasInitializer, rng, { regularizer: this.biasRegularizer, constraint: this.biasConstraint });
    this.k = backend();
  }

  forward(x: Float32Array, B: number, T: number, _training: boolean, _mask: Float32Array | null): Float32Array {
    const rows = B * T;
    const O = this.units;
    this.out = ensure(this.out, rows * O);
    // A linear activation needs no separate pre-activation cache.
    if (this.activation !== Act.linear) this.pre = ensure(this.pre, rows * O);
    const pre = this.activation === Act.linear ? this.out : this.pre;
    this.x = x;
    this.k.denseForward(this.out, pre, x, this.kernel.value, this.bias?.value ?? null, rows, this.inputDim, O, this.activation);
    return this.out;
  }

  backward(dy: Float32Array, B: number, T: number, needDx: boolean): Float32Array | null {
    const rows = B * T;
    const O = this.units;
    this.dPre = ensure(this.dPre, rows * O);
    if (needDx) this.dx = ensure(this.dx, rows * this.inputDim);
    const pre = this.activation === Act.linear ? this.out : this.pre;
    this.k.denseBackward(
      needDx ? this.dx : null,
      this.kernel.grad,
      this.bias?.grad ?? null,
      this.dPre,
      dy,
      this.x,
      pre,
      this.out,
      this.kernel.value,
      rows,
      this.inputDim,
      O,
      this.activation,
    );
    return needDx ? this.dx : null;
  }

  override outputTime(T: number): number {
    return T;
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      units: this.units,
      activation: activationName(this.activation),
      useBias: this.useBias,
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      biasInitializer: serializeInitializer(this.biasInitializer),
      kernelRegularizer: this.kernelRegularizer === null ? null : serializeRegularizer(this.kernelRegularizer),
      biasRegularizer: this.biasRegularizer === null ? null : serializeRegularizer(this.biasRegularizer),
      kernelConstraint: this.kernelConstraint === null ? null : serializeConstraint(this.kernelConstraint),
      biasConstraint: this.biasConstraint === null ? null : serializeConstraint(this.biasConstraint),
    };
  }
}

/** `layers.dense({units, activation, …})`. */
export function dense(args: DenseArgs): Dense {
  return new Dense(args);
}
