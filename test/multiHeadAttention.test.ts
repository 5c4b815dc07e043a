/**
 * MultiHeadAttention: outputs and scores against a float64 numpy implementation of Keras's
 * einsums (tools/mha_fixture.py, itself checked against torch's
 * multi_head_attention_forward), finite-difference gradients of every weight and input (masks
 * and causal included), a learning test with a known answer, configs (Keras 3, tf.keras 2,
 * unknown and unsupported options), and the model files: a tf.keras 2 .h5, a Keras 3 .keras,
 * rnnkit's own format and a .keras written by rnnkit.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { Rng } from '../src/core/rng.js';
import { exportOnnx, input, layers, loadModel, model, optimizers, saveKerasFile, tensor, type Model, type SymbolicTensor, type Tensor } from '../src/index.js';
import { layerFromKeras, layerToKeras } from '../src/io/config.js';
import { assertClose } from './helpers/check.js';
import { graphGradCheck, randomFlat, type Flat } from './helpers/graph.js';
import { artifactsOf } from './helpers/saving.js';

const DIR = new URL('./fixtures/', import.meta.url);
interface LayerCase {
  what: string;
  args: Record<string, unknown>;
  shapes: number[][];
  inputs: number[][];
  weights: number[][];
  masks: (number[] | null)[] | null;
  causal: boolean;
  out: number[];
  scores: number[];
  torchMaxAbsDiff?: { out: number; scores: number };
}
const fixture = JSON.parse(readFileSync(new URL('mha-keras.json', DIR), 'utf8')) as { layer: LayerCase[] } & Record<string, { x: number[][][] | number[][]; y: number[][] }>;
const bytesOf = (f: string): Uint8Array => new Uint8Array(readFileSync(new URL(f, DIR)));

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

describe('MultiHeadAttention: Keras numerics (float64 reference of its einsums)', () => {
  for (const c of fixture.layer) {
    it(`${c.what}: outputs and scores`, () => {
      const B = 2;
      const layer = layers.multiHeadAttention(c.args as never);
      const xs = c.inputs.map((d, i) => tensor(Float32Array.from(d), [B, ...c.shapes[i]!]));
      const mask = c.masks === null ? undefined : c.masks.map((m, i) => (m === null ? null : tensor(Float32Array.from(m), [B, c.shapes[i]![0]!])));
      const call = { mask, useCausalMask: c.causal, returnAttentionScores: true };
      layer.apply(xs, call);
      layer.setWeights(c.weights.map((w, i) => tensor(Float32Array.from(w), layer.weights[i]!.shape)));
      const [out, scores] = layer.apply(xs, call) as unknown as Tensor[];
      assert.deepEqual(scores!.shape, [B, c.args.numHeads, c.shapes[0]![0], c.shapes[1]![0]]);
      assertClose(out!.data, c.out, 1e-5, 1e-6, `${c.what}: output`);
      assertClose(scores!.data, c.scores, 1e-5, 1e-6, `${c.what}: scores`);
      assert.ok(maxAbs(out!.data, c.out) < 2e-7 && maxAbs(scores!.data, c.scores) < 1e-7, 'float32 round-off only');
      if (c.torchMaxAbsDiff !== undefined) assert.ok(c.torchMaxAbsDiff.out < 1e-12 && c.torchMaxAbsDiff.scores < 1e-12, 'the reference agrees with torch');
    });
  }
  it('weights are named, shaped and ordered as Keras has them', () => {
    const layer = layers.multiHeadAttention({ numHeads: 2, keyDim: 3, valueDim: 4, outputShape: [7] });
    layer.apply([input({ shape: [5, 6] }), input({ shape: [8, 2] }), input({ shape: [8, 9] })]);
    assert.deepEqual(layer.weights.map((w) => `${w.name} [${w.shape.join(', ')}]`), [
      'query/kernel [6, 2, 3]', 'query/bias [2, 3]', 'key/kernel [9, 2, 3]', 'key/bias [2, 3]',
      'value/kernel [2, 2, 4]', 'value/bias [2, 4]', 'attention_output/kernel [2, 4, 7]', 'attention_output/bias [7]',
    ]);
    const noBias = layers.multiHeadAttention({ numHeads: 1, keyDim: 2, useBias: false });
    noBias.apply([input({ shape: [3, 4] }), input({ shape: [3, 4] })]);
    assert.deepEqual(noBias.weights.map((w) => w.name), ['query/kernel', 'key/kernel', 'value/kernel', 'attention_output/kernel']);
  });
});

describe('MultiHeadAttention: gradients (finite differences)', () => {
  const B = 3;
  const build = (shapes: number[][], body: (xs: SymbolicTensor[]) => SymbolicTensor | SymbolicTensor[]): Model => {
    const xs = shapes.map((s) => input({ shape: s }));
    return model({ inputs: xs, outputs: body(xs) });
  };
  const data = (shapes: number[][], seed: number): Flat[] => {
    const rng = new Rng(seed);
    return shapes.map((s) => randomFlat([B, ...s], rng));
  };
  it('separate key, valueDim, outputShape, and the scores output', () => {
    const shapes = [[3, 4], [4, 3], [4, 2]];
    const m = build(shapes, (xs) => layers.multiHeadAttention({ numHeads: 2, keyDim: 2, valueDim: 3, outputShape: 3 }).apply(xs, { returnAttentionScores: true }) as unknown as SymbolicTensor[]);
    graphGradCheck(m, data(shapes, 1), 2, 'separate key');
  });
  it('self-attention [x, x] (value is key), useBias false, useCausalMask', () => {
    const shapes = [[4, 3]];
    const m = build(shapes, (xs) => layers.multiHeadAttention({ numHeads: 3, keyDim: 2, useBias: false }).apply([xs[0]!, xs[0]!], { useCausalMask: true }) as SymbolicTensor);
    graphGradCheck(m, data(shapes, 3), 4, 'self causal');
  });
  it('one layer called twice (shared weights; its second call on other lengths): the gradients add up', () => {
    const shapes = [[3, 4], [5, 4]];
    const m = build(shapes, (xs) => {
      const shared = layers.multiHeadAttention({ numHeads: 2, keyDim: 2 });
      return layers.concatenate({ axis: 1 }).apply([shared.apply([xs[0]!, xs[1]!]) as SymbolicTensor, shared.apply([xs[1]!, xs[0]!]) as SymbolicTensor]) as SymbolicTensor;
    });
    assert.equal(m.weights.length, 8, 'one set of weights');
    graphGradCheck(m, data(shapes, 6), 7, 'shared');
  });
  it('query and value masks (Embedding maskZero), causal, slidingWindow: masked query rows and keys', () => {
    const q = input({ shape: [4] });
    const v = input({ shape: [5] });
    const eq = layers.embedding({ inputDim: 5, outputDim: 3, maskZero: true }).apply(q) as SymbolicTensor;
    const ev = layers.embedding({ inputDim: 5, outputDim: 3, maskZero: true }).apply(v) as SymbolicTensor;
    const out = layers.multiHeadAttention({ numHeads: 2, keyDim: 2, slidingWindow: 3 }).apply([eq, ev], { useCausalMask: true }) as SymbolicTensor;
    const m = model({ inputs: [q, v], outputs: out });
    const ids: Flat[] = [
      { data: Float32Array.from([1, 2, 0, 3, 0, 0, 4, 1, 2, 3, 4, 1]), shape: [B, 4] },
      { data: Float32Array.from([1, 0, 2, 3, 4, 0, 0, 1, 1, 2, 4, 3, 2, 1, 0]), shape: [B, 5] },
    ];
    graphGradCheck(m, ids, 5, 'masked', new Set([0, 1]));
    const ex = m.engine.executor;
    assert.deepEqual(Array.from(ex.mask[ex.outputTensor(0)]!.slice(0, B * 4)), Array.from(ids[0]!.data, (i) => (i === 0 ? 0 : 1)), 'the output carries the query mask');
  });
});

describe('MultiHeadAttention: masks and dropout as Keras computes them', () => {
  it('a masked key gets weight 0; a query row with every key masked gets uniform weights; the output at masked query steps is not zeroed', () => {
    const layer = layers.multiHeadAttention({ numHeads: 1, keyDim: 2, seed: 1 });
    const x = tensor(Float32Array.from({ length: 12 }, (_, i) => Math.sin(i)), [1, 3, 4]);
    const [out, scores] = layer.apply([x, x], { mask: [tensor([[1, 1, 0]]), tensor([[1, 1, 0]])], returnAttentionScores: true }) as unknown as Tensor[];
    const s = Array.from(scores!.data);
    assert.equal(s[2], 0);
    assert.equal(s[5], 0);
    assertClose(s.slice(6), [1 / 3, 1 / 3, 1 / 3], 1e-6, 1e-7, 'the masked query row');
    assert.ok(out!.data.slice(8).some((v) => v !== 0));
  });
  it('dropout acts in training only; the returned scores are before dropout (as Keras returns them)', () => {
    const layer = layers.multiHeadAttention({ numHeads: 2, keyDim: 2, dropout: 0.5, seed: 3 });
    const x = tensor(Float32Array.from({ length: 2 * 5 * 3 }, (_, i) => Math.cos(i)), [2, 5, 3]);
    const [trainOut, trainScores] = layer.apply([x, x], { training: true, returnAttentionScores: true }) as unknown as Tensor[];
    const [inferOut, inferScores] = layer.apply([x, x], { returnAttentionScores: true }) as unknown as Tensor[];
    assert.ok(maxAbs(trainOut!.data, inferOut!.data) > 1e-3, 'dropout changes the output in training');
    assert.deepEqual(Array.from(trainScores!.data), Array.from(inferScores!.data));
  });
});

describe('MultiHeadAttention: learns', () => {
  it('to fetch the token a pointer names (attention by position): accuracy 1', async () => {
    // value: [token one-hot (4) | position one-hot (4)] per step; query: a one-hot pointer; answer: the token there.
    const n = 256;
    const T = 4;
    const rng = new Rng(5);
    const vals = new Float32Array(n * T * 8);
    const ptr = new Float32Array(n * 4);
    const y = new Float32Array(n);
    for (let s = 0; s < n; s++) {
      const p = Math.floor(rng.uniform() * T);
      ptr[s * 4 + p] = 1;
      for (let t = 0; t < T; t++) {
        const tok = Math.floor(rng.uniform() * 4);
        vals[(s * T + t) * 8 + tok] = 1;
        vals[(s * T + t) * 8 + 4 + t] = 1;
        if (t === p) y[s] = tok;
      }
    }
    const q = input({ shape: [1, 4] });
    const v = input({ shape: [T, 8] });
    const att = layers.multiHeadAttention({ numHeads: 1, keyDim: 8, seed: 2 }).apply([q, v]) as SymbolicTensor;
    const out = layers.dense({ units: 4, activation: 'softmax', seed: 3 }).apply(layers.flatten().apply(att) as SymbolicTensor) as SymbolicTensor;
    const m = model({ inputs: [q, v], outputs: out });
    m.compile({ optimizer: optimizers.adam({ learningRate: 0.02 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const xs = [tensor(ptr, [n, 1, 4]), tensor(vals, [n, T, 8])];
    await m.fit(xs, tensor(y, [n, 1]), { epochs: 30, batchSize: 32, verbose: 0, seed: 4 });
    const [, accuracy] = m.evaluate(xs, tensor(y, [n, 1]), { verbose: 0 }) as number[];
    assert.equal(accuracy, 1);
  });
});

describe('MultiHeadAttention: options and configs', () => {
  it('reads Keras 3 and tf.keras 2 configs, and writes back what it read', () => {
    const keras3 = {
      class_name: 'MultiHeadAttention',
      config: {
        name: 'mha', trainable: true, dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null },
        num_heads: 4, key_dim: 8, value_dim: 8, dropout: 0.1, use_bias: true, use_gate: false, output_shape: [16], attention_axes: null, sliding_window: null,
        kernel_initializer: { module: 'keras.initializers', class_name: 'GlorotUniform', config: { seed: null }, registered_name: null },
        bias_initializer: { module: 'keras.initializers', class_name: 'Zeros', config: {}, registered_name: null },
        kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null, seed: null,
      },
    };
    const l3 = layerFromKeras(keras3, 'keras3', 'test') as unknown as { numHeads: number; keyDim: number; dropout: number; getConfig(): Record<string, unknown> };
    assert.equal(l3.numHeads, 4);
    assert.equal(l3.dropout, 0.1);
    const back = layerToKeras(l3 as never).config;
    for (const k of ['num_heads', 'key_dim', 'value_dim', 'dropout', 'use_bias', 'output_shape', 'attention_axes']) assert.deepEqual(back[k], (keras3.config as Record<string, unknown>)[k], k);
    const tf2 = {
      class_name: 'MultiHeadAttention',
      config: {
        name: 'mha', trainable: true, dtype: 'float32', num_heads: 2, key_dim: 3, value_dim: 3, dropout: 0.0, use_bias: false, output_shape: null, attention_axes: [1],
        kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } }, bias_initializer: { class_name: 'Zeros', config: {} },
        kernel_regularizer: { class_name: 'L2', config: { l2: 0.01 } }, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null,
        query_shape: [null, 4, 5], key_shape: [null, 4, 5], value_shape: [null, 4, 5], softmax_robust_masking: true,
      },
    };
    const l2 = layerFromKeras(tf2, 'keras2', 'test') as unknown as { apply: (x: SymbolicTensor[]) => SymbolicTensor; weights: { regularizer: unknown }[] };
    const x = input({ shape: [4, 5] });
    l2.apply([x, x]);
    assert.ok(l2.weights[0]!.regularizer !== null, 'the kernel regularizer reaches the kernels');
    const wrong = layerFromKeras({ ...tf2, config: { ...tf2.config, name: 'mha2' } }, 'keras2', 'test') as unknown as { apply: (x: SymbolicTensor[]) => SymbolicTensor };
    const y = input({ shape: [4, 6] });
    assert.throws(() => wrong.apply([y, y]), /the query has shape \[\*, 4, 6\], but the layer's queryShape is \[\*, 4, 5\]/);
    assert.throws(() => layerFromKeras({ ...keras3, config: { ...keras3.config, definitely_not: 1 } }, 'keras3', 'test'), /unknown option 'definitelyNot'/);
  });
  it('refuses by name what it does not compute', () => {
    const x = input({ shape: [4, 5] });
    const open = input({ shape: [null, 5] });
    const mk = (o: object) => () => layers.multiHeadAttention({ numHeads: 2, keyDim: 2, ...o } as never);
    assert.throws(mk({ heads: 2 }), /unknown option 'heads'/);
    assert.throws(mk({ useGate: true }), /useGate true \(gated attention, Keras 3.12\+\) is not supported/);
    assert.throws(mk({ flashAttention: true }), /flashAttention true is not supported/);
    assert.throws(mk({ attentionAxes: [2] }), /attends over the time axis only/);
    assert.throws(mk({ outputShape: [2, 3] }), /outputShape must be a positive integer or a list of one/);
    assert.throws(mk({ activityRegularizer: 'l2' }), /activityRegularizer' is not supported yet/);
    assert.throws(mk({ loraRank: 4 }), /LoRA is not implemented/);
    assert.throws(() => layers.multiHeadAttention({ numHeads: 0, keyDim: 2 }), /numHeads must be a positive integer/);
    assert.doesNotThrow(mk({ attentionAxes: -2, flashAttention: false, useGate: false }));
    assert.throws(() => layers.multiHeadAttention({ numHeads: 2, keyDim: 2, name: 'm' }).apply([x, x], { attentionMask: x }), /MultiHeadAttention 'm': apply: attentionMask: an explicit attention_mask tensor is not supported/);
    assert.doesNotThrow(() => layers.multiHeadAttention({ numHeads: 2, keyDim: 2 }).apply([x, x], { attentionMask: null }));
    assert.throws(() => layers.multiHeadAttention({ numHeads: 2, keyDim: 2 }).apply([open, open], { returnAttentionScores: true }), /returnAttentionScores needs inputs with a known number of steps/);
    assert.throws(() => layers.multiHeadAttention({ numHeads: 2, keyDim: 2 }).apply([x]), /takes a list of 2 to 3 inputs, got 1/);
    assert.throws(() => layers.multiHeadAttention({ numHeads: 2, keyDim: 2 }).apply([input({ shape: [5] }), x]), /inputs must be \[batch, time, features\]/);
  });
});

describe('MultiHeadAttention: model files', () => {
  const predict = (m: Model, x: Tensor): Float32Array => (m.predict(x) as Tensor).data;
  it('a tf.keras 2 .h5 (LSTM → MultiHeadAttention(x, x) → pooling → Dense) loads and predicts as Keras computes', async () => {
    const e = fixture['tfkeras2-mha.h5']!;
    const m = await loadModel({ h5File: bytesOf('tfkeras2-mha.h5') });
    const x = e.x as number[][][];
    assertClose(predict(m, tensor(x)), (e.y as number[][]).flat(), 1e-5, 1e-6, 'tf.keras 2 .h5');
  });
  it('a Keras 3 .keras (Embedding mask_zero → MultiHeadAttention(x, x, key=x) → masked pooling → Dense) loads and predicts as Keras computes', async () => {
    const e = fixture['keras3-mha.keras']!;
    const m = await loadModel({ kerasFile: bytesOf('keras3-mha.keras') });
    assertClose(predict(m, tensor(e.x as number[][])), (e.y as number[][]).flat(), 1e-5, 1e-6, 'Keras 3 .keras');
  });
  it("a Keras 3 legacy .h5 (model.save('m.h5'): {args, kwargs} nodes, use_causal_mask, output_shape, variable paths as weight names) loads and predicts as Keras computes", async () => {
    const e = fixture['keras3-legacy-mha.h5']!;
    const m = await loadModel({ h5File: bytesOf('keras3-legacy-mha.h5') });
    assertClose(predict(m, tensor(e.x as number[][][])), (e.y as number[][]).flat(), 1e-5, 1e-6, 'Keras 3 legacy .h5');
  });
  it("a Keras 3.0.1 .keras, its variables under the private attributes ('_query_dense/vars/0'), loads too", async () => {
    const e = fixture['keras3.0-mha.keras']!;
    const m = await loadModel({ kerasFile: bytesOf('keras3.0-mha.keras') });
    assertClose(predict(m, tensor(e.x as number[][])), (e.y as number[][]).flat(), 1e-5, 1e-6, 'Keras 3.0 .keras');
  });
  it("reads Keras 3's query_mask / value_mask / key_mask arguments where they are the Embedding's own mask (a NotEqual op), and refuses others", async () => {
    const e = fixture['keras3-mha.keras']!;
    type Entry = { class_name: string; name: string; module?: string; inbound_nodes: { args: unknown[]; kwargs: Record<string, unknown> }[] };
    const ref = (layer: string, shape: (number | null)[], dtype = 'float32') => ({ class_name: '__keras_tensor__', config: { shape, dtype, keras_history: [layer, 0, 0] } });
    const variant = (kwargs: Record<string, unknown>, args?: unknown[]): Uint8Array => {
      const members = unzipSync(bytesOf('keras3-mha.keras'));
      const c = JSON.parse(new TextDecoder().decode(members['config.json']));
      const list = c.config.layers as Entry[];
      const mha = list.find((l) => l.class_name === 'MultiHeadAttention')!;
      list.splice(list.indexOf(mha), 0, { class_name: 'NotEqual', module: 'keras.src.ops.numpy', name: 'not_equal', inbound_nodes: [{ args: [ref('ids', [null, 5]), 0], kwargs: {} }] });
      Object.assign(mha.inbound_nodes[0]!.kwargs, kwargs);
      if (args !== undefined) mha.inbound_nodes[0]!.args = args;
      members['config.json'] = new TextEncoder().encode(JSON.stringify(c));
      return zipSync(members as Zippable);
    };
    const mask = ref('not_equal', [null, 5], 'bool');
    const m = await loadModel({ kerasFile: variant({ query_mask: mask, value_mask: mask, key_mask: mask }) });
    assertClose(predict(m, tensor(e.x as number[][])), (e.y as number[][]).flat(), 1e-5, 1e-6, 'with the masks as arguments');
    // query and value by keyword only
    const emb = ref('embedding', [null, 5, 4]);
    const byKeyword = await loadModel({ kerasFile: variant({ query: emb, value: emb, query_mask: mask }, []) });
    assert.equal(byKeyword.getLayer('multi_head_attention').inboundNodes[0]!.inputs.length, 3);
    await assert.rejects(loadModel({ kerasFile: variant({ value_mask: ref('ids', [null, 5]) }) }), /explicit mask argument .* is not supported/);
    await assert.rejects(loadModel({ kerasFile: variant({ attention_mask: mask }) }), /call argument 'attention_mask' of MultiHeadAttention 'multi_head_attention': an explicit attention_mask tensor is not supported/);
  });
  it("round-trips through rnnkit's format and a .keras file rnnkit writes, call options included", async () => {
    const q = input({ shape: [4, 3] });
    const v = input({ shape: [5, 2] });
    const mha = layers.multiHeadAttention({ numHeads: 2, keyDim: 3, valueDim: 2, outputShape: 4, seed: 7, name: 'mha' });
    const [o, s] = mha.apply([q, v, v], { useCausalMask: true, returnAttentionScores: true }) as unknown as SymbolicTensor[];
    const m = model({ inputs: [q, v], outputs: [o!, s!] });
    const rng = new Rng(8);
    for (const w of m.weights) w.value.set(Float32Array.from(w.value, () => rng.uniformIn(-0.5, 0.5)));
    const xs = [tensor(Float32Array.from({ length: 2 * 12 }, (_, i) => Math.sin(i)), [2, 4, 3]), tensor(Float32Array.from({ length: 2 * 10 }, (_, i) => Math.cos(i)), [2, 5, 2])];
    const want = (m.predict(xs) as unknown as Tensor[]).map((t) => t.data);
    const a = await artifactsOf(m);
    const viaRnnkit = await loadModel({ modelJson: a.modelJson, weightData: a.weightData });
    const viaKeras = await loadModel({ kerasFile: await saveKerasFile(m, null, { date: new Date('2026-12-05T00:00:00Z') }) });
    for (const [what, again] of [['rnnkit format', viaRnnkit], ['.keras', viaKeras]] as const) {
      const got = (again.predict(xs) as unknown as Tensor[]).map((t) => t.data);
      assert.deepEqual(got, want, what);
    }
    assert.deepEqual(viaRnnkit.weightPaths().slice(0, 2), ['mha/query/kernel', 'mha/query/bias']);
    // ONNX: test/onnxExport.test.ts runs the exported graphs in onnxruntime; here only that it writes.
    assert.ok((await exportOnnx(m)).length > 0);
  });
});
