/**
 * Keras 1 (1.1–1.2) `.h5` files, read as Keras 2 read them: the layer configs through the
 * conversions of Keras 2's keras/legacy/interfaces.py (output_dim → units, init →
 * kernel_initializer, inner_activation → recurrent_activation, dropout_W → dropout,
 * consume_less → implementation, p → rate, …) and the weights through the Keras 1 branch of
 * preprocess_weights_for_loading (per-gate LSTM weights W_i, U_i, b_i, W_c, …, W_o in the
 * order i, c, f, o and GRU's W_z … b_h concatenated into Keras 2's kernel, recurrent_kernel
 * and bias, gates i, f, c, o and z, r, h). Keras 1.2.2's writers were read for the layout
 * (keras/models.py save_model, engine/topology.py save_weights_to_hdf5_group, the layers'
 * get_config).
 *
 * Only the layers whose Keras 1 meaning is Keras 2's are translated: Dense, Embedding,
 * SimpleRNN, GRU, LSTM, Dropout, Activation, Masking, RepeatVector, Flatten, TimeDistributed,
 * Bidirectional, InputLayer and Convolution1D (Keras 2's legacy_conv1d_support: nb_filter →
 * filters, filter_length → kernel_size, subsample_length → strides, border_mode → padding;
 * its kernel, stored [filter_length, 1, input_dim, nb_filter] or in Keras 1.0's
 * [nb_filter, input_dim, filter_length, 1], read as Keras 2's preprocess_weights_for_loading
 * reads it — not flipped: Keras 1 files name no backend, so Keras 2 applies no Theano kernel
 * conversion either); anything else (Merge, 2-D convolutions with their dim_ordering,
 * BatchNormalization's modes, nested models) is refused by name, as is
 * any option the translation does not know, and regularizers or constraints (Keras 1's
 * {name, l1, l2} objects, which Keras 2 itself could not read).
 */
import { ModelFormatError, show } from '../core/errors.js';
import { Bidirectional } from '../layers/bidirectional.js';
import type { Layer } from '../layers/layer.js';
import { TimeDistributed } from '../layers/timeDistributed.js';
import type { Conv1D } from '../layers/conv1d.js';

/** One stored weight: its name (or, converted, its Keras 2 name), where it is, its shape, its values on demand. */
export interface StoredWeight {
  name: string;
  at: string;
  shape: number[];
  read: () => Float32Array;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Keras 1's initializer names, as the Keras 2 objects that compute the same (Keras 1's
 * 'normal' and 'uniform' had scale 0.05, its glorot_normal and he_normal were untruncated,
 * its orthogonal had gain 1.1). They only matter if the layer is initialized again.
 */
const INITIALIZERS: Record<string, unknown> = {
  zero: 'zeros',
  one: 'ones',
  uniform: { class_name: 'RandomUniform', config: { minval: -0.05, maxval: 0.05, seed: null } },
  normal: { class_name: 'RandomNormal', config: { mean: 0, stddev: 0.05, seed: null } },
  lecun_uniform: { class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_in', distribution: 'uniform', seed: null } },
  glorot_uniform: { class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_avg', distribution: 'uniform', seed: null } },
  glorot_normal: { class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_avg', distribution: 'untruncated_normal', seed: null } },
  he_uniform: { class_name: 'VarianceScaling', config: { scale: 2, mode: 'fan_in', distribution: 'uniform', seed: null } },
  he_normal: { class_name: 'VarianceScaling', config: { scale: 2, mode: 'fan_in', distribution: 'untruncated_normal', seed: null } },
  orthogonal: { class_name: 'Orthogonal', config: { gain: 1.1, seed: null } },
  identity: { class_name: 'Identity', config: { gain: 1 } },
};

/** Keras 1 option → Keras 2 option, per class (keras/legacy/interfaces.py), plus the options kept as they are. */
const BASE = ['name', 'trainable', 'batch_input_shape', 'input_dtype'];
const RECURRENT = [...BASE, 'output_dim', 'init', 'inner_init', 'forget_bias_init', 'activation', 'inner_activation', 'W_regularizer', 'U_regularizer', 'b_regularizer', 'dropout_W', 'dropout_U', 'return_sequences', 'go_backwards', 'stateful', 'unroll', 'consume_less', 'input_dim', 'input_length'];
const KNOWN: Record<string, string[]> = {
  InputLayer: ['name', 'batch_input_shape', 'input_dtype', 'sparse'],
  Dense: [...BASE, 'output_dim', 'init', 'activation', 'W_regularizer', 'b_regularizer', 'activity_regularizer', 'W_constraint', 'b_constraint', 'bias', 'input_dim'],
  Embedding: [...BASE, 'input_dim', 'output_dim', 'init', 'input_length', 'mask_zero', 'activity_regularizer', 'W_regularizer', 'W_constraint', 'dropout'],
  SimpleRNN: RECURRENT,
  GRU: RECURRENT,
  LSTM: RECURRENT,
  Dropout: [...BASE, 'p'],
  Activation: [...BASE, 'activation'],
  Masking: [...BASE, 'mask_value'],
  RepeatVector: [...BASE, 'n'],
  Flatten: BASE,
  TimeDistributed: [...BASE, 'layer'],
  Bidirectional: [...BASE, 'layer', 'merge_mode'],
  Convolution1D: [...BASE, 'nb_filter', 'filter_length', 'init', 'activation', 'border_mode', 'subsample_length', 'W_regularizer', 'b_regularizer', 'activity_regularizer', 'W_constraint', 'b_constraint', 'bias', 'input_dim', 'input_length'],
};

const RENAME: Record<string, string> = {
  output_dim: 'units',
  inner_init: 'recurrent_initializer',
  inner_activation: 'recurrent_activation',
  dropout_W: 'dropout',
  dropout_U: 'recurrent_dropout',
  bias: 'use_bias',
  p: 'rate',
  input_dtype: 'dtype',
};

/** One layer's {class_name, config} in Keras 2 form; `first` when it is a Sequential's first layer. */
function layerConfig(json: unknown, first: boolean, where: string, depth: number): Json {
  if (!isObject(json) || typeof json.class_name !== 'string' || !isObject(json.config)) throw new ModelFormatError(`${where}: expected {class_name, config}, got ${show(json)?.slice(0, 80)}`);
  const cls = json.class_name;
  const c = json.config;
  const at = `${where} (${cls} '${String(c.name)}')`;
  const known = KNOWN[cls];
  if (known === undefined) {
    throw new ModelFormatError(`${at}: Keras 1 layer class '${cls}' is not read; rnnkit translates Keras 1's ${Object.keys(KNOWN).join(', ')}`);
  }
  const out: Json = {};
  for (const [k, v] of Object.entries(c)) {
    if (!known.includes(k)) throw new ModelFormatError(`${at}: Keras 1 option '${k}' is not known here; rnnkit translates ${known.join(', ')}`);
    if (/_(regularizer|constraint)$/.test(k)) {
      if (v !== null) throw new ModelFormatError(`${at}: Keras 1 ${k} ${show(v)?.slice(0, 60)} is not read (Keras 1's regularizer and constraint objects have no Keras 2 form)`);
      continue;
    }
    if (k === 'init') out[cls === 'Embedding' ? 'embeddings_initializer' : 'kernel_initializer'] = initializer(v, `${at}: init`);
    else if (k === 'inner_init') out.recurrent_initializer = initializer(v, `${at}: inner_init`);
    else if (k === 'forget_bias_init') out.unit_forget_bias = v === 'one';
    else if (k === 'consume_less') {
      // Keras 2 maps cpu → 0, mem → 1, gpu → 2; its 0 ran the fused path of 2. The same numbers either way.
      const impl = ({ cpu: 2, mem: 1, gpu: 2 } as Record<string, number>)[String(v)];
      if (impl === undefined) throw new ModelFormatError(`${at}: consume_less ${show(v)}; Keras 1 had 'cpu', 'mem' and 'gpu'`);
      out.implementation = impl;
    } else if (k === 'dropout' && cls === 'Embedding') {
      // Keras 2 dropped Embedding's dropout (a training-time row dropout) with a warning; rnnkit refuses rather than train otherwise.
      if (v !== 0 && v !== null) throw new ModelFormatError(`${at}: Keras 1 Embedding dropout ${show(v)} has no Keras 2 form (Keras 2 suggests SpatialDropout1D after the Embedding)`);
    } else if (k === 'input_dim' || k === 'input_length') {
      if (cls === 'Embedding') out[k] = v;
      // Otherwise the layer's input shape, which only a first layer without batch_input_shape needs.
    } else if (k === 'input_dtype' && cls !== 'InputLayer') {
      // The dtype of the input Keras 1 made for a first layer (not the layer's own): float32,
      // or integer indices for an Embedding, which rnnkit takes as float32 numbers.
      if (v !== 'float32' && !(cls === 'Embedding' && (v === 'int32' || v === 'int64'))) throw new ModelFormatError(`${at}: Keras 1 input_dtype ${show(v)} is not supported (float32, or int32/int64 indices into an Embedding)`);
    } else if (k === 'nb_filter') out.filters = v;
    else if (k === 'filter_length') out.kernel_size = [v];
    else if (k === 'subsample_length') out.strides = [v];
    else if (k === 'border_mode') {
      if (v !== 'valid' && v !== 'same') throw new ModelFormatError(`${at}: border_mode ${show(v)}; Keras 1's Convolution1D had 'valid' and 'same'`);
      out.padding = v;
    } else if (k === 'layer') out.layer = layerConfig(v, false, `${at} → wrapped layer`, depth + 1);
    else out[cls === 'Embedding' ? k : (RENAME[k] ?? k)] = v;
  }
  if (first && cls !== 'InputLayer' && c.batch_input_shape === undefined && c.input_dim !== undefined && c.input_dim !== null && cls !== 'Embedding') {
    out.batch_input_shape = cls === 'Dense' ? [null, c.input_dim] : [null, c.input_length ?? null, c.input_dim];
  }
  if (cls === 'Embedding' && first && c.batch_input_shape === undefined) out.batch_input_shape = [null, c.input_length ?? null];
  // Keras 1's GRU resets before the recurrent product: Keras 2's reset_after false.
  if (cls === 'GRU') out.reset_after = false;
  return { class_name: cls === 'Convolution1D' ? 'Conv1D' : cls, config: out };
}

function initializer(v: unknown, at: string): unknown {
  const i = typeof v === 'string' ? INITIALIZERS[v] : undefined;
  if (i === undefined) throw new ModelFormatError(`${at}: Keras 1 initializer ${show(v)} is not known; rnnkit translates ${Object.keys(INITIALIZERS).join(', ')}`);
  return i;
}

/** A Keras 1 model_config (Sequential: a list of layers; Model: {layers with inbound_nodes, input_layers, output_layers}) in Keras 2 form. */
export function keras1Config(config: unknown, where: string): unknown {
  const at = `${where}: model_config`;
  if (!isObject(config)) throw new ModelFormatError(`${at}: expected {class_name, config}`);
  if (config.class_name === 'Sequential') {
    if (!Array.isArray(config.config)) throw new ModelFormatError(`${at}: a Keras 1 Sequential config is a list of layers`);
    return { class_name: 'Sequential', config: config.config.map((l, i) => layerConfig(l, i === 0, `${at}: layer ${i}`, 0)) };
  }
  if (config.class_name === 'Model') {
    const c = config.config;
    if (!isObject(c) || !Array.isArray(c.layers)) throw new ModelFormatError(`${at}: a Keras 1 Model config has a layers list`);
    const layers = c.layers.map((l, i) => {
      if (!isObject(l)) throw new ModelFormatError(`${at}: layer ${i}: expected an object`);
      if (l.class_name === 'Sequential' || l.class_name === 'Model') throw new ModelFormatError(`${at}: layer ${i}: a nested Keras 1 ${l.class_name} is not read`);
      return { ...layerConfig(l, false, `${at}: layer ${i}`, 0), name: l.name, inbound_nodes: l.inbound_nodes };
    });
    return { class_name: 'Model', config: { ...c, layers } };
  }
  throw new ModelFormatError(`${at}: Keras 1 model class ${show(config.class_name)}; rnnkit reads Keras 1's Sequential and Model`);
}

/** Concatenate weights along their last axis (Keras 1's gates into one Keras 2 weight). */
function concatLast(parts: StoredWeight[], name: string, at: string): StoredWeight {
  const rank = parts[0]!.shape.length;
  const lead = parts[0]!.shape.slice(0, -1);
  for (const p of parts) {
    if (p.shape.length !== rank || p.shape.slice(0, -1).some((s, i) => s !== lead[i]) || p.shape.at(-1) !== parts[0]!.shape.at(-1)) {
      throw new ModelFormatError(`${p.at}: shape [${p.shape.join(', ')}] does not match its gate siblings' [${parts[0]!.shape.join(', ')}]`);
    }
  }
  const cols = parts[0]!.shape.at(-1) ?? 1;
  const rows = lead.reduce((a, b) => a * b, 1);
  return {
    name,
    at,
    shape: [...lead, cols * parts.length],
    read: () => {
      const out = new Float32Array(rows * cols * parts.length);
      parts.forEach((p, g) => {
        const v = p.read();
        if (v.length !== rows * cols) throw new ModelFormatError(`${p.at}: holds ${v.length} values, expected ${rows * cols}`);
        for (let r = 0; r < rows; r++) out.set(v.subarray(r * cols, (r + 1) * cols), r * cols * parts.length + g * cols);
      });
      return out;
    },
  };
}

const KERAS2_NAME: Record<string, string> = { W: 'kernel', U: 'recurrent_kernel', b: 'bias' };

/**
 * A layer's Keras 1 weights (in weight_names order) as Keras 2's: names checked by their
 * suffix (`lstm_1_W_i:0` → W_i), per-gate weights concatenated in Keras 2's gate order.
 */
export function keras1Weights(layer: Layer, stored: StoredWeight[], at: string): StoredWeight[] {
  const suffixes = (list: string[]): void => {
    if (stored.length !== list.length) throw new ModelFormatError(`${at}: ${stored.length} Keras 1 weights (${stored.map((s) => s.name).join(', ')}), but ${layer.where} takes ${list.join(', ')}`);
    stored.forEach((s, i) => {
      const base = s.name.replace(/:\d+$/, '').split('/').pop()!;
      if (!base.endsWith(`_${list[i]}`)) throw new ModelFormatError(`${s.at}: expected Keras 1's ${list[i]} (a name ending in _${list[i]}) in this place`);
    });
  };
  const renamed = (names: string[], rename: Record<string, string>): StoredWeight[] => {
    suffixes(names);
    return stored.map((s, i) => ({ ...s, name: rename[names[i]!]! }));
  };
  if (layer instanceof Bidirectional) {
    const half = stored.length / 2;
    if (!Number.isInteger(half)) throw new ModelFormatError(`${at}: ${stored.length} weights cannot be split between the forward and backward layers`);
    return [...keras1Weights(layer.forwardLayer, stored.slice(0, half), at), ...keras1Weights(layer.backwardLayer, stored.slice(half), at)];
  }
  if (layer instanceof TimeDistributed) return keras1Weights(layer.layer, stored, at);
  const gates = (order: string[], take: number[]): StoredWeight[] => {
    suffixes(order.flatMap((g) => [`W_${g}`, `U_${g}`, `b_${g}`]));
    const names = stored.map((s) => s.name).join(', ');
    return ['W', 'U', 'b'].map((k, j) => concatLast(take.map((g) => stored[3 * g + j]!), KERAS2_NAME[k]!, `${at}: ${names} (${k})`));
  };
  switch (layer.className) {
    case 'LSTM':
      // Keras 1 stored the gates i, c, f, o; Keras 2 computes i, f, c, o.
      return stored.length === 12 ? gates(['i', 'c', 'f', 'o'], [0, 2, 1, 3]) : renamed(['W', 'U', 'b'], KERAS2_NAME);
    case 'GRU':
      return stored.length === 9 ? gates(['z', 'r', 'h'], [0, 1, 2]) : renamed(['W', 'U', 'b'], KERAS2_NAME);
    case 'SimpleRNN':
      return renamed(['W', 'U', 'b'], KERAS2_NAME);
    case 'Dense':
      return renamed(stored.length === 1 ? ['W'] : ['W', 'b'], KERAS2_NAME);
    case 'Embedding':
      return renamed(['W'], { W: 'embeddings' });
    case 'Conv1D': {
      const [W, ...rest] = renamed(stored.length === 1 ? ['W'] : ['W', 'b'], KERAS2_NAME);
      const { kernelSize: k, filters: f } = layer as Conv1D;
      const sh = W!.shape;
      if (sh.length === 4 && sh[0] === k && sh[1] === 1 && sh[3] === f) {
        // [filter_length, 1, input_dim, nb_filter]: Keras 2's kernel without the unit axis.
        return [{ ...W!, shape: [k, sh[2]!, f] }, ...rest];
      }
      if (sh.length === 4 && sh[0] === f && sh[2] === k && sh[3] === 1) {
        // Keras 1.0's [nb_filter, input_dim, filter_length, 1]: transposed to [filter_length, input_dim, nb_filter].
        const inDim = sh[1]!;
        return [
          {
            ...W!,
            shape: [k, inDim, f],
            read: () => {
              const v = W!.read();
              const out = new Float32Array(v.length);
              for (let o = 0; o < f; o++) for (let i = 0; i < inDim; i++) for (let j = 0; j < k; j++) out[(j * inDim + i) * f + o] = v[(o * inDim + i) * k + j]!;
              return out;
            },
          },
          ...rest,
        ];
      }
      throw new ModelFormatError(`${W!.at}: shape [${sh.join(', ')}] is neither Keras 1's [${k}, 1, input_dim, ${f}] nor [${f}, input_dim, ${k}, 1] for ${layer.where}`);
    }
    default:
      throw new ModelFormatError(`${at}: Keras 1 weights of ${layer.where} are not read`);
  }
}
