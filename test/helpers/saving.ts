/**
 * Helpers for test/saving.test.ts: temporary directories, in-memory artifacts, random
 * weights and inputs, an initializer spy, comparisons, and TF.js layers-model files
 * handed to tfjs through its in-memory IO handler.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/core/rng.js';
import { initializers, tensor, type ModelArtifacts, type ModelJSON, type Model, type Tensor } from '../../src/index.js';
import { concatShards } from '../../src/io/weights.js';
import { assertClose, randomArray } from './check.js';
import { tf, tfl } from './tfjs.js';

const dirs: string[] = [];

/** A fresh directory under os.tmpdir(), removed by removeTempDirs(). */
export async function tempDir(tag = 'save'): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), `rnnkit-${tag}-`));
  dirs.push(d);
  return d;
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/** What model.save hands a handler. */
export async function artifactsOf(model: Model, includeOptimizer = false): Promise<ModelArtifacts> {
  let got: ModelArtifacts | undefined;
  await model.save(
    async (a) => {
      got = a;
    },
    { includeOptimizer },
  );
  assert.ok(got !== undefined, 'the save handler was called');
  return got;
}

/** Every weight set to U(−0.5, 0.5): zero-initialized biases would hide a bias that is not restored. */
export function randomizeWeights(model: Model, seed: number): void {
  const rng = new Rng(seed);
  model.setWeights(model.getWeights().map((w) => tensor(randomArray(w.data.length, rng, -0.5, 0.5), w.shape)));
}

export function randomInput(shape: number[], seed: number, lo = -1.5, hi = 1.5): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(randomArray(n, new Rng(seed), lo, hi), shape);
}

/** Integer indices in [1, vocab), with padding zeros: a run at the end of some rows and a few inside. */
export function indexInput(B: number, T: number, vocab: number, seed: number): Tensor {
  const rng = new Rng(seed);
  const out = new Float32Array(B * T);
  for (let b = 0; b < B; b++) {
    const len = T - (b % 3); // rows 1, 2 (mod 3) end in padding
    for (let t = 0; t < T; t++) out[b * T + t] = t < len ? 1 + rng.int(vocab - 1) : 0;
    if (b % 4 === 3) out[b * T + 1] = 0; // a masked step inside the sequence
  }
  return tensor(out, [B, T]);
}

export function assertSameWeights(actual: Model, expected: Model, what: string): void {
  const a = actual.getWeights();
  const e = expected.getWeights();
  assert.equal(a.length, e.length, `${what}: number of weights`);
  a.forEach((w, i) => {
    assert.deepEqual(w.shape, e[i]!.shape, `${what}: weight ${i} shape`);
    assert.deepEqual(w.data, e[i]!.data, `${what}: weight ${i} values (bitwise)`);
  });
}

export function assertClosePredictions(actual: Tensor, expected: Tensor, tol: number, what: string): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: prediction shape`);
  assertClose(actual.data, expected.data, 0, tol, what);
}

/**
 * Count calls of every initializer's init (Seeded.init, which every random initializer
 * inherits, and the constant/identity ones). Call restore() when done.
 */
export function spyInitializers(): { readonly calls: number; restore(): void } {
  const owners = new Set<{ init: (...a: unknown[]) => unknown }>();
  for (const make of Object.values(initializers)) {
    let p: object | null = Object.getPrototypeOf((make as () => object)());
    while (p !== null && p !== Object.prototype) {
      if (Object.prototype.hasOwnProperty.call(p, 'init')) owners.add(p as { init: (...a: unknown[]) => unknown });
      p = Object.getPrototypeOf(p);
    }
  }
  let calls = 0;
  const saved = [...owners].map((o) => [o, o.init] as const);
  for (const [o, original] of saved) {
    o.init = function (this: unknown, ...args: unknown[]) {
      calls++;
      return original.apply(this, args);
    };
  }
  return {
    get calls() {
      return calls;
    },
    restore() {
      for (const [o, original] of saved) o.init = original;
    },
  };
}

/** model.json and its shards (concatenated) read from a directory. */
export async function readSaved(dir: string): Promise<{ json: ModelJSON; weightData: ArrayBuffer; files: string[] }> {
  const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as ModelJSON;
  const shards = await Promise.all(json.weightsManifest.flatMap((g) => g.paths).map((p) => readFile(join(dir, p))));
  return { json, weightData: concatShards(shards), files: (await readdir(dir)).sort() };
}

/** tf.loadLayersModel on a directory written by rnnkit (read here, given to tfjs with tf.io.fromMemory). */
export async function tfjsLoadDir(dir: string): Promise<tfl.LayersModel> {
  const { json, weightData } = await readSaved(dir);
  return tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology as unknown as tf.io.ModelArtifacts['modelTopology'],
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights) as tf.io.WeightsManifestEntry[],
      weightData,
      format: json.format,
      generatedBy: json.generatedBy,
      convertedBy: json.convertedBy,
    }),
  );
}

/** tfjs model.predict on an rnnkit Tensor, as a flat Float32Array (tensors disposed). */
export function tfjsPredict(model: tfl.LayersModel, x: Tensor): Float32Array {
  return tf.tidy(() => (model.predict(tf.tensor(x.data, [...x.shape])) as tf.Tensor).dataSync() as Float32Array).slice();
}

/** What tfjs's model.save gives a save handler. */
export async function tfjsArtifacts(model: tfl.LayersModel): Promise<tf.io.ModelArtifacts> {
  let got: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      got = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  assert.ok(got !== undefined, 'the tfjs save handler was called');
  return got;
}

/** tfjs artifacts as the model.json + weights rnnkit's loadModel takes. */
export function tfjsModelJson(a: tf.io.ModelArtifacts): { modelJson: ModelJSON; weightData: ArrayBuffer } {
  const weightData = a.weightData instanceof ArrayBuffer ? a.weightData : concatShards(a.weightData as ArrayBuffer[]);
  return {
    modelJson: {
      format: a.format as 'layers-model',
      generatedBy: a.generatedBy!,
      convertedBy: a.convertedBy ?? null,
      modelTopology: a.modelTopology as ModelJSON['modelTopology'],
      weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs as ModelJSON['weightsManifest'][number]['weights'] }],
    },
    weightData,
  };
}
