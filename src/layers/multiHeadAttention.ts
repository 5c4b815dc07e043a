/**
 * MultiHeadAttention (Keras 3 `keras.layers.MultiHeadAttention`, tf.keras 2's too). Inputs
 * [query [B, Tq, Dq], value [B, Tv, Dv]] or [query, value, key [B, Tv, Dk]] (key defaults to
 * value). With N = numHeads, H = keyDim, Hv = valueDim (default keyDim), O = outputShape
 * (default Dq):
 *
 *   Q = (query · Wq + bq) / √H   [B, Tq, N, H]    Wq [Dq, N, H], bq [N, H]   (Keras's 'query' EinsumDense)
 *   K =  key   · Wk + bk         [B, Tv, N, H]    Wk [Dk, N, H]              ('key')
 *   V =  value · Wv + bv         [B, Tv, N, Hv]   Wv [Dv, N, Hv]             ('value')
 *   S[b, n, i, j] = Σ_h Q[b, i, n, h] K[b, j, n, h]; S = −1e9 where the attention mask drops (i, j)
 *   P = softmax_j(S)  (the attention scores, [B, N, Tq, Tv]); dropout on P in training
 *   C[b, i, n, :] = Σ_j P[b, n, i, j] V[b, j, n, :]
 *   out = C · Wo + bo            [B, Tq, O]       Wo [N, Hv, O], bo [O]      ('attention_output')
 *
 * The attention mask is Keras's compute_attention_mask: the query mask ([B, Tq, 1]), the value
 * and key masks ([B, 1, Tv]) that reach the inputs (Embedding(maskZero), Masking), the causal
 * mask (useCausalMask: j ≤ i) and Keras 3's slidingWindow band (|i − j| < w), ANDed. Masked
 * scores are replaced by −1e9 (Keras 3's Softmax and tf.keras 2's robust masking; tf.keras's
 * additive form gives the same weights in float32). A row with every key masked (a masked query
 * step) gets uniform weights, as tf.keras 2, Keras 3 before 3.10 and Keras 3's fused path
 * (dropout 0, no scores returned) give; Keras ≥ 3.10's explicit path (dropout > 0 or
 * returnAttentionScores) gives zeros there instead. The output carries the query mask; its
 * values at masked query steps are not zeroed (Keras does not zero them either).
 *
 * Weights, in Keras's order and names: query/kernel, query/bias, key/kernel, key/bias,
 * value/kernel, value/bias, attention_output/kernel, attention_output/bias (no biases when
 * useBias is false). The projections run as Dense kernels over B·T rows (the [D, N, H] kernels
 * are [D, N·H] matrices row-major), the per-head products as strided GEMMs.
 */
import { Act, backend, type Kernels } from '../backend/kernels.js';
import { checkBoolean, checkNumberIn, checkPositiveInt, show } from '../core/errors.js';
import { formatShape } from '../core/tensor.js';
import { Rng, mixSeeds, nextSeed } from '../core/rng.js';
import { getInitializer, serializeInitializer, type Initializer, type InitializerIdentifier } from '../initializers/index.js';
import { getRegularizer, serializeRegularizer, type Regularizer, type RegularizerIdentifier } from '../regularizers/index.js';
import { getConstraint, serializeConstraint, type Constraint, type ConstraintIdentifier } from '../constraints/index.js';
import { checkLayerOptions, ensure, type ApplyArgs, type ApplyInput, type LayerArgs, type LayerWeight, type Shape } from './layer.js';
import { MultiInput } from './merge.js';
import { dropWeights, softmaxRow } from './scores.js';
import type { CallSpec, NodeIO, SymbolicTensor } from './node.js';
import type { NestedArray, Tensor } from '../core/tensor.js';

/** The value Keras writes over masked scores before the softmax (float32). */
const MASKED_SCORE = -1e9;

export interface MultiHeadAttentionArgs extends LayerArgs {
  /** Number of attention heads. */
  numHeads: number;
  /** Size of each head for query and key. */
  keyDim: number;
  /** Size of each head for value. Default keyDim. */
  valueDim?: number | null;
  /** Fraction of the attention scores dropped in training. Default 0. */
  dropout?: number;
  /** Whether the four projections have biases. Default true. */
  useBias?: boolean;
  /** Output features (an integer or a one-element list). Default: the query's features. */
  outputShape?: number | readonly number[] | null;
  /** Axes attention runs over: only the time axis (null, 1 or -2, or a list of one of them). */
  attentionAxes?: number | readonly number[] | null;
  /** Keras 3.12+: attend only to keys within slidingWindow − 1 steps of the query. Default null. */
  slidingWindow?: number | null;
  /** Default 'glorotUniform' (every projection kernel). */
  kernelInitializer?: InitializerIdentifier | Initializer;
  /** Default 'zeros'. */
  biasInitializer?: InitializerIdentifier | Initializer;
  kernelRegularizer?: RegularizerIdentifier | Regularizer | null;
  biasRegularizer?: RegularizerIdentifier | Regularizer | null;
  kernelConstraint?: ConstraintIdentifier | Constraint | null;
  biasConstraint?: ConstraintIdentifier | Constraint | null;
  /** Keras 3: not a numerical option; only false (or null) is taken (rnnkit has no flash kernel). */
  flashAttention?: boolean | null;
  /** Keras 3.12+ gated attention: only false is taken. */
  useGate?: boolean;
  /** tf.keras 2.13+: both values give the same weights here (see the file header). */
  softmaxRobustMasking?: boolean;
  /** tf.keras 2 writes the shapes it was built for ([batch, time, features]); checked against the inputs. */
  queryShape?: readonly (number | null)[] | null;
  keyShape?: readonly (number | null)[] | null;
  valueShape?: readonly (number | null)[] | null;
}

const OWN = [
  'numHeads', 'keyDim', 'valueDim', 'dropout', 'useBias', 'outputShape', 'attentionAxes', 'slidingWindow',
  'kernelInitializer', 'biasInitializer', 'kernelRegularizer', 'biasRegularizer', 'kernelConstraint', 'biasConstraint',
  'activityRegularizer', 'flashAttention', 'useGate', 'softmaxRobustMasking', 'queryShape', 'keyShape', 'valueShape', 'seed',
] as const;

const LATER = { loraRank: 'LoRA is not implemented' };

/** Whether an attentionAxes value names the time axis (the only one rnnkit attends over). */
function isTimeAxis(a: unknown): boolean {
  const list = Array.isArray(a) ? a : [a];
  // Keras normalizes negative axes against the projected rank (4 for [B, T, D]): -2 is axis 1.
  return list.length === 1 && (list[0] === 1 || list[0] === -2);
}

export class MultiHeadAttention extends MultiInput {
  readonly className = 'MultiHeadAttention';
  protected readonly arity: readonly [number, number] = [2, 3];
  protected override readonly callOptions: readonly string[] = ['returnAttentionScores', 'useCausalMask'];
  /** Keras call arguments a saved node may hold that rnnkit cannot carry, with why (models/loading.ts reads this). */
  readonly refusedCallArgs: Readonly<Record<string, string>> = {
    attentionMask: "an explicit attention_mask tensor is not supported (rnnkit's call options carry no tensors); the masks of the inputs (Embedding mask_zero, Masking) and use_causal_mask are",
  };
  /** Keras 3 and tf.keras 2 may pass value and key by keyword: the input each keyword names (models/loading.ts). */
  readonly keywordInputs: readonly string[] = ['query', 'value', 'key'];
  readonly numHeads: number;
  readonly keyDim: number;
  readonly valueDim: number;
  readonly dropout: number;
  readonly useBias: boolean;
  /** The outputShape option as given (null: the query's features). */
  readonly outputShapeOption: number | readonly number[] | null;
  readonly attentionAxes: number | readonly number[] | null;
  readonly slidingWindow: number | null;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
  readonly kernelRegularizer: Regularizer | null;
  readonly biasRegularizer: Regularizer | null;
  readonly kernelConstraint: Constraint | null;
  readonly biasConstraint: Constraint | null;
  private readonly declaredShapes: readonly ((readonly (number | null)[] | null) | undefined)[];
  private wq!: LayerWeight;
  private wk!: LayerWeight;
  private wv!: LayerWeight;
  private wo!: LayerWeight;
  private bq: LayerWeight | null = null;
  private bk: LayerWeight | null = null;
  private bv: LayerWeight | null = null;
  private bo: LayerWeight | null = null;
  private k: Kernels = backend();
  private rng: Rng | null = null;
  private dropoutSeed = 0;
  // sizes of the built call
  private Dq = 0;
  private Dk = 0;
  private Dv = 0;
  private O = 0;
  // this pass
  private Tq = 0;
  private Tv = 0;
  private masked = false;
  private dropped = false;
  private Q: Float32Array = new Float32Array(0); // [B, Tq, N, H], scaled by 1/√H
  private K: Float32Array = new Float32Array(0); // [B, Tv, N, H]
  private V: Float32Array = new Float32Array(0); // [B, Tv, N, Hv]
  private P: Float32Array = new Float32Array(0); // [B, N, Tq, Tv] softmax (the scores output)
  private Pd: Float32Array = new Float32Array(0); // P after dropout
  private dropMask: Float32Array = new Float32Array(0);
  private allow: Float32Array = new Float32Array(0); // [B, Tq, Tv] 1 = attend
  private C: Float32Array = new Float32Array(0); // [B, Tq, N, Hv]
  private out: Float32Array = new Float32Array(0); // [B, Tq, O]
  private dC: Float32Array = new Float32Array(0);
  private dP: Float32Array = new Float32Array(0);
  private dQ: Float32Array = new Float32Array(0);
  private dK: Float32Array = new Float32Array(0);
  private dV: Float32Array = new Float32Array(0);
  private dq: Float32Array = new Float32Array(0);
  private dk: Float32Array = new Float32Array(0);
  private dv: Float32Array = new Float32Array(0);

  constructor(args: MultiHeadAttentionArgs) {
    super(args ?? ({} as MultiHeadAttentionArgs), 'multi_head_attention');
    checkLayerOptions(args, OWN, this.where, LATER);
    const a = args as MultiHeadAttentionArgs & { activityRegularizer?: unknown };
    this.numHeads = checkPositiveInt(a.numHeads, `${this.where}: numHeads`);
    this.keyDim = checkPositiveInt(a.keyDim, `${this.where}: keyDim`);
    this.valueDim = a.valueDim === undefined || a.valueDim === null ? this.keyDim : checkPositiveInt(a.valueDim, `${this.where}: valueDim`);
    this.dropout = a.dropout === undefined ? 0 : checkNumberIn(a.dropout, 0, 1, `${this.where}: dropout`, { hiOpen: true });
    this.useBias = a.useBias === undefined ? true : checkBoolean(a.useBias, `${this.where}: useBias`);
    const os = a.outputShape;
    if (os === undefined || os === null) this.outputShapeOption = null;
    else if (typeof os === 'number') this.outputShapeOption = checkPositiveInt(os, `${this.where}: outputShape`);
    else if (Array.isArray(os) && os.length === 1) this.outputShapeOption = [checkPositiveInt(os[0], `${this.where}: outputShape[0]`)];
    else throw new RangeError(`${this.where}: outputShape must be a positive integer or a list of one (rnnkit's outputs are [batch, time, features]), got ${show(os)}`);
    if (a.attentionAxes !== undefined && a.attentionAxes !== null && !isTimeAxis(a.attentionAxes)) {
      throw new RangeError(`${this.where}: attentionAxes ${show(a.attentionAxes)} is not supported; rnnkit's MultiHeadAttention attends over the time axis only (attentionAxes null, 1 or -2 of [batch, time, features] inputs)`);
    }
    this.attentionAxes = a.attentionAxes ?? null;
    this.slidingWindow = a.slidingWindow === undefined || a.slidingWindow === null ? null : checkPositiveInt(a.slidingWindow, `${this.where}: slidingWindow`);
    if (a.useGate !== undefined && checkBoolean(a.useGate, `${this.where}: useGate`)) throw new RangeError(`${this.where}: useGate true (gated attention, Keras 3.12+) is not supported`);
    if (a.flashAttention !== undefined && a.flashAttention !== null && checkBoolean(a.flashAttention, `${this.where}: flashAttention`)) {
      throw new RangeError(`${this.where}: flashAttention true is not supported (rnnkit has no flash-attention kernel; false or null compute the same attention)`);
    }
    if (a.softmaxRobustMasking !== undefined) checkBoolean(a.softmaxRobustMasking, `${this.where}: softmaxRobustMasking`);
    if (a.activityRegularizer !== undefined && a.activityRegularizer !== null) throw new RangeError(`${this.where}: option 'activityRegularizer' is not supported yet (activity regularizers are not implemented)`);
    this.kernelInitializer = getInitializer(a.kernelInitializer ?? 'glorotUniform', `${this.where}: kernelInitializer`);
    this.biasInitializer = getInitializer(a.biasInitializer ?? 'zeros', `${this.where}: biasInitializer`);
    this.kernelRegularizer = getRegularizer(a.kernelRegularizer, `${this.where}: kernelRegularizer`);
    this.biasRegularizer = getRegularizer(a.biasRegularizer, `${this.where}: biasRegularizer`);
    this.kernelConstraint = getConstraint(a.kernelConstraint, `${this.where}: kernelConstraint`);
    this.biasConstraint = getConstraint(a.biasConstraint, `${this.where}: biasConstraint`);
    const shapeOpt = (v: unknown, what: string): readonly (number | null)[] | null | undefined => {
      if (v === undefined || v === null) return v as null | undefined;
      if (!Array.isArray(v) || v.length !== 3 || !v.every((d) => d === null || (Number.isInteger(d) && (d as number) > 0))) throw new RangeError(`${this.where}: ${what} must be [batch, time, features], got ${show(v)}`);
      return v as (number | null)[];
    };
    this.declaredShapes = [shapeOpt(a.queryShape, 'queryShape'), shapeOpt(a.valueShape, 'valueShape'), shapeOpt(a.keyShape, 'keyShape')];
  }

  /** Keras takes attention_mask as a tensor; rnnkit's call options cannot carry one, so it is refused by name. */
  override apply(inputs: SymbolicTensor | readonly SymbolicTensor[], kwargs?: ApplyArgs): SymbolicTensor;
  override apply(inputs: Tensor | NestedArray | readonly Tensor[], kwargs?: ApplyArgs): Tensor;
  override apply(inputs: ApplyInput, kwargs?: ApplyArgs): Tensor | SymbolicTensor;
  override apply(inputs: ApplyInput, kwargs: ApplyArgs = {}): Tensor | SymbolicTensor {
    if (kwargs !== null && typeof kwargs === 'object' && kwargs.attentionMask !== undefined) {
      if (kwargs.attentionMask !== null) throw new RangeError(`${this.where}: apply: attentionMask: ${this.refusedCallArgs.attentionMask}`);
      // null is Keras's default (no explicit mask): nothing to carry.
      const { attentionMask: _none, ...rest } = kwargs;
      return super.apply(inputs, rest);
    }
    return super.apply(inputs, kwargs);
  }

  override computeOutputShapes(inputShapes: readonly Shape[], call: CallSpec): Shape[] {
    this.checkCall(inputShapes, call);
    for (const s of inputShapes) {
      if (s.length !== 2 || s[1] === null) throw new RangeError(`${this.where}: inputs must be [batch, time, features] with known features (attention over the time axis), got ${inputShapes.map((x) => formatShape([null, ...x])).join(', ')}`);
    }
    const [q, v, k = v] = inputShapes as [Shape, Shape, Shape?];
    if (k[0] !== null && v[0] !== null && k[0] !== v[0]) throw new RangeError(`${this.where}: key and value need the same number of steps, got ${formatShape([null, ...k])} and ${formatShape([null, ...v])}`);
    ['query', 'value', 'key'].forEach((what, i) => {
      const d = this.declaredShapes[i];
      const s = inputShapes[i] ?? (i === 2 ? v : undefined);
      if (d === undefined || d === null || s === undefined) return;
      if (d[2] !== s[1] || (d[1] !== null && s[0] !== null && d[1] !== s[0])) throw new RangeError(`${this.where}: the ${what} has shape ${formatShape([null, ...s])}, but the layer's ${what}Shape is ${formatShape(d)}`);
    });
    const O = this.outputShapeOption === null ? (q[1] as number) : typeof this.outputShapeOption === 'number' ? this.outputShapeOption : this.outputShapeOption[0]!;
    const out: Shape[] = [[q[0]!, O]];
    if (call.args.returnAttentionScores === true) {
      // Scores are [batch, heads, Tq, Tv]: only a per-sample axis 0 may be open in rnnkit, so both lengths must be known.
      if (q[0] === null || v[0] === null) throw new RangeError(`${this.where}: returnAttentionScores needs inputs with a known number of steps (the scores are [batch, heads, Tq, Tv]), got ${formatShape([null, ...q])} and ${formatShape([null, ...v])}`);
      out.push([this.numHeads, q[0], v[0]]);
    }
    return out;
  }

  protected override createCallWeights(inputShapes: readonly Shape[], call: CallSpec, rng: Rng): void {
    super.createCallWeights(inputShapes, call, rng);
    this.Dq = inputShapes[0]![1] as number;
    this.Dv = inputShapes[1]![1] as number;
    this.Dk = (inputShapes[2] ?? inputShapes[1]!)[1] as number;
    this.O = this.computeOutputShapes(inputShapes, { stateCount: 0, args: {} })[0]![1] as number;
    const N = this.numHeads;
    const H = this.keyDim;
    const Hv = this.valueDim;
    const kw = { regularizer: this.kernelRegularizer, constraint: this.kernelConstraint };
    const bw = { regularizer: this.biasRegularizer, constraint: this.biasConstraint };
    this.wq = this.addWeight('query/kernel', [this.Dq, N, H], this.kernelInitializer, rng, kw);
    if (this.useBias) this.bq = this.addWeight('query/bias', [N, H], this.biasInitializer, rng, bw);
    this.wk = this.addWeight('key/kernel', [this.Dk, N, H], this.kernelInitializer, rng, kw);
    if (this.useBias) this.bk = this.addWeight('key/bias', [N, H], this.biasInitializer, rng, bw);
    this.wv = this.addWeight('value/kernel', [this.Dv, N, Hv], this.kernelInitializer, rng, kw);
    if (this.useBias) this.bv = this.addWeight('value/bias', [N, Hv], this.biasInitializer, rng, bw);
    this.wo = this.addWeight('attention_output/kernel', [N, Hv, this.O], this.kernelInitializer, rng, kw);
    if (this.useBias) this.bo = this.addWeight('attention_output/bias', [this.O], this.biasInitializer, rng, bw);
    this.k = backend();
    this.dropoutSeed = this.seed === undefined ? nextSeed() : this.seed;
    this.rng = new Rng(this.dropoutSeed);
  }

  override beginEpoch(fitSeed: number, epoch: number): void {
    if (this.dropout > 0) this.rng = new Rng(mixSeeds(mixSeeds(this.dropoutSeed, fitSeed), epoch));
  }

  override forwardNode(io: NodeIO): void {
    const B = io.B;
    const q = io.xs[0]!;
    const v = io.xs[1]!;
    const hasKey = io.xs.length > 2;
    const key = hasKey ? io.xs[2]! : v;
    const Tq = (this.Tq = io.xTime[0]!);
    const Tv = (this.Tv = io.xTime[1]!);
    if (hasKey && io.xTime[2] !== Tv) throw new RangeError(`${this.where}: key and value need the same number of steps, got ${io.xTime[2]} and ${Tv}`);
    const N = this.numHeads;
    const H = this.keyDim;
    const Hv = this.valueDim;
    const NH = N * H;
    const NHv = N * Hv;
    const k = this.k;
    const gemm = k.gemm;
    this.Q = ensure(this.Q, B * Tq * NH);
    this.K = ensure(this.K, B * Tv * NH);
    this.V = ensure(this.V, B * Tv * NHv);
    k.denseForward(this.Q, this.Q, q, this.wq.value, this.bq?.value ?? null, B * Tq, this.Dq, NH, Act.linear);
    k.denseForward(this.K, this.K, key, this.wk.value, this.bk?.value ?? null, B * Tv, this.Dk, NH, Act.linear);
    k.denseForward(this.V, this.V, v, this.wv.value, this.bv?.value ?? null, B * Tv, this.Dv, NHv, Act.linear);
    // Keras scales the projected query (not the scores), in float32.
    const s = Math.fround(1 / Math.sqrt(H));
    const Q = this.Q;
    for (let e = 0; e < B * Tq * NH; e++) Q[e] = Q[e]! * s;

    const S = B * N * Tq * Tv;
    this.P = ensure(this.P, S);
    const P = this.P;
    for (let b = 0; b < B; b++) {
      for (let n = 0; n < N; n++) gemm(false, true, Tq, Tv, H, Q, b * Tq * NH + n * H, NH, this.K, b * Tv * NH + n * H, NH, P, (b * N + n) * Tq * Tv, Tv, false);
    }
    this.buildMask(io, B, Tq, Tv);
    const allow = this.allow;
    const masked = this.masked;
    for (let b = 0; b < B; b++) {
      for (let n = 0; n < N; n++) {
        for (let i = 0; i < Tq; i++) {
          const r = ((b * N + n) * Tq + i) * Tv;
          const m = (b * Tq + i) * Tv;
          if (masked) for (let j = 0; j < Tv; j++) if (allow[m + j] === 0) P[r + j] = MASKED_SCORE;
          softmaxRow(P, r, Tv);
        }
      }
    }
    let used = P;
    this.dropped = io.training && this.dropout > 0;
    if (this.dropped) {
      this.dropMask = ensure(this.dropMask, S);
      this.Pd = ensure(this.Pd, S);
      dropWeights(this.rng!, this.dropout, S, P, this.dropMask, this.Pd);
      used = this.Pd;
    }
    this.C = ensure(this.C, B * Tq * NHv);
    for (let b = 0; b < B; b++) {
      for (let n = 0; n < N; n++) gemm(false, false, Tq, Hv, Tv, used, (b * N + n) * Tq * Tv, Tv, this.V, b * Tv * NHv + n * Hv, NHv, this.C, b * Tq * NHv + n * Hv, NHv, false);
    }
    this.out = ensure(this.out, B * Tq * this.O);
    k.denseForward(this.out, this.out, this.C, this.wo.value, this.bo?.value ?? null, B * Tq, NHv, this.O, Act.linear);
    io.ys[0] = this.out;
    io.yTime[0] = Tq;
    io.yMasks[0] = io.xMasks[0]!;
    if (io.ys.length > 1) {
      // Keras returns the scores before dropout.
      io.ys[1] = P;
      io.yTime[1] = N;
      io.yMasks[1] = null;
    }
  }

  /** The [B, Tq, Tv] attention mask of this pass into `allow` (1 = attend); `masked` false when nothing is masked. */
  private buildMask(io: NodeIO, B: number, Tq: number, Tv: number): void {
    const qm = io.xMasks[0]!;
    const vm = io.xMasks[1]!;
    const km = io.xMasks.length > 2 ? io.xMasks[2]! : null;
    const causal = io.call.args.useCausalMask === true;
    const w = this.slidingWindow;
    this.masked = qm !== null || vm !== null || km !== null || causal || w !== null;
    if (!this.masked) return;
    this.allow = ensure(this.allow, B * Tq * Tv);
    const allow = this.allow;
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < Tq; i++) {
        const qOk = qm === null || qm[b * Tq + i] !== 0;
        const r = (b * Tq + i) * Tv;
        for (let j = 0; j < Tv; j++) {
          const ok = qOk && (vm === null || vm[b * Tv + j] !== 0) && (km === null || km[b * Tv + j] !== 0) && (!causal || j <= i) && (w === null || Math.abs(i - j) < w);
          allow[r + j] = ok ? 1 : 0;
        }
      }
    }
  }

  override backwardNode(io: NodeIO): void {
    const B = io.B;
    const { Tq, Tv } = this;
    const N = this.numHeads;
    const H = this.keyDim;
    const Hv = this.valueDim;
    const NH = N * H;
    const NHv = N * Hv;
    const k = this.k;
    const gemm = k.gemm;
    const q = io.xs[0]!;
    const v = io.xs[1]!;
    const hasKey = io.xs.length > 2;
    const key = hasKey ? io.xs[2]! : v;
    const S = B * N * Tq * Tv;
    const P = this.P;
    const used = this.dropped ? this.Pd : P;
    // out = C · Wo + bo
    this.dC = ensure(this.dC, B * Tq * NHv);
    this.dP = ensure(this.dP, S);
    this.dV = ensure(this.dV, B * Tv * NHv);
    const dP = this.dP;
    const dOut = io.dys[0]!;
    if (dOut !== null) {
      k.denseBackward(this.dC, this.wo.grad, this.bo?.grad ?? null, dOut, dOut, this.C, this.out, this.out, this.wo.value, B * Tq, NHv, this.O, Act.linear);
      // C = P' · V per head  =>  dP' = dC · Vᵀ, dV = P'ᵀ · dC
      for (let b = 0; b < B; b++) {
        for (let n = 0; n < N; n++) {
          const pOff = (b * N + n) * Tq * Tv;
          gemm(false, true, Tq, Tv, Hv, this.dC, b * Tq * NHv + n * Hv, NHv, this.V, b * Tv * NHv + n * Hv, NHv, dP, pOff, Tv, false);
          gemm(true, false, Tv, Hv, Tq, used, pOff, Tv, this.dC, b * Tq * NHv + n * Hv, NHv, this.dV, b * Tv * NHv + n * Hv, NHv, false);
        }
      }
      if (this.dropped) for (let e = 0; e < S; e++) dP[e] = dP[e]! * this.dropMask[e]!;
    } else {
      dP.fill(0, 0, S);
      this.dV.fill(0, 0, B * Tv * NHv);
    }
    const dScores = io.dys.length > 1 ? io.dys[1]! : null;
    if (dScores !== null) for (let e = 0; e < S; e++) dP[e] = dP[e]! + dScores[e]!;
    // softmax: dS = P ⊙ (dP − Σ_j dP·P); a masked score is a constant (replaced by −1e9): no gradient
    const allow = this.allow;
    for (let b = 0; b < B; b++) {
      for (let n = 0; n < N; n++) {
        for (let i = 0; i < Tq; i++) {
          const r = ((b * N + n) * Tq + i) * Tv;
          const m = (b * Tq + i) * Tv;
          let dot = 0;
          for (let j = 0; j < Tv; j++) dot += dP[r + j]! * P[r + j]!;
          for (let j = 0; j < Tv; j++) dP[r + j] = this.masked && allow[m + j] === 0 ? 0 : P[r + j]! * (dP[r + j]! - dot);
        }
      }
    }
    // S = Q · Kᵀ per head (Q scaled)  =>  dQ = dS · K · s, dK = dSᵀ · Q
    this.dQ = ensure(this.dQ, B * Tq * NH);
    this.dK = ensure(this.dK, B * Tv * NH);
    for (let b = 0; b < B; b++) {
      for (let n = 0; n < N; n++) {
        const pOff = (b * N + n) * Tq * Tv;
        gemm(false, false, Tq, H, Tv, dP, pOff, Tv, this.K, b * Tv * NH + n * H, NH, this.dQ, b * Tq * NH + n * H, NH, false);
        gemm(true, false, Tv, H, Tq, dP, pOff, Tv, this.Q, b * Tq * NH + n * H, NH, this.dK, b * Tv * NH + n * H, NH, false);
      }
    }
    const s = Math.fround(1 / Math.sqrt(H));
    for (let e = 0; e < B * Tq * NH; e++) this.dQ[e] = this.dQ[e]! * s;
    // the projections (linear Dense kernels; dPre may alias dOut)
    const needQ = io.needDx[0] === 1;
    const needV = io.needDx[1] === 1;
    const needK = hasKey ? io.needDx[2] === 1 : needV;
    if (needQ) this.dq = ensure(this.dq, B * Tq * this.Dq);
    if (needV) this.dv = ensure(this.dv, B * Tv * this.Dv);
    if (needK) this.dk = ensure(this.dk, B * Tv * this.Dk);
    k.denseBackward(needQ ? this.dq : null, this.wq.grad, this.bq?.grad ?? null, this.dQ, this.dQ, q, this.Q, this.Q, this.wq.value, B * Tq, this.Dq, NH, Act.linear);
    k.denseBackward(needK ? this.dk : null, this.wk.grad, this.bk?.grad ?? null, this.dK, this.dK, key, this.K, this.K, this.wk.value, B * Tv, this.Dk, NH, Act.linear);
    k.denseBackward(needV ? this.dv : null, this.wv.grad, this.bv?.grad ?? null, this.dV, this.dV, v, this.V, this.V, this.wv.value, B * Tv, this.Dv, NHv, Act.linear);
    // Without a key input the value is the key too: its gradient is the sum of both paths.
    if (!hasKey && needV) for (let e = 0; e < B * Tv * this.Dv; e++) this.dv[e] = this.dv[e]! + this.dk[e]!;
    io.dxs[0] = needQ ? this.dq : null;
    io.dxs[1] = needV ? this.dv : null;
    if (hasKey) io.dxs[2] = needK ? this.dk : null;
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      numHeads: this.numHeads,
      keyDim: this.keyDim,
      valueDim: this.valueDim,
      dropout: this.dropout,
      useBias: this.useBias,
      outputShape: this.outputShapeOption === null ? null : typeof this.outputShapeOption === 'number' ? this.outputShapeOption : [...this.outputShapeOption],
      attentionAxes: this.attentionAxes === null ? null : typeof this.attentionAxes === 'number' ? this.attentionAxes : [...this.attentionAxes],
      ...(this.slidingWindow === null ? {} : { slidingWindow: this.slidingWindow }),
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      biasInitializer: serializeInitializer(this.biasInitializer),
      kernelRegularizer: this.kernelRegularizer === null ? null : serializeRegularizer(this.kernelRegularizer),
      biasRegularizer: this.biasRegularizer === null ? null : serializeRegularizer(this.biasRegularizer),
      kernelConstraint: this.kernelConstraint === null ? null : serializeConstraint(this.kernelConstraint),
      biasConstraint: this.biasConstraint === null ? null : serializeConstraint(this.biasConstraint),
    };
  }
}

/** `layers.multiHeadAttention({numHeads, keyDim, …})`: Keras's MultiHeadAttention over [query, value, key?]. */
export function multiHeadAttention(args: MultiHeadAttentionArgs): MultiHeadAttention {
  return new MultiHeadAttention(args);
}
