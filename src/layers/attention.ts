/**
 * Attention (Luong, Keras 3 `Attention`) and AdditiveAttention (Bahdanau, Keras 3
 * `AdditiveAttention`). Inputs [query [B, Tq, D], value [B, Tv, Dv]] or [query, value,
 * key [B, Tv, D]] (key defaults to value). Per sample:
 *
 *   scores S[i, j]:  dot       scale · Σ_d q[i,d] k[j,d]                  (scale: useScale, a learned scalar)
 *                    concat    c · Σ_d tanh(scale · (q[i,d] + k[j,d]))    (c: a learned scalar)
 *                    additive  Σ_d a[d] · tanh(q[i,d] + k[j,d])           (a: learned [D] when useScale, else 1)
 *   S[i, j] −= 1e9 where the value mask drops step j or (useCausalMask) j > i,
 *   W = softmax_j(S), dropout on W in training, out[i] = Σ_j W[i, j] v[j],
 *   out[i] = 0 where the query mask drops step i; the output carries the query mask.
 *
 * Call options (apply kwargs, saved with the node): returnAttentionScores (a second
 * output, W after dropout, [B, Tq, Tv]) and useCausalMask. The query and value masks
 * are the masks that reach the inputs (Embedding(maskZero), Masking).
 */
import { backend } from '../backend/kernels.js';
import { checkBoolean, checkNumberIn, checkOptions, show } from '../core/errors.js';
import { formatShape } from '../core/tensor.js';
import { Rng, mixSeeds, nextSeed } from '../core/rng.js';
import { getInitializer } from '../initializers/index.js';
import { LAYER_ARG_KEYS, ensure, type LayerArgs, type LayerWeight, type Shape } from './layer.js';
import { MultiInput } from './merge.js';
import { dropWeights, softmaxRow } from './scores.js';
import type { CallSpec, NodeIO } from './node.js';

/** The bias Keras subtracts from masked scores (float32). */
const MASK_BIAS = 1e9;

export interface BaseAttentionArgs extends LayerArgs {
  /** Fraction of the attention weights dropped in training. Default 0. */
  dropout?: number;
  /** Seed of the dropout (default drawn from the global seed). */
  seed?: number;
}

export interface AttentionArgs extends BaseAttentionArgs {
  /** Learn a scalar that scales the scores. Default false. */
  useScale?: boolean;
  /** 'dot' (default) or 'concat' (tanh of the sum of query and key, summed over features, times a learned scalar). */
  scoreMode?: 'dot' | 'concat';
  /** Keras 2's spelling of a causal mask on every call (prefer the call option useCausalMask). Default false. */
  causal?: boolean;
}

export interface AdditiveAttentionArgs extends BaseAttentionArgs {
  /** Learn a per-feature scale a [D] of the tanh terms (glorotUniform). Default true. */
  useScale?: boolean;
}

type Mode = 'dot' | 'concat' | 'additive';

abstract class BaseAttention extends MultiInput {
  protected readonly arity: readonly [number, number] = [2, 3];
  protected override readonly callOptions: readonly string[] = ['returnAttentionScores', 'useCausalMask'];
  readonly useScale: boolean;
  readonly dropout: number;
  protected abstract readonly mode: Mode;
  protected readonly causalAlways: boolean;
  protected scale: LayerWeight | null = null;
  protected concatWeight: LayerWeight | null = null;
  private rng: Rng | null = null;
  private dropoutSeed = 0;
  private readonly rates = new Float64Array(1);
  // this pass: sizes and caches
  private Tq = 0;
  private Tv = 0;
  private D = 0;
  private Dv = 0;
  private raw: Float32Array = new Float32Array(0); // [B, Tq, Tv] dot: q·kᵀ before the scale
  private tanhs: Float32Array = new Float32Array(0); // [B, Tq, Tv, D] concat / additive
  private weightsSoft: Float32Array = new Float32Array(0); // [B, Tq, Tv] softmax
  private weightsDrop: Float32Array = new Float32Array(0); // [B, Tq, Tv] after dropout (= weightsSoft without)
  private dropMask: Float32Array = new Float32Array(0); // [B, Tq, Tv]
  private dropped = false;
  private out: Float32Array = new Float32Array(0); // [B, Tq, Dv]
  private dW: Float32Array = new Float32Array(0);
  private dS: Float32Array = new Float32Array(0);
  private dOutMasked: Float32Array = new Float32Array(0);
  private dq: Float32Array = new Float32Array(0);
  private dv: Float32Array = new Float32Array(0);
  private dk: Float32Array = new Float32Array(0);

  protected constructor(args: BaseAttentionArgs & { useScale?: boolean; causal?: boolean }, prefix: string, own: readonly string[], defaultScale: boolean) {
    super(args ?? {}, prefix);
    checkOptions(args, [...LAYER_ARG_KEYS, 'dropout', 'seed', 'useScale', ...own], this.where);
    this.useScale = args?.useScale === undefined ? defaultScale : checkBoolean(args.useScale, `${this.where}: useScale`);
    this.dropout = args?.dropout === undefined ? 0 : checkNumberIn(args.dropout, 0, 1, `${this.where}: dropout`, { hiOpen: true });
    this.rates[0] = this.dropout;
    this.causalAlways = args?.causal === undefined ? false : checkBoolean(args.causal, `${this.where}: causal`);
  }

  override computeOutputShapes(inputShapes: readonly Shape[], call: CallSpec): Shape[] {
    this.checkCall(inputShapes, call);
    for (const s of inputShapes) {
      if (s.length !== 2 || s[1] === null) throw new RangeError(`${this.where}: inputs must be [batch, time, features] with known features, got ${inputShapes.map((x) => formatShape([null, ...x])).join(', ')}`);
    }
    const [q, v, k = v] = inputShapes as [Shape, Shape, Shape?];
    if (k[0] !== null && v[0] !== null && k[0] !== v[0]) throw new RangeError(`${this.where}: key and value need the same number of steps, got ${formatShape([null, ...k])} and ${formatShape([null, ...v])}`);
    if (q[1] !== k[1]) throw new RangeError(`${this.where}: query and key need the same feature size, got ${formatShape([null, ...q])} and ${formatShape([null, ...k])}`);
    const out: Shape[] = [[q[0]!, v[1]!]];
    if (call.args.returnAttentionScores === true) out.push([q[0]!, k[0]!]);
    return out;
  }

  protected override createCallWeights(inputShapes: readonly Shape[], call: CallSpec, rng: Rng): void {
    super.createCallWeights(inputShapes, call, rng);
    const D = inputShapes[0]![1] as number;
    if (this.mode === 'additive') {
      if (this.useScale) this.scale = this.addWeight('scale', [D], getInitializer('glorotUniform', this.where), rng);
    } else {
      if (this.useScale) this.scale = this.addWeight('scale', [], getInitializer('ones', this.where), rng);
      if (this.mode === 'concat') this.concatWeight = this.addWeight('concat_score_weight', [], getInitializer('ones', this.where), rng);
    }
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
    const k = io.xs.length > 2 ? io.xs[2]! : v;
    const Tq = (this.Tq = io.xTime[0]!);
    const Tv = (this.Tv = io.xTime[1]!);
    const D = (this.D = this.inShapes[0]![1] as number);
    const Dv = (this.Dv = this.inShapes[1]![1] as number);
    if (io.xs.length > 2 && io.xTime[2] !== Tv) throw new RangeError(`${this.where}: key and value need the same number of steps, got ${io.xTime[2]} and ${Tv}`);
    const S = B * Tq * Tv;
    this.weightsSoft = ensure(this.weightsSoft, S);
    const W = this.weightsSoft;
    this.scores(q, k, W, B, Tq, Tv, D);
    const vMask = io.xMasks[1]!;
    const causal = this.causalAlways || io.call.args.useCausalMask === true;
    // masked scores, then softmax over j (max-subtracted)
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < Tq; i++) {
        const r = (b * Tq + i) * Tv;
        for (let j = 0; j < Tv; j++) if ((vMask !== null && vMask[b * Tv + j] === 0) || (causal && j > i)) W[r + j] = W[r + j]! - MASK_BIAS;
        softmaxRow(W, r, Tv);
      }
    }
    let used = W;
    this.dropped = io.training && this.dropout > 0;
    if (this.dropped) {
      this.dropMask = ensure(this.dropMask, S);
      this.weightsDrop = ensure(this.weightsDrop, S);
      dropWeights(this.rng!, this.rates[0]!, S, W, this.dropMask, this.weightsDrop);
      used = this.weightsDrop;
    }
    this.out = ensure(this.out, B * Tq * Dv);
    const gemm = backend().gemm;
    for (let b = 0; b < B; b++) gemm(false, false, Tq, Dv, Tv, used, b * Tq * Tv, Tv, v, b * Tv * Dv, Dv, this.out, b * Tq * Dv, Dv, false);
    const qMask = io.xMasks[0]!;
    if (qMask !== null) {
      for (let r = 0; r < B * Tq; r++) if (qMask[r] === 0) this.out.fill(0, r * Dv, (r + 1) * Dv);
    }
    io.ys[0] = this.out;
    io.yTime[0] = Tq;
    io.yMasks[0] = qMask;
    if (io.ys.length > 1) {
      io.ys[1] = used;
      io.yTime[1] = Tq;
      io.yMasks[1] = null;
    }
  }

  /** Raw scores into S [B, Tq, Tv] (caching what backward needs). */
  private scores(q: Float32Array, k: Float32Array, S: Float32Array, B: number, Tq: number, Tv: number, D: number): void {
    if (this.mode === 'dot') {
      this.raw = ensure(this.raw, B * Tq * Tv);
      const gemm = backend().gemm;
      for (let b = 0; b < B; b++) gemm(false, true, Tq, Tv, D, q, b * Tq * D, D, k, b * Tv * D, D, this.raw, b * Tq * Tv, Tv, false);
      const sc = this.scale === null ? 1 : this.scale.value[0]!;
      for (let e = 0; e < B * Tq * Tv; e++) S[e] = this.raw[e]! * sc;
      return;
    }
    this.tanhs = ensure(this.tanhs, B * Tq * Tv * D);
    const t = this.tanhs;
    const additive = this.mode === 'additive';
    const sc = additive || this.scale === null ? 1 : this.scale.value[0]!;
    const c = additive ? 1 : this.concatWeight!.value[0]!;
    const a = additive && this.scale !== null ? this.scale.value : null;
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < Tq; i++) {
        for (let j = 0; j < Tv; j++) {
          const o = ((b * Tq + i) * Tv + j) * D;
          let acc = 0;
          for (let d = 0; d < D; d++) {
            const e = Math.tanh(sc * (q[(b * Tq + i) * D + d]! + k[(b * Tv + j) * D + d]!));
            t[o + d] = e;
            acc += a === null ? e : a[d]! * e;
          }
          S[(b * Tq + i) * Tv + j] = c * acc;
        }
      }
    }
  }

  override backwardNode(io: NodeIO): void {
    const B = io.B;
    const { Tq, Tv, D, Dv } = this;
    const q = io.xs[0]!;
    const v = io.xs[1]!;
    const hasKey = io.xs.length > 2;
    const k = hasKey ? io.xs[2]! : v;
    const S = B * Tq * Tv;
    const W = this.weightsSoft;
    const used = this.dropped ? this.weightsDrop : W;
    const gemm = backend().gemm;
    // out = where(qMask, W'·v, 0): masked query rows pass no gradient
    let dOut = io.dys[0]!;
    const qMask = io.xMasks[0]!;
    if (dOut !== null && qMask !== null) {
      this.dOutMasked = ensure(this.dOutMasked, B * Tq * Dv);
      for (let r = 0; r < B * Tq; r++) {
        const keep = qMask[r] !== 0;
        for (let c = 0; c < Dv; c++) this.dOutMasked[r * Dv + c] = keep ? dOut[r * Dv + c]! : 0;
      }
      dOut = this.dOutMasked;
    }
    // dW' = dOut · vᵀ (+ the scores output's own gradient); dv = W'ᵀ · dOut
    this.dW = ensure(this.dW, S);
    const dW = this.dW;
    const dScoresOut = io.dys.length > 1 ? io.dys[1]! : null;
    for (let b = 0; b < B; b++) {
      if (dOut !== null) gemm(false, true, Tq, Tv, Dv, dOut, b * Tq * Dv, Dv, v, b * Tv * Dv, Dv, dW, b * Tq * Tv, Tv, false);
      else dW.fill(0, b * Tq * Tv, (b + 1) * Tq * Tv);
    }
    if (dScoresOut !== null) for (let e = 0; e < S; e++) dW[e] = dW[e]! + dScoresOut[e]!;
    const needV = io.needDx[1] === 1;
    const needQ = io.needDx[0] === 1;
    const needK = hasKey ? io.needDx[2] === 1 : needV;
    if (needV) {
      this.dv = ensure(this.dv, B * Tv * Dv);
      for (let b = 0; b < B; b++) {
        if (dOut !== null) gemm(true, false, Tv, Dv, Tq, used, b * Tq * Tv, Tv, dOut, b * Tq * Dv, Dv, this.dv, b * Tv * Dv, Dv, false);
        else this.dv.fill(0, b * Tv * Dv, (b + 1) * Tv * Dv);
      }
    }
    // through dropout, then softmax: dS = W ⊙ (dW − Σ_j dW·W)
    if (this.dropped) for (let e = 0; e < S; e++) dW[e] = dW[e]! * this.dropMask[e]!;
    this.dS = ensure(this.dS, S);
    const dS = this.dS;
    for (let r = 0; r < B * Tq; r++) {
      let dot = 0;
      for (let j = 0; j < Tv; j++) dot += dW[r * Tv + j]! * W[r * Tv + j]!;
      for (let j = 0; j < Tv; j++) dS[r * Tv + j] = W[r * Tv + j]! * (dW[r * Tv + j]! - dot);
    }
    if (needQ) {
      this.dq = ensure(this.dq, B * Tq * D);
      this.dq.fill(0, 0, B * Tq * D);
    }
    const dkBuf = hasKey ? (this.dk = ensure(this.dk, B * Tv * D)) : this.dv;
    if (needK && hasKey) dkBuf.fill(0, 0, B * Tv * D);
    this.scoresBackward(q, k, needQ ? this.dq : null, needK ? dkBuf : null, B, Tq, Tv, D);
    io.dxs[0] = needQ ? this.dq : null;
    io.dxs[1] = needV ? this.dv : null;
    if (hasKey) io.dxs[2] = needK ? this.dk : null;
  }

  /** Backward of the scores from dS: weight gradients, and dq / dk accumulated when given. */
  private scoresBackward(q: Float32Array, k: Float32Array, dq: Float32Array | null, dk: Float32Array | null, B: number, Tq: number, Tv: number, D: number): void {
    const dS = this.dS;
    const S = B * Tq * Tv;
    const gemm = backend().gemm;
    if (this.mode === 'dot') {
      const sc = this.scale === null ? 1 : this.scale.value[0]!;
      if (this.scale !== null) {
        // S = scale · raw  =>  dscale = Σ dS · raw, and dS · scale flows on
        let g = 0;
        for (let e = 0; e < S; e++) g += dS[e]! * this.raw[e]!;
        this.scale.grad[0] = this.scale.grad[0]! + g;
        for (let e = 0; e < S; e++) dS[e] = dS[e]! * sc;
      }
      // raw = q · kᵀ  =>  dq = dS · k,  dk = dSᵀ · q
      for (let b = 0; b < B; b++) {
        if (dq !== null) gemm(false, false, Tq, D, Tv, dS, b * Tq * Tv, Tv, k, b * Tv * D, D, dq, b * Tq * D, D, true);
        if (dk !== null) gemm(true, false, Tv, D, Tq, dS, b * Tq * Tv, Tv, q, b * Tq * D, D, dk, b * Tv * D, D, true);
      }
      return;
    }
    const t = this.tanhs;
    const additive = this.mode === 'additive';
    const sc = additive || this.scale === null ? 1 : this.scale.value[0]!;
    const c = additive ? 1 : this.concatWeight!.value[0]!;
    const a = additive && this.scale !== null ? this.scale.value : null;
    let dc = 0;
    let dsc = 0;
    const da = a !== null ? this.scale!.grad : null;
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < Tq; i++) {
        for (let j = 0; j < Tv; j++) {
          const g = dS[(b * Tq + i) * Tv + j]!;
          if (g === 0) continue;
          const o = ((b * Tq + i) * Tv + j) * D;
          for (let d = 0; d < D; d++) {
            const e = t[o + d]!;
            // S = c · Σ_d w_d · tanh(u_d), u_d = sc · (q + k)
            const w = a === null ? 1 : a[d]!;
            if (!additive) dc += g * e;
            if (da !== null) da[d] = da[d]! + g * e;
            const du = g * c * w * (1 - e * e);
            const qi = (b * Tq + i) * D + d;
            const kj = (b * Tv + j) * D + d;
            if (!additive && this.scale !== null) dsc += du * (q[qi]! + k[kj]!);
            if (dq !== null) dq[qi] = dq[qi]! + du * sc;
            if (dk !== null) dk[kj] = dk[kj]! + du * sc;
          }
        }
      }
    }
    if (!additive) {
      this.concatWeight!.grad[0] = this.concatWeight!.grad[0]! + dc;
      if (this.scale !== null) this.scale.grad[0] = this.scale.grad[0]! + dsc;
    }
  }

  override getConfig(): Record<string, unknown> {
    const c: Record<string, unknown> = { ...super.getConfig(), useScale: this.useScale, dropout: this.dropout };
    if (this.causalAlways) c.causal = true;
    return c;
  }
}

export class Attention extends BaseAttention {
  readonly className = 'Attention';
  readonly scoreMode: 'dot' | 'concat';
  protected readonly mode: Mode;

  constructor(args: AttentionArgs = {}) {
    super(args, 'attention', ['scoreMode', 'causal'], false);
    const m = args?.scoreMode ?? 'dot';
    if (m !== 'dot' && m !== 'concat') throw new RangeError(`${this.where}: scoreMode must be 'dot' or 'concat', got ${show(m)}`);
    this.scoreMode = m;
    this.mode = m;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), scoreMode: this.scoreMode };
  }
}

export class AdditiveAttention extends BaseAttention {
  readonly className = 'AdditiveAttention';
  protected readonly mode: Mode = 'additive';

  constructor(args: AdditiveAttentionArgs = {}) {
    super(args, 'additive_attention', [], true);
  }
}

/** `layers.attention({useScale, scoreMode, dropout})`: dot-product (Luong) attention over [query, value, key?]. */
export function attention(args?: AttentionArgs): Attention {
  return new Attention(args);
}

/** `layers.additiveAttention({useScale, dropout})`: additive (Bahdanau) attention over [query, value, key?]. */
export function additiveAttention(args?: AdditiveAttentionArgs): AdditiveAttention {
  return new AdditiveAttention(args);
}
