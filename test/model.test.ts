/**
 * Sequential behaviour: summary and progress formats, weights, callbacks,
 * validation, initializers.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { Sequential, input, layers, tensor, callbacks, initializers, Tensor, type Callback, type Logs } from '../src/index.js';
import { Rng } from '../src/core/rng.js';
import { formatValue } from '../src/models/progbar.js';

function seedModel(opts: { name?: string } = {}): Sequential {
  const model = new Sequential({ name: opts.name });
  model.add(layers.simpleRNN({ units: 32, inputShape: [10, 1], name: 'simple_rnn', seed: 1 }));
  model.add(layers.dense({ units: 1, activation: 'sigmoid', name: 'dense', seed: 2 }));
  return model;
}

function data(n: number, seed = 1): { x: Tensor; y: Tensor } {
  const rng = new Rng(seed);
  const x = Float32Array.from({ length: n * 10 }, () => rng.uniform());
  const y = Float32Array.from({ length: n }, (_, i) => (x.slice(i * 10, i * 10 + 10).reduce((a, b) => a + b, 0) > 5 ? 1 : 0));
  return { x: tensor(x, [n, 10, 1]), y: tensor(y, [n, 1]) };
}

class Capture {
  text = '';
  readonly interactive = false;
  write(s: string): void {
    this.text += s;
  }
}

describe('summary', () => {
  it("prints Keras's table with the seed model's counts", () => {
    const text = seedModel({ name: 'sequential' }).summary(() => {});
    const expected = [
      'Model: "sequential"',
      '┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓',
      '┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃',
      '┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩',
      '│ simple_rnn (SimpleRNN)          │ (None, 32)             │         1,088 │',
      '├─────────────────────────────────┼────────────────────────┼───────────────┤',
      '│ dense (Dense)                   │ (None, 1)              │            33 │',
      '└─────────────────────────────────┴────────────────────────┴───────────────┘',
      ' Total params: 1,121 (4.38 KB)',
      ' Trainable params: 1,121 (4.38 KB)',
      ' Non-trainable params: 0 (0.00 B)',
    ].join('\n');
    assert.equal(text, expected);
  });
  it('shows sequence outputs, non-trainable layers and optimizer state', async () => {
    const model = new Sequential({ name: 's2' });
    model.add(layers.simpleRNN({ units: 8, inputShape: [5, 3], returnSequences: true, trainable: false }));
    model.add(layers.dense({ units: 2 }));
    model.compile({ optimizer: 'adam', loss: 'mse' });
    await model.fit(tensor(new Float32Array(4 * 15), [4, 5, 3]), tensor(new Float32Array(4 * 10), [4, 5, 2]), { verbose: 0 });
    const text = model.summary(() => {});
    assert.match(text, /\(None, 5, 8\) +│ +96 │/);
    assert.match(text, / Non-trainable params: 96 \(384\.00 B\)/);
    assert.match(text, / Trainable params: 18 /);
    assert.match(text, / Optimizer params: \d/);
  });
});

describe('progress output', () => {
  it('verbose 1 (not a TTY): Epoch lines and one Keras-format bar line per epoch', async () => {
    const model = seedModel();
    model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    const { x, y } = data(100);
    const sink = new Capture();
    await model.fit(x, y, { epochs: 2, batchSize: 32, progressSink: sink, validationSplit: 0.2, seed: 1 });
    const lines = sink.text.trimEnd().split('\n');
    assert.equal(lines.length, 4, sink.text);
    assert.equal(lines[0], 'Epoch 1/2');
    assert.match(lines[1]!, /^3\/3 ━{20} \d+s \d+(ms|us)\/step - accuracy: \d\.\d{4} - loss: \d\.\d{4} - val_accuracy: \d\.\d{4} - val_loss: \d\.\d{4}$/);
    assert.equal(lines[2], 'Epoch 2/2');
  });
  it('verbose 2: one line per epoch', async () => {
    const model = seedModel();
    model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
    const { x, y } = data(64);
    const sink = new Capture();
    await model.fit(x, y, { epochs: 1, batchSize: 32, verbose: 2, progressSink: sink });
    assert.match(sink.text, /^2\/2 - \d+s - \d+(ms|us)\/step - loss: \d\.\d{4}\n$/);
  });
  it('a TTY gets in-place redraws with colour', async () => {
    const model = seedModel();
    model.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy' });
    const { x, y } = data(64);
    let text = '';
    await model.fit(x, y, { epochs: 1, batchSize: 8, progressSink: { interactive: true, write: (s) => (text += s) } });
    assert.match(text, /^\r1\/8 \x1b\[32m━━\x1b\[0m\x1b\[37m━{18}\x1b\[0m/);
    assert.match(text, /\r8\/8 \x1b\[32m━{20}\x1b\[0m\x1b\[37m\x1b\[0m \d+s .* - loss: \d\.\d{4} *\n$/);
  });
  it('formats values as %.4f, or %.4e at or below 1e-3', () => {
    assert.equal(formatValue(0.69314), '0.6931');
    assert.equal(formatValue(0.0001234), '1.2340e-04');
    assert.equal(formatValue(0), '0.0000e+00');
    assert.equal(formatValue(12.5), '12.5000');
    assert.equal(formatValue(NaN), 'nan');
    assert.equal(formatValue(-Infinity), '-inf');
  });
});

describe('fit', () => {
  it('history has Keras keys per epoch; validationSplit takes the last samples before shuffling', async () => {
    const model = seedModel();
    model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['acc'] });
    const { x, y } = data(50);
    const h = await model.fit(x, y, { epochs: 3, validationSplit: 0.2, verbose: 0, seed: 4 });
    assert.deepEqual(Object.keys(h.history).sort(), ['acc', 'loss', 'val_acc', 'val_loss']);
    assert.deepEqual(h.epoch, [0, 1, 2]);
    // the validation loss is the loss on the last 10 samples
    const last = { x: tensor(x.data.slice(400), [10, 10, 1]), y: tensor(y.data.slice(40), [10, 1]) };
    const [valLoss, valAcc] = model.evaluate(last.x, last.y, { verbose: 0 });
    assert.ok(Math.abs(valLoss! - h.history.val_loss![2]!) < 1e-6);
    assert.equal(valAcc, h.history.val_acc![2]);
  });
  it('validationData is used as given', async () => {
    const model = seedModel();
    model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
    const a = data(40, 1);
    const b = data(20, 2);
    const h = await model.fit(a.x, a.y, { epochs: 1, validationData: [b.x, b.y], verbose: 0 });
    const [vl] = model.evaluate(b.x, b.y, { verbose: 0 });
    assert.ok(Math.abs(vl! - h.history.val_loss![0]!) < 1e-6);
  });
  it('callbacks see every hook in order with logs; stopTraining stops after the batch', async () => {
    const model = seedModel();
    model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
    const { x, y } = data(64);
    const events: string[] = [];
    const cb: Callback = {
      onTrainBegin: () => void events.push('trainBegin'),
      onEpochBegin: (e) => void events.push(`epochBegin ${e}`),
      onBatchEnd: async (b, logs) => {
        events.push(`batchEnd ${b} ${typeof logs.loss}`);
        if (b === 1) model.stopTraining = true;
      },
      onEpochEnd: (e, logs: Logs) => void events.push(`epochEnd ${e} ${Object.keys(logs).join(',')}`),
      onTrainEnd: () => void events.push('trainEnd'),
    };
    const h = await model.fit(x, y, { epochs: 5, batchSize: 16, verbose: 0, callbacks: [cb] });
    assert.deepEqual(events, ['trainBegin', 'epochBegin 0', 'batchEnd 0 number', 'batchEnd 1 number', 'epochEnd 0 loss', 'trainEnd']);
    assert.equal(h.history.loss!.length, 1);
  });
  it('earlyStopping stops after patience epochs without improvement and restores the best weights', async () => {
    const model = seedModel();
    model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
    const { x, y } = data(64);
    // a monitor that gets worse every epoch after the first
    let epoch = 0;
    const fake: Callback = { onEpochEnd: (_e, logs) => void (logs.fake = epoch++) };
    const snapshots: Tensor[][] = [];
    const snap: Callback = { onEpochEnd: () => void snapshots.push(model.getWeights()) };
    const es = callbacks.earlyStopping({ monitor: 'fake', mode: 'min', patience: 2, restoreBestWeights: true });
    const h = await model.fit(x, y, { epochs: 10, verbose: 0, callbacks: [fake, snap, es] });
    assert.equal(h.history.loss!.length, 3);
    assert.equal(es.stoppedEpoch, 2);
    assert.equal(es.bestEpoch, 0);
    assert.deepEqual(model.getWeights()[0]!.data, snapshots[0]![0]!.data);
  });
  it('earlyStopping rejects a non-finite minDelta', () => {
    assert.throws(() => callbacks.earlyStopping({ minDelta: NaN }), /minDelta must be a finite number, got NaN/);
  });
  it('earlyStopping on a missing monitor says what is available', async () => {
    const model = seedModel();
    model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
    const { x, y } = data(8);
    await assert.rejects(model.fit(x, y, { verbose: 0, callbacks: [callbacks.earlyStopping()] }), /monitor 'val_loss' is not in the epoch logs \(available: loss\); pass validationSplit/);
  });
  it('initialEpoch resumes the epoch count', async () => {
    const model = seedModel();
    model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
    const { x, y } = data(8);
    const h = await model.fit(x, y, { epochs: 5, initialEpoch: 3, verbose: 0 });
    assert.deepEqual(h.epoch, [3, 4]);
  });
  it('a non-trainable layer keeps its weights', async () => {
    const model = new Sequential();
    model.add(layers.simpleRNN({ units: 4, inputShape: [10, 1], trainable: false }));
    model.add(layers.dense({ units: 1, activation: 'sigmoid' }));
    model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
    const before = model.getWeights();
    const { x, y } = data(32);
    await model.fit(x, y, { epochs: 2, verbose: 0 });
    const after = model.getWeights();
    assert.deepEqual(after[0]!.data, before[0]!.data);
    assert.notDeepEqual(after[3]!.data, before[3]!.data);
  });
  it('a model without inputShape is built from the data on first use', async () => {
    const model = new Sequential();
    model.add(layers.simpleRNN({ units: 3 }));
    model.add(layers.dense({ units: 1 }));
    assert.match(model.summary(() => {}), /\? +│ +0 \(unbuilt\)/);
    const p = model.predict(tensor(new Float32Array(2 * 4 * 5), [2, 4, 5]));
    assert.deepEqual(p.shape, [2, 1]);
    assert.deepEqual(model.getWeights().map((w) => w.shape), [[5, 3], [3, 3], [3], [3, 1], [1]]);
  });

  it("an InputLayer first declares the input (tfjs's tf.layers.inputLayer; Keras 3's Sequential([Input(…), …])): the same model as the first layer's inputShape", () => {
    const x = tensor(Array.from({ length: 2 * 4 * 3 }, (_, i) => Math.sin(i)), [2, 4, 3]);
    const plain = new Sequential({ layers: [layers.lstm({ units: 2, inputShape: [4, 3], seed: 1 }), layers.dense({ units: 1, seed: 2 })] });
    const viaLayer = new Sequential({ layers: [layers.inputLayer({ inputShape: [4, 3], name: 'series' }), layers.lstm({ units: 2, seed: 1 }), layers.dense({ units: 1, seed: 2 })] });
    const viaInput = new Sequential({ layers: [input({ shape: [4, 3] }), layers.lstm({ units: 2, seed: 1 }), layers.dense({ units: 1, seed: 2 })] });
    for (const m of [viaLayer, viaInput]) {
      assert.ok(m.isBuilt, 'built once the first layer follows the declared input');
      assert.deepEqual(m.layers.map((l) => l.className), ['LSTM', 'Dense'], 'the InputLayer is not one of the layers (as in Keras and tfjs)');
      assert.deepEqual([...m.predict(x).data], [...plain.predict(x).data]);
    }
    assert.equal(viaLayer.inputs[0]!.sourceLayer.name, 'series');
    const late = new Sequential();
    late.add(layers.inputLayer({ batchInputShape: [2, null, 3] }));
    late.add(layers.gru({ units: 2 }));
    assert.deepEqual(late.inputs[0]!.shape, [2, null, 3]);
    assert.throws(() => new Sequential({ layers: [layers.dense({ units: 1, inputShape: [3] }), layers.inputLayer({ inputShape: [3] })] }), /an InputLayer declares the model's input, so it comes first and once/);
    assert.throws(() => new Sequential({ layers: [layers.inputLayer({ inputShape: [3] }), layers.dense({ units: 1, inputShape: [3] })] }), /the model's input is declared by InputLayer '[^']+'; give the input shape once/);
    assert.throws(() => new Sequential({ layers: [layers.inputLayer({ inputShape: [3] }), layers.dense({ units: 1 })] }).build([4]), /Dense '[^']+': expected input of shape \[\*, 3\], got \[\*, 4\]/);
  });
});

describe('weights, layers and tensors', () => {
  it('getWeights is in Keras order and layouts; setWeights round-trips; predict uses them', () => {
    const model = seedModel();
    const w = model.getWeights();
    assert.deepEqual(w.map((t) => t.shape), [[1, 32], [32, 32], [32], [32, 1], [1]]);
    const zeros = w.map((t) => tensor(new Float32Array(t.size), t.shape));
    zeros[4] = tensor([2], [1]);
    model.setWeights(zeros);
    const p = model.predict(data(3).x);
    for (const v of p.data) assert.ok(Math.abs(v - 1 / (1 + Math.exp(-2))) < 1e-6);
  });
  it('layer.apply with returnState returns the output and the final state; goBackwards reverses', () => {
    const rnn = layers.simpleRNN({ units: 2, returnSequences: true, returnState: true, activation: 'linear', useBias: false });
    rnn.build([3, 1]);
    rnn.setWeights([tensor([1, 0], [1, 2]), tensor([1, 0, 0, 1], [2, 2])]);
    const [seq, state] = rnn.apply([[[1], [2], [3]]]) as unknown as Tensor[];
    // a running sum in unit 0
    assert.deepEqual(seq!.toArray(), [[[1, 0], [3, 0], [6, 0]]]);
    assert.deepEqual(state!.toArray(), [[6, 0]]);
    const back = layers.simpleRNN({ units: 1, returnSequences: true, goBackwards: true, activation: 'linear', useBias: false });
    back.build([3, 1]);
    back.setWeights([tensor([1], [1, 1]), tensor([1], [1, 1])]);
    assert.deepEqual(back.apply([[[1], [2], [3]]]).toArray(), [[[3], [5], [6]]]);
  });
  it('Dense applies per time step on 3-D input', () => {
    const d = layers.dense({ units: 1, useBias: false });
    d.build([2, 2]);
    d.setWeights([tensor([1, 10], [2, 1])]);
    assert.deepEqual(d.apply([[[1, 2], [3, 4]]]).toArray(), [[[21], [43]]]);
  });
  it('tensor() infers shapes, and toArray inverts it', () => {
    const t = tensor([[1, 2, 3], [4, 5, 6]]);
    assert.deepEqual(t.shape, [2, 3]);
    assert.ok(t.data instanceof Float32Array);
    assert.deepEqual(t.toArray(), [[1, 2, 3], [4, 5, 6]]);
    assert.deepEqual(tensor([1, 2, 3, 4], [2, 2]).toArray(), [[1, 2], [3, 4]]);
    assert.throws(() => tensor([1, 2, 3], [2, 2]), /shape \[2, 2\] needs 4 values, got 3/);
  });

  it("tfjs's reading calls work on a prediction: dataSync(), arraySync(), await array(), dispose()", async () => {
    const m = new Sequential({ layers: [layers.dense({ units: 2, inputShape: [3], kernelInitializer: 'ones' })] });
    const y = m.predict(tensor([[1, 2, 3]]));
    assert.equal(y.dataSync(), y.data);
    assert.deepEqual(y.arraySync(), [[6, 6]]);
    assert.deepEqual(await y.array(), [[6, 6]]);
    y.dispose();
    assert.deepEqual([...y.dataSync()], [6, 6], 'dispose frees nothing a later read needs');
  });
});

describe('initializers (Keras formulas)', () => {
  const rng = () => new Rng(3);
  it('glorotUniform: U(±√(6/(fanIn+fanOut)))', () => {
    const out = new Float32Array(64 * 96);
    initializers.glorotUniform().init(out, [64, 96], rng());
    const limit = Math.sqrt(6 / (64 + 96));
    const max = out.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    assert.ok(max <= limit && max > 0.95 * limit, `max ${max} vs limit ${limit}`);
  });
  it('glorotNormal: truncated at 2σ, std √(2/(fanIn+fanOut)) after the truncation correction', () => {
    const out = new Float32Array(200 * 300);
    initializers.glorotNormal().init(out, [200, 300], rng());
    const target = Math.sqrt(2 / 500);
    const std = Math.sqrt(out.reduce((s, v) => s + v * v, 0) / out.length);
    assert.ok(Math.abs(std - target) / target < 0.02, `std ${std} vs ${target}`);
    const bound = (2 * target) / 0.8796256610342398;
    assert.ok(out.every((v) => Math.abs(v) <= bound + 1e-6));
  });
  it('orthogonal: a whole [H, 4H] matrix with orthonormal rows', () => {
    const H = 6;
    const out = new Float32Array(H * 4 * H);
    initializers.orthogonal().init(out, [H, 4 * H], rng());
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < H; j++) {
        let dot = 0;
        for (let k = 0; k < 4 * H; k++) dot += out[i * 4 * H + k]! * out[j * 4 * H + k]!;
        assert.ok(Math.abs(dot - (i === j ? 1 : 0)) < 1e-5, `row ${i}·row ${j} = ${dot}`);
      }
    }
  });
  it('randomUniform, randomNormal, zeros, ones and seeds', () => {
    const a = new Float32Array(1000);
    initializers.randomUniform({ minval: 2, maxval: 3, seed: 5 }).init(a, [1000], rng());
    assert.ok(a.every((v) => v >= 2 && v < 3));
    const b = new Float32Array(1000);
    initializers.randomUniform({ minval: 2, maxval: 3, seed: 5 }).init(b, [1000], new Rng(99));
    assert.deepEqual(a, b, 'an initializer with its own seed ignores the layer generator');
    const n = new Float32Array(20000);
    initializers.randomNormal({ mean: 1, stddev: 0.5 }).init(n, [20000], rng());
    const mean = n.reduce((s, v) => s + v, 0) / n.length;
    assert.ok(Math.abs(mean - 1) < 0.02);
    const z = new Float32Array(3).fill(7);
    initializers.zeros().init(z, [3], rng());
    assert.deepEqual([...z], [0, 0, 0]);
    initializers.ones().init(z, [3], rng());
    assert.deepEqual([...z], [1, 1, 1]);
  });
  it('layer seeds make initial weights reproducible', () => {
    const a = layers.simpleRNN({ units: 3, seed: 42 });
    const b = layers.simpleRNN({ units: 3, seed: 42 });
    a.build([2, 2]);
    b.build([2, 2]);
    assert.deepEqual(a.getWeights().map((t) => [...t.data]), b.getWeights().map((t) => [...t.data]));
  });
});
