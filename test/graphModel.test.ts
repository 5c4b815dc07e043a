/**
 * Graph models as a Keras / tfjs user drives them: inputs and targets by list or by
 * name, per-output losses, lossWeights and metrics with Keras log names, evaluate's
 * order, sample weights per output, frozen layers, getLayer, summary's "Connected to",
 * a Model called as a layer, data-parallel workers (equal to one thread), streaming a
 * decoder one step at a time from given states, and the boundary errors.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { Rng } from '../src/core/rng.js';
import { Functional, Model, Sequential, input, layers, model, optimizers, setSeed, tensor, type SymbolicTensor, type Tensor } from '../src/index.js';
import { CapturingSGD } from './helpers/optim.js';
import { assertClose } from './helpers/check.js';

const rng = new Rng(31);
const uniform = (shape: number[]): Tensor => tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniformIn(-1, 1)), shape);
const ints = (shape: number[], k: number): Tensor => tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.int(k)), shape);

/** A text branch and a numeric branch joined, two heads (label: binary, score: regression). */
function twoHeads(seed = 1): Model {
  setSeed(seed);
  const text = input({ shape: [null], name: 'text' });
  const nums = input({ shape: [3], name: 'nums' });
  const h = layers.lstm({ units: 8, name: 'lstm' }).apply(layers.embedding({ inputDim: 20, outputDim: 4, maskZero: true, name: 'emb' }).apply(text));
  const joined = layers.concatenate({ name: 'joined' }).apply([h, layers.dense({ units: 4, activation: 'relu', name: 'num_dense' }).apply(nums)]);
  const label = layers.dense({ units: 1, activation: 'sigmoid', name: 'label' }).apply(joined);
  const score = layers.dense({ units: 1, name: 'score' }).apply(joined);
  return model({ inputs: [text, nums], outputs: [label, score] });
}
const N = 16;
const xText = tensor(Array.from({ length: N }, (_, i) => [1 + (i % 5), 2, i % 3, 0]));
const xNums = uniform([N, 3]);
const yLabel = tensor(Array.from({ length: N }, (_, i) => [i % 2]));
const yScore = uniform([N, 1]);


describe('graph models: fit / evaluate / predict', () => {
  it('inputs and targets by name or in order give the same training; Keras log names', async () => {
    const byName = twoHeads();
    byName.compile({ optimizer: optimizers.sgd({ learningRate: 0.1 }), loss: { label: 'binaryCrossentropy', score: 'mse' }, metrics: { label: ['accuracy'], score: ['mae'] } });
    const h1 = await byName.fit({ text: xText, nums: xNums }, { label: yLabel, score: yScore }, { epochs: 2, batchSize: 4, shuffle: false, verbose: 0, validationSplit: 0.25 });
    const inOrder = twoHeads();
    inOrder.compile({ optimizer: optimizers.sgd({ learningRate: 0.1 }), loss: ['binaryCrossentropy', 'mse'], metrics: [['accuracy'], ['mae']] });
    const h2 = await inOrder.fit([xText, xNums], [yLabel, yScore], { epochs: 2, batchSize: 4, shuffle: false, verbose: 0, validationSplit: 0.25 });
    assert.deepEqual(Object.keys(h1.history).sort(), ['label_accuracy', 'label_loss', 'loss', 'score_loss', 'score_mae', 'val_label_accuracy', 'val_label_loss', 'val_loss', 'val_score_loss', 'val_score_mae']);
    assert.deepEqual(h1.history, h2.history);
    // the total is the sum of the outputs' losses (weights 1)
    h1.history.loss!.forEach((l, e) => assert.ok(Math.abs(l - h1.history.label_loss![e]! - h1.history.score_loss![e]!) < 1e-5));
  });

  it('lossWeights scale each output loss in the total and in the gradient', async () => {
    const grads = async (lossWeights?: Record<string, number>): Promise<{ g: Float32Array; logs: Record<string, number[]> }> => {
      const m = twoHeads();
      const opt = new CapturingSGD(0.05);
      m.compile({ optimizer: opt, loss: { label: 'binaryCrossentropy', score: 'mse' }, ...(lossWeights === undefined ? {} : { lossWeights }) });
      const h = await m.fit([xText, xNums], [yLabel, yScore], { epochs: 1, batchSize: N, verbose: 0 });
      return { g: opt.captured[0]!, logs: h.history };
    };
    const base = await grads();
    const onlyLabel = await grads({ label: 1, score: 0 });
    const doubled = await grads({ label: 2, score: 2 });
    assert.ok(Math.abs(onlyLabel.logs.loss![0]! - base.logs.label_loss![0]!) < 1e-6, 'score weight 0: the total is the label loss');
    assertClose(doubled.g, Array.from(base.g, (v) => 2 * v), 1e-5, 1e-7, 'weights 2, 2: twice the gradient');
    assert.ok(Math.abs(doubled.logs.loss![0]! - 2 * base.logs.loss![0]!) < 1e-5);
  });

  it("evaluate returns [loss, each output's loss, metrics] in metricsNames order; predict a list in output order", async () => {
    const m = twoHeads();
    m.compile({ optimizer: 'adam', loss: ['binaryCrossentropy', 'mse'], metrics: { label: 'accuracy' } });
    assert.deepEqual(m.metricsNames, ['loss', 'label_loss', 'score_loss', 'label_accuracy']);
    const [loss, lLoss, sLoss, acc] = m.evaluate({ text: xText, nums: xNums }, { label: yLabel, score: yScore }, { verbose: 0 });
    assert.ok(Math.abs(loss! - lLoss! - sLoss!) < 1e-6);
    assert.ok(acc! >= 0 && acc! <= 1);
    const out = m.predict([xText, xNums]) as unknown as Tensor[];
    assert.equal(out.length, 2);
    assert.deepEqual(out.map((t) => t.shape), [[N, 1], [N, 1]]);
  });

  it('an output without a loss is computed, not trained; sampleWeight per output', async () => {
    const m = twoHeads();
    const opt = new CapturingSGD(0.05);
    m.compile({ optimizer: opt, loss: { label: 'binaryCrossentropy' } });
    const h = await m.fit({ text: xText, nums: xNums }, { label: yLabel }, { epochs: 1, batchSize: N, verbose: 0 });
    assert.deepEqual(Object.keys(h.history), ['loss', 'label_loss']);
    const scoreKernel = m.weightPaths().indexOf('score/kernel');
    const seg = m.engine.segments[scoreKernel]!;
    assert.ok(opt.captured[0]!.subarray(seg.offset, seg.offset + seg.size).every((g) => g === 0), 'no gradient reaches the untrained head');
    const w = tensor(Array.from({ length: N }, (_, i) => (i < 8 ? 1 : 0)));
    const weighted = twoHeads();
    weighted.compile({ optimizer: 'sgd', loss: ['binaryCrossentropy', 'mse'] });
    const first8 = twoHeads();
    first8.compile({ optimizer: 'sgd', loss: ['binaryCrossentropy', 'mse'] });
    const [lw] = weighted.evaluate([xText, xNums], [yLabel, yScore], { sampleWeight: { label: w }, verbose: 0 });
    const slice = (t: Tensor, n: number): Tensor => tensor(t.data.slice(0, (n * t.size) / t.shape[0]!), [n, ...t.shape.slice(1)]);
    const [, l8] = first8.evaluate([slice(xText, 8), slice(xNums, 8)], [slice(yLabel, 8), slice(yScore, 8)], { verbose: 0 });
    const [, , sAll] = first8.evaluate([xText, xNums], [yLabel, yScore], { verbose: 0 });
    // Keras: weighted sum / all N rows, so half-weighted loss = mean of the first 8 · 8/16
    assert.ok(Math.abs(lw! - (l8! * 0.5 + sAll!)) < 1e-5, `weighted ${lw} vs ${l8! * 0.5 + sAll!}`);
  });

  it('trainable = false freezes a layer (computed, not updated); the model still trains the rest', async () => {
    const m = twoHeads();
    const frozen = m.getLayer('lstm');
    frozen.trainable = false;
    m.compile({ optimizer: 'adam', loss: ['binaryCrossentropy', 'mse'] });
    const before = frozen.getWeights().map((w) => w.data.slice());
    const dense = m.getLayer('label').getWeights()[0]!.data.slice();
    await m.fit([xText, xNums], [yLabel, yScore], { epochs: 2, batchSize: 4, verbose: 0 });
    frozen.getWeights().forEach((w, i) => assert.deepEqual(w.data, before[i]));
    assert.notDeepEqual(m.getLayer('label').getWeights()[0]!.data, dense);
    assert.match(m.summary(() => undefined), /Non-trainable params: 416 \(1\.62 KB\)/);
  });

  it('errors name the input, the output, the layer', async () => {
    const m = twoHeads();
    m.compile({ optimizer: 'adam', loss: ['binaryCrossentropy', 'mse'] });
    await assert.rejects(m.fit([xText], [yLabel, yScore]), /fit: x: the model has 2 \('text', 'nums'\); give a list of 2 in that order, or an object keyed by name/);
    await assert.rejects(m.fit({ text: xText, numbers: xNums }, [yLabel, yScore]), /fit: x: unknown name 'numbers'; the model's names are 'text', 'nums'/);
    await assert.rejects(m.fit({ text: xText, nums: uniform([N, 4]) }, [yLabel, yScore]), /input 'nums': expected input of shape \[\*, 3\], got \[16, 4\] in fit/);
    await assert.rejects(m.fit([xText, xNums], { label: yLabel }), /fit: y: no value for 'score'/);
    await assert.rejects(m.fit([xText, xNums], [yLabel, uniform([N, 2])]), /fit: y\['score'\] has shape \[16, 2\], but the model output \(Dense 'score'\) has shape \[\*, 1\]/);
    assert.throws(() => m.compile({ loss: { label: 'mse', scor: 'mse' } }), /compile: loss: unknown name 'scor'/);
    assert.throws(() => m.compile({ loss: 'mse', lossWeights: { label: -1 } }), /lossWeights\['label'\] must be a number in \[0, Infinity\]/);
    assert.throws(() => model({ inputs: [], outputs: [] }), /needs at least one input/);
    assert.throws(() => m.getLayer('nope'), /no layer named "nope"; layers: text, nums, emb/);
  });
});

describe('graph models: structure', () => {
  it('layers in Keras order, getLayer by name or index, inputs/outputs, names; Functional is Model', () => {
    const m = twoHeads();
    assert.deepEqual(m.layers.map((l) => l.name), ['text', 'nums', 'emb', 'lstm', 'num_dense', 'joined', 'label', 'score']);
    assert.equal(m.getLayer(3), m.getLayer('lstm'));
    assert.equal(m.getLayer(undefined, 3), m.getLayer('lstm'));
    assert.deepEqual(m.inputNames, ['text', 'nums']);
    assert.deepEqual(m.outputNames, ['label', 'score']);
    assert.deepEqual(m.inputs.map((t) => t.shape), [[null, null], [null, 3]]);
    assert.equal(Functional, Model);
  });

  it('summary has the "Connected to" column for a graph, none for a chain', () => {
    const text = twoHeads().summary(() => undefined);
    assert.match(text, /│ joined \(Concatenate\)\s+│ \(None, 12\)\s+│\s+0 │ lstm\[0\]\[0\],\s+│\n│\s+│\s+│\s+│ num_dense\[0\]\[0\]\s+│/);
    assert.match(text, /Connected to/);
    const x = input({ shape: [4] });
    const chain = model({ inputs: x, outputs: layers.dense({ units: 2 }).apply(layers.dense({ units: 3 }).apply(x)) });
    assert.doesNotMatch(chain.summary(() => undefined), /Connected to/);
  });

  it('a Model called as a layer (twice) shares its weights; the outer model trains them', async () => {
    const x = input({ shape: [5] });
    const inner = model({ inputs: x, outputs: layers.dense({ units: 3, activation: 'tanh', name: 'enc' }).apply(x), name: 'encoder' });
    const a = input({ shape: [5] });
    const b = input({ shape: [5] });
    const outer = model({ inputs: [a, b], outputs: layers.dense({ units: 1, name: 'head' }).apply(layers.subtract().apply([inner.apply(a), inner.apply(b)])) });
    assert.equal(outer.weights.length, 4, 'enc kernel/bias once, head kernel/bias');
    outer.compile({ optimizer: 'sgd', loss: 'mse' });
    const before = inner.getWeights()[0]!.data.slice();
    await outer.fit([uniform([8, 5]), uniform([8, 5])], uniform([8, 1]), { epochs: 2, verbose: 0 });
    assert.notDeepEqual(inner.getWeights()[0]!.data, before, 'the inner model trained through the outer one');
    const p = inner.predict(uniform([2, 5]));
    assert.deepEqual(p.shape, [2, 3]);
  });

  it('layers built for the training model drive separate inference models (lstm_seq2seq inference)', async () => {
    const encIn = input({ shape: [null, 5] });
    const encoder = layers.lstm({ units: 6, returnState: true });
    const [, h, c] = encoder.apply(encIn) as unknown as SymbolicTensor[];
    const decIn = input({ shape: [null, 4] });
    const decoder = layers.lstm({ units: 6, returnSequences: true, returnState: true });
    const dense = layers.dense({ units: 4, activation: 'softmax' });
    const [seq] = decoder.apply(decIn, { initialState: [h!, c!] }) as unknown as SymbolicTensor[];
    const train = model({ inputs: [encIn, decIn], outputs: dense.apply(seq!) });
    train.compile({ optimizer: 'rmsprop', loss: 'categoricalCrossentropy' });
    const xe = uniform([6, 7, 5]);
    const xd = uniform([6, 3, 4]);
    const y = tensor(Array.from({ length: 6 * 3 }, (_, i) => [0, 1, 2, 3].map((k) => (k === i % 4 ? 1 : 0))).flat(), [6, 3, 4]);
    await train.fit([xe, xd], y, { epochs: 1, verbose: 0 });
    // inference models from the same layers
    const encModel = model({ inputs: encIn, outputs: [h!, c!] });
    const hIn = input({ shape: [6] });
    const cIn = input({ shape: [6] });
    const [dSeq, dh, dc] = decoder.apply(decIn, { initialState: [hIn, cIn] }) as unknown as SymbolicTensor[];
    const decModel = model({ inputs: [decIn, hIn, cIn], outputs: [dense.apply(dSeq!), dh!, dc!] });
    const [eh, ec] = encModel.predict(xe) as unknown as Tensor[];
    const [probs] = decModel.predict([xd, eh!, ec!]) as unknown as Tensor[];
    assertClose(probs!.data, train.predict([xe, xd]).data, 1e-6, 1e-7, 'encoder + decoder models = the training model');
    // a stream of the decoder: states given once, then one step at a time
    const s = decModel.stream({ batchSize: 6 });
    const stepOf = (t: number): number[][] => Array.from({ length: 6 }, (_, b) => Array.from(xd.data.slice((b * 3 + t) * 4, (b * 3 + t + 1) * 4)));
    const stepped: number[] = [];
    const [p0] = s.step([stepOf(0), eh!, ec!]) as unknown as Tensor[];
    const [p1] = s.step([stepOf(1), null, null]) as unknown as Tensor[];
    const [p2] = s.step({ [decModel.inputNames[0]!]: stepOf(2) }) as unknown as Tensor[];
    for (let b = 0; b < 6; b++) for (const p of [p0!, p1!, p2!]) stepped.push(...p.data.slice(b * 4, (b + 1) * 4));
    assertClose(stepped, train.predict([xe, xd]).data, 1e-5, 1e-6, 'stream of the decoder from the encoder states');
    // training continues on the training model after the inference models took the weights
    const h1 = await train.fit([xe, xd], y, { epochs: 2, verbose: 0 });
    assert.ok(h1.history.loss![1]! < h1.history.loss![0]!);
    const [eh2, ec2] = encModel.predict(xe) as unknown as Tensor[];
    const [probs2] = decModel.predict([xd, eh2!, ec2!]) as unknown as Tensor[];
    assertClose(probs2!.data, train.predict([xe, xd]).data, 1e-6, 1e-7, 'the inference models see the new weights');
  });

  it('data-parallel workers train a graph model as one thread does', async () => {
    const build = (): Model => {
      setSeed(7);
      const a = input({ shape: [6, 3] });
      const b = input({ shape: [6, 3] });
      const shared = layers.gru({ units: 8 });
      const out = layers.dense({ units: 3, activation: 'softmax' }).apply(layers.concatenate().apply([shared.apply(a), shared.apply(b)]));
      return model({ inputs: [a, b], outputs: out });
    };
    const xa = uniform([32, 6, 3]);
    const xb = uniform([32, 6, 3]);
    const y = ints([32], 3);
    const grads = async (workers: number): Promise<Float32Array[]> => {
      const m = build();
      const opt = new CapturingSGD(0.05);
      m.compile({ optimizer: opt, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      await m.fit([xa, xb], y, { epochs: 1, batchSize: 16, shuffle: false, verbose: 0, workers });
      return opt.captured;
    };
    const one = await grads(1);
    const two = await grads(2);
    one.forEach((g, i) => assertClose(two[i]!, g, 1e-5, 1e-6, `batch ${i}`));
  });

  it('several trained outputs that may be masked are refused for workers > 1, by name', async () => {
    const x = input({ shape: [5] });
    const seq = layers.embedding({ inputDim: 9, outputDim: 3, maskZero: true }).apply(x);
    const r = layers.lstm({ units: 4, returnSequences: true }).apply(seq);
    const m = model({ inputs: x, outputs: [layers.dense({ units: 2, name: 'o1' }).apply(r), layers.dense({ units: 2, name: 'o2' }).apply(r)] });
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    await assert.rejects(m.fit(ints([8, 5], 9), [uniform([8, 5, 2]), uniform([8, 5, 2])], { workers: 2, verbose: 0 }), /workers: 2: output 'o1' may be masked/);
  });

  it('Sequential is a Model whose graph is a chain (one engine)', () => {
    const s = new Sequential({ layers: [layers.dense({ units: 2, inputShape: [3] })] });
    assert.ok(s instanceof Model);
    assert.equal(s.graph.nodes.length, 1);
    assert.deepEqual(s.inputs[0]!.shape, [null, 3]);
  });
});
