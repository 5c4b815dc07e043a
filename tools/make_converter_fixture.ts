/**
 * Writes test/fixtures/converter/: a model as the tensorflowjs converter (v4.22,
 * `tensorflowjs_converter --input_format keras --quantize_uint8 'dense/kernel'
 * --weight_shard_size_bytes 512`) would write it for a Keras 2.15 model, built from a
 * known, seeded rnnkit model. Run: `npx tsx tools/make_converter_fixture.ts`.
 *
 * What it mirrors of the converter (tfjs-converter/python/tensorflowjs/
 * converters/keras_h5_conversion.py, write_weights.py, quantization.py):
 * - model.json: format 'layers-model', generatedBy 'keras v2.15.0', convertedBy,
 *   modelTopology = {keras_version, backend, model_config, training_config} with the
 *   Keras 2.15 config (InputLayer + batch_input_shape, snake_case keys, initializers
 *   with module/registered_name), weightsManifest.
 * - Weight names from the HDF5 file with ':0' removed: RNN weights cell-scoped
 *   ('lstm/lstm_cell/kernel'). Layers in HDF5 group iteration order, i.e. sorted by
 *   name (dense, gru, lstm), each layer's weights in Keras order.
 * - One weight group; its bytes concatenated and cut every 512 bytes into
 *   group1-shard1of2.bin (512 B) and group1-shard2of2.bin (338 B): the cut falls inside
 *   lstm/lstm_cell/kernel, and after the 6-byte uint8 weight every float32 sits at an
 *   offset that is not a multiple of 4.
 * - dense/kernel quantized to uint8 with quantization.py's affine scheme: scale =
 *   (max − min)/255, min nudged so that 0 is exactly representable when min ≤ 0 ≤ max,
 *   q = round_half_even((clip(v) − min)/scale); manifest entry {dtype: 'float32',
 *   quantization: {dtype: 'uint8', min, scale, original_dtype: 'float32'}}.
 *
 * expected.json holds what a loader must produce: every weight in rnnkit getWeights()
 * order (manifest name, shape, float32 values; dense/kernel dequantized as tfjs does,
 * float32(q·scale + min)), and the predictions of the rnnkit model with exactly those
 * weights on a fixed input [2, 5, 3].
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Sequential, layers, tensor, Tensor } from '../src/index.js';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'converter');
const SHARD_BYTES = 512;

// ---- the known model --------------------------------------------------------------------
const model = new Sequential();
model.add(layers.lstm({ units: 4, inputShape: [5, 3], returnSequences: true, seed: 1, name: 'lstm' }));
model.add(layers.gru({ units: 3, seed: 2, name: 'gru' })); // resetAfter: true (Keras default)
model.add(layers.dense({ units: 2, activation: 'softmax', seed: 3, name: 'dense' }));

const SCOPE: Record<string, string> = { lstm: 'lstm/lstm_cell/', gru: 'gru/gru_cell/', dense: 'dense/' };
/** Manifest name of each weight, in getWeights() order (Keras order: kernel, recurrent_kernel, bias). */
const names: string[] = model.layers.flatMap((l) => l.weights.map((w) => SCOPE[l.name]! + w.name));
// Initializers give zero biases (LSTM: ones for the forget gate); give every bias distinct
// non-zero values so a loader that drops or swaps biases cannot pass unnoticed.
model.setWeights(model.getWeights().map((t, i) => (names[i]!.endsWith('/bias') ? new Tensor(Float32Array.from(t.data, (v, j) => v + Math.fround(0.1 * Math.sin(1 + 7 * i + j))), t.shape) : t)));
const original = model.getWeights();

// ---- quantization.py, uint8 -------------------------------------------------------------
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
}
function quantizeUint8(data: Float32Array): { q: Uint8Array; min: number; scale: number } {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of data) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
  if (lo === hi) return { q: new Uint8Array(data.length), min: lo, scale: 1 };
  const scale = (hi - lo) / 255;
  let min = lo;
  let max = hi;
  if (lo <= 0 && 0 <= hi) {
    const zero = roundHalfEven((0 - lo) / scale);
    min = -zero * scale;
    max = 255 * scale + min;
  }
  const q = Uint8Array.from(data, (v) => roundHalfEven((Math.min(Math.max(v, min), max) - min) / scale));
  return { q, min, scale };
}

// ---- weight entries, in converter (HDF5) order ------------------------------------------
interface Entry {
  name: string;
  shape: number[];
  bytes: Uint8Array;
  spec: Record<string, unknown>;
  loaded: Float32Array;
}
const entries = new Map<string, Entry>();
original.forEach((t, i) => {
  const name = names[i]!;
  const shape = [...t.shape];
  if (name === 'dense/kernel') {
    const { q, min, scale } = quantizeUint8(t.data);
    const loaded = Float32Array.from(q, (v) => v * scale + min); // tfjs decodeWeights
    entries.set(name, { name, shape, bytes: q, spec: { name, shape, dtype: 'float32', quantization: { dtype: 'uint8', min, scale, original_dtype: 'float32' } }, loaded });
  } else {
    const bytes = new Uint8Array(t.data.length * 4);
    const view = new DataView(bytes.buffer);
    t.data.forEach((v, j) => view.setFloat32(4 * j, v, true));
    entries.set(name, { name, shape, bytes, spec: { name, shape, dtype: 'float32' }, loaded: Float32Array.from(t.data) });
  }
});
const layerOrder = [...model.layers.map((l) => l.name)].sort();
const ordered = layerOrder.flatMap((ln) => names.filter((n) => n.startsWith(ln + '/')).map((n) => entries.get(n)!));

const stream = new Uint8Array(ordered.reduce((s, e) => s + e.bytes.length, 0));
let at = 0;
for (const e of ordered) (stream.set(e.bytes, at), (at += e.bytes.length));
const nShards = Math.ceil(stream.length / SHARD_BYTES);
if (nShards !== 2) throw new Error(`expected 2 shards, got ${nShards}`);
const paths: string[] = [];
for (let s = 0; s < nShards; s++) paths.push(`group1-shard${s + 1}of${nShards}.bin`);

// ---- model.json (Keras 2.15 config) -----------------------------------------------------
const init = (class_name: string, config: Record<string, unknown>): Record<string, unknown> => ({ module: 'keras.initializers', class_name, config, registered_name: null });
const rnnBase = { return_state: false, go_backwards: false, stateful: false, unroll: false, time_major: false };
const noReg = { kernel_regularizer: null, recurrent_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, recurrent_constraint: null, bias_constraint: null };
const modelJson = {
  format: 'layers-model',
  generatedBy: 'keras v2.15.0',
  convertedBy: 'TensorFlow.js Converter v4.22.0',
  modelTopology: {
    keras_version: '2.15.0',
    backend: 'tensorflow',
    model_config: {
      class_name: 'Sequential',
      config: {
        name: 'sequential',
        layers: [
          { class_name: 'InputLayer', config: { batch_input_shape: [null, 5, 3], dtype: 'float32', sparse: false, ragged: false, name: 'lstm_input' } },
          {
            class_name: 'LSTM',
            config: {
              name: 'lstm',
              trainable: true,
              dtype: 'float32',
              batch_input_shape: [null, 5, 3],
              return_sequences: true,
              ...rnnBase,
              units: 4,
              activation: 'tanh',
              recurrent_activation: 'sigmoid',
              use_bias: true,
              kernel_initializer: init('GlorotUniform', { seed: null }),
              recurrent_initializer: init('Orthogonal', { gain: 1.0, seed: null }),
              bias_initializer: init('Zeros', {}),
              unit_forget_bias: true,
              ...noReg,
              dropout: 0.0,
              recurrent_dropout: 0.0,
              implementation: 2,
            },
          },
          {
            class_name: 'GRU',
            config: {
              name: 'gru',
              trainable: true,
              dtype: 'float32',
              return_sequences: false,
              ...rnnBase,
              units: 3,
              activation: 'tanh',
              recurrent_activation: 'sigmoid',
              use_bias: true,
              kernel_initializer: init('GlorotUniform', { seed: null }),
              recurrent_initializer: init('Orthogonal', { gain: 1.0, seed: null }),
              bias_initializer: init('Zeros', {}),
              ...noReg,
              dropout: 0.0,
              recurrent_dropout: 0.0,
              implementation: 2,
              reset_after: true,
            },
          },
          {
            class_name: 'Dense',
            config: {
              name: 'dense',
              trainable: true,
              dtype: 'float32',
              units: 2,
              activation: 'softmax',
              use_bias: true,
              kernel_initializer: init('GlorotUniform', { seed: null }),
              bias_initializer: init('Zeros', {}),
              kernel_regularizer: null,
              bias_regularizer: null,
              activity_regularizer: null,
              kernel_constraint: null,
              bias_constraint: null,
            },
          },
        ],
      },
    },
    training_config: {
      loss: 'categorical_crossentropy',
      metrics: null,
      weighted_metrics: null,
      loss_weights: null,
      optimizer_config: {
        class_name: 'Custom>Adam',
        config: {
          name: 'Adam',
          weight_decay: null,
          clipnorm: null,
          global_clipnorm: null,
          clipvalue: null,
          use_ema: false,
          ema_momentum: 0.99,
          ema_overwrite_frequency: null,
          jit_compile: false,
          is_legacy_optimizer: false,
          learning_rate: 0.0010000000474974513,
          beta_1: 0.9,
          beta_2: 0.999,
          epsilon: 1e-7,
          amsgrad: false,
        },
      },
    },
  },
  weightsManifest: [{ paths, weights: ordered.map((e) => e.spec) }],
};

// ---- expected.json: loaded weights and predictions --------------------------------------
const loadedWeights = names.map((n, i) => new Tensor(entries.get(n)!.loaded, original[i]!.shape));
model.setWeights(loadedWeights);
const xValues = Array.from({ length: 2 * 5 * 3 }, (_, i) => Math.fround(Math.round(Math.sin(0.7 * i + 0.3) * 1000) / 1000));
const x = tensor(xValues, [2, 5, 3]);
const y = model.predict(x);

const expected = {
  description:
    'What loading model.json + group1-shard{1,2}of2.bin must give. weights: rnnkit getWeights() order, values are float32 (dense/kernel dequantized: float32(q*scale + min)). predictions: rnnkit model with these weights on input x.',
  weights: names.map((name, i) => ({ name, shape: [...original[i]!.shape], values: Array.from(loadedWeights[i]!.data) })),
  quantized: { name: 'dense/kernel', q: Array.from(entries.get('dense/kernel')!.bytes), maxAbsError: Math.max(...original[names.indexOf('dense/kernel')]!.data.map((v, j) => Math.abs(v - loadedWeights[names.indexOf('dense/kernel')]!.data[j]!))) },
  input: { shape: [2, 5, 3], values: Array.from(x.data) },
  predictions: { shape: [...y.shape], values: Array.from(y.data) },
};

mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, 'model.json'), JSON.stringify(modelJson));
for (let s = 0; s < nShards; s++) writeFileSync(join(OUT, paths[s]!), stream.subarray(s * SHARD_BYTES, (s + 1) * SHARD_BYTES));
// one line per number array keeps the file small and diffable
const text = JSON.stringify(expected, null, 1).replace(/\[[-\d.e+,\s]*\]/g, (a) => JSON.stringify(JSON.parse(a)));
writeFileSync(join(OUT, 'expected.json'), text + '\n');
console.log(`wrote ${OUT}: model.json, ${paths.join(', ')} (${stream.length} bytes), expected.json`);
