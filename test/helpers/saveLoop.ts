/**
 * Child process of the kill test (test/saving.test.ts): saves a model into one
 * directory in a tight loop until it is killed.
 *
 * Save k (1, 2, …) writes a model whose LSTM has `unitsFor(k)` units (odd and even saves
 * differ in shape, so a model.json paired with another save's weights cannot pass for a
 * good model) and whose every weight value is `k + (i % 8) / 16` (i = index within the
 * weight tensor), so the parent can tell that everything it loads comes from one save.
 * The weights are about 1.2 MB, written in several chunks, so kills land inside writes.
 * Prints "started" once, before the first save, and "saved k" after each.
 *
 *   node --import tsx test/helpers/saveLoop.ts DIR
 */
import { Sequential, layers, tensor, type Tensor } from '../../src/index.js';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: saveLoop.ts DIR');

const unitsFor = (k: number): number => (k % 2 === 1 ? 257 : 256);
const patternValue = (k: number, i: number): number => k + (i % 8) / 16;

function makeModel(units: number): Sequential {
  const model = new Sequential({
    layers: [
      layers.lstm({ units, inputShape: [4, 32], kernelInitializer: 'zeros', recurrentInitializer: 'zeros' }),
      layers.dense({ units: 3, kernelInitializer: 'zeros' }),
    ],
  });
  model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  return model;
}

const models = [makeModel(unitsFor(2)), makeModel(unitsFor(1))];

process.stdout.write('started\n');
for (let k = 1; ; k++) {
  const model = models[k % 2]!;
  const weights: Tensor[] = model.getWeights().map(({ shape }) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return tensor(Float32Array.from({ length: n }, (_, i) => patternValue(k, i)), shape);
  });
  model.setWeights(weights);
  await model.save(dir, { includeOptimizer: true });
  process.stdout.write(`saved ${k}\n`);
}
