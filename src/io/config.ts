/**
 * Layer configurations ↔ Keras-style JSON, as the TF.js layers-model format stores them
 * (`{class_name, config}` with snake_case keys; the model topologies around them are
 * models/topology.ts and models/loading.ts). Reads the dialects users hold: rnnkit's own
 * files, files saved by TensorFlow.js (keras_version 'tfjs-layers …': tfjs defaults,
 * hard_sigmoid = 0.2x+0.5), Keras 2 models converted by tensorflowjs, and Keras 3 configs
 * (dtype policies).
 */
import { ModelFormatError, table, show } from '../core/errors.js';
import type { Layer } from '../layers/layer.js';
import { layerEntries, layerFromConfig } from '../layers/registry.js';

/** Which program wrote a file: it decides what missing keys and 'hard_sigmoid' mean. */
/**
 * Who wrote a file, which decides what a name means. 'rnnkit-0.1': files of rnnkit 0.1,
 * whose 'hard_sigmoid' was Keras 3's (later files use tfjs's names; see activationToKeras).
 */
export type Dialect = 'rnnkit' | 'rnnkit-0.1' | 'tfjs' | 'keras2' | 'keras3';

export interface KerasLayerJSON {
  class_name: string;
  config: Record<string, unknown>;
  /** Graph models: the layer's name and its calls (see models/topology.ts). */
  name?: string;
  inbound_nodes?: unknown;
}

export interface KerasModelJSON {
  class_name: string;
  config: {
    name?: string;
    layers: KerasLayerJSON[];
    build_input_shape?: unknown;
    /** Graph models: [layer, node, tensor] of each input and output (Keras 3 may nest them). */
    input_layers?: unknown;
    output_layers?: unknown;
  };
  keras_version?: string;
  backend?: string;
}

const camel = (k: string): string => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const snake = (k: string): string => k.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());

/**
 * Activation names in the files rnnkit writes (the TF.js layers format): tfjs's own names,
 * so tf.loadLayersModel reads them. tfjs's 'hard_sigmoid' is the legacy clip(0.2x + 0.5);
 * Keras 3's clip(x/6 + 0.5) has no tfjs name, and is written as 'hard_sigmoid_keras3',
 * which tfjs refuses rather than computing other numbers.
 */
function activationToKeras(name: unknown): unknown {
  if (name === 'hardSigmoidLegacy') return 'hard_sigmoid';
  if (name === 'hardSigmoid') return 'hard_sigmoid_keras3';
  return typeof name === 'string' ? snake(name) : name;
}

function activationFromKeras(name: unknown, dialect: Dialect): unknown {
  if (typeof name !== 'string') return name;
  // Only Keras-style names are camel-cased: anything else ('__proto__') is looked up, and refused, as written.
  if (!/^[a-z][a-z0-9_]*$/.test(name)) return name;
  // Keras 2, tfjs and rnnkit files define hard_sigmoid as clip(0.2x + 0.5); Keras 3 (and
  // rnnkit 0.1's files) as clip(x/6 + 0.5), which rnnkit now writes as hard_sigmoid_keras3.
  if (name === 'hard_sigmoid' || name === 'hardSigmoid') return dialect === 'keras3' || dialect === 'rnnkit-0.1' ? 'hardSigmoid' : 'hardSigmoidLegacy';
  if (name === 'hard_sigmoid_keras3') return 'hardSigmoid';
  if (name === 'hard_sigmoid_legacy') return 'hardSigmoidLegacy';
  return camel(name);
}

/** rnnkit config (camelCase, {className, config} objects) → Keras JSON (snake_case, {class_name, config}). */
function toKerasValue(key: string, v: unknown): unknown {
  if (/activation$/i.test(key)) return activationToKeras(v); // activation, recurrentActivation
  if (Array.isArray(v)) return v.map((e) => toKerasValue('', e));
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.className === 'string') return { class_name: o.className, config: toKerasConfig((o.config ?? {}) as Record<string, unknown>) };
    return toKerasConfig(o);
  }
  if (key === 'mode' && typeof v === 'string') return snake(v);
  if (key === 'distribution' && typeof v === 'string') return snake(v);
  if (key === 'dataFormat' && typeof v === 'string') return snake(v); // 'channels_last', as tfjs and Keras write it
  return v;
}

function toKerasConfig(c: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c)) if (v !== undefined) out[snake(k)] = toKerasValue(k, v);
  return out;
}

/** Options whose null is a value of its own, not "not set", per class (Normalization's axis None: one mean for everything). */
const NULL_IS_A_VALUE: Record<string, readonly string[]> = table({ Normalization: ['axis'] });

/** Keras JSON config → rnnkit layer options. Null means "not set" except for activation, mergeMode and `nullable`. */
export function fromKerasConfig(c: Record<string, unknown>, dialect: Dialect, where: string, readLayer: LayerReader = layerFromKeras, nullable: readonly string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (c === null || typeof c !== 'object' || Array.isArray(c)) throw new ModelFormatError(`${where}: config must be an object, got ${show(c)?.slice(0, 80)}`);
  for (const [k, v] of Object.entries(c)) {
    // JSON.parse makes '__proto__' an own key; copied onto a plain object it would set the prototype.
    if (k === '__proto__') throw new ModelFormatError(`${where}: option '__proto__' is not a layer option`);
    const key = camel(k);
    // null is a value for these two (no activation; Bidirectional's halves as a list).
    if (v === null && key !== 'activation' && key !== 'mergeMode' && !nullable.includes(key)) continue;
    // Keras 3 writes a dtype policy object; its name is the dtype.
    if (key === 'dtype' && v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const name = (v as { config?: { name?: unknown } }).config?.name;
      out.dtype = name === 'mixed_float16' || name === 'mixed_bfloat16' ? name : typeof name === 'string' ? name : v;
      continue;
    }
    if (key === 'activation' || key === 'recurrentActivation') out[key] = activationFromKeras(v, dialect);
    else if (key === 'layer') out[key] = readLayer(v as KerasLayerJSON, dialect, `${where} → wrapped layer`);
    else if (key === 'backwardLayer') out[key] = readLayer(v as KerasLayerJSON, dialect, `${where} → backward layer`);
    else if (v !== null && typeof v === 'object' && !Array.isArray(v) && typeof (v as KerasLayerJSON).class_name === 'string') {
      const s = v as KerasLayerJSON;
      out[key] = { className: s.class_name, config: fromKerasConfig(s.config ?? {}, dialect, `${where}: ${k}`) };
    } else out[key] = v;
  }
  return out;
}

/** Keras options that carry no meaning here when they have their default value. */
const IGNORABLE: Record<string, unknown> = table({ timeMajor: false });

/** Defaults of the tfjs constructors where they differ from Keras 3 (for keys a tfjs file leaves out or null). */
const TFJS_DEFAULTS: Record<string, Record<string, unknown>> = table({
  LSTM: { recurrentActivation: 'hardSigmoidLegacy', unitForgetBias: false },
  GRU: { recurrentActivation: 'hardSigmoidLegacy', resetAfter: false },
  // tfjs-layers' Concatenate.computeMask: tf.all over the joined masks (Keras 3: ops.any).
  Concatenate: { maskReduction: 'all' },
});

/**
 * Keras 2 defaults that differ from Keras 3, for keys a Keras 2 file leaves out. Keras before
 * 2.1.3 wrote GRU configs without reset_after and computed reset before the recurrent product
 * (every later Keras 2 and tf.keras 2.x writes the key: tf.keras's true is always explicit).
 */
const KERAS2_DEFAULTS: Record<string, Record<string, unknown>> = table({
  GRU: { resetAfter: false },
  // tf.keras 2's Concatenate.compute_mask: backend.all over the joined masks (Keras 3: ops.any).
  Concatenate: { maskReduction: 'all' },
});

/** Reads a layer's Keras JSON: layerFromKeras, or the model loader's, which also reads nested models. */
export type LayerReader = (json: KerasLayerJSON, dialect: Dialect, where: string) => Layer;

/** Why some classes model files hold cannot be read anywhere but in the Python that wrote them. */
const UNREADABLE: Record<string, string> = table({
  Lambda: 'it holds a Python function, which only Python can run: rebuild the model with built-in layers in its place',
  TFOpLambda: 'a TensorFlow op (tf.math.multiply, tf.expand_dims, …) called on a Keras tensor; rnnkit reads the common ones in functional models only (see kerasOps.ts)',
  SlicingOpLambda: 'a tensor slice (x[:, -1], …) taken on a Keras tensor; rnnkit reads it in functional models only, as TimeSlice',
  TensorFlowOpLayer: 'a raw TensorFlow op (TF 2.2–2.3) called on a Keras tensor; express it with layers in the model that is saved',
});

/** The layer Keras's (and tfjs's) RNN wrapper computes around each built-in cell. */
const RNN_CELLS: Record<string, string> = table({ LSTMCell: 'LSTM', GRUCell: 'GRU', SimpleRNNCell: 'SimpleRNN' });

/**
 * Keras's `RNN(cell)` around one built-in cell is the cell's layer (RNN(LSTMCell(…)) computes
 * what LSTM(…) computes, and keeps its weights under the same names): that layer's JSON, with
 * the cell's options and the wrapper's (return_sequences, go_backwards, …) and name. Several
 * cells (StackedRNNCells, or a list) are refused by name.
 */
function rnnWrapperAsLayer(json: KerasLayerJSON, where: string): KerasLayerJSON {
  const { cell, ...outer } = json.config ?? {};
  const name = typeof outer.name === 'string' ? outer.name : 'RNN';
  const at = `${where} (RNN '${name}')`;
  const c = cell as KerasLayerJSON | undefined;
  if (Array.isArray(cell) || c?.class_name === 'StackedRNNCells') {
    const n = Array.isArray(cell) ? cell.length : ((c?.config as { cells?: unknown[] } | undefined)?.cells?.length ?? 0);
    throw new ModelFormatError(`${at}: an RNN over ${n} stacked cells is not read; it computes what ${n} recurrent layers in a row compute (each but the last with return_sequences)`);
  }
  if (c === null || typeof c !== 'object' || typeof c.class_name !== 'string') throw new ModelFormatError(`${at}: expected a cell {class_name, config}, got ${show(cell)?.slice(0, 80)}`);
  const cls = RNN_CELLS[c.class_name];
  if (cls === undefined) throw new ModelFormatError(`${at}: cell class '${c.class_name}' is not read; supported cells: ${Object.keys(RNN_CELLS).join(', ')}`);
  // The wrapper's name, trainable and dtype are the layer's; the cell's own are dropped.
  const { name: _n, trainable: _t, dtype: _d, ...cellOptions } = (c.config ?? {}) as Record<string, unknown>;
  return { ...json, class_name: cls, config: { ...cellOptions, ...outer } };
}

/**
 * Build one layer from its Keras JSON (weights not initialized until the model builds it).
 * A wrapper's inner layer is read with readLayer.
 */
export function layerFromKeras(json: KerasLayerJSON, dialect: Dialect, where: string, readLayer: LayerReader = layerFromKeras): Layer {
  if (json === null || typeof json !== 'object' || typeof json.class_name !== 'string') {
    throw new ModelFormatError(`${where}: expected {class_name, config}, got ${show(json)?.slice(0, 80)}`);
  }
  if (json.class_name === 'RNN') json = rnnWrapperAsLayer(json, where);
  if (!layerEntries().some((e) => e.className === json.class_name)) {
    const hint = UNREADABLE[json.class_name];
    throw new ModelFormatError(`${where}: unknown layer class '${json.class_name}'${hint === undefined ? '' : ` (${hint})`}; supported: ${layerEntries().map((e) => e.className).join(', ')}`);
  }
  const name = typeof json.config?.name === 'string' ? json.config.name : json.class_name;
  const at = `${where} (${json.class_name} '${name}')`;
  const args = fromKerasConfig(json.config ?? {}, dialect, at, readLayer, NULL_IS_A_VALUE[json.class_name]);
  // Keras 2.0.0–2.0.7 wrote every Embedding with dtype 'int32' (its constructor forced it, for the
  // input it makes as a first layer: the indices), not the layer's own float32; rnnkit takes
  // indices as float32 numbers, as for Keras 1's input_dtype.
  if (json.class_name === 'Embedding' && dialect === 'keras2' && (args.dtype === 'int32' || args.dtype === 'int64')) delete args.dtype;
  const defaults = dialect === 'tfjs' ? TFJS_DEFAULTS[json.class_name] : dialect === 'keras2' ? KERAS2_DEFAULTS[json.class_name] : undefined;
  for (const [k, v] of Object.entries(defaults ?? {})) if (args[k] === undefined) args[k] = v;
  for (const [k, v] of Object.entries(IGNORABLE)) {
    if (args[k] === undefined) continue;
    if (args[k] !== v) throw new ModelFormatError(`${at}: option '${snake(k)}' = ${JSON.stringify(args[k])} is not supported`);
    delete args[k];
  }
  if (json.class_name === 'Bidirectional') delete args.layerConfig;
  // Kept beside the layer, not given to it: it changes the training loss only, which fit
  // and evaluate then refuse (Layer.activityRegularizer); predictions are Keras's.
  const activity = args.activityRegularizer;
  delete args.activityRegularizer;
  try {
    const layer = layerFromConfig({ className: json.class_name, config: args }, at);
    if (activity !== undefined) layer.activityRegularizer = activity;
    return layer;
  } catch (e) {
    if (e instanceof ModelFormatError) throw e;
    throw new ModelFormatError(`${at}: ${(e as Error).message}`);
  }
}

/** One layer's Keras JSON. */
export function layerToKeras(layer: Layer): KerasLayerJSON {
  const c = toKerasConfig(layer.getConfig());
  keepActivityRegularizer(layer, c, layer.where);
  return { class_name: layer.className, config: c };
}

/**
 * A Keras activity_regularizer read with the layer (Layer.activityRegularizer) is written
 * back as it was read; one on a layer inside a wrapper has no place in the wrapper's config
 * as rnnkit writes it, so the writer refuses rather than drop it.
 */
function keepActivityRegularizer(layer: Layer, c: Record<string, unknown>, where: string): void {
  const inner = layer.activityRegularized().filter((l) => l !== layer);
  if (inner.length > 0 && !MODEL_LIKE.has(layer.className)) throw new RangeError(`${where}: the wrapped ${inner[0]!.where} has an activity_regularizer, which rnnkit keeps only on top-level layers; set its activityRegularizer = undefined to save without it`);
  if (layer.activityRegularizer !== undefined) c.activity_regularizer = toKerasValue('activityRegularizer', layer.activityRegularizer);
}

const MODEL_LIKE = new Set(['Model', 'Sequential', 'Functional']);

/** The dialect of a topology, from keras_version (and who generated the file). */
export function dialectOf(topology: { keras_version?: unknown }, generatedBy: unknown): Dialect {
  const v = typeof topology.keras_version === 'string' ? topology.keras_version : '';
  const writer = typeof generatedBy === 'string' && generatedBy.startsWith('rnnkit') ? generatedBy : v;
  if (writer.startsWith('rnnkit 0.1.')) return 'rnnkit-0.1';
  if (typeof generatedBy === 'string' && generatedBy.startsWith('rnnkit')) return 'rnnkit';
  if (v.startsWith('tfjs')) return 'tfjs';
  if (/^2\./.test(v)) return 'keras2';
  if (/^3\./.test(v)) return 'keras3';
  return 'rnnkit';
}

/** Keras 3's module of the objects nested in a layer config, by the key that holds them. */
const KERAS3_MODULES: readonly [RegExp, string][] = [
  [/_initializer$/, 'keras.initializers'],
  [/_regularizer$/, 'keras.regularizers'],
  [/_constraint$/, 'keras.constraints'],
];

/**
 * An activation as Keras 3 names it (activations.serialize): the inverse of
 * activationFromKeras for dialect 'keras3'. Keras 3's hard_sigmoid is clip(x/6 + 0.5);
 * the legacy clip(0.2x + 0.5) has no Keras 3 name, so it is refused rather than written
 * as something that computes other numbers.
 */
function activationToKeras3(name: unknown, key: string, where: string): unknown {
  if (name === 'hardSigmoidLegacy') throw new RangeError(`${where}: ${snake(key)} 'hardSigmoidLegacy' (clip(0.2x + 0.5), tfjs's hard_sigmoid) has no Keras 3 equivalent (Keras 3's hard_sigmoid is clip(x/6 + 0.5)); a .keras file cannot hold it`);
  if (name === 'swish') return 'silu'; // Keras 3 serializes swish under its function's name
  if (name === 'geluNew') throw new RangeError(`${where}: ${snake(key)} 'geluNew' (tfjs's tanh approximation of gelu) has no Keras 3 name (Keras 3's 'gelu' is the exact erf form); a .keras file cannot hold it`);
  return typeof name === 'string' ? snake(name) : name;
}

/**
 * One layer's own configuration as Keras 3's get_config and serialize_keras_object write
 * it in a `.keras` file: snake_case keys, a DTypePolicy object for dtype, initializers,
 * regularizers and constraints as {module, class_name, config, registered_name}, Keras 3
 * activation names. The inverse of fromKerasConfig with dialect 'keras3'. Wrapped layers
 * (`layer`, `backward_layer`) and the input shape (an InputLayer in Keras 3) are the model
 * writer's part (io/kerasFileWrite.ts).
 */
export function layerToKeras3Config(layer: Layer, where: string): Record<string, unknown> {
  if (layer.className === 'ThresholdedReLU') {
    throw new RangeError(`${where}: Keras 3 has no ThresholdedReLU layer, so a .keras file cannot hold it; layers.reLU({threshold: θ}) computes the same (x > θ ? x : 0) and can be saved`);
  }
  if (layer.className === 'TimeSlice') {
    // Keras writes x[:, i] as an op (GetItem): the functional writer does too (kerasFileWrite.ts); a Sequential holds layers only.
    throw new RangeError(`${where}: Keras 3 has no layer for TimeSlice (x[:, index] or x[:, start:stop], which Keras models hold as a GetItem op), so a Sequential .keras file cannot hold it; a functional model writes it as that op, and rnnkit's own format (save) holds it either way`);
  }
  const c: Record<string, unknown> = { ...layer.getConfig(), ...(layer.activityRegularizer === undefined ? {} : { activityRegularizer: layer.activityRegularizer }) };
  keepActivityRegularizer(layer, {}, where);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c)) {
    if (v === undefined) continue;
    // Keras 3 renamed LeakyReLU's alpha (tfjs's and Keras 2's name, which getConfig writes).
    const key = layer.className === 'LeakyReLU' && k === 'alpha' ? 'negative_slope' : snake(k);
    // The input shape belongs to the InputLayer Keras 3 writes first; input_length only
    // declared that shape (Keras 3 drops it with a warning); implementation chose a
    // kernel variant with the same numbers (Keras 3 accepts it but never writes it).
    if (key === 'batch_input_shape' || key === 'input_length' || key === 'implementation') continue;
    // Concatenate's maskReduction 'all' (tf.keras 2 / TF.js) has no Keras 3 key: kerasFileWrite refuses a model where it changes numbers.
    if (key === 'mask_reduction') continue;
    // Keras 3 takes a seed only on layers that draw noise as they run (a rate, dropout or
    // stddev option). Elsewhere rnnkit's seed only chose the initial weights, which the file
    // holds (no initializer runs on load), so it has nothing left to say there.
    if (key === 'seed' && c.rate === undefined && c.dropout === undefined && c.stddev === undefined) continue;
    if (key === 'activation' || key === 'recurrent_activation') out[key] = activationToKeras3(v, k, where);
    else if (key === 'dtype') out[key] = { module: 'keras', class_name: 'DTypePolicy', config: { name: v }, registered_name: null };
    else if (key === 'data_format' && typeof v === 'string') out[key] = snake(v);
    else {
      const value = toKerasValue(k, v);
      const module = KERAS3_MODULES.find(([re]) => re.test(key))?.[1];
      if (module !== undefined && value !== null && typeof value === 'object' && !Array.isArray(value) && typeof (value as KerasLayerJSON).class_name === 'string') {
        const o = value as KerasLayerJSON;
        out[key] = { module, class_name: o.class_name, config: o.config, registered_name: null };
      } else out[key] = value;
    }
  }
  return out;
}

/**
 * A model saved before it was first called has no input shape and no layer weights (.keras and
 * .h5 alike): its refusal says that, not only what is missing. The error to throw for `e`.
 */
export function unbuiltModelError(e: unknown, hasLayerWeights: boolean): unknown {
  if (!(e instanceof ModelFormatError) || !/declares no input shape/.test(e.message) || hasLayerWeights) return e;
  return new ModelFormatError(`${e.message}; the file holds no layer weights either: the model was saved before it was built (give it an Input, or call or fit it once, before saving)`);
}
