/**
 * Dot (Keras 3 semantics): the batch dot product of two inputs [B, …] along one axis
 * of each. Per sample, x and y are vectors or matrices (inputs of rank 2 or 3, as
 * tfjs); the output keeps x's other axis, then y's, and is [B, 1] when both are
 * vectors. With normalize, each input is first L2-normalized along its dot axis as
 * Keras 3 does (x · rsqrt(max(Σx², ε²)), ε = 1e-7): the output is then the cosine
 * similarity. No mask leaves it.
 *
 * Layout: a per-sample operand is read as A[p, k] (p over its kept axis, k over the
 * dot axis) through strides, so every axis choice is one loop.
 */
import { checkBoolean, checkOptions, show } from '../core/errors.js';
import { formatShape } from '../core/tensor.js';
import { LAYER_ARG_KEYS, ensure, type LayerArgs, type Shape } from './layer.js';
import { MultiInput } from './merge.js';
import type { CallSpec, NodeIO } from './node.js';

export interface DotArgs extends LayerArgs {
  /** The axis of each input to take the dot product along (batch axis 0 excluded; negative counts from the end): one for both, or [axisOfX, axisOfY]. */
  axes: number | readonly [number, number];
  /** L2-normalize each input along its dot axis first (cosine similarity). Default false. */
  normalize?: boolean;
}

/** ε² of Keras 3's normalize: rsqrt(max(Σx², ε²)). */
const EPS2 = 1e-14;

export class Dot extends MultiInput {
  readonly className = 'Dot';
  readonly axes: number | readonly [number, number];
  readonly normalize: boolean;
  protected readonly arity: readonly [number, number] = [2, 2];
  /** Per input: its dot axis (per sample), kept-axis size P and dot size K in this pass, strides of p and k. */
  private readonly axis = new Int32Array(2);
  private readonly P = new Int32Array(2);
  private readonly strideP = new Int32Array(2);
  private readonly strideK = new Int32Array(2);
  private K = 0;
  private out: Float32Array = new Float32Array(0);
  private normed: Float32Array[] = [new Float32Array(0), new Float32Array(0)];
  private invNorm: Float32Array[] = [new Float32Array(0), new Float32Array(0)]; // [B, P] per input
  private dxs: Float32Array[] = [new Float32Array(0), new Float32Array(0)];

  constructor(args: DotArgs) {
    super(args ?? ({} as DotArgs), 'dot');
    checkOptions(args, [...LAYER_ARG_KEYS, 'axes', 'normalize'], this.where);
    const a = args?.axes;
    const ok = (v: unknown): boolean => Number.isInteger(v) && v !== 0;
    if (!(ok(a) || (Array.isArray(a) && a.length === 2 && a.every(ok)))) {
      throw new RangeError(`${this.where}: axes must be a non-zero integer or two of them ([axisOfX, axisOfY]; the batch axis 0 cannot be used), got ${show(a)}`);
    }
    this.axes = Array.isArray(a) ? ([a[0], a[1]] as const) : (a as number);
    this.normalize = args.normalize === undefined ? false : checkBoolean(args.normalize, `${this.where}: normalize`);
  }

  /** The per-sample dot axis of input i (rank = per-sample rank). */
  private dotAxis(i: number, rank: number): number {
    const a = typeof this.axes === 'number' ? this.axes : this.axes[i]!;
    const full = a < 0 ? a + rank + 1 : a;
    if (full < 1 || full > rank) throw new RangeError(`${this.where}: axis ${a} is out of range for input ${i} of rank ${rank + 1}`);
    return full - 1;
  }

  override computeOutputShapes(inputShapes: readonly Shape[], call: CallSpec): Shape[] {
    this.checkCall(inputShapes, call);
    for (const s of inputShapes) {
      if (s.length < 1 || s.length > 2) throw new RangeError(`${this.where}: inputs must have rank 2 or 3 ([batch, n] or [batch, m, n]), got ${inputShapes.map((x) => formatShape([null, ...x])).join(', ')}`);
    }
    const [x, y] = inputShapes as [Shape, Shape];
    const ax = this.dotAxis(0, x.length);
    const ay = this.dotAxis(1, y.length);
    if (x[ax] !== null && y[ay] !== null && x[ax] !== y[ay]) {
      throw new RangeError(`${this.where}: the dot axes differ in size: ${x[ax]} (axis ${ax + 1} of ${formatShape([null, ...x])}) and ${y[ay]} (axis ${ay + 1} of ${formatShape([null, ...y])})`);
    }
    const out = [...x.filter((_, k) => k !== ax), ...y.filter((_, k) => k !== ay)];
    return [out.length === 0 ? [1] : out];
  }

  override forwardNode(io: NodeIO): void {
    const B = io.B;
    this.concreteDims(io);
    for (let i = 0; i < 2; i++) {
      const d = this.dims[i]!;
      const a = this.dotAxis(i, d.length);
      this.axis[i] = a;
      this.K = d[a]!;
      if (d.length === 1) {
        this.P[i] = 1;
        this.strideP[i] = 0;
        this.strideK[i] = 1;
      } else {
        this.P[i] = d[1 - a]!;
        this.strideP[i] = a === 1 ? d[1]! : 1;
        this.strideK[i] = a === 1 ? 1 : d[1]!;
      }
    }
    if (this.dims[0]![this.axis[0]!] !== this.dims[1]![this.axis[1]!]) throw new RangeError(`${this.where}: the dot axes differ in size in this batch`);
    let x = io.xs[0]!;
    let y = io.xs[1]!;
    if (this.normalize) {
      x = this.normalized(0, x, B);
      y = this.normalized(1, y, B);
    }
    const P = this.P[0]!;
    const Q = this.P[1]!;
    const K = this.K;
    this.out = ensure(this.out, B * P * Q);
    const out = this.out;
    const sx = this.sizes[0]!;
    const sy = this.sizes[1]!;
    const xp = this.strideP[0]!;
    const xk = this.strideK[0]!;
    const yq = this.strideP[1]!;
    const yk = this.strideK[1]!;
    for (let b = 0; b < B; b++) {
      for (let p = 0; p < P; p++) {
        for (let q = 0; q < Q; q++) {
          let acc = 0;
          for (let k = 0; k < K; k++) acc += x[b * sx + p * xp + k * xk]! * y[b * sy + q * yq + k * yk]!;
          out[(b * P + p) * Q + q] = acc;
        }
      }
    }
    io.ys[0] = out;
    // The output's first axis is x's kept axis (or y's, when x is a vector).
    io.yTime[0] = this.dims[0]!.length === 2 ? P : this.dims[1]!.length === 2 ? Q : 1;
    io.yMasks[0] = null;
  }

  /** Input i normalized along its dot axis (inverse norms kept for backward). */
  private normalized(i: number, x: Float32Array, B: number): Float32Array {
    const P = this.P[i]!;
    const K = this.K;
    const size = this.sizes[i]!;
    const sp = this.strideP[i]!;
    const sk = this.strideK[i]!;
    const v = (this.normed[i] = ensure(this.normed[i]!, B * size));
    const inv = (this.invNorm[i] = ensure(this.invNorm[i]!, B * P));
    for (let b = 0; b < B; b++) {
      for (let p = 0; p < P; p++) {
        let ss = 0;
        for (let k = 0; k < K; k++) {
          const e = x[b * size + p * sp + k * sk]!;
          ss += e * e;
        }
        const r = 1 / Math.sqrt(Math.max(ss, EPS2));
        inv[b * P + p] = ss > EPS2 ? r : -r; // the sign marks a clamped norm (no gradient through it)
        for (let k = 0; k < K; k++) v[b * size + p * sp + k * sk] = x[b * size + p * sp + k * sk]! * r;
      }
    }
    return v;
  }

  override backwardNode(io: NodeIO): void {
    const B = io.B;
    const dy = io.dys[0]!;
    const x = this.normalize ? this.normed[0]! : io.xs[0]!;
    const y = this.normalize ? this.normed[1]! : io.xs[1]!;
    const P = this.P[0]!;
    const Q = this.P[1]!;
    const K = this.K;
    const sx = this.sizes[0]!;
    const sy = this.sizes[1]!;
    const xp = this.strideP[0]!;
    const xk = this.strideK[0]!;
    const yq = this.strideP[1]!;
    const yk = this.strideK[1]!;
    for (let i = 0; i < 2; i++) {
      if (io.needDx[i] !== 1) {
        io.dxs[i] = null;
        continue;
      }
      const n = B * this.sizes[i]!;
      const d = (this.dxs[i] = ensure(this.dxs[i]!, n));
      d.fill(0, 0, n);
      // out[p, q] = Σ_k x[p, k] y[q, k]  =>  dx[p, k] = Σ_q dout[p, q] y[q, k],  dy[q, k] = Σ_p dout[p, q] x[p, k]
      for (let b = 0; b < B; b++) {
        for (let p = 0; p < P; p++) {
          for (let q = 0; q < Q; q++) {
            const g = dy[(b * P + p) * Q + q]!;
            if (g === 0) continue;
            for (let k = 0; k < K; k++) {
              if (i === 0) d[b * sx + p * xp + k * xk] += g * y[b * sy + q * yq + k * yk]!;
              else d[b * sy + q * yq + k * yk] += g * x[b * sx + p * xp + k * xk]!;
            }
          }
        }
      }
      if (this.normalize) this.normalizeBackward(i, d, B);
      io.dxs[i] = d;
    }
  }

  /** v = x·r, r = rsqrt(max(Σx², ε²))  =>  dx = r·dv − x·r³·Σ(dv·x) where the norm is not clamped (in place: dv → dx). */
  private normalizeBackward(i: number, d: Float32Array, B: number): void {
    const P = this.P[i]!;
    const K = this.K;
    const size = this.sizes[i]!;
    const sp = this.strideP[i]!;
    const sk = this.strideK[i]!;
    const v = this.normed[i]!; // v = x·r
    const inv = this.invNorm[i]!;
    for (let b = 0; b < B; b++) {
      for (let p = 0; p < P; p++) {
        const signed = inv[b * P + p]!;
        const r = Math.abs(signed);
        let dot = 0; // Σ dv·v = r·Σ dv·x
        for (let k = 0; k < K; k++) dot += d[b * size + p * sp + k * sk]! * v[b * size + p * sp + k * sk]!;
        for (let k = 0; k < K; k++) {
          const at = b * size + p * sp + k * sk;
          d[at] = signed > 0 ? r * (d[at]! - v[at]! * dot) : r * d[at]!;
        }
      }
    }
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), axes: typeof this.axes === 'number' ? this.axes : [...this.axes], normalize: this.normalize };
  }
}

/** `layers.dot({axes, normalize})`: the batch dot product of two inputs. */
export function dot(args: DotArgs): Dot {
  return new Dot(args);
}
