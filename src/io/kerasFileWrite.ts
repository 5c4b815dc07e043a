/**
 * Writing Keras 3 `.keras` files, as keras/src/saving/saving_lib.py (Keras 3.16,
 * keras-team/keras @3422977a5) writes them: a zip (stored, not deflated, as Python's
 * zipfile.ZipFile(f, "w") does) of
 *
 *   metadata.json     {keras_version, date_saved ("%Y-%m-%d@%H:%M:%S", local time)};
 *   config.json       serialize_keras_object(model): {module, class_name, config,
 *                     registered_name, build_config}; a Sequential's layers start with its
 *                     InputLayer, a Functional's carry name and inbound_nodes ({args, kwargs}
 *                     with __keras_tensor__ references), layer configs in Keras 3 spellings
 *                     (io/config.ts layerToKeras3Config, the inverse of the reader);
 *   model.weights.h5  every saveable's group `<path>/vars` with attrs {name}, its variables
 *                     as datasets "0", "1", … — the paths io/kerasFile.ts reads, computed by
 *                     the same function (modelPaths), so writer and reader cannot disagree.
 *
 * Not written: compile_config and the optimizer's variables (the model loads in Keras
 * uncompiled), and layers or options Keras 3 has no spelling for are refused by name.
 */
import { checkOptions, show } from '../core/errors.js';
import { Bidirectional } from '../layers/bidirectional.js';
import { InputLayer } from '../layers/inputLayer.js';
import type { Layer, LayerWeight } from '../layers/layer.js';
import type { Node, SymbolicTensor } from '../layers/node.js';
import { Recurrent } from '../layers/recurrent.js';
import { TimeDistributed } from '../layers/timeDistributed.js';
import { TimeSlice } from '../layers/timeSlice.js';
import { MultiHeadAttention } from '../layers/multiHeadAttention.js';
import { Concatenate } from '../layers/merge.js';
import { Embedding } from '../layers/embedding.js';
import { Masking } from '../layers/masking.js';
import { Model } from '../models/model.js';
import { layerToKeras3Config, type KerasModelJSON } from './config.js';
import { h5Group, writeHdf5, type H5GroupSpec } from './hdf5Write.js';
import { crc32, modelPaths, toSnakeCase } from './kerasFile.js';
import { joinTextInputs } from './kerasText.js';
import { isNode, writeBinaryFile } from './node.js';

/** The saving_lib.py whose layout and config spellings these files follow. */
export const KERAS_FILE_VERSION = '3.16.0';

export interface KerasFileSaveOptions {
  /** The time written as metadata.json's date_saved and the zip members' dates (default: now). */
  date?: Date;
}

type Json = Record<string, unknown>;

const policy = (name: string): Json => ({ module: 'keras', class_name: 'DTypePolicy', config: { name }, registered_name: null });

/** Keras 3's names for rnnkit's recurrent cells (the `name` attribute of `cell/vars`). */
const CELL_NAMES: Readonly<Record<string, string>> = { LSTM: 'lstm_cell', GRU: 'gru_cell', SimpleRNN: 'simple_rnn_cell' };

/** A shape with the batch axis open, as Keras writes it. */
const withBatch = (shape: readonly (number | null)[]): (number | null)[] => [null, ...shape.slice(1)];

/** The Keras 3 serialization of one layer, without graph data (name, inbound_nodes). */
function serializeLayer(layer: Layer, where: string, buildShape: unknown): Json {
  if (layer instanceof Model) return serializeModel(layer, where);
  const at = `${where}: layer '${layer.name}' (${layer.className})`;
  const config = layerToKeras3Config(layer, at);
  if (layer instanceof Bidirectional) {
    // Keras 3 Bidirectional.get_config: both halves, the forward one as `layer`.
    config.layer = serializeLayer(layer.forwardLayer, at, undefined);
    config.backward_layer = serializeLayer(layer.backwardLayer, at, undefined);
  } else if (layer instanceof TimeDistributed) {
    const step = Array.isArray(buildShape) ? [buildShape[0], ...(buildShape as unknown[]).slice(2)] : undefined;
    config.layer = serializeLayer(layer.layer, at, step);
  }
  return { module: 'keras.layers', class_name: layer.className, config, registered_name: null, ...(buildShape === undefined ? {} : { build_config: { input_shape: buildShape } }) };
}

function inputLayerConfig(l: InputLayer): Json {
  return { batch_shape: [...l.batchInputShape!], dtype: l.inputDtype, sparse: false, ragged: false, name: l.name, optional: false };
}

/**
 * A graph's layers in the order Keras 3 gives a Functional's `layers` (keras/src/ops/function.py
 * map_graph): nodes found depth-first from the outputs; a node's depth is one more than its
 * deepest consumer's, and at least its layer's depth so far (a shared layer takes its deepest
 * call's); layers by decreasing depth, ties by when the search first met them. saving_lib
 * names the weight groups in this order (the second Dense `dense_1`), and get_config lists the
 * layers in it, so the file is written in it too. rnnkit's own graph order differs only in
 * placing every input first.
 */
function kerasLayerOrder(model: Model): Layer[] {
  const graph = model.graph;
  const nodeOf = (t: SymbolicTensor): Node => t.sourceLayer.inboundNodes[t.nodeIndex]!;
  const finished = new Set<Node>();
  const postOrder: Node[] = [];
  const firstSeen = new Map<Layer, number>();
  const visit = (t: SymbolicTensor): void => {
    const node = nodeOf(t);
    if (finished.has(node)) return;
    if (!firstSeen.has(node.layer)) firstSeen.set(node.layer, firstSeen.size);
    if (!(node.layer instanceof InputLayer)) for (const x of node.inputs) visit(x);
    finished.add(node);
    postOrder.push(node);
  };
  for (const t of graph.outputs) visit(t);
  const nodeDepth = new Map<Node, number>();
  const layerDepth = new Map<Layer, number>();
  for (const node of [...postOrder].reverse()) {
    const depth = Math.max(nodeDepth.get(node) ?? 0, layerDepth.get(node.layer) ?? 0);
    layerDepth.set(node.layer, depth);
    nodeDepth.set(node, depth);
    if (node.layer instanceof InputLayer) continue;
    for (const x of node.inputs) {
      const parent = nodeOf(x);
      nodeDepth.set(parent, Math.max(depth + 1, nodeDepth.get(parent) ?? 0));
    }
  }
  return [...layerDepth.keys()].sort((a, b) => layerDepth.get(b)! - layerDepth.get(a)! || firstSeen.get(a)! - firstSeen.get(b)!);
}

/** Keras 3's entry of a model: Sequential (layers from its InputLayer on) or Functional (layers with their calls). */
export function serializeModel(model: Model, where: string): Json {
  const at = `${where}: model '${model.name}'`;
  const graph = model.graph;
  if (model.className === 'Sequential') {
    const input = graph.inputs[0]!;
    const inputLayer = input.sourceLayer as InputLayer;
    const batch = withBatch(input.shape);
    // Keras 3's Sequential makes an InputLayer from its first layer's input shape; a nested
    // model first brings its own input, and Keras then writes none (nor does rnnkit's reader take one).
    const nestedFirst = model.layers.find((l) => !(l instanceof InputLayer)) instanceof Model;
    const layers: Json[] = nestedFirst ? [] : [{ module: 'keras.layers', class_name: 'InputLayer', config: { ...inputLayerConfig(inputLayer), batch_shape: [inputLayer.batchInputShape?.[0] ?? null, ...input.shape.slice(1)] }, registered_name: null }];
    for (const l of model.layers) {
      if (l instanceof InputLayer) continue;
      const node = l.inboundNodes.find((n) => graph.nodes.includes(n));
      layers.push(serializeLayer(l, at, node === undefined || node.inputs.length !== 1 ? undefined : withBatch(node.inputs[0]!.shape)));
    }
    return {
      module: 'keras',
      class_name: 'Sequential',
      config: { name: model.name, trainable: model.trainable, dtype: policy('float32'), layers, build_input_shape: batch },
      registered_name: null,
      build_config: { input_shape: batch },
    };
  }
  // Node indices as Keras numbers them in a saved model: a layer's calls within this graph, in order.
  const inGraph = new Set<Node>(graph.nodes);
  for (const t of graph.inputs) inGraph.add(t.sourceLayer.inboundNodes[t.nodeIndex]!);
  const ref = (t: SymbolicTensor): [string, number, number] => {
    const nodes = t.sourceLayer.inboundNodes.filter((n) => inGraph.has(n));
    return [t.sourceLayer.name, nodes.indexOf(t.sourceLayer.inboundNodes[t.nodeIndex]!), t.tensorIndex];
  };
  // Every layer computes in float32; only an input may hold int32 (token ids).
  const dtypeOf = (t: SymbolicTensor): string => (t.sourceLayer instanceof InputLayer ? t.sourceLayer.inputDtype : 'float32');
  const kerasTensor = (t: SymbolicTensor): Json => ({ class_name: '__keras_tensor__', config: { shape: withBatch(t.shape), dtype: dtypeOf(t), keras_history: ref(t) } });
  const layers = kerasLayerOrder(model).map((l) => {
    if (l instanceof InputLayer) return { module: 'keras.layers', class_name: 'InputLayer', config: inputLayerConfig(l), registered_name: null, name: l.name, inbound_nodes: [] };
    if (l instanceof TimeSlice) return getItemOp(l, inGraph, kerasTensor);
    const nodes = l.inboundNodes.filter((n) => inGraph.has(n) && n.inputs.length > 0);
    const first = nodes[0];
    const build = first !== undefined && first.inputs.length === 1 ? withBatch(first.inputs[0]!.shape) : undefined;
    const inbound = nodes.map((n) => {
      const main = n.inputs.slice(0, n.mainCount);
      const states = n.inputs.slice(n.mainCount);
      const kwargs: Json = {};
      for (const [k, v] of Object.entries(n.call.args)) kwargs[k.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase())] = v;
      if (states.length > 0) kwargs.initial_state = states.map(kerasTensor);
      // MultiHeadAttention is called as mha(query, value, key=key), not on a list.
      if (l instanceof MultiHeadAttention) {
        if (main.length > 2) kwargs.key = kerasTensor(main[2]!);
        return { args: main.slice(0, 2).map(kerasTensor), kwargs };
      }
      return { args: [main.length === 1 ? kerasTensor(main[0]!) : main.map(kerasTensor)], kwargs };
    });
    return { ...serializeLayer(l, at, build), name: l.name, inbound_nodes: inbound };
  });
  // A single input or output as a bare reference, several as a list (Keras maps the structure the model was built with).
  const ends = (ts: readonly SymbolicTensor[]): unknown => (ts.length === 1 ? ref(ts[0]!) : ts.map(ref));
  // Functional is no `keras.*` export, so Keras 3 writes its module and registered name (as GetItem below);
  // Keras 3 cannot find a 'Functional' in the module 'keras' ("not a KerasSaveable subclass").
  return {
    module: 'keras.src.models.functional',
    class_name: 'Functional',
    config: { name: model.name, trainable: model.trainable, layers, input_layers: ends(graph.inputs), output_layers: ends(graph.outputs) },
    registered_name: 'Functional',
  };
}

/**
 * A TimeSlice as Keras 3 holds `x[:, i]` / `x[:, a:b]` in a functional model: a GetItem op
 * entry (keras/src/ops/numpy.py; no weights, no saving path) whose call passes the tensor and
 * the key, each slice serialized as serialization_lib writes a Python slice.
 */
function getItemOp(l: TimeSlice, inGraph: Set<Node>, kerasTensor: (t: SymbolicTensor) => Json): Json {
  const slice = (start: number | null, stop: number | null): Json => ({ class_name: '__slice__', config: { start, stop, step: null } });
  const time = l.index !== null ? l.index : slice(l.start, l.stop);
  const nodes = l.inboundNodes.filter((n) => inGraph.has(n));
  return {
    module: 'keras.src.ops.numpy',
    class_name: 'GetItem',
    config: { name: l.name },
    registered_name: 'GetItem',
    name: l.name,
    inbound_nodes: nodes.map((n) => ({ args: [kerasTensor(n.inputs[0]!), [slice(null, null), time]], kwargs: {} })),
  };
}

/** The group at `path` (made on the way), with its `vars` group named as Keras names the saveable. */
function groupAt(root: H5GroupSpec, path: string): H5GroupSpec {
  let g = root;
  for (const part of path.split('/').filter((p) => p !== '')) {
    let next = g.members.get(part);
    if (next === undefined) {
      next = h5Group();
      g.members.set(part, next);
    }
    g = next as H5GroupSpec;
  }
  return g;
}

function vars(root: H5GroupSpec, path: string, name: string): H5GroupSpec {
  const v = groupAt(root, path === '' ? 'vars' : `${path}/vars`);
  v.attrs.set('name', name);
  return v;
}

/**
 * The `vars` group of every saveable saving_lib visits (it makes one, with the saveable's
 * name, even where there are no variables): the model, its layers (a Functional's input
 * layers too), a recurrent layer's cell, Bidirectional's halves, TimeDistributed's layer.
 * Paths as modelPaths gives them to the weights: `layers/<snake class>[_k]`.
 */
function saveableGroups(root: H5GroupSpec, model: Model, json: KerasModelJSON, prefix: string): void {
  vars(root, prefix.replace(/\/$/, ''), model.name);
  const used = new Map<string, number>();
  for (const l of json.config.layers as { class_name: string; name?: string; config: Json; module?: string }[]) {
    if (l.class_name === 'InputLayer' && model.className === 'Sequential') continue;
    // An op (GetItem) is no saveable: saving_lib visits model.layers, which holds layers only.
    if (l.module?.startsWith('keras.src.ops') === true) continue;
    const name = l.name ?? (l.config.name as string);
    const layer = model.layers.find((x) => x.name === name)!;
    const snake = toSnakeCase(l.class_name);
    const n = used.get(snake);
    used.set(snake, n === undefined ? 0 : n + 1);
    const path = `${prefix}layers/${n === undefined ? snake : `${snake}_${n + 1}`}`;
    layerGroups(root, layer, l, path);
  }
}

function layerGroups(root: H5GroupSpec, layer: Layer, json: Json, path: string): void {
  if (layer instanceof Model) return saveableGroups(root, layer, json as unknown as KerasModelJSON, `${path}/`);
  vars(root, path, layer.name);
  if (layer instanceof Recurrent) vars(root, `${path}/cell`, CELL_NAMES[layer.className] ?? `${layer.className.toLowerCase()}_cell`);
  else if (layer instanceof Bidirectional) {
    layerGroups(root, layer.forwardLayer, {}, `${path}/forward_layer`);
    layerGroups(root, layer.backwardLayer, {}, `${path}/backward_layer`);
  } else if (layer instanceof TimeDistributed) layerGroups(root, layer.layer, ((json.config as Json | undefined)?.layer ?? {}) as Json, `${path}/layer`);
}

const two = (n: number): string => String(n).padStart(2, '0');

/** A stored (not deflated) zip of the members, in order, as Python's zipfile writes one. */
function zipStored(members: [string, Uint8Array][], date: Date): Uint8Array {
  const dosTime = (date.getHours() << 11) | (date.getMinutes() << 5) | (date.getSeconds() >> 1);
  const dosDate = ((Math.max(1980, date.getFullYear()) - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate();
  const names = members.map(([n]) => new TextEncoder().encode(n));
  const size = members.reduce((s, [, d], i) => s + 30 + names[i]!.length + d.length + 46 + names[i]!.length, 0) + 22;
  if (size > 0xffffffff) throw new RangeError(`saveKerasFile: the file would be ${size} bytes; zip64 archives (over 4 GiB) are not written`);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  const central: { name: Uint8Array; crc: number; size: number; offset: number }[] = [];
  let p = 0;
  members.forEach(([, data], i) => {
    const name = names[i]!;
    const crc = crc32(data);
    central.push({ name, crc, size: data.length, offset: p });
    dv.setUint32(p, 0x04034b50, true);
    dv.setUint16(p + 4, 20, true); // version needed: 2.0
    dv.setUint16(p + 8, 0, true); // stored
    dv.setUint16(p + 10, dosTime, true);
    dv.setUint16(p + 12, dosDate, true);
    dv.setUint32(p + 14, crc, true);
    dv.setUint32(p + 18, data.length, true);
    dv.setUint32(p + 22, data.length, true);
    dv.setUint16(p + 26, name.length, true);
    out.set(name, p + 30);
    out.set(data, p + 30 + name.length);
    p += 30 + name.length + data.length;
  });
  const cd = p;
  for (const e of central) {
    dv.setUint32(p, 0x02014b50, true);
    dv.setUint16(p + 4, 0x0314, true); // made by: Unix, 2.0
    dv.setUint16(p + 6, 20, true);
    dv.setUint16(p + 10, 0, true);
    dv.setUint16(p + 12, dosTime, true);
    dv.setUint16(p + 14, dosDate, true);
    dv.setUint32(p + 16, e.crc, true);
    dv.setUint32(p + 20, e.size, true);
    dv.setUint32(p + 24, e.size, true);
    dv.setUint16(p + 28, e.name.length, true);
    dv.setUint32(p + 38, (0o600 << 16) >>> 0, true); // rw-------, what zipfile gives a member written from bytes
    dv.setUint32(p + 42, e.offset, true);
    out.set(e.name, p + 46);
    p += 46 + e.name.length;
  }
  dv.setUint32(p, 0x06054b50, true);
  dv.setUint16(p + 8, central.length, true);
  dv.setUint16(p + 10, central.length, true);
  dv.setUint32(p + 12, p - cd, true);
  dv.setUint32(p + 16, cd, true);
  return out;
}

/**
 * Keras 3's Concatenate joins feature-axis masks with any; one read from a tf.keras 2 or TF.js
 * file joins them with all (maskReduction), which a .keras file cannot say. Refused where the
 * model makes masks at all (an Embedding with maskZero, a Masking layer); without them the two
 * rules give the same numbers, and the layer is written as Keras 3's.
 */
function checkMaskReduction(model: Model, where: string): void {
  const all: Layer[] = [];
  const walk = (l: Layer): void => {
    all.push(l);
    if (l instanceof Model) l.layers.forEach(walk);
    else if (l instanceof TimeDistributed) walk(l.layer);
  };
  walk(model);
  const joins = all.filter((l): l is Concatenate => l instanceof Concatenate && l.maskReduction === 'all');
  const makers = all.filter((l) => (l instanceof Embedding && l.maskZero) || l instanceof Masking);
  if (joins.length > 0 && makers.length > 0) {
    throw new RangeError(
      `${where}: ${joins.map((l) => `'${l.name}'`).join(', ')} join${joins.length > 1 ? '' : 's'} masks as tf.keras 2 and TF.js do (a step kept only if every masked input keeps it; maskReduction 'all'), and Keras 3's Concatenate keeps it if any does; with masks from ${makers.map((l) => `'${l.name}'`).join(', ')} the two give other numbers, so a .keras file cannot hold this model (save it as TF.js or ONNX)`,
    );
  }
}

/** The synchronous core of saveKerasFile: the bytes of a `.keras` file. */
export function kerasFileBytes(model: Model, options: KerasFileSaveOptions = {}): Uint8Array {
  if (!(model instanceof Model)) throw new TypeError(`saveKerasFile: expected a Sequential or graph model, got ${show(model)}`);
  const where = `saveKerasFile(${model.className} '${model.name}')`;
  checkOptions(options ?? {}, ['date'], `${where} options`);
  const date = options?.date ?? new Date();
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) throw new TypeError(`${where}: date must be a valid Date, got ${show(date)}`);
  if (!model.isBuilt) throw new RangeError(`${where}: saving needs a built model; give the first layer an inputShape, or fit/predict first`);
  checkMaskReduction(model, where);
  const numeric = serializeModel(model, where);

  const paths = new Map<LayerWeight, string>();
  modelPaths(model, numeric as unknown as KerasModelJSON, '', paths, where);
  const root = h5Group();
  saveableGroups(root, model, numeric as unknown as KerasModelJSON, '');
  // Text inputs go back to Keras's form (io/kerasText.ts); their paths shift no other layer's.
  const { config, written } = joinTextInputs(numeric, model.textInputList(), where);
  for (const t of written) {
    // The layer's own group and its StringLookup's, as saving_lib visits both; a 'tf_idf' layer's weights in each.
    for (const [path, name] of [[t.path, t.name], [`${t.path}/_lookup_layer`, 'string_lookup']] as const) {
      const g = vars(root, path, name);
      if (t.idfWeights !== null) g.members.set('idf_weights', { shape: [t.idfWeights.length], data: t.idfWeights });
    }
  }
  for (const w of model.weights) {
    const p = paths.get(w);
    if (p === undefined) throw new RangeError(`${where}: weight '${w.name}' has no place in Keras 3's layout`);
    const cut = p.lastIndexOf('/');
    const g = groupAt(root, p.slice(0, cut));
    const name = p.slice(cut + 1);
    if (g.members.has(name)) throw new RangeError(`${where}: two weights would be saved at ${p}`);
    g.members.set(name, { shape: [...w.shape], data: w.value });
  }
  const h5 = writeHdf5(root, `${where}: model.weights.h5`);
  const dateSaved = `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}@${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
  const text = (o: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(o));
  return zipStored(
    [
      ['metadata.json', text({ keras_version: KERAS_FILE_VERSION, date_saved: dateSaved })],
      ['config.json', text(config)],
      ['model.weights.h5', h5],
    ],
    date,
  );
}

/**
 * Save a built model as a Keras 3 `.keras` file: returns its bytes and, in Node, also
 * writes them to `target` (temporary name in the same directory, then rename) when given.
 */
export async function saveKerasFile(model: Model, target?: string | null, options: KerasFileSaveOptions = {}): Promise<Uint8Array> {
  const bytes = kerasFileBytes(model, options);
  if (target !== undefined && target !== null) {
    if (typeof target !== 'string') throw new TypeError(`saveKerasFile: target must be a file path, got ${show(target)}`);
    if (!isNode()) throw new TypeError('saveKerasFile: a file path works in Node only; in a browser use the returned bytes');
    await writeBinaryFile(target.startsWith('file://') ? decodeURIComponent(new URL(target).pathname) : target, bytes, 'saveKerasFile');
  }
  return bytes;
}
