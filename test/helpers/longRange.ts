/**
 * The long-range memory task of recurrentBehaviour.test.ts, shared with the script that
 * chose its seeds: x[0] = ±1 (random sign), then T − 1 steps of U(−1, 1)·noise, one
 * feature; label 1 when x[0] > 0. Everything the label depends on is at the first step.
 */
import { Rng } from '../../src/core/rng.js';
import { Sequential, layers, optimizers, tensor, type Tensor } from '../../src/index.js';

export interface LongRangeData {
  x: Tensor;
  y: Tensor;
}

export function firstStepTask(n: number, T: number, noise: number, rng: Rng): LongRangeData {
  const x = new Float32Array(n * T);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const s = rng.uniform() < 0.5 ? -1 : 1;
    x[i * T] = s;
    for (let t = 1; t < T; t++) x[i * T + t] = rng.uniformIn(-1, 1) * noise;
    y[i] = s > 0 ? 1 : 0;
  }
  return { x: tensor(x, [n, T, 1]), y: tensor(y, [n, 1]) };
}

export type Cell = 'lstm' | 'gru' | 'simpleRNN';

export interface LongRangeConfig {
  cell: Cell;
  units: number;
  T: number;
  noise: number;
  trainSamples: number;
  testSamples: number;
  learningRate: number;
  batchSize: number;
  maxEpochs: number;
  /** Training stops early once an epoch's training accuracy reaches this. */
  stopAtTrainAccuracy: number;
  seed: number;
}

export interface LongRangeResult {
  epochs: number;
  trainAccuracy: number[];
  testLoss: number;
  testAccuracy: number;
  /** Fraction of held-out predictions (p > 0.5) that flip when only x[0] is negated. */
  flipFraction: number;
  seconds: number;
}

/** Data, model (cell → Dense(1, sigmoid)), Adam, fit with early stop, held-out evaluation. */
export async function runLongRange(c: LongRangeConfig): Promise<LongRangeResult> {
  const rng = new Rng(c.seed);
  const train = firstStepTask(c.trainSamples, c.T, c.noise, rng);
  const test = firstStepTask(c.testSamples, c.T, c.noise, rng);
  const model = new Sequential();
  const args = { units: c.units, inputShape: [c.T, 1], seed: c.seed + 1 };
  model.add(c.cell === 'lstm' ? layers.lstm(args) : c.cell === 'gru' ? layers.gru(args) : layers.simpleRNN(args));
  model.add(layers.dense({ units: 1, activation: 'sigmoid', seed: c.seed + 2 }));
  model.compile({ optimizer: optimizers.adam({ learningRate: c.learningRate }), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  const t0 = performance.now();
  const history = await model.fit(train.x, train.y, {
    epochs: c.maxEpochs,
    batchSize: c.batchSize,
    verbose: 0,
    seed: c.seed + 3,
    callbacks: {
      onEpochEnd: (_epoch, logs) => {
        if ((logs.accuracy ?? 0) >= c.stopAtTrainAccuracy) model.stopTraining = true;
      },
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  const [testLoss, testAccuracy] = model.evaluate(test.x, test.y, { verbose: 0 });
  const p = model.predict(test.x).data;
  const flipped = test.x.data.slice();
  for (let i = 0; i < c.testSamples; i++) flipped[i * c.T] = -flipped[i * c.T]!;
  const q = model.predict(tensor(flipped, [c.testSamples, c.T, 1])).data;
  let flips = 0;
  for (let i = 0; i < c.testSamples; i++) if (p[i]! > 0.5 !== q[i]! > 0.5) flips++;
  const trainAccuracy = history.history.accuracy!;
  return { epochs: trainAccuracy.length, trainAccuracy, testLoss: testLoss!, testAccuracy: testAccuracy!, flipFraction: flips / c.testSamples, seconds };
}
