/**
 * A Keras TextVectorization layer at the front of a saved model: the text classifiers
 * people train in Keras and save whole (`Input(shape=(1,), dtype="string")` →
 * TextVectorization → Embedding → …).
 *
 * rnnkit's tensors are numbers, so the layer does not become a graph layer: it becomes the
 * model's text input (Model.setTextInput), a TextVectorizer that turns the strings given to
 * predict / evaluate / fit into the ids (or bag-of-words vectors) the rest of the graph
 * reads. The topology is rewritten before the graph is built: the string InputLayer takes
 * the vectorizer's output shape, the TextVectorization entry is dropped and whatever read
 * its output reads the input instead. Every other layer's name and weight path stays.
 *
 * The vocabulary comes from the layer's config (a `vocabulary` given when it was made) or,
 * for an adapted layer in a .keras file, from `assets/<its path>/vocabulary.txt`
 * (IndexLookup.save_assets: the entries joined by "\n", special tokens first), and a
 * 'tf_idf' layer's weights from the weights file (`<its path>/vars/idf_weights`): the
 * container reads them (io/kerasFile.ts) through `VocabularySource`. A legacy .h5 file
 * holds no adapted vocabulary (Keras's h5 format never saved one): that is refused saying so.
 *
 * Numerics follow Keras 3's TextVectorization (keras/src/layers/preprocessing/
 * text_vectorization.py): tf.strings.lower lowers ASCII letters only, so the vectorizer is
 * made with `lowercase: 'ascii'`. Every config key is read or refused by name; a standardize
 * or split function (Python code) is taken from loadModel's `customObjects` by the name the
 * file gives it, or refused saying so.
 */
import { ModelFormatError, show } from '../core/errors.js';
import { OOV_TOKEN, TextVectorizer, namedFunction, type SavedTextFunction, type TextFunction, type TextVectorizerArgs } from '../text/vectorizer.js';
import type { KerasLayerJSON, KerasModelJSON } from './config.js';

/** One TextVectorization found in a topology, before its vocabulary is read. */
export interface KerasTextLayer {
  /** The layer's name. */
  name: string;
  /** Where Keras 3's saving_lib keeps its state: `layers/text_vectorization` (the second `…_1`). */
  path: string;
  /** Its config as saved. */
  config: Record<string, unknown>;
  /** Error prefix naming the layer. */
  at: string;
}

/** The vocabulary (special tokens first or not) and tf_idf weights a container holds for a layer, or null for none. */
export type VocabularySource = (layer: KerasTextLayer) => { vocabulary: string[] | null; idfWeights: number[] | null };

/** What a reader knows beside a topology: the container's vocabularies, and the caller's functions by name. */
export interface TextSources {
  vocabularies?: VocabularySource;
  customObjects?: Readonly<Record<string, TextFunction>>;
}

/** The names of customObjects that a topology's TextVectorization layers used (collected by splitTextInputs). */
export type UsedNames = Set<string>;

/** A topology with its text inputs split off: `input` indexes the model's inputs (input_layers order). */
export interface SplitTopology {
  topology: KerasModelJSON;
  textInputs: { input: number; vectorizer: TextVectorizer }[];
}

const CLASS = 'TextVectorization';
const MODEL_CLASSES = new Set(['Sequential', 'Model', 'Functional']);

const nameOf = (l: KerasLayerJSON): string | undefined => (typeof l?.name === 'string' ? l.name : typeof l?.config?.name === 'string' ? (l.config.name as string) : undefined);

const isStringInput = (l: KerasLayerJSON | undefined): boolean => l?.class_name === 'InputLayer' && l.config?.dtype === 'string';

/** The TextVectorization layers of a model's own layer list, with their saving paths; one inside a nested model is refused. */
export function textLayers(topology: KerasModelJSON, where: string): KerasTextLayer[] {
  const list: unknown = Array.isArray(topology?.config) ? topology.config : topology?.config?.layers;
  if (!Array.isArray(list)) return [];
  const refuseNested = (layers: unknown, at: string): void => {
    if (!Array.isArray(layers)) return;
    for (const l of layers as KerasLayerJSON[]) {
      if (l?.class_name === CLASS) throw new ModelFormatError(`${at}: a TextVectorization inside a nested model ('${String(nameOf(l))}') is not supported; rnnkit reads one only at the front of the outer model, where it becomes the model's text input`);
      if (MODEL_CLASSES.has(l?.class_name)) refuseNested((l.config as { layers?: unknown })?.layers, at);
    }
  };
  const found: KerasTextLayer[] = [];
  let k = 0;
  for (const l of list as KerasLayerJSON[]) {
    if (MODEL_CLASSES.has(l?.class_name)) refuseNested((l.config as { layers?: unknown })?.layers, where);
    if (l?.class_name !== CLASS) continue;
    const name = nameOf(l) ?? '';
    // saving_lib._get_unique_name: one counter per class (snake_case of its name), whatever the layers' own names.
    found.push({ name, path: `layers/text_vectorization${k === 0 ? '' : `_${k}`}`, config: l.config ?? {}, at: `${where} (TextVectorization '${name}')` });
    k++;
  }
  return found;
}

/** Keras's TextVectorization config keys → rnnkit's TextVectorizer options; the rest is checked in vectorizerFromKeras. */
const OPTION_KEYS: Readonly<Record<string, keyof TextVectorizerArgs>> = {
  max_tokens: 'maxTokens',
  standardize: 'standardize',
  split: 'split',
  ngrams: 'ngrams',
  output_mode: 'outputMode',
  output_sequence_length: 'outputSequenceLength',
  pad_to_max_tokens: 'padToMaxTokens',
  sparse: 'sparse',
  ragged: 'ragged',
  encoding: 'encoding',
};
/** Keys that change no number: the layer's name and trainability, its dtype (ids are exact in float32 below 2^24), the input shape a Sequential's first layer carries (read by splitTextInputs). */
const INERT_KEYS = new Set(['name', 'trainable', 'dtype', 'batch_input_shape', 'batch_shape', 'input_shape', 'has_input_vocabulary']);

const MODES: Readonly<Record<string, readonly string[]>> = { standardize: ['lower_and_strip_punctuation', 'lower', 'strip_punctuation'], split: ['whitespace', 'character'] };

/**
 * A standardize or split value: a mode, null, or a Python function the file names — Keras 3
 * writes {module, class_name: 'function', config: name, registered_name}, tf.keras 2 the bare
 * name — taken from `customObjects` by its registered name or its own (recorded in `used`).
 * A lambda (Python bytecode) or a name with no function given is refused, saying how to give one.
 */
function textFunction(key: 'standardize' | 'split', v: unknown, sources: TextSources, used: UsedNames, at: string): unknown {
  if (v === null || (typeof v === 'string' && MODES[key]!.includes(v))) return v;
  const o = v as { class_name?: unknown; config?: unknown; registered_name?: unknown } | null;
  const names = typeof v === 'string' ? [v] : o !== null && typeof o === 'object' && o.class_name === 'function' ? [o.registered_name, o.config].filter((n): n is string => typeof n === 'string') : [];
  if (names.length === 0) {
    const lambda = o !== null && typeof o === 'object' && o.class_name === '__lambda__';
    throw new ModelFormatError(`${at}: ${key} is ${lambda ? 'a Python lambda' : show(v)?.slice(0, 120)}; rnnkit reads ${MODES[key]!.map((m) => `'${m}'`).join(', ')}, null, or a named function given in loadModel's customObjects`);
  }
  const table = sources.customObjects ?? {};
  const name = names.find((n) => Object.prototype.hasOwnProperty.call(table, n));
  if (name === undefined) {
    // Its own name (config) is what its author knows it by; an unregistered function's registered_name is just 'function'.
    const own = names[names.length - 1]!;
    throw new ModelFormatError(`${at}: ${key} is the Python function '${own}'; rnnkit cannot run Python code: give it in JavaScript, loadModel(file, {customObjects: {'${own}': (text) => ${key === 'split' ? '[…tokens]' : '…'}}})`);
  }
  used.add(name);
  // Named by its customObjects key, the name it is saved by again.
  return namedFunction(table[name]!, name);
}

/** A TextVectorizer from a saved TextVectorization config and the vocabulary its container holds. */
export function vectorizerFromKeras(layer: KerasTextLayer, sources: TextSources, used: UsedNames): TextVectorizer {
  const { config: c, at } = layer;
  const args: TextVectorizerArgs = { name: layer.name, lowercase: 'ascii' };
  for (const [k, v] of Object.entries(c)) {
    const option = OPTION_KEYS[k];
    if (option !== undefined) {
      (args as Record<string, unknown>)[option] = k === 'standardize' || k === 'split' ? textFunction(k, v, sources, used, at) : v;
    } else if (!INERT_KEYS.has(k) && !['vocabulary', 'idf_weights', 'vocabulary_size'].includes(k)) {
      throw new ModelFormatError(`${at}: option '${k}' = ${show(v)?.slice(0, 80)} is not supported`);
    }
  }
  // Keras takes pad_to_max_tokens in 'int' mode and does nothing with it (ids are not vectors to pad).
  if ((args.outputMode ?? 'int') === 'int' && args.padToMaxTokens === true) delete args.padToMaxTokens;
  if (typeof c.vocabulary === 'string') throw new ModelFormatError(`${at}: its vocabulary is a file path (${JSON.stringify(c.vocabulary)}) on the machine that saved it, which the model file does not hold; give the layer the vocabulary as a list, or adapt it, before saving`);
  if (c.vocabulary !== undefined && c.vocabulary !== null && !Array.isArray(c.vocabulary)) throw new ModelFormatError(`${at}: vocabulary must be a list of tokens, got ${show(c.vocabulary)?.slice(0, 80)}`);
  if (c.idf_weights !== undefined && c.idf_weights !== null && !Array.isArray(c.idf_weights)) throw new ModelFormatError(`${at}: idf_weights must be a list of numbers, got ${show(c.idf_weights)?.slice(0, 80)}`);
  let vectorizer: TextVectorizer;
  try {
    vectorizer = new TextVectorizer(args);
  } catch (e) {
    throw new ModelFormatError(`${at}: ${(e as Error).message}`);
  }
  // A vocabulary given when the layer was made lives in its config (save_assets then writes none).
  const inConfig = Array.isArray(c.vocabulary) ? { vocabulary: c.vocabulary as string[], idfWeights: Array.isArray(c.idf_weights) ? (c.idf_weights as number[]) : null } : null;
  const held = sources.vocabularies?.(layer) ?? { vocabulary: null, idfWeights: null };
  if (inConfig !== null && held.vocabulary !== null) throw new ModelFormatError(`${at}: the file holds a vocabulary both in the layer's config and beside it; Keras writes one or the other`);
  const vocabulary = inConfig?.vocabulary ?? held.vocabulary;
  if (vocabulary === null) throw new ModelFormatError(`${at}: the file holds no vocabulary for it (a legacy .h5 file never saves an adapted TextVectorization's vocabulary; save the model as .keras)`);
  // The weights file's idf weights win over the config's, as Keras's load_own_variables runs after from_config.
  const idf = held.idfWeights ?? inConfig?.idfWeights ?? null;
  // Those hold '[UNK]''s weight first, whether or not the config's vocabulary lists '[UNK]'.
  const tokens = vectorizer.outputMode === 'tf_idf' && held.idfWeights !== null && vocabulary[0] !== OOV_TOKEN ? [OOV_TOKEN, ...vocabulary] : vocabulary;
  try {
    vectorizer.setVocabulary(tokens, vectorizer.outputMode === 'tf_idf' ? idf?.slice(0, tokens.length) ?? undefined : undefined);
  } catch (e) {
    throw new ModelFormatError(`${at}: ${(e as Error).message}`);
  }
  if (vectorizer.outputMode !== 'tf_idf' && idf !== null) throw new ModelFormatError(`${at}: idf weights with output_mode '${vectorizer.outputMode}' (they are for 'tf_idf' only)`);
  const size = c.vocabulary_size;
  if (size !== undefined && size !== null && size !== vectorizer.vocabularySize()) {
    throw new ModelFormatError(`${at}: vocabulary_size is ${show(size)}, but its vocabulary has ${vectorizer.vocabularySize()} entries with the special tokens`);
  }
  return vectorizer;
}

/** The numeric input shape (batch first) the vectorizer's output has. */
function numericBatchShape(v: TextVectorizer): (number | null)[] {
  if (v.outputMode === 'int') return [null, v.outputSequenceLength];
  return [null, v.padToMaxTokens ? v.maxTokens! : v.vocabularySize()];
}

/** A string input must hold one text per sample: shape () or (1,), as TextVectorization takes (with a split). */
function checkTextShape(shape: unknown, at: string): void {
  const ok = Array.isArray(shape) && (shape.length === 1 || (shape.length === 2 && (shape[1] === 1 || shape[1] === null)));
  if (!ok) throw new ModelFormatError(`${at}: a string input of shape ${show(shape)}; rnnkit takes one text per sample (shape () or (1,))`);
}

/**
 * Replace every reference to layer `from` (node 0) with one to `to` (node 0, tensor 0), in a saved
 * call structure; a Keras 3 tensor that referred to `from` takes `dtype` where one is given.
 */
function redirect(v: unknown, from: string, to: string, at: string, dtype?: string): unknown {
  if (Array.isArray(v)) {
    if (v.length >= 3 && typeof v[0] === 'string' && Number.isInteger(v[1]) && Number.isInteger(v[2])) {
      if (v[0] !== from) return v;
      if (v[1] !== 0 || v[2] !== 0) throw new ModelFormatError(`${at}: refers to node ${v[1]}, tensor ${v[2]} of '${from}', which has one call and one output`);
      return [to, 0, 0, ...v.slice(3)];
    }
    return v.map((e) => redirect(e, from, to, at, dtype));
  }
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (o.class_name === '__keras_tensor__') {
      const cfg = o.config as Record<string, unknown> | undefined;
      if (cfg === undefined) return o;
      const retyped = dtype !== undefined && Array.isArray(cfg.keras_history) && cfg.keras_history[0] === from ? { dtype } : {};
      return { ...o, config: { ...cfg, ...retyped, keras_history: redirect(cfg.keras_history, from, to, at) } };
    }
    return Object.fromEntries(Object.entries(o).map(([k, e]) => [k, redirect(e, from, to, at, dtype)]));
  }
  return v;
}

/** A string InputLayer entry made numeric: the vectorizer's output shape (under the key the entry used), float32. */
function numericInput(entry: KerasLayerJSON, v: TextVectorizer): KerasLayerJSON {
  const { batch_input_shape: _a, batch_shape: _b, dtype: _d, ...rest } = entry.config;
  return { ...entry, config: { ...rest, [entry.config.batch_shape !== undefined ? 'batch_shape' : 'batch_input_shape']: numericBatchShape(v), dtype: 'float32' } };
}

/** The one input a graph layer's single call reads, as a layer name. */
function onlyInput(l: KerasLayerJSON, at: string): string {
  const nodes = l.inbound_nodes;
  if (!Array.isArray(nodes) || nodes.length !== 1) throw new ModelFormatError(`${at}: called ${Array.isArray(nodes) ? nodes.length : 0} times; rnnkit reads a TextVectorization called once, on a string input`);
  const names = flatNames(nodes[0]);
  if (names.length !== 1) throw new ModelFormatError(`${at}: its call reads ${names.length} tensors; a TextVectorization reads one string input`);
  return names[0]!;
}

/** Split a topology's TextVectorization layers off into text inputs (see the file's comment); Keras 2 and 3 configs alike. */
export function splitTextInputs(topology: KerasModelJSON, where: string, sources: TextSources, used: UsedNames): SplitTopology {
  const found = textLayers(topology, where);
  if (found.length === 0) return { topology, textInputs: [] };
  if (topology.class_name === 'Sequential') return splitSequential(topology, found, where, sources, used);
  if (topology.class_name !== 'Model' && topology.class_name !== 'Functional') return { topology, textInputs: [] };
  const layers = [...topology.config.layers];
  const inputLayers = topology.config.input_layers;
  const outputLayers = topology.config.output_layers;
  const made: { name: string; vectorizer: TextVectorizer }[] = [];
  for (const t of found) {
    const tv = layers.find((l) => nameOf(l) === t.name)!;
    const from = onlyInput(tv, t.at);
    const k = layers.findIndex((l) => nameOf(l) === from);
    const input = layers[k];
    if (!isStringInput(input)) throw new ModelFormatError(`${t.at}: reads '${from}', which is not a string InputLayer; rnnkit reads a TextVectorization only right after a string input (Input(shape=(1,), dtype="string"))`);
    const reader = layers.find((l) => l !== tv && flatNames(l.inbound_nodes).includes(from));
    if (reader !== undefined) throw new ModelFormatError(`${t.at}: its string input '${from}' is also read by '${String(nameOf(reader))}'; rnnkit takes texts only into the TextVectorization`);
    if (flatNames(outputLayers).includes(t.name) || flatNames(outputLayers).includes(from)) throw new ModelFormatError(`${t.at}: it or its string input is an output of the model; rnnkit reads a TextVectorization only where other layers follow it`);
    checkTextShape(input!.config.batch_shape ?? input!.config.batch_input_shape, `${where} (InputLayer '${from}')`);
    const vectorizer = vectorizerFromKeras(t, sources, used);
    layers[k] = numericInput(input!, vectorizer);
    layers.splice(layers.indexOf(tv), 1);
    for (let i = 0; i < layers.length; i++) {
      const l = layers[i]!;
      if (l.inbound_nodes !== undefined) layers[i] = { ...l, inbound_nodes: redirect(l.inbound_nodes, t.name, from, `${where}: layer '${String(nameOf(l))}'`) };
    }
    made.push({ name: from, vectorizer });
  }
  const rewritten: KerasModelJSON = { ...topology, config: { ...topology.config, layers, input_layers: inputLayers, output_layers: outputLayers } };
  // Input order: input_layers as saved (a single input may be written flat).
  const order = flatNames(inputLayers);
  const textInputs = made.map((m) => {
    const input = order.indexOf(m.name);
    if (input < 0) throw new ModelFormatError(`${where}: the string input '${m.name}' is not among the model's input_layers`);
    return { input, vectorizer: m.vectorizer };
  });
  return { topology: rewritten, textInputs };
}

function flatNames(v: unknown): string[] {
  if (Array.isArray(v)) {
    if (v.length >= 3 && typeof v[0] === 'string' && Number.isInteger(v[1])) return [v[0]];
    return v.flatMap(flatNames);
  }
  if (v !== null && typeof v === 'object') return Object.values(v).flatMap(flatNames);
  return [];
}

/** Sequential: [string InputLayer, TextVectorization, …] or [TextVectorization holding the input shape, …]. */
function splitSequential(topology: KerasModelJSON, found: KerasTextLayer[], where: string, sources: TextSources, used: UsedNames): SplitTopology {
  const bare = Array.isArray(topology.config);
  const list = [...((bare ? topology.config : topology.config.layers) as unknown as KerasLayerJSON[])];
  const t = found[0]!;
  if (found.length > 1) throw new ModelFormatError(`${found[1]!.at}: a Sequential model with two TextVectorization layers; only the first layer can take texts`);
  const k = list.findIndex((l) => l?.class_name === CLASS);
  const first = list[0];
  if (!(k === 1 && isStringInput(first)) && k !== 0) {
    throw new ModelFormatError(`${t.at}: is layer ${k} of the Sequential model; rnnkit reads a TextVectorization only as its first layer, after a string input (Input(shape=(1,), dtype="string"))`);
  }
  // The texts' shape: the string InputLayer's, else the layer's own, else the model's build shape (a Sequential built by fitting on texts).
  const declared = k === 1 ? first!.config.batch_shape ?? first!.config.batch_input_shape : t.config.batch_input_shape ?? t.config.batch_shape ?? (bare ? undefined : topology.config.build_input_shape);
  if (declared === undefined || declared === null) throw new ModelFormatError(`${t.at}: the Sequential model declares no input shape (no InputLayer, no build_input_shape)`);
  checkTextShape(declared, t.at);
  const vectorizer = vectorizerFromKeras(t, sources, used);
  const inputEntry: KerasLayerJSON =
    k === 1 ? numericInput(first!, vectorizer) : { class_name: 'InputLayer', config: { batch_input_shape: numericBatchShape(vectorizer), dtype: 'float32', sparse: false, name: `${t.name}_input` } };
  // A nested model next (TensorFlow's tutorial: Sequential([vectorize_layer, model, Activation('sigmoid')])) brings its own input.
  const next = list[k + 1];
  list.splice(0, k + 1, ...(next !== undefined && MODEL_CLASSES.has(next.class_name) ? [] : [inputEntry]));
  const rewritten: KerasModelJSON = bare ? { ...topology, config: list as unknown as KerasModelJSON['config'] } : { ...topology, config: { ...topology.config, layers: list } };
  return { topology: rewritten, textInputs: [{ input: 0, vectorizer }] };
}

/**
 * The entries IndexLookup.save_assets wrote ("\n".join, in Python's text mode: "\r\n" on
 * Windows), trailing empty lines dropped as load_assets drops them. Only \n, \r\n and \r end
 * a line, as Keras 3's load_assets read them with f.read().split("\n") in text mode: the IMDB
 * tutorial's vocabulary holds the token '\x85' (a Windows-1252 ellipsis read as Latin-1),
 * which str.splitlines — what later Keras versions call — would break in two.
 */
export function vocabularyLines(text: string): string[] {
  const lines = text.split(/\r\n|[\n\r]/);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

// ---------------------------------------------------------------------------------------
// Writing: the inverse, for a .keras file (io/kerasFileWrite.ts).

type Json = Record<string, unknown>;

/** What a TextVectorization written into a .keras file needs beside its config: its weights path and tf_idf weights. */
export interface WrittenTextLayer {
  path: string;
  name: string;
  idfWeights: Float32Array | null;
}

/** A mode or null as it is; a function by name, as Keras 3 writes an unregistered one (read back through customObjects, in Keras too). */
function kerasTextFunction(v: string | null | SavedTextFunction): unknown {
  return v === null || typeof v === 'string' ? v : { module: 'builtins', class_name: 'function', config: v.function, registered_name: 'function' };
}

/**
 * TextVectorization.get_config of a vectorizer, as Keras 3 writes a layer made with a fixed
 * vocabulary (`vocabulary` and `idf_weights` in the config, special tokens first, so
 * from_config rebuilds it and no asset file is needed). What Keras cannot express is refused.
 */
function kerasTextConfig(v: TextVectorizer, at: string): Json {
  let c;
  try {
    c = v.getConfig();
  } catch (e) {
    throw new RangeError(`${at}: ${(e as Error).message}`);
  }
  if (c.truncate === 'pre') throw new RangeError(`${at}: truncate 'pre' (keep a long text's last tokens) has no Keras TextVectorization form; Keras keeps the first`);
  if (c.vocabulary === null) throw new RangeError(`${at}: the vectorizer has no vocabulary yet (adapt it first)`);
  const vocabulary = v.getVocabulary(true);
  // Keras lowers ASCII letters only (tf.strings.lower): a Unicode-lowering vectorizer gives the same
  // ids there only if no token holds a non-ASCII letter (one exception left: the Kelvin sign U+212A,
  // which Unicode lowers to an ASCII 'k').
  const lowers = c.standardize === 'lower' || c.standardize === 'lower_and_strip_punctuation';
  const nonAscii = vocabulary.find((t) => /[^\x00-\x7f]/.test(t));
  if (lowers && v.lowercase === 'unicode' && nonAscii !== undefined) {
    throw new RangeError(`${at}: the vectorizer lowers Unicode letters (lowercase 'unicode') and its vocabulary holds non-ASCII tokens (${JSON.stringify(nonAscii)}); Keras's TextVectorization lowers ASCII letters only, so 'É' would give other ids there. Make the vectorizer with lowercase: 'ascii' to save it as .keras`);
  }
  return {
    module: 'keras.layers',
    class_name: CLASS,
    config: {
      name: v.name,
      trainable: true,
      dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null },
      max_tokens: c.maxTokens,
      standardize: kerasTextFunction(c.standardize),
      split: kerasTextFunction(c.split),
      ngrams: c.ngrams,
      output_mode: c.outputMode,
      output_sequence_length: c.outputSequenceLength,
      pad_to_max_tokens: c.padToMaxTokens,
      sparse: false,
      ragged: false,
      vocabulary,
      idf_weights: c.idfWeights,
      encoding: 'utf-8',
      vocabulary_size: vocabulary.length,
    },
    registered_name: null,
  };
}

/**
 * A model's Keras 3 config (io/kerasFileWrite.ts serializeModel, its text inputs as numeric
 * inputs) with each text input written back as Keras has it: a string InputLayer of shape
 * (1,) and a TextVectorization reading it, which the layers that read the input now read.
 */
export function joinTextInputs(config: Json, inputs: { name: string; vectorizer: TextVectorizer }[], where: string): { config: Json; written: WrittenTextLayer[] } {
  if (inputs.length === 0) return { config, written: [] };
  const c = config.config as Json & { layers: KerasLayerJSON[] };
  const layers = [...c.layers];
  const stringInput = (l: KerasLayerJSON): KerasLayerJSON => ({ ...l, config: { ...l.config, batch_shape: [null, 1], dtype: 'string' } });
  inputs.forEach(({ name, vectorizer }) => {
    const at = `${where}: text input '${name}'`;
    if (layers.some((l) => nameOf(l) === vectorizer.name)) throw new RangeError(`${at}: its vectorizer is named '${vectorizer.name}', as a layer of the model is; give it another name`);
    const tv = kerasTextConfig(vectorizer, at);
    let i = layers.findIndex((l) => l.class_name === 'InputLayer' && nameOf(l) === name);
    if (i < 0 && config.class_name === 'Sequential') {
      // A Sequential starting with a nested model: Keras writes no InputLayer for it, but a string input needs one.
      layers.unshift({ module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 1], dtype: 'string', sparse: false, ragged: false, name, optional: false }, registered_name: null } as unknown as KerasLayerJSON);
      i = 0;
    }
    if (i < 0) throw new RangeError(`${at}: the model's Keras config has no InputLayer for it`);
    // Readers of the input now read the vectorizer, whose output dtype Keras records in the tensor.
    const out = vectorizer.outputMode === 'int' ? 'int64' : 'float32';
    if (config.class_name === 'Sequential') {
      layers.splice(i, 1, stringInput(layers[i]!), tv as unknown as KerasLayerJSON);
    } else {
      for (let j = 0; j < layers.length; j++) if (layers[j]!.inbound_nodes !== undefined) layers[j] = { ...layers[j]!, inbound_nodes: redirect(layers[j]!.inbound_nodes, name, vectorizer.name, at, out) };
      const reads = { class_name: '__keras_tensor__', config: { shape: [null, 1], dtype: 'string', keras_history: [name, 0, 0] } };
      layers.splice(i, 1, stringInput(layers[i]!), { ...(tv as unknown as KerasLayerJSON), name: vectorizer.name, inbound_nodes: [{ args: [reads], kwargs: {} }] });
      if (flatNames(c.output_layers).includes(name)) throw new RangeError(`${at}: the input is also an output of the model`);
    }
  });
  // Paths follow the layers' order in the config (saving_lib's counter per class).
  const written: WrittenTextLayer[] = layers
    .filter((l) => l.class_name === CLASS)
    .map((l, k) => {
      const v = inputs.find((t) => t.vectorizer.name === ((l as { name?: string }).name ?? l.config.name))!.vectorizer;
      return { path: `layers/text_vectorization${k === 0 ? '' : `_${k}`}`, name: v.name, idfWeights: v.outputMode === 'tf_idf' ? Float32Array.from(v.getConfig().idfWeights!) : null };
    });
  const top: Json = { ...config, config: { ...c, layers } };
  if (config.class_name === 'Sequential') {
    (top.config as Json).build_input_shape = [null, 1];
    top.build_config = { input_shape: [null, 1] };
  }
  return { config: top, written };
}
