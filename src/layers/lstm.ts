/**
 * LSTM (Keras 3): gate order i, f, c, o; recurrentActivation 'sigmoid' and
 * unitForgetBias true by default (tfjs defaults differ: hardSigmoid, false). States
 * [h, c]. The math is in backend/ts/lstm.ts; the shell in recurrent.ts.
 */
import type { Rng } from '../core/rng.js';
import { activationName, getActivation, type ActivationIdentifier } from '../activations/index.js';
import type { ActId } from '../backend/kernels.js';
import type { RecurrentDims, RecurrentWeights } from '../backend/recurrent.js';
import type { LstmCache, LstmCacheGrads, LstmStepState } from '../backend/ts/lstm.js';
import { checkBoolean } from '../core/errors.js';
import type { Initializer } from '../initializers/index.js';
import { ensure, ensureAll, type LayerWeight } from './layer.js';
import { Recurrent, type RecurrentArgs } from './recurrent.js';

const empty = new Float32Array(0);

export interface LSTMArgs extends RecurrentArgs {
  /** Activation of the i, f, o gates. Default 'sigmoid' (Keras; tfjs: 'hardSigmoid'). */
  recurrentActivation?: ActivationIdentifier | null;
  /** Start the forget-gate bias at 1 (the other blocks use biasInitializer). Default true. */
  unitForgetBias?: boolean;
}

/** Keras unit_forget_bias: bias = [init(H), ones(H), init(2H)]. */
class ForgetBiasInitializer implements Initializer {
  readonly className = 'ForgetBias';
  constructor(private readonly inner: Initializer, private readonly H: number) {}
  init(out: Float32Array, _shape: readonly number[], rng: Rng): void {
    const H = this.H;
    this.inner.init(out.subarray(0, H), [H], rng);
    out.fill(1, H, 2 * H);
    this.inner.init(out.subarray(2 * H, 4 * H), [2 * H], rng);
  }
  getConfig(): Record<string, unknown> {
    return {};
  }
}

export class LSTM extends Recurrent {
  readonly className = 'LSTM';
  protected readonly stateCount = 2;
  readonly recurrentActivation: ActId;
  readonly unitForgetBias: boolean;
  private kernel!: LayerWeight;
  private recurrentKernel!: LayerWeight;
  private bias: LayerWeight | null = null;
  private cs: Float32Array = new Float32Array(0);
  private cAct: Float32Array = new Float32Array(0);
  private pre: Float32Array = new Float32Array(0);
  private gates: Float32Array = new Float32Array(0);
  private recurrentKernelT: Float32Array = new Float32Array(0);
  private dPre: Float32Array = new Float32Array(0);
  private scratch: Float32Array[] = [];
  // The kernels' structs (backend/recurrent.ts, backend/ts/lstm.ts), built once and pointed at
  // the buffers per call: the buffers stay fields of their own, which dispose frees.
  private readonly cache: LstmCache = { xs: empty, h0: empty, c0: empty, hs: empty, cs: empty, hPrev: empty, pre: empty, recurrentKernelT: empty, cAct: empty, gates: empty };
  private readonly grads: LstmCacheGrads = { dxs: null, dOut: null, returnSequences: false, ends: null, dPre: empty, dhA: empty, dhB: empty, dcA: empty, dcB: empty, dcAct: empty };
  private readonly weightValues: RecurrentWeights = { kernel: empty, recurrentKernel: empty, bias: null };
  private readonly weightGrads: RecurrentWeights = { kernel: empty, recurrentKernel: empty, bias: null };
  private readonly stepState: LstmStepState = { h: empty, c: empty, gates: empty, cAct: empty };
  private readonly dims: RecurrentDims;
  /**
   * @internal Set by a stream for one step when this layer reads an Embedding's output:
   * the table of embedding row · kernel + bias per index (fillInputProjection) and the
   * step's indices ([B] floats, in the backend's memory). An object, not two buffer fields,
   * so dispose (releaseBuffers) never frees the stream's buffers.
   */
  inputProjection: { readonly table: Float32Array; readonly ids: Float32Array } | null = null;

  constructor(args: LSTMArgs) {
    super(args, 'lstm', 'LSTM', ['recurrentActivation', 'unitForgetBias']);
    this.recurrentActivation = getActivation(args.recurrentActivation, 'sigmoid', this.where);
    this.unitForgetBias = args.unitForgetBias === undefined ? true : checkBoolean(args.unitForgetBias, `${this.where}: unitForgetBias`);
    this.dims = { T: 0, B: 0, I: 0, H: 0, act: this.activation, ract: this.recurrentActivation };
  }

  protected createCellWeights(I: number, rng: Rng): void {
    const H = this.units;
    this.kernel = this.addWeight('kernel', [I, 4 * H], this.kernelInitializer, rng, this.weightOptions('kernel'));
    this.recurrentKernel = this.addWeight('recurrent_kernel', [H, 4 * H], this.recurrentInitializer, rng, this.weightOptions('recurrent'));
    if (this.useBias) {
      const init = this.unitForgetBias ? new ForgetBiasInitializer(this.biasInitializer, H) : this.biasInitializer;
      this.bias = this.addWeight('bias', [4 * H], init, rng, this.weightOptions('bias'));
    }
  }

  protected ensureCell(T: number, B: number): void {
    const n = T * B * this.units;
    this.cs = ensure(this.cs, n);
    this.cAct = ensure(this.cAct, n);
    this.pre = ensure(this.pre, 4 * n);
    this.gates = ensure(this.gates, 4 * n);
    this.recurrentKernelT = ensure(this.recurrentKernelT, 4 * this.units * this.units);
  }

  protected override stepInPlace(x: Float32Array, states: Float32Array[], B: number): boolean {
    // A step needs only these two (the time loop, should the step decline, grows the rest):
    // each ensure asks the backend whether the buffer is its own, which a stream pays per step.
    this.gates = ensure(this.gates, 4 * B * this.units);
    this.cAct = ensure(this.cAct, B * this.units);
    const st = this.stepState;
    st.h = states[0]!;
    st.c = states[1]!;
    st.gates = this.gates;
    st.cAct = this.cAct;
    const d = this.dims;
    d.T = 1;
    d.B = B;
    d.I = this.inputDim;
    d.H = this.units;
    const p = this.inputProjection;
    if (p !== null) return this.k.lstmStepProjected(st, p.table, p.ids, this.recurrentKernel.value, d);
    return this.k.lstmStep(st, x, this.weightStruct(), d);
  }

  /**
   * @internal Fill `table` [vocab, 4H] with embeddings row v · kernel + bias for every v
   * (embeddings [vocab, inputDim]): the input-projection table of lstmStepProjected, row by
   * row with the calls a step makes, so looking a row up gives the step's numbers exactly.
   */
  fillInputProjection(table: Float32Array, embeddings: Float32Array, vocab: number): void {
    const I = this.inputDim;
    const G = 4 * this.units;
    const bias = this.bias?.value ?? null;
    for (let v = 0; v < vocab; v++) this.k.inputProjectionRow(table, v, embeddings, v * I, this.kernel.value, bias, I, G);
  }

  protected cellForward(T: number, B: number): void {
    this.k.lstmForward(this.cache, this.weightStruct(), this.masks, this.structs(T, B));
  }

  /** The kernels' structs pointed at this call's buffers (field writes). */
  private structs(T: number, B: number): RecurrentDims {
    const c = this.cache;
    c.c0 = this.states0[1]!;
    c.cs = this.cs;
    c.cAct = this.cAct;
    c.pre = this.pre;
    c.gates = this.gates;
    c.recurrentKernelT = this.recurrentKernelT;
    return this.callStructs(T, B, c, this.dims);
  }

  private weightStruct(): RecurrentWeights {
    return this.pointWeights(this.weightValues, this.kernel, this.recurrentKernel, this.bias, false);
  }

  protected cellBackward(T: number, B: number, dOut: Float32Array | null, dxs: Float32Array | null): void {
    const H = this.units;
    this.dPre = ensure(this.dPre, 4 * T * B * H);
    this.scratch = ensureAll(this.scratch, 5, B * H);
    const g = this.grads;
    g.dPre = this.dPre;
    g.dhA = this.scratch[0]!;
    g.dhB = this.scratch[1]!;
    g.dcA = this.scratch[2]!;
    g.dcB = this.scratch[3]!;
    g.dcAct = this.scratch[4]!;
    this.callGrads(g, dOut, dxs);
    const d = this.structs(T, B);
    const dw = this.pointWeights(this.weightGrads, this.kernel, this.recurrentKernel, this.bias, true);
    this.k.lstmBackward(dw, g, this.cache, this.weightStruct(), this.masks, d);
  }

  protected stateCache(i: number): Float32Array {
    return i === 0 ? this.hs : this.cs;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), recurrentActivation: activationName(this.recurrentActivation), unitForgetBias: this.unitForgetBias };
  }
}

/** `layers.lstm({units, …})`. */
export function lstm(args: LSTMArgs): LSTM {
  return new LSTM(args);
}
