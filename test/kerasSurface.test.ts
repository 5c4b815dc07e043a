/**
 * Keras options on the recurrent layers and wrappers that rnnkit once refused
 * (issue 16): zeroOutputForMask (values against the default layer's output, and a
 * finite-difference gradient check with a mask), Bidirectional's backwardLayer, GRU's
 * legacy implementation 0, stateful layers without a declared batch size, the names of
 * the hard sigmoids in saved files.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { Rng } from '../src/core/rng.js';
import { Bidirectional, Sequential, input, layers, loadModel, model as graphModel, tensor, type Layer, type Tensor } from '../src/index.js';
import { assertClose, randomArray } from './helpers/check.js';

const B = 3;
const T = 5;
const I = 2;
const H = 4;
/** Row b keeps its first lengths[b] steps. */
const lengths = [5, 3, 1];
const mask = Float32Array.from({ length: B * T }, (_, i) => (i % T < lengths[Math.floor(i / T)]! ? 1 : 0));

/** Σ out ⊙ R through the layer's low-level forward, with the mask. */
function lossOf(layer: Layer, x: Float32Array, R: Float32Array): number {
  const out = layer.forward(x, B, T, true, mask);
  let s = 0;
  for (let i = 0; i < R.length; i++) s += out[i]! * R[i]!;
  return s;
}

function built(make: (zero: boolean) => Layer, zero: boolean, seed: number): Layer {
  const layer = make(zero);
  layer.build([T, I]);
  const rng = new Rng(seed);
  for (const w of layer.weights) w.value.set(randomArray(w.value.length, rng, -0.6, 0.6));
  return layer;
}

describe('zeroOutputForMask', () => {
  const kinds = [
    ['LSTM', (o: object) => layers.lstm({ units: H, ...o })],
    ['GRU', (o: object) => layers.gru({ units: H, ...o })],
    ['SimpleRNN', (o: object) => layers.simpleRNN({ units: H, ...o })],
  ] as const;
  for (const [kind, make] of kinds) {
    for (const returnSequences of [true, false]) {
      for (const goBackwards of [false, true]) {
        it(`${kind}, returnSequences ${returnSequences}, goBackwards ${goBackwards}: zeros at masked steps, the default's values elsewhere, exact gradients`, () => {
          const f = (zero: boolean): Layer => make({ returnSequences, goBackwards, zeroOutputForMask: zero });
          const x = randomArray(B * T * I, new Rng(3));
          const plain = built(f, false, 9).forward(x, B, T, false, mask).slice();
          const layer = built(f, true, 9);
          const out = layer.forward(x, B, T, false, mask).slice();
          const steps = returnSequences ? T : 1;
          for (let b = 0; b < B; b++) {
            for (let s = 0; s < steps; s++) {
              // The returned sequence is in processing order: reversed with goBackwards.
              const step = returnSequences ? s : T - 1;
              const inputStep = goBackwards ? T - 1 - step : step;
              const masked = mask[b * T + inputStep] === 0;
              for (let h = 0; h < H; h++) {
                const i = (b * steps + s) * H + h;
                assert.equal(out[i], masked ? 0 : plain[i], `row ${b}, output step ${s}, unit ${h}`);
              }
            }
          }
          // Gradients: central differences through the masked forward.
          const R = randomArray(out.length, new Rng(4));
          for (const w of layer.weights) w.grad.fill(0);
          lossOf(layer, x, R);
          const dx = layer.backward(R.slice(), B, T, true)!.slice(0, x.length);
          const numeric = (values: Float32Array): Float32Array => {
            const g = new Float32Array(values.length);
            for (let i = 0; i < values.length; i++) {
              const v = values[i]!;
              values[i] = v + 1e-2;
              const up = lossOf(layer, x, R);
              values[i] = v - 1e-2;
              const down = lossOf(layer, x, R);
              values[i] = v;
              g[i] = (up - down) / 2e-2;
            }
            return g;
          };
          for (const w of layer.weights) assertClose(w.grad, numeric(w.value), 2e-3, 2e-3, `d${w.name}`);
          assertClose(dx, numeric(x), 2e-3, 2e-3, 'dInput');
        });
      }
    }
  }

  it('is saved in the config only when set, and a model with it saves and loads', async () => {
    assert.equal('zeroOutputForMask' in layers.lstm({ units: 2 }).getConfig(), false);
    const m = new Sequential({ layers: [layers.masking({ maskValue: 0, inputShape: [T, I] }), layers.gru({ units: H, returnSequences: true, zeroOutputForMask: true, seed: 1 })] });
    const x = tensor(Float32Array.from({ length: B * T * I }, (_, i) => (mask[Math.floor(i / I)] === 0 ? 0 : Math.sin(i))), [B, T, I]);
    const y = m.predict(x) as Tensor;
    assert.equal(y.data[(2 * T + 4) * H], 0, 'a masked step of row 2 is zeros');
    const dir = await import('node:fs/promises').then((fs) => fs.mkdtemp('/tmp/rnnkit-zofm-'));
    await m.save(`file://${dir}`);
    const back = await loadModel(`file://${dir}/model.json`);
    assert.deepEqual(Array.from((back.predict(x) as Tensor).data), Array.from(y.data));
    assert.throws(() => layers.lstm({ units: 2, zeroOutputForMask: 1 as never }), /zeroOutputForMask must be true or false, got 1/);
  });
});

describe('Bidirectional', () => {
  it('sets zeroOutputForMask = returnSequences on its halves, as Keras does', () => {
    for (const returnSequences of [true, false]) {
      const bi = layers.bidirectional({ layer: layers.lstm({ units: 2, returnSequences }) });
      assert.equal(bi.forwardLayer.zeroOutputForMask, returnSequences);
      assert.equal(bi.backwardLayer.zeroOutputForMask, returnSequences);
      assert.equal('zeroOutputForMask' in (bi.getConfig().layer as { config: object }).config, false, 'not written: tfjs has no such option');
    }
  });

  it('backwardLayer: the given layer runs backwards with its own options, and is saved and loaded', async () => {
    const fwd = layers.gru({ units: H, returnSequences: true, seed: 1 });
    const bwd = layers.gru({ units: H, returnSequences: true, goBackwards: true, activation: 'relu', resetAfter: false, seed: 2, name: 'mine' });
    const bi = layers.bidirectional({ layer: fwd, backwardLayer: bwd, mergeMode: null });
    assert.equal(bi.backwardLayer.name, 'backward_mine');
    assert.equal(bi.backwardLayer.getConfig().activation, 'relu');
    const inp = input({ shape: [T, I] });
    const [f, b] = bi.apply(inp) as unknown as ReturnType<typeof input>[];
    const m = graphModel({ inputs: inp, outputs: [f!, b!] });
    const x = tensor(randomArray(B * T * I, new Rng(5)), [B, T, I]);
    const [yf, yb] = m.predict(x) as unknown as Tensor[];
    // The backward half is the given layer run on the reversed sequence, flipped back.
    const alone = new Sequential({ layers: [layers.gru({ units: H, returnSequences: true, goBackwards: true, activation: 'relu', resetAfter: false, inputShape: [T, I] })] });
    alone.setWeights(bi.backwardLayer.weights.map((w) => tensor(w.value.slice(), [...w.shape])));
    const ya = alone.predict(x) as Tensor;
    for (let r = 0; r < B; r++) for (let t = 0; t < T; t++) for (let h = 0; h < H; h++) assert.equal(yb!.data[(r * T + t) * H + h], ya.data[(r * T + (T - 1 - t)) * H + h]);
    assert.equal((bi.getConfig().backwardLayer as { config: { name: string; activation: string } }).config.activation, 'relu');
    const dir = await import('node:fs/promises').then((fs) => fs.mkdtemp('/tmp/rnnkit-bwd-'));
    await m.save(`file://${dir}`);
    const back = await loadModel(`file://${dir}/model.json`);
    const loaded = back.layers.find((l) => l instanceof Bidirectional) as Bidirectional;
    assert.equal(loaded.backwardLayer.getConfig().activation, 'relu');
    const [lf, lb] = back.predict(x) as unknown as Tensor[];
    assert.deepEqual(Array.from(lf!.data), Array.from(yf!.data));
    assert.deepEqual(Array.from(lb!.data), Array.from(yb!.data));
  });

  it('backwardLayer: what Keras checks, and one state layout, are refused by name', () => {
    const fwd = (): Layer => layers.lstm({ units: 3, returnSequences: true });
    const cases: [object, RegExp][] = [
      [layers.lstm({ units: 3, returnSequences: true }), /backwardLayer must have goBackwards true, the opposite of layer's/],
      [layers.lstm({ units: 3, goBackwards: true }), /backwardLayer must have the same returnSequences as layer \(true\), got false/],
      [layers.gru({ units: 3, returnSequences: true, goBackwards: true }), /backwardLayer must be the same kind and size as layer, LSTM\(3\); got GRU\(3\)/],
      [layers.lstm({ units: 4, returnSequences: true, goBackwards: true }), /same kind and size as layer, LSTM\(3\); got LSTM\(4\)/],
      [layers.dense({ units: 3 }), /backwardLayer must be a recurrent layer/],
    ];
    for (const [backwardLayer, re] of cases) assert.throws(() => layers.bidirectional({ layer: fwd() as never, backwardLayer: backwardLayer as never }), re);
  });
});

describe('implementation 0 (Keras 2.0 legacy)', () => {
  it('is read as 1 by GRU, LSTM and SimpleRNN (Keras 2.0 wrote it into all three); other values stay refused', () => {
    assert.equal(layers.gru({ units: 2, implementation: 0 }).implementation, 1);
    assert.equal(layers.lstm({ units: 2, implementation: 0 }).implementation, 1);
    assert.equal(layers.simpleRNN({ units: 2, implementation: 0 }).implementation, 1);
    assert.throws(() => layers.gru({ units: 2, implementation: 3 as never }), /implementation must be 1 or 2 \(or the legacy 0\), got 3/);
    assert.throws(() => layers.lstm({ units: 2, implementation: -1 as never }), /implementation must be 1 or 2 \(or the legacy 0\), got -1/);
  });
});

describe('hard sigmoid names in saved files', () => {
  it("are tfjs's: the legacy one is 'hard_sigmoid', Keras 3's 'hard_sigmoid_keras3'; older rnnkit files and Keras 3 files read as they meant", async () => {
    const { mkdtemp, readFile } = await import('node:fs/promises');
    const m = new Sequential({ layers: [layers.dense({ units: 2, inputShape: [3], activation: 'hardSigmoidLegacy', seed: 1 }), layers.dense({ units: 2, activation: 'hardSigmoid', seed: 2 })] });
    const dir = await mkdtemp('/tmp/rnnkit-hs-');
    await m.save(dir);
    const json = JSON.parse(await readFile(`${dir}/model.json`, 'utf8')) as {
      generatedBy: string;
      modelTopology: { keras_version: string; config: { layers: { config: { activation: string } }[] } };
      weightsManifest: { paths: string[] }[];
    };
    const names = json.modelTopology.config.layers.map((l) => l.config.activation);
    assert.deepEqual(names, ['hard_sigmoid', 'hard_sigmoid_keras3']);
    const weightData = new Uint8Array(await readFile(`${dir}/${json.weightsManifest[0]!.paths[0]!}`)).buffer;
    const activations = async (generatedBy: string, keras: string, written: string[]): Promise<unknown[]> => {
      const j = structuredClone(json);
      j.generatedBy = generatedBy;
      j.modelTopology.keras_version = keras;
      j.modelTopology.config.layers.forEach((l, i) => (l.config.activation = written[i]!));
      const loaded = await loadModel({ modelJson: j as never, weightData });
      return loaded.layers.map((l) => l.getConfig().activation);
    };
    assert.deepEqual(await activations('rnnkit 0.2.0', 'rnnkit 0.2.0', names), ['hardSigmoidLegacy', 'hardSigmoid']);
    // rnnkit 0.1 wrote the legacy one as hard_sigmoid_legacy and Keras 3's as hard_sigmoid.
    assert.deepEqual(await activations('rnnkit 0.1.0', 'rnnkit 0.1.0', ['hard_sigmoid_legacy', 'hard_sigmoid']), ['hardSigmoidLegacy', 'hardSigmoid']);
    assert.deepEqual(await activations('keras', '3.6.0', ['hard_sigmoid', 'hard_sigmoid']), ['hardSigmoid', 'hardSigmoid']);
    assert.deepEqual(await activations('TensorFlow.js tfjs-layers v4.22.0', 'tfjs-layers 4.22.0', ['hard_sigmoid', 'hard_sigmoid']), ['hardSigmoidLegacy', 'hardSigmoidLegacy']);
  });
});

describe('stateful without a declared batch size', () => {
  it("takes the first batch's size: states carry over as with a declared one; other sizes are refused by name", () => {
    const x = tensor(randomArray(4 * T * I, new Rng(6)), [4, T, I]);
    const make = (declared: boolean): Sequential =>
      new Sequential({ layers: [layers.lstm({ units: H, stateful: true, seed: 3, ...(declared ? { batchInputShape: [2, T, I] } : { inputShape: [T, I] }) }), layers.dense({ units: 1, seed: 4 })] });
    const declared = make(true);
    const fixed = make(false);
    assert.equal((fixed.layers[0] as unknown as { statefulBatchSize: number }).statefulBatchSize, 0);
    // Two batches of 2 in one predict: the second starts from the first's final states.
    const want = declared.predict(x, { batchSize: 2 }) as Tensor;
    const got = fixed.predict(x, { batchSize: 2 }) as Tensor;
    assert.deepEqual(Array.from(got.data), Array.from(want.data));
    assert.equal((fixed.layers[0] as unknown as { statefulBatchSize: number }).statefulBatchSize, 2);
    // The carried state differs from a fresh one: the next call continues.
    assert.notDeepEqual(Array.from((fixed.predict(x, { batchSize: 2 }) as Tensor).data), Array.from(got.data));
    assert.throws(() => fixed.predict(x, { batchSize: 4 }), /stateful, built for batches of 2 samples; predict needs batchSize 2/);
    const fresh = make(false);
    assert.throws(() => fresh.predict(tensor(randomArray(5 * T * I, new Rng(7)), [5, T, I]), { batchSize: 2 }), /every batch must have one size \(the first batch's, 2\); predict has 5 samples, not a multiple of 2/);
  });
});

describe('Embedding indices of any shape, and data one axis short (Keras 3)', () => {
  const table = (e: Layer): Float32Array => e.getWeights()[0]!.data;
  it('[batch] gives [batch, outputDim] and [batch, d1, d2] gives [batch, d1, d2, outputDim]: rows of the table', () => {
    for (const shape of [[], [2, 3]] as number[][]) {
      const m = new Sequential({ layers: [layers.embedding({ inputDim: 7, outputDim: 3, inputShape: shape, seed: 1 })] });
      const n = 4;
      const ids = Array.from({ length: n * shape.reduce((a, b) => a * b, 1) }, (_, i) => (i * 5) % 7);
      const y = m.predict(tensor(ids, [n, ...shape])) as Tensor;
      assert.deepEqual(y.shape, [n, ...shape, 3]);
      const w = table(m.layers[0]!);
      ids.forEach((id, i) => assert.deepEqual(Array.from(y.data.subarray(i * 3, i * 3 + 3)), Array.from(w.subarray(id * 3, id * 3 + 3))));
    }
    const m = new Sequential({ layers: [layers.embedding({ inputDim: 7, outputDim: 3, inputShape: [2, 2] })] });
    assert.throws(() => m.predict(tensor([1, 2, 3, 70, 1, 2, 3, 4], [2, 2, 2])), /index 70 at \[sample 0, position 3\] is out of range/);
    assert.throws(() => layers.embedding({ inputDim: 5, outputDim: 2, maskZero: true }).apply(input({ shape: [2, 2] })), /maskZero needs indices of shape \[batch, sequenceLength\]/);
    assert.throws(() => layers.dense({ units: 1 }).apply(input({ shape: [] })), /expected a batch axis and at least one feature axis/);
  });

  it('a [batch] index input trains in a graph model (word → class)', async () => {
    const inp = input({ shape: [] });
    const out = layers.dense({ units: 3, activation: 'softmax', seed: 2 }).apply(layers.embedding({ inputDim: 6, outputDim: 4, seed: 1 }).apply(inp) as never);
    const m = graphModel({ inputs: inp, outputs: out as never });
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const ids = Array.from({ length: 60 }, (_, i) => i % 6);
    const h = await m.fit(tensor(ids, [60]), tensor(ids.map((i) => i % 3), [60]), { epochs: 60, batchSize: 12, verbose: 0, seed: 1 });
    assert.equal(h.history.accuracy!.at(-1), 1);
  });

  it('x one axis short of an input whose last axis is 1 gets it; an extra last axis of 1 is dropped', () => {
    const m = new Sequential({ layers: [layers.dense({ units: 1, inputShape: [1], kernelInitializer: 'ones', biasInitializer: 'zeros' })] });
    assert.deepEqual(Array.from((m.predict(tensor([1, 2, 3], [3])) as Tensor).data), [1, 2, 3]);
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    assert.deepEqual(m.evaluate(tensor([1, 2, 3], [3]), tensor([1, 2, 4], [3]), { verbose: 0 }), [1 / 3]);
    const e = new Sequential({ layers: [layers.embedding({ inputDim: 5, outputDim: 2, inputShape: [] })] });
    assert.deepEqual((e.predict(tensor([1, 2], [2, 1])) as Tensor).shape, [2, 2]);
    assert.throws(() => m.predict(tensor([1, 2, 3, 4], [2, 2])), /expected input of shape \[\*, 1\], got \[2, 2\]/);
  });
});

describe('TimeDistributed over any layer or model', () => {
  const Bt = 2;
  const Tt = 3;
  const x = tensor(Float32Array.from({ length: Bt * Tt * 4 * 2 }, (_, i) => Math.sin(i * 0.7)), [Bt, Tt, 4, 2]);
  const inners: [string, () => Layer][] = [
    ['Conv1D', () => layers.conv1d({ filters: 2, kernelSize: 2, seed: 1 })],
    ['LSTM', () => layers.lstm({ units: 3, seed: 1 })],
    ['GRU with sequences', () => layers.gru({ units: 3, returnSequences: true, seed: 1 })],
    ['a model (LSTM → Dense)', () => new Sequential({ layers: [layers.lstm({ units: 3, inputShape: [4, 2], seed: 1 }), layers.dense({ units: 2, seed: 2 })] })],
  ];
  for (const [name, inner] of inners) {
    it(`${name}: each step is the wrapped layer's own sample; exact gradients; saved and loaded`, async () => {
      const td = new Sequential({ layers: [layers.timeDistributed({ layer: inner(), inputShape: [Tt, 4, 2] })] });
      const y = td.predict(x) as Tensor;
      const alone = new Sequential({ layers: [inner()] });
      alone.predict(tensor(x.data.slice(0, 8), [1, 4, 2]));
      alone.setWeights(td.getWeights());
      const ya = alone.predict(tensor(x.data, [Bt * Tt, 4, 2])) as Tensor;
      assert.deepEqual(y.shape, [Bt, Tt, ...ya.shape.slice(1)]);
      assert.deepEqual(Array.from(y.data), Array.from(ya.data));
      // Gradients through the wrapper's own forward/backward.
      const layer = td.layers[0]!;
      const R = randomArray(y.size, new Rng(8));
      const xs = x.data.slice();
      const lossAt = (): number => {
        const out = layer.forward(xs, Bt, Tt, true, null);
        let s = 0;
        for (let i = 0; i < R.length; i++) s += out[i]! * R[i]!;
        return s;
      };
      for (const w of layer.weights) w.grad.fill(0);
      lossAt();
      const dx = layer.backward(R.slice(), Bt, Tt, true)!.slice(0, xs.length);
      const numeric = (values: Float32Array): Float32Array =>
        Float32Array.from(values, (v, i) => {
          values[i] = v + 1e-2;
          const up = lossAt();
          values[i] = v - 1e-2;
          const down = lossAt();
          values[i] = v;
          return (up - down) / 2e-2;
        });
      for (const w of layer.weights) assertClose(w.grad, numeric(w.value), 2e-3, 2e-3, `d${w.name}`);
      assertClose(dx, numeric(xs), 2e-3, 2e-3, 'dInput');
      const dir = await import('node:fs/promises').then((fs) => fs.mkdtemp('/tmp/rnnkit-td-'));
      await td.save(dir);
      assert.deepEqual(Array.from(((await loadModel(dir)).predict(x) as Tensor).data), Array.from(y.data));
    });
  }
  it('the step shape must be known', () => {
    assert.throws(() => layers.timeDistributed({ layer: layers.lstm({ units: 2 }) }).computeOutputShape([3, null, 2]), /only the time axis may be left open/);
  });
});
