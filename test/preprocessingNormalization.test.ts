/**
 * Normalization (Keras's preprocessing layer): Keras's documented numbers (adapt, constants,
 * invert), float32 arithmetic as Keras's, statistics broadcast over the axes not kept,
 * gradients, a tf.keras 2.13 .h5 file with an int64 count (test/fixtures/tfkeras2-normalization.h5,
 * tools/keras2_h5_fixture.py), save/load, .keras and ONNX round trips, streams, refusals.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { Rng } from '../src/core/rng.js';
import { ModelFormatError, Normalization, Sequential, exportOnnx, layers, loadModel, modelFromJson, saveKerasFile, tensor, type Tensor } from '../src/index.js';
import { assertClose, randomArray } from './helpers/check.js';
import { artifactsOf, randomInput } from './helpers/saving.js';

const apply = (l: Normalization, x: number[][]): number[] => [...(l.apply(tensor(x)) as Tensor).data];

describe("Keras's documented examples (keras.layers.Normalization docstring)", () => {
  it('axis None, adapted on [1, 2, 3, 4, 5]: [1, 2, 3] → [−√2, −√2/2, 0]', () => {
    const l = layers.normalization({ axis: null });
    l.adapt(tensor([1, 2, 3, 4, 5], [5, 1]));
    assertClose(new Float32Array(apply(l, [[1], [2], [3]])), new Float32Array([-1.4142135, -0.70710677, 0]), 1e-7, 1e-7, 'axis None');
    assert.deepEqual(l.weights.map((w) => [w.name, w.shape, w.trainable]), [['mean', [], false], ['variance', [], false], ['count', [], false]]);
  });

  it('axis −1, adapted per feature: [0, 7, 4] → [−1, −1, −1]; invert gives it back', () => {
    const data = [[0, 7, 4], [2, 9, 6], [0, 7, 4], [2, 9, 6]];
    const l = layers.normalization({ axis: -1 });
    l.adapt(data);
    assert.deepEqual(apply(l, [[0, 7, 4]]), [-1, -1, -1]);
    const inv = layers.normalization({ axis: -1, invert: true });
    inv.adapt(data);
    assert.deepEqual(apply(inv, [[-1, -1, -1]]), [0, 7, 4]);
  });

  it('constants: mean 3, variance 2 on [[1], [2], [3]] → [−√2, −√2/2, 0] (no weights)', () => {
    const l = layers.normalization({ mean: 3, variance: 2 });
    assertClose(new Float32Array(apply(l, [[1], [2], [3]])), new Float32Array([-1.4142135, -0.70710677, 0]), 1e-7, 1e-7, 'constants');
    assert.equal(l.weights.length, 0);
  });
});

describe('arithmetic and shapes', () => {
  it('float32 as Keras: (x − mean) rounded, then divided by max(√variance, 1e-7) rounded; a zero variance divides by 1e-7', () => {
    const rng = new Rng(1);
    const x = randomArray(4 * 5 * 3, rng, -50, 50);
    const mean = [1.1, -2.3, 1e-3];
    const variance = [0.7, 123.4, 0];
    const l = layers.normalization({ mean, variance });
    const y = (l.apply(tensor(x, [4, 5, 3])) as Tensor).data;
    const f = Math.fround;
    for (let i = 0; i < x.length; i++) {
      const k = i % 3;
      const want = f(f(x[i]! - f(mean[k]!)) / Math.max(f(Math.sqrt(f(variance[k]!))), f(1e-7)));
      assert.equal(y[i], want, `entry ${i}`);
    }
  });

  it('axis [1, 2] on [B, T, F] keeps a mean per step and feature; a mean of shape [F] broadcasts over the kept [T, F] (right-aligned)', () => {
    const l = layers.normalization({ axis: [1, 2] });
    const data = tensor(randomArray(6 * 4 * 2, new Rng(2), -3, 3), [6, 4, 2]);
    l.adapt(data);
    assert.deepEqual(l.weights[0]!.shape, [4, 2]);
    const y = (l.apply(data) as Tensor).data;
    for (let t = 0; t < 4; t++) for (let f = 0; f < 2; f++) {
      let s = 0;
      let q = 0;
      for (let b = 0; b < 6; b++) s += y[(b * 4 + t) * 2 + f]!;
      for (let b = 0; b < 6; b++) q += (y[(b * 4 + t) * 2 + f]! - s / 6) ** 2;
      assert.ok(Math.abs(s / 6) < 1e-6 && Math.abs(q / 6 - 1) < 1e-5, `step ${t} feature ${f}: mean ${s / 6}, variance ${q / 6}`);
    }
    const c = layers.normalization({ axis: [1, 2], mean: [10, 20], variance: [4, 16] });
    assert.deepEqual([...(c.apply(tensor([[[12, 24], [8, 16], [10, 20], [14, 28]]])) as Tensor).data], [1, 1, -1, -1, 0, 0, 2, 2]);
  });

  it('gradients: dx = dy / max(√variance, ε) (invert: dy · that), none for the statistics', () => {
    for (const invert of [false, true]) {
      const l = layers.normalization({ invert });
      l.build([3, 2]);
      l.weights[0]!.value.set([0.5, -1]);
      l.weights[1]!.value.set([4, 0.25]);
      const x = randomArray(2 * 3 * 2, new Rng(3));
      const dy = randomArray(x.length, new Rng(4));
      l.forward(x, 2, 3, true, null);
      const dx = l.backward(dy, 2, 3, true)!.slice(0, x.length);
      const s = [2, 0.5];
      assertClose(dx, Float32Array.from(dy, (d, i) => (invert ? d * s[i % 2]! : d / s[i % 2]!)), 1e-7, 1e-7, `invert ${invert}`);
      assert.ok(l.weights.every((w) => w.grad.every((g) => g === 0)));
    }
  });

  it('fit leaves the statistics alone; a stream runs it step by step unless it keeps the time axis', async () => {
    const m = new Sequential({ layers: [layers.normalization({ inputShape: [5, 2] }), layers.lstm({ units: 3, returnSequences: true }), layers.dense({ units: 1 })] });
    const norm = m.layers[0] as Normalization;
    norm.adapt(randomInput([10, 5, 2], 5, 2, 6));
    const before = norm.getWeights().map((w) => [...w.data]);
    m.compile({ optimizer: 'adam', loss: 'mse' });
    await m.fit(randomInput([8, 5, 2], 6), randomInput([8, 5, 1], 7), { epochs: 2, batchSize: 4, verbose: 0 });
    assert.deepEqual(norm.getWeights().map((w) => [...w.data]), before);
    const x = randomInput([1, 5, 2], 8);
    const whole = m.predict(x).data;
    const s = m.stream();
    for (let t = 0; t < 5; t++) assertClose(s.step(tensor(x.data.slice(t * 2, t * 2 + 2), [1, 2])).data, whole.slice(t, t + 1), 1e-6, 1e-7, `step ${t}`);
    const perStep = new Sequential({ layers: [layers.normalization({ axis: [1, 2], inputShape: [5, 2] }), layers.lstm({ units: 2 })] });
    assert.throws(() => perStep.stream(), /Normalization '.*' cannot run step by step/);
  });
});

describe('files', () => {
  it("tf.keras 2.13 .h5: Normalization's mean, variance and int64 count, GaussianNoise, LeakyReLU — numpy's outputs", async () => {
    const dir = new URL('./fixtures/', import.meta.url);
    const expected = (JSON.parse(readFileSync(new URL('keras2-h5-expected.json', dir), 'utf8')) as Record<string, { x: number[][][]; y: number[][] }>)['tfkeras2-normalization.h5']!;
    const m = await loadModel({ h5File: new Uint8Array(readFileSync(new URL('tfkeras2-normalization.h5', dir))) });
    assert.deepEqual(m.layers.map((l) => l.className), ['Normalization', 'GaussianNoise', 'LSTM', 'LeakyReLU', 'Dense']);
    assert.equal(m.layers[0]!.weights[2]!.value[0], 640, 'the int64 count');
    const y = m.predict(tensor(expected.x)).data;
    assertClose(y, Float32Array.from(expected.y.flat()), 1e-5, 1e-6, 'numpy');
  });

  it('round trips: the tfjs layers format (adapted and constant), .keras (Keras 3 names and paths), ONNX in onnxruntime', async () => {
    const m = new Sequential({
      layers: [layers.normalization({ inputShape: [4, 3] }), layers.lstm({ units: 3, returnSequences: true }), layers.normalization({ axis: [1, 2], mean: [1, 2, 3], variance: [4, 5, 6] }), layers.normalization({ axis: null, invert: true })],
    });
    (m.layers[0] as Normalization).adapt(randomInput([12, 4, 3], 9, -5, 5));
    (m.layers[3] as Normalization).adapt(randomInput([12, 4, 3], 10));
    const x = randomInput([2, 4, 3], 11, -4, 4);
    const want = [...m.predict(x).data];
    const back = await loadModel(await artifactsOf(m));
    assert.deepEqual(back.layers.map((l) => l.getConfig()), m.layers.map((l) => l.getConfig()));
    assert.deepEqual([...back.predict(x).data], want);
    const k3 = await loadModel({ kerasFile: await saveKerasFile(m, null) });
    assert.deepEqual([...k3.predict(x).data], want);
    const session = await ort.InferenceSession.create(await exportOnnx(m));
    const got = (await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', x.data, x.shape) }))[session.outputNames[0]!]!.data as Float32Array;
    assertClose(got, new Float32Array(want), 1e-5, 1e-6, 'onnxruntime');
  });
});

describe('options', () => {
  it('refuses by name: mean without variance, shapes that do not broadcast, negative variance, the batch axis, an open kept axis, adapt on constants, NaN data', () => {
    assert.throws(() => layers.normalization({ mean: 1 }), /give both mean and variance, or neither/);
    assert.throws(() => layers.normalization({ mean: [1, 2], variance: [1, 2] }).build([3]), /mean of shape \[2\] does not broadcast to the kept axes' \[3\]/);
    assert.throws(() => layers.normalization({ mean: [[1, 2, 3]], variance: [[1, 2, 3]] }).build([3]), /has more axes than the 1 kept/);
    assert.throws(() => layers.normalization({ mean: 0, variance: -1 }).build([3]), /variance holds a negative value/);
    assert.throws(() => layers.normalization({ axis: 0 }).build([3]), /keeps the batch axis/);
    assert.throws(() => layers.normalization({ axis: 1 }).build([null as never, 3]), /axis 1 of input \[\*, \*, 3\] is open; kept axes need a known size/);
    assert.throws(() => layers.normalization({ axis: 'last' as never }), /axis must be an integer, a list of integers or null/);
    assert.throws(() => layers.normalization({ mean: 0, variance: 1 }).adapt([[1]]), /adapt sets them for a layer given neither/);
    assert.throws(() => layers.normalization().adapt([[1, Number.NaN]]), (e: unknown) => e instanceof ModelFormatError || /NaN/.test(String(e)));
    assert.throws(() => layers.normalization({ scale: 2 } as never), /unknown option 'scale'/);
  });

  it('a file whose shapes would size a parameter index or constants past the weight budget is refused before allocating (Normalization, PReLU with shared axes)', () => {
    const json = (cls: string, config: Record<string, unknown>): string =>
      JSON.stringify({
        class_name: 'Sequential',
        keras_version: '2.13.1',
        backend: 'tensorflow',
        config: { name: 's', layers: [{ class_name: 'InputLayer', config: { batch_input_shape: [null, 3, 100000000], dtype: 'float32', name: 'in' } }, { class_name: cls, config: { name: 'big', ...config } }] },
      });
    const t0 = performance.now();
    assert.throws(() => modelFromJson(json('Normalization', { axis: null, mean: 0.5, variance: 2 }), { maxBytes: 1e6 }), (e: unknown) => e instanceof ModelFormatError && /Normalization 'big': parameter index of 100000000 values would take the model's weights past/.test((e as Error).message));
    assert.throws(() => modelFromJson(json('PReLU', { shared_axes: [1, 2] }), { maxBytes: 1e6 }), (e: unknown) => e instanceof ModelFormatError && /PReLU 'big': parameter index of 100000000 values/.test((e as Error).message));
    assert.ok(performance.now() - t0 < 5000, 'refused before allocating');
  });
});
