/**
 * SimpleRNN: h_t = act(x_t · kernel + h_{t-1} · recurrentKernel + bias), Keras
 * semantics: zero initial state, output = last h (or every h with returnSequences,
 * in processing order), goBackwards consumes the input from its last step.
 * The layer converts between the batch-major API layout and the time-major caches;
 * the math is in backend/simpleRnn.ts.
 */
import { backend, type ActId, type Kernels } from '../backend/index.js';
import { activationName, getActivation, type ActivationIdentifier } from '../activations/index.js';
import { getInitializer, serializeInitializer, type Initializer, type InitializerIdentifier } from '../initializers/index.js';
import { checkBoolean, checkPositiveInt } from '../core/errors.js';
import { Tensor, formatShape, toTensor, type NestedArray } from '../core/tensor.js';
import type { Rng } from '../core/rng.js';
import { Layer, checkLayerOptions, ensure, type LayerArgs, type LayerWeight, type Shape } from './layer.js';

export interface SimpleRNNArgs extends LayerArgs {
  /** Size of the hidden state. */
  units: number;
  /** Default 'tanh'. */
  activation?: ActivationIdentifier | null;
  /** Default true. */
  useBias?: boolean;
  /** Default 'glorotUniform' (Keras; tfjs defaults to glorotNormal). */
  kernelInitializer?: InitializerIdentifier | Initializer;
  /** Default 'orthogonal'. */
  recurrentInitializer?: InitializerIdentifier | Initializer;
  /** Default 'zeros'. */
  biasInitializer?: InitializerIdentifier | Initializer;
  /** Return the output at every step ([B, T, units]) instead of the last ([B, units]). Default false. */
  returnSequences?: boolean;
  /** apply() also returns the final state. Default false. */
  returnState?: boolean;
  /** Process the sequence from its last step. Default false. */
  goBackwards?: boolean;
  /** Accepted for Keras compatibility: unrolling changes nothing numerically here. Default false. */
  unroll?: boolean;
}

const LATER: Record<string, string> = {};
for (const k of ['dropout', 'recurrentDropout', 'stateful', 'kernelRegularizer', 'recurrentRegularizer', 'biasRegularizer', 'kernelConstraint', 'recurrentConstraint', 'biasConstraint']) {
  LATER[k] = 'it arrives with the recurrent-layers work (issue 3)';
}
LATER.activityRegularizer = 'activity regularizers are not implemented';
LATER.inputLength = 'give inputShape: [timeSteps, features] instead';

export class SimpleRNN extends Layer {
  readonly className = 'SimpleRNN';
  readonly units: number;
  readonly activation: ActId;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly recurrentInitializer: Initializer;
  readonly biasInitializer: Initializer;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  readonly unroll: boolean;
  private kernel!: LayerWeight;
  private recurrentKernel!: LayerWeight;
  private bias: LayerWeight | null = null;
  private k: Kernels = backend();
  private inputDim = 0;
  // caches, time-major [T, B, ·] in processing order
  private xs: Float32Array = new Float32Array(0);
  private pre: Float32Array = new Float32Array(0);
  private hs: Float32Array = new Float32Array(0);
  private h0: Float32Array = new Float32Array(0);
  private recurrentKernelT: Float32Array = new Float32Array(0);
  private y: Float32Array = new Float32Array(0);
  // backward scratch
  private dOutTM: Float32Array = new Float32Array(0);
  private dPre: Float32Array = new Float32Array(0);
  private dh: Float32Array = new Float32Array(0);
  private dxs: Float32Array = new Float32Array(0);
  private dx: Float32Array = new Float32Array(0);

  constructor(args: SimpleRNNArgs) {
    super(args ?? {}, 'simple_rnn');
    checkLayerOptions(
      args,
      ['units', 'activation', 'useBias', 'kernelInitializer', 'recurrentInitializer', 'biasInitializer', 'returnSequences', 'returnState', 'goBackwards', 'unroll', 'seed'],
      `SimpleRNN '${this.name}'`,
      LATER,
    );
    const w = this.where;
    this.units = checkPositiveInt(args.units, `${w}: units`);
    this.activation = getActivation(args.activation, 'tanh', w);
    this.useBias = args.useBias === undefined ? true : checkBoolean(args.useBias, `${w}: useBias`);
    this.kernelInitializer = getInitializer(args.kernelInitializer ?? 'glorotUniform', `${w}: kernelInitializer`);
    this.recurrentInitializer = getInitializer(args.recurrentInitializer ?? 'orthogonal', `${w}: recurrentInitializer`);
    this.biasInitializer = getInitializer(args.biasInitializer ?? 'zeros', `${w}: biasInitializer`);
    this.returnSequences = args.returnSequences === undefined ? false : checkBoolean(args.returnSequences, `${w}: returnSequences`);
    this.returnState = args.returnState === undefined ? false : checkBoolean(args.returnState, `${w}: returnState`);
    this.goBackwards = args.goBackwards === undefined ? false : checkBoolean(args.goBackwards, `${w}: goBackwards`);
    this.unroll = args.unroll === undefined ? false : checkBoolean(args.unroll, `${w}: unroll`);
  }

  computeOutputShape(inputShape: Shape): Shape {
    if (inputShape.length !== 2) {
      throw new RangeError(`${this.where}: expected input of rank 3 [batch, time, features], got ${formatShape([null, ...inputShape])}`);
    }
    if (inputShape[1] === null) throw new RangeError(`${this.where}: the feature dimension must be known, got ${formatShape([null, ...inputShape])}`);
    return this.returnSequences ? [inputShape[0]!, this.units] : [this.units];
  }

  protected createWeights(inputShape: Shape, rng: Rng): void {
    const H = this.units;
    this.inputDim = inputShape[1]!;
    this.kernel = this.addWeight('kernel', [this.inputDim, H], this.kernelInitializer, rng);
    this.recurrentKernel = this.addWeight('recurrent_kernel', [H, H], this.recurrentInitializer, rng);
    if (this.useBias) this.bias = this.addWeight('bias', [H], this.biasInitializer, rng);
    this.recurrentKernelT = new Float32Array(H * H);
    this.k = backend();
  }

  forward(x: Float32Array, B: number, T: number): Float32Array {
    const H = this.units;
    const I = this.inputDim;
    this.xs = ensure(this.xs, T * B * I);
    this.pre = ensure(this.pre, T * B * H);
    this.hs = ensure(this.hs, T * B * H);
    this.h0 = ensure(this.h0, B * H); // zeros: Keras's default initial state
    this.y = ensure(this.y, B * (this.returnSequences ? T : 1) * H);
    const k = this.k;
    k.toTimeMajor(this.xs, x, B, T, I, this.goBackwards);
    k.simpleRnnForward(this.hs, this.pre, this.recurrentKernelT, this.xs, this.h0, this.kernel.value, this.recurrentKernel.value, this.bias?.value ?? null, T, B, I, H, this.activation);
    if (this.returnSequences) k.fromTimeMajor(this.y, this.hs, B, T, H, false);
    else copyInto(this.y, this.hs, (T - 1) * B * H, B * H);
    return this.y;
  }

  backward(dy: Float32Array, B: number, T: number, needDx: boolean): Float32Array | null {
    const H = this.units;
    const I = this.inputDim;
    const k = this.k;
    this.dPre = ensure(this.dPre, T * B * H);
    this.dh = ensure(this.dh, B * H);
    let dOut = dy;
    if (this.returnSequences) {
      this.dOutTM = ensure(this.dOutTM, T * B * H);
      k.toTimeMajor(this.dOutTM, dy, B, T, H, false);
      dOut = this.dOutTM;
    }
    if (needDx) {
      this.dxs = ensure(this.dxs, T * B * I);
      this.dx = ensure(this.dx, B * T * I);
    }
    k.simpleRnnBackward(
      needDx ? this.dxs : null,
      null,
      this.kernel.grad,
      this.recurrentKernel.grad,
      this.bias?.grad ?? null,
      this.dPre,
      this.dh,
      dOut,
      this.returnSequences,
      this.xs,
      this.h0,
      this.pre,
      this.hs,
      this.kernel.value,
      this.recurrentKernel.value,
      T,
      B,
      I,
      H,
      this.activation,
    );
    if (!needDx) return null;
    k.fromTimeMajor(this.dx, this.dxs, B, T, I, this.goBackwards);
    return this.dx;
  }

  override outputTime(T: number): number {
    return this.returnSequences ? T : 1;
  }

  /**
   * Inference on its own. With returnState it returns [output, finalState] (as tfjs,
   * the static type stays Tensor: cast with `as unknown as Tensor[]`).
   */
  override apply(input: Tensor | NestedArray): Tensor {
    const x = toTensor(input, `${this.where}: input`);
    const out = super.apply(x);
    if (!this.returnState) return out;
    const B = x.shape[0]!;
    const T = x.shape[1]!;
    const H = this.units;
    return [out, new Tensor(this.hs.slice((T - 1) * B * H, T * B * H), [B, H])] as unknown as Tensor;
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      units: this.units,
      activation: activationName(this.activation),
      useBias: this.useBias,
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      recurrentInitializer: serializeInitializer(this.recurrentInitializer),
      biasInitializer: serializeInitializer(this.biasInitializer),
      returnSequences: this.returnSequences,
      returnState: this.returnState,
      goBackwards: this.goBackwards,
      unroll: this.unroll,
    };
  }
}

/** dst[0..n) = src[from..from+n) without the view object subarray() would allocate. */
function copyInto(dst: Float32Array, src: Float32Array, from: number, n: number): void {
  for (let i = 0; i < n; i++) dst[i] = src[from + i]!;
}

/** `layers.simpleRNN({units, …})`. */
export function simpleRNN(args: SimpleRNNArgs): SimpleRNN {
  return new SimpleRNN(args);
}
