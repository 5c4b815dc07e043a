/** Stateful recurrent layers through the model API. */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { Sequential, layers, tensor } from '../src/index.js';
import { Rng } from '../src/core/rng.js';
import { assertClose } from './helpers/check.js';

describe('stateful models', () => {
  const rng = new Rng(3);
  const x = tensor(Float32Array.from({ length: 2 * 6 * 2 }, () => rng.uniformIn(-1, 1)), [2, 6, 2]);
  const half = (k: number) => tensor(Float32Array.from({ length: 2 * 3 * 2 }, (_, i) => x.data[Math.floor(i / 6) * 12 + k * 6 + (i % 6)]!), [2, 3, 2]);

  function models(): { stateful: Sequential; plain: Sequential } {
    const stateful = new Sequential();
    stateful.add(layers.gru({ units: 3, batchInputShape: [2, null, 2], returnSequences: true, stateful: true, seed: 5 }));
    const plain = new Sequential();
    plain.add(layers.gru({ units: 3, inputShape: [null, 2], returnSequences: true, seed: 5 }));
    plain.setWeights(stateful.getWeights());
    return { stateful, plain };
  }

  it('predict in two chunks equals predict on the whole; resetStates starts over', () => {
    const { stateful, plain } = models();
    const whole = plain.predict(x);
    stateful.predict(half(0));
    const second = stateful.predict(half(1));
    const expected = Float32Array.from({ length: 2 * 3 * 3 }, (_, i) => whole.data[Math.floor(i / 9) * 18 + 9 + (i % 9)]!);
    assertClose(second.data, expected, 1e-6, 1e-6, 'second chunk');
    stateful.resetStates();
    const first = stateful.predict(half(0));
    const expectedFirst = Float32Array.from({ length: 2 * 3 * 3 }, (_, i) => whole.data[Math.floor(i / 9) * 18 + (i % 9)]!);
    assertClose(first.data, expectedFirst, 1e-6, 1e-6, 'after reset');
  });

  it('fit advances the state and batch sizes are checked up front', async () => {
    const { stateful } = models();
    stateful.compile({ optimizer: 'sgd', loss: 'mse' });
    const y = tensor(new Float32Array(2 * 6 * 3), [2, 6, 3]);
    const before = (stateful.layers[0] as unknown as { getStates(): { data: Float32Array }[] }).getStates()[0]!.data.slice();
    await stateful.fit(x, y, { epochs: 1, verbose: 0, shuffle: false });
    const after = (stateful.layers[0] as unknown as { getStates(): { data: Float32Array }[] }).getStates()[0]!.data;
    assert.notDeepEqual(after, before);
    await assert.rejects(stateful.fit(x, y, { batchSize: 1, verbose: 0 }), /GRU 'gru.*': stateful, built for batches of 2 samples; fit needs batchSize 2/);
    const three = tensor(new Float32Array(3 * 6 * 2), [3, 6, 2]);
    assert.throws(() => stateful.predict(three), /declared with batchSize 2, but predict got 3 samples/);
  });

  it('a declared batch size binds only stateful models: a non-stateful one predicts and fits any sample count, as Keras does', async () => {
    // Keras 3 files saved from Input(batch_shape=(4, 16)) (published Embedding → LSTM / SimpleRNN
    // classifiers) could not predict one sample: 'declared with batchSize 4, but predict got 2 samples'.
    const { plain } = models();
    const fixed = new Sequential();
    fixed.add(layers.gru({ units: 3, batchInputShape: [2, null, 2], returnSequences: true, seed: 5 }));
    fixed.setWeights(plain.getWeights());
    const one = tensor(x.data.slice(0, 12), [1, 6, 2]);
    assert.deepEqual(fixed.predict(one).data, plain.predict(one).data);
    const three = tensor(Float32Array.from({ length: 3 * 6 * 2 }, (_, i) => x.data[i % 24]!), [3, 6, 2]);
    assert.deepEqual(fixed.predict(three).data, plain.predict(three).data);
    fixed.compile({ optimizer: 'sgd', loss: 'mse' });
    await fixed.fit(three, tensor(new Float32Array(3 * 6 * 3), [3, 6, 3]), { epochs: 1, verbose: 0 });
  });
});
