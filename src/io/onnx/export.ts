/**
 * ONNX export: a built Sequential or graph model → ONNX ModelProto bytes that ONNX
 * Runtime runs to rnnkit's predictions.
 *
 * Every model input is float32 with symbolic batch and time axes (Embedding's index
 * input too, cast to int64 in the graph, as rnnkit's predict takes float indices).
 * Recurrent layers become ONNX RNN / LSTM / GRU ops in time-major layout 0 with a
 * Transpose on each side (ONNX Runtime's CPU kernels refuse layout 1). Masks (Embedding
 * maskZero, Masking) travel as bool [B, T] tensors beside their values and reach a
 * recurrent op as sequence_lens = the number of kept steps per row, which is the same
 * computation as Keras's only for right-padded rows (kept steps first): that is what the
 * export assumes, and what the README says. Where the two conventions differ at masked
 * steps (ONNX writes zeros past a row's length, Keras repeats the previous output unless
 * zeroOutputForMask), the graph rebuilds Keras's values with a Where.
 *
 * Whatever cannot be expressed is collected over the whole model first and refused in
 * one error naming each layer and option.
 */
import { Act, type ActId } from '../../backend/kernels.js';
import { activationName } from '../../activations/index.js';
import { checkOptions, show } from '../../core/errors.js';
import { InputLayer } from '../../layers/inputLayer.js';
import type { Layer } from '../../layers/layer.js';
import type { Node, SymbolicTensor } from '../../layers/node.js';
import { Dense } from '../../layers/dense.js';
import { TimeDistributed } from '../../layers/timeDistributed.js';
import { Embedding } from '../../layers/embedding.js';
import { TrainingNoise } from '../../layers/dropout.js';
import { Normalization } from '../../layers/normalization.js';
import { SpatialDropout1D } from '../../layers/spatialDropout1d.js';
import { Activation } from '../../layers/activation.js';
import { ELU, LeakyReLU, PReLU, ReLU, Softmax, ThresholdedReLU } from '../../layers/advancedActivations.js';
import { Masking } from '../../layers/masking.js';
import { Recurrent } from '../../layers/recurrent.js';
import { SimpleRNN } from '../../layers/simpleRNN.js';
import { LSTM } from '../../layers/lstm.js';
import { GRU } from '../../layers/gru.js';
import { Bidirectional } from '../../layers/bidirectional.js';
import { Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract } from '../../layers/merge.js';
import { Conv1D } from '../../layers/conv1d.js';
import { Conv1DTranspose } from '../../layers/convTranspose1d.js';
import { AveragePooling1D, MaxPooling1D } from '../../layers/pooling1d.js';
import { GlobalAveragePooling1D, GlobalMaxPooling1D } from '../../layers/pooling.js';
import { LayerNormalization } from '../../layers/layerNormalization.js';
import { BatchNormalization } from '../../layers/batchNormalization.js';
import { Flatten } from '../../layers/flatten.js';
import { Permute, Reshape } from '../../layers/reshape.js';
import { RepeatVector } from '../../layers/repeatVector.js';
import { Cropping1D, UpSampling1D, ZeroPadding1D } from '../../layers/resize1d.js';
import { MultiHeadAttention } from '../../layers/multiHeadAttention.js';
import { AdditiveAttention, Attention } from '../../layers/attention.js';
import { Dot } from '../../layers/dot.js';
import { TimeSlice } from '../../layers/timeSlice.js';
import type { Graph } from '../../models/graph.js';
import { DType, encodeModel, type Attr, type AttrValue, type NodeDef, type TensorDef, type ValueInfo } from './proto.js';
import { isNode, writeBinaryFile } from '../node.js';

export interface OnnxExportOptions {
  /** ONNX opset of the default domain, 13–21. Default 17. */
  opset?: number;
}

/** What the exporter needs of a model: its graph (Sequential and Model both have one). */
interface ExportableModel {
  readonly name: string;
  readonly className: string;
  readonly graph: Graph;
  /** Model.textInputs: inputs that take texts through a TextVectorizer. */
  readonly textInputs?: Readonly<Record<string, { name: string }>>;
}

const MIN_OPSET = 13; // Squeeze/Unsqueeze/ReduceSum take their axes as an input from 13
const MAX_OPSET = 21;

/** The error an unexportable model gives: every problem, one per line after the first. */
export class OnnxExportError extends RangeError {
  constructor(where: string, readonly problems: readonly string[]) {
    super(`${where}: cannot export to ONNX:\n  ${problems.join('\n  ')}`);
    this.name = 'OnnxExportError';
  }
}

/**
 * Export a built model to ONNX: returns the ModelProto bytes and, in Node, also writes
 * them to `target` (a file path; temporary name, then rename) when one is given.
 */
export async function exportOnnx(model: ExportableModel, target?: string | null, options: OnnxExportOptions = {}): Promise<Uint8Array> {
  const bytes = exportOnnxBytes(model, options);
  if (target !== undefined && target !== null) {
    if (typeof target !== 'string') throw new TypeError(`exportOnnx: target must be a file path, got ${show(target)}`);
    if (!isNode()) throw new TypeError('exportOnnx: a file path works in Node only; in a browser use the returned bytes');
    await writeBinaryFile(target, bytes, 'exportOnnx');
  }
  return bytes;
}

/** The synchronous core of exportOnnx: the ModelProto bytes. */
export function exportOnnxBytes(model: ExportableModel, options: OnnxExportOptions = {}): Uint8Array {
  if (model === null || typeof model !== 'object' || !('graph' in model)) throw new TypeError(`exportOnnx: expected a Sequential or graph model, got ${show(model)}`);
  const where = `exportOnnx(${model.className} '${model.name}')`;
  checkOptions(options ?? {}, ['opset'], 'exportOnnx options');
  const opset = options?.opset ?? 17;
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) throw new RangeError(`exportOnnx: opset must be an integer from ${MIN_OPSET} to ${MAX_OPSET}, got ${show(opset)}`);
  const graph = model.graph;
  const texts = Object.entries(model.textInputs ?? {});
  // ONNX's string ops (StringNormalizer, TfIdfVectorizer) do not make Keras's tokens; the graph would silently take ids instead of texts.
  const problems = [
    ...texts.map(([input, v]) => `input '${input}' takes texts (TextVectorizer '${v.name}'), which ONNX cannot hold: export the numeric model, ids in, after model.setTextInput(null, '${input}'), and vectorize in JavaScript`),
    ...graph.nodes.flatMap((n) => checkNode(n)),
  ];
  if (problems.length > 0) throw new OnnxExportError(where, problems);
  const b = new Builder(opset);
  const vals = new Map<SymbolicTensor, Value>();
  const usedNames = new Set<string>();
  const inputs: ValueInfo[] = graph.inputs.map((t, k) => {
    const name = uniqueIoName(t.sourceLayer.name, usedNames);
    const dims = t.shape.map((d, i) => (i === 0 ? 'batch' : d === null ? (i === 1 ? `time${graph.inputs.length > 1 ? `_${k}` : ''}` : `dim${i}_${k}`) : d));
    vals.set(t, { name, mask: null, rank: t.shape.length });
    return { name, dtype: DType.float, dims };
  });
  for (const n of graph.nodes) {
    const outs = emitNode(b, n, n.inputs.map((t) => vals.get(t)!));
    n.outputs.forEach((t, i) => vals.set(t, outs[i]!));
  }
  // Graph outputs get the names of the layers making them (an Identity each, so one tensor may be two outputs).
  const outputs: ValueInfo[] = graph.outputs.map((t) => {
    const name = uniqueIoName(t.tensorIndex === 0 ? t.sourceLayer.name : `${t.sourceLayer.name}_${t.tensorIndex}`, usedNames);
    b.node('Identity', [vals.get(t)!.name], {}, name);
    const dims = t.shape.map((d, i) => (i === 0 ? 'batch' : d === null ? `${name}_dim${i}` : d));
    return { name, dtype: DType.float, dims };
  });
  return encodeModel({
    irVersion: opset <= 18 ? 8 : opset <= 20 ? 9 : 10,
    opset,
    producerName: 'rnnkit',
    producerVersion: '0.2.0',
    graphName: model.name,
    docString: `${model.className} '${model.name}' exported by rnnkit`,
    nodes: b.nodes,
    initializers: b.inits,
    inputs,
    outputs,
  });
}

function uniqueIoName(base: string, used: Set<string>): string {
  let name = base;
  for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
  used.add(name);
  return name;
}

/** An ONNX tensor standing for a symbolic tensor: its name, its bool [B, T] mask if any, its rank (batch axis included). */
interface Value {
  readonly name: string;
  readonly mask: string | null;
  readonly rank: number;
}

/** Collects nodes and initializers with fresh names. */
class Builder {
  constructor(readonly opset: number) {}

  readonly nodes: NodeDef[] = [];
  readonly inits: TensorDef[] = [];
  private count = 0;
  /** A layer called more than once (shared weights) stores its weights once: per layer, per weight. */
  private readonly shared = new WeakMap<Layer, Map<string, string>>();

  fresh(hint: string): string {
    return `${hint}__${this.count++}`;
  }

  /** One node; returns its output names (one unless `outputs` says more: a number, or names). */
  node(op: string, inputs: readonly string[], attrs: Readonly<Record<string, AttrValue>> = {}, outputs: number | string | readonly string[] = 1): string[] {
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.fresh(op)) : typeof outputs === 'string' ? [outputs] : [...outputs];
    const list: Attr[] = Object.entries(attrs).map(([name, value]) => ({ name, value }));
    this.nodes.push({ op, inputs, outputs: outs, name: this.fresh(`n_${op}`), attrs: list });
    return outs;
  }

  one(op: string, inputs: readonly string[], attrs: Readonly<Record<string, AttrValue>> = {}): string {
    return this.node(op, inputs, attrs)[0]!;
  }

  floats(hint: string, dims: readonly number[], data: Float32Array): string {
    const name = this.fresh(hint);
    const raw = new Uint8Array(data.length * 4);
    const view = new DataView(raw.buffer);
    for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i]!, true);
    this.inits.push({ name, dtype: DType.float, dims, raw });
    return name;
  }

  /** The initializer of a layer's weight (ONNX layout), made by `make` on its first use. */
  weightOf(l: Layer, tag: string, dims: readonly number[], make: () => Float32Array): string {
    let own = this.shared.get(l);
    if (own === undefined) this.shared.set(l, (own = new Map()));
    let name = own.get(tag);
    if (name === undefined) own.set(tag, (name = this.floats(`${l.name}_${tag}`, dims, make())));
    return name;
  }

  int64s(values: readonly number[], scalar = false): string {
    const name = this.fresh('i64');
    const raw = new Uint8Array(values.length * 8);
    const view = new DataView(raw.buffer);
    values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
    this.inits.push({ name, dtype: DType.int64, dims: scalar ? [] : [values.length], raw });
    return name;
  }

  scalar(v: number): string {
    return this.floats('c', [], Float32Array.of(v));
  }

  /** ReduceMean / ReduceMax over `axes`: an attribute before opset 18, an input from it. */
  reduce(op: 'ReduceMean' | 'ReduceMax', x: string, axes: readonly number[], keepdims: boolean): string {
    const k = keepdims ? 1 : 0;
    return this.opset >= 18 ? this.one(op, [x, this.int64s(axes)], { keepdims: k }) : this.one(op, [x], { axes, keepdims: k });
  }
}

// ---- What can be exported: checked before anything is built ----------------------

/** Activations ONNX's RNN/LSTM/GRU ops take (with the alpha/beta they need). */
function rnnActivation(act: ActId): { name: string; alpha?: number; beta?: number } | null {
  switch (act) {
    case Act.tanh:
      return { name: 'Tanh' };
    case Act.sigmoid:
      return { name: 'Sigmoid' };
    case Act.relu:
      return { name: 'Relu' };
    case Act.linear:
      return { name: 'Affine', alpha: 1, beta: 0 };
    case Act.hardSigmoid:
      // Keras 3: clip(x/6 + 1/2, 0, 1)
      return { name: 'HardSigmoid', alpha: 1 / 6, beta: 0.5 };
    case Act.hardSigmoidLegacy:
      // Keras 2 / tfjs: clip(0.2x + 0.5, 0, 1)
      return { name: 'HardSigmoid', alpha: 0.2, beta: 0.5 };
    case Act.elu:
      return { name: 'Elu', alpha: 1 };
    case Act.softsign:
      return { name: 'Softsign' };
    case Act.softplus:
      return { name: 'Softplus' };
    case Act.leakyRelu:
      return { name: 'LeakyRelu', alpha: 0.2 };
    default:
      return null; // selu, swish, softmax, gelu, …: no ONNX recurrent activation computes them
  }
}

const RNN_ACTS = 'tanh, sigmoid, relu, linear, hardSigmoid, hardSigmoidLegacy, elu, softsign, softplus, leakyRelu';

function checkRecurrent(r: Recurrent, where: string, inBidirectional: boolean): string[] {
  const p: string[] = [];
  if (!(r instanceof SimpleRNN || r instanceof LSTM || r instanceof GRU)) p.push(`${where}: ${r.className} has no ONNX recurrent op`);
  if (r.stateful) p.push(`${where}: stateful: true (an ONNX graph carries no state between runs; export a stateless copy and feed the state as initialState)`);
  if (inBidirectional && r.goBackwards) p.push(`${where}: goBackwards: true on the layer inside Bidirectional (ONNX's bidirectional op runs its first direction forward)`);
  if (rnnActivation(r.activation) === null) p.push(`${where}: activation '${activationName(r.activation)}' (ONNX recurrent ops take ${RNN_ACTS})`);
  if ((r instanceof LSTM || r instanceof GRU) && rnnActivation(r.recurrentActivation) === null) {
    p.push(`${where}: recurrentActivation '${activationName(r.recurrentActivation)}' (ONNX recurrent ops take ${RNN_ACTS})`);
  }
  return p;
}

const SUPPORTED =
  'Dense, TimeDistributed(Dense), Embedding, Masking, Dropout, SpatialDropout1D, GaussianNoise, GaussianDropout, AlphaDropout, Activation, ReLU, LeakyReLU, PReLU, ELU, ThresholdedReLU, Softmax, Normalization, SimpleRNN, LSTM, GRU, Bidirectional, Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Conv1D, Conv1DTranspose, MaxPooling1D, AveragePooling1D, GlobalAveragePooling1D, GlobalMaxPooling1D, LayerNormalization, BatchNormalization, Flatten, Reshape, Permute, RepeatVector, ZeroPadding1D, Cropping1D, UpSampling1D, MultiHeadAttention, Attention, AdditiveAttention, Dot, TimeSlice';

function checkNode(n: Node): string[] {
  const l = n.layer;
  const w = `${l.className} '${l.name}'`;
  const p: string[] = [];
  // Call options the graph expresses: the attention layers' causal mask and scores output.
  const expressed = l instanceof MultiHeadAttention || l instanceof Attention || l instanceof AdditiveAttention ? ['useCausalMask', 'returnAttentionScores'] : [];
  for (const [k, v] of Object.entries(n.call.args)) {
    if (k === 'training' && (v === false || v === null)) continue;
    if (expressed.includes(k) && (typeof v === 'boolean' || v === null)) continue;
    p.push(`${w}: call option ${k}: ${show(v)} (the export computes inference: no call options)`);
  }
  if (l instanceof Dense || l instanceof Activation || l instanceof TrainingNoise || l instanceof SpatialDropout1D || l instanceof Masking || l instanceof Embedding) return p;
  if (l instanceof ReLU || l instanceof LeakyReLU || l instanceof PReLU || l instanceof ELU || l instanceof ThresholdedReLU || l instanceof Softmax || l instanceof Normalization) return p;
  if (l instanceof TimeDistributed) {
    if (!(l.layer instanceof Dense)) p.push(`${w}: wraps ${l.layer.className} (the export takes TimeDistributed(Dense) only)`);
    return p;
  }
  if (l instanceof Recurrent) return [...p, ...checkRecurrent(l, w, false)];
  if (l instanceof Bidirectional) {
    p.push(...checkRecurrent(l.forwardLayer, `${w} (forward)`, true));
    const back = checkRecurrent(l.backwardLayer, `${w} (backward)`, false);
    p.push(...back);
    if (!l.backwardLayer.goBackwards) p.push(`${w}: backwardLayer with goBackwards: false`);
    if (l.forwardLayer instanceof GRU && l.backwardLayer instanceof GRU && l.forwardLayer.resetAfter !== l.backwardLayer.resetAfter) {
      p.push(`${w}: backwardLayer's resetAfter differs from the forward layer's (one ONNX GRU op has one linear_before_reset)`);
    }
    if (l.forwardLayer.className !== l.backwardLayer.className) p.push(`${w}: backwardLayer is a ${l.backwardLayer.className}, the forward layer a ${l.forwardLayer.className}`);
    return p;
  }
  if (l instanceof Add || l instanceof Subtract || l instanceof Multiply || l instanceof Average || l instanceof Maximum || l instanceof Minimum) return p;
  if (l instanceof Concatenate) {
    const rank = n.inputs[0]!.rank;
    const axis = l.axis < 0 ? rank + l.axis : l.axis;
    if (axis === 1 && rank === 3) p.push(`${w}: axis ${l.axis} joins along time (its mask and sequence lengths would not be a prefix); join along features instead`);
    return p;
  }
  if (l instanceof InputLayer || SHAPED.some((c) => l instanceof c)) return p;
  return [...p, `${w}: ${l.className} is not supported by the ONNX export (supported: ${SUPPORTED})`];
}

/** Layers shapedLayer() exports as they are (no option to check). */
const SHAPED = [MultiHeadAttention, Attention, AdditiveAttention, Dot, TimeSlice, Conv1D, Conv1DTranspose, MaxPooling1D, AveragePooling1D, GlobalAveragePooling1D, GlobalMaxPooling1D, LayerNormalization, BatchNormalization, Flatten, Reshape, Permute, RepeatVector, ZeroPadding1D, Cropping1D, UpSampling1D];

// ---- Building ----------------------------------------------------------------

function emitNode(b: Builder, n: Node, xs: readonly Value[]): Value[] {
  const l = n.layer;
  const x = xs[0]!;
  const outRank = n.outputs[0]!.rank;
  // Keras's default mask rule: a sequence in, a sequence out keeps the mask.
  const passMask = x.rank === 3 && outRank === 3 ? x.mask : null;
  // Dropout and the noise layers: the identity in inference.
  if (l instanceof TrainingNoise || l instanceof SpatialDropout1D) return [{ name: x.name, mask: passMask, rank: outRank }];
  if (l instanceof Dense) return [{ name: dense(b, l, x.name), mask: passMask, rank: outRank }];
  if (l instanceof TimeDistributed) return [{ name: dense(b, l.layer as Dense, x.name), mask: passMask, rank: outRank }];
  if (l instanceof Activation) return [{ name: activation(b, l.activation, x.name), mask: passMask, rank: outRank }];
  const act = activationLayer(b, l, x.name);
  if (act !== null) return [{ name: act, mask: passMask, rank: outRank }];
  if (l instanceof Embedding) {
    const table = weight(l, 'embeddings');
    const idx = b.one('Cast', [x.name], { to: DType.int64 });
    const y = b.one('Gather', [b.weightOf(l, 'embeddings', table.shape, () => table.value), idx], { axis: 0 });
    // maskZero: a step is kept where its index is not 0 (on [B, L] indices: a time mask).
    const mask = l.maskZero && x.rank === 2 ? b.one('Not', [b.one('Equal', [x.name, b.scalar(0)])]) : null;
    return [{ name: y, mask, rank: outRank }];
  }
  if (l instanceof Masking) {
    // A step is kept where any feature differs from maskValue (compared as float32, NaN never equal);
    // its output is zeros at the steps it masks (its own rule), and its mask ANDs the incoming one.
    const differs = b.one('Cast', [b.one('Not', [b.one('Equal', [x.name, b.scalar(Math.fround(l.maskValue))])])], { to: DType.float });
    // [B, T, 1]: any(differs) as a sum > 0 (ReduceSum takes its axes as an input in every opset exported to; ReduceMax only from 18)
    const keepF = b.one('Cast', [b.one('Greater', [b.one('ReduceSum', [differs, b.int64s([-1])], { keepdims: 1 }), b.scalar(0)])], { to: DType.float });
    const y = b.one('Mul', [x.name, keepF]);
    let mask = b.one('Cast', [b.one('Squeeze', [keepF, b.int64s([-1])])], { to: DType.bool });
    if (x.mask !== null) mask = b.one('And', [mask, x.mask]);
    return [{ name: y, mask, rank: outRank }];
  }
  if (l instanceof Recurrent) return recurrent(b, n, l, null, xs);
  if (l instanceof Bidirectional) return recurrent(b, n, l.forwardLayer, l, xs);
  if (l instanceof MultiHeadAttention) return multiHeadAttention(b, n, l, xs);
  if (l instanceof Attention || l instanceof AdditiveAttention) return attention(b, n, l, xs);
  if (l instanceof Dot) return [{ name: dot(b, l, xs), mask: null, rank: n.outputs[0]!.rank }];
  const shaped = shapedLayer(b, n, x);
  if (shaped !== null) return [shaped];
  if (l instanceof Concatenate) {
    const y = b.one('Concat', xs.map((v) => v.name), { axis: l.axis < 0 ? outRank + l.axis : l.axis });
    // Keras 3 along features: a step is kept if any input keeps it (an unmasked input keeps all);
    // with maskReduction 'all' (tf.keras 2, TF.js) if every masked input keeps it.
    let mask: string | null = null;
    const masks = xs.map((v) => v.mask).filter((m): m is string => m !== null);
    if (outRank === 3 && l.maskReduction === 'all' && masks.length > 0) mask = masks.reduce((a, m) => b.one('And', [a, m]));
    else if (outRank === 3 && masks.length === xs.length) mask = masks.reduce((a, m) => b.one('Or', [a, m]));
    return [{ name: y, mask, rank: outRank }];
  }
  // Element-wise merges. Keras inserts unit axes after the batch axis into lower-rank inputs.
  const names = xs.map((v) => {
    if (v.rank === outRank) return v.name;
    return b.one('Unsqueeze', [v.name, b.int64s(Array.from({ length: outRank - v.rank }, (_, i) => 1 + i))]);
  });
  const masks = xs.map((v) => v.mask).filter((m): m is string => m !== null);
  const mask = outRank === 3 && masks.length > 0 ? masks.reduce((a, m) => b.one('And', [a, m])) : null;
  const chain = (op: string): string => names.reduce((a, v) => b.one(op, [a, v]));
  let y: string;
  if (l instanceof Add) y = chain('Add');
  else if (l instanceof Subtract) y = b.one('Sub', [names[0]!, names[1]!]);
  else if (l instanceof Multiply) y = chain('Mul');
  else if (l instanceof Maximum) y = chain('Max');
  else if (l instanceof Minimum) y = chain('Min');
  else if (l instanceof Average) y = b.one('Div', [chain('Add'), b.scalar(names.length)]);
  else throw new Error(`exportOnnx: ${l.where} slipped past the checks`);
  return [{ name: y, mask, rank: outRank }];
}

function weight(l: Layer, name: string): { shape: number[]; value: Float32Array } {
  const w = l.weights.find((x) => x.name === name);
  if (w === undefined) throw new Error(`exportOnnx: ${l.where} has no weight '${name}'`);
  return { shape: [...w.shape], value: w.value.slice(0, w.shape.reduce((a, d) => a * d, 1)) };
}

function hasWeight(l: Layer, name: string): boolean {
  return l.weights.some((x) => x.name === name);
}

/** x · kernel + bias, then the activation (any rank: MatMul works on the last axis). */
function dense(b: Builder, l: Dense, x: string): string {
  const k = weight(l, 'kernel');
  let y = b.one('MatMul', [x, b.weightOf(l, 'kernel', k.shape, () => k.value)]);
  if (l.useBias) {
    const bias = weight(l, 'bias');
    y = b.one('Add', [y, b.weightOf(l, 'bias', bias.shape, () => bias.value)]);
  }
  return activation(b, l.activation, y);
}

function activation(b: Builder, act: ActId, x: string): string {
  switch (act) {
    case Act.linear:
      return x;
    case Act.tanh:
      return b.one('Tanh', [x]);
    case Act.sigmoid:
      return b.one('Sigmoid', [x]);
    case Act.relu:
      return b.one('Relu', [x]);
    case Act.elu:
      return b.one('Elu', [x], { alpha: { float: 1 } });
    case Act.selu:
      // ONNX's default alpha and gamma are Keras's constants (as float32)
      return b.one('Selu', [x]);
    case Act.softplus:
      return b.one('Softplus', [x]);
    case Act.softsign:
      return b.one('Softsign', [x]);
    case Act.swish:
      return b.one('Mul', [x, b.one('Sigmoid', [x])]);
    case Act.softmax:
      return b.one('Softmax', [x], { axis: -1 });
    case Act.hardSigmoid:
      return b.one('HardSigmoid', [x], { alpha: { float: 1 / 6 }, beta: { float: 0.5 } });
    case Act.hardSigmoidLegacy:
      return b.one('HardSigmoid', [x], { alpha: { float: 0.2 }, beta: { float: 0.5 } });
    case Act.relu6:
      return b.one('Clip', [x, b.scalar(0), b.scalar(6)]);
    case Act.hardTanh:
      return b.one('Clip', [x, b.scalar(-1), b.scalar(1)]);
    case Act.gelu:
      // x·(1 + erf(x/√2))/2 (ONNX's Gelu op only from opset 20)
      return b.one('Mul', [b.one('Mul', [x, b.scalar(0.5)]), b.one('Add', [b.one('Erf', [b.one('Div', [x, b.scalar(Math.SQRT2)])]), b.scalar(1)])]);
    case Act.geluTanh: {
      const inner = b.one('Mul', [b.one('Add', [x, b.one('Mul', [b.one('Mul', [b.one('Mul', [x, x]), x]), b.scalar(0.044715)])]), b.scalar(Math.sqrt(2 / Math.PI))]);
      return b.one('Mul', [b.one('Mul', [x, b.scalar(0.5)]), b.one('Add', [b.one('Tanh', [inner]), b.scalar(1)])]);
    }
    case Act.mish:
      return b.one('Mul', [x, b.one('Tanh', [b.one('Softplus', [x])])]);
    case Act.exponential:
      return b.one('Exp', [x]);
    case Act.leakyRelu:
      return b.one('LeakyRelu', [x], { alpha: { float: 0.2 } });
    case Act.logSoftmax:
      return b.one('LogSoftmax', [x], { axis: -1 });
    case Act.hardSilu:
      // x·clip(x/6 + 1/2, 0, 1): ONNX's HardSwish, spelled with HardSigmoid (HardSwish needs opset 14)
      return b.one('Mul', [x, b.one('HardSigmoid', [x], { alpha: { float: 1 / 6 }, beta: { float: 0.5 } })]);
    case Act.logSigmoid:
      return b.one('Neg', [b.one('Softplus', [b.one('Neg', [x])])]);
    case Act.tanhShrink:
      return b.one('Sub', [x, b.one('Tanh', [x])]);
    case Act.softShrink:
      return b.one('Shrink', [x], { lambd: { float: 0.5 }, bias: { float: 0.5 } });
    case Act.hardShrink:
      return b.one('Shrink', [x], { lambd: { float: 0.5 } });
    case Act.sparsePlus: {
      // x ≤ −1: 0; below 1: (x + 1)²/4; from 1: x
      const q = b.one('Mul', [b.one('Mul', [b.one('Add', [x, b.scalar(1)]), b.one('Add', [x, b.scalar(1)])]), b.scalar(0.25)]);
      return b.one('Where', [b.one('Less', [x, b.scalar(1)]), b.one('Where', [b.one('Greater', [x, b.scalar(-1)]), q, b.scalar(0)]), x]);
    }
    case Act.squareplus:
      return b.one('Mul', [b.one('Add', [x, b.one('Sqrt', [b.one('Add', [b.one('Mul', [x, x]), b.scalar(4)])])]), b.scalar(0.5)]);
    case Act.sparseSigmoid:
      return b.one('Clip', [b.one('Mul', [b.one('Add', [x, b.scalar(1)]), b.scalar(0.5)]), b.scalar(0), b.scalar(1)]);
    default:
      throw new Error(`exportOnnx: activation ${activationName(act)} has no ONNX form`);
  }
}

/** The activation layers with options as ONNX ops, or null for another layer. */
function activationLayer(b: Builder, l: Layer, x: string): string | null {
  if (l instanceof LeakyReLU) return b.one('LeakyRelu', [x], { alpha: { float: l.alpha } });
  if (l instanceof ELU) return b.one('Elu', [x], { alpha: { float: l.alpha } });
  if (l instanceof ThresholdedReLU) return b.one('ThresholdedRelu', [x], { alpha: { float: l.theta } });
  if (l instanceof PReLU) {
    // α has the per-sample shape (1 on shared axes): it broadcasts against [B, …] from the right.
    const a = weight(l, 'alpha');
    return b.one('PRelu', [x, b.weightOf(l, 'alpha', a.shape, () => a.value)]);
  }
  if (l instanceof ReLU) {
    const capped = (v: string): string => (l.maxValue === null ? v : b.one('Min', [v, b.scalar(l.maxValue)]));
    if (l.threshold === 0 && l.negativeSlope === 0) return capped(b.one('Relu', [x]));
    // x > θ ? min(x, max) : slope · (x − θ)
    const below = l.negativeSlope === 0 ? b.scalar(0) : b.one('Mul', [b.one('Sub', [x, b.scalar(l.threshold)]), b.scalar(l.negativeSlope)]);
    return b.one('Where', [b.one('Greater', [x, b.scalar(l.threshold)]), capped(x), below]);
  }
  if (l instanceof Normalization) {
    // (x − mean) / max(√variance, ε), or mean + x · max(√variance, ε): constants broadcast from the right.
    const st = l.statistics();
    const mean = b.floats(`${l.name}_mean`, st.shape, st.mean);
    const scale = b.floats(`${l.name}_scale`, st.shape, st.scale);
    return l.invert ? b.one('Add', [b.one('Mul', [x, scale]), mean]) : b.one('Div', [b.one('Sub', [x, mean]), scale]);
  }
  if (l instanceof Softmax) {
    const rank = l.inputShape.length + 1;
    const axes = (Array.isArray(l.axis) ? l.axis : [l.axis as number]).map((a) => (a < 0 ? a + rank : a)).sort((p, q) => p - q);
    const lo = axes[0]!;
    if (axes.length === 1) return b.one('Softmax', [x], { axis: lo });
    // Adjacent axes together: merged into one (Reshape: 0 copies a leading dimension, the
    // axes after them are known), a softmax along it, and the input's shape back.
    const after = l.inputShape.slice(axes[axes.length - 1]!) as number[];
    const merged = b.one('Reshape', [x, b.int64s([...new Array<number>(lo).fill(0), -1, ...after])]);
    return b.one('Reshape', [b.one('Softmax', [merged], { axis: lo }), b.one('Shape', [x])]);
  }
  return null;
}

/**
 * The convolutions, pooling, normalizations and shape layers, as rnnkit's predict computes
 * them (the masks they pass on are theirs: the normalizations keep a sequence's mask, the
 * others drop it, as Keras), or null for another layer. Convolutions and pooling run on
 * ONNX's [B, C, T] between two Transposes.
 */
function shapedLayer(b: Builder, n: Node, x: Value): Value | null {
  const l = n.layer;
  const outRank = n.outputs[0]!.rank;
  const out = (name: string, mask: string | null = null): Value => ({ name, mask, rank: outRank });
  const ncw = (v: string): string => b.one('Transpose', [v], { perm: [0, 2, 1] });
  const channels = (): number => n.inputs[0]!.shape[2] as number;
  if (l instanceof Conv1D) {
    const k = weight(l, 'kernel'); // Keras [K, C/groups, F] → ONNX [F, C/groups, K]
    const [K, Cg, F] = k.shape as [number, number, number];
    const W = b.weightOf(l, 'W', [F, Cg, K], () => reorder(k.value, [K, Cg, F], [2, 1, 0]));
    const inputs = [ncw(x.name), W];
    if (l.useBias) inputs.push(b.weightOf(l, 'bias', [F], () => weight(l, 'bias').value));
    const span = l.dilationRate * (K - 1);
    // 'same' pads depend on the length where strides > 1: SAME_UPPER puts floor(total / 2) before,
    // as TensorFlow. With strides 1 they are span − 1 in all (ONNX Runtime takes no dilation with auto_pad).
    const same = (): Record<string, AttrValue> => (l.strides > 1 ? { auto_pad: 'SAME_UPPER' } : { pads: [Math.floor(span / 2), span - Math.floor(span / 2)] });
    const pad: Record<string, AttrValue> = l.padding === 'same' ? same() : { pads: l.padding === 'causal' ? [span, 0] : [0, 0] };
    const y = b.one('Conv', inputs, { kernel_shape: [K], strides: [l.strides], dilations: [l.dilationRate], group: l.groups, ...pad });
    return out(activation(b, l.activation, ncw(y)));
  }
  if (l instanceof Conv1DTranspose) {
    const k = weight(l, 'kernel'); // Keras [K, F, C] → ONNX [C, F, K]
    const [K, F, C] = k.shape as [number, number, number];
    const W = b.weightOf(l, 'W', [C, F, K], () => reorder(k.value, [K, F, C], [2, 1, 0]));
    const inputs = [ncw(x.name), W];
    if (l.useBias) inputs.push(b.weightOf(l, 'bias', [F], () => weight(l, 'bias').value));
    const g = transposeGeometry(l);
    const y = b.one('ConvTranspose', inputs, { kernel_shape: [K], strides: [l.strides], dilations: [l.dilationRate], pads: [g.head, g.tail], output_padding: [g.outputPadding] });
    return out(activation(b, l.activation, ncw(y)));
  }
  if (l instanceof MaxPooling1D || l instanceof AveragePooling1D) {
    // AveragePool's default count_include_pad 0 averages the steps inside, as Keras's 'same'.
    const pad: Record<string, AttrValue> = l.padding === 'same' ? { auto_pad: 'SAME_UPPER' } : {};
    return out(ncw(b.one(l instanceof MaxPooling1D ? 'MaxPool' : 'AveragePool', [ncw(x.name)], { kernel_shape: [l.poolSize], strides: [l.strides], ...pad })));
  }
  if (l instanceof GlobalAveragePooling1D || l instanceof GlobalMaxPooling1D) {
    const last = l.dataFormat === 'channelsLast';
    const axis = last ? 1 : 2;
    const max = l instanceof GlobalMaxPooling1D;
    // rnnkit leaves masked steps out of both (channels last); a row with none kept pools to 0.
    if (!last || x.mask === null) return out(b.reduce(max ? 'ReduceMax' : 'ReduceMean', x.name, [axis], l.keepdims));
    const keep = b.one('Unsqueeze', [x.mask, b.int64s([2])]); // [B, T, 1] bool
    const keepF = b.one('Cast', [keep], { to: DType.float });
    const kept = b.one('ReduceSum', [keepF, b.int64s([1])], { keepdims: l.keepdims ? 1 : 0 });
    if (max) {
      const best = b.reduce('ReduceMax', b.one('Where', [keep, x.name, b.scalar(-Infinity)]), [1], l.keepdims);
      return out(b.one('Where', [b.one('Greater', [kept, b.scalar(0)]), best, b.scalar(0)]));
    }
    const sum = b.one('ReduceSum', [b.one('Mul', [x.name, keepF]), b.int64s([1])], { keepdims: l.keepdims ? 1 : 0 });
    return out(b.one('Div', [sum, b.one('Max', [kept, b.scalar(1)])]));
  }
  if (l instanceof LayerNormalization) {
    // μ and the biased σ² over the features; y = γ·(x − μ)/√(σ² + ε) + β (rmsScaling: γ·x/√(σ² + ε)).
    const d = b.one('Sub', [x.name, b.reduce('ReduceMean', x.name, [-1], true)]);
    const inv = b.one('Reciprocal', [b.one('Sqrt', [b.one('Add', [b.reduce('ReduceMean', b.one('Mul', [d, d]), [-1], true), b.scalar(l.epsilon)])])]);
    let y = b.one('Mul', [l.rmsScaling ? x.name : d, inv]);
    if (hasWeight(l, 'gamma')) y = b.one('Mul', [y, b.weightOf(l, 'gamma', weight(l, 'gamma').shape, () => weight(l, 'gamma').value)]);
    if (hasWeight(l, 'beta')) y = b.one('Add', [y, b.weightOf(l, 'beta', weight(l, 'beta').shape, () => weight(l, 'beta').value)]);
    return out(y, x.rank === 3 && outRank === 3 ? x.mask : null);
  }
  if (l instanceof BatchNormalization) {
    // Inference: (x − moving mean) · γ/√(moving variance + ε) + β, the factor folded in float64.
    const mean = weight(l, 'moving_mean');
    const variance = weight(l, 'moving_variance').value;
    const gamma = hasWeight(l, 'gamma') ? weight(l, 'gamma').value : null;
    const factor = Float32Array.from(variance, (v, f) => (gamma === null ? 1 : gamma[f]!) / Math.sqrt(v + l.epsilon));
    let y = b.one('Mul', [b.one('Sub', [x.name, b.weightOf(l, 'moving_mean', mean.shape, () => mean.value)]), b.weightOf(l, 'factor', mean.shape, () => factor)]);
    if (hasWeight(l, 'beta')) y = b.one('Add', [y, b.weightOf(l, 'beta', mean.shape, () => weight(l, 'beta').value)]);
    return out(y, x.rank === 3 && outRank === 3 ? x.mask : null);
  }
  if (l instanceof TimeSlice) {
    // Python's indexing: a negative index counts from the end; a slice clamps, as ONNX's Slice does.
    if (l.index !== null) return out(b.one('Gather', [x.name, b.int64s([l.index], true)], { axis: 1 }));
    return out(b.one('Slice', [x.name, b.int64s([l.start ?? 0]), b.int64s([l.stop ?? 2 ** 62]), b.int64s([1])]));
  }
  if (l instanceof Flatten) return out(b.one('Reshape', [x.name, b.int64s([0, -1])]));
  if (l instanceof Reshape) return out(b.one('Reshape', [x.name, b.int64s([0, ...l.targetShape])]));
  if (l instanceof Permute) return out(b.one('Transpose', [x.name], { perm: [0, ...l.dims] }));
  if (l instanceof RepeatVector) return out(b.one('Tile', [b.one('Unsqueeze', [x.name, b.int64s([1])]), b.int64s([1, l.n, 1])]));
  if (l instanceof ZeroPadding1D) return out(b.one('Pad', [x.name, b.int64s([0, l.padding[0], 0, 0, l.padding[1], 0])]));
  if (l instanceof Cropping1D) {
    const end = l.cropping[1] === 0 ? 2 ** 62 : -l.cropping[1];
    return out(b.one('Slice', [x.name, b.int64s([l.cropping[0]]), b.int64s([end]), b.int64s([1])]));
  }
  if (l instanceof UpSampling1D) {
    const tiled = b.one('Tile', [b.one('Unsqueeze', [x.name, b.int64s([2])]), b.int64s([1, 1, l.size, 1])]); // [B, T, size, C]
    return out(b.one('Reshape', [tiled, b.int64s([0, -1, channels()])]));
  }
  return null;
}

/**
 * MultiHeadAttention as rnnkit computes it: the projections as MatMuls on [D, N·H] views of
 * Keras's [D, N, H] kernels, the query scaled by float32 1/√H after its bias, heads split by
 * Reshape [0, 0, N, H] (batch and time kept, any length) and moved ahead of time, scores
 * Q·Kᵀ, masked scores replaced by −1e9 (the query, value and key masks, the causal and
 * sliding-window bands, ANDed), a softmax over the keys, the context joined back and
 * projected. Dropout is training-only. With returnAttentionScores the softmax is the second
 * output ([B, N, Tq, Tv]).
 */
function multiHeadAttention(b: Builder, n: Node, l: MultiHeadAttention, xs: readonly Value[]): Value[] {
  const [q, v] = xs as [Value, Value];
  const k = xs[2] ?? v;
  const N = l.numHeads;
  const H = l.keyDim;
  const Hv = l.valueDim;
  const project = (x: string, tag: 'query' | 'key' | 'value' | 'attention_output'): string => {
    const w = weight(l, `${tag}/kernel`);
    const cols = w.shape.slice(tag === 'attention_output' ? 2 : 1).reduce((a, d) => a * d, 1);
    const rows = w.value.length / cols;
    let y = b.one('MatMul', [x, b.weightOf(l, `${tag}_kernel`, [rows, cols], () => w.value)]);
    if (hasWeight(l, `${tag}/bias`)) {
      const bias = weight(l, `${tag}/bias`);
      y = b.one('Add', [y, b.weightOf(l, `${tag}_bias`, [bias.value.length], () => bias.value)]);
    }
    return y;
  };
  const heads = (x: string, size: number, perm: number[]): string => b.one('Transpose', [b.one('Reshape', [x, b.int64s([0, 0, N, size])])], { perm });
  const Q = heads(b.one('Mul', [project(q.name, 'query'), b.scalar(Math.fround(1 / Math.sqrt(H)))]), H, [0, 2, 1, 3]); // [B, N, Tq, H]
  const K = heads(project(k.name, 'key'), H, [0, 2, 3, 1]); // [B, N, H, Tv]
  const V = heads(project(v.name, 'value'), Hv, [0, 2, 1, 3]); // [B, N, Tv, Hv]
  let scores = b.one('MatMul', [Q, K]); // [B, N, Tq, Tv]
  // The attention mask, broadcast to [B, 1, Tq, Tv] from its parts.
  const parts: string[] = [];
  if (q.mask !== null) parts.push(b.one('Unsqueeze', [q.mask, b.int64s([1, 3])]));
  for (const m of [v.mask, xs[2] === undefined ? null : k.mask]) if (m !== null) parts.push(b.one('Unsqueeze', [m, b.int64s([1, 2])]));
  const causal = n.call.args.useCausalMask === true;
  if (causal || l.slidingWindow !== null) {
    const steps = (x: string): string => b.one('Range', [b.int64s([0], true), b.one('Squeeze', [b.one('Slice', [b.one('Shape', [x]), b.int64s([1]), b.int64s([2])]), b.int64s([0])]), b.int64s([1], true)]);
    const i = b.one('Unsqueeze', [steps(q.name), b.int64s([1])]); // [Tq, 1]
    const j = b.one('Unsqueeze', [steps(v.name), b.int64s([0])]); // [1, Tv]
    if (causal) parts.push(b.one('LessOrEqual', [j, i]));
    if (l.slidingWindow !== null) parts.push(b.one('Less', [b.one('Abs', [b.one('Sub', [i, j])]), b.int64s([l.slidingWindow], true)]));
  }
  if (parts.length > 0) scores = b.one('Where', [parts.reduce((a, m) => b.one('And', [a, m])), scores, b.scalar(-1e9)]);
  const P = b.one('Softmax', [scores], { axis: -1 });
  const C = b.one('Reshape', [b.one('Transpose', [b.one('MatMul', [P, V])], { perm: [0, 2, 1, 3] }), b.int64s([0, 0, N * Hv])]);
  const out: Value[] = [{ name: project(C, 'attention_output'), mask: q.mask, rank: 3 }];
  if (n.outputs.length > 1) out.push({ name: P, mask: null, rank: 4 });
  return out;
}

/**
 * Attention (dot or concat scores) and AdditiveAttention as rnnkit computes them: scores
 * scale·q·kᵀ, c·Σ tanh(scale·(q + k)) or Σ a·tanh(q + k) (the sums over features of
 * [B, Tq, Tv, D] broadcasts), 1e9 subtracted where the value mask or the causal band drops
 * a key, a softmax over the keys, the weighted values, zeros at masked query steps. Dropout
 * is training-only; returnAttentionScores adds the weights as a second output.
 */
function attention(b: Builder, n: Node, l: Attention | AdditiveAttention, xs: readonly Value[]): Value[] {
  const [q, v] = xs as [Value, Value];
  const k = xs[2] ?? v;
  const config = l.getConfig();
  const mode = l instanceof AdditiveAttention ? 'additive' : (config.scoreMode as 'dot' | 'concat');
  const scalar = (name: string): string | null => (hasWeight(l, name) ? b.weightOf(l, name, [], () => weight(l, name).value) : null);
  let scores: string;
  if (mode === 'dot') {
    scores = b.one('MatMul', [q.name, b.one('Transpose', [k.name], { perm: [0, 2, 1] })]);
    const sc = scalar('scale');
    if (sc !== null) scores = b.one('Mul', [scores, sc]);
  } else {
    let sum = b.one('Add', [b.one('Unsqueeze', [q.name, b.int64s([2])]), b.one('Unsqueeze', [k.name, b.int64s([1])])]); // [B, Tq, Tv, D]
    const sc = mode === 'concat' ? scalar('scale') : null;
    if (sc !== null) sum = b.one('Mul', [sum, sc]);
    let t = b.one('Tanh', [sum]);
    if (mode === 'additive' && hasWeight(l, 'scale')) t = b.one('Mul', [t, b.weightOf(l, 'scale', weight(l, 'scale').shape, () => weight(l, 'scale').value)]);
    scores = b.one('ReduceSum', [t, b.int64s([-1])], { keepdims: 0 });
    if (mode === 'concat') scores = b.one('Mul', [scores, scalar('concat_score_weight')!]);
  }
  const drops: string[] = [];
  if (v.mask !== null) drops.push(b.one('Not', [b.one('Unsqueeze', [v.mask, b.int64s([1])])])); // [B, 1, Tv]
  if (config.causal === true || n.call.args.useCausalMask === true) {
    const steps = (x: string): string => b.one('Range', [b.int64s([0], true), b.one('Squeeze', [b.one('Slice', [b.one('Shape', [x]), b.int64s([1]), b.int64s([2])]), b.int64s([0])]), b.int64s([1], true)]);
    drops.push(b.one('Greater', [b.one('Unsqueeze', [steps(v.name), b.int64s([0])]), b.one('Unsqueeze', [steps(q.name), b.int64s([1])])])); // [Tq, Tv]: j > i
  }
  if (drops.length > 0) scores = b.one('Where', [drops.reduce((a, m) => b.one('Or', [a, m])), b.one('Sub', [scores, b.scalar(1e9)]), scores]);
  const w = b.one('Softmax', [scores], { axis: -1 });
  let out = b.one('MatMul', [w, v.name]);
  if (q.mask !== null) out = b.one('Where', [b.one('Unsqueeze', [q.mask, b.int64s([2])]), out, b.scalar(0)]);
  const result: Value[] = [{ name: out, mask: q.mask, rank: 3 }];
  if (n.outputs.length > 1) result.push({ name: w, mask: null, rank: 3 });
  return result;
}

/**
 * Dot of two inputs of rank 2 or 3 (per sample a vector or a matrix) along one axis each: each
 * brought to [B, kept, dot] (x) and [B, dot, kept] (y) by Unsqueeze or Transpose, one batched
 * MatMul, and a vector's unit axis squeezed away ([B, 1] when both are vectors). normalize:
 * each input first times rsqrt(max(Σx², 1e-14)) along its dot axis, as Keras 3.
 */
function dot(b: Builder, l: Dot, xs: readonly Value[]): string {
  const axes = typeof l.axes === 'number' ? [l.axes, l.axes] : [...l.axes];
  const [x, y] = xs.map((v, i) => {
    const axis = axes[i]! < 0 ? axes[i]! + v.rank : axes[i]!;
    if (!l.normalize) return { name: v.name, rank: v.rank, axis };
    const ss = b.one('ReduceSum', [b.one('Mul', [v.name, v.name]), b.int64s([axis])], { keepdims: 1 });
    return { name: b.one('Mul', [v.name, b.one('Reciprocal', [b.one('Sqrt', [b.one('Max', [ss, b.scalar(1e-14)])])])]), rank: v.rank, axis };
  }) as [{ name: string; rank: number; axis: number }, { name: string; rank: number; axis: number }];
  const left = x.rank === 2 ? b.one('Unsqueeze', [x.name, b.int64s([1])]) : x.axis === 2 ? x.name : b.one('Transpose', [x.name], { perm: [0, 2, 1] });
  const right = y.rank === 2 ? b.one('Unsqueeze', [y.name, b.int64s([2])]) : y.axis === 1 ? y.name : b.one('Transpose', [y.name], { perm: [0, 2, 1] });
  let z = b.one('MatMul', [left, right]); // [B, kept of x, kept of y]
  if (y.rank === 2) z = b.one('Squeeze', [z, b.int64s([2])]);
  if (x.rank === 2 && y.rank === 3) z = b.one('Squeeze', [z, b.int64s([1])]);
  return z;
}

/** `src` of `shape` with its axes in the order `perm` (row-major). */
function reorder(src: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
  const dims = perm.map((p) => shape[p]!);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, d) => a * d, 1));
  const out = new Float32Array(src.length);
  const idx = new Array<number>(dims.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let s = 0;
    for (let a = 0; a < dims.length; a++) s += idx[a]! * strides[perm[a]!]!;
    out[o] = src[s]!;
    for (let a = dims.length - 1; a >= 0 && ++idx[a]! === dims[a]; a--) idx[a] = 0;
  }
  return out;
}

/**
 * ConvTranspose's pads and output_padding for a Conv1DTranspose: ONNX's output length is
 * (T − 1)·s + output_padding + span − head − tail, input step t writing tap j to t·s + j·d −
 * head; matching the layer's length and TensorFlow's placement gives constants (no T).
 */
export function transposeGeometry(l: Conv1DTranspose): { head: number; tail: number; outputPadding: number } {
  const span = l.dilationRate * (l.kernelSize - 1) + 1;
  const s = l.strides;
  const op = l.outputPadding;
  if (l.padding === 'valid') return { head: 0, tail: 0, outputPadding: op === null ? Math.max(span, s) - span : op };
  const total = op === null ? Math.max(span - s, 0) : Math.max(span - (span % 2) - op, 0);
  const head = Math.floor(total / 2);
  return { head, tail: total - head, outputPadding: op === null ? Math.max(s - span, 0) : (span % 2) + op - span + total };
}

/** Keras gate blocks (of H columns) in ONNX's order, per cell kind. */
function gateOrder(r: Recurrent): number[] {
  if (r instanceof LSTM) return [0, 3, 1, 2]; // Keras i, f, c, o → ONNX i, o, f, c
  if (r instanceof GRU) return [0, 1, 2]; // z, r, h in both
  return [0];
}

/**
 * One direction's W [G·H, I], R [G·H, H] and B [2·G·H] (ONNX layouts, ONNX gate order)
 * from Keras's kernel [I, G·H], recurrent_kernel [H, G·H] and bias.
 */
function directionWeights(r: Recurrent): { W: Float32Array; R: Float32Array; B: Float32Array; I: number } {
  const H = r.units;
  const order = gateOrder(r);
  const G = order.length;
  const k = weight(r, 'kernel');
  const rk = weight(r, 'recurrent_kernel');
  const I = k.shape[0]!;
  const transpose = (src: Float32Array, rows: number): Float32Array => {
    const out = new Float32Array(G * H * rows);
    order.forEach((kg, og) => {
      for (let h = 0; h < H; h++) for (let i = 0; i < rows; i++) out[(og * H + h) * rows + i] = src[i * G * H + kg * H + h]!;
    });
    return out;
  };
  const B = new Float32Array(2 * G * H);
  if (hasWeight(r, 'bias')) {
    const bias = weight(r, 'bias').value;
    // GRU resetAfter: bias [2, 3H] = [input bias, recurrent bias]; otherwise one [G·H] input bias, zero recurrent bias.
    const halves = r instanceof GRU && r.resetAfter ? 2 : 1;
    for (let half = 0; half < halves; half++) {
      order.forEach((kg, og) => {
        for (let h = 0; h < H; h++) B[half * G * H + og * H + h] = bias[half * G * H + kg * H + h]!;
      });
    }
  }
  return { W: transpose(k.value, I), R: transpose(rk.value, H), B, I };
}

/** The ONNX activation list (and alpha/beta, consumed in order by those that take them) of one direction. */
function directionActivations(r: Recurrent): { name: string; alpha?: number; beta?: number }[] {
  const act = rnnActivation(r.activation)!;
  if (r instanceof LSTM) return [rnnActivation(r.recurrentActivation)!, act, act]; // f (gates), g (cell input), h (output)
  if (r instanceof GRU) return [rnnActivation(r.recurrentActivation)!, act]; // f (z, r), g (candidate)
  return [act];
}

/**
 * A recurrent layer (dirs = [layer]) or a Bidirectional (dirs = [forward, backward]) as
 * one ONNX op, with Keras's outputs: the sequence (processing order for goBackwards) or
 * the last output, then the final states.
 */
function recurrent(b: Builder, n: Node, r: Recurrent, bi: Bidirectional | null, xs: readonly Value[]): Value[] {
  const dirs = bi === null ? [r] : [bi.forwardLayer, bi.backwardLayer];
  const D = dirs.length;
  const H = r.units;
  const S = r.numStates;
  const op = r instanceof LSTM ? 'LSTM' : r instanceof GRU ? 'GRU' : 'RNN';
  const x = xs[0]!;
  const ws = dirs.map(directionWeights);
  const I = ws[0]!.I;
  const G = gateOrder(r).length;
  const cat = (k: 'W' | 'R' | 'B'): Float32Array => {
    const out = new Float32Array(ws.reduce((a, w) => a + w[k].length, 0));
    let off = 0;
    for (const w of ws) {
      out.set(w[k], off);
      off += w[k].length;
    }
    return out;
  };
  const owner = bi ?? r;
  const W = b.weightOf(owner, 'W', [D, G * H, I], () => cat('W'));
  const R = b.weightOf(owner, 'R', [D, G * H, H], () => cat('R'));
  const Bn = b.weightOf(owner, 'B', [D, 2 * G * H], () => cat('B'));
  const xT = b.one('Transpose', [x.name], { perm: [1, 0, 2] }); // [T, B, I]
  const mask = x.mask;
  let seqLens = '';
  if (mask !== null) {
    const counts = b.one('ReduceSum', [b.one('Cast', [mask], { to: DType.int64 }), b.int64s([1])], { keepdims: 0 });
    seqLens = b.one('Cast', [counts], { to: DType.int32 });
  }
  // Initial states: Keras gives [B, H] each (the forward direction's, then the backward one's); ONNX wants [D, B, H].
  const init: string[] = [];
  const states0 = xs.slice(1);
  if (states0.length > 0) {
    for (let s = 0; s < S; s++) {
      const perDir = dirs.map((_, d) => b.one('Unsqueeze', [states0[d * S + s]!.name, b.int64s([0])]));
      init.push(D === 1 ? perDir[0]! : b.one('Concat', perDir, { axis: 0 }));
    }
  }
  const acts = dirs.flatMap(directionActivations);
  const attrs: Record<string, AttrValue> = {
    hidden_size: H,
    direction: bi !== null ? 'bidirectional' : r.goBackwards ? 'reverse' : 'forward',
    activations: acts.map((a) => a.name),
  };
  const alphas = acts.filter((a) => a.alpha !== undefined).map((a) => a.alpha!);
  const betas = acts.filter((a) => a.beta !== undefined).map((a) => a.beta!);
  if (alphas.length > 0) attrs.activation_alpha = { floats: alphas };
  if (betas.length > 0) attrs.activation_beta = { floats: betas };
  if (r instanceof GRU) attrs.linear_before_reset = r.resetAfter ? 1 : 0;
  const inputs = [xT, W, R, Bn, seqLens, init[0] ?? ''];
  if (op === 'LSTM') inputs.push(init[1] ?? '');
  while (inputs[inputs.length - 1] === '') inputs.pop();
  const [Y, Yh, Yc] = b.node(op, inputs, attrs, op === 'LSTM' ? 3 : 2);
  const maskTM = mask === null ? null : b.one('Unsqueeze', [b.one('Transpose', [mask], { perm: [1, 0] }), b.int64s([2])]); // [T, B, 1]
  const pick = (t: string, d: number, axis: number): string => b.one('Gather', [t, b.int64s([d], true)], { axis });

  const outputs: string[] = dirs.map((layer, d) => {
    const hT = pick(Yh!, d, 0); // [B, H]
    const processedLast = layer.goBackwards ? 0 : -1; // the input step the layer processes last
    if (!layer.returnSequences) {
      // The last output is the final state (a masked step holds it), unless zeroOutputForMask
      // zeros it where the step processed last is masked.
      if (mask === null || !layer.zeroOutputForMask) return hT;
      const lastKept = b.one('Unsqueeze', [pick(mask, processedLast, 1), b.int64s([1])]); // [B, 1]
      return b.one('Where', [lastKept, hT, b.scalar(0)]);
    }
    let y = pick(Y!, d, 1); // [T, B, H], input order, zeros past each row's length
    if (maskTM !== null && !layer.zeroOutputForMask) {
      // Keras repeats the previous output at a masked step: past the length that is the final state
      // going forward; going backwards the masked steps come first, where the previous output is the initial state.
      if (!layer.goBackwards) y = b.one('Where', [maskTM, y, hT]);
      else if (init.length > 0) y = b.one('Where', [maskTM, y, pick(init[0]!, d, 0)]);
    }
    let yb = b.one('Transpose', [y], { perm: [1, 0, 2] }); // [B, T, H]
    // A lone goBackwards layer returns its sequence in processing order; Bidirectional's backward half is in input order already.
    if (bi === null && layer.goBackwards) yb = b.one('Slice', [yb, b.int64s([-1]), b.int64s([-(2 ** 62)]), b.int64s([1]), b.int64s([-1])]);
    return yb;
  });

  const outRank = n.outputs[0]!.rank;
  const outMask = r.returnSequences ? mask : null;
  const result: Value[] = [];
  if (bi === null) result.push({ name: outputs[0]!, mask: outMask, rank: outRank });
  else if (bi.mergeMode === null) outputs.forEach((o) => result.push({ name: o, mask: outMask, rank: outRank }));
  else {
    const [f, k] = outputs as [string, string];
    const merged =
      bi.mergeMode === 'concat' ? b.one('Concat', [f, k], { axis: -1 }) : bi.mergeMode === 'sum' ? b.one('Add', [f, k]) : bi.mergeMode === 'mul' ? b.one('Mul', [f, k]) : b.one('Mul', [b.one('Add', [f, k]), b.scalar(0.5)]);
    result.push({ name: merged, mask: outMask, rank: outRank });
  }
  const returnState = bi === null ? r.returnState : bi.returnState;
  if (returnState) {
    const finals = op === 'LSTM' ? [Yh!, Yc!] : [Yh!];
    for (let d = 0; d < D; d++) for (const s of finals) result.push({ name: pick(s, d, 0), mask: null, rank: 2 });
  }
  return result;
}
