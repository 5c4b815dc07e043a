/**
 * A model saved with includeOptimizer, read by TensorFlow.js 4.22 (tf.loadLayersModel with
 * the file's trainingConfig) and by rnnkit. Where tfjs has the same loss, metrics and
 * optimizer, tfjs compiles the model with them and takes the optimizer's state: its next
 * epoch lands where rnnkit's does, and far from where it lands from a fresh state (so the
 * state really went in, weight by weight). Where tfjs has no equivalent, tfjs refuses the
 * file naming it. rnnkit resumes exactly in every case, also from files in the older form
 * (rnnkit's objects at the top level, each optimizer slot whole).
 */
import { after, before, describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  Sequential, input, layers, loadModel, losses, metrics, model as graphModel, optimizers, tensor,
  type Model, type ModelArtifacts, type ModelJSON, type Optimizer, type SymbolicTensor, type Tensor,
} from '../src/index.js';
import { Rng } from '../src/core/rng.js';
import { encodeWeights } from '../src/io/weights.js';
import { initTfjs, tf, tfl } from './helpers/tfjs.js';
import { assertSameWeights, randomizeWeights, removeTempDirs, tempDir } from './helpers/saving.js';

before(initTfjs);
after(removeTempDirs);

const B = 12;
const T = 5;
const FIT = { batchSize: 4, shuffle: false, verbose: 0 } as const;

function data(kind: 'regression' | 'binary' | 'categorical' | 'sparse', seed: number): { x: Tensor; y: Tensor } {
  const rng = new Rng(seed);
  const x = tensor(Float32Array.from({ length: B * T * 3 }, () => rng.uniformIn(-1, 1)), [B, T, 3]);
  const label = (b: number): number => (x.data[b * T * 3]! > 0 ? 1 : 0) + (x.data[b * T * 3 + 1]! > 0 ? 1 : 0);
  if (kind === 'regression') return { x, y: tensor(Float32Array.from({ length: B * 2 }, () => rng.uniformIn(0.1, 1)), [B, 2]) };
  if (kind === 'binary') return { x, y: tensor(Float32Array.from({ length: B }, (_, b) => label(b) % 2), [B, 1]) };
  if (kind === 'sparse') return { x, y: tensor(Float32Array.from({ length: B }, (_, b) => label(b)), [B, 1]) };
  return { x, y: tensor(Float32Array.from({ length: B * 3 }, (_, i) => (label(Math.floor(i / 3)) === i % 3 ? 1 : 0)), [B, 3]) };
}

function net(units: number, activation: string): Sequential {
  const m = new Sequential({ layers: [layers.lstm({ units: 6, inputShape: [T, 3] }), layers.dense({ units, activation: activation as 'linear' })] });
  randomizeWeights(m, 3);
  return m;
}

/** model.json and the weights as tfjs's loader takes them (trainingConfig included). */
async function readDir(dir: string): Promise<ModelArtifacts> {
  const modelJson = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as ModelJSON;
  const buf = await readFile(join(dir, modelJson.weightsManifest[0]!.paths[0]!));
  return { modelJson, weightData: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer };
}

function tfjsLoad({ modelJson, weightData }: ModelArtifacts): Promise<tfl.LayersModel> {
  return tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: modelJson.modelTopology as unknown as tf.io.ModelArtifacts['modelTopology'],
      weightSpecs: modelJson.weightsManifest.flatMap((g) => g.weights) as tf.io.WeightsManifestEntry[],
      weightData,
      trainingConfig: modelJson.trainingConfig as unknown as tf.io.TrainingConfig,
    }),
  );
}

/** tfjs's weights, flat, in rnnkit's order (both keep Keras's). */
function tfjsWeights(m: tfl.LayersModel): Float32Array[] {
  return m.getWeights().map((w) => (w.dataSync() as Float32Array).slice());
}

/** A new tfjs optimizer of a registered class (what loadTrainingConfig builds, without the state). */
function tfjsOptimizer(className: string, config: tf.serialization.ConfigDict): tf.Optimizer {
  const [cls] = tf.serialization.SerializationMap.getMap().classNameMap[className]!;
  return cls.fromConfig(cls, config) as tf.Optimizer;
}

function maxDiff(a: Float32Array[], b: Float32Array[]): number {
  let d = 0;
  a.forEach((w, i) => w.forEach((v, j) => (d = Math.max(d, Math.abs(v - b[i]![j]!)))));
  return d;
}

interface Case {
  name: string;
  kind: 'regression' | 'binary' | 'categorical' | 'sparse';
  units: number;
  activation: string;
  loss: string | ReturnType<typeof losses.meanSquaredError>;
  metrics: (string | ReturnType<typeof metrics.meanSquaredError>)[];
  optimizer: () => Optimizer;
  /** What tfjs compiles the model with. */
  tfLoss: string;
  tfMetrics: string[];
  tfOptimizer: string;
  /** Largest weight gap expected between tfjs's and rnnkit's next epoch. */
  tol: number;
}

const CASES: Case[] = [
  {
    name: 'mse + mae/mape, Adam', kind: 'regression', units: 2, activation: 'linear',
    loss: 'mse', metrics: ['mae', 'mape'], optimizer: () => optimizers.adam({ learningRate: 0.01 }),
    // tfjs's Adam adds ε after the bias correction: a weight whose √v is near ε moves a little
    // differently (measured 4.4e-4 after this epoch; 3e-7 with ε = 1e-12, the case below).
    tfLoss: 'meanSquaredError', tfMetrics: ['mae', 'mape'], tfOptimizer: 'Adam', tol: 1e-3,
  },
  {
    name: 'binary crossentropy + accuracy, RMSprop (momentum 0: tfjs keeps zero moments)', kind: 'binary', units: 1, activation: 'sigmoid',
    loss: 'binaryCrossentropy', metrics: ['accuracy'], optimizer: () => optimizers.rmsprop({ learningRate: 0.01 }),
    tfLoss: 'binaryCrossentropy', tfMetrics: ['binaryAccuracy'], tfOptimizer: 'RMSProp', tol: 2e-5,
  },
  {
    name: 'categorical crossentropy + accuracy, RMSprop with momentum', kind: 'categorical', units: 3, activation: 'softmax',
    loss: 'categoricalCrossentropy', metrics: ['accuracy', 'categorical_crossentropy'], optimizer: () => optimizers.rmsprop({ learningRate: 0.01, momentum: 0.5 }),
    tfLoss: 'categoricalCrossentropy', tfMetrics: ['categoricalAccuracy', 'categoricalCrossentropy'], tfOptimizer: 'RMSProp', tol: 2e-5,
  },
  {
    name: 'sparse categorical crossentropy + accuracy, Adagrad', kind: 'sparse', units: 3, activation: 'softmax',
    loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'], optimizer: () => optimizers.adagrad({ learningRate: 0.1 }),
    tfLoss: 'sparseCategoricalCrossentropy', tfMetrics: ['accuracy'], tfOptimizer: 'Adagrad', tol: 2e-5,
  },
  {
    name: 'logcosh + mse, Adam with epsilon 1e-12', kind: 'regression', units: 2, activation: 'linear',
    loss: 'logcosh', metrics: ['mse'], optimizer: () => optimizers.adam({ learningRate: 0.01, epsilon: 1e-12 }),
    tfLoss: 'logcosh', tfMetrics: ['mse'], tfOptimizer: 'Adam', tol: 2e-6,
  },
  {
    name: 'poisson, SGD', kind: 'regression', units: 2, activation: 'softplus',
    loss: 'poisson', metrics: [], optimizer: () => optimizers.sgd({ learningRate: 0.1 }),
    tfLoss: 'poisson', tfMetrics: [], tfOptimizer: 'SGD', tol: 2e-5,
  },
];

describe('tfjs reads what rnnkit saves with includeOptimizer', () => {
  for (const c of CASES) {
    it(`${c.name}: tfjs compiles it and continues from the saved state; rnnkit resumes exactly`, async () => {
      const { x, y } = data(c.kind, 5);
      const make = (): Sequential => {
        const m = net(c.units, c.activation);
        m.compile({ loss: c.loss as 'mse', metrics: c.metrics as string[], optimizer: c.optimizer() });
        return m;
      };
      const straight = make();
      await straight.fit(x, y, { ...FIT, epochs: 2 });
      const dir = await tempDir('tfjs-tc');
      await straight.save(dir, { includeOptimizer: true });
      const saved = await readDir(dir);

      // tfjs: compiled with the same loss, metrics and optimizer
      const theirs = await tfjsLoad(saved);
      assert.equal(theirs.loss, c.tfLoss);
      assert.deepEqual(theirs.metrics, c.tfMetrics);
      assert.equal(theirs.optimizer.getClassName(), c.tfOptimizer);
      const lr = (theirs.optimizer.getConfig() as { learningRate: number }).learningRate;
      assert.equal(lr, straight.optimizer!.learningRate);

      // rnnkit: resumes exactly
      const resumed = await loadModel(dir);
      await resumed.fit(x, y, { ...FIT, epochs: 3, initialEpoch: 2 });
      await straight.fit(x, y, { ...FIT, epochs: 1 });
      assertSameWeights(resumed, straight, 'resumed from the file');

      // tfjs: its next epoch from the saved state lands where rnnkit's did
      const xs = tf.tensor(x.data, [...x.shape]);
      const ys = tf.tensor(y.data, [...y.shape]);
      await theirs.fit(xs, ys, { batchSize: FIT.batchSize, epochs: 1, shuffle: false, verbose: 0 });
      const ours = straight.getWeights().map((w) => w.data);
      const gap = maxDiff(tfjsWeights(theirs), ours);
      // …and a fresh tfjs optimizer of the same kind lands elsewhere (so the state mattered)
      const fresh = await tfjsLoad(saved);
      fresh.compile({ loss: theirs.loss, metrics: theirs.metrics as string[], optimizer: tfjsOptimizer(c.tfOptimizer, theirs.optimizer.getConfig()) });
      await fresh.fit(xs, ys, { batchSize: FIT.batchSize, epochs: 1, shuffle: false, verbose: 0 });
      const freshGap = maxDiff(tfjsWeights(fresh), ours);
      if (process.env.SHOW_GAPS) console.log(`${c.name}: tfjs vs rnnkit ${gap.toExponential(2)}, fresh state ${freshGap.toExponential(2)}`);
      assert.ok(gap < c.tol, `tfjs's epoch from the saved state is ${gap} from rnnkit's (tolerance ${c.tol})`);
      if (c.tfOptimizer !== 'SGD') assert.ok(freshGap > 20 * gap && freshGap > 1e-4, `a fresh tfjs optimizer lands ${freshGap} away, the saved state ${gap}`);
      xs.dispose();
      ys.dispose();
      theirs.dispose();
      fresh.dispose();
    });
  }
});

/** Save with includeOptimizer after one epoch; the artifacts as written. */
async function trained(m: Model, x: Tensor | Tensor[], y: Tensor | Tensor[]): Promise<{ dir: string; saved: ModelArtifacts }> {
  await m.fit(x, y, { ...FIT, epochs: 1 });
  const dir = await tempDir('tfjs-tc');
  await m.save(dir, { includeOptimizer: true });
  return { dir, saved: await readDir(dir) };
}

async function tfjsRefuses(saved: ModelArtifacts, pattern: RegExp): Promise<void> {
  await assert.rejects(tfjsLoad(saved), (e: Error) => {
    assert.match(e.message, pattern);
    return true;
  });
}

/** rnnkit's loaded copy trains on exactly as the original does. */
async function resumesExactly(dir: string | ModelArtifacts, original: Model, x: Tensor | Tensor[], y: Tensor | Tensor[]): Promise<void> {
  const resumed = await loadModel(dir);
  await resumed.fit(x, y, { ...FIT, epochs: 2, initialEpoch: 1 });
  await original.fit(x, y, { ...FIT, epochs: 1 });
  assertSameWeights(resumed, original, 'resumed');
}

describe('the state goes to tfjs weight by weight in tfjs\'s order', () => {
  it('Embedding (frozen from the start) → Bidirectional(LSTM) → Dense: tfjs continues from the saved Adam state', async () => {
    const rng = new Rng(14);
    const ids = tensor(Float32Array.from({ length: B * T }, (_, i) => (i % T < T - ((i / T) % 3 | 0) ? 1 + rng.int(19) : 0)), [B, T]);
    const y = tensor(Float32Array.from({ length: B * 2 }, () => rng.uniformIn(-1, 1)), [B, 2]);
    const m = new Sequential({
      layers: [
        layers.embedding({ inputDim: 20, outputDim: 4, inputShape: [T], trainable: false }),
        layers.bidirectional({ layer: layers.lstm({ units: 3 }), mergeMode: 'concat' }),
        layers.dense({ units: 2 }),
      ],
    });
    randomizeWeights(m, 15);
    // ε = 1e-12: tfjs's Adam then takes the same steps (see the cases above)
    m.compile({ loss: 'mse', optimizer: optimizers.adam({ learningRate: 0.01, epsilon: 1e-12 }) });
    const { dir, saved } = await trained(m, ids, y);
    const names = saved.modelJson.weightsManifest[0]!.weights.map((w) => w.name).filter((n) => n.startsWith('optimizer/momentum/'));
    assert.ok(names.length === 8 && !names.some((n) => n.includes('embedding')), `per trainable weight, frozen ones left out: ${names.join(', ')}`);
    const theirs = await tfjsLoad(saved);
    const xs = tf.tensor(ids.data, [...ids.shape]);
    const ys = tf.tensor(y.data, [...y.shape]);
    await theirs.fit(xs, ys, { batchSize: FIT.batchSize, epochs: 1, shuffle: false, verbose: 0 });
    const resumed = await loadModel(dir);
    await resumed.fit(ids, y, { ...FIT, epochs: 2, initialEpoch: 1 });
    await m.fit(ids, y, { ...FIT, epochs: 1 });
    assertSameWeights(resumed, m, 'rnnkit resumed');
    // tfjs lists trainable weights first, then frozen ones
    const flags = m.weightTrainable();
    const ours = m.getWeights().map((w) => w.data);
    const gap = maxDiff(tfjsWeights(theirs), [...ours.filter((_, i) => flags[i]), ...ours.filter((_, i) => !flags[i])]);
    assert.ok(gap < 2e-6, `tfjs's epoch from the saved state is ${gap} from rnnkit's`);
    xs.dispose();
    ys.dispose();
    theirs.dispose();
  });
});

describe('what tfjs has not, it refuses by name; rnnkit still resumes exactly', () => {
  const refusals: { name: string; loss?: unknown; metrics?: unknown[]; optimizer?: () => Optimizer; kind?: 'regression' | 'binary'; pattern: RegExp; top: (tc: Record<string, unknown>) => void }[] = [
    { name: 'Huber loss', loss: 'huber', pattern: /Unknown loss Huber/, top: (tc) => assert.equal(tc['loss'], 'Huber') },
    { name: 'hinge (tfjs does not turn 0/1 labels into ±1)', loss: 'hinge', kind: 'binary', pattern: /Unknown loss Hinge/, top: (tc) => assert.equal(tc['loss'], 'Hinge') },
    { name: 'mse with reduction sum', loss: losses.meanSquaredError({ reduction: 'sum' }), pattern: /Unknown loss MeanSquaredError/, top: (tc) => assert.equal(tc['loss'], 'MeanSquaredError') },
    { name: 'a Precision metric (tfjs\'s counts exact 1s per batch)', metrics: [metrics.precision()], kind: 'binary', pattern: /Unknown metric Precision/, top: (tc) => assert.deepEqual(tc['metrics'], ['Precision']) },
    { name: 'a BinaryAccuracy with threshold 0.3', metrics: [metrics.binaryAccuracy({ threshold: 0.3 })], kind: 'binary', pattern: /Unknown metric BinaryAccuracy/, top: (tc) => assert.deepEqual(tc['metrics'], ['BinaryAccuracy']) },
    { name: 'Nadam', optimizer: () => optimizers.nadam(), pattern: /Nadam \(not in TensorFlow\.js\)/, top: () => {} },
    { name: 'Adam with clipnorm', optimizer: () => optimizers.adam({ clipnorm: 1 }), pattern: /Adam with clipnorm \(not in TensorFlow\.js\)/, top: () => {} },
    { name: 'SGD with momentum', optimizer: () => optimizers.sgd({ momentum: 0.9 }), pattern: /SGD with momentum/, top: () => {} },
    { name: 'centered RMSprop', optimizer: () => optimizers.rmsprop({ centered: true }), pattern: /RMSprop centered/, top: () => {} },
    { name: 'Adadelta', optimizer: () => optimizers.adadelta(), pattern: /Adadelta \(Keras rule/, top: () => {} },
    { name: 'Adamax (tfjs 4.22 cannot set its state)', optimizer: () => optimizers.adamax(), pattern: /setWeights\(\) is not implemented for Adamax/, top: () => {} },
  ];
  for (const r of refusals) {
    it(r.name, async () => {
      const { x, y } = data(r.kind ?? 'regression', 7);
      const m = net(r.kind === 'binary' ? 1 : 2, r.kind === 'binary' ? 'sigmoid' : 'linear');
      m.compile({ loss: (r.loss ?? 'mse') as 'mse', metrics: (r.metrics ?? []) as string[], optimizer: r.optimizer?.() ?? optimizers.adam() });
      const { dir, saved } = await trained(m, x, y);
      r.top(saved.modelJson.trainingConfig as unknown as Record<string, unknown>);
      await tfjsRefuses(saved, r.pattern);
      await resumesExactly(dir, m, x, y);
    });
  }

  it('a layer frozen after training keeps its optimizer state in rnnkit\'s form (tfjs refuses it)', async () => {
    const { x, y } = data('regression', 8);
    const m = net(2, 'linear');
    m.compile({ loss: 'mse', optimizer: optimizers.adam() });
    await m.fit(x, y, { ...FIT, epochs: 1 });
    m.layers[0]!.trainable = false;
    const { dir, saved } = await trained(m, x, y);
    await tfjsRefuses(saved, /Adam with state kept for frozen weights/);
    assert.ok(saved.modelJson.weightsManifest[0]!.weights.some((w) => w.name === 'optimizer/momentum'), 'each slot whole');
    m.layers[0]!.trainable = true;
    const resumed = await loadModel(dir);
    resumed.layers[0]!.trainable = true;
    await resumed.fit(x, y, { ...FIT, epochs: 1 });
    await m.fit(x, y, { ...FIT, epochs: 1 });
    assertSameWeights(resumed, m, 'unfrozen after loading');
  });
});

describe('graph models and older files', () => {
  function twoHeads(): Model {
    const inp = input({ shape: [T, 3], name: 'seq' });
    const h = layers.lstm({ units: 5, name: 'enc' }).apply(inp) as SymbolicTensor;
    const a = layers.dense({ units: 2, name: 'value' }).apply(h) as SymbolicTensor;
    const b = layers.dense({ units: 1, activation: 'sigmoid', name: 'flag' }).apply(h) as SymbolicTensor;
    const m = graphModel({ inputs: inp, outputs: [a, b] });
    randomizeWeights(m, 9);
    return m;
  }
  const reg = data('regression', 11);
  const bin = data('binary', 11);

  it('two outputs: tfjs compiles each output\'s loss and metrics; loss weights other than 1 are refused by tfjs', async () => {
    const m = twoHeads();
    m.compile({ loss: { value: 'mse', flag: 'binaryCrossentropy' }, metrics: { value: ['mae'], flag: ['accuracy'] }, optimizer: optimizers.rmsprop({ learningRate: 0.01 }) });
    const { dir, saved } = await trained(m, reg.x, [reg.y, bin.y]);
    const theirs = await tfjsLoad(saved);
    assert.deepEqual(theirs.loss, { value: 'meanSquaredError', flag: 'binaryCrossentropy' });
    assert.deepEqual(theirs.metrics, { value: ['mae'], flag: ['binaryAccuracy'] });
    theirs.dispose();
    await resumesExactly(dir, m, reg.x, [reg.y, bin.y]);

    const weighted = twoHeads();
    weighted.compile({ loss: ['mse', 'binaryCrossentropy'], lossWeights: [1, 0.5], optimizer: 'adam' });
    const w = await trained(weighted, reg.x, [reg.y, bin.y]);
    await tfjsRefuses(w.saved, /loss_weights is not supported/);
    await resumesExactly(w.dir, weighted, reg.x, [reg.y, bin.y]);
  });

  it('a file in the older form (rnnkit\'s objects at the top level, each slot whole) loads and resumes exactly', async () => {
    const { x, y } = data('regression', 12);
    const m = net(2, 'linear');
    m.compile({ loss: 'mse', metrics: ['mae'], optimizer: optimizers.adam({ learningRate: 0.01 }) });
    const { saved } = await trained(m, x, y);
    // what rnnkit 0.2.0 wrote: the training config in rnnkit's form, the state as optimizer/<slot>
    const state = m.optimizer!.getState();
    const paths = m.weightPaths();
    const { specs, data: bytes } = encodeWeights([
      ...m.weights.map((w, i) => ({ name: paths[i]!, shape: [...w.shape], data: w.value })),
      { name: 'optimizer/iterations', shape: [1], data: Float32Array.of(state.iterations), group: 'optimizer' },
      ...Object.entries(state.slots).map(([k, v]) => ({ name: `optimizer/${k}`, shape: [v.length], data: v, group: 'optimizer' })),
    ]);
    const older: ModelArtifacts = {
      modelJson: { ...saved.modelJson, trainingConfig: saved.modelJson.trainingConfig!.rnnkit!, weightsManifest: [{ paths: ['weights.bin'], weights: specs }] },
      weightData: bytes,
    };
    assert.deepEqual(older.modelJson.trainingConfig!.loss, { class_name: 'MeanSquaredError', config: { name: 'mean_squared_error', reduction: 'sum_over_batch_size' } });
    await resumesExactly(older, m, x, y);
  });

  it('a malformed per-weight state is refused by name', async () => {
    const { x, y } = data('regression', 13);
    const m = net(2, 'linear');
    m.compile({ loss: 'mse', optimizer: optimizers.adam() });
    const { saved } = await trained(m, x, y);
    const rename = (from: string, to: string): ModelArtifacts => ({
      ...saved,
      modelJson: { ...saved.modelJson, weightsManifest: [{ ...saved.modelJson.weightsManifest[0]!, weights: saved.modelJson.weightsManifest[0]!.weights.map((w) => (w.name === from ? { ...w, name: to } : w)) }] },
    });
    const bias = saved.modelJson.weightsManifest[0]!.weights.map((w) => w.name).find((n) => n.startsWith('optimizer/momentum/') && n.endsWith('/bias'))!;
    await assert.rejects(loadModel(rename(bias, 'optimizer/momentum/nothing')), /optimizer state 'optimizer\/momentum\/nothing' names no weight of the model/);
    await assert.rejects(loadModel(rename(bias, 'optimizer/extra/' + bias.slice('optimizer/momentum/'.length))), /state slots must be \[momentum, velocity\], got \[.*extra.*\]/);
  });
});

describe('the other way: a model tfjs saved with its optimizer', () => {
  /** rnnkit's model in tfjs, trained there one epoch with `optimizer`, saved by tfjs with its state. */
  async function savedByTfjs(optimizer: tf.Optimizer, x: Tensor, y: Tensor): Promise<{ theirs: tfl.LayersModel; artifacts: ModelArtifacts }> {
    const m = net(2, 'linear');
    const dir = await tempDir('tfjs-own');
    await m.save(dir);
    const theirs = await tfjsLoad(await readDir(dir));
    theirs.compile({ loss: 'meanSquaredError', optimizer });
    await theirs.fit(tf.tensor(x.data, [...x.shape]), tf.tensor(y.data, [...y.shape]), { batchSize: FIT.batchSize, epochs: 1, shuffle: false, verbose: 0 });
    let got: tf.io.ModelArtifacts | undefined;
    await theirs.save(tf.io.withSaveHandler(async (a) => ((got = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })), { includeOptimizer: true });
    const modelJson = { format: 'layers-model', generatedBy: got!.generatedBy!, convertedBy: null, modelTopology: got!.modelTopology, weightsManifest: [{ paths: [], weights: got!.weightSpecs! }], trainingConfig: got!.trainingConfig } as unknown as ModelJSON;
    return { theirs, artifacts: { modelJson, weightData: got!.weightData as ArrayBuffer } };
  }

  const cases: { name: string; make: () => tf.Optimizer; className: string; tol: number }[] = [
    { name: 'Adam (ε 1e-12)', make: () => tf.train.adam(0.01, 0.9, 0.999, 1e-12), className: 'Adam', tol: 2e-6 },
    { name: 'RMSProp with momentum', make: () => tf.train.rmsprop(0.01, 0.9, 0.5, 1e-7), className: 'RMSprop', tol: 2e-6 },
    { name: 'Adagrad', make: () => tf.train.adagrad(0.1), className: 'Adagrad', tol: 2e-6 },
  ];
  for (const c of cases) {
    it(`${c.name}: rnnkit reads tfjs's state and its next epoch lands where tfjs's does`, async () => {
      const { x, y } = data('regression', 16);
      const { theirs, artifacts } = await savedByTfjs(c.make(), x, y);
      const ours = await loadModel(artifacts);
      assert.equal(ours.optimizer!.className, c.className);
      assert.ok(ours.optimizer!.iterations > 0, 'the step count came too');
      await ours.fit(x, y, { ...FIT, epochs: 1 });
      await theirs.fit(tf.tensor(x.data, [...x.shape]), tf.tensor(y.data, [...y.shape]), { batchSize: FIT.batchSize, epochs: 1, shuffle: false, verbose: 0 });
      const gap = maxDiff(tfjsWeights(theirs), ours.getWeights().map((w) => w.data));
      // without the state (a fresh optimizer of the same config) rnnkit lands elsewhere
      const modelSpecs = artifacts.modelJson.weightsManifest[0]!.weights.filter((w) => w.group !== 'optimizer'); // tfjs writes them first
      const modelBytes = 4 * modelSpecs.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
      const fresh = await loadModel({ modelJson: { ...artifacts.modelJson, weightsManifest: [{ paths: [], weights: modelSpecs }] }, weightData: artifacts.weightData.slice(0, modelBytes) });
      await fresh.fit(x, y, { ...FIT, epochs: 1 });
      const freshGap = maxDiff(tfjsWeights(theirs), fresh.getWeights().map((w) => w.data));
      if (process.env.SHOW_GAPS) console.log(`tfjs → rnnkit ${c.name}: ${gap.toExponential(2)}, fresh ${freshGap.toExponential(2)}`);
      assert.ok(gap < c.tol && freshGap > 20 * gap, `rnnkit's epoch from tfjs's state is ${gap} from tfjs's (a fresh state: ${freshGap})`);
      theirs.dispose();
    });
  }

  it('a state whose tfjs rule differs from rnnkit\'s is refused by name, not dropped', async () => {
    const { x, y } = data('regression', 17);
    const { theirs, artifacts } = await savedByTfjs(tf.train.adadelta(1), x, y);
    theirs.dispose();
    await assert.rejects(loadModel(artifacts), /optimizer state TensorFlow\.js wrote .* is not read for Adadelta \(Keras rule/);
  });

  it("an optimizer rnnkit cannot rebuild (tfjs's Momentum) is refused, saying how to load without it; compile: false loads topology and weights", async () => {
    const { x, y } = data('regression', 18);
    const { theirs, artifacts } = await savedByTfjs(tf.train.momentum(0.01, 0.9), x, y);
    await assert.rejects(loadModel(artifacts), /unknown optimizer class "Momentum".*\{compile: false\}/s);
    const ours = await loadModel(artifacts, { compile: false });
    assert.equal(ours.optimizer, null);
    const want = (theirs.predict(tf.tensor(x.data, [...x.shape])) as tf.Tensor).dataSync();
    const got = ours.predict(x).data;
    assert.ok(maxDiff([Float32Array.from(want)], [got]) < 1e-5, 'the weights are tfjs\'s');
    theirs.dispose();
    await assert.rejects(loadModel(artifacts, { compile: 'no' as never }), /compile must be true or false/);
  });
});
