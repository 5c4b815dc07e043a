/**
 * Conv1DTranspose (Keras 3 semantics, tf.keras 2's too): the transposed 1-D convolution
 * ("deconvolution") of [B, T, C] input, giving [B, Lout, filters]: input step t adds
 * kernel tap j times x[t] into output step t·strides + j·dilationRate − padLeft. The kernel
 * is [kernelSize, filters, C] as Keras stores it (note: filters before input channels).
 *
 * Output length (Keras's compute_conv_transpose_output_shape, with K = the dilated span):
 *   'valid': (T − 1)·strides + max(K, strides), or (T − 1)·strides + K + outputPadding;
 *   'same':  T·strides, or (T − 1)·strides + K mod 2 + outputPadding.
 * Placement is TensorFlow's (tf.nn.conv_transpose is the gradient of the convolution from
 * Lout steps back to T): 'valid' pads nothing, 'same' puts floor(max((T − 1)·strides + K −
 * Lout, 0) / 2) steps before (JAX's backend agrees; Keras's torch backend warns where it
 * cannot). Geometries TensorFlow refuses — an outputPadding that is not below strides, or
 * a 'same' output that a strided convolution would not map back to T steps — are refused
 * here too, at construction or when the input length is known.
 *
 * Masks: Keras's convolutions do not support masking: masked steps enter like any other
 * and no mask leaves the layer. Refused by name: dataFormat 'channelsFirst',
 * activityRegularizer, strides > 1 with dilationRate > 1 (Keras's docs: incompatible).
 */
import { checkPositiveInt, show } from '../core/errors.js';
import { formatShape } from '../core/tensor.js';
import type { Rng } from '../core/rng.js';
import { ensure, type Shape } from './layer.js';
import { Act } from '../backend/kernels.js';
import { ConvLayer1D, checkPadding, samePadBefore, type Conv1DArgs, type Size1D } from './conv1d.js';

export interface Conv1DTransposeArgs extends Omit<Conv1DArgs, 'padding' | 'groups'> {
  /** 'valid' (default) or 'same' (case-insensitive, as Keras). */
  padding?: 'valid' | 'same';
  /** Extra steps at the end of the output (below strides); null/undefined: inferred as Keras does. */
  outputPadding?: Size1D | null;
}

export class Conv1DTranspose extends ConvLayer1D {
  readonly className = 'Conv1DTranspose';
  readonly padding: 'valid' | 'same';
  readonly outputPadding: number | null;

  constructor(args: Conv1DTransposeArgs) {
    super(args, 'Conv1DTranspose', 'conv1d_transpose', ['outputPadding']);
    this.padding = args.padding === undefined ? 'valid' : checkPadding(args.padding, ['valid', 'same'] as const, `${this.where}: padding`);
    const op = args.outputPadding;
    if (op === undefined || op === null) this.outputPadding = null;
    else {
      const v = Array.isArray(op) ? (op.length === 1 ? op[0] : NaN) : op;
      if (!Number.isInteger(v) || (v as number) < 0) throw new RangeError(`${this.where}: outputPadding must be a non-negative integer or a list of one, got ${show(op)}`);
      this.outputPadding = v as number;
      if (this.outputPadding >= this.strides) {
        throw new RangeError(`${this.where}: outputPadding (${this.outputPadding}) must be below strides (${this.strides}), as TensorFlow requires`);
      }
    }
    if (this.padding === 'same' && this.outputPadding !== null) {
      const extra = (this.span % 2) + this.outputPadding;
      if (extra === 0 || extra > this.strides) {
        throw new RangeError(
          `${this.where}: padding 'same' with outputPadding ${this.outputPadding}, kernelSize ${this.kernelSize} (span ${this.span}) and strides ${this.strides} gives an output a strided convolution does not map back to the input length (TensorFlow refuses it); use outputPadding ${Math.max(1 - (this.span % 2), 0)} to ${this.strides - (this.span % 2)}`,
        );
      }
    }
  }

  /** Output length for T input steps. */
  private outLength(T: number): number {
    const K = this.span;
    const s = this.strides;
    if (this.padding === 'valid') return this.outputPadding === null ? (T - 1) * s + Math.max(K, s) : (T - 1) * s + K + this.outputPadding;
    return this.outputPadding === null ? T * s : (T - 1) * s + (K % 2) + this.outputPadding;
  }

  private padBefore(T: number, Lout: number): number {
    return this.padding === 'valid' ? 0 : samePadBefore(Lout, T, this.span, this.strides);
  }

  computeOutputShape(inputShape: Shape): Shape {
    if (inputShape.length !== 2) throw new RangeError(`${this.where}: expected input of rank 3 ([batch, steps, channels]), got ${formatShape([null, ...inputShape])}`);
    const [T, C] = inputShape;
    if (C === null || C === undefined) throw new RangeError(`${this.where}: the channel dimension must be known, got ${formatShape([null, ...inputShape])}`);
    if (T === null || T === undefined) return [null, this.filters];
    checkPositiveInt(T, `${this.where}: input steps`);
    return [this.outLength(T), this.filters];
  }

  protected createWeights(inputShape: Shape, rng: Rng): void {
    this.C = inputShape[1]!;
    this.addConvWeights([this.kernelSize, this.filters, this.C], rng);
  }

  forward(x: Float32Array, B: number, T: number, _training: boolean, _mask: Float32Array | null): Float32Array {
    const Lout = this.outLength(T);
    const pad = this.padBefore(T, Lout);
    const C = this.C;
    const F = this.filters;
    const K = this.kernelSize;
    this.B = B;
    this.T = T;
    this.Tout = Lout;
    this.padLeft = pad;
    this.x = x;
    this.out = ensure(this.out, B * Lout * F);
    if (this.activation !== Act.linear) this.pre = ensure(this.pre, B * Lout * F);
    const pre = this.activation === Act.linear ? this.out : this.pre;
    this.cols = ensure(this.cols, B * T * K * F);
    this.k.conv1dTransposeForward(this.out, pre, this.cols, x, this.kernel.value, this.bias?.value ?? null, B, T, C, Lout, F, K, this.strides, this.dilationRate, pad, this.activation);
    return this.out;
  }

  backward(dy: Float32Array, _B: number, _T: number, needDx: boolean): Float32Array | null {
    const { B, T, C } = this;
    const Lout = this.Tout;
    const F = this.filters;
    const K = this.kernelSize;
    this.dPre = ensure(this.dPre, B * Lout * F);
    this.dCols = ensure(this.dCols, B * T * K * F);
    if (needDx) this.dx = ensure(this.dx, B * T * C);
    const pre = this.activation === Act.linear ? this.out : this.pre;
    this.k.conv1dTransposeBackward(
      needDx ? this.dx : null,
      this.kernel.grad,
      this.bias?.grad ?? null,
      this.dPre,
      this.dCols,
      dy,
      this.x,
      pre,
      this.out,
      this.kernel.value,
      B,
      T,
      C,
      Lout,
      F,
      K,
      this.strides,
      this.dilationRate,
      this.padLeft,
      this.activation,
    );
    return needDx ? this.dx : null;
  }

  override outputTime(T: number): number {
    return this.outLength(T);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), padding: this.padding, outputPadding: this.outputPadding === null ? null : [this.outputPadding] };
  }
}

/** `layers.conv1dTranspose({filters, kernelSize, strides, padding, outputPadding, dilationRate, activation, …})`. */
export function conv1dTranspose(args: Conv1DTransposeArgs): Conv1DTranspose {
  return new Conv1DTranspose(args);
}
