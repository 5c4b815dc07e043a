/**
 * The JavaScript contestants behind one interface, so run.ts times them all the same way:
 * rnnkit (this repository's src/) on each backend ('ts', 'wasm') with 1 or more workers,
 * and TensorFlow.js 4.22 (tfjs-layers) on its pure-JS 'cpu' and its WebAssembly 'wasm'
 * backends — what a Node user would otherwise pick (tfjs-node cannot be installed here:
 * its install script downloads libtensorflow). PyTorch runs in a child process: torch.ts.
 *
 * Every model is a chain, [Embedding →] SimpleRNN / LSTM / GRU(units) → Dense(1, sigmoid) with
 * binary cross-entropy, or → Dense(k, softmax) with sparse categorical cross-entropy (per step
 * with returnSequences); or the lstm_seq2seq encoder–decoder (ModelSpec.decoder), a functional
 * model of two inputs with categorical cross-entropy on one-hot targets. Adam, or RMSprop
 * (ModelSpec.optimizer). tfjs gets rnnkit's initial weights injected (the layouts and orders
 * are Keras's in both: LSTM gates i, f, c, o; GRU z, r, h): a chain's in model order, the
 * encoder–decoder's layer by layer by name. tfjs's LSTM/GRU default to recurrentActivation
 * 'hardSigmoid', Keras 3 and rnnkit to 'sigmoid', passed explicitly.
 * tfjs-wasm has no gradient for Embedding (no UnsortedSegmentSum kernel), so there the
 * embedding is a one-hot input times a bias-free Dense with the embedding matrix as its
 * kernel: the same function and the same weights.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';
import {
  Sequential,
  input,
  layers,
  model,
  optimizers,
  setSeed,
  tensor,
  useBackend,
  type Callback,
  type FitArgs,
  type Layer,
  type Model,
  type Optimizer,
  type Stream,
  type SymbolicTensor,
  type Tensor,
} from '../src/index.js';
import type { Rng } from '../src/core/rng.js';
import { backend } from '../src/backend/kernels.js';
import { UnitClock } from './stats.js';
import { SEQ2SEQ_LAYERS, type Dataset, type ModelSpec } from './workloads.js';

export interface WeightValue {
  shape: readonly number[];
  data: Float32Array;
  /** rnnkit's path of the weight ('encoder/kernel'): its layer, then the Keras weight name. */
  name?: string;
}

/**
 * Per-step probabilities of a model fed one token per row at a time, state carried: `rows`
 * independent streams as the rows of one batch (1 for plain one-character-at-a-time sampling).
 */
export interface Sampler {
  readonly rows: number;
  /** Every row back to the zero state. */
  reset(): void;
  /** One step: ids[r] is row r's next input; returns the probabilities, [rows, V] flat. */
  step(ids: Int32Array): ArrayLike<number>;
  /**
   * Where the library has one: a step and its draws in one call (rnnkit's stream.sampleNext),
   * drawing each row in order with `rng` as sampleIndex does; returns the next ids.
   */
  sample?(ids: Int32Array, rng: Rng): Int32Array;
  dispose(): void;
}

export interface TimedFit {
  /** Seconds per batch (per: 'batch') or per epoch, in order. */
  times: number[];
  /** Mean training loss of the last epoch, as the library reports it. */
  loss: number;
}

export interface Contestant {
  readonly label: string;
  /** Where it actually ran, read back from the library ('ts', 'wasm', tf.getBackend()). */
  ranOn(): string;
  getWeights(): WeightValue[];
  /** One fit call on samples [start, start + count) as one batch; returns its loss (before the update). */
  fitSlice(start: number, count: number): Promise<number>;
  /**
   * One fit call on samples [start, start + count) with the model's batch size, timing
   * every batch (or epoch) from the library's callbacks: batch k lasts from the end of batch
   * k-1 (the start of batch 0) to its own end.
   */
  fitTimed(start: number, count: number, epochs: number, shuffle: boolean, per: 'batch' | 'epoch'): Promise<TimedFit>;
  /** One epoch on all the data; returns its mean loss. */
  fitEpoch(shuffle: boolean): Promise<number>;
  /** [loss, accuracy] over the whole data set, inference mode. */
  evaluate(): [number, number];
  /** Outputs for the first `count` sequences, flat. */
  predict(batchSize: number, count: number): Float32Array;
  /** A sampler of `rows` streams (batch size) with the model's current weights (models with an embedding). */
  sampler(rows: number): Sampler;
  dispose(): void;
}

/** `count` samples of a data array, flat (a view), and their shape [count, ...one sample's]. */
interface Block {
  data: Float32Array;
  shape: number[];
}

/**
 * Samples [start, start + count) as the model's inputs (one; the encoder's and the decoder's
 * for an encoder–decoder) and targets, in the shapes rnnkit takes: y [count, 1], [count, T]
 * per step, or [count, decoder T, classes] one-hot.
 */
export function sliceData(d: Dataset, m: ModelSpec, start: number, count: number): { x: Block[]; y: Block } {
  const rows = (a: Float32Array, sample: number[]): Block => {
    const w = sample.reduce((p, q) => p * q, 1);
    return { data: a.subarray(start * w, (start + count) * w), shape: [count, ...sample] };
  };
  const x = [rows(d.x, m.embeddingVocab !== undefined ? [d.T] : [d.T, d.I])];
  if (m.decoder === undefined) return { x, y: rows(d.y, m.returnSequences === true ? [d.T] : [1]) };
  x.push(rows(d.decoderX!, [m.decoder.T, m.decoder.I]));
  return { x, y: rows(d.y, [m.decoder.T, m.classes!]) };
}

/** The loss of a model spec, by the name rnnkit and tfjs both use. */
function lossName(spec: ModelSpec): 'binaryCrossentropy' | 'sparseCategoricalCrossentropy' | 'categoricalCrossentropy' {
  return spec.classes === null ? 'binaryCrossentropy' : spec.decoder !== undefined ? 'categoricalCrossentropy' : 'sparseCategoricalCrossentropy';
}

/** RMSprop's ρ (Keras 3's default; tfjs calls it decay, PyTorch alpha). */
const RHO = 0.9;

// ---------------------------------------------------------------- rnnkit


/**
 * The encoder–decoder as in Keras's lstm_seq2seq (functional API). Seeds: the encoder gets
 * the chain's recurrent seed, the head the chain's Dense seed, the decoder weightSeed + 3.
 */
function buildRnnkitSeq2Seq(spec: ModelSpec): Model {
  const dec = spec.decoder!;
  if (spec.cell !== 'lstm') throw new Error('the encoder–decoder is built for LSTM cells only');
  const encIn = input({ shape: [null, spec.I], name: 'encoder_inputs' });
  const [, h, c] = layers.lstm({ units: spec.units, returnState: true, seed: spec.weightSeed, name: SEQ2SEQ_LAYERS.encoder }).apply(encIn) as unknown as SymbolicTensor[];
  const decIn = input({ shape: [null, dec.I], name: 'decoder_inputs' });
  const [seq] = layers
    .lstm({ units: spec.units, returnSequences: true, returnState: true, seed: spec.weightSeed + 3, name: SEQ2SEQ_LAYERS.decoder })
    .apply(decIn, { initialState: [h!, c!] }) as unknown as SymbolicTensor[];
  const out = layers.dense({ units: spec.classes!, activation: 'softmax', seed: spec.weightSeed + 1, name: SEQ2SEQ_LAYERS.head }).apply(seq!);
  return model({ inputs: [encIn, decIn], outputs: out });
}

export function buildRnnkitModel(spec: ModelSpec): Model {
  setSeed(spec.weightSeed); // also seeds fit's shuffling (no per-fit seed given)
  const m = spec.decoder !== undefined ? buildRnnkitSeq2Seq(spec) : buildRnnkitChain(spec);
  const optimizer: Optimizer =
    spec.optimizer === 'rmsprop'
      ? optimizers.rmsprop({ learningRate: spec.learningRate, rho: RHO, epsilon: spec.epsilon })
      : optimizers.adam({ learningRate: spec.learningRate, epsilon: spec.epsilon });
  m.compile({ optimizer, loss: lossName(spec), metrics: ['accuracy'] });
  return m;
}

/** [Embedding →] SimpleRNN / LSTM / GRU → Dense. */
function buildRnnkitChain(spec: ModelSpec): Sequential {
  const m = new Sequential();
  const emb = spec.embeddingVocab !== undefined;
  if (emb) m.add(layers.embedding({ inputDim: spec.embeddingVocab!, outputDim: spec.I, inputShape: [null], seed: spec.weightSeed + 2 }));
  const rnnArgs = { units: spec.units, seed: spec.weightSeed, returnSequences: spec.returnSequences === true, ...(emb ? {} : { inputShape: [spec.T, spec.I] }) };
  const rnn: Layer =
    spec.cell === 'lstm' ? layers.lstm(rnnArgs) : spec.cell === 'gru' ? layers.gru({ ...rnnArgs, resetAfter: spec.resetAfter ?? true }) : layers.simpleRNN(rnnArgs);
  m.add(rnn);
  const softmax = spec.classes !== null;
  m.add(layers.dense({ units: softmax ? spec.classes! : 1, activation: softmax ? 'softmax' : 'sigmoid', seed: spec.weightSeed + 1 }));
  return m;
}

/** rnnkit's initial weights for a model spec (the same for every backend), named by their paths. */
export function initialWeights(spec: ModelSpec): WeightValue[] {
  useBackend('ts');
  const m = buildRnnkitModel(spec);
  const names = m.weightPaths();
  return m.getWeights().map((w, i) => ({ shape: [...w.shape], data: Float32Array.from(w.data), name: names[i]! }));
}

class RnnkitContestant implements Contestant {
  readonly label: string;
  private readonly model: Model;
  /** Per slice: the inputs (a list for an encoder–decoder) and the targets. */
  private readonly slices = new Map<string, [Tensor | Tensor[], Tensor]>();

  constructor(
    private readonly data: Dataset,
    private readonly spec: ModelSpec,
    private readonly backendName: 'ts' | 'wasm',
    private readonly workers: number,
  ) {
    this.label = `rnnkit ${backendName} ${workers}w`;
    useBackend(backendName); // layers take their kernels when they are built
    this.model = buildRnnkitModel(spec);
  }

  ranOn(): string {
    useBackend(this.backendName);
    return backend().name;
  }

  private slice(start: number, count: number): [Tensor | Tensor[], Tensor] {
    const key = `${start}:${count}`;
    let s = this.slices.get(key);
    if (s === undefined) {
      const { x, y } = sliceData(this.data, this.spec, start, count);
      const xs = x.map((b) => tensor(b.data, b.shape));
      s = [xs.length === 1 ? xs[0]! : xs, tensor(y.data, y.shape)];
      this.slices.set(key, s);
    }
    return s;
  }

  private async fit(x: Tensor | Tensor[], y: Tensor, args: FitArgs): Promise<number> {
    useBackend(this.backendName);
    const h = await this.model.fit(x, y, { ...args, verbose: 0, workers: this.workers });
    return h.history.loss![h.history.loss!.length - 1]!;
  }

  fitSlice(start: number, count: number): Promise<number> {
    const [x, y] = this.slice(start, count);
    return this.fit(x, y, { epochs: 1, batchSize: count, shuffle: false });
  }

  async fitTimed(start: number, count: number, epochs: number, shuffle: boolean, per: 'batch' | 'epoch'): Promise<TimedFit> {
    const [x, y] = this.slice(start, count);
    const clock = new UnitClock();
    const cb: Callback = per === 'batch' ? { onBatchBegin: () => clock.begin(), onBatchEnd: () => clock.end() } : { onEpochBegin: () => clock.begin(), onEpochEnd: () => clock.end() };
    const loss = await this.fit(x, y, { epochs, batchSize: this.spec.batchSize, shuffle, callbacks: [cb] });
    return { times: clock.times, loss };
  }

  fitEpoch(shuffle: boolean): Promise<number> {
    const [x, y] = this.slice(0, this.data.n);
    return this.fit(x, y, { epochs: 1, batchSize: this.spec.batchSize, shuffle });
  }

  getWeights(): WeightValue[] {
    return this.model.getWeights().map((w) => ({ shape: [...w.shape], data: Float32Array.from(w.data) }));
  }

  evaluate(): [number, number] {
    useBackend(this.backendName);
    const [x, y] = this.slice(0, this.data.n);
    const r = this.model.evaluate(x, y, { batchSize: this.spec.batchSize, verbose: 0 });
    return [r[0]!, r[1]!];
  }

  predict(batchSize: number, count: number): Float32Array {
    useBackend(this.backendName);
    return this.model.predict(this.slice(0, count)[0], { batchSize, workers: this.workers }).data;
  }

  sampler(rows: number): Sampler {
    useBackend(this.backendName);
    const stream: Stream = this.model.stream({ batchSize: rows });
    const x = tensor(new Float32Array(rows), [rows]);
    return {
      rows,
      reset: () => stream.reset(),
      step: (ids) => {
        for (let r = 0; r < rows; r++) x.data[r] = ids[r]!;
        return stream.step(x).data;
      },
      sample: (ids, rng) => stream.sampleNext(ids, rng),
      dispose: () => {},
    };
  }

  dispose(): void {
    this.slices.clear();
  }
}

// ---------------------------------------------------------------- tfjs

// tfjs-core's Node bundle (what `import '@tensorflow/tfjs-core'` loads) does not register
// the chained Tensor methods (`t.flatten()`, used by tfjs-layers' orthogonal initializer,
// SimpleRNN's default recurrentInitializer); the `@tensorflow/tfjs` umbrella package
// imports them as a side effect. Without the umbrella we load them ourselves. They are ESM
// files with extensionless imports, which Node's ESM resolver rejects; require() (tsx's
// CJS hook compiles them) resolves them. They patch the Tensor class registered in tfjs's
// global namespace (getGlobal), i.e. the bundle's. (Gradients are in the bundle already.)
const requireCjs = createRequire(import.meta.url);
requireCjs('@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops');

export type TfjsBackend = 'cpu' | 'wasm';
let wasmPathsSet = false;

/**
 * Make `name` tfjs's (global) backend and check that it took. The wasm backend loads its
 * .wasm binaries from the package's dist directory in node_modules.
 */
export async function useTfjsBackend(name: TfjsBackend): Promise<void> {
  tf.enableProdMode(); // no debug checks, no "install tfjs-node" banner
  if (name === 'wasm' && !wasmPathsSet) {
    tfwasm.setWasmPaths(path.join(path.dirname(requireCjs.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep);
    wasmPathsSet = true;
  }
  if (tf.getBackend() !== name) {
    const ok = await tf.setBackend(name);
    await tf.ready();
    if (!ok || tf.getBackend() !== name) throw new Error(`tfjs: could not select the ${name} backend (got ${tf.getBackend()})`);
  }
}

/** tfjs's version, current backend and, once the wasm backend has been selected, its SIMD / threads flags. */
export function tfjsInfo(): { version: string; backend: string; wasmSimd: boolean | null; wasmThreads: boolean | null } {
  const flag = (f: string): boolean | null => {
    try {
      return tf.env().getBool(f);
    } catch {
      return null;
    }
  };
  return { version: tf.version_core, backend: tf.getBackend(), wasmSimd: wasmPathsSet ? flag('WASM_HAS_SIMD_SUPPORT') : null, wasmThreads: wasmPathsSet ? flag('WASM_HAS_MULTITHREAD_SUPPORT') : null };
}

/** ids [n·T] → one-hot [n·T·V]. */
function oneHot(ids: Float32Array, V: number): Float32Array {
  const out = new Float32Array(ids.length * V);
  for (let i = 0; i < ids.length; i++) out[i * V + ids[i]!] = 1;
  return out;
}

/** tfjs's LSTM/GRU arguments beyond the units: Keras 3's recurrent activation; see buildTfjsChain for the zeros. */
const TFJS_RNN_ARGS = { recurrentInitializer: 'zeros', recurrentActivation: 'sigmoid' } as const;

/** The encoder–decoder in tfjs's functional API, named as rnnkit's (the weights are set by layer name). */
function buildTfjsSeq2Seq(spec: ModelSpec): tfl.LayersModel {
  const dec = spec.decoder!;
  const encIn = tfl.input({ shape: [null, spec.I], name: 'encoder_inputs' });
  const [, h, c] = tfl.layers.lstm({ units: spec.units, returnState: true, name: SEQ2SEQ_LAYERS.encoder, ...TFJS_RNN_ARGS }).apply(encIn) as tfl.SymbolicTensor[];
  const decIn = tfl.input({ shape: [null, dec.I], name: 'decoder_inputs' });
  const [seq] = tfl.layers
    .lstm({ units: spec.units, returnSequences: true, returnState: true, name: SEQ2SEQ_LAYERS.decoder, ...TFJS_RNN_ARGS })
    .apply(decIn, { initialState: [h!, c!] }) as tfl.SymbolicTensor[];
  const out = tfl.layers.dense({ units: spec.classes!, activation: 'softmax', name: SEQ2SEQ_LAYERS.head }).apply(seq!) as tfl.SymbolicTensor;
  return tfl.model({ inputs: [encIn, decIn], outputs: out });
}

function buildTfjsModel(spec: ModelSpec, oneHotInput: boolean, batchInputShape?: number[]): tfl.LayersModel {
  return spec.decoder !== undefined ? buildTfjsSeq2Seq(spec) : buildTfjsChain(spec, oneHotInput, batchInputShape);
}

function buildTfjsChain(spec: ModelSpec, oneHotInput: boolean, batchInputShape?: number[]): tfl.Sequential {
  const m = tfl.sequential();
  const V = spec.embeddingVocab;
  const stateful = batchInputShape !== undefined;
  const first = stateful ? { batchInputShape } : V === undefined ? { inputShape: [spec.T, spec.I] } : { inputShape: oneHotInput ? [null, V] : [null] };
  if (V !== undefined) {
    m.add(oneHotInput ? tfl.layers.dense({ units: spec.I, useBias: false, ...first } as Parameters<typeof tfl.layers.dense>[0]) : tfl.layers.embedding({ inputDim: V, outputDim: spec.I, ...first } as Parameters<typeof tfl.layers.embedding>[0]));
  }
  // The initial weights are injected afterwards; 'zeros' for the recurrent kernel skips
  // tfjs's orthogonal initializer, a QR of a [units, gates·units] matrix (with a warning).
  const rnnArgs = {
    units: spec.units,
    returnSequences: spec.returnSequences === true,
    stateful,
    ...(V === undefined ? first : {}),
    ...(spec.cell === 'simpleRNN' ? {} : TFJS_RNN_ARGS),
  } as tfl.LSTMLayerArgs;
  if (spec.cell === 'gru' && spec.resetAfter !== false) throw new Error('tfjs: GRU supports resetAfter false only');
  m.add(spec.cell === 'lstm' ? tfl.layers.lstm(rnnArgs) : spec.cell === 'gru' ? tfl.layers.gru(rnnArgs) : tfl.layers.simpleRNN(rnnArgs));
  const softmax = spec.classes !== null;
  m.add(tfl.layers.dense({ units: softmax ? spec.classes! : 1, activation: softmax ? 'softmax' : 'sigmoid' }));
  return m;
}

/**
 * The layers whose weights are matched by name, in rnnkit's weight order (the encoder–decoder);
 * null: a chain, whose weights are in the same order in both libraries.
 */
function namedLayers(spec: ModelSpec): string[] | null {
  return spec.decoder !== undefined ? [SEQ2SEQ_LAYERS.encoder, SEQ2SEQ_LAYERS.decoder, SEQ2SEQ_LAYERS.head] : null;
}

/** rnnkit's weights into a tfjs model: layer by layer by name (`layers`), or in model order. */
function setTfjsWeights(m: tfl.LayersModel, weights: readonly WeightValue[], layers: readonly string[] | null): void {
  const ts = weights.map((w) => tf.tensor(Float32Array.from(w.data), [...w.shape]));
  if (layers === null) m.setWeights(ts);
  else {
    for (const name of layers) {
      const mine = ts.filter((_, i) => weights[i]!.name?.split('/')[0] === name);
      if (mine.length === 0) throw new Error(`tfjs: no weights named ${name}/… to set`);
      m.getLayer(name).setWeights(mine);
    }
    if (weights.some((w) => !layers.includes(w.name?.split('/')[0] ?? ''))) throw new Error('tfjs: weights left over after setting them by layer');
  }
  tf.dispose(ts);
}

class TfjsContestant implements Contestant {
  readonly label: string;
  private readonly model: tfl.LayersModel;
  private readonly oneHot: boolean;
  private readonly layers: string[] | null;
  /** Per slice: the inputs (a list for an encoder–decoder) and the targets. */
  private readonly slices = new Map<string, [tf.Tensor | tf.Tensor[], tf.Tensor]>();

  constructor(
    private readonly data: Dataset,
    private readonly spec: ModelSpec,
    private readonly backendName: TfjsBackend,
  ) {
    this.label = `tfjs-${backendName}`;
    this.oneHot = spec.embeddingVocab !== undefined && backendName === 'wasm';
    this.model = buildTfjsModel(spec, this.oneHot);
    this.layers = namedLayers(spec);
    this.model.compile({
      // tfjs's RMSProp divides by √(v + ε) as Keras 3 does; its Adam adds ε elsewhere (see run.ts).
      optimizer: spec.optimizer === 'rmsprop' ? tf.train.rmsprop(spec.learningRate, RHO, 0, spec.epsilon, false) : tf.train.adam(spec.learningRate, 0.9, 0.999, spec.epsilon),
      loss: lossName(spec),
      metrics: ['accuracy'],
    });
  }

  ranOn(): string {
    return tf.getBackend();
  }

  private check(): void {
    if (tf.getBackend() !== this.backendName) throw new Error(`${this.label}: tfjs's backend is ${tf.getBackend()}`);
  }

  /** As rnnkit's slices, except: one-hot ids on wasm (see the header), sparse per-step targets [count, T, 1]. */
  private slice(start: number, count: number): [tf.Tensor | tf.Tensor[], tf.Tensor] {
    const key = `${start}:${count}`;
    let s = this.slices.get(key);
    if (s === undefined) {
      const { x, y } = sliceData(this.data, this.spec, start, count);
      const xs = x.map((b, i) => (i === 0 && this.oneHot ? tf.tensor(oneHot(b.data, this.spec.embeddingVocab!), [...b.shape, this.spec.embeddingVocab!]) : tf.tensor(b.data.slice(), b.shape)));
      const yShape = this.spec.returnSequences === true ? [...y.shape, 1] : y.shape;
      s = [xs.length === 1 ? xs[0]! : xs, tf.tensor(y.data.slice(), yShape)];
      this.slices.set(key, s);
    }
    return s;
  }

  private async fit(x: tf.Tensor | tf.Tensor[], y: tf.Tensor, args: tfl.ModelFitArgs): Promise<number> {
    this.check();
    const h = await this.model.fit(x, y, { ...args, verbose: 0 });
    const losses = h.history.loss!;
    return Number(losses[losses.length - 1]);
  }

  fitSlice(start: number, count: number): Promise<number> {
    const [x, y] = this.slice(start, count);
    return this.fit(x, y, { epochs: 1, batchSize: count, shuffle: false });
  }

  async fitTimed(start: number, count: number, epochs: number, shuffle: boolean, per: 'batch' | 'epoch'): Promise<TimedFit> {
    const [x, y] = this.slice(start, count);
    const clock = new UnitClock();
    const callbacks =
      per === 'batch'
        ? { onBatchBegin: async () => clock.begin(), onBatchEnd: async () => clock.end() }
        : { onEpochBegin: async () => clock.begin(), onEpochEnd: async () => clock.end() };
    const loss = await this.fit(x, y, { epochs, batchSize: this.spec.batchSize, shuffle, callbacks });
    return { times: clock.times, loss };
  }

  fitEpoch(shuffle: boolean): Promise<number> {
    const [x, y] = this.slice(0, this.data.n);
    return this.fit(x, y, { epochs: 1, batchSize: this.spec.batchSize, shuffle });
  }

  /** In rnnkit's order (layer by layer by name for the encoder–decoder). */
  getWeights(): WeightValue[] {
    const ws = this.layers === null ? this.model.getWeights() : this.layers.flatMap((name) => this.model.getLayer(name).getWeights());
    return ws.map((w) => ({ shape: [...w.shape], data: Float32Array.from(w.dataSync() as Float32Array) }));
  }

  setWeights(weights: readonly WeightValue[]): void {
    setTfjsWeights(this.model, weights, this.layers);
  }

  evaluate(): [number, number] {
    this.check();
    const [x, y] = this.slice(0, this.data.n);
    const out = this.model.evaluate(x, y, { batchSize: this.spec.batchSize, verbose: 0 });
    const arr = Array.isArray(out) ? out : [out];
    const vals = arr.map((t) => t.dataSync()[0]!);
    tf.dispose(arr);
    return [vals[0]!, vals[1]!];
  }

  predict(batchSize: number, count: number): Float32Array {
    this.check();
    const out = this.model.predict(this.slice(0, count)[0], { batchSize }) as tf.Tensor;
    const data = out.dataSync() as Float32Array;
    out.dispose();
    return data;
  }

  /**
   * What tfjs users do for O(1) sampling: a stateful copy built for a fixed batch of `rows`
   * (batchInputShape [rows, 1]), one step of all rows per predict; the probabilities come
   * back as [rows, 1, V], i.e. [rows, V] flat.
   */
  sampler(rows: number): Sampler {
    const V = this.spec.embeddingVocab;
    if (V === undefined) throw new Error(`${this.label}: sampling needs an embedding model`);
    const shape = this.oneHot ? [rows, 1, V] : [rows, 1];
    const m = buildTfjsModel(this.spec, this.oneHot, shape);
    setTfjsWeights(m, this.getWeights(), null);
    const input = new Float32Array(this.oneHot ? rows * V : rows);
    return {
      rows,
      reset: () => m.resetStates(),
      step: (ids) => {
        this.check();
        if (this.oneHot) {
          input.fill(0);
          for (let r = 0; r < rows; r++) input[r * V + ids[r]!] = 1;
        } else for (let r = 0; r < rows; r++) input[r] = ids[r]!;
        const x = tf.tensor(input, shape);
        const p = m.predict(x, { batchSize: rows }) as tf.Tensor; // predict's default batch size (32) would split the 64 rows
        const probs = p.dataSync();
        x.dispose();
        p.dispose();
        return probs;
      },
      dispose: () => m.dispose(),
    };
  }

  dispose(): void {
    for (const s of this.slices.values()) tf.dispose(s);
    this.slices.clear();
    this.model.dispose();
  }
}

export type ContestantSpec = { framework: 'rnnkit'; backend: 'ts' | 'wasm'; workers: number } | { framework: 'tfjs'; backend: TfjsBackend };

export function contestantLabel(c: ContestantSpec): string {
  return c.framework === 'rnnkit' ? `rnnkit ${c.backend} ${c.workers}w` : `tfjs-${c.backend}`;
}

/** A contestant starting from `weights` (rnnkit's own initial weights when null). */
export async function makeContestant(c: ContestantSpec, data: Dataset, spec: ModelSpec, weights: readonly WeightValue[] | null): Promise<Contestant> {
  if (c.framework === 'rnnkit') {
    const r = new RnnkitContestant(data, spec, c.backend, c.workers);
    if (weights !== null) throw new Error('rnnkit contestants start from their own initial weights');
    return r;
  }
  await useTfjsBackend(c.backend);
  const t = new TfjsContestant(data, spec, c.backend);
  if (weights === null) throw new Error('tfjs contestants need initial weights');
  t.setWeights(weights);
  return t;
}

/** tfjs matMul on [n,n]·[n,n] on the current tfjs backend, `reps` times, read back. Returns seconds. */
export function tfjsMatMulSeconds(n: number, a: Float32Array, b: Float32Array, reps: number): number {
  const ta = tf.tensor2d(a, [n, n]);
  const tb = tf.tensor2d(b, [n, n]);
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) {
    const c = tf.matMul(ta, tb);
    c.dataSync();
    c.dispose();
  }
  const s = (performance.now() - t0) / 1000;
  ta.dispose();
  tb.dispose();
  return s;
}

/** tfjs matMul of [n,n]·[n,n] on the current backend, read back. */
export function tfjsMatMul(n: number, a: Float32Array, b: Float32Array): Float32Array {
  const c = tf.tidy(() => tf.matMul(tf.tensor2d(a, [n, n]), tf.tensor2d(b, [n, n])));
  const out = Float32Array.from(c.dataSync() as Float32Array);
  c.dispose();
  return out;
}
