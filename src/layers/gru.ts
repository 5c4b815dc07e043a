/**
 * GRU (Keras 3): gate order z, r, h; resetAfter true by default (bias [2, 3H], reset
 * applied after the recurrent product — the cuDNN/PyTorch form, which tfjs cannot
 * run), or resetAfter false (bias [3H]). The math is in backend/ts/gru.ts.
 */
import type { Rng } from '../core/rng.js';
import { activationName, getActivation, type ActivationIdentifier } from '../activations/index.js';
import type { ActId } from '../backend/kernels.js';
import type { RecurrentWeights } from '../backend/recurrent.js';
import type { GruCache, GruCacheGrads, GruDims } from '../backend/ts/gru.js';
import { checkBoolean } from '../core/errors.js';
import { ensure, ensureAll, type LayerWeight } from './layer.js';
import { Recurrent, type RecurrentArgs } from './recurrent.js';

const empty = new Float32Array(0);

export interface GRUArgs extends RecurrentArgs {
  /** Activation of the z and r gates. Default 'sigmoid' (Keras; tfjs: 'hardSigmoid'). */
  recurrentActivation?: ActivationIdentifier | null;
  /** Apply the reset gate after the recurrent product (bias [2, 3H]). Default true (Keras 3). */
  resetAfter?: boolean;
}

export class GRU extends Recurrent {
  readonly className = 'GRU';
  protected readonly stateCount = 1;
  readonly recurrentActivation: ActId;
  readonly resetAfter: boolean;
  private kernel!: LayerWeight;
  private recurrentKernel!: LayerWeight;
  private bias: LayerWeight | null = null;
  private pre: Float32Array = new Float32Array(0);
  private gates: Float32Array = new Float32Array(0);
  private mh: Float32Array = new Float32Array(0);
  private rh: Float32Array = new Float32Array(0);
  private recurrentKernelT: Float32Array = new Float32Array(0);
  private dPre: Float32Array = new Float32Array(0);
  private dPreH: Float32Array = new Float32Array(0);
  private scratch: Float32Array[] = [];
  // The kernels' structs (backend/recurrent.ts, backend/ts/gru.ts), built once and pointed at
  // the buffers per call: the buffers stay fields of their own, which dispose frees.
  private readonly cache: GruCache = { xs: empty, h0: empty, c0: null, hs: empty, cs: null, hPrev: empty, pre: empty, recurrentKernelT: empty, gates: empty, mh: empty, rh: empty };
  private readonly grads: GruCacheGrads = { dxs: null, dOut: null, returnSequences: false, ends: null, dPre: empty, dhA: empty, dhB: empty, dcA: null, dcB: null, dPreH: empty, dhTmp: empty };
  private readonly weightValues: RecurrentWeights = { kernel: empty, recurrentKernel: empty, bias: null };
  private readonly weightGrads: RecurrentWeights = { kernel: empty, recurrentKernel: empty, bias: null };
  private readonly dims: GruDims;

  constructor(args: GRUArgs) {
    super(args, 'gru', 'GRU', ['recurrentActivation', 'resetAfter']);
    this.recurrentActivation = getActivation(args.recurrentActivation, 'sigmoid', this.where);
    this.resetAfter = args.resetAfter === undefined ? true : checkBoolean(args.resetAfter, `${this.where}: resetAfter`);
    this.dims = { T: 0, B: 0, I: 0, H: 0, act: this.activation, ract: this.recurrentActivation, resetAfter: this.resetAfter };
  }

  protected createCellWeights(I: number, rng: Rng): void {
    const H = this.units;
    this.kernel = this.addWeight('kernel', [I, 3 * H], this.kernelInitializer, rng, this.weightOptions('kernel'));
    this.recurrentKernel = this.addWeight('recurrent_kernel', [H, 3 * H], this.recurrentInitializer, rng, this.weightOptions('recurrent'));
    if (this.useBias) this.bias = this.addWeight('bias', this.resetAfter ? [2, 3 * H] : [3 * H], this.biasInitializer, rng, this.weightOptions('bias'));
  }

  protected ensureCell(T: number, B: number): void {
    const n = T * B * this.units;
    this.pre = ensure(this.pre, 3 * n);
    this.gates = ensure(this.gates, 3 * n);
    if (this.resetAfter) this.mh = ensure(this.mh, 3 * n);
    else this.rh = ensure(this.rh, n);
    this.recurrentKernelT = ensure(this.recurrentKernelT, 3 * this.units * this.units);
  }

  protected cellForward(T: number, B: number): void {
    this.k.gruForward(this.cache, this.weightStruct(), this.masks, this.structs(T, B));
  }

  /** The kernels' structs pointed at this call's buffers (field writes). */
  private structs(T: number, B: number): GruDims {
    const c = this.cache;
    c.pre = this.pre;
    c.gates = this.gates;
    c.mh = this.mh;
    c.rh = this.rh;
    c.recurrentKernelT = this.recurrentKernelT;
    return this.callStructs(T, B, c, this.dims);
  }

  private weightStruct(): RecurrentWeights {
    return this.pointWeights(this.weightValues, this.kernel, this.recurrentKernel, this.bias, false);
  }

  protected cellBackward(T: number, B: number, dOut: Float32Array | null, dxs: Float32Array | null): void {
    const H = this.units;
    this.dPre = ensure(this.dPre, 3 * T * B * H);
    if (this.resetAfter) this.dPreH = ensure(this.dPreH, 3 * T * B * H);
    this.scratch = ensureAll(this.scratch, 3, B * H);
    const g = this.grads;
    g.dPre = this.dPre;
    g.dPreH = this.dPreH;
    g.dhA = this.scratch[0]!;
    g.dhB = this.scratch[1]!;
    g.dhTmp = this.scratch[2]!;
    this.callGrads(g, dOut, dxs);
    const d = this.structs(T, B);
    const dw = this.pointWeights(this.weightGrads, this.kernel, this.recurrentKernel, this.bias, true);
    this.k.gruBackward(dw, g, this.cache, this.weightStruct(), this.masks, d);
  }

  protected stateCache(): Float32Array {
    return this.hs;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), recurrentActivation: activationName(this.recurrentActivation), resetAfter: this.resetAfter };
  }
}

/** `layers.gru({units, …})`. */
export function gru(args: GRUArgs): GRU {
  return new GRU(args);
}
