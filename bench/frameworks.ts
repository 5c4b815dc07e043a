/**
 * The two contestants behind one small interface, so run.ts times them the same way:
 * rnnkit (this repository's src/) and TensorFlow.js 4.22 on its pure-JS CPU backend
 * (tfjs-layers), which is what a Node user would otherwise pick (tfjs-node cannot be
 * installed here: its install script downloads libtensorflow).
 *
 * Both models are SimpleRNN / LSTM / GRU(units) → Dense(1, sigmoid) with binary
 * cross-entropy, or → Dense(k, softmax) with sparse categorical cross-entropy; Adam,
 * metrics ['accuracy']. tfjs gets rnnkit's initial weights injected, so both start from
 * the same point (weights are in the same Keras layout and order in both libraries:
 * LSTM gates i, f, c, o; GRU z, r, h with resetAfter false, the only GRU tfjs has).
 * tfjs's LSTM and GRU default to recurrentActivation 'hardSigmoid'; Keras 3 and rnnkit to
 * 'sigmoid', which is passed to tfjs explicitly.
 */
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { Sequential, layers, optimizers, setSeed, tensor, type Layer, type Tensor } from '../src/index.js';
import type { Dataset, ModelSpec } from './workloads.js';

export interface WeightValue {
  shape: readonly number[];
  data: Float32Array;
}

export interface Contestant {
  readonly label: string;
  getWeights(): WeightValue[];
  setWeights(weights: readonly WeightValue[]): void;
  /** One epoch of fit; returns the epoch's mean training loss as the library reports it. */
  fitEpoch(shuffle: boolean): Promise<number>;
  /**
   * One `fit` call (1 epoch, shuffle false) on samples [start, start + count) with
   * batchSize = count, i.e. exactly one training batch; returns its loss (computed before
   * the update).
   */
  fitSlice(start: number, count: number): Promise<number>;
  /** [loss, accuracy] over the whole data set, inference mode. */
  evaluate(): [number, number];
  /** Outputs for the first `count` sequences (default all), [count, outputs] flat. */
  predict(batchSize: number, count?: number): Float32Array;
  dispose(): void;
}

// tfjs-core's Node bundle (what `import '@tensorflow/tfjs-core'` loads) does not register
// the chained Tensor methods (`t.flatten()`, used by tfjs-layers' orthogonal initializer,
// SimpleRNN's default recurrentInitializer); the `@tensorflow/tfjs` umbrella package
// imports them as a side effect. Without the umbrella we load them ourselves. They are ESM
// files with extensionless imports, which Node's ESM resolver rejects; require() (tsx's
// CJS hook compiles them) resolves them. They patch the Tensor class registered in tfjs's
// global namespace (getGlobal), i.e. the bundle's. (Gradients are in the bundle already.)
const requireCjs = createRequire(import.meta.url);
requireCjs('@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops');

let tfReady = false;

/** Select tfjs's CPU backend once (prod mode: no debug checks, no "install tfjs-node" banner). */
export async function initTfjs(): Promise<void> {
  if (tfReady) return;
  tf.enableProdMode();
  const ok = await tf.setBackend('cpu');
  if (!ok || tf.getBackend() !== 'cpu') throw new Error(`tfjs: could not select the cpu backend (got ${tf.getBackend()})`);
  await tf.ready();
  tfReady = true;
}

export function tfjsVersion(): string {
  return tf.version_core;
}

// ---------------------------------------------------------------- rnnkit

class RnnkitContestant implements Contestant {
  readonly label = 'rnnkit';
  private readonly model: Sequential;
  private readonly x: Tensor;
  private readonly y: Tensor;
  private readonly batchSize: number;
  private readonly slices = new Map<string, [Tensor, Tensor]>();

  constructor(private readonly data: Dataset, spec: ModelSpec) {
    setSeed(spec.weightSeed); // also seeds fit's shuffling (no per-fit seed given)
    this.model = new Sequential();
    const rnnArgs = { units: spec.units, inputShape: [spec.T, spec.I], seed: spec.weightSeed };
    const rnn: Layer =
      spec.cell === 'lstm' ? layers.lstm(rnnArgs) : spec.cell === 'gru' ? layers.gru({ ...rnnArgs, resetAfter: spec.resetAfter ?? true }) : layers.simpleRNN(rnnArgs);
    this.model.add(rnn);
    const softmax = spec.classes !== null;
    this.model.add(layers.dense({ units: softmax ? spec.classes! : 1, activation: softmax ? 'softmax' : 'sigmoid', seed: spec.weightSeed + 1 }));
    this.model.compile({
      optimizer: optimizers.adam({ learningRate: spec.learningRate, epsilon: spec.epsilon }),
      loss: softmax ? 'sparseCategoricalCrossentropy' : 'binaryCrossentropy',
      metrics: ['accuracy'],
    });
    this.x = tensor(data.x, [data.n, data.T, data.I]);
    this.y = tensor(data.y, [data.n, 1]);
    this.batchSize = spec.batchSize;
  }

  private slice(start: number, count: number): [Tensor, Tensor] {
    const key = `${start}:${count}`;
    let s = this.slices.get(key);
    if (s === undefined) {
      const d = this.data;
      const w = d.T * d.I;
      s = [tensor(d.x.subarray(start * w, (start + count) * w), [count, d.T, d.I]), tensor(d.y.subarray(start, start + count), [count, 1])];
      this.slices.set(key, s);
    }
    return s;
  }

  async fitSlice(start: number, count: number): Promise<number> {
    const [x, y] = this.slice(start, count);
    const h = await this.model.fit(x, y, { epochs: 1, batchSize: count, shuffle: false, verbose: 0 });
    return h.history.loss![0]!;
  }

  getWeights(): WeightValue[] {
    return this.model.getWeights().map((w) => ({ shape: [...w.shape], data: Float32Array.from(w.data) }));
  }

  setWeights(weights: readonly WeightValue[]): void {
    this.model.setWeights(weights.map((w) => tensor(Float32Array.from(w.data), [...w.shape])));
  }

  async fitEpoch(shuffle: boolean): Promise<number> {
    const h = await this.model.fit(this.x, this.y, { epochs: 1, batchSize: this.batchSize, shuffle, verbose: 0 });
    return h.history.loss![0]!;
  }

  evaluate(): [number, number] {
    const r = this.model.evaluate(this.x, this.y, { batchSize: this.batchSize, verbose: 0 });
    return [r[0]!, r[1]!];
  }

  predict(batchSize: number, count = this.data.n): Float32Array {
    const x = count === this.data.n ? this.x : this.slice(0, count)[0];
    return this.model.predict(x, { batchSize }).data;
  }

  dispose(): void {}
}

// ---------------------------------------------------------------- tfjs

class TfjsContestant implements Contestant {
  readonly label = 'tfjs-cpu';
  private readonly model: tfl.Sequential;
  private readonly x: tf.Tensor;
  private readonly y: tf.Tensor;
  private readonly batchSize: number;
  private readonly slices = new Map<string, [tf.Tensor, tf.Tensor]>();

  constructor(private readonly data: Dataset, spec: ModelSpec) {
    this.model = tfl.sequential();
    // The initial weights are injected afterwards; 'zeros' for the recurrent kernel skips
    // tfjs's orthogonal initializer, a QR of a [units, 4·units] matrix (with a console warning).
    const rnnArgs = { units: spec.units, inputShape: [spec.T, spec.I], ...(spec.cell === 'simpleRNN' ? {} : { recurrentInitializer: 'zeros' as const }) };
    if (spec.cell === 'gru' && spec.resetAfter !== false) throw new Error('tfjs: GRU supports resetAfter false only');
    this.model.add(
      spec.cell === 'lstm'
        ? tfl.layers.lstm({ ...rnnArgs, recurrentActivation: 'sigmoid' })
        : spec.cell === 'gru'
          ? tfl.layers.gru({ ...rnnArgs, recurrentActivation: 'sigmoid' }) // resetAfter false, tfjs's only GRU
          : tfl.layers.simpleRNN(rnnArgs),
    );
    const softmax = spec.classes !== null;
    this.model.add(tfl.layers.dense({ units: softmax ? spec.classes! : 1, activation: softmax ? 'softmax' : 'sigmoid' }));
    this.model.compile({
      optimizer: tf.train.adam(spec.learningRate, 0.9, 0.999, spec.epsilon),
      loss: softmax ? 'sparseCategoricalCrossentropy' : 'binaryCrossentropy',
      metrics: ['accuracy'],
    });
    this.x = tf.tensor3d(data.x, [data.n, data.T, data.I]);
    this.y = tf.tensor2d(data.y, [data.n, 1]);
    this.batchSize = spec.batchSize;
  }

  private slice(start: number, count: number): [tf.Tensor, tf.Tensor] {
    const key = `${start}:${count}`;
    let s = this.slices.get(key);
    if (s === undefined) {
      const d = this.data;
      const w = d.T * d.I;
      s = [tf.tensor3d(d.x.slice(start * w, (start + count) * w), [count, d.T, d.I]), tf.tensor2d(d.y.slice(start, start + count), [count, 1])];
      this.slices.set(key, s);
    }
    return s;
  }

  async fitSlice(start: number, count: number): Promise<number> {
    const [x, y] = this.slice(start, count);
    const h = await this.model.fit(x, y, { epochs: 1, batchSize: count, shuffle: false, verbose: 0 });
    return Number(h.history.loss![0]);
  }

  getWeights(): WeightValue[] {
    return this.model.getWeights().map((w) => ({ shape: [...w.shape], data: Float32Array.from(w.dataSync() as Float32Array) }));
  }

  setWeights(weights: readonly WeightValue[]): void {
    const ts = weights.map((w) => tf.tensor(Float32Array.from(w.data), [...w.shape]));
    this.model.setWeights(ts);
    tf.dispose(ts);
  }

  async fitEpoch(shuffle: boolean): Promise<number> {
    const h = await this.model.fit(this.x, this.y, { epochs: 1, batchSize: this.batchSize, shuffle, verbose: 0 });
    return Number(h.history.loss![0]);
  }

  evaluate(): [number, number] {
    const out = this.model.evaluate(this.x, this.y, { batchSize: this.batchSize, verbose: 0 });
    const arr = Array.isArray(out) ? out : [out];
    const vals = arr.map((t) => t.dataSync()[0]!);
    tf.dispose(arr);
    return [vals[0]!, vals[1]!];
  }

  predict(batchSize: number, count = this.data.n): Float32Array {
    const x = count === this.data.n ? this.x : this.slice(0, count)[0];
    const out = this.model.predict(x, { batchSize }) as tf.Tensor;
    const data = out.dataSync() as Float32Array;
    out.dispose();
    return data;
  }

  dispose(): void {
    this.x.dispose();
    this.y.dispose();
    for (const s of this.slices.values()) tf.dispose(s);
    this.slices.clear();
    this.model.dispose();
  }
}

export function makeRnnkit(data: Dataset, spec: ModelSpec): Contestant {
  return new RnnkitContestant(data, spec);
}

/** A tfjs model with the given initial weights (normally rnnkit's). initTfjs() first. */
export function makeTfjs(data: Dataset, spec: ModelSpec, weights: readonly WeightValue[]): Contestant {
  const c = new TfjsContestant(data, spec);
  c.setWeights(weights);
  return c;
}

/** tfjs matMul on [n,n]·[n,n], `reps` times, synchronously read back. Returns seconds. */
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
