/**
 * SimpleRNN: h_t = act(x_t · kernel + h_{t-1} · recurrentKernel + bias). The shell
 * (recurrent.ts) handles sequences, masks, dropout and state; the math is in
 * backend/ts/simpleRnn.ts.
 */
import type { Rng } from '../core/rng.js';
import { Act } from '../backend/kernels.js';
import { ensure, type LayerWeight } from './layer.js';
import { Recurrent, type RecurrentArgs } from './recurrent.js';
import type { RecurrentCache, RecurrentCacheGrads, RecurrentDims, RecurrentWeights } from '../backend/recurrent.js';

const empty = new Float32Array(0);

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
  // The kernels' structs (backend/recurrent.ts), built once and pointed at the buffers per
  // call: the buffers stay fields of their own, which dispose frees.
  private readonly cache: RecurrentCache = { xs: empty, h0: empty, c0: null, hs: empty, cs: null, hPrev: empty, pre: empty, recurrentKernelT: empty };
  private readonly grads: RecurrentCacheGrads = { dxs: null, dOut: null, returnSequences: false, ends: null, dPre: empty, dhA: empty, dhB: empty, dcA: null, dcB: null };
  private readonly weightValues: RecurrentWeights = { kernel: empty, recurrentKernel: empty, bias: null };
  private readonly weightGrads: RecurrentWeights = { kernel: empty, recurrentKernel: empty, bias: null };
  private readonly dims: RecurrentDims = { T: 0, B: 0, I: 0, H: 0, act: Act.linear, ract: Act.linear };

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
    this.k.simpleRnnForward(this.cache, this.weightStruct(), this.masks, this.structs(T, B));
  }

  private structs(T: number, B: number): RecurrentDims {
    const c = this.cache;
    c.pre = this.pre;
    c.recurrentKernelT = this.recurrentKernelT;
    return this.callStructs(T, B, c, this.dims);
  }

  private weightStruct(): RecurrentWeights {
    return this.pointWeights(this.weightValues, this.kernel, this.recurrentKernel, this.bias, false);
  }

  protected cellBackward(T: number, B: number, dOut: Float32Array | null, dxs: Float32Array | null): void {
    const H = this.units;
    this.dPre = ensure(this.dPre, T * B * H);
    this.dhA = ensure(this.dhA, B * H);
    this.dhB = ensure(this.dhB, B * H);
    const g = this.grads;
    g.dPre = this.dPre;
    g.dhA = this.dhA;
    g.dhB = this.dhB;
    this.callGrads(g, dOut, dxs);
    const d = this.structs(T, B);
    const dw = this.pointWeights(this.weightGrads, this.kernel, this.recurrentKernel, this.bias, true);
    this.k.simpleRnnBackward(dw, g, this.cache, this.weightStruct(), this.masks, d);
  }

  protected stateCache(): Float32Array {
    return this.hs;
  }
}

/** `layers.simpleRNN({units, …})`. */
export function simpleRNN(args: SimpleRNNArgs): SimpleRNN {
  return new SimpleRNN(args);
}
