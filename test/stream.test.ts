/**
 * Streaming inference: step-by-step outputs equal the whole-sequence outputs, state
 * carries between calls, reset() restores the zero state.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { Sequential, layers, tensor } from '../src/index.js';
import { Rng } from '../src/core/rng.js';
import { backend } from '../src/backend/kernels.js';
import { assertClose, countTaken } from './helpers/check.js';

const TOL = 1e-6;

function model(): Sequential {
  const m = new Sequential();
  m.add(layers.lstm({ units: 5, inputShape: [null, 3], returnSequences: true, seed: 1 }));
  m.add(layers.gru({ units: 4, returnSequences: true, seed: 2 }));
  m.add(layers.dense({ units: 2, seed: 3 }));
  return m;
}

describe('stream', () => {
  const rng = new Rng(9);
  const B = 2;
  const T = 7;
  const x = tensor(Float32Array.from({ length: B * T * 3 }, () => rng.uniformIn(-1, 1)), [B, T, 3]);
  const step = (t: number): number[][] => Array.from({ length: B }, (_, b) => Array.from(x.data.slice((b * T + t) * 3, (b * T + t + 1) * 3)));

  it('one step at a time gives the whole-sequence outputs', () => {
    const m = model();
    const whole = m.predict(x);
    const s = m.stream({ batchSize: B });
    for (let t = 0; t < T; t++) {
      const y = s.step(step(t));
      assert.deepEqual(y.shape, [B, 2]);
      const expected = Array.from({ length: B }, (_, b) => Array.from(whole.data.slice((b * T + t) * 2, (b * T + t + 1) * 2))).flat();
      assertClose(y.data, expected, TOL, TOL, `step ${t}`);
    }
  });

  it('a model declared with a fixed sequence length streams steps and chunks of any length', () => {
    const m = new Sequential();
    m.add(layers.lstm({ units: 5, inputShape: [T, 3], returnSequences: true, seed: 1 }));
    m.add(layers.dense({ units: 2, seed: 3 }));
    const whole = m.predict(x);
    const s = m.stream({ batchSize: B });
    const first = s.step(step(0));
    assert.deepEqual(first.shape, [B, 2]);
    assertClose(first.data, [...whole.data.slice(0, 2), ...whole.data.slice(T * 2, T * 2 + 2)], TOL, TOL, 'step 0');
    const chunk = s.step([[step(1)[0]!, step(2)[0]!], [step(1)[1]!, step(2)[1]!]]);
    assert.deepEqual(chunk.shape, [B, 2, 2]);
    assertClose(chunk.data, [...whole.data.slice(2, 6), ...whole.data.slice(T * 2 + 2, T * 2 + 6)], TOL, TOL, 'steps 1-2');
  });

  it('chunks carry the state; reset() starts over', () => {
    const m = model();
    const whole = m.predict(x);
    const s = m.stream({ batchSize: B });
    const first = tensor(Float32Array.from({ length: B * 3 * 3 }, (_, i) => x.data[Math.floor(i / 9) * T * 3 + (i % 9)]!), [B, 3, 3]);
    const rest = tensor(Float32Array.from({ length: B * 4 * 3 }, (_, i) => x.data[Math.floor(i / 12) * T * 3 + 9 + (i % 12)]!), [B, 4, 3]);
    s.step(first);
    const y = s.step(rest);
    const expected = Float32Array.from({ length: B * 4 * 2 }, (_, i) => whole.data[Math.floor(i / 8) * T * 2 + 6 + (i % 8)]!);
    assertClose(y.data, expected, TOL, TOL, 'second chunk');
    s.reset();
    const again = s.step(first);
    const expectedFirst = Float32Array.from({ length: B * 3 * 2 }, (_, i) => whole.data[Math.floor(i / 6) * T * 2 + (i % 6)]!);
    assertClose(again.data, expectedFirst, TOL, TOL, 'after reset');
    assert.equal(s.getStates().length, 2);
    assert.deepEqual(s.getStates()[0]!.map((t) => t.shape), [[B, 5], [B, 5]]);
  });

  it('the fused LSTM step (taken when no row is masked) gives the time loop\'s numbers exactly; a masked row holds its state', () => {
    const V = 6;
    const m = new Sequential();
    m.add(layers.embedding({ inputDim: V, outputDim: 3, maskZero: true, inputShape: [null], seed: 4 }));
    m.add(layers.lstm({ units: 5, returnSequences: true, seed: 1 }));
    m.add(layers.dense({ units: 4, activation: 'softmax', seed: 3 }));
    const rows = 2; // few enough rows that the TS backend fuses too (more multiply a transposed copy)
    const ids = Float32Array.from({ length: rows * T }, () => 1 + rng.int(V - 1));
    ids[1 * T + 2] = 0; // row 1 is padded at step 2: that step takes the time loop for every row
    const whole = m.predict(tensor(ids, [rows, T]));
    // An Embedding → LSTM stream looks the input product up (lstmStepProjected): the same numbers.
    const { result: plain, taken: projected } = countTaken(backend(), 'lstmStepProjected', () =>
      countTaken(backend(), 'lstmStep', () => {
        const s = m.stream({ batchSize: rows });
        for (let t = 0; t < T; t++) {
          const y = s.step(tensor(Float32Array.from({ length: rows }, (_, r) => ids[r * T + t]!), [rows]));
          const expected = Float32Array.from({ length: rows * 4 }, (_, i) => whole.data[(Math.floor(i / 4) * T + t) * 4 + (i % 4)]!);
          assertClose(y.data, expected, 0, 0, `step ${t}`);
        }
      }),
    );
    assert.equal(plain.taken + projected, T - 1, 'every unmasked step fused');
  });

  it('rejects a wrong batch size, wrong features, and layers that need the whole sequence', () => {
    const m = model();
    m.build();
    const s = m.stream();
    assert.throws(() => s.step([[1, 2, 3], [4, 5, 6]]), /this stream has batch size 1, got 2 samples/);
    assert.throws(() => s.step([[1, 2]]), /expected steps of shape \[1, 3\], got \[1, 2\]/);
    const bi = new Sequential();
    bi.add(layers.bidirectional({ layer: layers.lstm({ units: 2 }), inputShape: [null, 3] }));
    assert.throws(() => bi.stream(), /Bidirectional .* cannot run step by step/);
  });
});
