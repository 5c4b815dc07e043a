/**
 * Keras 2's CuDNNLSTM and CuDNNGRU (keras/layers/cudnn_recurrent.py, tf.keras 1.x's
 * compat layers) in `.h5` files: read as the LSTM and GRU they compute, as Keras 2's
 * preprocess_weights_for_loading (_convert_rnn_weights) loads their weights into LSTM and
 * GRU layers.
 *
 * The layers: CuDNNLSTM is an LSTM with sigmoid gates and tanh; CuDNNGRU a GRU with sigmoid
 * gates, tanh and the reset gate applied after the recurrent product (reset_after true).
 * The weights: each gate's slice of the kernel holds the bytes of cuDNN's [units, inputs]
 * matrix (Keras passes kernel[:, gate] flattened to cuDNN, which reads it row-major as
 * units × inputs), each recurrent slice likewise; the bias is cuDNN's two, the input bias
 * then the recurrent one (8·units for LSTM, summed into one; 6·units for GRU, the [2, 3·units]
 * of reset_after).
 */
import { ModelFormatError, show } from '../core/errors.js';
import { Bidirectional } from '../layers/bidirectional.js';
import type { Layer } from '../layers/layer.js';
import type { StoredWeight } from './kerasH5Keras1.js';

type Json = Record<string, unknown>;

/** The options of CuDNNLSTM/CuDNNGRU, and those of the base layer, that carry over as they are. */
const KEPT = ['name', 'trainable', 'dtype', 'batch_input_shape', 'return_sequences', 'return_state', 'go_backwards', 'stateful', 'units', 'kernel_initializer', 'recurrent_initializer', 'bias_initializer', 'kernel_regularizer', 'recurrent_regularizer', 'activity_regularizer'];

/**
 * A CuDNNLSTM / CuDNNGRU {class_name, config} as the LSTM / GRU that computes the same.
 * Options whose meaning changes with the weight layout (a bias regularizer on cuDNN's two
 * biases, constraints on the permuted kernels) are refused by name.
 */
export function cudnnConfig(json: Json, where: string): Json {
  const cls = json.class_name as string;
  const c = json.config as Json;
  const at = `${where} (${cls} '${String(c.name)}')`;
  const out: Json = {};
  for (const [k, v] of Object.entries(c)) {
    if (KEPT.includes(k)) out[k] = v;
    else if (k === 'unit_forget_bias' && cls === 'CuDNNLSTM') out[k] = v;
    else if (/^(bias_regularizer|kernel_constraint|recurrent_constraint|bias_constraint)$/.test(k)) {
      if (v !== null) throw new ModelFormatError(`${at}: ${k} ${show(v)?.slice(0, 60)} is not supported: it would act on other weights once cuDNN's are read as ${cls.slice(5)}'s`);
    } else throw new ModelFormatError(`${at}: option '${k}' is not a ${cls} option rnnkit knows`);
  }
  out.activation = 'tanh';
  out.recurrent_activation = 'sigmoid';
  if (cls === 'CuDNNGRU') out.reset_after = true;
  return { ...json, class_name: cls.slice(5), config: out };
}

/** cuDNN's per-gate kernels as Keras's: gate g's block holds a [units, rows] matrix row-major; Keras's is its transpose. */
function fromCudnnKernel(s: StoredWeight, gates: number, at: string): StoredWeight {
  const [rows, cols] = s.shape as [number, number];
  const u = cols / gates;
  return {
    ...s,
    at,
    read: () => {
      const v = s.read();
      const out = new Float32Array(v.length);
      for (let g = 0; g < gates; g++) {
        // Element m of the block in row-major order is cuDNN's W[m / rows | 0][m % rows].
        for (let m = 0; m < rows * u; m++) {
          const j = Math.floor(m / rows);
          const k = m % rows;
          out[k * cols + g * u + j] = v[Math.floor(m / u) * cols + g * u + (m % u)]!;
        }
      }
      return out;
    },
  };
}

/**
 * A recurrent layer's stored weights, converted when they are cuDNN's (told by the bias, as
 * Keras tells it); others are returned as they are.
 */
export function cudnnWeights(layer: Layer, stored: StoredWeight[], at: string): StoredWeight[] {
  if (layer instanceof Bidirectional) {
    const half = stored.length / 2;
    if (!Number.isInteger(half)) return stored;
    return [...cudnnWeights(layer.forwardLayer, stored.slice(0, half), at), ...cudnnWeights(layer.backwardLayer, stored.slice(half), at)];
  }
  const gates = layer.className === 'LSTM' ? 4 : layer.className === 'GRU' ? 3 : 0;
  if (gates === 0 || stored.length !== 3) return stored;
  const [kernel, recurrent, bias] = stored as [StoredWeight, StoredWeight, StoredWeight];
  if (kernel.shape.length !== 2 || recurrent.shape.length !== 2 || bias.shape.length !== 1) return stored;
  const units = recurrent.shape[0]!;
  if (bias.shape[0] !== 2 * gates * units) return stored;
  if (kernel.shape[1] !== gates * units || recurrent.shape[1] !== gates * units) throw new ModelFormatError(`${at}: cuDNN weights of shapes [${kernel.shape.join(', ')}], [${recurrent.shape.join(', ')}], [${bias.shape.join(', ')}] do not fit together`);
  const names = stored.map((s) => s.name).join(', ');
  const conv = `${at}: ${names} (cuDNN's, converted)`;
  const transposed: StoredWeight = {
    ...recurrent,
    at: conv,
    read: () => {
      const v = recurrent.read();
      const out = new Float32Array(v.length);
      const cols = gates * units;
      for (let g = 0; g < gates; g++) for (let j = 0; j < units; j++) for (let k = 0; k < units; k++) out[k * cols + g * units + j] = v[j * cols + g * units + k]!;
      return out;
    },
  };
  const newBias: StoredWeight =
    gates === 4
      ? {
          ...bias,
          at: conv,
          shape: [4 * units],
          read: () => {
            const v = bias.read();
            // cuDNN adds an input bias and a recurrent bias; an LSTM has their sum.
            return Float32Array.from({ length: 4 * units }, (_, i) => v[i]! + v[4 * units + i]!);
          },
        }
      : { ...bias, at: conv, shape: [2, 3 * units] };
  return [fromCudnnKernel(kernel, gates, conv), transposed, newBias];
}
