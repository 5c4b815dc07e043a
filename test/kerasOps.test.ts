/**
 * Tensor ops in Keras model files (src/io/kerasOps.ts): Keras 3's op entries (GetItem,
 * Mean, Max, Squeeze, Concatenate, ExpandDims, Reshape, Transpose, Softmax) and tf.keras
 * 2's TFOpLambda / SlicingOpLambda layers, read as the rnnkit layers computing the same,
 * against float64 numpy of the same graphs (tools/keras_ops_fixture.py); the TimeSlice
 * layer they need (x[:, i], x[:, a:b]); refusals of what no layer computes exactly; and
 * Keras activity regularizers (loaded for predict, fit/evaluate refused, kept by the writers).
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { ModelFormatError, exportOnnx, layers, loadModel, saveKerasFile, sequential, tensor, type Model, type Tensor } from '../src/index.js';
import { modelFromKeras } from '../src/models/loading.js';
import type { KerasModelJSON } from '../src/io/config.js';
import { artifactsOf, randomizeWeights } from './helpers/saving.js';
import { checkLayerGradients, maxRelDiff, randomArray } from './helpers/check.js';
import { Rng } from '../src/core/rng.js';

const DIR = new URL('./fixtures/', import.meta.url);
const bytesOf = (f: string): Uint8Array => new Uint8Array(readFileSync(new URL(f, DIR)));
type Expected = { input: unknown[]; inputShape: number[]; outputs: unknown[][]; config?: KerasModelJSON; shifted?: { config: KerasModelJSON; outputs: unknown[][] } };
const EXPECTED = JSON.parse(readFileSync(new URL('keras-ops-expected.json', DIR), 'utf8')) as Record<string, Expected>;
const K3 = 'keras3-ops.keras';
const K2 = 'tfkeras2-ops.h5';

function assertLikeNumpy(m: Model, e: Expected, what: string): void {
  const out = m.predict(tensor((e.input as number[][][]).flat(2), e.inputShape)) as unknown as Tensor[];
  assert.equal(out.length, e.outputs.length, `${what}: outputs`);
  out.forEach((o, i) => {
    const want = (e.outputs[i] as unknown[]).flat(3) as number[];
    assert.equal(o.data.length, want.length, `${what}: output ${i} size`);
    const d = maxRelDiff(o.data, want, 1e-3);
    assert.ok(d <= 1e-5, `${what}: output ${i} differs from numpy by ${d} (relative)`);
  });
}

type Entry = { class_name: string; name: string; module?: string; config: Record<string, unknown>; inbound_nodes: { args: unknown[]; kwargs: Record<string, unknown> }[] };
const editK3 = (edit: (all: Entry[]) => void): Uint8Array => {
  const m = unzipSync(bytesOf(K3));
  const c = JSON.parse(new TextDecoder().decode(m['config.json'])) as { config: { layers: Entry[] } };
  edit(c.config.layers);
  m['config.json'] = new TextEncoder().encode(JSON.stringify(c));
  return zipSync(m as Zippable);
};
const opK3 = (all: Entry[], name: string): Entry => all.find((l) => l.name === name)!;

async function refusesK3(bytes: Uint8Array, pattern: RegExp): Promise<void> {
  await assert.rejects(loadModel({ kerasFile: bytes }), (e: unknown) => {
    assert.ok(e instanceof ModelFormatError, `a ModelFormatError, got ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  });
}

type K2Entry = { class_name: string; name: string; config: Record<string, unknown>; inbound_nodes: unknown[] };
const k2Config = (): { config: { layers: K2Entry[] } } & KerasModelJSON => JSON.parse(JSON.stringify(EXPECTED[K2]!.config)) as never;
function refusesK2(edit: (all: K2Entry[]) => void, pattern: RegExp): void {
  const c = k2Config();
  edit(c.config.layers);
  assert.throws(() => modelFromKeras(c, 'keras2', 'the .h5 file'), (e: unknown) => {
    assert.ok(e instanceof ModelFormatError, `a ModelFormatError, got ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  });
}
const opK2 = (all: K2Entry[], name: string): K2Entry => all.find((l) => l.name === name)!;
const FULL = { start: null, stop: null, step: null };

describe('Keras tensor ops', () => {
  it("reads Keras 3's GetItem (x[:, -1], x[:, 1:3, :], x[:, -2:]), Mean, Max (keepdims), Squeeze, Concatenate, ExpandDims, Reshape, Transpose and Softmax ops as numpy computes them", async () => {
    const m = await loadModel({ kerasFile: bytesOf(K3) });
    assertLikeNumpy(m, EXPECTED[K3]!, K3);
    const cls = (n: string) => m.getLayer(n).className;
    assert.deepEqual(['get_item', 'get_item_1', 'mean', 'max', 'squeeze', 'concatenate', 'expand_dims', 'reshape', 'transpose', 'softmax'].map(cls),
      ['TimeSlice', 'TimeSlice', 'GlobalAveragePooling1D', 'GlobalMaxPooling1D', 'Reshape', 'Concatenate', 'Reshape', 'Reshape', 'Permute', 'Softmax']);
  });

  it("reads tf.keras 2's SlicingOpLambda (x[:, -1], x[:, :3, ...]) and TFOpLambda (reduce_mean/max over axis 1 or -2, keepdims, +, *, concat, expand_dims, reshape, transpose, nn.softmax, squeeze) as numpy computes them", async () => {
    const m = await loadModel({ h5File: bytesOf(K2) });
    assertLikeNumpy(m, EXPECTED[K2]!, K2);
    assert.equal(m.getLayer('tf.__operators__.add').className, 'Add');
    assert.equal(m.getLayer('tf.compat.v1.transpose').className, 'Permute');
    // x - c with c a list of numbers (TensorFlow converts it to float32): the Normalization shift, exact.
    const s = EXPECTED[K2]!.shifted!;
    const shifted = modelFromKeras(s.config, 'keras2', 'shifted');
    shifted.setWeights(m.getWeights());
    assertLikeNumpy(shifted, { ...EXPECTED[K2]!, outputs: s.outputs }, 'x[:, -1] - c');
    assert.equal(shifted.getLayer('tf.__operators__.add').className, 'Normalization');
  });

  it('TimeSlice computes x[:, i] and x[:, a:b] as Python indexes (negative from the end, ends clamped), with gradients by finite differences', () => {
    const B = 2, T = 5, C = 3;
    const x = Float32Array.from({ length: B * T * C }, (_, i) => i);
    const pick = (args: Parameters<typeof layers.timeSlice>[0], steps: number[]): void => {
      const l = layers.timeSlice(args);
      l.build([T, C]);
      const want = [0, 1].flatMap((b) => steps.flatMap((t) => [0, 1, 2].map((c) => (b * T + t) * C + c)));
      assert.deepEqual([...l.forward(x, B, T, false, null)], want, JSON.stringify(args));
    };
    pick({ index: -1 }, [4]);
    pick({ index: 0 }, [0]);
    pick({ start: 1, stop: 3 }, [1, 2]);
    pick({ start: -2 }, [3, 4]);
    pick({ stop: -3 }, [0, 1]);
    pick({ start: 2, stop: 99 }, [2, 3, 4]);
    assert.deepEqual(layers.timeSlice({ index: -1 }).computeOutputShape([T, C]), [C]);
    assert.deepEqual(layers.timeSlice({ start: 1, stop: 3 }).computeOutputShape([null, C]), [null, C]);
    assert.throws(() => layers.timeSlice({ index: 5 }).computeOutputShape([T, C]), /step index 5 is outside a sequence of 5 steps/);
    assert.throws(() => layers.timeSlice({ start: 3, stop: 3 }).computeOutputShape([T, C]), /is empty/);
    assert.throws(() => layers.timeSlice({ index: 1, start: 0 }), /either index .* or start\/stop/);
    const rng = new Rng(3);
    for (const args of [{ index: -2 }, { start: 1, stop: 4 }]) {
      const l = layers.timeSlice(args);
      l.build([T, C]);
      const out = l.forward(randomArray(B * T * C, rng), B, T, true, null).length;
      checkLayerGradients(l, { x: randomArray(B * T * C, rng), B, T, R: randomArray(out, rng) }, `TimeSlice ${JSON.stringify(args)}`);
    }
  });

  it("round-trips the models read from ops in rnnkit's format and as .keras (TimeSlice written as Keras's GetItem op); a Sequential's TimeSlice is refused by name for .keras, exportOnnx writes it", async () => {
    for (const [f, source] of [[K3, 'kerasFile'], [K2, 'h5File']] as const) {
      const m = await loadModel({ [source]: bytesOf(f) } as never);
      const back = await loadModel(await artifactsOf(m));
      assertLikeNumpy(back, EXPECTED[f]!, `${f} saved and loaded`);
      const bytes = await saveKerasFile(m, null);
      assertLikeNumpy(await loadModel({ kerasFile: bytes }), EXPECTED[f]!, `${f} saved as .keras and loaded`);
      // The slices as Keras 3 writes them: GetItem op entries with the tensor and the key, no weights group.
      const config = JSON.parse(new TextDecoder().decode(unzipSync(bytes)['config.json'])) as { config: { layers: { class_name: string; module: string; inbound_nodes: { args: unknown[] }[] }[] } };
      const keys = config.config.layers.filter((l) => l.class_name === 'GetItem').map((l) => { assert.equal(l.module, 'keras.src.ops.numpy'); return JSON.stringify(l.inbound_nodes[0]!.args[1]); });
      const sl = (start: number | null, stop: number | null): unknown => ({ class_name: '__slice__', config: { start, stop, step: null } });
      const want = f === K3 ? [[sl(null, null), -1], [sl(null, null), sl(1, 3)], [sl(null, null), sl(-2, null)]] : null;
      if (want !== null) assert.deepEqual(keys.sort(), want.map((k) => JSON.stringify(k)).sort());
      assert.ok(keys.length >= 1);
    }
    const s = sequential({ layers: [layers.timeSlice({ start: -3, inputShape: [5, 2] }), layers.lstm({ units: 2 })] });
    const back = await loadModel(await artifactsOf(s));
    assert.deepEqual((back.getLayer(0) as unknown as { start: number }).start, -3);
    await assert.rejects(saveKerasFile(s, null), /Keras 3 has no layer for TimeSlice/);
    // ONNX can hold it (Slice; test/onnxExport.test.ts runs it in onnxruntime).
    assert.ok((await exportOnnx(s, null)).length > 0);
  });

  it('reads x[:, -1] of a masked sequence (Embedding(mask_zero) → LSTM(return_sequences)): the slice ignores the mask and ends it, in Keras as in rnnkit', async () => {
    const lay = (class_name: string, name: string, config: Record<string, unknown>, from?: string, node?: unknown) =>
      ({ class_name, name, config: { name, ...config }, inbound_nodes: from === undefined ? [] : [node ?? [[from, 0, 0, {}]]] });
    const topo = (sliced: boolean): KerasModelJSON => ({
      class_name: 'Functional',
      config: {
        name: 'model',
        layers: [
          lay('InputLayer', 'tokens', { batch_input_shape: [null, 4], dtype: 'float32' }),
          lay('Embedding', 'embedding', { input_dim: 7, output_dim: 3, mask_zero: true }, 'tokens'),
          lay('LSTM', 'lstm', { units: 4, return_sequences: sliced }, 'embedding'),
          ...(sliced ? [{ ...lay('SlicingOpLambda', 'tf.__operators__.getitem', { function: '__operators__.getitem' }, 'lstm', ['lstm', 0, 0, { slice_spec: [FULL, -1] }]) }] : []),
          lay('Dense', 'dense', { units: 2 }, sliced ? 'tf.__operators__.getitem' : 'lstm'),
        ] as never,
        input_layers: [['tokens', 0, 0]],
        output_layers: [['dense', 0, 0]],
      },
    });
    const ref = modelFromKeras(topo(false), 'keras2', 'reference');
    randomizeWeights(ref, 5);
    const m = modelFromKeras(topo(true), 'keras2', 'sliced');
    m.setWeights(ref.getWeights());
    const x = tensor([[1, 4, 0, 0], [2, 3, 5, 6], [6, 0, 0, 0]], [3, 4]);
    assert.deepEqual([...(m.predict(x) as Tensor).data], [...(ref.predict(x) as Tensor).data]);
    // Written to .keras (a GetItem op after the masked LSTM) and read back: the same.
    assert.deepEqual([...((await loadModel({ kerasFile: await saveKerasFile(m, null) })).predict(x) as Tensor).data], [...(ref.predict(x) as Tensor).data]);
    // A reduction there would average the masked steps too (Keras's op ignores the mask; GlobalAveragePooling1D would not): refused.
    const mean = topo(true);
    Object.assign(mean.config.layers[3]!, { class_name: 'TFOpLambda', config: { name: 'tf.__operators__.getitem', function: 'math.reduce_mean' }, inbound_nodes: [['lstm', 0, 0, { axis: 1 }]] });
    assert.throws(() => modelFromKeras(mean, 'keras2', 'mean'), /may carry a step mask/);
  });

  it('refuses Keras 3 ops no rnnkit layer computes exactly, naming the op and what is read', async () => {
    const sl = (start: unknown = null, stop: unknown = null, step: unknown = null) => ({ class_name: '__slice__', config: { start, stop, step } });
    const key = (k: unknown) => editK3((all) => (opK3(all, 'get_item').inbound_nodes[0]!.args[1] = k));
    await refusesK3(key(-1), /the Keras 3 op 'GetItem' .* with key -1 is not supported: it indexes the batch axis; rnnkit reads x\[:, i\] and x\[:, a:b\]/);
    await refusesK3(key([0, -1]), /it indexes the batch axis/);
    await refusesK3(key([sl(), sl(), 0]), /it indexes an axis after the time axis/);
    await refusesK3(key([{ class_name: '__ellipsis__', config: {} }, -1]), /a key starting with an ellipsis indexes the last axes/);
    await refusesK3(key([sl(), sl(0, 4, 2)]), /the step is 2, not 1/);
    await refusesK3(editK3((all) => (opK3(all, 'mean').config.axis = [-1])), /the Keras 3 op 'Mean' .* over axis \[-1\] is not supported; rnnkit reads it over the time axis/);
    await refusesK3(editK3((all) => (opK3(all, 'mean').class_name = 'Sum')), /the Keras 3 op 'Sum' .* is not supported: no rnnkit layer sums over steps/);
    await refusesK3(editK3((all) => (opK3(all, 'transpose').class_name = 'Matmul')), /the Keras 3 op 'Matmul' .* is not supported/);
    await refusesK3(editK3((all) => (opK3(all, 'concatenate').config.axis = 0)), /'Concatenate' .* along axis 0 is not supported/);
    await refusesK3(editK3((all) => (opK3(all, 'transpose').config.axes = [1, 0, 2])), /'Transpose' .* with axes \[1,0,2\] is not supported/);
    await refusesK3(editK3((all) => (opK3(all, 'reshape').config.newshape = [2, 3, 4])), /'Reshape' .* to \[2,3,4\] is not supported/);
    await refusesK3(editK3((all) => (opK3(all, 'softmax').config.axis = 1)), /'Softmax' .* over axis 1 is not supported/);
    await refusesK3(editK3((all) => (opK3(all, 'max').config.initial = 0)), /'Max' .* with initial = 0/);
    // x[:, -1] on a [batch, features] tensor slices features, not time: refused when the graph is built.
    await refusesK3(editK3((all) => (opK3(all, 'get_item_2').inbound_nodes[0]!.args[0] = { class_name: '__keras_tensor__', config: { shape: [null, 12], dtype: 'float32', keras_history: ['concatenate', 0, 0] } })), /'GetItem' .* on a tensor of rank 2 is not supported/);
    // Squeeze of an axis whose size is not 1.
    await refusesK3(editK3((all) => (opK3(all, 'squeeze').inbound_nodes[0]!.args[0] = { class_name: '__keras_tensor__', config: { shape: [null, 2, 4], dtype: 'float32', keras_history: ['get_item_1', 0, 0] } })), /squeezes axis 1 of size 2, not 1/);
  });

  it('refuses TFOpLambda functions and arguments no rnnkit layer computes exactly, naming the function', () => {
    refusesK2((all) => (opK2(all, 'tf.math.reduce_mean').config.function = 'math.reduce_sum'), /TFOpLambda 'tf.math.reduce_mean' \(tf.math.reduce_sum .*\) is not supported: no rnnkit layer sums over steps/);
    refusesK2((all) => (opK2(all, 'tf.math.reduce_mean').config.function = 'math.cumsum'), /\(tf.math.cumsum on a Keras tensor .*\) is not supported; rnnkit reads the TensorFlow functions __operators__.getitem, math.reduce_mean/);
    refusesK2((all) => ((opK2(all, 'tf.math.reduce_mean').inbound_nodes[0] as unknown[])[3] = { axis: 2 }), /over axis 2 is not supported/);
    refusesK2((all) => ((opK2(all, 'tf.math.reduce_mean').inbound_nodes[0] as unknown[])[3] = { axis: 1, keepdims: false, exclusive: true }), /with argument 'exclusive' = true is not supported/);
    refusesK2((all) => ((opK2(all, 'tf.math.multiply').inbound_nodes[0] as unknown[])[3] = { y: 2.0, name: null }), /'tf.math.multiply' .* has a constant operand 2; rnnkit reads it only on two Keras tensors \(as Multiply\)/);
    refusesK2((all) => ((opK2(all, 'tf.__operators__.add').inbound_nodes[0] as unknown[])[3] = { y: [1, 2, 3], name: null }), /mean of shape \[3\] does not broadcast to the kept axes' \[4\]/);
    refusesK2((all) => ((opK2(all, 'tf.__operators__.add').inbound_nodes[0] as unknown[])[3] = { y: 0.5, alpha: 2 }), /with argument 'alpha' = 2 is not supported/);
    refusesK2((all) => ((opK2(all, 'tf.__operators__.getitem').inbound_nodes[0] as unknown[])[3] = { slice_spec: [FULL, { start: 0, stop: null, step: 2 }] }), /SlicingOpLambda .* the step is 2, not 1/);
    refusesK2((all) => ((opK2(all, 'tf.__operators__.getitem').inbound_nodes[0] as unknown[])[3] = { slice_spec: -1 }), /it indexes the batch axis/);
    refusesK2((all) => (opK2(all, 'tf.concat').inbound_nodes[0] = [['tf.math.multiply', 0, 0, { axis: 1 }], ['_CONSTANT_VALUE', -1, [[1, 2, 3, 4]], { axis: 1 }]]), /has a constant \[\[1,2,3,4\]\] in its first argument/);
    refusesK2((all) => (opK2(all, 'tf.expand_dims').inbound_nodes[0] = ['dense', 0, 0, { axis: 1 }]), /expand_dims .* on a tensor of rank 3 is not supported/);
    // A mask may reach the op (Embedding(mask_zero) upstream): Keras drops it there, rnnkit's layers would keep it.
    refusesK2((all) => {
      all.splice(1, 0, { class_name: 'Masking', name: 'masking', config: { name: 'masking', mask_value: 0 }, inbound_nodes: [[['input_1', 0, 0, {}]]] });
      (opK2(all, 'dense').inbound_nodes as unknown[])[0] = [['masking', 0, 0, {}]];
    }, /may carry a step mask/);
  });

  it('reads a layer with activity_regularizer for predict, refuses fit and evaluate naming the layer and option, and keeps it when saved', async () => {
    const reg = { module: 'keras.regularizers', class_name: 'L2', config: { l2: 0.01 }, registered_name: null };
    const bytes = editK3((all) => (opK3(all, 'dense').config.activity_regularizer = reg));
    const m = await loadModel({ kerasFile: bytes });
    assertLikeNumpy(m, EXPECTED[K3]!, 'with an activity regularizer');
    m.compile({ optimizer: 'sgd', loss: ['mse', 'mse'] });
    const e = EXPECTED[K3]!;
    const x = tensor((e.input as number[][][]).flat(2), e.inputShape);
    const ys = (m.predict(x) as unknown as Tensor[]).map((t) => tensor(Array.from(t.data), t.shape));
    const message = /evaluate: Dense 'dense' has option 'activity_regularizer' = \{"className":"L2","config":\{"l2":0.01\}\}; rnnkit does not implement activity regularizers/;
    assert.throws(() => m.evaluate(x, ys), message);
    await assert.rejects(m.fit(x, ys, { epochs: 1 }), /fit: Dense 'dense' has option 'activity_regularizer'/);
    // rnnkit's format and .keras keep it, so the loaded copy refuses as well.
    const back = await loadModel(await artifactsOf(m));
    back.compile({ optimizer: 'sgd', loss: ['mse', 'mse'] });
    assert.throws(() => back.evaluate(x, ys), message);
    const s = sequential({ layers: [layers.dense({ units: 2, inputShape: [3] })] });
    s.getLayer(0).activityRegularizer = { className: 'L2', config: { l2: 0.01 } };
    const saved = await saveKerasFile(s, null);
    const dense = (JSON.parse(new TextDecoder().decode(unzipSync(saved)['config.json'])) as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } }).config.layers.find((l) => l.class_name === 'Dense')!;
    assert.deepEqual(dense.config.activity_regularizer, { module: 'keras.regularizers', class_name: 'L2', config: { l2: 0.01 }, registered_name: null });
    assert.deepEqual((await loadModel({ kerasFile: saved })).getLayer(0).activityRegularizer, { className: 'L2', config: { l2: 0.01 } });
    // Cleared, the model trains.
    m.getLayer('dense').activityRegularizer = undefined;
    assert.equal(m.evaluate(x, ys).length, 3);
  });
});
