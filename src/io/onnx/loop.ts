/**
 * tf2onnx's Loop form of Keras recurrent layers, read as the ONNX LSTM / GRU / RNN op.
 *
 * When tf2onnx (1.14–1.17) cannot rewrite a Keras LSTM / GRU / SimpleRNN's TensorFlow
 * while-loop into an ONNX recurrent op (Keras 3 layers, often), it writes an ONNX Loop whose
 * body is the cell step: an int32 step counter, the states, the weights passed through
 * unchanged, the step's h as the one scan output, x_t read by Gather(x time-major, counter)
 * from the outer graph, and a condition `counter + 1 < T and iteration < T`. `rewriteLoops`
 * runs before the importer reads the graph: every Loop it can prove to be such a cell is
 * replaced by the ONNX op computing the same values (W, R, B built from the Keras kernels in
 * ONNX's gate order, which the importer turns back into a Keras layer, plus a Squeeze per
 * output used), so the importer's own, tested reading of recurrent ops and their plumbing
 * does the rest. Every other Loop stays, and the importer refuses it with the reason found
 * here (`loopRefusal`).
 *
 * What "prove" means here, since a wrong number that looks right is the worst outcome:
 *
 * - Structure: the Loop has one scan output and a body of straight-line ops from a small set
 *   (no Where, If, Not: a Masking layer's body selects on a mask and is refused); the weights
 *   are loop-carried values the body passes through unchanged and the file gives as
 *   initializers; the kernel is the only weight multiplied with x_t, the recurrent kernel the
 *   only one multiplied with h (which names h among LSTM's two states), the bias the third.
 *   x_t is read by one Gather on axis 0 of one outer sequence, indexed by the counter; the
 *   state outputs depend on the counter and the iteration number only through that Gather
 *   (a dependency analysis, so the numeric check below cannot be fooled by a step-dependent
 *   body), and the body reads no other outer value.
 * - Steps: the trip count is a constant M, the initial condition a constant expression that
 *   is true, the counter starts at 0, and the body's counter and condition are evaluated for
 *   every step 0..M-1: the counter must come back as k + 1 and the condition stay true until
 *   the last step. The sequence's time length must be known to be M (from the graph input's
 *   declared shape or an earlier such Loop; else the importer checks the length it finds for the
 *   op's input, after a crop or an attention: loopSteps): the op reads every step of x, the Loop M.
 * - Initial states: zeros (a zeros initializer, ConstantOfShape 0, or Expand of a scalar 0,
 *   tf2onnx's zeros from the batch size); anything else is refused.
 * - Values: the body is run by a small float64 interpreter of its ops on random x, h, c at
 *   several steps and batch sizes with the file's weights, and each state output and the scan
 *   output must equal the candidate Keras cell's (i, f, c, o; GRU z, r, h with reset_after
 *   when the bias is [2, 3H], else before; activations among the body's own Sigmoid / Tanh /
 *   Relu) to 1e-9. The structure alone fixes which tensors are which, but not the gate
 *   wiring, the activations or a stray op between them; a straight-line body of these smooth
 *   or piecewise-linear ops that agrees with the cell at random points of both signs is the
 *   cell, and one that does not is refused with the largest difference.
 *
 * tf2onnx at batch size 1 writes the time-major transposes as Reshapes ([1, T, F] → [T, 1, F])
 * and squeezes h·R to a vector; where the graph input's batch size is declared 1, those
 * Reshapes become the Transpose / Identity they equal there, and the body is checked at
 * batch 1 (the imported layer then runs any batch size, row by row as the file does for one).
 *
 * The body is untrusted like the rest of the file: its tensors are size-checked against
 * maxBytes before they are read, the interpreter refuses any value past MAX_ELEMS elements,
 * and the trip count is bounded.
 */
import { ModelFormatError } from '../../core/errors.js';
import type { AttributeValue, GraphData, ModelData, NodeData, TensorData, ValueInfoData } from './decode.js';

/** Why a Loop was not imported, per Loop node of the model rewriteLoops returned. */
const refusals = new WeakMap<NodeData, string>();

/**
 * The recurrent ops that replaced a Loop whose input sequence's length this file could not
 * follow (a crop, an attention, a Concatenate before it): the trip count, which the importer
 * checks against the length it finds for the op's X (loopSteps).
 */
const stepsToCheck = new WeakMap<NodeData, number>();

/** The trip count an op that replaced a Loop must see as its input's length (undefined: nothing left to check). */
export function loopSteps(n: NodeData): number | undefined {
  return stepsToCheck.get(n);
}

/** The importer's line for a Loop that stayed (undefined for every other node). */
export function loopRefusal(n: NodeData): string | undefined {
  return refusals.get(n);
}

/** Any interpreted value past this many elements is refused (bodies of cells need B · 4H). */
const MAX_ELEMS = 1 << 22;
/** Most multiply-adds the products of all bodies may take (a body of huge products is refused, not run for minutes). */
const MAX_WORK = 5e8;
/** Most steps whose counter and condition are evaluated. */
const MAX_TRIPS = 1_000_000;
const TOL = 1e-9;

class Refused extends Error {}

/** Bytes left for the bodies' tensors (maxBytes), multiply-adds left for their products. */
interface Budget {
  left: number;
  work: number;
}

interface Arr {
  readonly dims: readonly number[];
  readonly data: Float64Array;
  /** 'f' float, 'i' integer, 'b' bool (0/1). */
  readonly kind: 'f' | 'i' | 'b';
}

const label = (n: NodeData): string => `${n.opType} '${n.name || n.outputs[0] || '?'}'`;
const size = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

/** A TensorProto's values as float64, its element count checked against its bytes and maxBytes first. */
function readTensor(t: TensorData, maxBytes: number, budget: Budget): Arr {
  const what = `tensor '${t.name}' (byte ${t.offset})`;
  if (t.external) throw new Refused(`${what} keeps its data in an external file`);
  const elem = ({ 1: 4, 6: 4, 7: 8, 9: 1, 11: 8 } as Record<number, number>)[t.dtype];
  if (elem === undefined) throw new Refused(`${what} has data type ${t.dtype} (float, double, int32, int64, bool read)`);
  let count = 1;
  for (const d of t.dims) {
    count *= d;
    if (!Number.isSafeInteger(count) || count * elem > maxBytes) throw new ModelFormatError(`${what} of shape [${t.dims.join(', ')}] is larger than maxBytes (${maxBytes})`);
  }
  budget.left -= count * 8;
  if (budget.left < 0) throw new ModelFormatError(`the tensors of Loop bodies hold more than maxBytes (${maxBytes})`);
  const data = new Float64Array(count);
  if (t.raw !== null && t.raw.length > 0) {
    if (t.raw.length !== count * elem) throw new ModelFormatError(`${what}: raw_data holds ${t.raw.length} bytes, shape [${t.dims.join(', ')}] needs ${count * elem}`);
    const v = new DataView(t.raw.buffer, t.raw.byteOffset, t.raw.byteLength);
    for (let i = 0; i < count; i++) {
      data[i] = t.dtype === 1 ? v.getFloat32(4 * i, true) : t.dtype === 11 ? v.getFloat64(8 * i, true) : t.dtype === 6 ? v.getInt32(4 * i, true) : t.dtype === 7 ? Number(v.getBigInt64(8 * i, true)) : v.getUint8(i) !== 0 ? 1 : 0;
    }
  } else {
    const src = t.dtype === 1 ? t.floats : t.dtype === 11 ? t.doubles : t.ints;
    if ((src?.length ?? 0) !== count) throw new ModelFormatError(`${what}: holds ${src?.length ?? 0} values, shape [${t.dims.join(', ')}] needs ${count}`);
    for (let i = 0; i < count; i++) data[i] = t.dtype === 9 ? (src![i] !== 0 ? 1 : 0) : src![i]!;
  }
  for (const x of data) if (!Number.isFinite(x)) throw new Refused(`${what} holds ${x}`);
  return { dims: [...t.dims], data, kind: t.dtype === 1 || t.dtype === 11 ? 'f' : t.dtype === 9 ? 'b' : 'i' };
}

// ---- A float64 interpreter of the ops cell bodies use --------------------------------------

/** Attributes each body op may carry; ops not here are refused. */
const BODY_OPS: Readonly<Record<string, readonly string[]>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, readonly string[]>, {
    Identity: [],
    Cast: ['to', 'saturate'],
    Add: [],
    Sub: [],
    Mul: [],
    MatMul: [],
    Gemm: ['alpha', 'beta', 'transA', 'transB'],
    Split: ['axis', 'split', 'num_outputs'],
    Slice: ['starts', 'ends', 'axes'],
    Squeeze: ['axes'],
    Unsqueeze: ['axes'],
    Gather: ['axis'],
    Concat: ['axis'],
    Sigmoid: [],
    Tanh: [],
    Relu: [],
    Less: [],
    And: [],
    Constant: ['value', 'value_float', 'value_int', 'value_floats', 'value_ints'],
  }),
);

function attr(n: NodeData, key: string): AttributeValue | undefined {
  return n.attributes.get(key);
}
function attrNum(n: NodeData, key: string, dflt: number): number {
  const a = attr(n, key);
  if (a === undefined) return dflt;
  if (a.type !== 'int' && a.type !== 'float') throw new Refused(`${label(n)}: attribute '${key}' is a ${a.type}`);
  return a.value;
}
function attrInts(n: NodeData, key: string): number[] | null {
  const a = attr(n, key);
  if (a === undefined) return null;
  if (a.type !== 'ints') throw new Refused(`${label(n)}: attribute '${key}' is a ${a.type}`);
  return [...a.value];
}

function make(dims: readonly number[], kind: Arr['kind'], n: NodeData): Arr & { data: Float64Array } {
  const count = size(dims);
  if (!Number.isSafeInteger(count) || count > MAX_ELEMS) throw new Refused(`${label(n)}: a value of shape [${dims.join(', ')}] (more than ${MAX_ELEMS} elements)`);
  return { dims, data: new Float64Array(count), kind };
}

function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length).fill(1);
  for (let k = dims.length - 2; k >= 0; k--) s[k] = s[k + 1]! * dims[k + 1]!;
  return s;
}

/** numpy broadcasting of two operands. */
function broadcast(n: NodeData, a: Arr, b: Arr, f: (x: number, y: number) => number, kind: Arr['kind']): Arr {
  const r = Math.max(a.dims.length, b.dims.length);
  const da = [...new Array<number>(r - a.dims.length).fill(1), ...a.dims];
  const db = [...new Array<number>(r - b.dims.length).fill(1), ...b.dims];
  const dims = da.map((d, k) => {
    const e = db[k]!;
    if (d !== e && d !== 1 && e !== 1) throw new Refused(`${label(n)}: shapes [${a.dims.join(', ')}] and [${b.dims.join(', ')}] do not broadcast`);
    return d === 1 ? e : d;
  });
  const out = make(dims, kind, n);
  const sa = strides(da);
  const sb = strides(db);
  const so = strides(dims);
  for (let i = 0; i < out.data.length; i++) {
    let ia = 0;
    let ib = 0;
    for (let k = 0; k < r; k++) {
      const c = Math.floor(i / so[k]!) % dims[k]!;
      if (da[k] !== 1) ia += c * sa[k]!;
      if (db[k] !== 1) ib += c * sb[k]!;
    }
    out.data[i] = f(a.data[ia]!, b.data[ib]!);
  }
  return out;
}

function ints(v: Arr | undefined, n: NodeData, what: string): number[] {
  if (v === undefined || v.kind === 'f' || v.dims.length > 1) throw new Refused(`${label(n)}: ${what} is not a 1-D integer tensor`);
  return [...v.data];
}

function axis(a: number, rank: number, n: NodeData): number {
  const x = a < 0 ? a + rank : a;
  if (!Number.isInteger(x) || x < 0 || x >= rank) throw new Refused(`${label(n)}: axis ${a} outside rank ${rank}`);
  return x;
}

/** Take [lo, hi) with step along `ax` of each index, as Slice / Split / Gather do. */
function take(n: NodeData, x: Arr, ax: number, idx: readonly number[]): Arr {
  const dims = [...x.dims];
  dims[ax] = idx.length;
  const out = make(dims, x.kind, n);
  const outer = size(x.dims.slice(0, ax));
  const inner = size(x.dims.slice(ax + 1));
  const len = x.dims[ax]!;
  let o = 0;
  for (let p = 0; p < outer; p++) for (const i of idx) for (let q = 0; q < inner; q++) out.data[o++] = x.data[(p * len + i) * inner + q]!;
  return out;
}

function range(lo: number, hi: number, step: number): number[] {
  const r: number[] = [];
  if (step > 0) for (let i = lo; i < hi; i += step) r.push(i);
  else for (let i = lo; i > hi; i += step) r.push(i);
  return r;
}

function constantOf(n: NodeData, maxBytes: number, budget: Budget): Arr {
  const [key, a] = [...n.attributes][0] ?? [];
  if (n.attributes.size !== 1 || a === undefined) throw new Refused(`${label(n)}: expected one value attribute`);
  if (key === 'value' && a.type === 'tensor') return readTensor(a.value, maxBytes, budget);
  if (key === 'value_float' && a.type === 'float') return { dims: [], data: Float64Array.of(a.value), kind: 'f' };
  if (key === 'value_int' && a.type === 'int') return { dims: [], data: Float64Array.of(a.value), kind: 'i' };
  if (key === 'value_floats' && a.type === 'floats') return { dims: [a.value.length], data: Float64Array.from(a.value), kind: 'f' };
  if (key === 'value_ints' && a.type === 'ints') return { dims: [a.value.length], data: Float64Array.from(a.value), kind: 'i' };
  throw new Refused(`${label(n)}: attribute '${key}' of type ${a.type}`);
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** One op on its input values; returns its outputs. */
function evalOp(n: NodeData, ins: (Arr | undefined)[], opset: number, maxBytes: number, budget: Budget): Arr[] {
  const x = ins[0];
  const need = (k: number): Arr => {
    const v = ins[k];
    if (v === undefined) throw new Refused(`${label(n)}: input ${k} is missing`);
    return v;
  };
  const unary = (f: (v: number) => number): Arr[] => {
    const a = need(0);
    const out = make(a.dims, 'f', n);
    for (let i = 0; i < a.data.length; i++) out.data[i] = f(a.data[i]!);
    return [out];
  };
  switch (n.opType) {
    case 'Constant':
      return [constantOf(n, maxBytes, budget)];
    case 'Identity':
      return [need(0)];
    case 'Cast': {
      const to = attrNum(n, 'to', 1);
      const a = need(0);
      const kind: Arr['kind'] = to === 1 || to === 11 ? 'f' : to === 9 ? 'b' : [2, 3, 4, 5, 6, 7, 12, 13].includes(to) ? 'i' : (() => { throw new Refused(`${label(n)}: Cast to type ${to}`); })();
      const out = make(a.dims, kind, n);
      for (let i = 0; i < a.data.length; i++) out.data[i] = to === 1 ? Math.fround(a.data[i]!) : kind === 'i' ? Math.trunc(a.data[i]!) : kind === 'b' ? (a.data[i] !== 0 ? 1 : 0) : a.data[i]!;
      return [out];
    }
    case 'Add':
      return [broadcast(n, need(0), need(1), (a, b) => a + b, need(0).kind)];
    case 'Sub':
      return [broadcast(n, need(0), need(1), (a, b) => a - b, need(0).kind)];
    case 'Mul':
      return [broadcast(n, need(0), need(1), (a, b) => a * b, need(0).kind)];
    case 'Less':
      return [broadcast(n, need(0), need(1), (a, b) => (a < b ? 1 : 0), 'b')];
    case 'And':
      return [broadcast(n, need(0), need(1), (a, b) => (a !== 0 && b !== 0 ? 1 : 0), 'b')];
    case 'Sigmoid':
      return unary(sigmoid);
    case 'Tanh':
      return unary(Math.tanh);
    case 'Relu':
      return unary((v) => (v > 0 ? v : 0));
    case 'MatMul':
    case 'Gemm': {
      const gemm = n.opType === 'Gemm';
      const a = need(0);
      const b = need(1);
      if (a.dims.length !== 2 || b.dims.length !== 2) throw new Refused(`${label(n)}: a product of shapes [${a.dims.join(', ')}] and [${b.dims.join(', ')}] (2-D only)`);
      const ta = gemm && attrNum(n, 'transA', 0) !== 0;
      const tb = gemm && attrNum(n, 'transB', 0) !== 0;
      const [m, k] = ta ? [a.dims[1]!, a.dims[0]!] : [a.dims[0]!, a.dims[1]!];
      const [k2, c] = tb ? [b.dims[1]!, b.dims[0]!] : [b.dims[0]!, b.dims[1]!];
      if (k !== k2) throw new Refused(`${label(n)}: inner sizes ${k} and ${k2} differ`);
      const alpha = gemm ? attrNum(n, 'alpha', 1) : 1;
      budget.work -= m * k * c;
      if (budget.work < 0) throw new Refused(`${label(n)}: the body's products take more than ${MAX_WORK} multiply-adds`);
      const out = make([m, c], 'f', n);
      for (let i = 0; i < m; i++)
        for (let j = 0; j < c; j++) {
          let s = 0;
          for (let q = 0; q < k; q++) s += a.data[ta ? q * m + i : i * k + q]! * b.data[tb ? j * k + q : q * c + j]!;
          out.data[i * c + j] = alpha * s;
        }
      if (gemm && ins[2] !== undefined) {
        const beta = attrNum(n, 'beta', 1);
        const sum = broadcast(n, out, ins[2], (p, q) => p + beta * q, 'f');
        if (sum.dims.join() !== out.dims.join()) throw new Refused(`${label(n)}: C of shape [${ins[2].dims.join(', ')}] does not broadcast to [${out.dims.join(', ')}]`);
        return [sum];
      }
      return [out];
    }
    case 'Split': {
      const a = need(0);
      const ax = axis(attrNum(n, 'axis', 0), a.dims.length, n);
      const len = a.dims[ax]!;
      const parts = n.outputs.length;
      let sizes = ins[1] !== undefined ? ints(ins[1], n, 'split') : attrInts(n, 'split');
      if (sizes === null) {
        if (len % parts !== 0) throw new Refused(`${label(n)}: ${len} does not split into ${parts} equal parts`);
        sizes = new Array<number>(parts).fill(len / parts);
      }
      if (sizes.length !== parts || sizes.reduce((p, q) => p + q, 0) !== len || sizes.some((s) => s < 0)) throw new Refused(`${label(n)}: split sizes [${sizes.join(', ')}] for ${len}`);
      let at = 0;
      return sizes.map((s) => {
        const r = take(n, a, ax, range(at, at + s, 1));
        at += s;
        return r;
      });
    }
    case 'Slice': {
      const a = need(0);
      const rank = a.dims.length;
      const starts = opset >= 10 ? ints(ins[1], n, 'starts') : attrInts(n, 'starts') ?? [];
      const ends = opset >= 10 ? ints(ins[2], n, 'ends') : attrInts(n, 'ends') ?? [];
      const axes = opset >= 10 ? (ins[3] === undefined ? starts.map((_, k) => k) : ints(ins[3], n, 'axes')) : attrInts(n, 'axes') ?? starts.map((_, k) => k);
      const steps = opset >= 10 && ins[4] !== undefined ? ints(ins[4], n, 'steps') : starts.map(() => 1);
      if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) throw new Refused(`${label(n)}: starts, ends, axes, steps of different lengths`);
      let out = a;
      starts.forEach((s0, k) => {
        const ax = axis(axes[k]!, rank, n);
        const len = out.dims[ax]!;
        const st = steps[k]!;
        if (st === 0) throw new Refused(`${label(n)}: step 0`);
        const clamp = (v: number, lo: number, hi: number): number => Math.min(Math.max(v < 0 ? v + len : v, lo), hi);
        const lo = st > 0 ? clamp(s0, 0, len) : clamp(s0, 0, len - 1);
        const hi = st > 0 ? clamp(ends[k]!, 0, len) : ends[k]! < -len ? -1 : clamp(ends[k]!, -1, len - 1);
        out = take(n, out, ax, range(lo, hi, st));
      });
      return [out];
    }
    case 'Squeeze':
    case 'Unsqueeze': {
      const a = need(0);
      const axes = opset >= 13 ? (ins[1] === undefined ? null : ints(ins[1], n, 'axes')) : attrInts(n, 'axes');
      if (n.opType === 'Squeeze') {
        const drop = axes === null ? a.dims.flatMap((d, k) => (d === 1 ? [k] : [])) : axes.map((q) => axis(q, a.dims.length, n));
        for (const k of drop) if (a.dims[k] !== 1) throw new Refused(`${label(n)}: squeezes axis ${k} of size ${a.dims[k]}`);
        return [{ dims: a.dims.filter((_, k) => !drop.includes(k)), data: a.data, kind: a.kind }];
      }
      if (axes === null) throw new Refused(`${label(n)}: no axes`);
      const rank = a.dims.length + axes.length;
      const put = axes.map((q) => axis(q, rank, n));
      const dims: number[] = [];
      let src = 0;
      for (let k = 0; k < rank; k++) dims.push(put.includes(k) ? 1 : a.dims[src++]!);
      return [{ dims, data: a.data, kind: a.kind }];
    }
    case 'Gather': {
      const a = need(0);
      const idx = need(1);
      if (idx.kind === 'f' || idx.dims.length > 1) throw new Refused(`${label(n)}: indices that are not a scalar or 1-D integers`);
      const ax = axis(attrNum(n, 'axis', 0), a.dims.length, n);
      const len = a.dims[ax]!;
      const at = [...idx.data].map((i) => {
        const j = i < 0 ? i + len : i;
        if (j < 0 || j >= len) throw new Refused(`${label(n)}: index ${i} outside ${len}`);
        return j;
      });
      const r = take(n, a, ax, at);
      return [idx.dims.length === 0 ? { dims: r.dims.filter((_, k) => k !== ax), data: r.data, kind: r.kind } : r];
    }
    case 'Concat': {
      const xs = ins.filter((v): v is Arr => v !== undefined);
      const ax = axis(attrNum(n, 'axis', 0), xs[0]!.dims.length, n);
      const dims = [...xs[0]!.dims];
      dims[ax] = xs.reduce((s, v) => s + v.dims[ax]!, 0);
      for (const v of xs) if (v.dims.length !== dims.length || v.dims.some((d, k) => k !== ax && d !== dims[k])) throw new Refused(`${label(n)}: shapes that do not join`);
      const out = make(dims, xs[0]!.kind, n);
      const outer = size(dims.slice(0, ax));
      let o = 0;
      for (let p = 0; p < outer; p++)
        for (const v of xs) {
          const chunk = size(v.dims.slice(ax));
          out.data.set(v.data.subarray(p * chunk, (p + 1) * chunk), o);
          o += chunk;
        }
      return [out];
    }
  }
  if (x === undefined) throw new Refused(`${label(n)}: no input`);
  throw new Refused(`op ${label(n)} in the body`);
}

// ---- Recognizing one Loop --------------------------------------------------------------------

type Kind = 'LSTM' | 'GRU' | 'RNN';

interface Cell {
  kind: Kind;
  H: number;
  I: number;
  kernel: Float64Array;
  recurrent: Float64Array;
  /** [G·H], or GRU reset_after's [2, G·H]; null without bias. */
  bias: Float64Array | null;
  resetAfter: boolean;
  activation: string;
  recurrentActivation: string;
}

const ACT: Readonly<Record<string, (x: number) => number>> = { Sigmoid: sigmoid, Tanh: Math.tanh, Relu: (v) => (v > 0 ? v : 0) };

/** One Keras cell step in float64: x [B, I], h, c [B, H] → h', c'. */
function cellStep(cell: Cell, x: Float64Array, h: Float64Array, c: Float64Array, B: number): { h: Float64Array; c: Float64Array } {
  const { H, I, kind } = cell;
  const G = kind === 'LSTM' ? 4 : kind === 'GRU' ? 3 : 1;
  const act = ACT[cell.activation]!;
  const rec = ACT[cell.recurrentActivation]!;
  const GH = G * H;
  const xw = new Float64Array(B * GH);
  const hr = new Float64Array(B * GH);
  for (let b = 0; b < B; b++)
    for (let j = 0; j < GH; j++) {
      let s = 0;
      for (let i = 0; i < I; i++) s += x[b * I + i]! * cell.kernel[i * GH + j]!;
      let r = 0;
      for (let i = 0; i < H; i++) r += h[b * H + i]! * cell.recurrent[i * GH + j]!;
      xw[b * GH + j] = s + (cell.bias === null ? 0 : cell.bias[j]!);
      hr[b * GH + j] = r + (cell.bias !== null && cell.resetAfter ? cell.bias[GH + j]! : 0);
    }
  const h2 = new Float64Array(B * H);
  const c2 = new Float64Array(B * H);
  for (let b = 0; b < B; b++)
    for (let u = 0; u < H; u++) {
      const at = (g: number): number => b * GH + g * H + u;
      const hp = h[b * H + u]!;
      if (kind === 'LSTM') {
        const i = rec(xw[at(0)]! + hr[at(0)]!);
        const f = rec(xw[at(1)]! + hr[at(1)]!);
        const g = act(xw[at(2)]! + hr[at(2)]!);
        const o = rec(xw[at(3)]! + hr[at(3)]!);
        c2[b * H + u] = f * c[b * H + u]! + i * g;
        h2[b * H + u] = o * act(c2[b * H + u]!);
      } else if (kind === 'GRU') {
        const z = rec(xw[at(0)]! + hr[at(0)]!);
        const r = rec(xw[at(1)]! + hr[at(1)]!);
        let rh: number;
        if (cell.resetAfter) rh = r * hr[at(2)]!;
        else {
          // reset before: (r ⊙ h) · R_h
          rh = 0;
          for (let i = 0; i < H; i++) rh += rec(xw[b * GH + 1 * H + i]! + hr[b * GH + 1 * H + i]!) * h[b * H + i]! * cell.recurrent[i * GH + 2 * H + u]!;
        }
        const hh = act(xw[at(2)]! + rh);
        h2[b * H + u] = z * hp + (1 - z) * hh;
      } else h2[b * H + u] = act(xw[at(0)]! + hr[at(0)]!);
    }
  return { h: h2, c: c2 };
}

interface Recognized {
  /** Nodes replacing the Loop, in order. */
  nodes: NodeData[];
  inits: TensorData[];
  /** The trip count: the time length of the scan output. */
  T: number;
  batch1: boolean;
  /** Reshape nodes to rewrite (batch 1): node → its replacement. */
  reshapes: Map<NodeData, NodeData>;
}

interface Outer {
  readonly producer: ReadonlyMap<string, NodeData>;
  readonly inits: ReadonlyMap<string, TensorData>;
  readonly inputs: ReadonlyMap<string, ValueInfoData>;
  readonly uses: ReadonlyMap<string, number>;
  readonly opset: number;
  readonly maxBytes: number;
  readonly budget: Budget;
  /** Scan output name of each Loop already recognized → its record. */
  readonly scans: Map<string, Recognized>;
  readonly names: Set<string>;
}

function fresh(o: Outer, base: string): string {
  let name = base;
  for (let i = 1; o.names.has(name); i++) name = `${base}_${i}`;
  o.names.add(name);
  return name;
}

function floatTensor(name: string, dims: number[], data: ArrayLike<number>, offset: number): TensorData {
  const raw = new Uint8Array(4 * data.length);
  const v = new DataView(raw.buffer);
  for (let i = 0; i < data.length; i++) v.setFloat32(4 * i, data[i]!, true);
  return { name, dtype: 1, dims, raw, floats: null, ints: null, doubles: null, external: false, offset };
}

function node(opType: string, name: string, inputs: string[], outputs: string[], attrs: [string, AttributeValue][], offset: number): NodeData {
  return { opType, domain: '', name, inputs, outputs, attributes: new Map(attrs), offset };
}

/** A constant expression of the outer graph (initializers, Constant, and cheap ops on them), or null. */
function outerConst(o: Outer, name: string, depth = 0): Arr | null {
  const t = o.inits.get(name);
  if (t !== undefined) return readTensor(t, o.maxBytes, o.budget);
  const p = o.producer.get(name);
  if (p === undefined || depth > 16 || !['Constant', 'Identity', 'Cast', 'Less', 'And'].includes(p.opType)) return null;
  const ins: (Arr | undefined)[] = [];
  for (const i of p.inputs) {
    if (i === '') {
      ins.push(undefined);
      continue;
    }
    const v = outerConst(o, i, depth + 1);
    if (v === null) return null;
    ins.push(v);
  }
  return evalOp(p, ins, o.opset, o.maxBytes, o.budget)[p.outputs.indexOf(name)] ?? null;
}

/** Whether the outer value is zeros whatever the batch size: a zeros initializer, ConstantOfShape 0, Expand of a scalar 0. */
function isZeros(o: Outer, name: string): boolean {
  const c = outerConst(o, name);
  if (c !== null) return c.kind === 'f' && c.data.every((v) => v === 0);
  const p = o.producer.get(name);
  if (p === undefined) return false;
  if (p.opType === 'Expand') {
    const v = outerConst(o, p.inputs[0] ?? '');
    return v !== null && v.kind === 'f' && v.data.length === 1 && v.data[0] === 0;
  }
  if (p.opType === 'ConstantOfShape') {
    const a = attr(p, 'value');
    if (a === undefined) return true;
    return a.type === 'tensor' && readTensor(a.value, o.maxBytes, o.budget).data.every((v) => v === 0);
  }
  return false;
}

/** The declared time length of a batch-major [B, T, F] outer value, or null (and whether its batch is declared 1). */
function batchMajorT(o: Outer, name: string): { T: number | null; batch1: boolean } {
  const gi = o.inputs.get(name);
  if (gi !== undefined) {
    const d = gi.dims;
    return { T: d !== null && d.length === 3 && typeof d[1] === 'number' && d[1] > 0 ? d[1] : null, batch1: d !== null && d[0] === 1 };
  }
  const p = o.producer.get(name);
  if (p?.opType === 'Transpose' && permIs(p, [1, 0, 2])) {
    const r = o.scans.get(p.inputs[0] ?? '');
    if (r !== undefined) return { T: r.T, batch1: r.batch1 };
  }
  if (p?.opType === 'Identity') return batchMajorT(o, p.inputs[0] ?? '');
  return { T: null, batch1: false };
}

function permIs(n: NodeData, perm: number[]): boolean {
  const a = attr(n, 'perm');
  return a?.type === 'ints' && a.value.join() === perm.join();
}

/**
 * The time length of the Loop's time-major sequence x, where it is known: x is Transpose(v, [1, 0, 2])
 * of a declared [B, T, F] value, or (batch 1) tf2onnx's Reshape to [T, 1, F] of one, or of an
 * earlier Loop's [T, 1, H] scan output; returns the Reshape to rewrite, if any.
 */
function timeMajorT(o: Outer, name: string): { T: number | null; batch1: boolean; reshape: NodeData | null; from: 'input' | 'scan' | null } {
  const p = o.producer.get(name);
  const none = { T: null, batch1: false, reshape: null, from: null };
  if (p === undefined) return none;
  if (p.opType === 'Transpose' && permIs(p, [1, 0, 2])) return { ...batchMajorT(o, p.inputs[0] ?? ''), reshape: null, from: null };
  if (p.opType === 'Identity') return timeMajorT(o, p.inputs[0] ?? '');
  if (p.opType === 'Reshape' && p.attributes.size === 0) {
    const shape = outerConst(o, p.inputs[1] ?? '');
    if (shape === null || shape.data.length !== 3 || shape.data[1] !== 1) return none;
    const src = p.inputs[0] ?? '';
    const gi = o.inputs.get(src);
    if (gi !== undefined) {
      const d = gi.dims;
      if (d !== null && d.length === 3 && d[0] === 1 && d[1] === shape.data[0] && d[2] === shape.data[2]) return { T: d[1] as number, batch1: true, reshape: p, from: 'input' };
    }
    const r = o.scans.get(src);
    if (r !== undefined && r.batch1 && r.T === shape.data[0]) return { T: r.T, batch1: true, reshape: p, from: 'scan' };
  }
  return none;
}

function recognize(loop: NodeData, o: Outer): Recognized {
  for (const k of loop.attributes.keys()) if (k !== 'body') throw new Refused(`attribute '${k}'`);
  const bodyAttr = attr(loop, 'body');
  if (bodyAttr?.type !== 'graph') throw new Refused(`no body graph that loadOnnx reads${bodyAttr?.type === 'other' ? ` (a ${bodyAttr.value})` : ''}`);
  const body: GraphData = bodyAttr.value;
  const N = loop.inputs.length - 2;
  if (N < 1 || body.inputs.length !== N + 2) throw new Refused(`${body.inputs.length} body inputs for ${N} loop-carried values`);
  const K = body.outputs.length - 1 - N;
  if (K !== 1 || loop.outputs.length !== N + K) throw new Refused(`${K} scan outputs (a recurrent cell has one, the step's h)`);
  if (body.sparseInitializers > 0) throw new Refused('sparse initializers in the body');

  // Body initializers, and every body op checked against the interpreter's set.
  const consts = new Map<string, Arr>();
  for (const t of body.initializers) consts.set(t.name, readTensor(t, o.maxBytes, o.budget));
  for (const n of body.nodes) {
    const allowed = BODY_OPS[n.opType];
    if ((n.domain !== '' && n.domain !== 'ai.onnx') || allowed === undefined) throw new Refused(`the body's op ${label(n)}${n.opType === 'Where' || n.opType === 'Not' ? ' (a mask select: a masked layer is not imported from a Loop)' : ''}`);
    for (const k of n.attributes.keys()) if (!allowed.includes(k)) throw new Refused(`the body's ${label(n)}: attribute '${k}'`);
  }
  if (body.nodes.length > 10_000) throw new Refused(`${body.nodes.length} nodes in the body`);

  const bin = body.inputs.map((v) => v.name);
  const bout = body.outputs.map((v) => v.name);
  const iterName = bin[0]!;
  const known = new Set<string>([...bin, ...consts.keys()]);
  const outerRefs = new Set<string>();
  for (const n of body.nodes) {
    for (const i of n.inputs) if (i !== '' && !known.has(i)) outerRefs.add(i);
    for (const out of n.outputs) if (out !== '') known.add(out);
  }

  // Loop-carried values: weights (passed through, initializers outside), the counter, the states.
  const weights: { idx: number; name: string; arr: Arr }[] = [];
  const states: number[] = [];
  let counter = -1;
  for (let i = 0; i < N; i++) {
    const inName = bin[2 + i]!;
    const outName = bout[1 + i]!;
    const init = loop.inputs[2 + i] ?? '';
    if (outName === inName) {
      const t = o.inits.get(init);
      if (t === undefined || t.dtype !== 1) throw new Refused(`loop-carried value ${i} is passed through but is not a float initializer`);
      weights.push({ idx: i, name: inName, arr: readTensor(t, o.maxBytes, o.budget) });
      continue;
    }
    const t = o.inits.get(init);
    if (t !== undefined && (t.dtype === 6 || t.dtype === 7) && t.dims.length === 0) {
      const v = readTensor(t, o.maxBytes, o.budget);
      if (v.data[0] !== 0 || counter >= 0) throw new Refused(`loop-carried integer ${i} is not one step counter starting at 0`);
      counter = i;
      continue;
    }
    if (!isZeros(o, init)) throw new Refused(`loop-carried value ${i} ('${init}'): an initial state loadOnnx cannot prove to be zeros`);
    states.push(i);
  }
  if (counter < 0) throw new Refused('no step counter among the loop-carried values');
  const counterName = bin[2 + counter]!;

  // x_t: one Gather on axis 0 of the one outer sequence, indexed by the counter.
  if (outerRefs.size !== 1) throw new Refused(`the body reads ${outerRefs.size} values of the outer graph (${[...outerRefs].slice(0, 3).join(', ')}); a cell reads one, its input sequence`);
  const xsName = [...outerRefs][0]!;
  const readers = body.nodes.filter((n) => n.inputs.includes(xsName));
  const gather = readers[0]!;
  if (readers.length !== 1 || gather.opType !== 'Gather' || gather.inputs[0] !== xsName || gather.inputs[1] !== counterName || attrNum(gather, 'axis', 0) !== 0) throw new Refused(`the outer sequence '${xsName}' is not read once by Gather(sequence, counter) on axis 0`);
  const xtName = gather.outputs[0]!;

  // Dependencies: which of iteration, counter, h/c, x_t each body value depends on.
  const deps = new Map<string, Set<string>>();
  for (const name of bin) deps.set(name, new Set([name]));
  for (const n of body.nodes) {
    const d = new Set<string>();
    if (n === gather) d.add(xtName);
    else for (const i of n.inputs) for (const s of deps.get(i) ?? []) d.add(s);
    for (const out of n.outputs) deps.set(out, d);
  }
  const stateIns = states.map((i) => bin[2 + i]!);
  const stateOuts = states.map((i) => bout[1 + i]!);
  const scanOut = bout[1 + N]!;
  for (const name of [...stateOuts, scanOut]) {
    const d = deps.get(name) ?? new Set();
    if (d.has(iterName) || d.has(counterName) || d.has(bin[1]!)) throw new Refused(`output '${name}' depends on the step number other than through x_t`);
  }
  for (const name of [bout[0]!, bout[1 + counter]!]) {
    const d = deps.get(name) ?? new Set();
    for (const s of d) if (s !== iterName && s !== counterName) throw new Refused(`the condition or the counter depends on '${s}'`);
  }

  // Kernel, recurrent kernel: the weights multiplied with x_t and with a state.
  // A product's B may be a weight or a part of one (Keras's reset-before GRU multiplies h by
  // recurrent_kernel[:, :2H] and r ⊙ h by recurrent_kernel[:, 2H:]): Slice / Split / Identity
  // of one weight and constants.
  type W = (typeof weights)[number];
  const partOf = new Map<string, W>(weights.map((w) => [w.name, w]));
  for (const n of body.nodes) {
    if (n.opType !== 'Slice' && n.opType !== 'Split' && n.opType !== 'Identity') continue;
    const w = partOf.get(n.inputs[0] ?? '');
    if (w !== undefined && n.inputs.slice(1).every((i) => i === '' || consts.has(i))) for (const out of n.outputs) partOf.set(out, w);
  }
  const products = body.nodes.filter((n) => n.opType === 'MatMul' || n.opType === 'Gemm');
  const weightOf = (a: string): W[] => [...new Set(products.filter((p) => p.inputs[0] === a).map((p) => partOf.get(p.inputs[1] ?? '')).filter((w): w is W => w !== undefined))];
  const kw = weightOf(xtName);
  const hIdx = stateIns.findIndex((s) => weightOf(s).length > 0);
  const rw = hIdx < 0 ? [] : weightOf(stateIns[hIdx]!);
  if (kw.length !== 1 || rw.length !== 1 || kw[0] === rw[0]) throw new Refused('no single kernel multiplied with x_t and recurrent kernel multiplied with h');
  const kernel = kw[0]!;
  const recurrent = rw[0]!;
  const rest = weights.filter((w) => w !== kernel && w !== recurrent);
  if (rest.length > 1) throw new Refused(`${weights.length} weights (a cell has a kernel, a recurrent kernel and a bias)`);
  const biasW = rest[0] ?? null;
  if (recurrent.arr.dims.length !== 2 || kernel.arr.dims.length !== 2) throw new Refused('kernels that are not matrices');
  const H = recurrent.arr.dims[0]!;
  const GH = recurrent.arr.dims[1]!;
  const I = kernel.arr.dims[0]!;
  const G = GH / H;
  const kind: Kind | null = states.length === 2 && G === 4 ? 'LSTM' : states.length === 1 && G === 3 ? 'GRU' : states.length === 1 && G === 1 ? 'RNN' : null;
  if (kind === null) throw new Refused(`${states.length} state(s) with a recurrent kernel [${recurrent.arr.dims.join(', ')}]: not an LSTM, GRU or SimpleRNN cell`);
  if (kernel.arr.dims[1] !== GH) throw new Refused(`kernel [${kernel.arr.dims.join(', ')}] for recurrent kernel [${H}, ${GH}]`);
  let resetAfter = false;
  if (biasW !== null) {
    const d = biasW.arr.dims.join();
    if (kind === 'GRU' && d === `2,${GH}`) resetAfter = true;
    else if (d !== `${GH}`) throw new Refused(`bias [${biasW.arr.dims.join(', ')}] for a ${kind} of ${H} units`);
  }
  const cIdx = kind === 'LSTM' ? 1 - hIdx : -1;

  // Steps: a constant trip count M, a true initial condition, the counter k → k + 1, the condition true before the last step.
  const Mc = loop.inputs[0] === '' ? null : outerConst(o, loop.inputs[0]!);
  if (Mc === null || Mc.kind !== 'i' || Mc.data.length !== 1) throw new Refused('a trip count that is not a constant integer');
  const M = Mc.data[0]!;
  if (!Number.isSafeInteger(M) || M < 1 || M > MAX_TRIPS) throw new Refused(`trip count ${M}`);
  if (loop.inputs[1] !== '') {
    const c0 = outerConst(o, loop.inputs[1]!);
    if (c0 === null || c0.data.length !== 1 || c0.data[0] === 0) throw new Refused('an initial condition that is not a constant true');
  }
  const cone = (targets: string[]): NodeData[] => {
    const need = new Set(targets);
    const keep: NodeData[] = [];
    for (let j = body.nodes.length - 1; j >= 0; j--) {
      const n = body.nodes[j]!;
      if (n.outputs.some((x) => need.has(x))) {
        keep.push(n);
        for (const i of n.inputs) need.add(i);
      }
    }
    return keep.reverse();
  };
  const run = (nodes: NodeData[], env: Map<string, Arr>): Map<string, Arr> => {
    for (const n of nodes) {
      const ins = n.inputs.map((i) => {
        if (i === '') return undefined;
        const v = env.get(i) ?? consts.get(i);
        if (v === undefined) throw new Refused(`the body's ${label(n)} reads '${i}', which nothing makes`);
        return v;
      });
      const outs = evalOp(n, ins, o.opset, o.maxBytes, o.budget);
      n.outputs.forEach((name, k) => {
        if (name !== '' && outs[k] !== undefined) env.set(name, outs[k]!);
      });
    }
    return env;
  };
  const stepCone = cone([bout[0]!, bout[1 + counter]!]);
  const scalar = (v: number, kind: Arr['kind']): Arr => ({ dims: [], data: Float64Array.of(v), kind });
  for (let k = 0; k < M; k++) {
    const env = run(stepCone, new Map([[iterName, scalar(k, 'i')], [bin[1]!, scalar(1, 'b')], [counterName, scalar(k, 'i')]]));
    const next = env.get(bout[1 + counter]!) ?? (bout[1 + counter] === counterName ? scalar(k, 'i') : undefined);
    if (next?.data.length !== 1 || next.data[0] !== k + 1) throw new Refused(`the counter does not step from ${k} to ${k + 1}`);
    const cond = bout[0] === bin[1] ? scalar(1, 'b') : env.get(bout[0]!);
    if (k < M - 1 && (cond?.data.length !== 1 || cond.data[0] === 0)) throw new Refused(`the condition stops the loop after step ${k + 1} of ${M}`);
  }

  // The sequence must have M steps (the op reads all of x): checked here where this file's declared
  // shapes tell, else by the importer, which follows the sequence through the layers before it (loopSteps).
  const tm = timeMajorT(o, xsName);
  if (tm.T !== null && tm.T !== M) throw new Refused(`its input sequence '${xsName}' has ${tm.T} steps, not ${M}, the trip count`);

  // Loop outputs other than the states and the scan must be unused.
  for (let i = 0; i < N; i++) {
    if (states.includes(i)) continue;
    const out = loop.outputs[i] ?? '';
    if (out !== '' && (o.uses.get(out) ?? 0) > 0) throw new Refused(`its output '${out}' (the counter or a weight passed through) is used`);
  }

  // Values: the body against the candidate cell, per activation pair found in the body.
  const unaries = [...new Set(body.nodes.map((n) => n.opType).filter((t) => ACT[t] !== undefined))];
  const pairs = kind === 'RNN' ? unaries.map((a) => [a, 'Sigmoid'] as const) : unaries.flatMap((a) => unaries.map((r) => [a, r] as const));
  const valueCone = cone([...stateOuts, scanOut]);
  const checkBatches = tm.batch1 ? [1, 1, 1] : [1, 2, 3];
  let seed = 0x9e3779b9 ^ (GH * 31 + I);
  const rand = (): number => {
    seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) | 0;
    return ((seed >>> 0) / 2 ** 32) * 4 - 2;
  };
  const trials = checkBatches.map((B, t) => {
    const k = Math.min(t, M - 1);
    const xs = Float64Array.from({ length: (k + 1) * B * I }, rand);
    return { B, k, xs, h: Float64Array.from({ length: B * H }, rand), c: Float64Array.from({ length: B * H }, rand) };
  });
  const outs = trials.map(({ B, k, xs, h, c }) => {
    const env = new Map<string, Arr>([
      [iterName, scalar(k, 'i')],
      [bin[1]!, scalar(1, 'b')],
      [counterName, scalar(k, 'i')],
      [xsName, { dims: [k + 1, B, I], data: xs, kind: 'f' }],
      ...weights.map((w) => [w.name, w.arr] as [string, Arr]),
    ]);
    env.set(stateIns[hIdx]!, { dims: [B, H], data: h, kind: 'f' });
    if (cIdx >= 0) env.set(stateIns[cIdx]!, { dims: [B, H], data: c, kind: 'f' });
    run(valueCone, env);
    return env;
  });
  let best = Infinity;
  let cell: Cell | null = null;
  for (const [activation, recurrentActivation] of pairs) {
    const cand: Cell = { kind, H, I, kernel: kernel.arr.data, recurrent: recurrent.arr.data, bias: biasW?.arr.data ?? null, resetAfter, activation, recurrentActivation };
    let worst = 0;
    trials.forEach(({ B, k, xs, h, c }, t) => {
      const want = cellStep(cand, xs.subarray(k * B * I, (k + 1) * B * I), h, c, B);
      const pairsOut: [string, Float64Array][] = [[stateOuts[hIdx]!, want.h], [scanOut, want.h]];
      if (cIdx >= 0) pairsOut.push([stateOuts[cIdx]!, want.c]);
      for (const [name, w] of pairsOut) {
        const got = outs[t]!.get(name);
        if (got === undefined || got.data.length !== w.length || (got.dims.length !== 2 && !(B === 1 && got.dims.length === 1))) {
          worst = Infinity;
          continue;
        }
        for (let i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs(got.data[i]! - w[i]!));
      }
    });
    if (Number.isNaN(worst)) worst = Infinity;
    if (worst < best) best = worst;
    if (worst <= TOL) {
      cell = cand;
      break;
    }
  }
  if (cell === null) throw new Refused(`its body does not compute a Keras ${kind === 'RNN' ? 'SimpleRNN' : kind} cell of the kernels it reads (checked in float64 on random inputs, activations among ${unaries.join(', ') || 'none'}: largest difference ${best === Infinity ? 'a shape mismatch' : best.toExponential(2)})`);

  return build(loop, o, cell, xsName, M, tm, { h: loop.outputs[states[hIdx]!] ?? '', c: cIdx >= 0 ? (loop.outputs[states[cIdx]!] ?? '') : '', seq: loop.outputs[N] ?? '' });
}

/** The ONNX op (W, R, B in ONNX's gate order) and a Squeeze per used output, named as the Loop's outputs. */
function build(loop: NodeData, o: Outer, cell: Cell, xsName: string, M: number, tm: ReturnType<typeof timeMajorT>, outs: { h: string; c: string; seq: string }): Recognized {
  const { kind, H, I } = cell;
  const G = kind === 'LSTM' ? 4 : kind === 'GRU' ? 3 : 1;
  const GH = G * H;
  // Keras gate block kg goes to ONNX block order[kg] (LSTM Keras i, f, c, o → ONNX i, o, f, c).
  const order = kind === 'LSTM' ? [0, 2, 3, 1] : kind === 'GRU' ? [0, 1, 2] : [0];
  const toOnnx = (src: Float64Array, rows: number): Float64Array => {
    const out = new Float64Array(GH * rows);
    order.forEach((og, kg) => {
      for (let h = 0; h < H; h++) for (let i = 0; i < rows; i++) out[(og * H + h) * rows + i] = src[i * GH + kg * H + h]!;
    });
    return out;
  };
  const base = loop.name.replace(/\/while(_loop)?$/, '').replace(/_loop$/, '') || kind.toLowerCase();
  const off = loop.offset;
  const W = floatTensor(fresh(o, `${base}/W`), [1, GH, I], toOnnx(cell.kernel, I), off);
  const R = floatTensor(fresh(o, `${base}/R`), [1, GH, H], toOnnx(cell.recurrent, H), off);
  const inits = [W, R];
  const ins = [xsName, W.name, R.name];
  if (cell.bias !== null) {
    const b = new Float64Array(2 * GH);
    order.forEach((og, kg) => {
      for (let h = 0; h < H; h++) {
        b[og * H + h] = cell.bias![kg * H + h]!;
        if (cell.resetAfter) b[GH + og * H + h] = cell.bias![GH + kg * H + h]!;
      }
    });
    const B = floatTensor(fresh(o, `${base}/B`), [1, 2 * GH], b, off);
    inits.push(B);
    ins.push(B.name);
  }
  const acts = kind === 'LSTM' ? [cell.recurrentActivation, cell.activation, cell.activation] : kind === 'GRU' ? [cell.recurrentActivation, cell.activation] : [cell.activation];
  const attrs: [string, AttributeValue][] = [
    ['hidden_size', { type: 'int', value: H }],
    ['activations', { type: 'strings', value: acts }],
  ];
  if (kind === 'GRU') attrs.push(['linear_before_reset', { type: 'int', value: cell.resetAfter ? 1 : 0 }]);
  const Y = fresh(o, `${base}/Y`);
  const Yh = fresh(o, `${base}/Y_h`);
  const Yc = kind === 'LSTM' ? fresh(o, `${base}/Y_c`) : null;
  const nodes: NodeData[] = [node(kind, base, ins, Yc === null ? [Y, Yh] : [Y, Yh, Yc], attrs, off)];
  if (tm.T === null) stepsToCheck.set(nodes[0]!, M);
  const squeeze = (from: string, ax: number, to: string): void => {
    if (to === '') return;
    const nm = fresh(o, `${to}/squeeze`);
    if (o.opset >= 13) {
      const axes: TensorData = { name: fresh(o, `${nm}/axes`), dtype: 7, dims: [1], raw: null, floats: null, ints: [ax], doubles: null, external: false, offset: off };
      inits.push(axes);
      nodes.push(node('Squeeze', nm, [from, axes.name], [to], [], off));
    } else nodes.push(node('Squeeze', nm, [from], [to], [['axes', { type: 'ints', value: [ax] }]], off));
  };
  squeeze(Y, 1, outs.seq);
  squeeze(Yh, 0, outs.h);
  if (Yc !== null) squeeze(Yc, 0, outs.c);
  const reshapes = new Map<NodeData, NodeData>();
  if (tm.reshape !== null) {
    const r = tm.reshape;
    // At batch 1, [1, T, F] → [T, 1, F] is the transpose, and [T, 1, H] → [T, 1, H] the identity.
    reshapes.set(r, tm.from === 'input' ? node('Transpose', r.name, [r.inputs[0]!], [r.outputs[0]!], [['perm', { type: 'ints', value: [1, 0, 2] }]], r.offset) : node('Identity', r.name, [r.inputs[0]!], [r.outputs[0]!], [], r.offset));
  }
  return { nodes, inits, T: M, batch1: tm.batch1, reshapes };
}

/**
 * The model with every Loop proven to be a Keras recurrent cell replaced by the ONNX op (see
 * the module comment); other Loops stay, with their reason for loopRefusal. A model without
 * Loops comes back as it is.
 */
export function rewriteLoops(m: ModelData, where: string, maxBytes: number): ModelData {
  const g = m.graph;
  if (!g.nodes.some((n) => n.opType === 'Loop' && (n.domain === '' || n.domain === 'ai.onnx'))) return m;
  const producer = new Map<string, NodeData>();
  const uses = new Map<string, number>();
  const names = new Set<string>();
  for (const n of g.nodes) {
    for (const out of n.outputs) if (out !== '') producer.set(out, n), names.add(out);
    for (const i of n.inputs) if (i !== '') uses.set(i, (uses.get(i) ?? 0) + 1);
    names.add(n.name);
  }
  for (const v of g.outputs) uses.set(v.name, (uses.get(v.name) ?? 0) + 1);
  const inits = new Map(g.initializers.map((t) => [t.name, t]));
  for (const t of g.initializers) names.add(t.name);
  const o: Outer = {
    producer,
    inits,
    inputs: new Map(g.inputs.filter((v) => !inits.has(v.name)).map((v) => [v.name, v])),
    uses,
    opset: m.opsets.get('') ?? 0,
    maxBytes,
    budget: { left: maxBytes, work: MAX_WORK },
    scans: new Map(),
    names,
  };
  const done = new Map<NodeData, Recognized>();
  const reshapes = new Map<NodeData, NodeData>();
  for (const n of g.nodes) {
    if (n.opType !== 'Loop' || (n.domain !== '' && n.domain !== 'ai.onnx')) continue;
    try {
      const r = recognize(n, o);
      done.set(n, r);
      for (const [a, b] of r.reshapes) reshapes.set(a, b);
      const seq = n.outputs[n.outputs.length - 1] ?? '';
      if (seq !== '') o.scans.set(seq, r);
    } catch (e) {
      if (e instanceof ModelFormatError) throw new ModelFormatError(`${where}: ${label(n)}: ${e.message}`);
      // A body the interpreter's checks missed is still a bad file, not a crash (as in the importer).
      if (e instanceof RangeError || e instanceof TypeError) throw Object.assign(new ModelFormatError(`${where}: ${label(n)}: ${e.message}`), { cause: e });
      if (!(e instanceof Refused)) throw e;
      const refusal = `op ${label(n)}: not read as a Keras recurrent layer: ${e.message}`;
      refusals.set(n, refusal);
    }
  }
  if (done.size === 0) return m;
  const nodes: NodeData[] = [];
  for (const n of g.nodes) {
    const r = done.get(n);
    if (r !== undefined) nodes.push(...r.nodes);
    else nodes.push(reshapes.get(n) ?? n);
  }
  // What fed only the replaced Loops (the trip count, the condition, the zero states' shape
  // arithmetic, the weights in Keras's layout) is dropped; nothing else is.
  const fedLoops = new Set<NodeData>();
  const feedNames = new Set<string>();
  const stack = [...done.keys()].flatMap((n) => n.inputs);
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (feedNames.has(name)) continue;
    feedNames.add(name);
    const p = producer.get(name);
    if (p !== undefined && !fedLoops.has(p)) {
      fedLoops.add(p);
      stack.push(...p.inputs);
    }
  }
  const live = new Set<string>(g.outputs.map((v) => v.name));
  const kept: NodeData[] = [];
  for (let j = nodes.length - 1; j >= 0; j--) {
    const n = nodes[j]!;
    if (fedLoops.has(n) && !n.outputs.some((x) => live.has(x))) continue;
    kept.push(n);
    for (const i of n.inputs) live.add(i);
  }
  kept.reverse();
  const newInits = [...g.initializers.filter((t) => !feedNames.has(t.name) || live.has(t.name)), ...[...done.values()].flatMap((r) => r.inits)];
  return { ...m, graph: { ...g, nodes: kept, initializers: newInits } };
}
