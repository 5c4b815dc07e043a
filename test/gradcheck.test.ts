/**
 * Finite-difference gradient checks for every layer's backward pass.
 * loss = Σ out ⊙ R with a random R (all-ones would hide transposition bugs).
 * Forward runs in float32, so central differences use a step of 1e-2 and the
 * tolerance is set for float32 round-off; a wrong gradient is off by O(1).
 */
import { describe, it } from 'node:test';
import { Rng } from '../src/core/rng.js';
import { layers, type Layer } from '../src/index.js';
import { checkLayerGradients, randomArray } from './helpers/check.js';

interface Case {
  layer: Layer;
  B: number;
  T: number;
  inShape: number[];
}

/** The layer built with weights in ±0.6 and a random input; R sized to its output: checkLayerGradients. */
function gradCheck(c: Case, seed: number, what: string): void {
  const rng = new Rng(seed);
  const { layer } = c;
  layer.build(c.inShape);
  for (const w of layer.weights) w.value.set(randomArray(w.value.length, rng, -0.6, 0.6));
  const x = randomArray(c.B * c.inShape.reduce((a, b) => a * b, 1), rng);
  const outSize = c.B * layer.outputShape.reduce<number>((a, b) => a * (b ?? c.T), 1);
  checkLayerGradients(layer, { x, B: c.B, T: c.T, R: randomArray(outSize, rng) }, what);
}

const ACTIVATIONS = ['linear', 'tanh', 'sigmoid', 'hardSigmoid', 'relu', 'elu', 'selu', 'softplus', 'softsign', 'swish', 'softmax', 'hardSigmoidLegacy'] as const;

describe('SimpleRNN gradients (finite differences)', () => {
  for (const returnSequences of [false, true]) {
    for (const goBackwards of [false, true]) {
      it(`returnSequences=${returnSequences} goBackwards=${goBackwards}`, () => {
        const layer = layers.simpleRNN({ units: 5, returnSequences, goBackwards });
        gradCheck({ layer, B: 3, T: 4, inShape: [4, 3] }, 11, layer.name);
      });
    }
  }
  it('without bias, one time step', () => {
    gradCheck({ layer: layers.simpleRNN({ units: 4, useBias: false }), B: 2, T: 1, inShape: [1, 3] }, 12, 'no bias');
  });
  for (const activation of ACTIVATIONS) {
    it(`activation ${activation}`, () => {
      gradCheck({ layer: layers.simpleRNN({ units: 4, activation, returnSequences: true }), B: 2, T: 3, inShape: [3, 2] }, 13, activation);
    });
  }
});

const CELLS = {
  lstm: (o: object) => layers.lstm({ units: 4, ...o }),
  'gru resetAfter': (o: object) => layers.gru({ units: 4, ...o }),
  'gru resetBefore': (o: object) => layers.gru({ units: 4, resetAfter: false, ...o }),
};

for (const [cell, make] of Object.entries(CELLS)) {
  describe(`${cell} gradients (finite differences)`, () => {
    for (const returnSequences of [false, true]) {
      for (const goBackwards of [false, true]) {
        it(`returnSequences=${returnSequences} goBackwards=${goBackwards}`, () => {
          gradCheck({ layer: make({ returnSequences, goBackwards }), B: 3, T: 4, inShape: [4, 3] }, 31, cell);
        });
      }
    }
    it('without bias', () => {
      gradCheck({ layer: make({ useBias: false, returnSequences: true }), B: 2, T: 3, inShape: [3, 2] }, 32, cell);
    });
    it('other activations (relu, hardSigmoid)', () => {
      gradCheck({ layer: make({ activation: 'softsign', recurrentActivation: 'hardSigmoid', returnSequences: true }), B: 2, T: 3, inShape: [3, 2] }, 33, cell);
    });
  });
}

describe('wrapper gradients (finite differences)', () => {
  for (const mergeMode of ['concat', 'sum', 'mul', 'ave'] as const) {
    for (const returnSequences of [false, true]) {
      it(`Bidirectional(LSTM) mergeMode=${mergeMode} returnSequences=${returnSequences}`, () => {
        const layer = layers.bidirectional({ layer: layers.lstm({ units: 3, returnSequences }), mergeMode });
        gradCheck({ layer, B: 2, T: 4, inShape: [4, 2] }, 41, `bidirectional ${mergeMode}`);
      });
    }
  }
  it('Bidirectional(GRU) concat', () => {
    gradCheck({ layer: layers.bidirectional({ layer: layers.gru({ units: 3, returnSequences: true }) }), B: 2, T: 3, inShape: [3, 2] }, 42, 'bidirectional gru');
  });
  it('TimeDistributed(Dense)', () => {
    gradCheck({ layer: layers.timeDistributed({ layer: layers.dense({ units: 3, activation: 'tanh' }) }), B: 2, T: 4, inShape: [4, 5] }, 43, 'timeDistributed');
  });
});

describe('Dense gradients (finite differences)', () => {
  it('2-D input', () => {
    gradCheck({ layer: layers.dense({ units: 5, activation: 'tanh' }), B: 4, T: 1, inShape: [6] }, 21, 'dense 2-D');
  });
  it('3-D input (per time step)', () => {
    gradCheck({ layer: layers.dense({ units: 3, activation: 'sigmoid' }), B: 2, T: 5, inShape: [5, 4] }, 22, 'dense 3-D');
  });
  it('without bias', () => {
    gradCheck({ layer: layers.dense({ units: 3, useBias: false }), B: 3, T: 1, inShape: [4] }, 23, 'dense no bias');
  });
  for (const activation of ACTIVATIONS) {
    it(`activation ${activation}`, () => {
      gradCheck({ layer: layers.dense({ units: 4, activation }), B: 3, T: 1, inShape: [5] }, 24, activation);
    });
  }
});
