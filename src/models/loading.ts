/**
 * Models from their saved form: a topology (Sequential or graph, see topology.ts) in
 * any dialect rnnkit reads, then the weights by name. Graph topologies come as tfjs and
 * Keras 2 write them (each inbound node a list of `[layer, node, tensor, kwargs]`;
 * initial states as extra inputs, or in Keras 2's kwargs as tensor references) or as
 * Keras 3 writes them (`{args, kwargs}` with `__keras_tensor__` objects). The file is
 * untrusted: every reference is resolved or refused with a ModelFormatError naming the
 * layer — an unknown layer or class, a call on a tensor nothing computes, a cycle, an
 * input or output that is not there.
 */
import { ModelFormatError, table, show } from '../core/errors.js';
import { Tensor } from '../core/tensor.js';
import { InputLayer } from '../layers/inputLayer.js';
import type { Layer } from '../layers/layer.js';
import { Recurrent } from '../layers/recurrent.js';
import { Bidirectional } from '../layers/bidirectional.js';
import { Embedding } from '../layers/embedding.js';
import { Masking } from '../layers/masking.js';
import { TimeSlice } from '../layers/timeSlice.js';
import { SymbolicTensor } from '../layers/node.js';
import { lossFromConfig } from '../losses/index.js';
import { optimizerFromConfig } from '../optimizers/index.js';
import { dialectOf, fromKerasConfig, layerFromKeras, type Dialect, type KerasLayerJSON, type KerasModelJSON } from '../io/config.js';
import { concatShards, decodeWeights, matchWeights } from '../io/weights.js';
import { withNonFiniteWeights, withWeightBudget } from '../layers/layer.js';
import { Model } from './model.js';
import { Sequential } from './sequential.js';
import { TEXT_INPUTS_KEY, type ModelJSON, type RnnkitTrainingConfig, type TrainingConfig } from './saving.js';
import { TFJS_ONLY_SLOT, tfjsOptimizer } from '../io/tfjsTraining.js';
import { KERAS3_OPS, keras3Op, tfOpLambda, type OpReading } from '../io/kerasOps.js';
import { splitTextInputs, type TextSources, type UsedNames } from '../io/kerasText.js';
import { TextVectorizer, type TextFunction, type TextVectorizerConfig } from '../text/vectorizer.js';
import type { Optimizer, OptimizerStateInput } from '../optimizers/index.js';

/** The class names of models (a model may be a layer of another). */
const MODEL_CLASSES = new Set(['Sequential', 'Model', 'Functional']);

/** Rebuild a model from artifacts; weights come from the data, initializers never run. */
export function modelFromArtifacts(
  modelJson: ModelJSON,
  shards: ArrayBuffer | ArrayBuffer[],
  where: string,
  options: { maxBytes?: number; checkFinite?: boolean; compile?: boolean; customObjects?: TextSources['customObjects'] } = {},
): Model {
  const raw = modelJson.modelTopology as Record<string, unknown>;
  if (raw === null || typeof raw !== 'object') throw new ModelFormatError(`${where}: modelTopology must be an object`);
  const topology = (raw.model_config ?? raw) as KerasModelJSON;
  const dialect = dialectOf({ keras_version: raw.keras_version ?? topology.keras_version }, modelJson.generatedBy);
  // Layers allocate their weights as they are built, 8 bytes a value (value and gradient).
  // The manifest says how many values the file holds, and every weight must come from it:
  // under that budget a config asking for `units: 1e9` is refused before anything is taken.
  const manifestValues = modelJson.weightsManifest.reduce((n, g) => n + (Array.isArray(g?.weights) ? g.weights.reduce((m, w) => m + (Array.isArray(w?.shape) ? w.shape.reduce((a, b) => a * b, 1) : 0), 0) : 0), 0);
  // (64 MiB of slack: a weight missing from the manifest is then named by matchWeights.)
  // rnnkit's own text inputs (saving.ts TEXT_INPUTS_KEY) first: the customObjects they take are
  // not for the topology's TextVectorization layers (of a file converted from Keras).
  const meta = modelJson.userDefinedMetadata;
  const { [TEXT_INPUTS_KEY]: texts, ...rest } = meta !== undefined && meta !== null && typeof meta === 'object' ? meta : {};
  const taken: Set<string> = new Set();
  const textInputs = texts === undefined ? [] : readTextInputs(texts, `${where}: userDefinedMetadata.${TEXT_INPUTS_KEY}`, options.customObjects ?? {}, taken);
  const customObjects = Object.fromEntries(Object.entries(options.customObjects ?? {}).filter(([name]) => !taken.has(name)));
  const model = withWeightBudget(8 * Math.min(manifestValues, (options.maxBytes ?? 2 ** 31) / 4) + 2 ** 26, () => modelFromKeras(topology, dialect, where, { customObjects }));

  const specs = modelJson.weightsManifest.flatMap((g) => g.weights);
  const data = Array.isArray(shards) ? concatShards(shards) : shards;
  const stored = decodeWeights(data, specs, where);
  if (options.checkFinite !== false) {
    for (const [name, w] of stored) {
      const i = w.data.findIndex((v) => !Number.isFinite(v));
      if (i >= 0) throw new ModelFormatError(`${where}: weight '${name}' holds ${w.data[i]} at index ${i}; loadModel refuses non-finite weights (checkFinite: false loads them anyway)`);
    }
  }
  const optimizerEntries = new Map<string, { shape: number[]; data: Float32Array }>();
  // tfjs's own optimizer state: group 'optimizer', its own names, read by position (see stateFromTfjs)
  const tfjsState: { name: string; data: Float32Array }[] = [];
  for (const [k, v] of stored) {
    if (k.startsWith('optimizer/')) {
      optimizerEntries.set(k.slice('optimizer/'.length), v);
      stored.delete(k);
    } else if (v.group === 'optimizer') {
      tfjsState.push({ name: k, data: v.data });
      stored.delete(k);
    }
  }
  const paths = model.weightPaths();
  const expected = model.weights.map((w, i) => {
    const key = paths[i]!;
    const cut = key.indexOf('/');
    return { key, layer: key.slice(0, cut), name: key.slice(cut + 1), shape: [...w.shape] };
  });
  const values = matchWeights(expected, stored, where);
  const set = (): void => model.setWeights(values.map((v, i) => new Tensor(v, expected[i]!.shape)));
  if (options.checkFinite === false) withNonFiniteWeights(set);
  else set();

  for (const { input, vectorizer, at } of textInputs) {
    try {
      model.setTextInput(vectorizer, input);
    } catch (err) {
      throw new ModelFormatError(`${at}: ${(err as Error).message}`);
    }
  }
  if (meta !== undefined && meta !== null && typeof meta === 'object') model.metadata = texts === undefined ? meta : Object.keys(rest).length > 0 ? rest : undefined;
  const tc = modelJson.trainingConfig;
  if (tc !== undefined && tc !== null && options.compile !== false) compileFromTrainingConfig(model, tc, optimizerEntries, tfjsState, where);
  return model;
}

/**
 * The text inputs model.save stored (saving.ts TEXT_INPUTS_KEY), checked as untrusted input; a
 * function option saved by name is taken from customObjects (its name added to `taken`).
 */
function readTextInputs(texts: unknown, at: string, customObjects: Readonly<Record<string, TextFunction>>, taken: Set<string>): { input: number; vectorizer: TextVectorizer; at: string }[] {
  if (!Array.isArray(texts)) throw new ModelFormatError(`${at}: expected a list, got ${show(texts)?.slice(0, 80)}`);
  return texts.map((t, k) => {
    const e = t as { input?: unknown; name?: unknown; vectorizer?: unknown } | null;
    const here = `${at}[${k}]`;
    if (e === null || typeof e !== 'object' || Object.keys(e).some((key) => !['input', 'name', 'vectorizer'].includes(key))) throw new ModelFormatError(`${here}: expected {input, name, vectorizer}, got ${show(t)?.slice(0, 80)}`);
    try {
      return { input: e.input as number, vectorizer: TextVectorizer.fromConfig(e.vectorizer as TextVectorizerConfig, customObjects, taken), at: here };
    } catch (err) {
      throw new ModelFormatError(`${here}: ${(err as Error).message}`);
    }
  });
}

/** A model (weights zero, for a loader to fill) from its Keras topology; `text`: what its TextVectorization layers need beside it (io/kerasText.ts). */
export function modelFromKeras(topology: KerasModelJSON, dialect: Dialect, where: string, text: TextSources = {}): Model {
  return kerasModelParts(topology, dialect, where, text).model;
}

/**
 * modelFromKeras, also giving the topology the graph was built from (the TextVectorization
 * layers split off into text inputs, io/kerasText.ts), whose layers the weights' paths follow.
 * A customObjects entry no layer used is refused: it would otherwise be a silently ignored argument.
 */
export function kerasModelParts(topology: KerasModelJSON, dialect: Dialect, where: string, text: TextSources): { model: Model; topology: KerasModelJSON } {
  if (topology === null || typeof topology !== 'object') throw new ModelFormatError(`${where}: the topology must be an object`);
  const c = topology.config as unknown;
  // Checked before anything reads the graph: a Sequential's {name, layers} under a graph's class
  // name (published so) would otherwise fail later on a symptom (a TextVectorization 'called 0 times').
  if ((topology.class_name === 'Model' || topology.class_name === 'Functional') && c !== null && typeof c === 'object' && !Array.isArray(c) && !('input_layers' in c)) {
    throw new ModelFormatError(`${where}: a ${topology.class_name} config without input_layers (its keys: ${Object.keys(c).join(', ')}); a graph names its inputs, outputs and each layer's inbound_nodes, and these layers form no graph (Keras cannot read it either)`);
  }
  const used: UsedNames = new Set();
  const split = splitTextInputs(topology, where, text, used);
  const unused = Object.keys(text.customObjects ?? {}).filter((n) => !used.has(n));
  if (unused.length > 0) throw new RangeError(`loadModel: customObjects ${unused.map((n) => `'${n}'`).join(', ')} ${unused.length === 1 ? 'is' : 'are'} named by no TextVectorization of ${where} (rnnkit uses customObjects for a TextVectorization's standardize and split functions)`);
  const t = split.topology;
  let model: Model;
  if (t.class_name === 'Sequential') model = sequentialFromKeras(t, dialect, where);
  else if (t.class_name === 'Model' || t.class_name === 'Functional') model = graphFromKeras(t, dialect, where);
  else throw new ModelFormatError(`${where}: unknown model class '${String(t.class_name)}'; rnnkit reads Sequential, Model and Functional`);
  for (const { input, vectorizer } of split.textInputs) {
    try {
      model.setTextInput(vectorizer, input);
    } catch (e) {
      throw new ModelFormatError(`${where} (TextVectorization '${vectorizer.name}'): ${(e as Error).message}`);
    }
  }
  return { model, topology: t };
}

/** One layer of a topology: a nested model, an input layer, or a registered layer. */
function layerOf(json: KerasLayerJSON, dialect: Dialect, where: string): Layer {
  if (json !== null && typeof json === 'object' && MODEL_CLASSES.has(json.class_name)) {
    const nested = modelFromKeras({ class_name: json.class_name, config: json.config as KerasModelJSON['config'] }, dialect, `${where} (${json.class_name} '${String(json.config?.name)}')`);
    if (json.config?.trainable === false) nested.trainable = false;
    return nested;
  }
  if (json?.class_name === 'InputLayer') return inputLayerOf(json, dialect, where);
  return layerFromKeras(json, dialect, where, layerOf);
}

/**
 * An InputLayer from its Keras config, every option checked: a graph keeps it as its input;
 * a Sequential topology passes its shape on to the first layer (sequentialFromKeras), after
 * the same checks, so that sparse, ragged, optional or a dtype rnnkit has no form for are
 * refused there too rather than dropped.
 */
function inputLayerOf(json: KerasLayerJSON, dialect: Dialect, where: string): InputLayer {
  const c = fromKerasConfig(json.config ?? {}, dialect, where);
  const at = `${where} (InputLayer '${String(c.name)}')`;
  const batch = c.batchInputShape ?? c.batchShape;
  if (batch === undefined) throw new ModelFormatError(`${at}: no batch_input_shape or batch_shape`);
  for (const [k, v] of Object.entries(c)) {
    if (['name', 'batchInputShape', 'batchShape', 'dtype', 'sparse'].includes(k)) continue;
    // Keras writes these with their defaults; anything else would change the input.
    if ((k === 'ragged' || k === 'optional') && v === false) continue;
    if (k === 'trainable') continue;
    throw new ModelFormatError(`${at}: option '${k}' = ${JSON.stringify(v)} is not supported`);
  }
  const dtype = c.dtype === undefined ? undefined : inputDtype(c.dtype, at);
  try {
    return new InputLayer({ name: c.name as string, batchInputShape: batch as (number | null)[], ...(dtype === undefined ? {} : { dtype: dtype as 'float32' }), ...(c.sparse === undefined ? {} : { sparse: c.sparse as boolean }) });
  } catch (e) {
    throw new ModelFormatError(`${at}: ${(e as Error).message}`);
  }
}

/**
 * A saved input's dtype as rnnkit holds it. Integer inputs (token ids; Keras examples write
 * `Input(shape=(None,), dtype="int64")`) are int32 here: ids travel as float32, exact below
 * 2^24, and Embedding reads them the same. A float64 input is cast to float32 by Keras's
 * first float32 layer, as rnnkit stores it. float16/bfloat16 would round the data first and
 * are refused, as is anything else.
 */
function inputDtype(d: unknown, at: string): 'float32' | 'int32' {
  const name = typeof d === 'string' ? d : (d as { config?: { name?: unknown } } | null)?.config?.name;
  if (name === 'float32' || name === 'float64') return 'float32';
  if (typeof name === 'string' && /^u?int(8|16|32|64)$/.test(name)) return 'int32';
  throw new ModelFormatError(`${at}: dtype ${show(d)?.slice(0, 80)} is not supported (rnnkit's inputs are float32, or integers for token ids)`);
}

function sequentialFromKeras(topology: KerasModelJSON, dialect: Dialect, where: string): Sequential {
  // Keras 2.0/2.1 (and the tfjs converters of that time) wrote a Sequential config as the
  // bare list of layers, not {name, layers}; tfjs reads both.
  const bare = Array.isArray(topology.config);
  const list: unknown = bare ? topology.config : topology.config?.layers;
  if (!Array.isArray(list)) throw new ModelFormatError(`${where}: modelTopology.config.layers is missing or not a list`);
  const layers: Layer[] = [];
  let pendingInput: unknown = null;
  list.forEach((l, i) => {
    const at = `${where}: layer ${i}`;
    if (l?.class_name === 'InputLayer') {
      const c = l.config ?? {};
      pendingInput = c.batch_input_shape ?? c.batch_shape ?? null;
      if (pendingInput === null) throw new ModelFormatError(`${at} (InputLayer): no batch_input_shape or batch_shape`);
      // Only its shape is passed on, but every option is checked as a graph's input is.
      inputLayerOf(l, dialect, at);
      return;
    }
    const json = pendingInput === null || MODEL_CLASSES.has(l?.class_name) ? l : { ...l, config: { ...l.config, batch_input_shape: pendingInput } };
    const layer = layerOf(json, dialect, at);
    if (MODEL_CLASSES.has(l?.class_name) && pendingInput !== null) throw new ModelFormatError(`${at}: a nested model cannot follow an InputLayer in a Sequential topology here`);
    pendingInput = null;
    layers.push(layer);
  });
  if (layers.length === 0) throw new ModelFormatError(`${where}: the model has no layers`);
  const seen = new Set<string>();
  for (const l of layers) {
    if (seen.has(l.name)) throw new ModelFormatError(`${where}: two layers are named '${l.name}'`);
    seen.add(l.name);
  }
  const first = layers[0]!;
  const declared = first.batchInputShape ?? (first instanceof Model ? [null, ...first.inputShape] : null);
  if (declared === null) throw new ModelFormatError(`${where}: the first layer declares no input shape (batch_input_shape)`);
  try {
    return Sequential.assemble(typeof topology.config.name === 'string' ? topology.config.name : undefined, layers, declared.slice(1));
  } catch (e) {
    throw new ModelFormatError(`${where}: ${(e as Error).message}`);
  }
}

/** A reference to a tensor in a saved graph: [layer, node, tensor]. */
type Ref = [string, number, number];

/** One saved call, read from any dialect: its main inputs, its initial states, its call options. */
interface CallData {
  inputs: Ref[];
  states: Ref[];
  args: Record<string, boolean | number | string | null>;
  /** A Keras 3 explicit `mask` argument: the tensor it names (checked in graphFromKeras). */
  mask?: Ref;
  /** Keras 3's per-input masks of a layer with keywordInputs (MultiHeadAttention's query_mask, …): [input index, the tensor named]. */
  inputMasks?: [number, Ref][];
}

/**
 * Keras 3 writes a model cut from a trained one (a seq2seq inference encoder) with the
 * mask an Embedding(mask_zero) computes as an op of its own: a 'NotEqual' entry
 * (module keras.src.ops.numpy) computing not_equal(x, 0) of the Embedding's input, its
 * output passed to the next layer as `mask=`. Each of its calls: the tensor compared.
 */
function notEqualZeroCalls(l: KerasLayerJSON & { module?: unknown }, at: string): Ref[] | null {
  if (l?.class_name !== 'NotEqual' || typeof l.module !== 'string' || !l.module.startsWith('keras.src.ops')) return null;
  const nodes = l.inbound_nodes ?? [];
  if (!Array.isArray(nodes) || nodes.length === 0) throw new ModelFormatError(`${at}: a NotEqual op with no inbound nodes`);
  return nodes.map((n, k) => {
    const d = n as { args?: unknown; kwargs?: unknown };
    const kw = d?.kwargs;
    const noKwargs = kw === undefined || kw === null || (typeof kw === 'object' && Object.keys(kw).length === 0);
    const args = Array.isArray(d?.args) ? d.args : null;
    const ref = args !== null && args.length === 2 ? asRef(args[0], `${at}: inbound node ${k}`) : null;
    if (ref === null || args![1] !== 0 || !noKwargs) {
      throw new ModelFormatError(`${at}: inbound node ${k}: rnnkit reads a NotEqual op only as Keras 3 writes an Embedding's mask, not_equal(x, 0); got ${show(n)?.slice(0, 120)}`);
    }
    return ref;
  });
}

/** Keras 3 ops rnnkit reads, by class name: the merge layer computing the same for two tensors of one rank. */
const KERAS_OP_MERGES: Readonly<Record<string, string>> = table({ Add: 'Add', Subtract: 'Subtract', Multiply: 'Multiply' });

/**
 * Keras 3 writes an operator on Keras tensors in the model code (`x + attn`, `x - y`,
 * `x * gate`: keras.ops.add, …) as an entry of its own, module keras.src.ops.*, called on
 * two positional tensors. Transformer blocks write their residual connections so. Each
 * call of Add, Subtract or Multiply on two tensors of the same rank is read as rnnkit's
 * merge layer of that name: for equal ranks numpy's broadcast and the merge layers' agree.
 * A tensor plus or minus a float32 constant or a number (`x + positional_encoding`) is
 * read by constantShift. Any other op or operand is refused: reading an op by a layer's
 * name could compute something else. (A NotEqual op, an Embedding's mask, is read by
 * notEqualZeroCalls.) Returns the layer entry to read in its place, or null when `l` is no op.
 */
function kerasOpAsLayer(l: KerasLayerJSON & { module?: unknown }, name: string, at: string): OpReading | null {
  if (l?.class_name === 'TFOpLambda' || l?.class_name === 'SlicingOpLambda') {
    return tfOpLambda(l, name, at, asRef, (op, x, c, what) => constantShift(op, [{ args: [x, c], kwargs: {} }], name, what, at)!);
  }
  const constantMerge = keras3MergeWithConstant(l, name, at);
  if (constantMerge !== null) return { json: constantMerge };
  if (typeof l?.module !== 'string' || !l.module.startsWith('keras.src.ops')) return null;
  const what = `the Keras 3 op '${l.class_name}' (${l.module}: keras.ops.… or an operator such as + on Keras tensors in the model code)`;
  const merge = KERAS_OP_MERGES[l.class_name];
  if (merge === undefined && (KERAS3_OPS.includes(l.class_name) || ['Sum', 'Divide', 'TrueDivide', 'Matmul'].includes(l.class_name))) return keras3Op(l, name, what, at, asRef);
  if (merge === undefined) throw new ModelFormatError(`${at}: ${what} is not supported; rnnkit reads Add, Subtract and Multiply of two tensors (x + y, x - y, x * y), x ± a constant, and ${KERAS3_OPS.join(', ')} where an rnnkit layer computes the same`);
  const nodes = l.inbound_nodes ?? [];
  if (!Array.isArray(nodes) || nodes.length === 0) throw new ModelFormatError(`${at}: ${what} has no inbound nodes`);
  const shift = constantShift(l.class_name, nodes, name, what, at);
  if (shift !== null) return { json: shift };
  const calls = nodes.map((n, k) => {
    const d = n as { args?: unknown; kwargs?: unknown };
    const kw = d?.kwargs;
    if (kw !== undefined && kw !== null && (typeof kw !== 'object' || Object.keys(kw).length > 0)) throw new ModelFormatError(`${at}: inbound node ${k}: ${what} with keyword arguments is not supported`);
    if (!Array.isArray(d?.args) || d.args.length !== 2) throw new ModelFormatError(`${at}: inbound node ${k}: ${what} must take two tensors, got ${show(d?.args)?.slice(0, 80)}`);
    const ranks = d.args.map((a) => {
      const cls = (a as { class_name?: unknown } | null)?.class_name;
      if (cls === '__tensor__' || typeof a === 'number') throw new ModelFormatError(`${at}: inbound node ${k}: ${what} has a constant operand; rnnkit reads one only as x + c, c + x or x - c (c a float32 constant or a number) in an op called once`);
      if (asRef(a, at) === null) throw new ModelFormatError(`${at}: inbound node ${k}: ${what} has an operand that is not a Keras tensor (${show(a)?.slice(0, 60)}); rnnkit reads it only on two tensors`);
      const shape = (a as { config?: { shape?: unknown } }).config?.shape;
      return Array.isArray(shape) ? shape.length : null;
    });
    if (ranks[0] !== null && ranks[1] !== null && ranks[0] !== ranks[1]) throw new ModelFormatError(`${at}: inbound node ${k}: ${what} on tensors of ranks ${ranks[0]} and ${ranks[1]} is not supported (numpy broadcasting aligns them differently from Keras's merge layers)`);
    return { args: [d.args], kwargs: {} };
  });
  return { json: { class_name: merge, config: { name }, inbound_nodes: calls } };
}

/**
 * Keras 3's Add or Subtract layer called on a tensor and a constant (`layers.Add()([x,
 * positional_encoding])`: the inbound node's one argument a list holding a `__tensor__`): the
 * same x + c (or x - c) as the op form, read by constantShift. Only a constant of the tensor's
 * rank: for other ranks Keras's merge layers insert axes at 1, not as numpy broadcasts. Null
 * where `l` is no such call.
 */
function keras3MergeWithConstant(l: KerasLayerJSON & { module?: unknown }, name: string, at: string): KerasLayerJSON | null {
  if (l?.module !== 'keras.layers' || (l.class_name !== 'Add' && l.class_name !== 'Subtract') || !Array.isArray(l.inbound_nodes)) return null;
  const list = (n: unknown): unknown[] | null => {
    const args = (n as { args?: unknown } | null)?.args;
    return Array.isArray(args) && args.length === 1 && Array.isArray(args[0]) ? (args[0] as unknown[]) : null;
  };
  const isConstant = (a: unknown): boolean => (a as { class_name?: unknown } | null)?.class_name === '__tensor__';
  if (!l.inbound_nodes.some((n) => list(n)?.some(isConstant) === true)) return null;
  const what = `Keras's ${l.class_name} layer on a constant`;
  // A merge layer has no options but its dtype policy: another one would add in another precision.
  const dtype = (l.config as { dtype?: unknown } | undefined)?.dtype;
  const policy = typeof dtype === 'string' ? dtype : (dtype as { config?: { name?: unknown } } | null | undefined)?.config?.name;
  if (policy !== undefined && policy !== null && policy !== 'float32') throw new ModelFormatError(`${at}: ${what} with dtype policy ${show(policy)} is not supported; rnnkit computes in float32`);
  const nodes = l.inbound_nodes.map((n) => ({ args: list(n) ?? [], kwargs: (n as { kwargs?: unknown } | null)?.kwargs }));
  const operands = nodes[0]!.args;
  const tensor = operands.find((a) => !isConstant(a));
  const constant = operands.find(isConstant) as { config?: { value?: unknown } };
  const tensorRank = (tensor as { config?: { shape?: unknown } } | undefined)?.config?.shape;
  let rank = 0;
  for (let v = constant.config?.value; Array.isArray(v); v = v[0]) rank++;
  if (operands.length === 2 && Array.isArray(tensorRank) && tensorRank.length !== rank) {
    throw new ModelFormatError(`${at}: ${what} of rank ${rank} added to a tensor of rank ${tensorRank.length} is not supported (Keras's merge layers insert the missing axes at axis 1, not as numpy broadcasts); rnnkit reads a constant of the tensor's rank`);
  }
  return constantShift(l.class_name, nodes, name, what, at);
}

/**
 * `x + c`, `c + x` or `x - c` with c a constant (a `__tensor__`, such as a positional
 * encoding added to the input, or a number): read as Normalization({axis, mean: ∓c,
 * variance: 1}) over the trailing axes c spans, which computes (x - mean) / max(√1, 1e-7):
 * in float32 exactly x + c (negation and division by 1 are exact), with c broadcast as numpy
 * broadcasts it (aligned right; c's leading unit axes dropped). Only a float32 constant (a
 * float64 one would make Keras add in float64) and only an op called once (one layer holds
 * one constant). Returns null when neither operand is a constant.
 */
function constantShift(op: string, nodes: unknown[], name: string, what: string, at: string): KerasLayerJSON | null {
  const isConstant = (a: unknown) => typeof a === 'number' || (a as { class_name?: unknown } | null)?.class_name === '__tensor__';
  const args = (nodes[0] as { args?: unknown } | null)?.args;
  if (!Array.isArray(args) || !args.some(isConstant)) return null;
  const fail = (why: string): never => {
    throw new ModelFormatError(`${at}: ${what} has a constant operand: ${why}; rnnkit reads one only as x + c, c + x or x - c (c a float32 constant or a number) in an op called once`);
  };
  if (nodes.length !== 1) fail(`the op is called ${nodes.length} times`);
  const kw = (nodes[0] as { kwargs?: unknown }).kwargs;
  if (kw !== undefined && kw !== null && (typeof kw !== 'object' || Object.keys(kw).length > 0)) fail('it has keyword arguments');
  if (args.length !== 2 || args.every(isConstant)) fail('it must take one tensor and one constant');
  const at0 = isConstant(args[0]);
  if (op !== 'Add' && !(op === 'Subtract' && !at0)) fail(`${op === 'Subtract' ? 'c - x' : op} is not a shift`);
  const [c, x] = at0 ? [args[0], args[1]] : [args[1], args[0]];
  if (asRef(x, at) === null) fail(`the other operand is not a Keras tensor (${show(x)?.slice(0, 60)})`);
  let value: unknown;
  if (typeof c === 'number') value = c;
  else {
    const cfg = (c as { config?: { value?: unknown; dtype?: unknown } }).config;
    if (cfg?.dtype !== 'float32') fail(`its dtype is ${show(cfg?.dtype)}, not float32`);
    value = cfg!.value;
  }
  // Numpy broadcasting aligns c at the right: its leading unit axes change nothing.
  while (Array.isArray(value) && value.length === 1 && Array.isArray(value[0])) value = value[0];
  let rank = 0;
  for (let v = value; Array.isArray(v); v = v[0]) rank++;
  const negate = (v: unknown): unknown => (Array.isArray(v) ? v.map(negate) : typeof v === 'number' ? -v : v);
  return {
    class_name: 'Normalization',
    // mean and variance are checked (finite, rectangular, broadcastable to the kept axes) by the layer.
    config: { name, axis: rank === 0 ? -1 : Array.from({ length: rank }, (_, i) => i - rank), mean: op === 'Add' ? negate(value) : value, variance: 1, invert: false },
    inbound_nodes: [{ args: [x], kwargs: {} }],
  };
}

function graphFromKeras(topology: KerasModelJSON, dialect: Dialect, where: string): Model {
  const c = topology.config;
  if (c === null || typeof c !== 'object' || !Array.isArray(c.layers)) throw new ModelFormatError(`${where}: modelTopology.config.layers is missing or not a list`);
  // The layers, by name.
  const layers = new Map<string, Layer>();
  const pending: { layer: Layer; calls: CallData[]; at: string }[] = [];
  const maskOps = new Map<string, Ref[]>();
  // Layers read from Keras 3 ops (kerasOpAsLayer).
  const ops = new Set<string>();
  // Their checks of the input shapes (kerasOps.ts), made when the call is built.
  const opChecks = new Map<string, NonNullable<OpReading['check']>>();
  c.layers.forEach((l, i) => {
    const name = typeof l?.name === 'string' ? l.name : typeof l?.config?.name === 'string' ? (l.config.name as string) : undefined;
    const at = `${where}: layer ${i}${name === undefined ? '' : ` '${name}'`}`;
    if (name === undefined) throw new ModelFormatError(`${at}: no name`);
    if (layers.has(name) || maskOps.has(name)) throw new ModelFormatError(`${where}: two layers are named '${name}'`);
    const compared = notEqualZeroCalls(l, at);
    if (compared !== null) {
      maskOps.set(name, compared);
      return;
    }
    const op = kerasOpAsLayer(l, name, at);
    if (op !== null) {
      ops.add(name);
      l = op.json;
      if (op.check !== undefined) opChecks.set(name, op.check);
    }
    const layer = layerOf({ class_name: l.class_name, config: { ...l.config, name } }, dialect, at);
    layers.set(name, layer);
    const nodes = l.inbound_nodes ?? [];
    if (!Array.isArray(nodes)) throw new ModelFormatError(`${at}: inbound_nodes must be a list`);
    const calls = nodes.map((n, k) => readCall(n, layer, `${at}: inbound node ${k}`));
    if (layer instanceof InputLayer && calls.length > 0) throw new ModelFormatError(`${at}: an InputLayer has no inbound nodes`);
    pending.push({ layer, calls, at });
  });
  // Each layer's saved node k → the output tensors its k-th call made here.
  const made = new Map<string, SymbolicTensor[][]>();
  for (const [name, l] of layers) if (l instanceof InputLayer) made.set(name, [[l.output]]);
  const tensorOf = (r: Ref, at: string): SymbolicTensor | undefined => {
    if (maskOps.has(r[0])) throw new ModelFormatError(`${at}: uses the output of the NotEqual op '${r[0]}' as an input; rnnkit takes it only as the mask argument of the layer after the Embedding whose mask it is`);
    if (!layers.has(r[0])) throw new ModelFormatError(`${at}: refers to layer '${r[0]}', which the model does not have`);
    const outs = made.get(r[0])?.[r[1]];
    if (outs === undefined) return undefined;
    const t = outs[r[2]];
    if (t === undefined) throw new ModelFormatError(`${at}: refers to output ${r[2]} of layer '${r[0]}' (node ${r[1]}), which has ${outs.length} output${outs.length === 1 ? '' : 's'}`);
    return t;
  };
  // An explicit mask is taken where it is the mask rnnkit passes on anyway: not_equal(x, 0)
  // of x, the input of the Embedding(mask_zero) whose output is this call's one input.
  const checkOwnEmbeddingMask = (call: CallData, at: string, m: Ref = call.mask!, input: number | null = null): void => {
    const compared = maskOps.get(m[0])?.[m[1]];
    const fail = (why: string): never => {
      throw new ModelFormatError(`${at}: an explicit mask argument (${JSON.stringify(m)}) is not supported: ${why}; rnnkit takes one only where it equals the mask an Embedding(mask_zero) passes on (masks otherwise travel from Embedding(maskZero) or Masking)`);
    };
    if (compared === undefined || m[2] !== 0) return fail(`it is not the output of a NotEqual op computing not_equal(x, 0)`);
    if (input === null && call.inputs.length !== 1) return fail(`the layer has ${call.inputs.length} inputs`);
    const [src, node] = call.inputs[input ?? 0]!;
    const emb = layers.get(src);
    if (!(emb instanceof Embedding) || !emb.maskZero) return fail(`the layer's input comes from '${src}', not from an Embedding with mask_zero`);
    const embInput = pending.find((p) => p.layer === emb)?.calls[node]?.inputs;
    if (embInput === undefined || embInput.length !== 1 || embInput[0]!.some((v, i) => v !== compared[i])) return fail(`it compares ${JSON.stringify(compared)}, not the input of '${src}'`);
  };
  // A Keras 3 op drops the step mask (masks ride on layers' outputs only, Layer.__call__),
  // while rnnkit's merge layers pass theirs on: an op is read only where no mask can reach
  // it, i.e. nothing upstream is an Embedding(mask_zero), a Masking or a nested model.
  const byName = new Map(pending.map((p) => [p.layer.name, p]));
  const masked = new Map<string, boolean>();
  const mayCarryMask = (r: Ref): boolean => {
    const key = `${r[0]}/${r[1]}`;
    const known = masked.get(key);
    if (known !== undefined) return known;
    masked.set(key, false); // a cycle is reported below; here it adds nothing
    const p = byName.get(r[0]);
    const l = p?.layer;
    const call = p?.calls[r[1]];
    // A TimeSlice (read from a slice op) ends the mask, in Keras and here alike.
    if (l instanceof TimeSlice) return false;
    const v = (l instanceof Embedding && l.maskZero) || l instanceof Masking || l instanceof Model || (call !== undefined && [...call.inputs, ...call.states].some(mayCarryMask));
    masked.set(key, v);
    return v;
  };
  for (const name of ops) {
    const p = byName.get(name)!;
    // A slice ignores the mask and passes none on, as the op does in Keras: x[:, -1] of a
    // masked sequence is its last step's output either way.
    if (p.layer instanceof TimeSlice) continue;
    p.calls.forEach((call, k) => {
      if (call.inputs.some(mayCarryMask)) throw new ModelFormatError(`${p.at}: inbound node ${k}: the Keras 3 op '${name}' is given a tensor that may carry a step mask (an Embedding(mask_zero) or Masking upstream); Keras drops the mask at an op, the rnnkit layer read in its place would keep it, so rnnkit does not read this model`);
    });
  }
  // Calls run once their inputs exist (Keras's order: as listed, deferring what waits).
  let progress = true;
  const next = new Map<Layer, number>(pending.map((p) => [p.layer, 0]));
  while (progress) {
    progress = false;
    for (const p of pending) {
      for (let k = next.get(p.layer)!; k < p.calls.length; k = next.get(p.layer)!) {
        const call = p.calls[k]!;
        const at = `${p.at}: inbound node ${k}`;
        if (call.mask !== undefined) checkOwnEmbeddingMask(call, at);
        for (const [i, m] of call.inputMasks ?? []) checkOwnEmbeddingMask(call, at, m, i);
        const ins = call.inputs.map((r) => tensorOf(r, at));
        const states = call.states.map((r) => tensorOf(r, at));
        if (ins.some((t) => t === undefined) || states.some((t) => t === undefined)) break;
        if (ops.has(p.layer.name) && ins.length === 2 && ins[0]!.rank !== ins[1]!.rank) throw new ModelFormatError(`${at}: the Keras 3 op '${p.layer.name}' on tensors of ranks ${ins[0]!.rank} and ${ins[1]!.rank} is not supported (numpy broadcasting aligns them differently from Keras's merge layers)`);
        const why = opChecks.get(p.layer.name)?.(ins.map((t) => t!.shape));
        if (why !== undefined && why !== null) throw new ModelFormatError(`${at}: ${why}`);
        const outs = applyCall(p.layer, ins as SymbolicTensor[], states as SymbolicTensor[], call.args, at);
        const list = made.get(p.layer.name) ?? [];
        list.push(outs);
        made.set(p.layer.name, list);
        next.set(p.layer, k + 1);
        progress = true;
      }
    }
  }
  for (const p of pending) {
    const k = next.get(p.layer)!;
    if (k < p.calls.length) {
      const missing = [...p.calls[k]!.inputs, ...p.calls[k]!.states].find((r) => layers.has(r[0]) && made.get(r[0])?.[r[1]] === undefined)!;
      throw new ModelFormatError(`${p.at}: inbound node ${k} needs output ${missing[2]} of layer '${missing[0]}' (node ${missing[1]}), which is never computed (a cycle, or a node that does not exist)`);
    }
  }
  const ends = (v: unknown, what: string): SymbolicTensor[] => {
    const refs = flatRefs(v, `${where}: ${what}`);
    if (refs.length === 0) throw new ModelFormatError(`${where}: ${what} is missing or empty`);
    return refs.map((r) => {
      const t = tensorOf(r, `${where}: ${what}`);
      if (t === undefined) throw new ModelFormatError(`${where}: ${what} names output ${r[2]} of layer '${r[0]}' (node ${r[1]}), which is never computed`);
      return t;
    });
  };
  const inputs = ends(c.input_layers, 'input_layers');
  const outputs = ends(c.output_layers, 'output_layers');
  try {
    return new Model({ inputs, outputs, name: typeof c.name === 'string' ? c.name : undefined });
  } catch (e) {
    throw new ModelFormatError(`${where}: ${(e as Error).message}`);
  }
}

/** Call a layer on loaded tensors (built without running initializers: the weights come from the file). */
function applyCall(layer: Layer, inputs: SymbolicTensor[], states: SymbolicTensor[], args: CallData['args'], at: string): SymbolicTensor[] {
  try {
    if (!layer.isBuilt) layer.buildCall([...inputs, ...states].map((t) => t.shape.slice(1)), { stateCount: states.length, args }, false);
    const out = layer.apply(inputs.length === 1 ? inputs[0]! : inputs, { ...args, ...(states.length > 0 ? { initialState: states } : {}) }) as SymbolicTensor | SymbolicTensor[];
    return Array.isArray(out) ? out : [out];
  } catch (e) {
    if (e instanceof ModelFormatError) throw e;
    throw new ModelFormatError(`${at} (${layer.where}): ${(e as Error).message}`);
  }
}

/** Whether a layer takes initial states as extra inputs (tfjs writes them so). */
function takesStates(layer: Layer): boolean {
  return layer instanceof Recurrent || layer instanceof Bidirectional;
}

/** A [layer, node, tensor] reference, or a Keras 3 `__keras_tensor__`'s keras_history. */
function asRef(v: unknown, at: string): Ref | null {
  if (Array.isArray(v) && v.length >= 3 && typeof v[0] === 'string' && Number.isInteger(v[1]) && Number.isInteger(v[2])) {
    if ((v[1] as number) < 0 || (v[2] as number) < 0) throw new ModelFormatError(`${at}: negative node or tensor index in ${JSON.stringify(v).slice(0, 80)}`);
    return [v[0], v[1] as number, v[2] as number];
  }
  if (v !== null && typeof v === 'object' && (v as { class_name?: unknown }).class_name === '__keras_tensor__') {
    const h = (v as { config?: { keras_history?: unknown } }).config?.keras_history;
    const r = asRef(h, at);
    if (r === null) throw new ModelFormatError(`${at}: a __keras_tensor__ without a valid keras_history`);
    return r;
  }
  return null;
}

/** Every tensor reference in a (possibly nested) structure, in order. */
function flatRefs(v: unknown, at: string): Ref[] {
  const r = asRef(v, at);
  if (r !== null) return [r];
  if (Array.isArray(v)) return v.flatMap((e) => flatRefs(e, at));
  if (v !== null && typeof v === 'object') return Object.values(v).flatMap((e) => flatRefs(e, at));
  throw new ModelFormatError(`${at}: expected a tensor reference [layer, node, tensor], got ${show(v)?.slice(0, 80)}`);
}

/** Call options a saved node may carry, per dialect spelling → rnnkit's. */
const CALL_OPTIONS: Record<string, string> = table({ training: 'training' });

/** Read one saved call in the tfjs / Keras 2 list form or the Keras 3 dict form. */
function readCall(node: unknown, layer: Layer, at: string): CallData {
  let inputs: Ref[];
  let kwargs: Record<string, unknown> = {};
  const keywordInputs = (layer as { keywordInputs?: readonly string[] }).keywordInputs ?? [];
  const refused = (layer as { refusedCallArgs?: Readonly<Record<string, string>> }).refusedCallArgs ?? {};
  if (Array.isArray(node)) {
    // [[layer, node, tensor, kwargs?], …]: kwargs ride on the entries (tfjs repeats them on each).
    if (node.length === 0) throw new ModelFormatError(`${at}: an empty inbound node`);
    inputs = node.map((e) => {
      const r = asRef(e, at);
      if (r === null) throw new ModelFormatError(`${at}: expected [layer, node, tensor, kwargs], got ${show(e)?.slice(0, 80)}`);
      if (Array.isArray(e) && e[0] === '_CONSTANT_VALUE') throw new ModelFormatError(`${at}: constant call arguments are not supported`);
      const k = Array.isArray(e) ? e[3] : undefined;
      if (k !== undefined && k !== null) {
        if (typeof k !== 'object' || Array.isArray(k)) throw new ModelFormatError(`${at}: node kwargs must be an object`);
        kwargs = { ...kwargs, ...(k as Record<string, unknown>) };
      }
      return r;
    });
  } else if (node !== null && typeof node === 'object') {
    const d = node as { args?: unknown; kwargs?: unknown };
    if (!Array.isArray(d.args)) throw new ModelFormatError(`${at}: expected {args: [...], kwargs: {...}}`);
    // MultiHeadAttention is called as mha(query, value, key=…): each positional argument one input.
    if (keywordInputs.length > 0) inputs = d.args.map((a) => flatRefs(a, at)).map((r) => {
      if (r.length !== 1) throw new ModelFormatError(`${at}: ${layer.where} takes one tensor per argument, got ${r.length}`);
      return r[0]!;
    });
    else if (d.args.length !== 1) throw new ModelFormatError(`${at}: ${d.args.length} positional arguments; rnnkit layers take their inputs as the first only`);
    else inputs = flatRefs(d.args[0], at);
    if (d.kwargs !== undefined && d.kwargs !== null) {
      if (typeof d.kwargs !== 'object' || Array.isArray(d.kwargs)) throw new ModelFormatError(`${at}: kwargs must be an object`);
      kwargs = d.kwargs as Record<string, unknown>;
    }
  } else {
    throw new ModelFormatError(`${at}: expected a list of inputs or {args, kwargs}, got ${show(node)?.slice(0, 80)}`);
  }
  let states: Ref[] = [];
  let mask: Ref | undefined;
  const args: CallData['args'] = {};
  const callOptions = (layer as unknown as { callOptions: readonly string[] }).callOptions ?? [];
  // Inputs passed by keyword (Keras 3's kwargs, tf.keras 2's kwargs on the first input): each at its place.
  const byKeyword: (Ref | undefined)[] = [...inputs];
  for (const [key, v] of Object.entries(kwargs)) {
    const place = keywordInputs.indexOf(key);
    if (place < 0 || v === null || v === undefined) continue;
    const refs = flatRefs(v, `${at}: ${key}`);
    if (refs.length !== 1 || byKeyword[place] !== undefined) throw new ModelFormatError(`${at}: ${layer.where}'s ${key} is given ${refs.length !== 1 ? `as ${refs.length} tensors` : 'twice (by position and by keyword)'}`);
    byKeyword[place] = refs[0];
  }
  if (keywordInputs.length > 0) {
    const given = byKeyword.findIndex((r) => r === undefined);
    if (given >= 0 && byKeyword.slice(given).some((r) => r !== undefined)) throw new ModelFormatError(`${at}: ${layer.where} got a ${keywordInputs[byKeyword.findIndex((r, i) => r !== undefined && i > given)]} but no ${keywordInputs[given]}`);
    inputs = byKeyword.filter((r): r is Ref => r !== undefined);
  }
  const inputMasks: [number, Ref][] = [];
  for (const [key, v] of Object.entries(kwargs)) {
    if (v === null || v === undefined || keywordInputs.includes(key)) continue;
    // Keras 3 fills a list-taking layer's `mask` with its inputs' masks (Layer.__call__ step 6)
    // and saves it: an Attention on unmasked [query, value] is written with mask: [null, null].
    if (key === 'mask' && Array.isArray(v) && v.length > 0 && v.every((m) => m === null)) continue;
    const name = key.replace(/_([a-z])/g, (_, ch: string) => ch.toUpperCase());
    if (refused[name] !== undefined) throw new ModelFormatError(`${at}: call argument '${key}' of ${layer.where}: ${refused[name]}`);
    // Keras 3 passes each input's mask as <input>_mask (Layer.__call__ step 6): checked like `mask`.
    const maskOf = key.endsWith('_mask') ? keywordInputs.indexOf(key.slice(0, -5)) : -1;
    if (maskOf >= 0) {
      const refs = flatRefs(v, `${at}: ${key}`);
      if (refs.length !== 1) throw new ModelFormatError(`${at}: ${key} must name one tensor, got ${refs.length}`);
      if (maskOf >= inputs.length) throw new ModelFormatError(`${at}: ${key} is given, but ${layer.where} has no ${key.slice(0, -5)} input`);
      inputMasks.push([maskOf, refs[0]!]);
      continue;
    }
    if (name === 'initialState') {
      states = flatRefs(v, `${at}: initial_state`);
    } else if (name === 'mask') {
      const refs = flatRefs(v, `${at}: mask`);
      if (refs.length !== 1) throw new ModelFormatError(`${at}: an explicit mask argument must name one tensor, got ${refs.length}`);
      mask = refs[0];
    } else if (CALL_OPTIONS[name] !== undefined || callOptions.includes(name)) {
      if (typeof v !== 'boolean' && typeof v !== 'number' && typeof v !== 'string') throw new ModelFormatError(`${at}: call option '${key}' must be a boolean, number or string`);
      args[CALL_OPTIONS[name] ?? name] = v;
    } else {
      throw new ModelFormatError(`${at}: unsupported call argument '${key}' for ${layer.where}`);
    }
  }
  // tfjs and Keras 2 pass a recurrent layer's initial states as extra inputs.
  if (states.length === 0 && takesStates(layer) && inputs.length > 1) states = inputs.splice(1);
  return { inputs, states, args, ...(mask === undefined ? {} : { mask }), ...(inputMasks.length === 0 ? {} : { inputMasks }) };
}

function compileFromTrainingConfig(model: Model, config: TrainingConfig, state: Map<string, { data: Float32Array }>, tfjsState: readonly { name: string; data: Float32Array }[], where: string): void {
  try {
    if (config === null || typeof config !== 'object' || Array.isArray(config)) throw new ModelFormatError(`${where}: trainingConfig must be an object, got ${show(config)}`);
    const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
    // rnnkit's exact form where the file has it (the top level is then tfjs's form, see saving.ts);
    // older rnnkit files and tfjs's own hold one form, at the top level.
    if (config.rnnkit !== undefined && !isObject(config.rnnkit)) throw new ModelFormatError(`${where}: trainingConfig.rnnkit must be an object, got ${show(config.rnnkit)}`);
    const tc: RnnkitTrainingConfig = config.rnnkit ?? config;
    const lossOf = (l: unknown): unknown => {
      if (typeof l === 'string' || l === null) return l;
      if (!isObject(l) || typeof l.class_name !== 'string') throw new ModelFormatError(`${where}: trainingConfig: a loss must be a name or {class_name, config}, got ${show(l)}`);
      return lossFromConfig(l.class_name, (isObject(l.config) ? l.config : {}) as Record<string, unknown>);
    };
    const raw = tc.loss;
    const isLossJson = raw !== null && typeof raw === 'object' && !Array.isArray(raw) && typeof (raw as { class_name?: unknown }).class_name === 'string';
    const loss = Array.isArray(raw)
      ? raw.map(lossOf)
      : raw !== null && typeof raw === 'object' && !isLossJson
        ? Object.fromEntries(Object.entries(raw as Record<string, unknown>).map(([k, v]) => [k, lossOf(v)]))
        : lossOf(raw);
    const written = tc.optimizer_config;
    if (written !== undefined && (!isObject(written) || typeof written.class_name !== 'string')) throw new ModelFormatError(`${where}: trainingConfig.optimizer_config must be {class_name, config}, got ${show(written)}`);
    const oc = written === undefined || config.rnnkit !== undefined ? written : fromTfjsOptimizerConfig(written);
    const optimizer = oc === undefined ? 'rmsprop' : optimizerFromConfig(oc.class_name, (isObject(oc.config) ? oc.config : {}) as Record<string, unknown>);
    const metrics = tc.metrics === undefined || tc.metrics === null ? [] : tc.metrics;
    const lossWeights = tc.loss_weights ?? undefined;
    model.compile({ optimizer, loss: loss as never, metrics: metrics as never, ...(lossWeights === undefined || model.className === 'Sequential' ? {} : { lossWeights: lossWeights as never }) });
    if (state.size > 0 && typeof optimizer !== 'string') {
      const iterations = state.get('iterations')?.data[0] ?? 0;
      optimizer.setState({ iterations, slots: optimizerSlots(model, state, where) });
    }
    if (tfjsState.length > 0) {
      if (state.size > 0) throw new ModelFormatError(`${where}: optimizer state both as rnnkit writes it ('optimizer/…') and as tfjs does ('${tfjsState[0]!.name}', …)`);
      if (typeof optimizer !== 'string') optimizer.setState(stateFromTfjs(model, optimizer, tfjsState, where));
    }
  } catch (e) {
    // The topology and weights are fine: say how to have them without the training config.
    const hint = ' (loadModel(source, {compile: false}) loads the model without its training config, as Keras\'s load_model(compile=False))';
    if (e instanceof ModelFormatError) throw new ModelFormatError(e.message + hint);
    throw new ModelFormatError(`${where}: trainingConfig: ${(e as Error).message}${hint}`);
  }
}

/**
 * The optimizer's slots over the weight arena from the saved state: each slot whole
 * (`optimizer/<slot>`), or one entry per trainable weight (`optimizer/<slot>/<weight>`, the
 * layout tfjs reads), put back at each weight's place; weights without an entry (frozen
 * ones, which tfjs keeps no state for) get zeros, as they were when saved.
 */
function optimizerSlots(model: Model, state: Map<string, { data: Float32Array }>, where: string): Record<string, Float32Array> {
  const slots: Record<string, Float32Array> = {};
  const parts = new Map<string, [string, Float32Array][]>();
  for (const [k, v] of state) {
    if (k === 'iterations') continue;
    const cut = k.indexOf('/');
    if (cut < 0) {
      slots[k] = v.data;
      continue;
    }
    const slot = k.slice(0, cut);
    if (slot === TFJS_ONLY_SLOT) continue; // zeros tfjs keeps and rnnkit has no slot for
    if (!parts.has(slot)) parts.set(slot, []);
    parts.get(slot)!.push([k.slice(cut + 1), v.data]);
  }
  if (parts.size === 0) return slots;
  const whole = Object.keys(slots);
  if (whole.length > 0) throw new ModelFormatError(`${where}: optimizer state mixes whole slots (${whole.join(', ')}) with per-weight ones (${[...parts.keys()].join(', ')})`);
  const engine = model.engine;
  engine.planArena();
  const at = new Map(engine.segments.map((s) => [s.name, s]));
  for (const [slot, list] of parts) {
    const values = new Float32Array(engine.params.length);
    const seen = new Set<string>();
    for (const [name, data] of list) {
      const seg = at.get(name);
      if (seg === undefined) throw new ModelFormatError(`${where}: optimizer state 'optimizer/${slot}/${name}' names no weight of the model`);
      if (data.length !== seg.size) throw new ModelFormatError(`${where}: optimizer state 'optimizer/${slot}/${name}' has ${data.length} values; the weight has ${seg.size}`);
      if (seen.has(name)) throw new ModelFormatError(`${where}: optimizer state 'optimizer/${slot}/${name}' appears twice`);
      seen.add(name);
      values.set(data, seg.offset);
    }
    slots[slot] = values;
  }
  return slots;
}

/**
 * A training config tfjs wrote names tfjs's optimizer classes: RMSProp's `decay` is Keras's
 * `rho`, Adamax's `decay` (a learning-rate decay) must be 0. The others read as they are.
 */
function fromTfjsOptimizerConfig(oc: { class_name: string; config?: unknown }): { class_name: string; config?: unknown } {
  const c = oc.config;
  if (c === null || typeof c !== 'object' || Array.isArray(c)) return oc;
  const { decay, ...rest } = c as Record<string, unknown>;
  if (oc.class_name === 'RMSProp') return { class_name: 'RMSprop', config: { ...rest, ...(decay === undefined ? {} : { rho: decay }) } };
  if (oc.class_name === 'Adamax' && decay === 0) return { class_name: 'Adamax', config: rest };
  return oc;
}

/**
 * The optimizer state tfjs's model.save writes (`getWeights`): the iteration count, then one
 * tensor per trainable weight for each slot, slot after slot, in the model's order of
 * trainable weights — read by position, the way tfjs's setWeights reads it (the same layout
 * rnnkit writes for tfjs, io/tfjsTraining.ts). Optimizers whose tfjs rule differs from
 * rnnkit's are refused rather than continued with another rule's state.
 */
function stateFromTfjs(model: Model, optimizer: Optimizer, entries: readonly { name: string; data: Float32Array }[], where: string): OptimizerStateInput {
  const at = `${where}: the optimizer state TensorFlow.js wrote ('${entries[0]!.name}', …)`;
  const plan = tfjsOptimizer(optimizer);
  if ('refused' in plan) throw new ModelFormatError(`${at} is not read for ${plan.refused}; rnnkit reads tfjs's state for SGD, Adam, RMSProp (not centered) and Adagrad`);
  const iterations = entries[0]!.data[0]!;
  if (entries[0]!.data.length !== 1 || !Number.isInteger(iterations) || iterations < 0) throw new ModelFormatError(`${at}: the first entry must be the iteration count, got ${entries[0]!.data.length} values starting ${entries[0]!.data[0]}`);
  const rest = entries.slice(1);
  if (rest.length === 0) return { iterations, slots: {} }; // saved before any step
  const engine = model.engine;
  engine.planArena();
  const flags = model.weightTrainable();
  const trainable = new Map(model.weightPaths().map((p, i) => [p, flags[i]!]));
  const live = engine.segments.filter((s) => trainable.get(s.name) === true);
  if (rest.length !== plan.slots.length * live.length) throw new ModelFormatError(`${at}: ${rest.length} entries after the iteration count; ${optimizer.className} over ${live.length} trainable weights has ${plan.slots.length * live.length}`);
  const slots: Record<string, Float32Array> = {};
  plan.slots.forEach((slot, k) => {
    if (slot === null) return; // moments tfjs keeps and multiplies by 0 (RMSProp without momentum)
    const values = new Float32Array(engine.params.length);
    live.forEach((seg, j) => {
      const e = rest[k * live.length + j]!;
      if (e.data.length !== seg.size) throw new ModelFormatError(`${at}: '${e.name}' has ${e.data.length} values where tfjs's order puts ${slot} of '${seg.name}' (${seg.size} values)`);
      values.set(e.data, seg.offset);
    });
    slots[slot] = values;
  });
  return { iterations, slots };
}
