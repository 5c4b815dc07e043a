/**
 * Bad input gets a clear error naming the layer or argument, what was expected and
 * what came (issue 2, point 9).
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { Sequential, layers, optimizers, tensor, initializers } from '../src/index.js';

function seedModel(): Sequential {
  const model = new Sequential();
  model.add(layers.simpleRNN({ units: 4, inputShape: [10, 1], name: 'rnn' }));
  model.add(layers.dense({ units: 1, activation: 'sigmoid', name: 'out' }));
  return model;
}

function compiled(): Sequential {
  const model = seedModel();
  model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  return model;
}

const x = (n: number, t = 10, f = 1): number[][][] => Array.from({ length: n }, () => Array.from({ length: t }, () => Array.from({ length: f }, () => 0.5)));
const y = (n: number): number[][] => Array.from({ length: n }, () => [1]);

async function rejects(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: Error) => {
    assert.match(e.message, pattern);
    return true;
  });
}

describe('errors name the problem', () => {
  it('x and y sample counts differ', async () => {
    await rejects(compiled().fit(x(8), y(7), { verbose: 0 }), /same number of samples; x has 8 .* y has 7/);
  });
  it('wrong feature count against inputShape names the layer and both shapes', async () => {
    await rejects(compiled().fit(x(4, 10, 2), y(4), { verbose: 0 }), /SimpleRNN 'rnn': expected input of shape \[\*, 10, 1\], got \[4, 10, 2\]/);
  });
  it('wrong rank against inputShape', () => {
    assert.throws(() => compiled().predict([[1, 2, 3]]), /SimpleRNN 'rnn': expected input of shape \[\*, 10, 1\], got \[1, 3\]/);
  });
  it('wrong time length against inputShape', async () => {
    await rejects(compiled().fit(x(4, 9), y(4), { verbose: 0 }), /expected input of shape \[\*, 10, 1\], got \[4, 9, 1\]/);
  });
  it('ragged nested arrays say where', async () => {
    const bad = x(3);
    bad[1]![4] = [0.5, 0.5];
    await rejects(compiled().fit(bad, y(3), { verbose: 0 }), /ragged array: length 2 at \[1\]\[4\], expected 1/);
  });
  it('NaN in x names the position', async () => {
    const bad = x(3);
    bad[2]![7]![0] = NaN;
    await rejects(compiled().fit(bad, y(3), { verbose: 0 }), /fit: x contains NaN at \[2, 7, 0\]/);
  });
  it('Infinity in y names the position', async () => {
    const yy = y(3);
    yy[1]![0] = Infinity;
    await rejects(compiled().fit(x(3), yy, { verbose: 0 }), /fit: y contains Infinity at \[1, 0\]/);
  });
  it('y of the wrong shape names the output layer and the expected target shape', async () => {
    await rejects(compiled().fit(x(3), [[1, 0], [0, 1], [1, 1]], { verbose: 0 }), /y has shape \[3, 2\].*Dense 'out'.*\[\*, 1\]/);
  });
  it('labels out of range for sparse cross-entropy', async () => {
    const model = new Sequential();
    model.add(layers.simpleRNN({ units: 4, inputShape: [10, 1] }));
    model.add(layers.dense({ units: 3, activation: 'softmax' }));
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    await rejects(model.fit(x(3), [0, 3, 1], { verbose: 0 }), /label at index 1 is 3; labels must be integers in \[0, 3\)/);
    await rejects(model.fit(x(3), [0, 1.5, 1], { verbose: 0 }), /label at index 1 is 1.5/);
  });
  it('fit and evaluate before compile', async () => {
    await rejects(seedModel().fit(x(2), y(2), { verbose: 0 }), /call compile\(\{optimizer, loss\}\) before fit/);
    assert.throws(() => seedModel().evaluate(x(2), y(2), { verbose: 0 }), /call compile\(\{optimizer, loss\}\) before evaluate/);
  });
  it('predict on a model with no layers', () => {
    assert.throws(() => new Sequential().predict(x(2)), /the model has no layers/);
  });
  it('unknown optimizer, loss, metric, activation and initializer strings list the valid names', () => {
    const m = seedModel();
    assert.throws(() => m.compile({ optimizer: 'adamm', loss: 'mse' }), /unknown optimizer "adamm"; valid names: .*adam/);
    assert.throws(() => m.compile({ optimizer: 'adam', loss: 'binary_crossentropyy' }), /unknown loss "binary_crossentropyy"; valid names: .*binary_crossentropy/);
    assert.throws(() => m.compile({ optimizer: 'adam', loss: 'mse', metrics: ['acuracy'] }), /unknown metric "acuracy".*accuracy/);
    assert.throws(() => layers.dense({ units: 1, activation: 'sigmoidd' as 'sigmoid' }), /Dense 'dense.*': unknown activation "sigmoidd"; valid names: .*sigmoid/);
    assert.throws(() => layers.simpleRNN({ units: 1, kernelInitializer: 'glorot' as 'glorotUniform' }), /SimpleRNN .*kernelInitializer: unknown initializer "glorot"; valid names: .*glorotUniform/);
  });
  it('units and batchSize must be positive integers', async () => {
    assert.throws(() => layers.simpleRNN({ units: 0 }), /units must be a positive integer, got 0/);
    assert.throws(() => layers.dense({ units: 2.5 }), /units must be a positive integer, got 2.5/);
    await rejects(compiled().fit(x(2), y(2), { batchSize: -1, verbose: 0 }), /batchSize must be a positive integer, got -1/);
    assert.throws(() => compiled().predict(x(2), { batchSize: 0 }), /batchSize must be a positive integer, got 0/);
  });
  it('unsupported options are named, never ignored', async () => {
    assert.throws(() => layers.simpleRNN({ units: 2, activityRegularizer: 'l2' } as never), /option 'activityRegularizer' is not supported yet/);
    assert.throws(() => layers.lstm({ units: 2, useCudnn: true } as never), /option 'useCudnn' is not supported yet/);
    assert.throws(() => layers.dense({ units: 2, loraRank: 4 } as never), /option 'loraRank' is not supported yet/);
    assert.throws(() => layers.dense({ units: 2, unitz: 3 } as never), /unknown option 'unitz'; supported options: .*units/);
    await rejects(compiled().fit(x(2), y(2), { verbose: 0, stepsPerEpoch: 3 } as never), /option 'stepsPerEpoch' is not supported yet/);
    await rejects(compiled().fit(x(2), y(2), { verbose: 0, epoch: 3 } as never), /unknown option 'epoch'; supported options: .*epochs/);
    await rejects(compiled().fit(x(2), y(2), { verbose: 0, shuffle: 'batch' } as never), /shuffle must be true or false \('batch' is not supported\)/);
    assert.throws(() => seedModel().compile({ optimizer: 'adam', loss: 'mse', lossWeights: [1] } as never), /option 'lossWeights' is not supported yet/);
    assert.throws(() => optimizers.adam({ decay: 0.01 } as never), /option 'decay' is not supported \(Keras 3 accepts it only to ignore it/);
    assert.throws(() => initializers.randomUniform({ min: 0 } as never), /unknown option 'min'/);
  });
  it('returnState inside a Sequential model is refused with a reason', () => {
    const m = new Sequential();
    assert.throws(() => m.add(layers.simpleRNN({ units: 2, inputShape: [3, 1], returnState: true })), /returnState is not usable inside a Sequential model/);
  });
  it('setWeights names the weight and both shapes', () => {
    const m = seedModel();
    const w = m.getWeights();
    w[1] = tensor(new Float32Array(20), [4, 5]);
    assert.throws(() => m.setWeights(w), /SimpleRNN 'rnn': setWeights: recurrent_kernel expected shape \[4, 4\], got \[4, 5\]/);
    assert.throws(() => m.setWeights(w.slice(0, 3)), /setWeights expected 5 tensors, got 3/);
  });
  it('validationSplit outside [0, 1) and empty splits', async () => {
    await rejects(compiled().fit(x(4), y(4), { verbose: 0, validationSplit: 1.5 }), /validationSplit must be a number in \[0, 1\)/);
    await rejects(compiled().fit(x(1), y(1), { verbose: 0, validationSplit: 0.5 }), /leaves no training samples/);
  });
});
