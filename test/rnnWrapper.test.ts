/**
 * Keras's and tfjs's RNN(cell) wrapper in model files: RNN(LSTMCell), RNN(GRUCell) and
 * RNN(SimpleRNNCell) load as the LSTM, GRU and SimpleRNN layers they compute (tfjs models
 * saved by tfjs itself, Keras 2 configs with a weights file), also inside Bidirectional;
 * stacked cells and other cells are refused by name.
 */
import { before, describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { Rng } from '../src/core/rng.js';
import { ModelFormatError, layers, loadModel, modelFromJson, sequential } from '../src/index.js';
import { assertClose, randomArray } from './helpers/check.js';
import { initTfjs, tf, tfl } from './helpers/tfjs.js';
import { randomInput, tfjsArtifacts, tfjsModelJson, tfjsPredict } from './helpers/saving.js';

before(async () => initTfjs());

const ZERO = { kernelInitializer: 'zeros', recurrentInitializer: 'zeros', biasInitializer: 'zeros' } as const;

describe('RNN(cell) from tfjs files', () => {
  const cells: [string, () => unknown, string][] = [
    ['lstmCell', () => tfl.layers.lstmCell({ units: 4, ...ZERO }), 'LSTM'],
    ['gruCell', () => tfl.layers.gruCell({ units: 4, ...ZERO }), 'GRU'],
    ['simpleRNNCell', () => tfl.layers.simpleRNNCell({ units: 4, activation: 'relu', ...ZERO }), 'SimpleRNN'],
  ];
  for (const [name, cell, cls] of cells) {
    it(`tf.layers.rnn({cell: ${name}}) (returnSequences, goBackwards) → ${cls}: same predictions`, async () => {
      const theirs = tfl.sequential({
        layers: [tfl.layers.rnn({ cell: cell() as never, returnSequences: true, goBackwards: true, inputShape: [5, 3] }), tfl.layers.dense({ units: 2, kernelInitializer: 'zeros' })],
      });
      try {
        const rng = new Rng(7);
        tf.tidy(() => theirs.setWeights(theirs.getWeights().map((w) => tf.tensor(randomArray(w.size, rng, -0.7, 0.7), w.shape))));
        const ours = await loadModel(tfjsModelJson(await tfjsArtifacts(theirs)));
        assert.equal(ours.layers[0]!.className, cls);
        assert.equal(ours.layers[0]!.getConfig().goBackwards, true);
        const x = randomInput([3, 5, 3], 8);
        assertClose(ours.predict(x).data, tfjsPredict(theirs, x), 1e-5, 1e-6, `${name}: rnnkit vs tfjs`);
      } finally {
        theirs.dispose();
      }
    });
  }

  it('stacked cells are refused, naming the layer and what computes the same', async () => {
    const theirs = tfl.sequential({ layers: [tfl.layers.rnn({ cell: [tfl.layers.lstmCell({ units: 2, ...ZERO }), tfl.layers.lstmCell({ units: 2, ...ZERO })], inputShape: [4, 3] })] });
    try {
      await assert.rejects(loadModel(tfjsModelJson(await tfjsArtifacts(theirs))), (e: unknown) => e instanceof ModelFormatError && /RNN '[^']+'\): an RNN over 2 stacked cells is not read; it computes what 2 recurrent layers in a row compute/.test((e as Error).message));
    } finally {
      theirs.dispose();
    }
  });
});

describe('RNN(cell) in Keras configs', () => {
  /** Keras 2's to_json of Sequential([RNN(LSTMCell(3), return_sequences=…), …]) around `rnn`. */
  const kerasJson = (rnn: Record<string, unknown>): string =>
    JSON.stringify({
      class_name: 'Sequential',
      keras_version: '2.11.0',
      backend: 'tensorflow',
      config: { name: 's', layers: [{ class_name: 'InputLayer', config: { batch_input_shape: [null, 6, 2], dtype: 'float32', name: 'in' } }, rnn] },
    });
  const lstmCell = { class_name: 'LSTMCell', config: { name: 'lstm_cell', trainable: true, dtype: 'float32', units: 3, activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true, unit_forget_bias: true, dropout: 0.0, recurrent_dropout: 0.0, implementation: 2 } };

  it('RNN(LSTMCell) computes what LSTM computes with the same weights; inside Bidirectional too', () => {
    const m = modelFromJson(kerasJson({ class_name: 'RNN', config: { name: 'rnn', trainable: true, dtype: 'float32', return_sequences: false, return_state: false, go_backwards: false, stateful: false, unroll: false, time_major: false, cell: lstmCell } }));
    assert.equal(m.layers[0]!.name, 'rnn');
    const plain = sequential({ layers: [layers.lstm({ units: 3, inputShape: [6, 2] })] });
    plain.setWeights(m.getWeights());
    const x = randomInput([2, 6, 2], 9);
    assert.deepEqual([...m.predict(x).data], [...plain.predict(x).data]);
    const bi = modelFromJson(kerasJson({ class_name: 'Bidirectional', config: { name: 'bi', merge_mode: 'concat', layer: { class_name: 'RNN', config: { name: 'rnn', return_sequences: true, cell: lstmCell } } } }));
    assert.equal(bi.layers[0]!.className, 'Bidirectional');
    assert.deepEqual(bi.predict(x).shape, [2, 6, 6]);
  });

  it('other cells and bad cells are ModelFormatErrors naming the layer', () => {
    for (const cell of [{ class_name: 'PeepholeLSTMCell', config: { units: 2 } }, null, [lstmCell, lstmCell]]) {
      assert.throws(() => modelFromJson(kerasJson({ class_name: 'RNN', config: { name: 'r', cell } })), ModelFormatError, JSON.stringify(cell)?.slice(0, 40));
    }
    assert.throws(() => modelFromJson(kerasJson({ class_name: 'RNN', config: { name: 'r', cell: { class_name: 'MinimalRNNCell', config: {} } } })), /RNN 'r'\): cell class 'MinimalRNNCell' is not read; supported cells: LSTMCell, GRUCell, SimpleRNNCell/);
    assert.throws(() => modelFromJson(kerasJson({ class_name: 'RNN', config: { name: 'r', cell: { class_name: 'StackedRNNCells', config: { cells: [lstmCell, lstmCell, lstmCell] } } } })), /an RNN over 3 stacked cells/);
    assert.throws(() => modelFromJson(kerasJson({ class_name: 'RNN', config: { name: 'r', cell: { ...lstmCell, config: { ...lstmCell.config, peephole: true } } } })), /unknown option 'peephole'|option 'peephole'/);
  });
});
