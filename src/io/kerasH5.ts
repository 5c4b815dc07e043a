/**
 * Keras 2 `.h5` full-model files, as model.save('m.h5') writes them in Keras 2.0–2.x
 * (keras/engine/saving.py), tf.keras 2.x (tf_keras/saving/legacy/hdf5_format.py) and
 * Keras 3's legacy writer (keras/src/legacy/saving/legacy_h5_format.py):
 *
 * - root attributes `model_config` (JSON {class_name, config}: Sequential, Model or
 *   Functional, in the Keras 2 / legacy config format), `keras_version`, `backend`, and
 *   `training_config` when the model was compiled;
 * - the group `model_weights`: attribute `layer_names` (every layer of model.layers, split
 *   into `layer_names0`, `layer_names1`, … when over 64 KB), and per layer a group whose
 *   attribute `weight_names` lists its weights (`lstm_1/kernel:0`, `lstm/lstm_cell/kernel:0`,
 *   `sequential/lstm/lstm_cell/kernel`) in the order trainable_weights +
 *   non_trainable_weights, each weight a dataset at that path inside the layer's group.
 *
 * Keras loads these weights by position, not by name: the layers with weights in
 * model.layers order against the file's layers with weights in layer_names order, and
 * within a layer the weight_names order. rnnkit does the same, and checks more: the layer
 * names agree (loadModel; loadWeightsH5's model is the caller's, named as they chose, and
 * matched by position alone as Keras's load_weights matches it), each weight's last name
 * part is the weight rnnkit expects there ('kernel', 'recurrent_kernel', …), every shape
 * matches the layer, and every dataset under model_weights is used. The topology goes
 * through the same Keras 2 / Keras 3 config reader as a converted model.json
 * (models/loading.ts).
 *
 * Weights-only files (model.save_weights: the same layer groups at the root, no
 * model_config) load into a built model with loadWeightsH5, as Keras's load_weights does.
 *
 * Keras 1 files (keras_version 1.x, or none) are translated as Keras 2 translated them
 * (kerasH5Keras1.ts: layer options, per-gate weights W_i, U_i, b_i, …).
 *
 * CuDNNLSTM / CuDNNGRU become the LSTM / GRU they compute, their weights converted
 * (kerasH5Cudnn.ts). Not read: Theano-era convolution kernels (stored flipped). The training
 * config and optimizer weights are not read: the model comes back uncompiled.
 */
import { ModelFormatError, checkOptions, fileReadOptions, show } from '../core/errors.js';
import { Tensor } from '../core/tensor.js';
import { withInitializers, withNonFiniteWeights, withWeightBudget, type Layer, type LayerWeight } from '../layers/layer.js';
import type { Model } from '../models/model.js';
import { modelFromKeras } from '../models/loading.js';
import type { TextSources } from './kerasText.js';
import { MAX_DEPTH, checkDepth } from '../models/saving.js';
import { MAX_JSON_BYTES } from './node.js';
import { dialectOf, unbuiltModelError, type KerasModelJSON } from './config.js';
import { keras1Config, keras1Weights, type StoredWeight } from './kerasH5Keras1.js';
import { cudnnConfig, cudnnWeights } from './kerasH5Cudnn.js';
import { keras3WeightTensors } from './kerasFile.js';
import { serializeModel } from './kerasFileWrite.js';
import { countValues, datasetsUnder, isDataset, openH5, reading, weightReader, type H5Dataset, type H5Group } from './hdf5Read.js';

export interface KerasH5Options {
  maxBytes: number;
  checkFinite: boolean;
  /** loadModel's customObjects: functions a TextVectorization names. */
  customObjects?: TextSources['customObjects'];
}

/**
 * jsfive gives strings (fixed or variable length) as JS strings, a fixed-length one with its
 * padding: numpy's bytes (h5py's fixed-length strings) are padded with NULs.
 */
const unpad = (s: string): string => s.replace(/\0+$/, '');

/** An attribute as text. */
function textAttr(g: H5Group, name: string, at: string): string | undefined {
  const v = g.attrs[name];
  if (v === undefined) return undefined;
  const s = Array.isArray(v) && v.length === 1 ? v[0] : v;
  if (typeof s !== 'string') throw new ModelFormatError(`${at}: attribute '${name}' must be a string, got ${show(s)?.slice(0, 80)}`);
  return unpad(s);
}

/**
 * A list-of-names attribute (load_attributes_from_hdf5_group): `name`, or when the writer
 * split it for HDF5's 64 KB header limit, `name0`, `name1`, … in order.
 */
function listAttr(g: H5Group, name: string, at: string): string[] | undefined {
  const attrs = g.attrs;
  const one = (key: string): string[] => {
    const v = attrs[key];
    const list = typeof v === 'string' ? [v] : v;
    if (!Array.isArray(list) || !list.every((s) => typeof s === 'string')) throw new ModelFormatError(`${at}: attribute '${key}' must be a list of names, got ${show(v)?.slice(0, 80)}`);
    return (list as string[]).map(unpad);
  };
  if (name in attrs) return one(name);
  if (!(`${name}0` in attrs)) return undefined;
  const out: string[] = [];
  for (let k = 0; `${name}${k}` in attrs; k++) out.push(...one(`${name}${k}`));
  return out;
}

/** Keras's _legacy_weights order: trainable weights, then the others, each in creation order. */
function legacyOrder(layer: Layer): LayerWeight[] {
  const t = layer.weightTrainable();
  return [...layer.weights.filter((_, i) => t[i]), ...layer.weights.filter((_, i) => !t[i])];
}

/**
 * Whether a stored weight name ends with rnnkit's name for the weight, the ':0' of TensorFlow
 * variable names dropped: 'lstm/lstm_cell/kernel:0' is 'kernel'; a weight named after an inner
 * projection ('query/kernel', MultiHeadAttention's) must match that many trailing parts
 * ('mha/query/kernel:0').
 */
const namesWeight = (stored: string, name: string): boolean => {
  const parts = stored.replace(/:\d+$/, '').split('/');
  const want = name.split('/');
  return parts.length >= want.length && parts.slice(parts.length - want.length).join('/') === name;
};

/** Class names whose kernels Keras flipped when a file came from Theano. */
const CONV = /^(Conv|SeparableConv|DepthwiseConv)/;

/**
 * CuDNNLSTM / CuDNNGRU configs (tf.keras 1.x / Keras 2 on a GPU) as the LSTM / GRU they
 * compute. (A Keras 2.0 GRU without reset_after gets false from the config reader's Keras 2
 * defaults, as in a converted model.json.)
 */
function cudnnAsPlainLayers(v: unknown, depth = 0): unknown {
  if (depth > 100) throw new ModelFormatError('model_config: nested more than 100 levels deep');
  if (Array.isArray(v)) return v.map((e) => cudnnAsPlainLayers(e, depth + 1));
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, e] of Object.entries(o)) {
    if (k === '__proto__') throw new ModelFormatError("model_config: key '__proto__' is not a config key");
    out[k] = cudnnAsPlainLayers(e, depth + 1);
  }
  if ((o.class_name === 'CuDNNLSTM' || o.class_name === 'CuDNNGRU') && o.config !== null && typeof o.config === 'object' && !Array.isArray(o.config)) {
    return cudnnConfig(out, 'model_config');
  }
  return out;
}

/** The config's class names (to refuse Theano-era convolutions by name). */
function classNames(v: unknown, out: Set<string>, depth = 0): Set<string> {
  if (depth > 100 || v === null || typeof v !== 'object') return out;
  if (Array.isArray(v)) for (const e of v) classNames(e, out, depth + 1);
  else {
    const o = v as Record<string, unknown>;
    if (typeof o.class_name === 'string') out.add(o.class_name);
    for (const e of Object.values(o)) classNames(e, out, depth + 1);
  }
  return out;
}

/**
 * A model from the bytes of a Keras `.h5` full-model file (`where` names it in errors):
 * the topology from model_config, the weights from model_weights. The training config and
 * optimizer weights are not read: the model comes back uncompiled.
 */
export async function modelFromKerasH5(data: Uint8Array, where: string, o: KerasH5Options): Promise<Model> {
  const file = await openH5(data, where, o.maxBytes);
  const { model, tensors } = reading(where, () => readFile(file, where, o, data.byteLength));
  setAll(model, tensors, o.checkFinite);
  return model;
}

function setAll(model: Model, tensors: Tensor[], checkFinite: boolean): void {
  const set = (): void => model.setWeights(tensors);
  if (checkFinite) set();
  else withNonFiniteWeights(set);
}

/** How loadWeightsH5 reads a file: it is untrusted input. */
export interface LoadWeightsH5Options {
  /** Most bytes the file may have. Default 2^31. */
  maxBytes?: number;
  /** Refuse weights holding NaN or ±Infinity. Default true. */
  checkFinite?: boolean;
}

/**
 * Keras's `model.load_weights('weights.h5')` for a built model: the weights of a Keras 2 /
 * tf.keras `save_weights` file (layer groups at the root), or of a full-model `.h5` file's
 * model_weights, matched by position as Keras matches them (the model's layer names need not
 * be the file's), every weight name, shape and value checked as loadModel checks them; or of
 * a Keras 3 `.weights.h5` file, each variable at the path Keras 3's load_weights reads for
 * this model (layers/<class in snake case, numbered in layer order>/vars/<i>).
 * `source` is a path (Node) or the file's bytes.
 * Nothing is written unless every weight is read.
 */
export async function loadWeightsH5(model: Model, source: string | ArrayBuffer | ArrayBufferView, options: LoadWeightsH5Options = {}): Promise<void> {
  const what = 'loadWeightsH5';
  checkOptions(options, ['maxBytes', 'checkFinite'], what);
  const { maxBytes, checkFinite } = fileReadOptions(options, what);
  if (model === null || typeof model !== 'object' || typeof (model as { setWeights?: unknown }).setWeights !== 'function' || !Array.isArray((model as { layers?: unknown }).layers)) {
    throw new TypeError(`${what}: expected a model, got ${show(model)?.slice(0, 80)}`);
  }
  if (!model.isBuilt) throw new RangeError(`${what}: ${model.where} is not built yet; give the first layer an inputShape, or build it first`);
  let data: Uint8Array;
  let where: string;
  if (typeof source === 'string') {
    const { readFileBounded } = await import('./node.js');
    ({ bytes: data, where } = await readFileBounded(source, maxBytes, what));
  } else if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    data = ArrayBuffer.isView(source) ? new Uint8Array(source.buffer, source.byteOffset, source.byteLength) : new Uint8Array(source);
    where = 'the .h5 weights file';
  } else {
    throw new TypeError(`${what}: source must be a path, an ArrayBuffer or a typed array, got ${show(source)?.slice(0, 80)}`);
  }
  const file = await openH5(data, where, maxBytes);
  const tensors = reading(where, () => {
    // load_weights: a full-model file's weights are in its model_weights group.
    const full = !('layer_names' in file.attrs) && file.keys.includes('model_weights');
    const group = full ? file.get('model_weights') : file;
    if (isDataset(group)) throw new ModelFormatError(`${where}: model_weights is not a group`);
    const at = full ? `${where}: model_weights` : where;
    if (!full && listAttr(group, 'layer_names', at) === undefined && keras3Weights(file)) {
      // Keras 3's save_weights: each variable at the path Keras 3 gives it in this model
      // (layers/<class in snake case, numbered in layer order>/…), as its load_weights reads it.
      const datasets = datasetsUnder(file, where);
      countValues(datasets, data.byteLength, where, maxBytes);
      return keras3WeightTensors(model, serializeModel(model, what) as unknown as KerasModelJSON, datasets, where, checkFinite, what);
    }
    if (listAttr(group, 'layer_names', at) === undefined) throw new ModelFormatError(`${at}: no 'layer_names' attribute: ${keras3Weights(file) ? KERAS3_WEIGHTS : 'not a Keras weights file'}`);
    // Keras 1.2 wrote keras_version only at a model file's root, never in a weights group.
    const version = textAttr(group, 'keras_version', at) ?? (full ? textAttr(file, 'keras_version', where) : undefined);
    const keras1 = version === undefined || /^1\./.test(version);
    const datasets = datasetsUnder(group, at);
    countValues(datasets, data.byteLength, at, maxBytes);
    // Keras's load_weights matches layers by position alone: the built model's layer names
    // (rnnkit's 'lstm', 'dense') need not be the file's ('lstm_1', 'dense_3').
    return weightsFromGroup(model, group, datasets, at, { checkFinite, keras1, layerNames: false });
  });
  setAll(model, tensors, checkFinite);
}

/**
 * Keras 3's model.save_weights('m.weights.h5') (and a .keras file's model.weights.h5): a
 * group `layers` of `<name>/vars` groups, no layer_names. loadWeightsH5 reads it; loadModel
 * says what it is.
 */
function keras3Weights(file: H5Group): boolean {
  if (!file.keys.includes('layers')) return false;
  const g = file.get('layers');
  return !isDataset(g) && g.keys.some((k) => {
    const l = g.get(k);
    return !isDataset(l) && l.keys.includes('vars');
  });
}

const KERAS3_WEIGHTS = "it is a Keras 3 weights file (save_weights: layers/<name>/vars/<i>), which loadWeightsH5 reads into a built model (or load the .keras file: model.save('model.keras'))";

function readFile(file: H5Group, where: string, o: KerasH5Options, fileBytes: number): { model: Model; tensors: Tensor[] } {
  const configText = textAttr(file, 'model_config', where);
  const weightsRoot = file.keys.includes('model_weights') ? file.get('model_weights') : undefined;
  if (configText === undefined) {
    const why = 'layer_names' in file.attrs ? 'it holds weights only (model.save_weights)' : keras3Weights(file) ? KERAS3_WEIGHTS : 'it is not a Keras model file';
    throw new ModelFormatError(`${where}: no 'model_config' attribute: ${why}; rnnkit reads full-model files (model.save('model.h5'))`);
  }
  if (weightsRoot === undefined || isDataset(weightsRoot)) throw new ModelFormatError(`${where}: no 'model_weights' group`);
  const version = textAttr(file, 'keras_version', where);
  const backend = textAttr(file, 'backend', where);
  checkKerasVersion(version, where);

  let config: unknown;
  try {
    config = JSON.parse(configText);
  } catch (e) {
    throw new ModelFormatError(`${where}: model_config: not valid JSON: ${(e as Error).message}`);
  }
  // First: walking a deeper value (the loaders recurse) would overflow the stack.
  checkDepth(config, MAX_DEPTH, `${where}: model_config`);
  const at = `${where}: model_weights`;
  const datasets = datasetsUnder(weightsRoot as H5Group, at);
  const values = countValues(datasets, fileBytes, at, o.maxBytes);

  // Layers allocate as they are built (8 bytes a value): no more than the file holds, plus
  // slack for a missing weight to be named.
  let model: Model;
  try {
    model = modelFromKerasConfig(config, version, backend, 8 * values + 2 ** 26, `${where}: model_config`, { customObjects: o.customObjects });
  } catch (e) {
    throw unbuiltModelError(e, datasets.size > 0);
  }
  return { model, tensors: weightsFromGroup(model, weightsRoot as H5Group, datasets, at, { checkFinite: o.checkFinite, keras1: isKeras1(version), layerNames: true }) };
}

/** Keras reads a file (or a to_json text) without keras_version as Keras 1's (1.2 wrote '1.2.x'). */
const isKeras1 = (version: string | undefined): boolean => version === undefined || /^1\./.test(version);

function checkKerasVersion(version: string | undefined, where: string): void {
  if (!isKeras1(version) && !/^[23]\./.test(version!)) throw new ModelFormatError(`${where}: keras_version ${JSON.stringify(version)}; rnnkit reads the models of Keras 1.x, 2.x, tf.keras 2.x and Keras 3`);
}

/**
 * A model (weights zero, for a loader to fill) from a Keras model config — an .h5 file's
 * model_config, or model.to_json() — read in the dialect of its keras_version (Keras 1's
 * configs converted, CuDNN layers as the plain ones they compute); `weightBytes`: the most its
 * layers may allocate as they are built. `where` names the config in errors.
 */
function modelFromKerasConfig(config: unknown, version: string | undefined, backend: string | undefined, weightBytes: number, where: string, text: TextSources = {}): Model {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) throw new ModelFormatError(`${where}: expected {class_name, config}, got ${show(config)?.slice(0, 80)}`);
  // Keras 1's activations are Keras 2's (hard_sigmoid = clip(0.2x + 0.5)).
  const keras1 = isKeras1(version);
  const dialect = keras1 ? 'keras2' : dialectOf({ keras_version: version }, undefined);
  let c: unknown = config;
  if (keras1) c = keras1Config(c, where);
  else if (dialect === 'keras2') {
    try {
      c = cudnnAsPlainLayers(c);
    } catch (e) {
      throw new ModelFormatError(`${where}: ${(e as Error).message}`);
    }
  }
  if (backend === 'theano') {
    const conv = [...classNames(c, new Set())].filter((n) => CONV.test(n));
    if (conv.length > 0) throw new ModelFormatError(`${where}: a Theano-backend model with ${conv.join(', ')}: Keras stored Theano's convolution kernels flipped, and rnnkit does not convert them`);
  }
  return withWeightBudget(weightBytes, () => modelFromKeras(c as KerasModelJSON, dialect, where, text));
}

/** How modelFromJson reads an architecture (untrusted input). */
export interface ModelFromJsonOptions {
  /** Most bytes of float32 weights its layers may hold once built (a layer of 10^9 units is refused before it allocates). Default 2^31. */
  maxBytes?: number;
}

/**
 * Keras's `model_from_json`: a model (uncompiled, weights freshly initialized) from the
 * architecture `model.to_json()` writes — Keras 1.x, 2.x, tf.keras and Keras 3 — given as the
 * text or the parsed object. With the weights file published beside it (`save_weights`),
 * `await loadWeightsH5(model, 'weights.h5')` then gives the model Keras had.
 */
export function modelFromJson(json: string | object, options: ModelFromJsonOptions = {}): Model {
  const where = 'modelFromJson';
  checkOptions(options, ['maxBytes'], where);
  const maxBytes = options.maxBytes ?? 2 ** 31;
  if (typeof maxBytes !== 'number' || !(maxBytes > 0) || !Number.isFinite(maxBytes)) throw new RangeError(`${where}: maxBytes must be a number of bytes > 0, got ${show(options.maxBytes)}`);
  let v: unknown = json;
  if (typeof json === 'string') {
    if (json.length > MAX_JSON_BYTES) throw new ModelFormatError(`${where}: ${json.length} characters, more than the ${MAX_JSON_BYTES} an architecture may have`);
    try {
      v = JSON.parse(json);
      // `json.dump(model.to_json(), f)` writes the architecture as a JSON string holding the
      // JSON (the code that reads it back calls model_from_json(json.load(f))): unwrapped once.
      if (typeof v === 'string') v = JSON.parse(v);
    } catch (e) {
      throw new ModelFormatError(`${where}: not valid JSON: ${(e as Error).message}`);
    }
  }
  checkDepth(v, MAX_DEPTH, where);
  if (v === null || typeof v !== 'object' || Array.isArray(v) || typeof (v as { class_name?: unknown }).class_name !== 'string') {
    throw new ModelFormatError(`${where}: expected a Keras model.to_json() object {class_name, config, …}, got ${show(v)?.slice(0, 80)}`);
  }
  const o = v as { keras_version?: unknown; backend?: unknown; module?: unknown; modelTopology?: unknown };
  if (o.modelTopology !== undefined) throw new ModelFormatError(`${where}: a TF.js layers-model model.json; read it with loadModel`);
  if (o.keras_version !== undefined && typeof o.keras_version !== 'string') throw new ModelFormatError(`${where}: keras_version must be a string, got ${show(o.keras_version)}`);
  // Keras 3's to_json writes no keras_version but names the module its classes come from
  // ('keras', or 'keras.src.models.sequential' in early 3.x).
  const version = typeof o.keras_version === 'string' ? o.keras_version : typeof o.module === 'string' && /^keras(\.|$)/.test(o.module) ? '3.0' : undefined;
  checkKerasVersion(version, where);
  // Layers allocate 8 bytes a value as they are built; float32 weights take 4. Built with its
  // initializers run, as Keras's model_from_json builds it (a loader's model waits for its file).
  return withInitializers(() => modelFromKerasConfig(v, version, typeof o.backend === 'string' ? o.backend : undefined, 2 * maxBytes + 2 ** 26, where));
}

/**
 * The weights of `model` (in model.weights order) from a group laid out as
 * save_weights_to_hdf5_group lays it out (model_weights, or a weights-only file's root),
 * matched as load_weights_from_hdf5_group matches them: by position (see the top).
 * Every dataset in `datasets` (the group's) must be used. `layerNames`: each layer's name
 * must be the file's (a full-model file, whose model was built from the same file's
 * model_config); loadWeightsH5's model is the caller's, named as they chose.
 */
function weightsFromGroup(model: Model, group: H5Group, datasets: Map<string, H5Dataset>, at: string, o: { checkFinite: boolean; keras1: boolean; layerNames: boolean }): Tensor[] {
  const names = listAttr(group, 'layer_names', at);
  if (names === undefined) throw new ModelFormatError(`${at}: no 'layer_names' attribute`);
  // The file's layers with weights, in layer_names order (load_weights_from_hdf5_group).
  const fileLayers: { name: string; g: H5Group; weightNames: string[] }[] = [];
  for (const name of names) {
    if (name === '' || name.includes('/') || name === '.' || name === '..') throw new ModelFormatError(`${at}: layer_names holds ${JSON.stringify(name)}, which is not a layer name`);
    const g = group.keys.includes(name) ? group.get(name) : undefined;
    if (g === undefined || isDataset(g)) throw new ModelFormatError(`${at}: layer_names lists '${name}', but there is no group '${name}'`);
    const weightNames = listAttr(g, 'weight_names', `${at}/${name}`);
    if (weightNames === undefined) throw new ModelFormatError(`${at}/${name}: no 'weight_names' attribute`);
    if (weightNames.length > 0) fileLayers.push({ name, g, weightNames });
  }
  if (group.keys.includes('top_level_model_weights')) {
    const g = group.get('top_level_model_weights');
    const w = isDataset(g) ? undefined : listAttr(g, 'weight_names', `${at}/top_level_model_weights`);
    if (w !== undefined && w.length > 0) throw new ModelFormatError(`${at}/top_level_model_weights: weights of the model itself (${w.slice(0, 3).join(', ')}); rnnkit models hold weights only in their layers`);
  }
  const modelLayers = model.layers.filter((l) => l.weights.length > 0);
  const list = (ls: { name: string }[]): string => ls.map((l) => `'${l.name}'`).join(', ') || 'none';
  if (fileLayers.length !== modelLayers.length) throw new ModelFormatError(`${at}: weights for ${fileLayers.length} layers (${list(fileLayers)}), but the model's layers with weights are ${modelLayers.length} (${list(modelLayers)})`);

  const byWeight = new Map<LayerWeight, Tensor>();
  const used = new Set<string>();
  modelLayers.forEach((layer, k) => {
    const f = fileLayers[k]!;
    if (o.layerNames && f.name !== layer.name) throw new ModelFormatError(`${at}: layer ${k} with weights is '${f.name}' in the file, '${layer.name}' in model_config`);
    const expected = legacyOrder(layer);
    const lat = `${at}/${f.name}`;
    const count = (n: number, what: string): ModelFormatError => new ModelFormatError(`${lat}: ${n} weights (${what}), but ${layer.where} has ${expected.length} (${expected.map((w) => w.name).join(', ')})`);
    if (!o.keras1 && f.weightNames.length !== expected.length) throw count(f.weightNames.length, f.weightNames.join(', '));
    let entries: StoredWeight[] = f.weightNames.map((n, i) => {
      const wat = `${lat}: weight ${i} '${n}'`;
      if (n === '' || n.startsWith('/') || n.split('/').some((p) => p === '' || p === '.' || p === '..')) throw new ModelFormatError(`${wat}: not a weight name`);
      if (!o.keras1 && !namesWeight(n, expected[i]!.name)) throw new ModelFormatError(`${wat}: expected ${layer.where}'s '${expected[i]!.name}' in this place`);
      const path = `${f.name}/${n}`;
      const d = datasets.get(path);
      if (d === undefined) throw new ModelFormatError(`${wat}: no dataset ${path}`);
      if (used.has(path)) throw new ModelFormatError(`${wat}: listed twice`);
      used.add(path);
      return { name: n, at: wat, shape: [...d.shape], read: weightReader(d, !o.keras1 && expected[i]?.integer === true, wat) };
    });
    // cuDNN's weights (of CuDNNLSTM / CuDNNGRU, told by their bias) become LSTM's / GRU's.
    if (!o.keras1) entries = cudnnWeights(layer, entries, lat);
    if (o.keras1) {
      // Keras 1's own weights (per gate, named lstm_1_W_i, …) become Keras 2's, as Keras 2's
      // preprocess_weights_for_loading converts them.
      entries = keras1Weights(layer, entries, lat);
      if (entries.length !== expected.length) throw count(entries.length, `from Keras 1's ${f.weightNames.join(', ')}`);
      entries.forEach((e, i) => {
        if (e.name !== expected[i]!.name) throw new ModelFormatError(`${e.at}: becomes '${e.name}', where ${layer.where} has '${expected[i]!.name}'`);
      });
    }
    expected.forEach((w, i) => {
      const e = entries[i]!;
      if (e.shape.length !== w.shape.length || e.shape.some((s, j) => s !== w.shape[j])) throw new ModelFormatError(`${e.at}: shape [${e.shape.join(', ')}], expected [${w.shape.join(', ')}] for ${layer.where}`);
      const v = e.read();
      if (v.length !== w.value.length) throw new ModelFormatError(`${e.at}: holds ${v.length} values, expected ${w.value.length}`);
      if (o.checkFinite) {
        const j = v.findIndex((x) => !Number.isFinite(x));
        if (j >= 0) throw new ModelFormatError(`${e.at}: holds ${v[j]} at index ${j}; loadModel refuses non-finite weights (checkFinite: false loads them anyway)`);
      }
      byWeight.set(w, new Tensor(v, [...w.shape]));
    });
  });
  const extra = [...datasets.keys()].filter((p) => !used.has(p));
  if (extra.length > 0) throw new ModelFormatError(`${at}: datasets no layer's weight_names lists: ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? `, … (${extra.length})` : ''}`);
  const tensors = model.weights.map((w) => {
    const t = byWeight.get(w);
    if (t === undefined) throw new ModelFormatError(`${at}: no weight for '${w.name}' of the model`);
    return t;
  });
  return tensors;
}
