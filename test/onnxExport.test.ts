/**
 * ONNX export against onnxruntime-node as the oracle: every exported model runs in ONNX
 * Runtime (CPU) at batch sizes and time lengths that neither building nor exporting saw,
 * and must give rnnkit's predict within 1e-5 (absolute) on every output. Weights are
 * random, biases included (the default zeros would hide a misplaced bias). Masks come
 * from right-padded rows of different lengths. The exported files also pass
 * onnx.checker when Debian's python3-onnx is installed.
 */
import { after, describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { assertUserError, rnnkit } from './helpers/cli.js';
import { Rng } from '../src/core/rng.js';
import type { Recurrent } from '../src/layers/recurrent.js';
import type { SimpleRNNArgs } from '../src/layers/simpleRNN.js';
import type { LSTMArgs } from '../src/layers/lstm.js';
import type { GRUArgs } from '../src/layers/gru.js';
import { exportOnnx, input, layers, loadOnnx, model, sequential, Tensor, TextClassifier, OnnxExportError, type Layer, type Model, type SymbolicTensor } from '../src/index.js';

const TOL = 1e-5;
const VOCAB = 13;

/** Random weights everywhere (biases included), in [-0.6, 0.6]. */
function randomize(m: Model, seed: number): void {
  const rng = new Rng(seed);
  m.setWeights(m.getWeights().map((w) => new Tensor(Float32Array.from(w.data, () => (rng.uniform() - 0.5) * 1.2), w.shape)));
}

interface Case {
  readonly data: Float32Array;
  readonly shape: number[];
}

function floats(shape: number[], rng: Rng): Case {
  const n = shape.reduce((a, d) => a * d, 1);
  return { data: Float32Array.from({ length: n }, () => rng.uniform() * 2 - 1), shape };
}

/** Right-padded token rows: row b keeps lens[b] tokens (1…VOCAB-1), then zeros. */
function tokens(lens: readonly number[], T: number, rng: Rng): Case {
  const data = new Float32Array(lens.length * T);
  lens.forEach((L, b) => {
    for (let t = 0; t < L; t++) data[b * T + t] = 1 + Math.floor(rng.uniform() * (VOCAB - 1));
  });
  return { data, shape: [lens.length, T] };
}

/** Right-padded feature rows for a Masking layer: steps past lens[b] are all maskValue. */
function padded(lens: readonly number[], T: number, F: number, rng: Rng, maskValue = 0): Case {
  const data = new Float32Array(lens.length * T * F).fill(maskValue);
  lens.forEach((L, b) => {
    for (let i = 0; i < L * F; i++) data[b * T * F + i] = rng.uniform() * 2 - 1;
  });
  return { data, shape: [lens.length, T, F] };
}

/** Files for one onnx.checker run at the end: the first model and every one parity() is asked to keep. */
const checkDir = mkdtempSync(join(tmpdir(), 'rnnkit-onnx-'));
const toCheck: string[] = [];
after(() => {
  rmSync(checkDir, { recursive: true, force: true });
  // The figures the README quotes; each test above holds its differences below 1e-5.
  console.log(`# onnx parity (max |onnxruntime − rnnkit|): ${Object.entries(worst).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', ')}; onnx.checker ${hasChecker ? `on ${toCheck.length} files` : 'not installed: skipped'}`);
});
const hasChecker = ((): boolean => {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import onnx'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/**
 * Export m, run each input set in ONNX Runtime, compare every output with predict.
 * Returns the largest absolute difference seen. `keep`: also write the file for onnx.checker.
 */
async function parity(m: Model, runs: readonly (readonly Case[])[], what: string, keep = false): Promise<number> {
  const bytes = await exportOnnx(m);
  const session = await ort.InferenceSession.create(bytes);
  assert.equal(session.inputNames.length, runs[0]!.length, `${what}: inputs`);
  let worst = 0;
  for (const xs of runs) {
    const feeds: Record<string, ort.Tensor> = {};
    xs.forEach((x, i) => (feeds[session.inputNames[i]!] = new ort.Tensor('float32', x.data, x.shape)));
    const got = await session.run(feeds);
    const pred = m.predict(xs.length === 1 ? new Tensor(xs[0]!.data, xs[0]!.shape) : xs.map((x) => new Tensor(x.data, x.shape)));
    const want = Array.isArray(pred) ? (pred as Tensor[]) : [pred];
    assert.equal(session.outputNames.length, want.length, `${what}: outputs`);
    want.forEach((w, o) => {
      const g = got[session.outputNames[o]!]!;
      assert.deepEqual([...g.dims], [...w.shape], `${what}: output ${o} shape`);
      const gd = g.data as Float32Array;
      for (let i = 0; i < gd.length; i++) {
        const d = Math.abs(gd[i]! - w.data[i]!);
        if (!(d <= TOL)) assert.fail(`${what}: output ${o} [${i}] onnxruntime ${gd[i]} vs rnnkit ${w.data[i]} (batch ${xs[0]!.shape[0]}, shape ${xs[0]!.shape.join('×')})`);
        worst = Math.max(worst, d);
      }
    });
  }
  if (keep || toCheck.length === 0) {
    const file = join(checkDir, `${toCheck.length}.onnx`);
    await exportOnnx(m, file);
    assert.deepEqual(readFileSync(file), Buffer.from(bytes), `${what}: the written file holds the returned bytes`);
    toCheck.push(file);
  }
  return worst;
}

const worst: Record<string, number> = {};
function note(group: string, d: number): void {
  worst[group] = Math.max(worst[group] ?? 0, d);
}

type Cell = 'simpleRNN' | 'lstm' | 'gru' | 'gruBefore';
function cell(kind: Cell, args: Record<string, unknown>): Recurrent {
  if (kind === 'simpleRNN') return layers.simpleRNN(args as unknown as SimpleRNNArgs);
  if (kind === 'lstm') return layers.lstm(args as unknown as LSTMArgs);
  return layers.gru({ ...(args as unknown as GRUArgs), resetAfter: kind === 'gru' });
}
const CELLS: Cell[] = ['simpleRNN', 'lstm', 'gru', 'gruBefore'];

describe('exportOnnx: recurrent layers in onnxruntime', () => {
  it('SimpleRNN, LSTM, GRU (resetAfter true and false) × returnSequences × goBackwards, dynamic batch and time', async () => {
    let seed = 1;
    for (const kind of CELLS) {
      for (const returnSequences of [false, true]) {
        for (const goBackwards of [false, true]) {
          const m = sequential({ layers: [cell(kind, { units: 5, returnSequences, goBackwards, inputShape: [null, 3] }), layers.dense({ units: 2 })] });
          randomize(m, seed++);
          const rng = new Rng(seed);
          note('plain', await parity(m, [[floats([3, 7, 3], rng)], [floats([1, 2, 3], rng)], [floats([5, 11, 3], rng)]], `${kind} rs=${returnSequences} gb=${goBackwards}`));
        }
      }
    }
  });

  it('activations through the activations attribute (hard sigmoid both ways, relu, linear, elu, softsign, softplus)', async () => {
    const rng = new Rng(7);
    const specs: [Cell, Record<string, unknown>][] = [
      ['lstm', { activation: 'relu', recurrentActivation: 'hardSigmoid' }],
      ['lstm', { activation: 'softsign', recurrentActivation: 'hardSigmoidLegacy' }],
      ['gru', { activation: 'elu', recurrentActivation: 'hardSigmoidLegacy' }],
      ['gruBefore', { activation: 'softplus', recurrentActivation: 'hardSigmoid' }],
      ['simpleRNN', { activation: 'linear' }],
      ['simpleRNN', { activation: 'relu' }],
    ];
    for (const [i, [kind, acts]] of specs.entries()) {
      const m = sequential({ layers: [cell(kind, { units: 4, returnSequences: true, inputShape: [null, 2], ...acts })] });
      randomize(m, 100 + i);
      note('activations', await parity(m, [[floats([4, 6, 2], rng)], [floats([2, 9, 2], rng)]], `${kind} ${JSON.stringify(acts)}`));
    }
  });

  it('masks from Embedding maskZero: returnSequences, last output, goBackwards, zeroOutputForMask', async () => {
    let seed = 200;
    for (const kind of CELLS) {
      for (const returnSequences of [false, true]) {
        for (const goBackwards of [false, true]) {
          for (const zeroOutputForMask of [false, true]) {
            const m = sequential({
              layers: [layers.embedding({ inputDim: VOCAB, outputDim: 3, maskZero: true, inputShape: [null] }), cell(kind, { units: 4, returnSequences, goBackwards, zeroOutputForMask })],
            });
            randomize(m, seed++);
            const rng = new Rng(seed);
            const what = `${kind} masked rs=${returnSequences} gb=${goBackwards} zero=${zeroOutputForMask}`;
            note('masked', await parity(m, [[tokens([6, 2, 4, 1], 6, rng)], [tokens([9, 9, 3], 9, rng)]], what));
          }
        }
      }
    }
  });

  it('masks from Masking (its own maskValue) into a stacked LSTM → GRU → TimeDistributed(Dense)', async () => {
    const m = sequential({
      layers: [
        layers.masking({ maskValue: -2, inputShape: [null, 3] }),
        layers.lstm({ units: 5, returnSequences: true }),
        layers.dropout({ rate: 0.3 }),
        layers.gru({ units: 4, returnSequences: true }),
        layers.timeDistributed({ layer: layers.dense({ units: 3, activation: 'softmax' }) }),
      ],
    });
    randomize(m, 300);
    const rng = new Rng(301);
    note('masked', await parity(m, [[padded([5, 2, 4], 5, 3, rng, -2)], [padded([8, 1], 8, 3, rng, -2)]], 'masking stack', true));
  });

  it('Bidirectional: concat, sum, mul, ave, × returnSequences, with and without a mask, stacked', async () => {
    let seed = 400;
    for (const kind of ['lstm', 'gru', 'simpleRNN', 'gruBefore'] as Cell[]) {
      for (const mergeMode of ['concat', 'sum', 'mul', 'ave'] as const) {
        for (const returnSequences of [false, true]) {
          const m = sequential({
            layers: [
              layers.embedding({ inputDim: VOCAB, outputDim: 3, maskZero: true, inputShape: [null] }),
              layers.bidirectional({ layer: cell(kind, { units: 3, returnSequences: true }), mergeMode: 'concat' }),
              layers.bidirectional({ layer: cell(kind, { units: 4, returnSequences }), mergeMode }),
              layers.dense({ units: 2, activation: 'tanh' }),
            ],
          });
          randomize(m, seed++);
          const rng = new Rng(seed);
          note('bidirectional', await parity(m, [[tokens([5, 3, 1], 5, rng)], [tokens([8, 8], 8, rng)]], `bi ${kind} ${mergeMode} rs=${returnSequences}`, mergeMode === 'ave' && returnSequences));
        }
      }
    }
    // A backwardLayer of its own options (activations differ per direction in the ONNX op), and no biases.
    const own = sequential({
      layers: [
        layers.bidirectional({
          layer: layers.gru({ units: 3, returnSequences: true, useBias: false }),
          backwardLayer: layers.gru({ units: 3, returnSequences: true, goBackwards: true, activation: 'relu', recurrentActivation: 'hardSigmoid' }),
          mergeMode: 'sum',
          inputShape: [null, 2],
        }),
      ],
    });
    randomize(own, 460);
    note('bidirectional', await parity(own, [[floats([3, 6, 2], new Rng(461))], [floats([1, 2, 2], new Rng(462))]], 'bi own backwardLayer, no bias'));
    const plain = sequential({ layers: [layers.bidirectional({ layer: layers.lstm({ units: 3, returnSequences: true }), mergeMode: 'ave', inputShape: [null, 2] }), layers.spatialDropout1d({ rate: 0.2 })] });
    randomize(plain, 450);
    note('bidirectional', await parity(plain, [[floats([2, 7, 2], new Rng(451))]], 'bi unmasked'));
  });
});

describe('exportOnnx: graph models', () => {
  it('returnState outputs (LSTM, GRU, Bidirectional) and initial states from an encoder', async () => {
    const rng = new Rng(500);
    // encoder → states → decoder, as seq2seq does
    const enc = input({ shape: [null, 3] });
    const dec = input({ shape: [null, 2] });
    const [encOut, h, c] = layers.lstm({ units: 4, returnState: true }).apply(enc) as unknown as SymbolicTensor[];
    const decSeq = layers.lstm({ units: 4, returnSequences: true }).apply(dec, { initialState: [h!, c!] }) as SymbolicTensor;
    const [gOut, gh] = layers.gru({ units: 3, returnState: true, goBackwards: true }).apply(decSeq) as unknown as SymbolicTensor[];
    const m = model({ inputs: [enc, dec], outputs: [encOut!, layers.dense({ units: 2 }).apply(decSeq) as SymbolicTensor, gOut!, gh!] });
    randomize(m, 501);
    note('states', await parity(m, [[floats([3, 5, 3], rng), floats([3, 4, 2], rng)], [floats([2, 2, 3], rng), floats([2, 9, 2], rng)]], 'encoder-decoder'));

    const x = input({ shape: [null] });
    const e = layers.embedding({ inputDim: VOCAB, outputDim: 3, maskZero: true }).apply(x) as SymbolicTensor;
    const outs = layers.bidirectional({ layer: layers.lstm({ units: 3, returnState: true }), mergeMode: 'sum' }).apply(e) as unknown as SymbolicTensor[];
    const m2 = model({ inputs: x, outputs: outs });
    randomize(m2, 502);
    note('states', await parity(m2, [[tokens([4, 2, 1], 4, rng)], [tokens([7, 5], 7, rng)]], 'bidirectional returnState'));

    const x3 = input({ shape: [null, 2] });
    const init = input({ shape: [3] });
    const both = layers.bidirectional({ layer: layers.gru({ units: 3, returnSequences: true, returnState: true }), mergeMode: null }).apply(x3, { initialState: [init, init] }) as unknown as SymbolicTensor[];
    const m3 = model({ inputs: [x3, init], outputs: both });
    randomize(m3, 503);
    note('states', await parity(m3, [[floats([2, 5, 2], rng), floats([2, 3], rng)], [floats([4, 3, 2], rng), floats([4, 3], rng)]], 'bidirectional mergeMode null, initialState', true));
  });

  it('merges (Add, Concatenate, Multiply, Average, Subtract, Maximum, Minimum) and Dense activations', async () => {
    const rng = new Rng(600);
    const a = input({ shape: [null, 3] });
    const b = input({ shape: [null, 3] });
    const ya = layers.lstm({ units: 4, returnSequences: true }).apply(a) as SymbolicTensor;
    const yb = layers.gru({ units: 4, returnSequences: true }).apply(b) as SymbolicTensor;
    const merged = [
      layers.add().apply([ya, yb]),
      layers.concatenate().apply([ya, yb]),
      layers.multiply().apply([ya, yb, ya]),
      layers.average().apply([ya, yb]),
      layers.subtract().apply([ya, yb]),
      layers.maximum().apply([ya, yb]),
      layers.minimum().apply([ya, yb]),
    ] as SymbolicTensor[];
    const acts = ['selu', 'swish', 'softmax', 'hardSigmoid', 'hardSigmoidLegacy', 'elu', 'softplus'] as const;
    const outs = merged.map((t, i) => layers.dense({ units: 3, activation: acts[i] }).apply(t) as SymbolicTensor);
    const last = layers.activation({ activation: 'softsign' }).apply(layers.lstm({ units: 2 }).apply(layers.concatenate().apply([ya, yb]) as SymbolicTensor) as SymbolicTensor) as SymbolicTensor;
    // One Dense and one LSTM called on two branches: their weights are stored once.
    const sharedDense = layers.dense({ units: 3, activation: 'tanh' });
    const sharedLstm = layers.lstm({ units: 3 });
    const twice = layers.add().apply([sharedDense.apply(sharedLstm.apply(ya) as SymbolicTensor) as SymbolicTensor, sharedDense.apply(sharedLstm.apply(yb) as SymbolicTensor) as SymbolicTensor]) as SymbolicTensor;
    const m = model({ inputs: [a, b], outputs: [...outs, last, twice] });
    randomize(m, 601);
    const bytes = Buffer.from(await exportOnnx(m));
    const kernel = sharedDense.getWeights()[0]!.data;
    const raw = Buffer.from(kernel.buffer, kernel.byteOffset, kernel.byteLength);
    const count = (hay: Buffer, needle: Buffer): number => {
      let n = 0;
      for (let at = hay.indexOf(needle); at >= 0; at = hay.indexOf(needle, at + 1)) n++;
      return n;
    };
    assert.equal(count(bytes, raw), 1, 'the shared Dense kernel is stored once');
    note('merges', await parity(m, [[floats([3, 4, 3], rng), floats([3, 4, 3], rng)], [floats([1, 10, 3], rng), floats([1, 10, 3], rng)]], 'merges', true));
  });

  it('masks through merges: AND for element-wise merges, OR for feature concatenation (AND with maskReduction all)', async () => {
    const rng = new Rng(700);
    const x = input({ shape: [null] });
    const f = input({ shape: [null, 3] });
    const e1 = layers.embedding({ inputDim: VOCAB, outputDim: 3, maskZero: true }).apply(x) as SymbolicTensor;
    const e2 = layers.masking({ maskValue: 0 }).apply(f) as SymbolicTensor;
    const sum = layers.add().apply([e1, e2]) as SymbolicTensor;
    const cat = layers.concatenate().apply([e1, e2]) as SymbolicTensor;
    // tf.keras 2 / TF.js's rule (read from their files): a step kept only where every masked input keeps it (an And).
    const catAll = layers.concatenate({ maskReduction: 'all' }).apply([e1, e2]) as SymbolicTensor;
    const y1 = layers.lstm({ units: 3 }).apply(sum) as SymbolicTensor;
    const y2 = layers.gru({ units: 3, returnSequences: true }).apply(cat) as SymbolicTensor;
    const y3 = layers.lstm({ units: 2, returnSequences: true }).apply(catAll) as SymbolicTensor;
    const m = model({ inputs: [x, f], outputs: [y1, y2, y3] });
    randomize(m, 701);
    note('masked', await parity(m, [[tokens([5, 3, 2], 5, rng), padded([5, 4, 2], 5, 3, rng)]], 'merged masks', true));
    // Reading such a file back: refused by name, saying what the op is (masks are read from one Embedding or Masking layer).
    await assert.rejects(loadOnnx(await exportOnnx(m)), /op (And|Or) '[^']*' \(a join of step masks, as rnnkit's export of a merge of masked inputs/);
  });

  it('the Keras 3 / tfjs 4 activations in Dense (relu6, gelu, gelu_new, mish, …, log_softmax) and leaky_relu inside an LSTM', async () => {
    const rng = new Rng(660);
    const x = input({ shape: [null, 3] });
    const h = layers.lstm({ units: 4, returnSequences: true, activation: 'leakyRelu', recurrentActivation: 'leakyRelu' }).apply(x) as SymbolicTensor;
    const acts = ['relu6', 'gelu', 'geluNew', 'mish', 'exponential', 'leakyRelu', 'logSoftmax', 'hardSilu', 'logSigmoid', 'hardTanh', 'tanhShrink', 'softShrink', 'hardShrink', 'sparsePlus', 'squareplus', 'sparseSigmoid'] as const;
    // A wide kernel so the pre-activations cross every kink (±0.5, ±1, ±3, 6).
    const outs = acts.map((activation) => layers.dense({ units: 5, activation, kernelInitializer: { className: 'RandomUniform', config: { minval: -3, maxval: 3, seed: 1 } } as never }).apply(h) as SymbolicTensor);
    const m = model({ inputs: x, outputs: outs });
    randomize(m, 661);
    for (const l of m.layers) if (l.className === 'Dense') l.weights[0]!.value.forEach((v, i, a) => (a[i] = v * 8));
    note('activations', await parity(m, [[floats([3, 4, 3], rng)], [floats([1, 7, 3], rng)]], 'Keras 3 activations', true));
  });

  it('activation layers with options (ReLU every way, LeakyReLU, PReLU shared and per step, ELU, ThresholdedReLU, Softmax over features, time and both) and the noise layers (nothing in inference), masks passing through the elementwise ones', async () => {
    const rng = new Rng(650);
    const T = 5;
    const x = input({ shape: [T, 3] });
    const h = layers.lstm({ units: 4, returnSequences: true }).apply(layers.masking().apply(x) as SymbolicTensor) as SymbolicTensor;
    const chain = (t: SymbolicTensor, ...ls: Layer[]): SymbolicTensor => ls.reduce((v, l) => l.apply(v) as SymbolicTensor, t);
    const a = chain(h, layers.leakyReLU({ alpha: 0.2 }), layers.gaussianNoise({ stddev: 0.5 }), layers.prelu({ sharedAxes: [1], alphaInitializer: 'randomUniform' }), layers.alphaDropout({ rate: 0.3 }), layers.gaussianDropout({ rate: 0.3 }), layers.lstm({ units: 3 }));
    const b = chain(h, layers.reLU({ maxValue: 0.3 }), layers.elu({ alpha: 0.6 }), layers.thresholdedReLU({ theta: 0.05 }), layers.gru({ units: 2 }), layers.softmax());
    const c = chain(layers.dense({ units: 4 }).apply(x) as SymbolicTensor, layers.reLU({ negativeSlope: 0.1, threshold: 0.2, maxValue: 0.5 }), layers.prelu({ alphaInitializer: 'randomUniform' }), layers.softmax({ axis: 1 }));
    const d = chain(layers.dense({ units: 4 }).apply(x) as SymbolicTensor, layers.reLU({ negativeSlope: 0.3 }), layers.softmax({ axis: [1, 2] }));
    const m = model({ inputs: x, outputs: [a, b, c, d] });
    randomize(m, 651);
    note('activation layers', await parity(m, [[padded([5, 3, 4], T, 3, rng)], [floats([2, T, 3], rng)]], 'activation layers', true));
  });

  it('PReLU read back by loadOnnx: per element, shared along time, one α (PyTorch nn.PReLU()) — the same predictions', async () => {
    const rng = new Rng(652);
    const x = input({ shape: [5, 3] });
    const alpha = { alphaInitializer: 'randomUniform' } as const;
    const y = [layers.dense({ units: 4 }), layers.prelu(alpha), layers.prelu({ ...alpha, sharedAxes: [1] }), layers.prelu({ ...alpha, sharedAxes: [1, 2] }), layers.lstm({ units: 3 })].reduce((v, l) => l.apply(v) as SymbolicTensor, x);
    const m = model({ inputs: x, outputs: y });
    randomize(m, 653);
    const back = await loadOnnx(await exportOnnx(m));
    assert.deepEqual(back.layers.filter((l) => l.className === 'PReLU').map((l) => (l.getConfig() as { sharedAxes?: number[] | null }).sharedAxes ?? null), [null, [1], [1, 2]]);
    const xs = floats([4, 5, 3], rng);
    const want = (m.predict(new Tensor(xs.data, xs.shape)) as Tensor).data;
    const got = (back.predict(new Tensor(xs.data, xs.shape)) as Tensor).data;
    got.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) <= 1e-6, `${i}: ${v} vs ${want[i]}`));
  });
});

describe('exportOnnx: convolutions, pooling, normalizations and shape layers', () => {
  it('Conv1D (valid/same/causal, strides, dilation, groups) → pooling (max/average, valid/same) → LayerNormalization → global pooling, open time axis', async () => {
    const rng = new Rng(700);
    const m = sequential({
      layers: [
        layers.conv1d({ filters: 6, kernelSize: 3, strides: 2, activation: 'relu', inputShape: [null, 4] }),
        layers.maxPooling1d({ poolSize: 2, strides: 1, padding: 'same' }),
        layers.conv1d({ filters: 6, kernelSize: 3, dilationRate: 2, padding: 'same', groups: 2, activation: 'tanh' }),
        layers.averagePooling1d({ poolSize: 3, strides: 2, padding: 'same' }),
        layers.conv1d({ filters: 4, kernelSize: 2, padding: 'causal' }),
        layers.conv1d({ filters: 4, kernelSize: 4, strides: 2, padding: 'same', activation: 'elu' }),
        layers.averagePooling1d({ poolSize: 2 }),
        layers.layerNormalization(),
        layers.globalMaxPooling1d(),
        layers.dense({ units: 2 }),
      ],
    });
    randomize(m, 701);
    note('conv', await parity(m, [[floats([3, 17, 4], rng)], [floats([1, 40, 4], rng)], [floats([2, 23, 4], rng)]], 'conv stack', true));
  });

  it('Conv1DTranspose in every geometry (valid with kernel below strides, outputPadding, same with odd and even kernels, dilation) and the step layers', async () => {
    const rng = new Rng(710);
    const x = input({ shape: [null, 3] });
    const geometries = [
      { kernelSize: 3, strides: 2 },
      { kernelSize: 2, strides: 3 },
      { kernelSize: 3, strides: 3, outputPadding: 2 },
      { kernelSize: 4, strides: 2, padding: 'same' },
      { kernelSize: 7, strides: 2, padding: 'same', activation: 'relu' },
      { kernelSize: 4, strides: 2, padding: 'same', outputPadding: 1 },
      { kernelSize: 3, strides: 3, padding: 'same', outputPadding: 2 },
      { kernelSize: 3, dilationRate: 2, padding: 'same' },
    ] as const;
    const outs = geometries.map((g) => layers.conv1dTranspose({ filters: 2, ...g }).apply(x) as SymbolicTensor);
    const steps = [layers.zeroPadding1d({ padding: [2, 1] }), layers.upSampling1d({ size: 3 }), layers.cropping1d({ cropping: [1, 2] }), layers.cropping1d({ cropping: [1, 0] })].reduce((t, l) => l.apply(t) as SymbolicTensor, x);
    const m = model({ inputs: x, outputs: [...outs, steps] });
    randomize(m, 711);
    note('conv', await parity(m, [[floats([2, 5, 3], rng)], [floats([3, 1, 3], rng)], [floats([1, 8, 3], rng)]], 'conv1dTranspose'));
  });

  it("global pooling over masked steps (TextClassifier's BiLSTM → masked max pooling), BatchNormalization, Flatten, Reshape, Permute, RepeatVector, at opsets 13, 17, 18 and 21", async () => {
    const rng = new Rng(720);
    const ids = input({ shape: [null] });
    const e = layers.embedding({ inputDim: VOCAB, outputDim: 3, maskZero: true }).apply(ids) as SymbolicTensor;
    const seq = layers.bidirectional({ layer: layers.lstm({ units: 3, returnSequences: true }) }).apply(e) as SymbolicTensor;
    const normed = layers.layerNormalization({ epsilon: 0.01 }).apply(layers.batchNormalization().apply(seq) as SymbolicTensor) as SymbolicTensor;
    const pooled = [layers.globalMaxPooling1d(), layers.globalAveragePooling1d({ keepdims: true }), layers.globalMaxPooling1d({ keepdims: true })].map((l) => l.apply(normed) as SymbolicTensor);
    const fixed = input({ shape: [4, 3] });
    const shaped = [
      layers.flatten().apply(fixed),
      layers.reshape({ targetShape: [2, -1] }).apply(fixed),
      layers.permute({ dims: [2, 1] }).apply(fixed),
      layers.repeatVector({ n: 3 }).apply(layers.globalAveragePooling1d({ dataFormat: 'channelsFirst' }).apply(fixed) as SymbolicTensor),
      layers.layerNormalization({ rmsScaling: true }).apply(fixed),
    ] as SymbolicTensor[];
    const m = model({ inputs: [ids, fixed], outputs: [...pooled, ...shaped] });
    // Random weights; moving variances must be positive.
    const wr = new Rng(721);
    for (const l of m.layers) for (const w of l.weights) w.value.set(w.value.map(() => (wr.uniform() - 0.5) * 1.2 + (w.name === 'moving_variance' ? 0.7 : 0)));
    const runs = [[tokens([3, 5, 1], 5, rng), floats([3, 4, 3], rng)], [tokens([2, 7], 7, rng), floats([2, 4, 3], rng)]];
    note('pooling', await parity(m, runs, 'pooling and shapes', true));
    const want = (m.predict(runs[0]!.map((c) => new Tensor(c.data, c.shape))) as unknown as Tensor[]).map((t) => t.data);
    for (const opset of [13, 17, 18, 21]) {
      const session = await ort.InferenceSession.create(await exportOnnx(m, null, { opset }));
      const got = await session.run(Object.fromEntries(runs[0]!.map((c, i) => [session.inputNames[i]!, new ort.Tensor('float32', c.data, c.shape)])));
      want.forEach((w, o) => {
        const g = got[session.outputNames[o]!]!.data as Float32Array;
        for (let i = 0; i < w.length; i++) assert.ok(Math.abs(g[i]! - w[i]!) <= TOL, `opset ${opset} output ${o} [${i}]: ${g[i]} vs ${w[i]}`);
      });
    }
  });

  it('Dot (matrices and vectors, every axis pairing, normalize) and TimeSlice (an index from either end, slices)', async () => {
    const rng = new Rng(740);
    const a = input({ shape: [4, 3] });
    const c = input({ shape: [5, 3] });
    const d = input({ shape: [4, 2] });
    const u = input({ shape: [3] });
    const outs = [
      layers.dot({ axes: 2 }).apply([a, c]),
      layers.dot({ axes: [1, 1], normalize: true }).apply([a, d]),
      layers.dot({ axes: [-1, 2] }).apply([a, c]),
      layers.dot({ axes: [1, 2], normalize: true }).apply([u, c]),
      layers.dot({ axes: [2, 1] }).apply([a, u]),
      layers.dot({ axes: 1, normalize: true }).apply([u, u]),
      layers.timeSlice({ index: -1 }).apply(c),
      layers.timeSlice({ index: 1 }).apply(a),
      layers.timeSlice({ start: 1, stop: -1 }).apply(c),
      layers.timeSlice({ start: -2 }).apply(a),
    ] as SymbolicTensor[];
    const m = model({ inputs: [a, c, d, u], outputs: outs });
    note('merges', await parity(m, [[floats([2, 4, 3], rng), floats([2, 5, 3], rng), floats([2, 4, 2], rng), floats([2, 3], rng)], [floats([1, 4, 3], rng), floats([1, 5, 3], rng), floats([1, 4, 2], rng), floats([1, 3], rng)]], 'Dot and TimeSlice'));
  });

  it("TextClassifier's default model and its Conv1D front end export and run as predict", async () => {
    const texts = ['good movie', 'bad film', 'great fun here', 'awful plot and acting', 'fine'];
    const labels = ['pos', 'neg', 'pos', 'neg', 'pos'];
    const rng = new Rng(730);
    for (const args of [{}, { conv: { filters: 4, kernelSize: 2 }, cell: 'gru' as const }]) {
      const c = TextClassifier.forData(texts, labels, { units: 4, embeddingDim: 3, seed: 1, ...args });
      const m = (c as unknown as { model: Model }).model;
      randomize(m, 731);
      note('pooling', await parity(m, [[tokens([3, 60, 1], 200, rng)], [tokens([200, 2], 200, rng)]], `TextClassifier ${JSON.stringify(args)}`));
    }
  });
});

describe('exportOnnx: MultiHeadAttention', () => {
  it('self-attention over Embedding masks with the causal and sliding-window masks, a separate key, no biases, outputShape, and the scores output; open lengths', async () => {
    const rng = new Rng(760);
    const ids = input({ shape: [null] });
    const e = layers.embedding({ inputDim: VOCAB, outputDim: 6, maskZero: true }).apply(ids) as SymbolicTensor;
    const causal = layers.multiHeadAttention({ numHeads: 2, keyDim: 3 }).apply([e, e], { useCausalMask: true }) as SymbolicTensor;
    const windowed = layers.multiHeadAttention({ numHeads: 3, keyDim: 2, valueDim: 4, slidingWindow: 2, useBias: false }).apply([e, e]) as SymbolicTensor;
    const pooled = layers.globalAveragePooling1d().apply(layers.add().apply([causal, windowed]) as SymbolicTensor) as SymbolicTensor;
    const self = model({ inputs: ids, outputs: [pooled, causal] });
    randomize(self, 761);
    note('attention', await parity(self, [[tokens([4, 2, 5], 5, rng)], [tokens([1, 7], 7, rng)]], 'MultiHeadAttention, masks', true));
    // The scores output needs fixed lengths ([B, N, Tq, Tv]).
    const q = input({ shape: [3, 4] });
    const kv = input({ shape: [6, 5] });
    const key = input({ shape: [6, 3] });
    const [cross, scores] = layers.multiHeadAttention({ numHeads: 2, keyDim: 2, valueDim: 3, outputShape: 7 }).apply([q, kv, key], { returnAttentionScores: true }) as unknown as SymbolicTensor[];
    const m = model({ inputs: [q, kv, key], outputs: [cross!, scores!] });
    randomize(m, 762);
    const run = (B: number): Case[] => [floats([B, 3, 4], rng), floats([B, 6, 5], rng), floats([B, 6, 3], rng)];
    note('attention', await parity(m, [run(3), run(1)], 'MultiHeadAttention, key and scores'));
  });
});

describe('exportOnnx: Attention and AdditiveAttention', () => {
  it('dot (with and without scale), concat and additive scores, value and query masks, the causal mask (call option and Keras 2 causal), a separate key, the scores output', async () => {
    const rng = new Rng(780);
    const ids = input({ shape: [null] });
    const e = layers.embedding({ inputDim: VOCAB, outputDim: 4, maskZero: true }).apply(ids) as SymbolicTensor;
    const h = layers.lstm({ units: 4, returnSequences: true }).apply(e) as SymbolicTensor;
    const outs = [
      layers.attention().apply([h, e]),
      layers.attention({ useScale: true }).apply([h, e, h], { useCausalMask: true }),
      layers.attention({ scoreMode: 'concat', useScale: true }).apply([e, h]),
      layers.attention({ causal: true }).apply([h, h]),
      layers.additiveAttention().apply([h, e], { useCausalMask: true }),
      layers.additiveAttention({ useScale: false }).apply([e, h, e]),
    ].map((t) => layers.globalAveragePooling1d().apply(t as SymbolicTensor) as SymbolicTensor);
    const m = model({ inputs: ids, outputs: outs });
    randomize(m, 781);
    note('attention', await parity(m, [[tokens([4, 2, 5], 5, rng)], [tokens([1, 7], 7, rng)]], 'Attention, masks', true));
    const q = input({ shape: [3, 4] });
    const v = input({ shape: [5, 2] });
    const k = input({ shape: [5, 4] });
    const [out, weights] = layers.additiveAttention().apply([q, v, k], { returnAttentionScores: true }) as unknown as SymbolicTensor[];
    const s = model({ inputs: [q, v, k], outputs: [out!, weights!] });
    randomize(s, 782);
    note('attention', await parity(s, [[floats([2, 3, 4], rng), floats([2, 5, 2], rng), floats([2, 5, 4], rng)]], 'AdditiveAttention scores'));
  });
});

describe('exportOnnx: masked edge cases', () => {
  it('masked steps with an initial state (held going forward and backwards) and all-masked rows', async () => {
    const rng = new Rng(800);
    for (const [i, goBackwards] of [false, true].entries()) {
      for (const kind of CELLS) {
        const x = input({ shape: [null] });
        const states = (kind === 'lstm' ? [3, 3] : [3]).map(() => input({ shape: [3] }));
        const e = layers.embedding({ inputDim: VOCAB, outputDim: 2, maskZero: true }).apply(x) as SymbolicTensor;
        const y = cell(kind, { units: 3, returnSequences: true, goBackwards }).apply(e, { initialState: states }) as SymbolicTensor;
        const m = model({ inputs: [x, ...states], outputs: y });
        randomize(m, 810 + i);
        const feeds = (B: number): Case[] => states.map(() => floats([B, 3], rng));
        note('masked', await parity(m, [[tokens([2, 5, 1], 5, rng), ...feeds(3)], [tokens([7, 4], 7, rng), ...feeds(2)]], `${kind} gb=${goBackwards} initial state`, kind === 'lstm'));
      }
    }
    // A row with no kept step: its last output and states are the initial (zero) state in both.
    const m = sequential({ layers: [layers.embedding({ inputDim: VOCAB, outputDim: 2, maskZero: true, inputShape: [null] }), layers.lstm({ units: 3 })] });
    randomize(m, 820);
    note('masked', await parity(m, [[tokens([3, 0, 4], 4, rng)]], 'all-masked row'));
  });
});

describe('rnnkit export onnx (CLI)', () => {
  it('writes a saved model as ONNX that onnxruntime runs; one-line errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rnnkit-onnx-cli-'));
    try {
      const m = sequential({ layers: [layers.embedding({ inputDim: VOCAB, outputDim: 3, maskZero: true, inputShape: [null] }), layers.gru({ units: 4 }), layers.dense({ units: 2, activation: 'softmax' })] });
      randomize(m, 900);
      await m.save(join(dir, 'model'));
      const file = join(dir, 'out.onnx');
      const r = rnnkit('export', 'onnx', join(dir, 'model'), file);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /wrote .*out\.onnx \(\d+ bytes, opset 17\)/);
      const s = await ort.InferenceSession.create(readFileSync(file));
      const x = tokens([4, 2], 4, new Rng(901));
      const got = (await s.run({ [s.inputNames[0]!]: new ort.Tensor('float32', x.data, x.shape) }))[s.outputNames[0]!]!.data as Float32Array;
      const want = (m.predict(new Tensor(x.data, x.shape)) as Tensor).data;
      for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= TOL, `CLI export [${i}]`);
      assertUserError(rnnkit('export', 'onnx', join(dir, 'nothing'), file), 1, /holds no model\.json/);
      assertUserError(rnnkit('export', 'onnx', join(dir, 'model')), 2, /expected MODEL_DIR and OUT\.onnx/);
      assertUserError(rnnkit('export', 'tflite', 'a', 'b'), 2, /unknown format "tflite"/);
      assertUserError(rnnkit('export', 'onnx', join(dir, 'model'), file, '--opset', '30'), 2, /--opset must be from 13 to 21/);
      const bad = sequential({ layers: [layers.lstm({ units: 2, activation: 'selu', inputShape: [null, 2] })] });
      await bad.save(join(dir, 'bad'));
      assertUserError(rnnkit('export', 'onnx', join(dir, 'bad'), file), 1, /cannot be exported: LSTM '[^']+': activation 'selu'/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('exportOnnx: refusals and options', () => {
  it('lists every unsupported layer and option, naming them', async () => {
    const m = sequential({
      layers: [
        layers.lstm({ units: 3, returnSequences: true, stateful: true, batchInputShape: [2, 4, 2] }),
        layers.gru({ units: 3, returnSequences: true, activation: 'selu', recurrentActivation: 'swish' }),
        layers.timeDistributed({ layer: layers.repeatVector({ n: 2 }) }),
      ],
    });
    await assert.rejects(exportOnnx(m), (e: Error) => {
      assert.ok(e instanceof OnnxExportError);
      assert.match(e.message, /LSTM 'lstm[^']*': stateful: true/);
      assert.match(e.message, /GRU 'gru[^']*': activation 'selu'/);
      assert.match(e.message, /GRU 'gru[^']*': recurrentActivation 'swish'/);
      assert.match(e.message, /TimeDistributed '[^']*': wraps RepeatVector/);
      return true;
    });
    const a = input({ shape: [null] });
    const e = layers.embedding({ inputDim: 5, outputDim: 2, maskZero: true }).apply(a) as SymbolicTensor;
    const joined = layers.concatenate({ axis: 1 }).apply([e, e]) as SymbolicTensor;
    await assert.rejects(exportOnnx(model({ inputs: a, outputs: joined })), /Concatenate '[^']*': axis 1 joins along time/);
    const bi = sequential({ layers: [layers.bidirectional({ layer: layers.lstm({ units: 2, goBackwards: true }), inputShape: [3, 2] })] });
    await assert.rejects(exportOnnx(bi), /forward\): goBackwards: true on the layer inside Bidirectional/);
  });

  it('checks its options', async () => {
    const m = sequential({ layers: [layers.dense({ units: 2, inputShape: [3] })] });
    await assert.rejects(exportOnnx(layers.dense({ units: 2 }) as never), /exportOnnx: expected a Sequential or graph model/);
    await assert.rejects(exportOnnx(sequential({ layers: [layers.dense({ units: 2 })] })), /not built yet/);
    await assert.rejects(exportOnnx(m, 42 as never), /target must be a file path, got 42/);
    await assert.rejects(exportOnnx(m, null, { opset: 12 }), /opset must be an integer from 13 to 21, got 12/);
    await assert.rejects(exportOnnx(m, null, { opset: 17.5 }), /opset must be an integer/);
    await assert.rejects(exportOnnx(m, null, { opsets: 17 } as never), /opsets/);
    // Every opset in range builds the same recurrent graph (ops whose inputs changed across opsets are avoided).
    const rec = sequential({ layers: [layers.embedding({ inputDim: VOCAB, outputDim: 2, maskZero: true, inputShape: [null] }), layers.bidirectional({ layer: layers.lstm({ units: 3, returnSequences: true }) }), layers.masking({ maskValue: 0 })] });
    randomize(rec, 950);
    const xs = tokens([4, 1, 3], 4, new Rng(951));
    const want = (rec.predict(new Tensor(xs.data, xs.shape)) as Tensor).data;
    for (let opset = 13; opset <= 21; opset++) {
      const s = await ort.InferenceSession.create(await exportOnnx(rec, null, { opset }));
      const got = (await s.run({ [s.inputNames[0]!]: new ort.Tensor('float32', xs.data, xs.shape) }))[s.outputNames[0]!]!.data as Float32Array;
      for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= TOL, `opset ${opset} [${i}]`);
    }
    for (const opset of [13, 21]) {
      const bytes = await exportOnnx(m, null, { opset });
      const s = await ort.InferenceSession.create(bytes);
      const x = Float32Array.of(1, 2, 3);
      const y = (await s.run({ [s.inputNames[0]!]: new ort.Tensor('float32', x, [1, 3]) }))[s.outputNames[0]!]!.data as Float32Array;
      const want = (m.predict(new Tensor(x, [1, 3])) as Tensor).data;
      assert.ok(Math.abs(y[0]! - want[0]!) <= TOL && Math.abs(y[1]! - want[1]!) <= TOL, `opset ${opset}`);
    }
  });

  // Under CI (.ci/run installs python3-onnx) a missing checker fails the test instead of skipping it.
  it('the exported files pass onnx.checker (full check), when python3-onnx is installed', { skip: hasChecker || process.env.CI === 'true' ? false : 'python3-onnx is not installed' }, (t) => {
    assert.ok(hasChecker, 'python3-onnx is not installed (.ci/run installs it)');
    if (toCheck.length === 0) return t.skip('no parity test ran (filtered out)');
    try {
      execFileSync('/usr/bin/python3', [join(import.meta.dirname, '..', 'tools', 'onnx_check.py'), ...toCheck], { stdio: 'pipe', encoding: 'utf8' });
    } catch (e) {
      assert.fail(`onnx.checker: ${(e as { stderr?: string }).stderr ?? String(e)}`);
    }
  });
});
