/**
 * Save / load in the TF.js layers-model format (issue 4): rnnkit ↔ rnnkit round trips for
 * every layer and option, rnnkit → tfjs (tf.loadLayersModel), tfjs (model.save) → rnnkit,
 * exact resume with the optimizer state, atomic saves under SIGKILL, modelCheckpoint,
 * every error message (with the good model left intact), and loading over http.
 */
import { after, before, describe, it, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { promises as fsPromises } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:http';
import { syncBuiltinESMExports } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  ModelFormatError,
  Sequential,
  type Model,
  callbacks,
  constraints,
  initializers,
  layers,
  loadModel,
  optimizers,
  regularizers,
  tensor,
  type Callback,
  type Layer,
  type ModelArtifacts,
  type ModelJSON,
  type Tensor,
} from '../src/index.js';
import { Rng } from '../src/core/rng.js';
import { TF_ZERO_INIT, initTfjs, tf, tfl } from './helpers/tfjs.js';
import {
  artifactsOf,
  assertClosePredictions,
  assertSameWeights,
  indexInput,
  randomInput,
  randomizeWeights,
  readSaved,
  removeTempDirs,
  spyInitializers,
  tempDir,
  tfjsArtifacts,
  tfjsLoadDir,
  tfjsModelJson,
  tfjsPredict,
} from './helpers/saving.js';

/** rnnkit → rnnkit: the same kernels on the same float32 weights. */
const SELF_TOL = 1e-6;
/** rnnkit ↔ tfjs: two float32 implementations. */
const TFJS_TOL = 1e-5;

before(async () => {
  await initTfjs();
});

after(async () => {
  await removeTempDirs();
});

// ---------------------------------------------------------------------------------------
// models
// ---------------------------------------------------------------------------------------

interface Case {
  name: string;
  model: () => Sequential;
  input: () => Tensor;
  /** Stateful models: reset the carried state before each predict. */
  stateful?: boolean;
}

/** Every layer, with regularizers, constraints and non-default options (rnnkit only: resetAfter true, Keras-3 hardSigmoid). */
const SELF_CASES: Case[] = [
  {
    name: 'Masking → SimpleRNN → LSTM (hardSigmoid, unitForgetBias false) → GRU resetAfter true → GRU resetAfter false → Dense',
    model: () =>
      new Sequential({
        name: 'recurrent_stack',
        layers: [
          layers.masking({ maskValue: 0.25, inputShape: [null, 3] }),
          layers.simpleRNN({
            units: 5,
            activation: 'relu',
            returnSequences: true,
            goBackwards: true,
            dropout: 0.1,
            recurrentDropout: 0.2,
            kernelRegularizer: regularizers.l1l2({ l1: 0.001, l2: 0.002 }),
            biasConstraint: constraints.nonNeg(),
            kernelInitializer: initializers.heNormal({ seed: 5 }),
            seed: 11,
          }),
          layers.lstm({
            units: 4,
            recurrentActivation: 'hardSigmoid',
            unitForgetBias: false,
            activation: 'softsign',
            returnSequences: true,
            recurrentRegularizer: regularizers.l2({ l2: 0.01 }),
            recurrentConstraint: constraints.maxNorm({ maxValue: 1.5, axis: 0 }),
            biasInitializer: initializers.constant({ value: 0.1 }),
            recurrentInitializer: initializers.orthogonal({ gain: 0.9, seed: 3 }),
          }),
          layers.gru({ units: 3, resetAfter: true, returnSequences: true, biasRegularizer: regularizers.l1({ l1: 0.003 }), kernelConstraint: constraints.unitNorm({ axis: 0 }) }),
          layers.gru({ units: 4, resetAfter: false, recurrentActivation: 'hardSigmoid', useBias: false, implementation: 1 }),
          layers.dense({ units: 3, activation: 'softmax', kernelConstraint: constraints.minMaxNorm({ minValue: 0.1, maxValue: 2, rate: 0.5 }), biasRegularizer: regularizers.l2({ l2: 0.1 }) }),
        ],
      }),
    input: () => {
      const x = randomInput([5, 6, 3], 21);
      // masked steps: every feature equal to maskValue
      for (const [b, t] of [[0, 5], [1, 2], [3, 0], [3, 1]] as const) for (let f = 0; f < 3; f++) x.data[(b * 6 + t) * 3 + f] = 0.25;
      return x;
    },
  },
  {
    name: 'Embedding (maskZero) → Bidirectional ×4 (each mergeMode) → Dropout → Dense → RepeatVector → TimeDistributed → Activation → Flatten → Dense',
    model: () =>
      new Sequential({
        layers: [
          layers.embedding({ inputDim: 12, outputDim: 4, inputShape: [7], maskZero: true, embeddingsRegularizer: regularizers.l2({ l2: 1e-3 }), embeddingsConstraint: constraints.maxNorm({ maxValue: 3 }) }),
          layers.bidirectional({ layer: layers.lstm({ units: 3, returnSequences: true, unitForgetBias: false }), mergeMode: 'concat' }),
          layers.bidirectional({ layer: layers.gru({ units: 3, returnSequences: true, resetAfter: true, kernelRegularizer: regularizers.l1({ l1: 0.01 }) }), mergeMode: 'sum' }),
          layers.bidirectional({ layer: layers.simpleRNN({ units: 3, returnSequences: true, activation: 'elu' }), mergeMode: 'mul' }),
          layers.bidirectional({ layer: layers.gru({ units: 2, resetAfter: false, goBackwards: true }), mergeMode: 'ave' }),
          layers.dropout({ rate: 0.3, seed: 9 }),
          layers.dense({ units: 3, activation: 'tanh', useBias: false }),
          layers.repeatVector({ n: 4 }),
          layers.timeDistributed({ layer: layers.dense({ units: 2, activation: 'swish', kernelRegularizer: regularizers.l2({ l2: 0.05 }) }) }),
          layers.activation({ activation: 'selu' }),
          layers.flatten(),
          layers.dense({ units: 1, activation: 'sigmoid' }),
        ],
      }),
    input: () => indexInput(6, 7, 12, 22),
  },
  {
    name: 'stateful LSTM (fixed batch) → Dense → Dropout (noiseShape) → RepeatVector → TimeDistributed(Dense) → Flatten',
    stateful: true,
    model: () =>
      new Sequential({
        layers: [
          layers.lstm({ units: 3, batchInputShape: [2, 3, 5], stateful: true, recurrentActivation: 'sigmoid', kernelInitializer: 'lecunUniform' }),
          layers.dense({ units: 4, activation: 'softplus', kernelInitializer: initializers.randomNormal({ mean: 0.1, stddev: 0.3, seed: 1 }) }),
          layers.dropout({ rate: 0.5, noiseShape: [null, 1] }),
          layers.repeatVector({ n: 3 }),
          layers.timeDistributed({ layer: layers.dense({ units: 2, biasConstraint: constraints.nonNeg() }) }),
          layers.flatten(),
        ],
      }),
    input: () => randomInput([4, 3, 5], 23),
  },
];

function predictWith(model: Model, x: Tensor, c: { stateful?: boolean }): Tensor {
  if (c.stateful) model.resetStates();
  return model.predict(x, c.stateful ? { batchSize: 2 } : {});
}

function layerConfigs(model: Model): unknown[] {
  return model.layers.map((l: Layer) => ({ className: l.className, config: l.getConfig() }));
}

async function checkLoaded(loaded: Model, original: Model, c: Case, what: string): Promise<void> {
  assert.deepEqual(layerConfigs(loaded), layerConfigs(original), `${what}: layer configs`);
  assert.equal(loaded.name, original.name, `${what}: model name`);
  assertSameWeights(loaded, original, what);
  const x = c.input();
  assertClosePredictions(predictWith(loaded, x, c), predictWith(original, x, c), SELF_TOL, `${what}: predictions`);
}

/** Load under the initializer spy: loading must take every weight from the file. */
async function loadWithoutInit<T>(load: () => Promise<T>): Promise<T> {
  const spy = spyInitializers();
  let loaded: T;
  try {
    loaded = await load();
  } finally {
    spy.restore();
  }
  assert.equal(spy.calls, 0, `loading ran ${spy.calls} initializer(s); weights must come from the file`);
  return loaded;
}

// ---------------------------------------------------------------------------------------
// 1. rnnkit → rnnkit
// ---------------------------------------------------------------------------------------

describe('save → loadModel round trips (rnnkit)', () => {
  for (const [i, c] of SELF_CASES.entries()) {
    it(`directory: ${c.name}`, async () => {
      const model = c.model();
      randomizeWeights(model, 100 + i);
      const dir = await tempDir('roundtrip');
      await model.save(dir);
      const files = (await readdir(dir)).sort();
      assert.equal(files.length, 2, `model.json and one weights file, got ${files.join(', ')}`);
      assert.equal(files[0], 'model.json');
      assert.match(files[1]!, /^weights-[a-z0-9]+\.bin$/);
      const { json } = await readSaved(dir);
      assert.equal(json.format, 'layers-model');
      assert.equal((json.modelTopology as { class_name: string }).class_name, 'Sequential');
      const loaded = await loadWithoutInit(() => loadModel(dir));
      await checkLoaded(loaded, model, c, c.name);
    });

    it(`in-memory handler and file:// URLs: ${c.name}`, async () => {
      const model = c.model();
      randomizeWeights(model, 200 + i);
      const a = await artifactsOf(model);
      assert.deepEqual(a.modelJson.weightsManifest.flatMap((g) => g.paths), ['weights.bin']);
      const loaded = await loadWithoutInit(() => loadModel({ modelJson: a.modelJson, weightData: a.weightData }));
      await checkLoaded(loaded, model, c, `${c.name} (handler)`);
      // model.json as text, as a browser store would hold it
      const fromText = await loadModel({ modelJson: JSON.stringify(a.modelJson), weightData: a.weightData });
      await checkLoaded(fromText, model, c, `${c.name} (handler, JSON text)`);
      // file:// URLs for both save and load
      const dir = await tempDir('fileurl');
      await model.save(pathToFileURL(join(dir, 'sub dir')).href);
      const viaUrl = await loadModel(pathToFileURL(join(dir, 'sub dir', 'model.json')).href);
      await checkLoaded(viaUrl, model, c, `${c.name} (file:// URL)`);
    });
  }

  it('the initializer spy sees initializers run when a model is built (so zero calls on load means something)', () => {
    const spy = spyInitializers();
    try {
      SELF_CASES[0]!.model();
    } finally {
      spy.restore();
    }
    assert.ok(spy.calls >= 10, `building ran ${spy.calls} initializers`);
  });

  it('does not run a large orthogonal initializer on load (counted, not timed)', async () => {
    // Orthogonal on a [256, 1024] recurrent kernel is a Gram–Schmidt over 256 columns of 1024:
    // building runs it, loading must take the weights from the file instead. Counted with the
    // initializer spy rather than timed, so a busy machine cannot fail it.
    const spy = spyInitializers();
    let model: Sequential;
    try {
      model = new Sequential({ layers: [layers.lstm({ units: 256, inputShape: [2, 4], seed: 1 })] });
    } finally {
      spy.restore();
    }
    assert.ok(spy.calls >= 3, `building ran ${spy.calls} initializers (kernel, recurrent kernel, bias)`);
    const loaded = await loadWithoutInit(async () => loadModel(await artifactsOf(model)));
    assertSameWeights(loaded, model, 'large LSTM');
  });

  it('writes Keras-style snake_case names, activation values included', async () => {
    const model = SELF_CASES[0]!.model();
    const { modelJson } = await artifactsOf(model);
    const lstm = (modelJson.modelTopology as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } }).config.layers.find((l) => l.class_name === 'LSTM')!;
    // Keras 3's hard sigmoid has no tfjs name: written so that tfjs refuses it rather than computing its own.
    assert.equal(lstm.config.recurrent_activation, 'hard_sigmoid_keras3');
    assert.equal(lstm.config.unit_forget_bias, false);
    assert.deepEqual(lstm.config.recurrent_constraint, { class_name: 'MaxNorm', config: { max_value: 1.5, axis: 0 } });
    assert.equal(lstm.config.recurrentActivation, undefined);
  });
});

// ---------------------------------------------------------------------------------------
// 2. rnnkit → tfjs
// ---------------------------------------------------------------------------------------

/** Layers and options tfjs runs the same way (sigmoid recurrent activation, GRU resetAfter false). */
const TFJS_CASES: Case[] = [
  {
    name: 'Masking → SimpleRNN (goBackwards) → LSTM → GRU → Dense(softmax)',
    model: () =>
      new Sequential({
        layers: [
          layers.masking({ maskValue: 0, inputShape: [6, 3] }),
          layers.simpleRNN({ units: 5, activation: 'relu', returnSequences: true, goBackwards: true, kernelRegularizer: regularizers.l1l2({ l1: 0, l2: 0.01 }) }),
          layers.lstm({ units: 4, recurrentActivation: 'sigmoid', unitForgetBias: false, returnSequences: true, recurrentConstraint: constraints.maxNorm({ maxValue: 2 }) }),
          layers.gru({ units: 3, resetAfter: false, activation: 'softsign' }),
          layers.dense({ units: 2, activation: 'softmax' }),
        ],
      }),
    input: () => {
      const x = randomInput([4, 6, 3], 31);
      for (const [b, t] of [[0, 5], [1, 4], [1, 5], [2, 0], [3, 2]] as const) for (let f = 0; f < 3; f++) x.data[(b * 6 + t) * 3 + f] = 0;
      return x;
    },
  },
  {
    name: 'Embedding (maskZero) → Bidirectional concat/sum/mul → Bidirectional ave (last step)',
    model: () =>
      new Sequential({
        layers: [
          layers.embedding({ inputDim: 12, outputDim: 4, inputShape: [7], maskZero: true }),
          layers.bidirectional({ layer: layers.lstm({ units: 3, returnSequences: true }), mergeMode: 'concat' }),
          layers.bidirectional({ layer: layers.gru({ units: 3, returnSequences: true, resetAfter: false }), mergeMode: 'sum' }),
          layers.bidirectional({ layer: layers.simpleRNN({ units: 3, returnSequences: true }), mergeMode: 'mul' }),
          layers.bidirectional({ layer: layers.lstm({ units: 2 }), mergeMode: 'ave' }),
          layers.dense({ units: 2 }),
        ],
      }),
    input: () => indexInput(6, 7, 12, 32),
  },
  {
    name: 'LSTM and GRU with the legacy hard sigmoid (tfjs defaults), written as tfjs names it',
    model: () =>
      new Sequential({
        layers: [
          layers.lstm({ units: 4, inputShape: [5, 3], recurrentActivation: 'hardSigmoidLegacy', unitForgetBias: false, returnSequences: true }),
          layers.gru({ units: 3, recurrentActivation: 'hardSigmoidLegacy', resetAfter: false }),
          layers.dense({ units: 2, activation: 'hardSigmoidLegacy' }),
        ],
      }),
    input: () => randomInput([4, 5, 3], 34, -3, 3),
  },
  {
    name: 'Dense → Dropout → RepeatVector → GRU → TimeDistributed(Dense) → Activation → Flatten → Dense',
    model: () =>
      new Sequential({
        layers: [
          layers.dense({ units: 4, inputShape: [5], activation: 'elu' }),
          layers.dropout({ rate: 0.4 }),
          layers.repeatVector({ n: 3 }),
          layers.gru({ units: 3, resetAfter: false, returnSequences: true }),
          layers.timeDistributed({ layer: layers.dense({ units: 2, activation: 'tanh' }) }),
          layers.activation({ activation: 'selu' }),
          layers.flatten(),
          layers.dense({ units: 3, activation: 'sigmoid' }),
        ],
      }),
    input: () => randomInput([4, 5], 33),
  },
];

describe('rnnkit save → tf.loadLayersModel (tfjs 4.22)', () => {
  for (const [i, c] of TFJS_CASES.entries()) {
    it(c.name, async () => {
      const model = c.model();
      randomizeWeights(model, 300 + i);
      const dir = await tempDir('to-tfjs');
      await model.save(dir);
      const theirs = await tfjsLoadDir(dir);
      try {
        assert.deepEqual(
          theirs.layers.map((l) => l.getClassName()),
          model.layers.map((l) => l.className),
        );
        const x = c.input();
        const ours = model.predict(x);
        const got = tfjsPredict(theirs, x);
        assert.deepEqual([x.shape[0], ...(theirs.outputs[0]!.shape.slice(1) as number[])], ours.shape);
        assertClosePredictions(tensor(got, ours.shape), ours, TFJS_TOL, `${c.name}: tfjs vs rnnkit`);
      } finally {
        theirs.dispose();
      }
    });
  }
});

// ---------------------------------------------------------------------------------------
// 3. tfjs → rnnkit
// ---------------------------------------------------------------------------------------

interface TfCase {
  name: string;
  /** Built with tfjs defaults except zero initializers (see helpers/tfjs.ts); weights are randomized after. */
  model: () => tfl.Sequential;
  input: () => Tensor;
}

const TF_CASES: TfCase[] = [
  {
    name: 'LSTM → GRU → SimpleRNN → Dense (tfjs defaults: hard_sigmoid recurrent activation)',
    model: () =>
      tfl.sequential({
        layers: [
          tfl.layers.lstm({ units: 4, inputShape: [5, 3], returnSequences: true, ...TF_ZERO_INIT }),
          tfl.layers.gru({ units: 3, returnSequences: true, ...TF_ZERO_INIT }),
          tfl.layers.simpleRNN({ units: 3, ...TF_ZERO_INIT }),
          tfl.layers.dense({ units: 2, activation: 'softmax' }),
        ],
      }),
    input: () => randomInput([3, 5, 3], 41, -3, 3),
  },
  {
    name: 'Embedding (maskZero) → Bidirectional(LSTM) → TimeDistributed(Dense) → GRU → Dense',
    model: () =>
      tfl.sequential({
        layers: [
          tfl.layers.embedding({ inputDim: 10, outputDim: 4, inputShape: [6], maskZero: true }),
          tfl.layers.bidirectional({ layer: tfl.layers.lstm({ units: 3, returnSequences: true, ...TF_ZERO_INIT }) as never, mergeMode: 'sum' }),
          tfl.layers.timeDistributed({ layer: tfl.layers.dense({ units: 2, activation: 'relu' }) }),
          tfl.layers.gru({ units: 3, ...TF_ZERO_INIT }),
          tfl.layers.dense({ units: 1 }),
        ],
      }),
    input: () => indexInput(5, 6, 10, 42),
  },
  {
    name: 'Masking → SimpleRNN → Dropout → Activation → Dense; Dense → RepeatVector → Flatten',
    model: () =>
      tfl.sequential({
        layers: [
          tfl.layers.masking({ maskValue: 0, inputShape: [4, 3] }),
          tfl.layers.simpleRNN({ units: 4, ...TF_ZERO_INIT }),
          tfl.layers.dropout({ rate: 0.5 }),
          tfl.layers.activation({ activation: 'tanh' }),
          tfl.layers.dense({ units: 3 }),
          tfl.layers.repeatVector({ n: 2 }),
          tfl.layers.flatten(),
          tfl.layers.dense({ units: 2, activation: 'sigmoid' }),
        ],
      }),
    input: () => {
      const x = randomInput([3, 4, 3], 43);
      for (let f = 0; f < 3; f++) x.data[(1 * 4 + 3) * 3 + f] = 0;
      return x;
    },
  },
];

function randomizeTf(model: tfl.Sequential, seed: number): void {
  const rng = new Rng(seed);
  tf.tidy(() => model.setWeights(model.getWeights().map((w) => tf.tensor(Float32Array.from({ length: w.size }, () => rng.uniformIn(-0.8, 0.8)), w.shape))));
}

describe('tfjs model.save → rnnkit loadModel (tfjs dialect)', () => {
  for (const [i, c] of TF_CASES.entries()) {
    it(c.name, async () => {
      const theirs = c.model();
      try {
        randomizeTf(theirs, 400 + i);
        const saved = await tfjsArtifacts(theirs);
        assert.match(String((saved.modelTopology as { keras_version?: string }).keras_version), /^tfjs-layers/);
        const { modelJson, weightData } = tfjsModelJson(saved);
        const x = c.input();
        const expected = tfjsPredict(theirs, x);
        const ours = await loadWithoutInit(() => loadModel({ modelJson, weightData }));
        const got = ours.predict(x);
        assertClosePredictions(got, tensor(expected, got.shape), TFJS_TOL, `${c.name}: rnnkit vs tfjs`);
        // the same files on disk
        const dir = await tempDir('from-tfjs');
        await writeFile(join(dir, 'model.json'), JSON.stringify(modelJson));
        await writeFile(join(dir, 'weights.bin'), new Uint8Array(weightData));
        assertClosePredictions((await loadModel(dir)).predict(x), got, 0, `${c.name}: from disk`);
        // re-saved by rnnkit, it still computes what tfjs does
        const again = await loadModel(await artifactsOf(ours));
        assertClosePredictions(again.predict(x), got, 0, `${c.name}: loaded from tfjs, saved and loaded by rnnkit`);
        // tfjs defaults were applied: hard_sigmoid is tfjs's 0.2x + 0.5
        for (const l of ours.layers) {
          const cfg = l.getConfig();
          if (l.className === 'LSTM' || l.className === 'GRU') {
            assert.equal(cfg.recurrentActivation, 'hardSigmoidLegacy', `${l.name}: recurrentActivation`);
            if (l.className === 'GRU') assert.equal(cfg.resetAfter, false);
          }
        }
      } finally {
        theirs.dispose();
      }
    });
  }

  it('a Keras 2.0/2.1-era Sequential config (a bare list of layers) loads as its {name, layers} form does', async () => {
    const c = TF_CASES[0]!;
    const theirs = c.model();
    try {
      randomizeTf(theirs, 401);
      const { modelJson, weightData } = tfjsModelJson(await tfjsArtifacts(theirs));
      const x = c.input();
      const bare = structuredClone(modelJson);
      const topology = bare.modelTopology as { model_config?: { config: unknown }; config?: unknown };
      const holder = (topology.model_config ?? topology) as { config: { layers: unknown[] } | unknown[] };
      holder.config = (holder.config as { layers: unknown[] }).layers;
      const want = (await loadModel({ modelJson, weightData })).predict(x);
      assertClosePredictions((await loadModel({ modelJson: bare, weightData })).predict(x), want, 0, 'bare list');
    } finally {
      theirs.dispose();
    }
  });

  it('a Keras 2.0-era GRU config (no reset_after key) computes reset before the recurrent product, as Keras before 2.1.3 did', async () => {
    const c = TF_CASES[0]!; // its GRU is tfjs's, which is reset_after false
    const theirs = c.model();
    try {
      randomizeTf(theirs, 402);
      const { modelJson, weightData } = tfjsModelJson(await tfjsArtifacts(theirs));
      const x = c.input();
      const old = structuredClone(modelJson);
      const top = old.modelTopology as { keras_version: string; model_config?: { config: { layers: { class_name: string; config: Record<string, unknown> }[] } }; config?: { layers: { class_name: string; config: Record<string, unknown> }[] } };
      top.keras_version = '2.0.8';
      old.generatedBy = 'keras v2.0.8';
      let grus = 0;
      for (const l of (top.model_config ?? top).config!.layers) {
        if (l.class_name === 'GRU') grus += Number(delete l.config.reset_after);
      }
      assert.equal(grus, 1);
      // the same numbers as the tfjs file, which the tests above hold to tfjs's own predictions
      const want = (await loadModel({ modelJson, weightData })).predict(x);
      assertClosePredictions((await loadModel({ modelJson: old, weightData })).predict(x), want, 0, 'Keras 2.0 GRU');
    } finally {
      theirs.dispose();
    }
  });

  it('reading the tfjs file as Keras 3 (hard_sigmoid = x/6 + 0.5) would change the predictions: the dialect matters', async () => {
    const c = TF_CASES[0]!;
    const theirs = c.model();
    try {
      randomizeTf(theirs, 400);
      const { modelJson, weightData } = tfjsModelJson(await tfjsArtifacts(theirs));
      const x = c.input();
      const expected = tfjsPredict(theirs, x);
      const asKeras3 = structuredClone(modelJson);
      (asKeras3.modelTopology as { keras_version: string }).keras_version = '3.4.1';
      asKeras3.generatedBy = 'keras';
      const wrong = (await loadModel({ modelJson: asKeras3, weightData })).predict(x);
      const maxDiff = Math.max(...Array.from(wrong.data, (v, k) => Math.abs(v - expected[k]!)));
      assert.ok(maxDiff > 100 * TFJS_TOL, `Keras-3 reading differs by only ${maxDiff}`);
    } finally {
      theirs.dispose();
    }
  });
});

// ---------------------------------------------------------------------------------------
// 4. resume
// ---------------------------------------------------------------------------------------

function resumeData(n: number, phase = 0): { x: Tensor; y: Tensor } {
  const xs = Float32Array.from({ length: n * 4 * 2 }, (_, i) => Math.sin(i * 1.37 + phase));
  const ys = Float32Array.from({ length: n }, (_, i) => xs[i * 8]! * 0.5 + xs[i * 8 + 3]! - xs[i * 8 + 6]!);
  return { x: tensor(xs, [n, 4, 2]), y: tensor(ys, [n, 1]) };
}

function resumeModel(learningRate = 0.01): Sequential {
  const m = new Sequential({
    layers: [
      layers.lstm({ units: 6, inputShape: [4, 2], seed: 3, returnSequences: true, kernelRegularizer: regularizers.l2({ l2: 1e-3 }) }),
      layers.gru({ units: 4, seed: 5, recurrentConstraint: constraints.maxNorm({ maxValue: 1 }) }),
      layers.dense({ units: 1, seed: 4 }),
    ],
  });
  m.compile({ optimizer: optimizers.adam({ learningRate }), loss: 'meanSquaredError', metrics: ['mae'] });
  return m;
}

const FIT = { batchSize: 8, shuffle: true, seed: 1234, verbose: 0 } as const;

describe('resume: 2 epochs, save with the optimizer, load, 2 more = 4 straight', () => {
  it('losses and final weights are bitwise equal', async () => {
    const { x, y } = resumeData(44); // 6 batches, the last one short
    const straight = resumeModel();
    const h = await straight.fit(x, y, { ...FIT, epochs: 4 });

    const first = resumeModel();
    const h1 = await first.fit(x, y, { ...FIT, epochs: 2 });
    const dir = await tempDir('resume');
    await first.save(dir, { includeOptimizer: true });
    const resumed = await loadModel(dir);
    assert.equal(resumed.optimizer?.className, 'Adam');
    assert.deepEqual(resumed.optimizer!.getConfig(), first.optimizer!.getConfig());
    assert.equal(resumed.optimizer!.iterations, 12);
    assert.deepEqual(resumed.metricNames(), ['mae']);
    const h2 = await resumed.fit(x, y, { ...FIT, initialEpoch: 2, epochs: 4 });

    const losses = [...h1.history.loss!, ...h2.history.loss!];
    assert.deepEqual(losses, h.history.loss, 'per-epoch losses');
    assert.deepEqual([...h1.history.mae!, ...h2.history.mae!], h.history.mae, 'per-epoch mae');
    assertSameWeights(resumed, straight, 'weights after 4 epochs');

    // Without the optimizer state the run diverges (so the test above can fail).
    await first.save(dir); // overwrites, no optimizer
    assert.equal((await readdir(dir)).length, 2, 'a second save replaces the first one’s weights file');
    const fresh = await loadModel(dir);
    assert.equal(fresh.optimizer, null, 'no trainingConfig without includeOptimizer');
    fresh.compile({ optimizer: optimizers.adam({ learningRate: 0.01 }), loss: 'meanSquaredError' });
    const h3 = await fresh.fit(x, y, { ...FIT, initialEpoch: 2, epochs: 4 });
    assert.notDeepEqual(h3.history.loss, h2.history.loss);
  });
});

describe('resume with every optimizer and its options', () => {
  const cases: [string, () => Parameters<Sequential['compile']>[0]['optimizer']][] = [
    ['SGD, Nesterov momentum', () => optimizers.sgd({ learningRate: 0.05, momentum: 0.9, nesterov: true })],
    ['RMSprop, centered, momentum', () => optimizers.rmsprop({ learningRate: 0.01, momentum: 0.5, centered: true })],
    ['Adagrad', () => optimizers.adagrad({ learningRate: 0.1 })],
    ['AdamW', () => optimizers.adamw({ learningRate: 0.01, weightDecay: 0.01 })],
    ['Adam, amsgrad, clipnorm', () => optimizers.adam({ learningRate: 0.01, amsgrad: true, clipnorm: 0.5 })],
  ];
  for (const [name, optimizer] of cases) {
    it(name, async () => {
      const { x, y } = resumeData(40);
      const make = (): Sequential => {
        const m = new Sequential({ layers: [layers.lstm({ units: 5, inputShape: [4, 2], seed: 1 }), layers.dense({ units: 1, seed: 2 })] });
        m.compile({ optimizer: optimizer(), loss: 'meanSquaredError' });
        return m;
      };
      const straight = make();
      const h = await straight.fit(x, y, { ...FIT, epochs: 4 });
      const first = make();
      const h1 = await first.fit(x, y, { ...FIT, epochs: 2 });
      const a = await artifactsOf(first, true);
      const resumed = await loadModel({ modelJson: JSON.stringify(a.modelJson), weightData: a.weightData }); // as stored: JSON text
      assert.deepEqual(resumed.optimizer!.getConfig(), straight.optimizer!.getConfig());
      const h2 = await resumed.fit(x, y, { ...FIT, initialEpoch: 2, epochs: 4 });
      assert.deepEqual([...h1.history.loss!, ...h2.history.loss!], h.history.loss);
      assertSameWeights(resumed, straight, name);
    });
  }

  it('a model with Dropout and recurrent dropout', async () => {
    const { x, y } = resumeData(40);
    const make = (): Sequential => {
      const m = new Sequential({
        layers: [layers.lstm({ units: 5, inputShape: [4, 2], seed: 1, dropout: 0.2, recurrentDropout: 0.2 }), layers.dropout({ rate: 0.3, seed: 3 }), layers.dense({ units: 1, seed: 2 })],
      });
      m.compile({ optimizer: optimizers.adam({ learningRate: 0.01 }), loss: 'meanSquaredError' });
      return m;
    };
    const straight = make();
    const h = await straight.fit(x, y, { ...FIT, epochs: 4 });
    const first = make();
    const h1 = await first.fit(x, y, { ...FIT, epochs: 2 });
    const resumed = await loadModel(await artifactsOf(first, true));
    const h2 = await resumed.fit(x, y, { ...FIT, initialEpoch: 2, epochs: 4 });
    assert.deepEqual([...h1.history.loss!, ...h2.history.loss!], h.history.loss);
  });
});

// ---------------------------------------------------------------------------------------
// 5. SIGKILL while saving
// ---------------------------------------------------------------------------------------

const SAVE_LOOP = fileURLToPath(new URL('./helpers/saveLoop.ts', import.meta.url));

/** What save k of helpers/saveLoop.ts writes: the LSTM's units and every weight value. */
const unitsFor = (k: number): number => (k % 2 === 1 ? 257 : 256);
const patternValue = (k: number, i: number): number => k + (i % 8) / 16;

describe('kill test: SIGKILL at random moments while a child saves in a loop', () => {
  it('the directory always loads, with the model of one complete save', async (t) => {
    const dir = await tempDir('kill');
    const rng = new Rng(2024);
    // On a loaded machine a child takes seconds to start (over 12 s at load 17, with the test
    // files running two at a time): the kills wait for it (see below), so the deadline only
    // bounds a run that goes wrong, and must leave room for the 5 checks asserted below.
    const deadline = performance.now() + 240_000;
    let tries = 0;
    let checked = 0;
    const seenK: number[] = [];
    while (tries < 20 && checked < 8 && performance.now() < deadline) {
      tries++;
      const child = spawn(process.execPath, ['--import', 'tsx', SAVE_LOOP, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
      // Wait for the loop to start (the first try) or to finish its first, second or third
      // save (the others: on a loaded machine a save can take longer than the random delay,
      // and waiting for a later save keeps kills landing past the first), then kill at a
      // random moment: the first try usually before any save completes, the others anywhere
      // in the next dozen saves (one every ~15 ms on an idle machine).
      let out = '';
      const reached = (what: string): Promise<boolean> =>
        Promise.race([
          new Promise<boolean>((resolve) => {
            const onData = (d: Buffer): void => {
              out += d.toString();
              if (out.includes(what)) {
                child.stdout.off('data', onData);
                resolve(true);
              }
            };
            child.stdout.on('data', onData);
          }),
          exited.then(() => false),
        ]);
      const started = await reached(tries === 1 ? 'started' : `saved ${1 + rng.int(3)}\n`);
      assert.ok(started, `the child exited before starting: ${stderr}`);
      const delay = tries === 1 ? rng.int(20) : rng.int(170);
      await new Promise((r) => setTimeout(r, delay));
      assert.equal(child.exitCode, null, `the child stopped on its own: ${stderr}`);
      child.kill('SIGKILL');
      const { signal } = await exited;
      assert.equal(signal, 'SIGKILL');

      const files = await readdir(dir);
      if (!files.includes('model.json')) {
        assert.ok(checked === 0, 'model.json disappeared after it had existed');
        continue; // killed before the first save completed
      }
      const model = await loadModel(dir);
      const ws = model.getWeights();
      const k = ws[0]!.data[0]!;
      assert.ok(Number.isInteger(k) && k >= 1, `first weight ${k} is the start of a save's pattern`);
      assert.equal((model.layers[0] as unknown as { units: number }).units, unitsFor(k), `save ${k}: model.json of another save`);
      for (const [wi, w] of ws.entries()) {
        for (let i = 0; i < w.data.length; i++) {
          if (w.data[i] !== patternValue(k, i)) assert.fail(`weight ${wi}[${i}] = ${w.data[i]}, but save ${k} wrote ${patternValue(k, i)}: weights of two saves are mixed`);
        }
      }
      seenK.push(k);
      checked++;
    }
    t.diagnostic(`${tries} kills, ${checked} checked; the saves found on disk: ${seenK.join(', ')}`);
    assert.ok(checked >= 5, `only ${checked} of ${tries} tries found a model to check`);
    assert.ok(seenK.some((k) => k > 1), `kills all landed before a second save (k: ${seenK.join(', ')})`);
  });
});

// ---------------------------------------------------------------------------------------
// 6. modelCheckpoint
// ---------------------------------------------------------------------------------------

/** Records the weights at each epoch end (before the checkpoint callback saves them). */
function snapshotter(model: Model): { cb: Callback; at: Tensor[][] } {
  const at: Tensor[][] = [];
  return { at, cb: { onEpochEnd: () => void at.push(model.getWeights()) } };
}

function checkpointModel(): Sequential {
  const m = new Sequential({ layers: [layers.gru({ units: 6, inputShape: [4, 2], seed: 3 }), layers.dense({ units: 1, seed: 4 })] });
  m.compile({ optimizer: optimizers.adam({ learningRate: 0.05 }), loss: 'meanSquaredError' });
  return m;
}

describe('callbacks.modelCheckpoint', () => {
  const train = resumeData(48);
  const val = resumeData(16, 0.5);

  it('templated paths ({epoch:02d}, {val_loss:.2f}): one directory per epoch, each with that epoch’s model', async () => {
    const root = await tempDir('ckpt-template');
    const model = checkpointModel();
    const snap = snapshotter(model);
    const h = await model.fit(train.x, train.y, {
      ...FIT,
      epochs: 3,
      validationData: [val.x, val.y],
      callbacks: [snap.cb, callbacks.modelCheckpoint({ filepath: join(root, 'ep{epoch:02d}-vl{val_loss:.2f}') })],
    });
    const expected = h.history.val_loss!.map((v, e) => `ep${String(e + 1).padStart(2, '0')}-vl${v.toFixed(2)}`);
    assert.deepEqual((await readdir(root)).sort(), expected.sort());
    for (const [e, name] of expected.entries()) {
      const loaded = await loadModel(join(root, name));
      loaded.getWeights().forEach((w, i) => assert.deepEqual(w.data, snap.at[e]![i]!.data, `${name}: weight ${i}`));
      assert.equal(loaded.optimizer?.iterations, 6 * (e + 1), `${name}: optimizer iterations saved`);
    }
  });

  it('saveBestOnly on val_loss: only improving epochs are saved; a fixed path holds the best epoch', async () => {
    const root = await tempDir('ckpt-best');
    const model = checkpointModel();
    const snap = snapshotter(model);
    const h = await model.fit(train.x, train.y, {
      ...FIT,
      epochs: 8,
      validationData: [val.x, val.y],
      callbacks: [
        snap.cb,
        callbacks.modelCheckpoint({ filepath: join(root, 'improved-{epoch:02d}'), monitor: 'val_loss', saveBestOnly: true }),
        callbacks.modelCheckpoint({ filepath: join(root, 'best'), monitor: 'val_loss', saveBestOnly: true, mode: 'min' }),
        callbacks.modelCheckpoint({ filepath: join(root, 'worst'), monitor: 'val_loss', saveBestOnly: true, mode: 'max' }),
      ],
    });
    const vl = h.history.val_loss!;
    const improving: number[] = [];
    let best = Infinity;
    vl.forEach((v, e) => {
      if (v < best) {
        best = v;
        improving.push(e + 1);
      }
    });
    assert.ok(improving.length >= 2 && improving.length < vl.length, `val_loss ${vl.map((v) => v.toFixed(4)).join(', ')} should both improve and not (a test that exercises the choice)`);
    const dirs = (await readdir(root)).sort();
    assert.deepEqual(dirs, [...improving.map((e) => `improved-${String(e).padStart(2, '0')}`), 'best', 'worst'].sort());
    const bestEpoch = vl.indexOf(Math.min(...vl));
    const worstEpoch = vl.indexOf(Math.max(...vl));
    const x = val.x;
    for (const [name, e] of [['best', bestEpoch], ['worst', worstEpoch]] as const) {
      const loaded = await loadModel(join(root, name));
      const atEpoch = checkpointModel();
      atEpoch.setWeights(snap.at[e]!);
      assertClosePredictions(loaded.predict(x), atEpoch.predict(x), 0, `${name} = epoch ${e + 1}`);
      assert.ok(Math.abs(loaded.evaluate(val.x, val.y, { verbose: 0 })[0]! - vl[e]!) < 1e-6, `${name}: its val_loss`);
    }
  });

  it('a checkpoint loads and resumes exactly (epoch 2 checkpoint + 2 epochs = 4 straight)', async () => {
    const root = await tempDir('ckpt-resume');
    const straight = checkpointModel();
    const h = await straight.fit(train.x, train.y, {
      ...FIT,
      epochs: 4,
      callbacks: [callbacks.modelCheckpoint({ filepath: join(root, 'epoch-{epoch}'), monitor: 'loss' })],
    });
    assert.deepEqual((await readdir(root)).sort(), ['epoch-1', 'epoch-2', 'epoch-3', 'epoch-4']);
    const resumed = await loadModel(join(root, 'epoch-2'));
    const h2 = await resumed.fit(train.x, train.y, { ...FIT, initialEpoch: 2, epochs: 4 });
    assert.deepEqual(h2.history.loss, h.history.loss!.slice(2));
    assertSameWeights(resumed, straight, 'resumed from the epoch-2 checkpoint');
    assertSameWeights(await loadModel(join(root, 'epoch-4')), straight, 'epoch-4 checkpoint');
  });
});

// ---------------------------------------------------------------------------------------
// 7. errors, and nothing lost
// ---------------------------------------------------------------------------------------

async function rejectsWith(p: Promise<unknown>, ...patterns: RegExp[]): Promise<Error> {
  let err: Error | undefined;
  try {
    await p;
  } catch (e) {
    err = e as Error;
  }
  if (process.env.SHOW_ERRORS) console.log(`--- ${err?.message}`);
  assert.ok(err !== undefined, `expected an error matching ${patterns.join(' and ')}`);
  for (const re of patterns) assert.match(err.message, re);
  return err;
}

type Topology = { class_name: string; config: { layers: { class_name: string; config: Record<string, unknown> }[] } };

describe('errors: clear messages, and the good model stays intact', () => {
  let good: string;
  let goodFiles: Map<string, Buffer>;
  let goodModel: Sequential;
  let goodArtifacts: ModelArtifacts;
  const x = randomInput([3, 5, 3], 77);

  before(async () => {
    goodModel = new Sequential({
      layers: [layers.lstm({ units: 4, inputShape: [5, 3], returnSequences: true }), layers.gru({ units: 3 }), layers.dense({ units: 2 })],
    });
    randomizeWeights(goodModel, 7);
    goodModel.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    good = await tempDir('good');
    await goodModel.save(good, { includeOptimizer: true });
    goodArtifacts = await artifactsOf(goodModel);
    goodFiles = new Map();
    for (const f of await readdir(good)) goodFiles.set(f, await readFile(join(good, f)));
  });

  /** The good directory has exactly its files, byte for byte, and loads to the same predictions. */
  async function assertGoodIntact(after: string): Promise<void> {
    const files = (await readdir(good)).sort();
    assert.deepEqual(files, [...goodFiles.keys()].sort(), `after ${after}: files in the good directory`);
    for (const [f, bytes] of goodFiles) assert.ok((await readFile(join(good, f))).equals(bytes), `after ${after}: ${f} unchanged`);
    const loaded = await loadModel(good);
    assertClosePredictions(loaded.predict(x), goodModel.predict(x), 0, `after ${after}: good model predictions`);
  }

  /** A copy of the good model's artifacts with its topology and manifest changed. */
  function variant(edit: (topology: Topology, json: ModelJSON) => void): ModelJSON {
    const json = structuredClone(goodArtifacts.modelJson);
    edit(json.modelTopology as unknown as Topology, json);
    return json;
  }

  /** Write a bad model next to the good one (same parent directory). */
  async function badDir(json: ModelJSON | string, weightData: ArrayBuffer = goodArtifacts.weightData): Promise<string> {
    const d = join(good, '..', `${good.split('/').pop()}-bad-${Math.random().toString(36).slice(2, 8)}`);
    await mkdir(d);
    await writeFile(join(d, 'model.json'), typeof json === 'string' ? json : JSON.stringify(json, null, 2));
    await writeFile(join(d, 'weights.bin'), new Uint8Array(weightData));
    return d;
  }

  it('unknown layer class: named, with the supported classes listed', async () => {
    const json = variant((t) => void (t.config.layers[1]!.class_name = 'ConvLSTM1D'));
    const d = await badDir(json);
    const err = await rejectsWith(loadModel(d), /unknown layer class 'ConvLSTM1D'/, /supported: Dense, SimpleRNN, LSTM, GRU, Embedding, Masking, Dropout, Activation, RepeatVector, Flatten, Bidirectional, TimeDistributed/, /model\.json/);
    assert.ok(err instanceof ModelFormatError);
    await rejectsWith(loadModel({ modelJson: json, weightData: goodArtifacts.weightData }), /unknown layer class 'ConvLSTM1D'/);
    await assertGoodIntact('unknown layer class');
    // Classes that hold Python or TensorFlow code say why no loader outside Python reads them.
    const lambda = variant((t) => void (t.config.layers[1]!.class_name = 'Lambda'));
    await rejectsWith(loadModel({ modelJson: lambda, weightData: goodArtifacts.weightData }), /unknown layer class 'Lambda' \(it holds a Python function, which only Python can run/);
    const op = variant((t) => void (t.config.layers[1]!.class_name = 'TFOpLambda'));
    await rejectsWith(loadModel({ modelJson: op, weightData: goodArtifacts.weightData }), /unknown layer class 'TFOpLambda' \(a TensorFlow op .* rnnkit reads the common ones in functional models only/);
  });

  it('unsupported option in a config: named', async () => {
    await rejectsWith(
      loadModel({ modelJson: variant((t) => void (t.config.layers[0]!.config.time_major = true)), weightData: goodArtifacts.weightData }),
      /LSTM 'lstm[^']*'/,
      /option 'time_major' = true is not supported/,
    );
    // An activity regularizer loads (predictions do not depend on it); fit and evaluate refuse it (test/kerasOps.test.ts).
    const regularized = await loadModel({ modelJson: variant((t) => void (t.config.layers[1]!.config.activity_regularizer = { class_name: 'L2', config: { l2: 0.01 } })), weightData: goodArtifacts.weightData });
    assert.throws(() => regularized.evaluate(randomInput([1, 2], 1), randomInput([1, 2], 2)), /GRU 'gru[^']*' has option 'activity_regularizer'/);
    await rejectsWith(
      loadModel({ modelJson: variant((t) => void (t.config.layers[2]!.config.fancy_option = 3)), weightData: goodArtifacts.weightData }),
      /Dense 'dense[^']*'/,
      /unknown option 'fancyOption'/,
    );
    await assertGoodIntact('unsupported options');
  });

  it('missing, extra and wrong-shape weights: the weight named, expected and found shapes', async () => {
    const specs = goodArtifacts.modelJson.weightsManifest[0]!.weights.filter((w) => !w.name.startsWith('optimizer/'));
    const modelBytes = specs.reduce((n, w) => n + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
    const base = (): ModelJSON => variant((_, j) => void (j.trainingConfig = undefined));
    const bytes = goodArtifacts.weightData.slice(0, modelBytes);
    // missing: the last weight (dense bias [2]) dropped from the manifest and the data
    const missing = base();
    missing.weightsManifest[0]!.weights = specs.slice(0, -1);
    const last = specs[specs.length - 1]!;
    assert.match(last.name, /^dense[^/]*\/bias$/);
    await rejectsWith(loadModel(await badDir(missing, bytes.slice(0, modelBytes - 8))), new RegExp(`weight '${last.name}' \\(shape \\[2\\]\\) is missing`));
    // extra: a weight no layer takes
    const extra = base();
    extra.weightsManifest[0]!.weights = [...specs, { name: 'dense/extra_kernel', shape: [2, 2], dtype: 'float32' }];
    const extraBytes = new Uint8Array(modelBytes + 16);
    extraBytes.set(new Uint8Array(bytes));
    await rejectsWith(loadModel({ modelJson: extra, weightData: extraBytes.buffer }), /stored weight 'dense\/extra_kernel' \[2, 2\] matches no weight of the model/, /the model has no layer 'dense'|layer 'dense' has/);
    // wrong shape: the LSTM kernel stored as [12, 4] instead of [3, 16] (same byte count)
    const wrong = base();
    wrong.weightsManifest[0]!.weights = specs.map((w) => (w.name.endsWith('lstm/kernel') || /^lstm[^/]*\/kernel$/.test(w.name) ? { ...w, shape: [12, 4] } : w));
    await rejectsWith(loadModel(await badDir(wrong, bytes)), /weight 'lstm[^']*\/kernel' has the wrong shape: the model expects \[3, 16\], stored weight 'lstm[^']*\/kernel' has \[12, 4\]/);
    await assertGoodIntact('bad weights');
  });

  it('a .bin shorter than the manifest says: expected and found bytes', async () => {
    const d = await tempDir('short');
    for (const f of goodFiles.keys()) await copyFile(join(good, f), join(d, f));
    const bin = [...goodFiles.keys()].find((f) => f.endsWith('.bin'))!;
    const size = (await stat(join(d, bin))).size;
    await truncate(join(d, bin), size - 10);
    await rejectsWith(loadModel(d), new RegExp(`weight data has ${size - 10} bytes but the manifest needs ${size}`), /truncated/, /model\.json/);
    await assertGoodIntact('truncated .bin');
  });

  it('malformed JSON: says where (line and column), also when the parser does not', async () => {
    const pretty = JSON.stringify(goodArtifacts.modelJson, null, 2).split('\n');
    const at = pretty.findIndex((l) => l.includes('"units": 4'));
    assert.ok(at > 0);
    const lineNo = at + 1;
    // (a) a missing comma: V8 gives a position
    const missingComma = [...pretty];
    missingComma[at] = missingComma[at]!.replace(',', '');
    await rejectsWith(loadModel(await badDir(missingComma.join('\n'))), new RegExp(`malformed JSON at line ${lineNo + 1}, column \\d+`), /model\.json/);
    // (b) NaN, as Python's json.dumps writes it: V8 gives no position
    const nan = [...pretty];
    nan[at] = nan[at]!.replace('4', 'NaN');
    await rejectsWith(loadModel(await badDir(nan.join('\n'))), new RegExp(`malformed JSON at line ${lineNo}, column ${nan[at]!.indexOf('NaN') + 1} `));
    // (c) a file cut off after a key: V8 says only "Unexpected end of JSON input"; the place is the end
    const text = pretty.join('\n');
    const cut = text.slice(0, text.indexOf('"units": ') + '"units": '.length);
    await rejectsWith(
      loadModel({ modelJson: cut, weightData: goodArtifacts.weightData }),
      new RegExp(`malformed JSON at line ${lineNo}, column ${cut.length - cut.lastIndexOf('\n')} \\(character ${cut.length}\\): Unexpected end`),
    );
    await assertGoodIntact('malformed JSON');
  });

  it('an in-memory modelJson that is not a layers-model model.json', async () => {
    const weightData = goodArtifacts.weightData;
    await rejectsWith(loadModel({ modelJson: {} as ModelJSON, weightData }), /loadModel: modelJson: no modelTopology/);
    await rejectsWith(loadModel({ modelJson: { ...goodArtifacts.modelJson, weightsManifest: undefined } as unknown as ModelJSON, weightData }), /weightsManifest is missing or not a list/);
    await rejectsWith(loadModel({ modelJson: { ...goodArtifacts.modelJson, format: 'graph-model' } as unknown as ModelJSON, weightData }), /format 'graph-model' is not supported; rnnkit reads 'layers-model' files \(a TF\.js graph model holds TensorFlow ops, not Keras layers: convert the Keras model with tensorflowjs_converter --output_format=tfjs_layers_model/);
    await rejectsWith(loadModel({ modelJson: '[1, 2]', weightData }), /no modelTopology/);
    // Keras's model.to_json(): said so, with where the weights are read.
    const toJson = { class_name: 'Sequential', config: { name: 'sequential', layers: [] }, keras_version: '2.2.4', backend: 'tensorflow' };
    await rejectsWith(loadModel({ modelJson: toJson as unknown as ModelJSON, weightData }), /modelJson: a Keras architecture \(model\.to_json\(\) of a Sequential\), not a TF\.js layers-model model\.json: it holds no weights\. .*loadWeightsH5/);
  });

  it('a target directory that cannot be written (a path under a regular file)', async () => {
    const target = join(good, 'model.json', 'sub');
    await rejectsWith(goodModel.save(target), /cannot create directory/, /ENOTDIR|EEXIST|not a directory/i);
    await rejectsWith(goodModel.save(join(good, 'model.json')), /cannot create directory/);
    await assertGoodIntact('saves to unwritable targets');
  });

  it('failed saves into the good directory leave it as it was', async () => {
    // nothing to save
    await rejectsWith(new Sequential({ layers: [layers.dense({ units: 1 })] }).save(good), /save needs a built model/);
    // includeOptimizer without an optimizer
    const uncompiled = new Sequential({ layers: [layers.dense({ units: 1, inputShape: [3] })] });
    await rejectsWith(uncompiled.save(good, { includeOptimizer: true }), /includeOptimizer needs a compiled model/);
    await assertGoodIntact('saves that fail before writing');
    // the disk fails while writing the weights, or while putting model.json in place
    const original = { writeFile: fsPromises.writeFile, rename: fsPromises.rename };
    const enospc = (): never => {
      throw Object.assign(new Error('ENOSPC: no space left on device (simulated)'), { code: 'ENOSPC' });
    };
    try {
      fsPromises.writeFile = (async (file: string, data: Uint8Array | string) => {
        if (String(file).includes('.bin.tmp-')) {
          await original.writeFile(file, typeof data === 'string' ? data : data.subarray(0, 100)); // half-written
          enospc();
        }
        return original.writeFile(file, data);
      }) as typeof fsPromises.writeFile;
      syncBuiltinESMExports();
      await rejectsWith(goodModel.save(good), /cannot write the model to/, /ENOSPC/);
      fsPromises.writeFile = original.writeFile;
      fsPromises.rename = (async (from: string, to: string) => {
        if (String(to).endsWith('model.json')) enospc();
        return original.rename(from, to);
      }) as typeof fsPromises.rename;
      syncBuiltinESMExports();
      await rejectsWith(goodModel.save(good, { includeOptimizer: true }), /cannot write the model to/, /ENOSPC/);
    } finally {
      Object.assign(fsPromises, original);
      syncBuiltinESMExports();
    }
    await assertGoodIntact('saves that fail while writing (no temporary or orphan files left)');
  });

  after(async () => {
    // bad directories were made next to the good one
    const parent = join(good, '..');
    const base = good.split('/').pop()!;
    for (const f of await readdir(parent)) if (f.startsWith(`${base}-bad-`)) await rm(join(parent, f), { recursive: true, force: true });
  });
});

// ---------------------------------------------------------------------------------------
// 8. http
// ---------------------------------------------------------------------------------------

describe('loadModel over http', () => {
  let server: Server;
  let base: string;
  let dir: string;
  let model: Sequential;
  const requests: string[] = [];

  before(async () => {
    model = new Sequential({ layers: [layers.embedding({ inputDim: 9, outputDim: 3, inputShape: [5], maskZero: true }), layers.bidirectional({ layer: layers.gru({ units: 3 }) }), layers.dense({ units: 2 })] });
    randomizeWeights(model, 8);
    dir = await tempDir('http');
    await model.save(join(dir, 'good'));
    await model.save(join(dir, 'broken'));
    for (const f of await readdir(join(dir, 'broken'))) if (f.endsWith('.bin')) await rm(join(dir, 'broken', f));
    server = createServer((req, res) => {
      requests.push(req.url!);
      const file = join(dir, decodeURIComponent(new URL(req.url!, 'http://x').pathname));
      readFile(file).then(
        (data) => {
          res.writeHead(200, { 'content-type': file.endsWith('.json') ? 'application/json' : 'application/octet-stream' });
          res.end(data);
        },
        () => {
          res.writeHead(404, { 'content-type': 'text/plain' });
          res.end('not found');
        },
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('loads model.json and its shard from a URL', async () => {
    const loaded = await loadModel(`${base}/good/model.json`);
    const x = indexInput(4, 5, 9, 81);
    assertClosePredictions(loaded.predict(x), model.predict(x), SELF_TOL, 'over http');
    assert.ok(requests.some((r) => /^\/good\/weights-[a-z0-9]+\.bin$/.test(r)), `shard requested relative to model.json: ${requests.join(', ')}`);
  });

  it('a 404 shard (or model.json) is a clear error naming the URL and the status', async () => {
    await rejectsWith(loadModel(`${base}/broken/model.json`), new RegExp(`${base.replace(/\./g, '\\.')}/broken/weights-[a-z0-9]+\\.bin answered 404`));
    await rejectsWith(loadModel(`${base}/nothing/model.json`), /\/nothing\/model\.json answered 404/);
  });
});

test('a save sweeps what killed saves left behind (temporary and unreferenced weight files), never other files', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rnnkit-sweep-'));
  const m = new Sequential({ layers: [layers.dense({ units: 2, inputShape: [3] })] });
  await m.save(dir);
  const hourAgo = (Date.now() - 3_600_000).toString(36); // rnnkit's names carry the time they were made
  const leftovers = [`weights-${hourAgo}ab.bin`, `model.json.tmp-${hourAgo}-abc`, `weights-${hourAgo}z.bin.tmp-${hourAgo}-def`];
  for (const f of leftovers) await writeFile(join(dir, f), 'x');
  await writeFile(join(dir, 'notes.txt'), 'mine');
  await writeFile(join(dir, 'weights.bin'), 'a tfjs-style name: not ours to judge');
  await m.save(dir);
  const files = (await readdir(dir)).sort();
  assert.equal(files.filter((f) => /^weights-[a-z0-9]+\.bin$/.test(f)).length, 1);
  assert.deepEqual(files.filter((f) => !/^weights-[a-z0-9]+\.bin$/.test(f)), ['model.json', 'notes.txt', 'weights.bin']);
  await loadModel(dir);
  await rm(dir, { recursive: true, force: true });
});
