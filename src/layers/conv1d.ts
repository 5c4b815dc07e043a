/**
 * Conv1D (Keras 3 semantics, tfjs names): y = act(conv1d(x, kernel) + bias) over the
 * steps of [B, T, C] input, giving [B, T', filters]. The kernel is [kernelSize,
 * C / groups, filters] as Keras stores it (weights 'kernel' and 'bias').
 *
 * Output length (Keras): 'valid' floor((T − dil·(k − 1) − 1) / strides) + 1; 'same'
 * ceil(T / strides), padded as TF does (floor(total / 2) steps before the input);
 * 'causal' pads dil·(k − 1) steps before the input and is 'valid' on the result. The
 * time axis may be open (any length); an input too short for one window is refused.
 *
 * Masks: Keras's Conv1D does not support masking; here as there, masked steps enter the
 * convolution like any other and no mask leaves the layer.
 *
 * Refused by name: dataFormat 'channelsFirst' (put a Permute({dims: [2, 1]}) before the
 * layer), activityRegularizer, LoRA/DoRA.
 */
import { backend, conv1dIsPointwise, Act, type ActId, type Kernels } from '../backend/kernels.js';
import { activationName, getActivation, type ActivationIdentifier } from '../activations/index.js';
import { getInitializer, serializeInitializer, type Initializer, type InitializerIdentifier } from '../initializers/index.js';
import { checkBoolean, checkPositiveInt, show } from '../core/errors.js';
import { getRegularizer, serializeRegularizer, type Regularizer, type RegularizerIdentifier } from '../regularizers/index.js';
import { getConstraint, serializeConstraint, type Constraint, type ConstraintIdentifier } from '../constraints/index.js';
import { formatShape } from '../core/tensor.js';
import type { Rng } from '../core/rng.js';
import { Layer, checkLayerOptions, ensure, type LayerArgs, type LayerWeight, type Shape } from './layer.js';

/** A 1-D window option: a number or a list of one number (as Keras and tfjs write them). */
export type Size1D = number | readonly [number];

export interface Conv1DArgs extends LayerArgs {
  /** Number of output channels. */
  filters: number;
  /** Taps of the window. */
  kernelSize: Size1D;
  /** Step between windows. Default 1. */
  strides?: Size1D;
  /** 'valid' (default), 'same' or 'causal' (case-insensitive, as Keras). */
  padding?: 'valid' | 'same' | 'causal';
  /** Only 'channelsLast' ([batch, steps, channels]); 'channels_last' is read too. */
  dataFormat?: 'channelsLast' | 'channelsFirst';
  /** Spacing of the taps. Default 1; strides > 1 with dilationRate > 1 is an error (Keras 3). */
  dilationRate?: Size1D;
  /** Channel groups convolved separately (Keras 3); input channels and filters must divide by it. Default 1. */
  groups?: number;
  /** Default 'linear'. */
  activation?: ActivationIdentifier | null;
  /** Default true. */
  useBias?: boolean;
  /** Default 'glorotUniform' (Keras; tfjs's default is glorotNormal). */
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
  loraAlpha: 'LoRA is not implemented',
  doraRank: 'DoRA is not implemented',
  doraAlpha: 'DoRA is not implemented',
};

/** A positive integer given as n or [n]. */
export function checkSize1D(value: unknown, what: string): number {
  if (Array.isArray(value)) {
    if (value.length !== 1) throw new RangeError(`${what} must be a positive integer or a list of one, got ${show(value)}`);
    return checkPositiveInt(value[0], what);
  }
  return checkPositiveInt(value, what);
}

/** A padding mode among `allowed` (Keras lowercases it). */
export function checkPadding<P extends string>(value: unknown, allowed: readonly P[], what: string): P {
  const p = typeof value === 'string' ? value.toLowerCase() : value;
  if (!allowed.includes(p as P)) throw new RangeError(`${what} must be ${allowed.map((a) => `'${a}'`).join(' or ')}, got ${show(value)}`);
  return p as P;
}

/** dataFormat: channels last (tfjs or Keras spelling); channels first is refused by name. */
export function checkChannelsLast(value: unknown, what: string): 'channelsLast' {
  if (value === undefined || value === null || value === 'channelsLast' || value === 'channels_last') return 'channelsLast';
  if (value === 'channelsFirst' || value === 'channels_first') {
    throw new RangeError(`${what} ${JSON.stringify(value)} is not supported: only 'channelsLast' ([batch, steps, channels]); put a permute({dims: [2, 1]}) before the layer`);
  }
  throw new RangeError(`${what} must be 'channelsLast' (or 'channelsFirst', not supported), got ${show(value)}`);
}

/** Steps before the input that 'same' pads (TF: floor of half the total). */
export function samePadBefore(T: number, Tout: number, window: number, stride: number): number {
  return Math.floor(Math.max((Tout - 1) * stride + window - T, 0) / 2);
}

/** Options every 1-D convolution layer takes (Conv1D, Conv1DTranspose). */
const CONV_KEYS = [
  'filters',
  'kernelSize',
  'strides',
  'padding',
  'dataFormat',
  'dilationRate',
  'activation',
  'useBias',
  'kernelInitializer',
  'biasInitializer',
  'kernelRegularizer',
  'biasRegularizer',
  'kernelConstraint',
  'biasConstraint',
  'seed',
] as const;

type ConvBaseArgs = Omit<Conv1DArgs, 'padding' | 'groups'> & { padding?: string };

/**
 * What Conv1D and Conv1DTranspose share: the window options (filters, kernelSize,
 * strides, padding among `paddings`, channels-last data, dilationRate), the activation,
 * the kernel and bias with their initializers, regularizers and constraints, and their
 * config. Neither passes a mask on (Keras's convolutions do not support masking).
 */
export abstract class ConvLayer1D extends Layer {
  readonly filters: number;
  readonly kernelSize: number;
  readonly strides: number;
  readonly dataFormat: 'channelsLast';
  readonly dilationRate: number;
  readonly activation: ActId;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
  readonly kernelRegularizer: Regularizer | null;
  readonly biasRegularizer: Regularizer | null;
  readonly kernelConstraint: Constraint | null;
  readonly biasConstraint: Constraint | null;
  protected kernel!: LayerWeight;
  protected bias: LayerWeight | null = null;
  protected k: Kernels = backend();
  protected C = 0;
  // the last forward's geometry (Tout: output steps), for backward
  protected B = 0;
  protected T = 0;
  protected Tout = 0;
  protected padLeft = 0;
  protected x: Float32Array = new Float32Array(0);
  protected cols: Float32Array = new Float32Array(0);
  protected pre: Float32Array = new Float32Array(0);
  protected out: Float32Array = new Float32Array(0);
  protected dPre: Float32Array = new Float32Array(0);
  protected dCols: Float32Array = new Float32Array(0);
  protected dx: Float32Array = new Float32Array(0);

  protected constructor(args: ConvBaseArgs, className: string, prefix: string, own: readonly string[]) {
    super(args ?? {}, prefix);
    // The subclass's className field is not set yet while this runs: name it here.
    const where = `${className} '${this.name}'`;
    checkLayerOptions(args, [...CONV_KEYS, ...own], where, LATER);
    this.filters = checkPositiveInt(args.filters, `${where}: filters`);
    this.kernelSize = checkSize1D(args.kernelSize, `${where}: kernelSize`);
    this.strides = args.strides === undefined ? 1 : checkSize1D(args.strides, `${where}: strides`);
    this.dataFormat = checkChannelsLast(args.dataFormat, `${where}: dataFormat`);
    this.dilationRate = args.dilationRate === undefined ? 1 : checkSize1D(args.dilationRate, `${where}: dilationRate`);
    if (this.strides > 1 && this.dilationRate > 1) {
      throw new RangeError(`${where}: strides > 1 is not supported together with dilationRate > 1 (Keras 3), got strides ${this.strides} and dilationRate ${this.dilationRate}`);
    }
    this.activation = getActivation(args.activation, 'linear', this.where);
    this.useBias = args.useBias === undefined ? true : checkBoolean(args.useBias, `${where}: useBias`);
    this.kernelInitializer = getInitializer(args.kernelInitializer ?? 'glorotUniform', `${where}: kernelInitializer`);
    this.biasInitializer = getInitializer(args.biasInitializer ?? 'zeros', `${where}: biasInitializer`);
    this.kernelRegularizer = getRegularizer(args.kernelRegularizer, `${where}: kernelRegularizer`);
    this.biasRegularizer = getRegularizer(args.biasRegularizer, `${where}: biasRegularizer`);
    this.kernelConstraint = getConstraint(args.kernelConstraint, `${where}: kernelConstraint`);
    this.biasConstraint = getConstraint(args.biasConstraint, `${where}: biasConstraint`);
  }

  /** Taps spanned by the dilated window. */
  protected get span(): number {
    return this.dilationRate * (this.kernelSize - 1) + 1;
  }

  /** The kernel of `shape` and the bias [filters], as Keras orders them. */
  protected addConvWeights(shape: number[], rng: Rng): void {
    this.kernel = this.addWeight('kernel', shape, this.kernelInitializer, rng, { regularizer: this.kernelRegularizer, constraint: this.kernelConstraint });
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], this.biasInitializer, rng, { regularizer: this.biasRegularizer, constraint: this.biasConstraint });
    this.k = backend();
  }

  /** No mask leaves a convolution (Keras's convolutions do not support masking). */
  override outputMask(_inputMask: Float32Array | null): Float32Array | null {
    return null;
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: [this.kernelSize],
      strides: [this.strides],
      dataFormat: this.dataFormat,
      dilationRate: [this.dilationRate],
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

export class Conv1D extends ConvLayer1D {
  readonly className = 'Conv1D';
  readonly padding: 'valid' | 'same' | 'causal';
  readonly groups: number;

  constructor(args: Conv1DArgs) {
    super(args, 'Conv1D', 'conv1d', ['groups']);
    this.padding = args.padding === undefined ? 'valid' : checkPadding(args.padding, ['valid', 'same', 'causal'] as const, `${this.where}: padding`);
    this.groups = args.groups === undefined ? 1 : checkPositiveInt(args.groups, `${this.where}: groups`);
    if (this.filters % this.groups !== 0) throw new RangeError(`${this.where}: filters (${this.filters}) must be divisible by groups (${this.groups})`);
  }

  /** Output length for T input steps (≤ 0: too short). */
  private outLength(T: number): number {
    if (this.padding === 'valid') return Math.floor((T - this.span) / this.strides) + 1;
    return Math.floor((T - 1) / this.strides) + 1; // 'same' and 'causal'
  }

  private padBefore(T: number, Tout: number): number {
    if (this.padding === 'valid') return 0;
    if (this.padding === 'causal') return this.span - 1;
    return samePadBefore(T, Tout, this.span, this.strides);
  }

  private tooShort(T: number): RangeError {
    return new RangeError(
      `${this.where}: an input of ${T} steps is shorter than one window (kernelSize ${this.kernelSize}, dilationRate ${this.dilationRate} span ${this.span} steps with padding 'valid')`,
    );
  }

  computeOutputShape(inputShape: Shape): Shape {
    if (inputShape.length !== 2) throw new RangeError(`${this.where}: expected input of rank 3 ([batch, steps, channels]), got ${formatShape([null, ...inputShape])}`);
    const [T, C] = inputShape;
    if (C === null || C === undefined) throw new RangeError(`${this.where}: the channel dimension must be known, got ${formatShape([null, ...inputShape])}`);
    if (C % this.groups !== 0) throw new RangeError(`${this.where}: the input channels (${C}) must be divisible by groups (${this.groups})`);
    if (T === null || T === undefined) return [null, this.filters];
    const Tout = this.outLength(T);
    if (Tout <= 0) throw this.tooShort(T);
    return [Tout, this.filters];
  }

  protected createWeights(inputShape: Shape, rng: Rng): void {
    this.C = inputShape[1]!;
    this.addConvWeights([this.kernelSize, this.C / this.groups, this.filters], rng);
  }

  forward(x: Float32Array, B: number, T: number, _training: boolean, _mask: Float32Array | null): Float32Array {
    const Tout = this.outLength(T);
    if (Tout <= 0) throw this.tooShort(T);
    const pad = this.padBefore(T, Tout);
    const C = this.C;
    const F = this.filters;
    const K = this.kernelSize;
    this.B = B;
    this.T = T;
    this.Tout = Tout;
    this.padLeft = pad;
    this.x = x;
    this.out = ensure(this.out, B * Tout * F);
    if (this.activation !== Act.linear) this.pre = ensure(this.pre, B * Tout * F);
    const pre = this.activation === Act.linear ? this.out : this.pre;
    if (!conv1dIsPointwise(K, this.strides, pad)) this.cols = ensure(this.cols, B * Tout * K * C);
    this.k.conv1dForward(this.out, pre, this.cols, x, this.kernel.value, this.bias?.value ?? null, B, T, C, Tout, F, K, this.strides, this.dilationRate, pad, this.groups, this.activation);
    return this.out;
  }

  backward(dy: Float32Array, _B: number, _T: number, needDx: boolean): Float32Array | null {
    const { B, T, Tout, C } = this;
    const F = this.filters;
    const K = this.kernelSize;
    this.dPre = ensure(this.dPre, B * Tout * F);
    if (needDx) {
      this.dx = ensure(this.dx, B * T * C);
      if (!conv1dIsPointwise(K, this.strides, this.padLeft)) this.dCols = ensure(this.dCols, B * Tout * K * C);
    }
    const pre = this.activation === Act.linear ? this.out : this.pre;
    this.k.conv1dBackward(
      needDx ? this.dx : null,
      this.kernel.grad,
      this.bias?.grad ?? null,
      this.dPre,
      this.dCols,
      dy,
      this.cols,
      this.x,
      pre,
      this.out,
      this.kernel.value,
      B,
      T,
      C,
      Tout,
      F,
      K,
      this.strides,
      this.dilationRate,
      this.padLeft,
      this.groups,
      this.activation,
    );
    return needDx ? this.dx : null;
  }

  override outputTime(T: number): number {
    return this.outLength(T);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), padding: this.padding, groups: this.groups };
  }
}

/** `layers.conv1d({filters, kernelSize, strides, padding, dilationRate, groups, activation, …})`. */
export function conv1d(args: Conv1DArgs): Conv1D {
  return new Conv1D(args);
}
