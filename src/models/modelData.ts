/**
 * The data a model's fit / evaluate / predict receive, checked against its graph at
 * the boundary: inputs and targets given as one tensor (one input or output), a list
 * in the model's order, or an object keyed by input / output name; shapes, sample
 * counts, NaN, sparse labels. The result is a Dataset (data.ts) the engine reads.
 */
import { Tensor, formatShape, type NestedArray } from '../core/tensor.js';
import { show } from '../core/errors.js';
import type { Loss } from '../losses/index.js';
import { checkedTensor, sameShape, type Dataset } from './data.js';
import type { Graph } from './graph.js';
import type { Shape } from '../layers/layer.js';
import { classWeightsToSampleWeights, sampleWeightTensor } from './sampleWeights.js';

/** One value per input (or output): a single tensor, a list in order, or an object keyed by name. */
export type PerName<T> = T | readonly T[] | Readonly<Record<string, T>>;

/** Data of one input or output. */
export type Data = Tensor | NestedArray;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Tensor) && !ArrayBuffer.isView(v);
}

/**
 * The values for `names` (a model's inputs or outputs) from one value, a list or an
 * object. With one name, an array is that name's nested data unless it is a list of
 * one Tensor. Missing names are undefined when `optional` lets them be.
 */
export function splitByName<T>(value: unknown, names: readonly string[], what: string, optional: (i: number) => boolean = () => false): (T | undefined)[] {
  if (isPlainObject(value)) {
    for (const k of Object.keys(value)) {
      if (!names.includes(k)) throw new RangeError(`${what}: unknown name '${k}'; the model's names are ${names.map((n) => `'${n}'`).join(', ')}`);
    }
    return names.map((n, i) => {
      const v = value[n] as T | undefined;
      if ((v === undefined || v === null) && !optional(i)) throw new RangeError(`${what}: no value for '${n}' (give one for each of ${names.map((x) => `'${x}'`).join(', ')})`);
      return v === null ? undefined : v;
    });
  }
  if (names.length === 1) {
    if (Array.isArray(value) && value.length === 1 && value[0] instanceof Tensor) return [value[0] as T];
    return [value as T];
  }
  if (!Array.isArray(value) || value.length !== names.length) {
    throw new RangeError(`${what}: the model has ${names.length} (${names.map((n) => `'${n}'`).join(', ')}); give a list of ${names.length} in that order, or an object keyed by name`);
  }
  return value.map((v, i) => {
    if ((v === undefined || v === null) && !optional(i)) throw new RangeError(`${what}: no value for '${names[i]}'`);
    return v === null ? undefined : (v as T);
  });
}

/** What the data checks need of a model. */
export interface DataModel {
  readonly graph: Graph;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Error prefix for input i: the layer that reads it (Sequential) or the input itself. */
  inputWhere(i: number): string;
  /** Error prefix for output o: the layer that makes it. */
  outputWhere(o: number): string;
  /** Input i's text input (Model.setTextInput): what turns texts given for it into its tensor; undefined where it takes numbers only. */
  textInputOf?(i: number): TextInput | undefined;
}

/** What checkInputs needs of a text input (a TextVectorizer). */
export interface TextInput {
  apply(texts: readonly string[]): Tensor;
}

/**
 * Texts given for one input: a list of strings, or of one-string lists (a Keras string
 * input of shape (1,)), as a flat list; null for anything else (numbers).
 */
function textsOf(v: unknown, what: string): string[] | null {
  if (typeof v === 'string') throw new TypeError(`${what}: one text must still be a list of texts (['…'])`);
  if (!Array.isArray(v) || v.length === 0) return null;
  const first = Array.isArray(v[0]) ? v[0][0] : v[0];
  if (typeof first !== 'string') return null;
  return v.map((e, i) => {
    const t = Array.isArray(e) && e.length === 1 ? e[0] : e;
    if (typeof t !== 'string') throw new TypeError(`${what}[${i}] is ${Array.isArray(e) ? `a list of ${e.length}` : show(e)?.slice(0, 40)}, not a text (give a list of strings, or of one-string lists)`);
    return t;
  });
}

/** Whether a layer carries state between batches: a stateful recurrent layer, alone, wrapped or in a nested model. */
export function hasState(l: unknown): boolean {
  const o = l as { stateful?: unknown; forwardLayer?: unknown; layer?: unknown; layers?: unknown };
  if (o.stateful === true) return true;
  if (o.forwardLayer !== undefined && hasState(o.forwardLayer)) return true;
  if (o.layer !== undefined && o.layer !== l && hasState(o.layer)) return true;
  return Array.isArray(o.layers) && o.layers.some(hasState);
}

/** Check model inputs: shapes against the graph's inputs, one sample count. Returns tensors and time lengths. */
export function checkInputs(model: DataModel, x: unknown, what: string): { x: Tensor[]; xLen: number[]; n: number; fromTexts: boolean[] } {
  const list = splitByName<Data>(x, model.inputNames, `${what}: x`);
  const inputs = model.graph.inputs;
  const fromTexts = list.map(() => false);
  const given = list.map((v, i) => {
    const at = `${what}: x${list.length > 1 ? `['${model.inputNames[i]}']` : ''}`;
    const texts = textsOf(v, at);
    if (texts === null) return checkedTensor(v as Data, at);
    fromTexts[i] = true;
    const vectorizer = model.textInputOf?.(i);
    if (vectorizer === undefined) throw new TypeError(`${at}: texts given for ${model.inputWhere(i)}, which takes numbers; give a model a text input with model.setTextInput(vectorizer)`);
    return vectorizer.apply(texts);
  });
  const xs = given.map((t, i) => adjustRank(t, inputs[i]!.shape));
  const n = xs[0]!.shape[0] ?? 0;
  xs.forEach((t, i) => {
    const name = list.length > 1 ? ` '${model.inputNames[i]}'` : '';
    if (t.rank < 1) throw new RangeError(`${what}: x${name} must have a batch axis, got a scalar`);
    if (t.shape[0] === 0) throw new RangeError(`${what}: x${name} has no samples (shape ${formatShape(t.shape)})`);
    if (t.rank >= 3 && t.shape[1] === 0) throw new RangeError(`${what}: x${name} has time length 0 (shape ${formatShape(t.shape)})`);
    const expected = inputs[i]!.shape;
    if (!sameShape([null, ...expected.slice(1)], t.shape)) {
      throw new RangeError(`${model.inputWhere(i)}: expected input of shape ${formatShape([null, ...expected.slice(1)])}, got ${formatShape(given[i]!.shape)} in ${what}`);
    }
    const declaredBatch = expected[0];
    // A declared batch size binds only a stateful model (its state has that many rows); Keras's
    // input specs drop the batch axis otherwise, so Input(batch_shape=(4, 16)) predicts one sample.
    if (declaredBatch !== null && declaredBatch !== undefined && t.shape[0]! % declaredBatch !== 0 && model.graph.layers.some(hasState)) {
      throw new RangeError(`${model.inputWhere(i)}: the model was declared with batchSize ${declaredBatch}, but ${what} got ${t.shape[0]} samples`);
    }
    if (t.shape[0] !== n) {
      throw new RangeError(`${what}: every input needs the same number of samples; '${model.inputNames[0]}' has ${n}, '${model.inputNames[i]}' has ${t.shape[0]}`);
    }
  });
  return { x: xs, xLen: xs.map((t) => t.shape[1] ?? 1), n, fromTexts };
}

/**
 * Keras 3's input rank adjustment: data one axis short of an input whose last axis is 1
 * gets that axis ([N] for [null, 1]), and data with an extra last axis of 1 loses it
 * ([N, 1] for [null]). The values are shared, not copied.
 */
function adjustRank(t: Tensor, expected: Shape): Tensor {
  if (t.rank === expected.length - 1 && expected[expected.length - 1] === 1) return new Tensor(t.data, [...t.shape, 1]);
  if (t.rank === expected.length + 1 && t.shape[t.rank - 1] === 1) return new Tensor(t.data, t.shape.slice(0, -1));
  return t;
}

/**
 * A Dataset for fit/evaluate: inputs as checkInputs, targets per output checked against
 * the output's shape for its loss (outputs without a loss take none).
 */
export function checkDataset(model: DataModel, losses: readonly (Loss | null)[], xIn: unknown, yIn: unknown, what: string): Dataset & { fromTexts: boolean[] } {
  const { x, xLen, n, fromTexts } = checkInputs(model, xIn, what);
  if (yIn === undefined || yIn === null) throw new TypeError(`${what}: y is required`);
  const ys = splitByName<Data>(yIn, model.outputNames, `${what}: y`, (o) => losses[o] === null);
  const shapes = model.graph.concreteShapes(xLen);
  const y: (Tensor | null)[] = [];
  const yWidth: number[] = [];
  ys.forEach((v, o) => {
    const loss = losses[o] ?? null;
    if (loss === null) {
      y.push(null);
      yWidth.push(0);
      return;
    }
    const label = ys.length > 1 ? `y['${model.outputNames[o]}']` : 'y';
    const t = checkedTensor(v as Data, `${what}: ${label}`);
    if (t.rank === 0 || t.shape[0] !== n) {
      throw new RangeError(`${what}: x and ${label} must have the same number of samples; x has ${n} (shape ${formatShape(x[0]!.shape)}), ${label} has ${t.rank === 0 ? 'none' : t.shape[0]} (shape ${formatShape(t.shape)})`);
    }
    const out = shapes[model.graph.indexOf(model.graph.outputs[o]!)]! as number[];
    const cols = out[out.length - 1]!;
    const rows = out.slice(0, -1).reduce((a, b) => a * b, 1);
    const ySample = t.shape.slice(1);
    const fits = loss.sparse
      ? sameShape(ySample, out.slice(0, -1)) || sameShape(ySample, [...out.slice(0, -1), 1])
      : sameShape(ySample, out) || (cols === 1 && sameShape(ySample, out.slice(0, -1)));
    if (!fits) {
      const want = loss.sparse ? `class indices of shape ${formatShape([null, ...out.slice(0, -1)])}` : `targets of shape ${formatShape([null, ...out])}`;
      throw new RangeError(`${what}: ${label} has shape ${formatShape(t.shape)}, but the model output (${model.outputWhere(o)}) has shape ${formatShape([null, ...out])} and loss '${loss.name}' needs ${want}`);
    }
    loss.validateTargets(t.data, n * rows, cols, `${what}: ${label}`);
    y.push(t);
    yWidth.push(loss.sparse ? rows : rows * cols);
  });
  return {
    n,
    x,
    xWidth: x.map((t) => t.size / n),
    xLen,
    y,
    yWidth,
    sw: y.map(() => null),
    swWidth: y.map(() => 1),
    ragged: [],
    fromTexts,
  };
}

/** Attach sampleWeight (one tensor per output with a loss; per sample, or per step of a sequence output) or classWeight. */
export function attachWeights(
  model: DataModel,
  ds: Dataset,
  losses: readonly (Loss | null)[],
  sampleWeight: unknown,
  classWeight: unknown,
  what: string,
): void {
  if (sampleWeight !== undefined && classWeight !== undefined) throw new RangeError(`${what}: give sampleWeight or classWeight, not both`);
  if (sampleWeight === undefined && classWeight === undefined) return;
  const shapes = model.graph.concreteShapes(ds.xLen);
  const multi = model.outputNames.length > 1;
  const trained = (o: number): boolean => losses[o] !== null;
  if (sampleWeight !== undefined) {
    const list = splitByName<Data>(sampleWeight, model.outputNames, `${what}: sampleWeight`, () => true);
    list.forEach((v, o) => {
      if (v === undefined) return;
      if (!trained(o)) throw new RangeError(`${what}: sampleWeight for '${model.outputNames[o]}', which has no loss`);
      const out = shapes[model.graph.indexOf(model.graph.outputs[o]!)]! as number[];
      const perRow = out.slice(0, -1).reduce((a, b) => a * b, 1);
      const { data, width } = sampleWeightTensor(v, ds.n, perRow, `${what}: sampleWeight${multi ? `['${model.outputNames[o]}']` : ''}`);
      ds.sw[o] = data;
      ds.swWidth[o] = width;
    });
    return;
  }
  // classWeight: one map for a single output, else per output (list or object of maps).
  const maps: unknown[] = multi
    ? splitByName<unknown>(classWeight, model.outputNames, `${what}: classWeight`, () => true)
    : [classWeight];
  maps.forEach((m, o) => {
    if (m === undefined) return;
    const loss = losses[o];
    if (loss === null || loss === undefined) throw new RangeError(`${what}: classWeight for '${model.outputNames[o]}', which has no loss`);
    const out = shapes[model.graph.indexOf(model.graph.outputs[o]!)]! as number[];
    const width = out.reduce((a, b) => a * b, 1);
    ds.sw[o] = classWeightsToSampleWeights(m as Record<number, number>, ds.y[o]!, ds.n, width, loss.sparse, `${what}: classWeight${multi ? `['${model.outputNames[o]}']` : ''}`);
    ds.swWidth[o] = 1;
  });
}
