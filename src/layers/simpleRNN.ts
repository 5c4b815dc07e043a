/**
 * SimpleRNN: h_t = act(x_t · kernel + h_{t-1} · recurrentKernel + bias). The shell
 * (recurrent.ts) handles sequences, masks, dropout and state; the math is in
 * backend/ts/simpleRnn.ts.
 */
import type { Rng } from '../core/rng.js';
import { ensure, type LayerWeight } from './layer.js';
import { Recurrent, type RecurrentArgs } from './recurrent.js';

export type SimpleRNNArgs = RecurrentArgs;

export class SimpleRNN extends Recurrent {
  readonly className = 'SimpleRNN';
  protected readonly stateCount = 1;
  private kernel!: LayerWeight;
  private recurrentKernel!: LayerWeight;
  private bias: LayerWeight | null = null;
  private pre: Float32Array = new Float32Array(0);
  private recurrentKernelT: Float32Array = new Float32Array(0);
  private dPre: Float32Array = new Float32Array(0);
  private dhA: Float32Array = new Float32Array(0);
  private dhB: Float32Array = new Float32Array(0);

  constructor(args: SimpleRNNArgs) {
    super(args, 'simple_rnn', 'SimpleRNN', []);
  }

  protected createCellWeights(I: number, rng: Rng): void {
    const H = this.units;
    this.kernel = this.addWeight('kernel', [I, H], this.kernelInitializer, rng, this.weightOptions('kernel'));
    this.recurrentKernel = this.addWeight('recurrent_kernel', [H, H], this.recurrentInitializer, rng, this.weightOptions('recurrent'));
    if (this.useBias) this.bias = this.addWeight('bias', [H], this.biasInitializer, rng, this.weightOptions('bias'));
  }

  protected ensureCell(T: number, B: number): void {
    this.pre = ensure(this.pre, T * B * this.units);
    this.recurrentKernelT = ensure(this.recurrentKernelT, this.units * this.units);
  }

  protected cellForward(T: number, B: number): void {
    this.k.simpleRnnForward(
      this.hs,
      this.pre,
      this.hPrev,
      this.recurrentKernelT,
      this.xs,
      this.states0[0]!,
      this.kernel.value,
      this.recurrentKernel.value,
      this.bias?.value ?? null,
      this.recurrentMask,
      this.stepMask,
      T,
      B,
      this.inputDim,
      this.units,
      this.activation,
    );
  }

  protected cellBackward(T: number, B: number, dOut: Float32Array | null, dxs: Float32Array | null): void {
    const H = this.units;
    this.dPre = ensure(this.dPre, T * B * H);
    this.dhA = ensure(this.dhA, B * H);
    this.dhB = ensure(this.dhB, B * H);
    this.k.simpleRnnBackward(
      dxs,
      this.kernel.grad,
      this.recurrentKernel.grad,
      this.bias?.grad ?? null,
      this.dPre,
      this.dhA,
      this.dhB,
      dOut,
      this.returnSequences,
      this.ends,
      this.xs,
      this.hPrev,
      this.pre,
      this.hs,
      this.kernel.value,
      this.recurrentKernel.value,
      this.recurrentMask,
      this.stepMask,
      T,
      B,
      this.inputDim,
      H,
      this.activation,
    );
  }

  protected stateCache(): Float32Array {
    return this.hs;
  }
}

/** `layers.simpleRNN({units, …})`. */
export function simpleRNN(args: SimpleRNNArgs): SimpleRNN {
  return new SimpleRNN(args);
}
