/**
 * Merge layers (Keras 3 semantics, tfjs names): add, subtract, multiply, average,
 * maximum, minimum and concatenate take a list of tensors and give one.
 *
 * The element-wise merges broadcast as Keras does: inputs of lower rank get unit axes
 * inserted after the batch axis, then every axis is equal or 1. Their mask is the AND
 * of the inputs' masks (an input without one counts as all kept). Concatenate joins
 * along `axis` (default -1, the last); its mask: joining along the time axis joins the
 * masks (an unmasked input counts as kept); joining along a feature axis keeps a step if
 * any input keeps it (Keras 3), or — `maskReduction: 'all'`, what tf.keras 2 and TF.js
 * compute, set when their files are read — if every masked input keeps it.
 *
 * Buffers are batch-major; a pass allocates nothing once grown. Backward writes each
 * input's gradient (summed over the axes it was broadcast along) into its own buffer.
 */
import { checkOptions, show } from '../core/errors.js';
import { formatShape } from '../core/tensor.js';
import { Layer, LAYER_ARG_KEYS, ensure, ensureAll, type LayerArgs, type Shape } from './layer.js';
import type { CallSpec, NodeIO } from './node.js';
import type { Rng } from '../core/rng.js';

/** Shared by every layer that takes a list of inputs: the call checks and the runtime shapes. */
export abstract class MultiInput extends Layer {
  /** Concrete per-sample shapes of this pass's inputs (open axis 0 → its time length), updated in place. */
  protected dims: Int32Array[] = [];
  /** Floats per sample of each input in this pass. */
  protected sizes: Int32Array = new Int32Array(0);

  /** Number of inputs this layer takes: [least, most]. */
  protected abstract readonly arity: readonly [number, number];

  protected checkCall(inputShapes: readonly Shape[], call: CallSpec): void {
    if (call.stateCount > 0) throw new RangeError(`${this.where}: initialState is only for recurrent layers`);
    const [lo, hi] = this.arity;
    const n = inputShapes.length;
    if (n < lo || n > hi) {
      const want = lo === hi ? `${lo}` : hi === Infinity ? `at least ${lo}` : `${lo} to ${hi}`;
      throw new RangeError(`${this.where}: takes a list of ${want} inputs, got ${n}`);
    }
  }

  computeOutputShape(inputShape: Shape): Shape {
    return this.computeOutputShapes([inputShape], { stateCount: 0, args: {} })[0]!;
  }

  protected createWeights(): void {}

  protected override createCallWeights(inputShapes: readonly Shape[], _call: CallSpec, _rng: Rng): void {
    this.dims = inputShapes.map((s) => new Int32Array(s.length));
    this.sizes = new Int32Array(inputShapes.length);
  }

  /** Fill `dims` and `sizes` for this pass from the built shapes and the inputs' time lengths. */
  protected concreteDims(io: NodeIO): void {
    for (let i = 0; i < this.dims.length; i++) {
      const s = this.inShapes[i]!;
      const d = this.dims[i]!;
      let size = 1;
      for (let k = 0; k < d.length; k++) {
        // A sequence's time length is the pass's even where declared: padding trimming (models/trim.ts) cuts batches short.
        d[k] = k === 0 && d.length === 2 ? io.xTime[i]! : s[k] ?? io.xTime[i]!;
        size *= d[k]!;
      }
      this.sizes[i] = size;
    }
  }

  forward(): Float32Array {
    throw new RangeError(`${this.where}: takes a list of inputs; call it on [a, b] in a graph model (model({inputs, outputs})) or with apply([a, b])`);
  }

  backward(): Float32Array | null {
    throw new RangeError(`${this.where}: takes a list of inputs; use it in a graph model`);
  }
}

/** The broadcast of per-sample shapes (Keras: lower ranks get unit axes after the batch axis). */
export function broadcastShapes(shapes: readonly Shape[], where: string): Shape {
  const r = Math.max(...shapes.map((s) => s.length));
  const out: (number | null)[] = [];
  for (let k = 0; k < r; k++) {
    let d: number | null = 1;
    for (const s of shapes) {
      // A missing leading axis is 1; an unknown (null) one stays unknown (`?? 1` would read null as 1).
      const at = k - (r - s.length);
      const e = at < 0 ? 1 : s[at]!;
      if (e === 1) continue;
      if (d === 1) d = e;
      else if (e !== null && d !== null && e !== d) throw new RangeError(`${where}: inputs of shapes ${shapes.map((x) => formatShape([null, ...x])).join(', ')} cannot be merged element-wise`);
      else if (d === null) d = e;
    }
    out.push(d);
  }
  return out;
}

type Op = 'add' | 'subtract' | 'multiply' | 'average' | 'maximum' | 'minimum';

/** The element-wise merges. */
export abstract class ElementwiseMerge extends MultiInput {
  protected readonly arity: readonly [number, number] = [2, Infinity];
  protected abstract readonly op: Op;
  private out: Float32Array = new Float32Array(0);
  private dxs: Float32Array[] = [];
  private mask: Float32Array = new Float32Array(0);
  /** Per input: its stride along each output axis (0 where broadcast), for the general path. */
  private strides: Int32Array[] = [];
  private outDims: Int32Array = new Int32Array(0);
  private per = 0; // floats per sample of the output
  private same = true; // every input has the output's shape: flat loops

  override computeOutputShapes(inputShapes: readonly Shape[], call: CallSpec): Shape[] {
    this.checkCall(inputShapes, call);
    return [broadcastShapes(inputShapes, this.where)];
  }

  protected override createCallWeights(inputShapes: readonly Shape[], call: CallSpec, rng: Rng): void {
    super.createCallWeights(inputShapes, call, rng);
    const r = Math.max(...inputShapes.map((s) => s.length));
    this.outDims = new Int32Array(r);
    this.strides = inputShapes.map(() => new Int32Array(r));
  }

  /** Set up this pass's output shape and each input's strides (no allocation). */
  private plan(io: NodeIO): void {
    this.concreteDims(io);
    const r = this.outDims.length;
    const n = this.dims.length;
    let same = true;
    let per = 1;
    for (let k = 0; k < r; k++) {
      let d = 1;
      for (let i = 0; i < n; i++) {
        const s = this.dims[i]!;
        const j = k - (r - s.length);
        const e = j < 0 ? 1 : s[j]!;
        if (e !== 1) {
          if (d !== 1 && e !== d) throw new RangeError(`${this.where}: inputs with ${d} and ${e} steps cannot be merged element-wise`);
          d = e;
        }
      }
      this.outDims[k] = d;
      per *= d;
    }
    for (let i = 0; i < n; i++) {
      const s = this.dims[i]!;
      if (s.length !== r || this.sizes[i] !== per) same = false;
      const st = this.strides[i]!;
      let stride = 1;
      for (let k = r - 1; k >= 0; k--) {
        const j = k - (r - s.length);
        const e = j < 0 ? 1 : s[j]!;
        st[k] = e === 1 && this.outDims[k] !== 1 ? 0 : stride;
        stride *= e;
      }
    }
    this.per = per;
    this.same = same;
  }

  /** Index into the batch of input i for element e of sample b of the output. */
  private at(i: number, b: number, e: number): number {
    if (this.same) return b * this.per + e;
    const st = this.strides[i]!;
    const d = this.outDims;
    let idx = 0;
    for (let k = d.length - 1; k >= 0; k--) {
      const n = d[k]!;
      idx += (e % n) * st[k]!;
      e = (e / n) | 0;
    }
    return b * this.sizes[i]! + idx;
  }

  override forwardNode(io: NodeIO): void {
    const B = io.B;
    this.plan(io);
    const per = this.per;
    const n = io.xs.length;
    this.out = ensure(this.out, B * per);
    const out = this.out;
    const xs = io.xs;
    const op = this.op;
    for (let b = 0; b < B; b++) {
      for (let e = 0; e < per; e++) {
        let acc = xs[0]![this.at(0, b, e)]!;
        for (let i = 1; i < n; i++) {
          const v = xs[i]![this.at(i, b, e)]!;
          if (op === 'add' || op === 'average') acc += v;
          else if (op === 'subtract') acc -= v;
          else if (op === 'multiply') acc *= v;
          else if (op === 'maximum') acc = v > acc ? v : acc;
          else acc = v < acc ? v : acc;
        }
        out[b * per + e] = op === 'average' ? acc / n : acc;
      }
    }
    io.ys[0] = out;
    io.yTime[0] = this.outDims[0]!;
    io.yMasks[0] = this.outDims.length === 2 ? this.andMasks(io) : null;
  }

  /** AND of the inputs' masks (those that have one), or null when none has one. */
  private andMasks(io: NodeIO): Float32Array | null {
    let first: Float32Array | null = null;
    let count = 0;
    for (let i = 0; i < io.xMasks.length; i++) {
      const m = io.xMasks[i]!;
      if (m === null) continue;
      if (first === null) first = m;
      count++;
    }
    if (count <= 1) return first;
    const n = io.B * this.outDims[0]!;
    this.mask = ensure(this.mask, n);
    for (let k = 0; k < n; k++) {
      let keep = 1;
      for (let i = 0; i < io.xMasks.length; i++) {
        const m = io.xMasks[i]!;
        if (m !== null && m[k] === 0) keep = 0;
      }
      this.mask[k] = keep;
    }
    return this.mask;
  }

  override backwardNode(io: NodeIO): void {
    const B = io.B;
    const n = io.xs.length;
    const per = this.per;
    const dy = io.dys[0]!;
    if (this.dxs.length !== n) this.dxs = ensureAll(this.dxs, n, 0);
    for (let i = 0; i < n; i++) {
      if (io.needDx[i] !== 1) {
        io.dxs[i] = null;
        continue;
      }
      const size = B * this.sizes[i]!;
      const dx = (this.dxs[i] = ensure(this.dxs[i]!, size));
      dx.fill(0, 0, size);
      io.dxs[i] = dx;
    }
    const xs = io.xs;
    const op = this.op;
    for (let b = 0; b < B; b++) {
      for (let e = 0; e < per; e++) {
        const g = dy[b * per + e]!;
        // the input that gave the maximum / minimum (the first one on a tie)
        let pick = 0;
        if (op === 'maximum' || op === 'minimum') {
          let best = xs[0]![this.at(0, b, e)]!;
          for (let i = 1; i < n; i++) {
            const v = xs[i]![this.at(i, b, e)]!;
            if (op === 'maximum' ? v > best : v < best) {
              best = v;
              pick = i;
            }
          }
        }
        for (let i = 0; i < n; i++) {
          if (io.needDx[i] !== 1) continue;
          let d: number;
          if (op === 'add') d = g;
          else if (op === 'average') d = g / n;
          else if (op === 'subtract') d = i === 0 ? g : -g;
          else if (op === 'multiply') {
            d = g;
            for (let j = 0; j < n; j++) if (j !== i) d *= xs[j]![this.at(j, b, e)]!;
          } else d = i === pick ? g : 0;
          const dx = this.dxs[i]!;
          const at = this.at(i, b, e);
          dx[at] = dx[at]! + d;
        }
      }
    }
  }
}

/** Options of the element-wise merge layers. */
export type MergeArgs = LayerArgs;

function checkMergeArgs(args: object | undefined, where: string): void {
  checkOptions(args, [...LAYER_ARG_KEYS], where);
}

export class Add extends ElementwiseMerge {
  readonly className = 'Add';
  protected readonly op = 'add' as const;
  constructor(args: MergeArgs = {}) {
    super(args ?? {}, 'add');
    checkMergeArgs(args, this.where);
  }
}

export class Subtract extends ElementwiseMerge {
  readonly className = 'Subtract';
  protected readonly op = 'subtract' as const;
  protected override readonly arity: readonly [number, number] = [2, 2];
  constructor(args: MergeArgs = {}) {
    super(args ?? {}, 'subtract');
    checkMergeArgs(args, this.where);
  }
}

export class Multiply extends ElementwiseMerge {
  readonly className = 'Multiply';
  protected readonly op = 'multiply' as const;
  constructor(args: MergeArgs = {}) {
    super(args ?? {}, 'multiply');
    checkMergeArgs(args, this.where);
  }
}

export class Average extends ElementwiseMerge {
  readonly className = 'Average';
  protected readonly op = 'average' as const;
  constructor(args: MergeArgs = {}) {
    super(args ?? {}, 'average');
    checkMergeArgs(args, this.where);
  }
}

export class Maximum extends ElementwiseMerge {
  readonly className = 'Maximum';
  protected readonly op = 'maximum' as const;
  constructor(args: MergeArgs = {}) {
    super(args ?? {}, 'maximum');
    checkMergeArgs(args, this.where);
  }
}

export class Minimum extends ElementwiseMerge {
  readonly className = 'Minimum';
  protected readonly op = 'minimum' as const;
  constructor(args: MergeArgs = {}) {
    super(args ?? {}, 'minimum');
    checkMergeArgs(args, this.where);
  }
}

export interface ConcatenateArgs extends LayerArgs {
  /** Axis to join along, counting the batch axis as 0 (Keras); negative counts from the end. Default -1. */
  axis?: number;
  /**
   * How the masks of inputs joined along features make the output's (the step mask of
   * [batch, steps, features] inputs): 'any' — a step is kept if any input keeps it, an
   * unmasked input keeping all (Keras 3; default); 'all' — kept only if every masked input
   * keeps it (tf.keras 2 and TF.js: loading their files sets it, so such a model predicts as
   * it was trained). No Keras option: rnnkit's files write it as `mask_reduction` when 'all'.
   */
  maskReduction?: 'any' | 'all';
}

export class Concatenate extends MultiInput {
  readonly className = 'Concatenate';
  readonly axis: number;
  readonly maskReduction: 'any' | 'all';
  protected readonly arity: readonly [number, number] = [1, Infinity];
  private out: Float32Array = new Float32Array(0);
  private dxs: Float32Array[] = [];
  private mask: Float32Array = new Float32Array(0);
  private ax = 0; // per-sample axis of the join
  private outer = 1; // product of the axes before it in this pass
  private inner: Int32Array = new Int32Array(0); // per input: its floats per outer index
  private row = 0; // Σ inner

  constructor(args: ConcatenateArgs = {}) {
    super(args ?? {}, 'concatenate');
    checkOptions(args, [...LAYER_ARG_KEYS, 'axis', 'maskReduction'], this.where);
    const a = args?.axis ?? -1;
    if (!Number.isInteger(a) || a === 0) throw new RangeError(`${this.where}: axis must be a non-zero integer (the batch axis 0 cannot be joined), got ${show(a)}`);
    this.axis = a;
    const r = args?.maskReduction ?? 'any';
    if (r !== 'any' && r !== 'all') throw new RangeError(`${this.where}: maskReduction must be 'any' (Keras 3) or 'all' (tf.keras 2, TF.js), got ${show(r)}`);
    this.maskReduction = r;
  }

  /** The per-sample axis joined for inputs of this rank. */
  private sampleAxis(rank: number): number {
    const a = this.axis < 0 ? rank + 1 + this.axis : this.axis;
    if (a < 1 || a > rank) throw new RangeError(`${this.where}: axis ${this.axis} is out of range for inputs of rank ${rank + 1}`);
    return a - 1;
  }

  override computeOutputShapes(inputShapes: readonly Shape[], call: CallSpec): Shape[] {
    this.checkCall(inputShapes, call);
    const r = inputShapes[0]!.length;
    if (inputShapes.some((s) => s.length !== r)) throw new RangeError(`${this.where}: inputs must have the same rank, got ${inputShapes.map((s) => formatShape([null, ...s])).join(', ')}`);
    const ax = this.sampleAxis(r);
    const out: (number | null)[] = [...inputShapes[0]!];
    for (let k = 0; k < r; k++) {
      if (k === ax) {
        out[k] = inputShapes.some((s) => s[k] === null) ? null : inputShapes.reduce((n, s) => n + (s[k] as number), 0);
        continue;
      }
      for (const s of inputShapes) {
        if (s[k] !== null && out[k] !== null && s[k] !== out[k]) {
          throw new RangeError(`${this.where}: inputs must match except along axis ${this.axis}, got ${inputShapes.map((x) => formatShape([null, ...x])).join(', ')}`);
        }
        if (out[k] === null) out[k] = s[k]!;
      }
    }
    return [out];
  }

  protected override createCallWeights(inputShapes: readonly Shape[], call: CallSpec, rng: Rng): void {
    super.createCallWeights(inputShapes, call, rng);
    this.ax = this.sampleAxis(inputShapes[0]!.length);
    this.inner = new Int32Array(inputShapes.length);
  }

  override forwardNode(io: NodeIO): void {
    const B = io.B;
    this.concreteDims(io);
    const ax = this.ax;
    const n = io.xs.length;
    const d0 = this.dims[0]!;
    let outer = 1;
    for (let k = 0; k < ax; k++) outer *= d0[k]!;
    this.outer = outer;
    let row = 0;
    let joined = 0;
    for (let i = 0; i < n; i++) {
      const d = this.dims[i]!;
      let inner = 1;
      for (let k = ax; k < d.length; k++) inner *= d[k]!;
      this.inner[i] = inner;
      row += inner;
      joined += d[0]!;
    }
    this.row = row;
    this.out = ensure(this.out, B * outer * row);
    const out = this.out;
    for (let b = 0; b < B; b++) {
      for (let o = 0; o < outer; o++) {
        let dst = (b * outer + o) * row;
        for (let i = 0; i < n; i++) {
          const inner = this.inner[i]!;
          const x = io.xs[i]!;
          const src = (b * outer + o) * inner;
          for (let e = 0; e < inner; e++) out[dst + e] = x[src + e]!;
          dst += inner;
        }
      }
    }
    io.ys[0] = out;
    io.yTime[0] = ax === 0 ? joined : d0[0]!;
    io.yMasks[0] = d0.length === 2 ? this.joinMasks(io) : null;
  }

  /** Joined along time; else a step is kept if any input keeps it (an unmasked input keeps all), or with 'all' if every masked one does. */
  private joinMasks(io: NodeIO): Float32Array | null {
    const nIn = io.xMasks.length;
    let masked = 0;
    for (let i = 0; i < nIn; i++) if (io.xMasks[i] !== null) masked++;
    if (masked === 0) return null;
    const B = io.B;
    if (this.ax === 0) {
      let T = 0;
      for (let i = 0; i < nIn; i++) T += this.dims[i]![0]!;
      this.mask = ensure(this.mask, B * T);
      for (let b = 0; b < B; b++) {
        let t0 = 0;
        for (let i = 0; i < nIn; i++) {
          const m = io.xMasks[i]!;
          const Ti = this.dims[i]![0]!;
          for (let t = 0; t < Ti; t++) this.mask[b * T + t0 + t] = m === null ? 1 : m[b * Ti + t]!;
          t0 += Ti;
        }
      }
      return this.mask;
    }
    const n = B * this.dims[0]![0]!;
    this.mask = ensure(this.mask, n);
    const all = this.maskReduction === 'all';
    for (let k = 0; k < n; k++) {
      let keep: number;
      if (all) {
        keep = 1;
        for (let i = 0; i < nIn && keep === 1; i++) if (io.xMasks[i] !== null && io.xMasks[i]![k] === 0) keep = 0;
      } else {
        keep = masked < nIn ? 1 : 0;
        for (let i = 0; i < nIn && keep === 0; i++) if (io.xMasks[i]![k] !== 0) keep = 1;
      }
      this.mask[k] = keep;
    }
    return this.mask;
  }

  override backwardNode(io: NodeIO): void {
    const B = io.B;
    const dy = io.dys[0]!;
    const outer = this.outer;
    const row = this.row;
    if (this.dxs.length !== io.xs.length) this.dxs = ensureAll(this.dxs, io.xs.length, 0);
    let off = 0;
    for (let i = 0; i < io.xs.length; i++) {
      const inner = this.inner[i]!;
      if (io.needDx[i] !== 1) {
        io.dxs[i] = null;
        off += inner;
        continue;
      }
      const dx = (this.dxs[i] = ensure(this.dxs[i]!, B * outer * inner));
      for (let b = 0; b < B; b++) {
        for (let o = 0; o < outer; o++) {
          const src = (b * outer + o) * row + off;
          const dst = (b * outer + o) * inner;
          for (let e = 0; e < inner; e++) dx[dst + e] = dy[src + e]!;
        }
      }
      io.dxs[i] = dx;
      off += inner;
    }
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), axis: this.axis, ...(this.maskReduction === 'all' ? { maskReduction: 'all' } : {}) };
  }
}

/** `layers.add()`: the element-wise sum of its inputs. */
export function add(args?: MergeArgs): Add {
  return new Add(args);
}
/** `layers.subtract()`: the first input minus the second. */
export function subtract(args?: MergeArgs): Subtract {
  return new Subtract(args);
}
/** `layers.multiply()`: the element-wise product of its inputs. */
export function multiply(args?: MergeArgs): Multiply {
  return new Multiply(args);
}
/** `layers.average()`: the element-wise mean of its inputs. */
export function average(args?: MergeArgs): Average {
  return new Average(args);
}
/** `layers.maximum()`: the element-wise maximum of its inputs. */
export function maximum(args?: MergeArgs): Maximum {
  return new Maximum(args);
}
/** `layers.minimum()`: the element-wise minimum of its inputs. */
export function minimum(args?: MergeArgs): Minimum {
  return new Minimum(args);
}
/** `layers.concatenate({axis})`: the inputs joined along an axis (default the last). */
export function concatenate(args?: ConcatenateArgs): Concatenate {
  return new Concatenate(args);
}
