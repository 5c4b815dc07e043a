/**
 * Weight bytes of the TF.js layers-model format (src/io/weights.ts): encode/decode,
 * shards, quantized entries, float16, every error message, and name matching across
 * the naming styles of rnnkit, tfjs and Keras/tensorflowjs-converter files.
 */
import { describe, it, before } from 'node:test';
import { strict as assert } from 'node:assert';
import { ModelFormatError } from '../src/core/errors.js';
import {
  concatShards,
  decodeWeights,
  encodeWeights,
  float16ToFloat32,
  float32ToFloat16,
  matchWeights,
  type ExpectedWeight,
  type StoredWeight,
  type WeightEntry,
} from '../src/io/weights.js';
import { initTfjs, tf } from './helpers/tfjs.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadModel, tensor } from '../src/index.js';

const W = 'model.json';

/** Bytes written by hand, little-endian, the way numpy's tobytes() lays them out. */
function le(parts: ({ f32: number[] } | { i32: number[] } | { u8: number[] } | { u16: number[] })[]): ArrayBuffer {
  const n = parts.reduce((s, p) => s + ('f32' in p ? p.f32.length * 4 : 'i32' in p ? p.i32.length * 4 : 'u8' in p ? p.u8.length : p.u16.length * 2), 0);
  const buf = new ArrayBuffer(n);
  const v = new DataView(buf);
  let o = 0;
  for (const p of parts) {
    if ('f32' in p) for (const x of p.f32) (v.setFloat32(o, x, true), (o += 4));
    else if ('i32' in p) for (const x of p.i32) (v.setInt32(o, x, true), (o += 4));
    else if ('u8' in p) for (const x of p.u8) (v.setUint8(o, x), (o += 1));
    else for (const x of p.u16) (v.setUint16(o, x, true), (o += 2));
  }
  return buf;
}

function throwsFormat(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: Error) => {
    assert.ok(e instanceof ModelFormatError, `expected ModelFormatError, got ${e.name}: ${e.message}`);
    assert.match(e.message, pattern);
    return true;
  });
}

function stored(entries: Record<string, number[]>): Map<string, StoredWeight> {
  const m = new Map<string, StoredWeight>();
  for (const [name, shape] of Object.entries(entries)) {
    const size = shape.reduce((p, d) => p * d, 1);
    m.set(name, { shape, data: Float32Array.from({ length: size }, (_, i) => i + name.length / 100) });
  }
  return m;
}

const exp = (layer: string, name: string, shape: number[]): ExpectedWeight => ({ key: `${layer}/${name}`, layer, name, shape });

describe('io/weights: encode and decode', () => {
  it('round-trips float32 weights bit-exactly, in order, with groups', () => {
    const a = Float32Array.from([1.5, -2.25, 3.0e-38, Math.fround(Math.PI), -0, 7, 8, 9]);
    const b = Float32Array.from([0.1, 0.2]);
    const { specs, data } = encodeWeights([
      { name: 'lstm/kernel', shape: [2, 4], data: a },
      { name: 'optimizer/m', shape: [2], data: b, group: 'optimizer' },
    ]);
    assert.deepEqual(specs, [
      { name: 'lstm/kernel', shape: [2, 4], dtype: 'float32' },
      { name: 'optimizer/m', shape: [2], dtype: 'float32', group: 'optimizer' },
    ]);
    assert.equal(data.byteLength, 40);
    // little-endian float32, concatenated in order
    assert.equal(new DataView(data).getFloat32(4, true), -2.25);
    assert.equal(new DataView(data).getFloat32(32, true), Math.fround(0.1));
    const out = decodeWeights(data, specs, W);
    assert.deepEqual([...out.keys()], ['lstm/kernel', 'optimizer/m']);
    assert.deepEqual(out.get('lstm/kernel')!.shape, [2, 4]);
    assert.deepEqual(Array.from(out.get('lstm/kernel')!.data), Array.from(a));
    assert.ok(Object.is(out.get('lstm/kernel')!.data[4], -0));
    assert.deepEqual(out.get('optimizer/m')!.data, b);
    assert.equal(out.get('optimizer/m')!.group, 'optimizer');
    assert.equal(out.get('lstm/kernel')!.group, undefined);
  });

  it('encodes a subarray view by its own values, not its whole buffer', () => {
    const big = Float32Array.from([9, 1, 2, 9]);
    const { data } = encodeWeights([{ name: 'w', shape: [2], data: big.subarray(1, 3) }]);
    assert.deepEqual(Array.from(new Float32Array(data)), [1, 2]);
  });

  it('refuses to encode data that does not fit the shape', () => {
    assert.throws(() => encodeWeights([{ name: 'dense/kernel', shape: [2, 3], data: new Float32Array(5) }]), /'dense\/kernel' has shape \[2, 3\] \(6 values\) but 5 values/);
  });

  it('decodes int32 and bool entries to float32 values', () => {
    const data = le([{ i32: [-3, 7] }, { u8: [0, 1, 5] }]);
    const out = decodeWeights(
      data,
      [
        { name: 'i', shape: [2], dtype: 'int32' },
        { name: 'b', shape: [3], dtype: 'bool' },
      ],
      W,
    );
    assert.deepEqual(Array.from(out.get('i')!.data), [-3, 7]);
    assert.deepEqual(Array.from(out.get('b')!.data), [0, 1, 1]);
  });

  it('dequantizes uint8 entries to q·scale + min (float32 of the float64 result)', () => {
    const spec: WeightEntry = { name: 'dense/kernel', shape: [2, 2], dtype: 'float32', quantization: { dtype: 'uint8', min: -0.5, scale: 0.01, original_dtype: 'float32' } };
    const out = decodeWeights(le([{ u8: [0, 50, 255, 7] }]), [spec], W);
    const got = out.get('dense/kernel')!;
    assert.deepEqual(got.shape, [2, 2]);
    assert.deepEqual(Array.from(got.data), [-0.5, 50 * 0.01 - 0.5, 255 * 0.01 - 0.5, 7 * 0.01 - 0.5].map(Math.fround));
  });

  it('dequantizes uint16 entries to q·scale + min', () => {
    const spec: WeightEntry = { name: 'w', shape: [3], dtype: 'float32', quantization: { dtype: 'uint16', min: 1.25, scale: 2 ** -10 } };
    const out = decodeWeights(le([{ u16: [0, 1024, 65535] }]), [spec], W);
    assert.deepEqual(Array.from(out.get('w')!.data), [1.25, 2.25, Math.fround(65535 * 2 ** -10 + 1.25)]);
  });

  it('rounds quantized int32 entries as tfjs does', () => {
    const spec: WeightEntry = { name: 'w', shape: [2], dtype: 'int32', quantization: { dtype: 'uint8', min: 0, scale: 0.6 } };
    assert.deepEqual(Array.from(decodeWeights(le([{ u8: [1, 4] }]), [spec], W).get('w')!.data), [1, 2]);
  });

  it('decodes float16-quantized entries', () => {
    const spec: WeightEntry = { name: 'w', shape: [4], dtype: 'float32', quantization: { dtype: 'float16' } };
    const out = decodeWeights(le([{ u16: [0x3c00, 0xc000, 0x3800, 0x7bff] }]), [spec], W);
    assert.deepEqual(Array.from(out.get('w')!.data), [1, -2, 0.5, 65504]);
  });

  it('reads float32 weights that follow a quantized weight at an unaligned offset', () => {
    const specs: WeightEntry[] = [
      { name: 'q', shape: [3], dtype: 'float32', quantization: { dtype: 'uint8', min: 0, scale: 1 } },
      { name: 'f', shape: [2], dtype: 'float32' },
    ];
    const out = decodeWeights(le([{ u8: [1, 2, 3] }, { f32: [0.75, -8] }]), specs, W);
    assert.deepEqual(Array.from(out.get('q')!.data), [1, 2, 3]);
    assert.deepEqual(Array.from(out.get('f')!.data), [0.75, -8]);
  });

  it('decodes two shards split inside a weight, across two manifest groups', () => {
    const manifest = [
      { paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights: [{ name: 'a', shape: [3], dtype: 'float32' }] as WeightEntry[] },
      { paths: ['group2-shard1of1.bin'], weights: [{ name: 'b', shape: [2], dtype: 'float32', quantization: { dtype: 'uint8', min: -1, scale: 0.5 } }] as WeightEntry[] },
    ];
    const all = new Uint8Array(le([{ f32: [1, 2, 3] }, { u8: [0, 4] }]));
    // group 1 split at byte 6 (inside a[1]); shards handed as ArrayBuffer and as a Uint8Array view
    const shards = [all.slice(0, 6).buffer, all.slice(6, 12), all.slice(12).buffer];
    const data = concatShards(shards);
    assert.equal(data.byteLength, 14);
    const out = decodeWeights(data, manifest.flatMap((g) => g.weights), W);
    assert.deepEqual(Array.from(out.get('a')!.data), [1, 2, 3]);
    assert.deepEqual(Array.from(out.get('b')!.data), [-1, 1]);
  });

  it('accepts a Uint8Array view with an offset (e.g. a Node Buffer)', () => {
    const raw = new Uint8Array(le([{ u8: [99, 99] }, { f32: [4.5] }]));
    const out = decodeWeights(raw.subarray(2), [{ name: 'x', shape: [1], dtype: 'float32' }], W);
    assert.deepEqual(Array.from(out.get('x')!.data), [4.5]);
  });
});

describe('io/weights: agrees with tf.io.decodeWeights', () => {
  before(initTfjs);
  it('on a mixed manifest (float32, uint8, uint16, float16, int32, unaligned)', () => {
    const specs: WeightEntry[] = [
      { name: 'dense/kernel', shape: [3, 2], dtype: 'float32', quantization: { dtype: 'uint8', min: -0.3764705955982208, scale: 0.0031372549019607846, original_dtype: 'float32' } },
      { name: 'dense/bias', shape: [2], dtype: 'float32' },
      { name: 'gru/gru_cell/kernel', shape: [5], dtype: 'float32', quantization: { dtype: 'uint16', min: -1.0000152587890625, scale: 3.0518043793392844e-5 } },
      { name: 'h', shape: [6], dtype: 'float32', quantization: { dtype: 'float16' } },
      { name: 'n', shape: [2], dtype: 'int32' },
    ];
    const data = le([{ u8: [0, 17, 120, 200, 255, 3] }, { f32: [0.5, -0.125] }, { u16: [0, 1, 32768, 65534, 65535] }, { u16: [0x0001, 0x03ff, 0x8000, 0x7c00, 0xfc00, 0x3555] }, { i32: [5, -6] }]);
    const ours = decodeWeights(data, specs, W);
    const theirs = tf.io.decodeWeights(data, specs as Parameters<typeof tf.io.decodeWeights>[1]);
    for (const s of specs) {
      const t = theirs[s.name]!;
      assert.deepEqual(ours.get(s.name)!.shape, t.shape, s.name);
      assert.deepEqual(Array.from(ours.get(s.name)!.data), Array.from(t.dataSync()), s.name);
    }
  });
});

describe('io/weights: float16', () => {
  const cases: [number, number][] = [
    [0x3c00, 1],
    [0xc000, -2],
    [0x3800, 0.5],
    [0x7bff, 65504],
    [0x0001, 2 ** -24], // smallest subnormal
    [0x03ff, 1023 * 2 ** -24], // largest subnormal
    [0x0400, 2 ** -14], // smallest normal
    [0x3555, Math.fround(0.333251953125)],
    [0x0000, 0],
    [0x8000, -0],
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
  ];
  it('decodes known bit patterns', () => {
    for (const [bits, value] of cases) assert.ok(Object.is(float16ToFloat32(bits), value), `0x${bits.toString(16)} → ${float16ToFloat32(bits)}, expected ${value}`);
    assert.ok(Number.isNaN(float16ToFloat32(0x7e00)));
    assert.ok(Number.isNaN(float16ToFloat32(0xfc01)));
  });
  it('encodes known values, rounding half to even and overflowing to Infinity', () => {
    for (const [bits, value] of cases) assert.equal(float32ToFloat16(value), bits, `${value}`);
    assert.equal(float32ToFloat16(1 + 2 ** -11), 0x3c00); // halfway → even (down)
    assert.equal(float32ToFloat16(1 + 3 * 2 ** -11), 0x3c02); // halfway → even (up)
    assert.equal(float32ToFloat16(65519), 0x7bff);
    assert.equal(float32ToFloat16(65520), 0x7c00);
    assert.equal(float32ToFloat16(2 ** -25), 0x0000); // halfway to the smallest subnormal → 0
    assert.equal(float32ToFloat16(3 * 2 ** -25), 0x0002);
    assert.equal(float32ToFloat16(NaN) & 0x7c00, 0x7c00);
  });
  it('round-trips all 63488 finite half values', () => {
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 0x7c00) === 0x7c00) continue;
      assert.equal(float32ToFloat16(float16ToFloat32(h)), h);
    }
  });
});

describe('io/weights: decode errors', () => {
  const specs: WeightEntry[] = [
    { name: 'lstm/lstm_cell/kernel', shape: [3, 16], dtype: 'float32' },
    { name: 'dense/kernel', shape: [4, 2], dtype: 'float32' },
  ];
  it('short data: names the weight it ends in, expected and found bytes', () => {
    throwsFormat(() => decodeWeights(new ArrayBuffer(200), specs, W), /^model\.json: weight data has 200 bytes but the manifest needs 224 \(weights up to 'dense\/kernel' need 224 bytes; the data ends inside 'dense\/kernel' \[4, 2\] float32, 1 of 2 weights complete\)/);
    throwsFormat(() => decodeWeights(new ArrayBuffer(100), specs, W), /has 100 bytes but the manifest needs 224 .*ends inside 'lstm\/lstm_cell\/kernel' \[3, 16\]/);
  });
  it('extra data: says how many bytes are left over', () => {
    throwsFormat(() => decodeWeights(new ArrayBuffer(230), specs, W), /weight data has 230 bytes but the manifest needs only 224: 6 extra bytes after the last weight \('dense\/kernel'\)/);
  });
  it('unknown dtype is named', () => {
    throwsFormat(() => decodeWeights(new ArrayBuffer(8), [{ name: 'w', shape: [2], dtype: 'float64' as WeightEntry['dtype'] }], W), /weight 'w' has dtype 'float64', which rnnkit cannot load; supported dtypes: float32, int32, bool, uint8, uint16, float16/);
    throwsFormat(() => decodeWeights(new ArrayBuffer(8), [{ name: 's', shape: [1], dtype: 'string' }], W), /weight 's' has dtype 'string'/);
  });
  it('unknown quantization dtype is named', () => {
    throwsFormat(
      () => decodeWeights(new ArrayBuffer(2), [{ name: 'w', shape: [2], dtype: 'float32', quantization: { dtype: 'int8' as 'uint8', min: 0, scale: 1 } }], W),
      /weight 'w' has unknown quantization dtype "int8"; supported: uint8, uint16, float16/,
    );
  });
  it('uint8 quantization without scale/min', () => {
    throwsFormat(() => decodeWeights(new ArrayBuffer(2), [{ name: 'w', shape: [2], dtype: 'float32', quantization: { dtype: 'uint8', min: 0 } }], W), /weight 'w' is quantized to uint8 but its quantization lacks a finite scale and min \(found scale undefined, min 0\)/);
  });
  it('duplicate names and bad shapes', () => {
    throwsFormat(() => decodeWeights(new ArrayBuffer(8), [specs[1]!, { ...specs[1]!, shape: [0] }], W), /lists weight 'dense\/kernel' twice/);
    throwsFormat(() => decodeWeights(new ArrayBuffer(8), [{ name: 'w', shape: [2, -1], dtype: 'float32' }], W), /weight 'w' has an invalid shape \[2,-1\]/);
  });
});

describe('io/weights: matching stored names to model weights', () => {
  const lstm = [exp('lstm', 'kernel', [3, 16]), exp('lstm', 'recurrent_kernel', [4, 16]), exp('lstm', 'bias', [16])];

  function check(expected: ExpectedWeight[], names: string[]): void {
    const avail = stored(Object.fromEntries(names.map((n, i) => [n, [...expected[i]!.shape]])));
    const got = matchWeights(expected, avail, W);
    // each expected weight received exactly the stored array of its counterpart
    got.forEach((g, i) => assert.equal(g, avail.get(names[i]!)!.data, `${expected[i]!.key} ← ${names[i]}`));
  }

  it('exact layer/name (rnnkit, tfjs)', () => check(lstm, ['lstm/kernel', 'lstm/recurrent_kernel', 'lstm/bias']));
  it('Keras cell scopes', () => {
    check(lstm, ['lstm/lstm_cell/kernel', 'lstm/lstm_cell/recurrent_kernel', 'lstm/lstm_cell/bias']);
    check([exp('gru', 'kernel', [4, 9]), exp('gru', 'bias', [2, 9])], ['gru/gru_cell/kernel', 'gru/gru_cell/bias']);
    check([exp('simple_rnn', 'kernel', [1, 4])], ['simple_rnn/simple_rnn_cell/kernel']);
    check([exp('lstm_2', 'kernel', [3, 16])], ['lstm_2/lstm_cell_7/kernel']); // Keras 2 numbers cells globally
  });
  it("a ':0' suffix", () => check(lstm, ['lstm/lstm_cell/kernel:0', 'lstm/recurrent_kernel:0', 'lstm/lstm_cell/bias']));
  it('stored order does not matter', () => {
    const avail = stored({ 'lstm/bias': [16], 'lstm/kernel': [3, 16], 'lstm/recurrent_kernel': [4, 16] });
    const got = matchWeights(lstm, avail, W);
    assert.equal(got[0], avail.get('lstm/kernel')!.data);
    assert.equal(got[2], avail.get('lstm/bias')!.data);
  });
  it('Bidirectional: forward and backward sub-layers, with and without cell scopes', () => {
    const bi = [exp('bidirectional', 'forward_lstm/kernel', [3, 16]), exp('bidirectional', 'forward_lstm/bias', [16]), exp('bidirectional', 'backward_lstm/kernel', [3, 16]), exp('bidirectional', 'backward_lstm/bias', [16])];
    check(bi, ['bidirectional/forward_lstm/lstm_cell/kernel', 'bidirectional/forward_lstm/lstm_cell/bias', 'bidirectional/backward_lstm/lstm_cell/kernel', 'bidirectional/backward_lstm/lstm_cell/bias']);
    check(bi, ['bidirectional/forward_lstm/kernel', 'bidirectional/forward_lstm/bias', 'bidirectional/backward_lstm/kernel', 'bidirectional/backward_lstm/bias']);
    check(bi, ['bidirectional/forward_lstm/lstm_cell_1/kernel:0', 'bidirectional/forward_lstm/lstm_cell_1/bias:0', 'bidirectional/backward_lstm/lstm_cell_2/kernel:0', 'bidirectional/backward_lstm/lstm_cell_2/bias:0']);
  });
  it("Bidirectional from the TensorFlow.js converter and Keras 3: 'forward_forward_lstm' and 'backward_forward_lstm' halves", () => {
    // tfjs converter 4.22 with Keras 3.13 (a published signassist model.json); stored order differs on purpose
    const bi = [exp('bidirectional', 'forward_lstm/kernel', [3, 16]), exp('bidirectional', 'forward_lstm/bias', [16]), exp('bidirectional', 'backward_lstm/kernel', [3, 16]), exp('bidirectional', 'backward_lstm/bias', [16])];
    const avail = stored({ 'bidirectional/backward_forward_lstm/kernel': [3, 16], 'bidirectional/backward_forward_lstm/bias': [16], 'bidirectional/forward_forward_lstm/kernel': [3, 16], 'bidirectional/forward_forward_lstm/bias': [16] });
    const got = matchWeights(bi, avail, W);
    assert.equal(got[0], avail.get('bidirectional/forward_forward_lstm/kernel')!.data);
    assert.equal(got[2], avail.get('bidirectional/backward_forward_lstm/kernel')!.data);
    assert.equal(got[3], avail.get('bidirectional/backward_forward_lstm/bias')!.data);
    // only that doubling: a backward half stored under the backward name twice is not taken
    throwsFormat(() => matchWeights([exp('bidirectional', 'backward_lstm/kernel', [3, 16])], stored({ 'bidirectional/backward_backward_lstm/kernel': [3, 16] }), W), /is missing/);
  });
  it('Bidirectional around a layer whose own name looks like a cell scope', () => {
    const bi = [exp('enc', 'forward_enc_cell/kernel', [3, 16]), exp('enc', 'backward_enc_cell/kernel', [3, 16])];
    check(bi, ['enc/forward_enc_cell/kernel', 'enc/backward_enc_cell/kernel']);
    check(bi, ['enc/forward_enc_cell/lstm_cell/kernel', 'enc/backward_enc_cell/lstm_cell/kernel']);
  });
  it('TimeDistributed: with and without the inner layer scope', () => {
    const td = [exp('time_distributed', 'dense/kernel', [4, 2]), exp('time_distributed', 'dense/bias', [2])];
    check(td, ['time_distributed/dense/kernel', 'time_distributed/dense/bias']);
    check(td, ['time_distributed/kernel', 'time_distributed/bias']);
  });
  it('tfjs auto names (layer names given exactly)', () => {
    check([exp('lstm_LSTM1', 'kernel', [3, 16]), exp('dense_Dense1', 'bias', [2])], ['lstm_LSTM1/kernel', 'dense_Dense1/bias']);
  });
  it("a name scope around every stored weight (a TF 1 graph's, as ken-matsui/keras-seq2seq's converted model.json stores them): dropped, then matched exactly", () => {
    const seq = [exp('embedding', 'embeddings', [9, 4]), ...lstm];
    check(seq, ['AttSeq2Seq/embedding/embeddings', 'AttSeq2Seq/lstm/kernel', 'AttSeq2Seq/lstm/lstm_cell/recurrent_kernel:0', 'AttSeq2Seq/lstm/bias']);
    check(lstm, ['sequential/lstm/kernel', 'sequential/lstm/recurrent_kernel', 'sequential/lstm/bias']);
    // Not where a name already begins with a layer of the model, where the names do not share the
    // scope, or where the scope names a layer (a nested model's weights); then the usual refusals.
    throwsFormat(() => matchWeights(lstm, stored({ 'm/lstm/kernel': [3, 16], 'm/lstm/recurrent_kernel': [4, 16], 'lstm/bias': [16] }), W), /weight 'lstm\/kernel' \(shape \[3, 16\]\) is missing from the weight data; stored weights of layer 'lstm': 'lstm\/bias'/);
    throwsFormat(() => matchWeights(lstm, stored({ 'm/lstm/kernel': [3, 16], 'n/lstm/recurrent_kernel': [4, 16], 'm/lstm/bias': [16] }), W), /no stored weight belongs to layer 'lstm' \(stored: 'm\/lstm\/kernel', 'n\/lstm\/recurrent_kernel', 'm\/lstm\/bias'\)/);
    throwsFormat(() => matchWeights([exp('m', 'lstm/kernel', [3, 16]), exp('lstm', 'bias', [16])], stored({ 'm/lstm/kernel': [3, 16], 'm/lstm/bias': [16] }), W), /weight 'lstm\/bias' .* is missing .*no stored weight belongs to layer 'lstm'/);
    // Without the scope the names must still match: a scope around names of other layers is no match.
    throwsFormat(() => matchWeights(lstm, stored({ 'scope/gru/kernel': [3, 16], 'scope/gru/recurrent_kernel': [4, 16], 'scope/gru/bias': [16] }), W), /no stored weight belongs to layer 'lstm' \(stored: 'scope\/gru\/kernel', 'scope\/gru\/recurrent_kernel', 'scope\/gru\/bias'\)/);
  });
  it("Keras 3.14's Bidirectional from the TensorFlow.js converter (a published model.json): halves stored without the layer's scope get it, when exactly one Bidirectional has that half", () => {
    const bi = [exp('bidirectional', 'forward_lstm/kernel', [3, 16]), exp('bidirectional', 'backward_lstm/kernel', [3, 16]), exp('dense', 'kernel', [8, 2])];
    check(bi, ['forward_lstm/lstm_cell/kernel', 'backward_lstm/lstm_cell/kernel', 'dense/kernel']);
    // Two Bidirectionals with a half of the same name: whose it is cannot be told; refused, the scope-less names shown first.
    const two = [...bi, exp('bidirectional_1', 'forward_lstm/kernel', [3, 16])];
    throwsFormat(() => matchWeights(two, stored({ 'dense/kernel': [8, 2], 'backward_lstm/lstm_cell/kernel': [3, 16], 'forward_lstm/lstm_cell/kernel': [3, 16], 'forward_lstm/lstm_cell/bias': [16] }), W), /weight 'bidirectional\/forward_lstm\/kernel' .* is missing .*stored weights of layer 'bidirectional': 'backward_lstm\/lstm_cell\/kernel'/);
    throwsFormat(() => matchWeights([two[0]!, two[2]!, two[3]!], stored({ 'dense/kernel': [8, 2], 'forward_lstm/lstm_cell/kernel': [3, 16], 'forward_lstm/lstm_cell/bias': [16] }), W), /no stored weight belongs to layer 'bidirectional' \(stored: 'forward_lstm\/lstm_cell\/kernel', 'forward_lstm\/lstm_cell\/bias', 'dense\/kernel'\)/);
    // Not where the Bidirectional's own scope is stored, nor for a half name that is a layer of the model.
    throwsFormat(() => matchWeights(bi, stored({ 'bidirectional/forward_lstm/kernel': [3, 16], 'backward_lstm/lstm_cell/kernel': [3, 16], 'dense/kernel': [8, 2] }), W), /weight 'bidirectional\/backward_lstm\/kernel' .* is missing .*stored weights of layer 'bidirectional': 'bidirectional\/forward_lstm\/kernel'/);
    throwsFormat(() => matchWeights([...bi, exp('forward_lstm', 'kernel', [3, 16])], stored({ 'forward_lstm/kernel': [3, 16], 'backward_lstm/lstm_cell/kernel': [3, 16], 'dense/kernel': [8, 2] }), W), /weight 'bidirectional\/forward_lstm\/kernel' .* is missing/);
  });
  it('ignores optimizer-group entries', () => {
    const avail = stored({ 'lstm/kernel': [3, 16], 'lstm/recurrent_kernel': [4, 16], 'lstm/bias': [16], 'lstm/kernel/m': [3, 16] });
    avail.get('lstm/kernel/m')!.group = 'optimizer';
    assert.equal(matchWeights(lstm, avail, W).length, 3);
  });

  it('missing weight: named, with the stored names of its layer', () => {
    throwsFormat(
      () => matchWeights(lstm, stored({ 'lstm/lstm_cell/kernel': [3, 16], 'lstm/lstm_cell/bias': [16], 'dense/kernel': [4, 2] }), W),
      /^model\.json: weight 'lstm\/recurrent_kernel' \(shape \[4, 16\]\) is missing from the weight data; stored weights of layer 'lstm': 'lstm\/lstm_cell\/kernel', 'lstm\/lstm_cell\/bias'$/,
    );
    throwsFormat(() => matchWeights([exp('gru', 'kernel', [4, 9])], stored({ 'lstm/kernel': [3, 16] }), W), /weight 'gru\/kernel' \(shape \[4, 9\]\) is missing .*no stored weight belongs to layer 'gru'/);
  });
  it('a wrong scope is not a match', () => {
    throwsFormat(() => matchWeights([exp('bidirectional', 'forward_lstm/kernel', [3, 16])], stored({ 'bidirectional/backward_lstm/lstm_cell/kernel': [3, 16] }), W), /weight 'bidirectional\/forward_lstm\/kernel' .* is missing/);
  });
  it('extra stored weight: named', () => {
    throwsFormat(
      () => matchWeights(lstm, stored({ 'lstm/kernel': [3, 16], 'lstm/recurrent_kernel': [4, 16], 'lstm/bias': [16], 'lstm/peephole': [4] }), W),
      /stored weight 'lstm\/peephole' \[4\] matches no weight of the model; layer 'lstm' has 'lstm\/kernel', 'lstm\/recurrent_kernel', 'lstm\/bias'/,
    );
    throwsFormat(() => matchWeights(lstm, stored({ 'lstm/kernel': [3, 16], 'lstm/recurrent_kernel': [4, 16], 'lstm/bias': [16], 'dense_9/kernel': [4, 2] }), W), /stored weight 'dense_9\/kernel' \[4, 2\] matches no weight of the model; the model has no layer 'dense_9'/);
  });
  it('wrong shape: name, expected and found shape', () => {
    throwsFormat(
      () => matchWeights([exp('gru', 'bias', [2, 9])], stored({ 'gru/gru_cell/bias': [9] }), W),
      /^model\.json: weight 'gru\/bias' has the wrong shape: the model expects \[2, 9\], stored weight 'gru\/gru_cell\/bias' has \[9\]$/,
    );
  });
  it('ambiguous: two stored weights match one expected', () => {
    throwsFormat(() => matchWeights([exp('lstm', 'kernel', [3, 16])], stored({ 'lstm/kernel': [3, 16], 'lstm/lstm_cell/kernel:0': [3, 16] }), W), /weight 'lstm\/kernel' is ambiguous: stored weights 'lstm\/kernel' and 'lstm\/lstm_cell\/kernel:0' all match it/);
  });
  it('ambiguous: one stored weight matches two expected', () => {
    const bi = [exp('bidirectional', 'forward_lstm/kernel', [3, 16]), exp('bidirectional', 'backward_lstm/kernel', [3, 16])];
    throwsFormat(() => matchWeights(bi, stored({ 'bidirectional/kernel': [3, 16] }), W), /stored weight 'bidirectional\/kernel' is ambiguous: it matches both 'bidirectional\/forward_lstm\/kernel' and 'bidirectional\/backward_lstm\/kernel'/);
  });
});

describe('io/weights: the converter fixture (tools/make_converter_fixture.ts)', () => {
  const dir = fileURLToPath(new URL('./fixtures/converter/', import.meta.url));
  const modelJson = JSON.parse(readFileSync(dir + 'model.json', 'utf8')) as { weightsManifest: { paths: string[]; weights: WeightEntry[] }[] };
  const expected = JSON.parse(readFileSync(dir + 'expected.json', 'utf8')) as {
    weights: { name: string; shape: number[]; values: number[] }[];
    input: { shape: number[]; values: number[] };
    predictions: { shape: number[]; values: number[] };
  };
  const specs = modelJson.weightsManifest.flatMap((g) => g.weights);
  const shards = modelJson.weightsManifest.flatMap((g) => g.paths).map((p) => readFileSync(dir + p));
  before(initTfjs);

  it('is laid out as the converter writes it: two shards cut inside a weight, a uint8 weight first', () => {
    assert.deepEqual(modelJson.weightsManifest[0]!.paths, ['group1-shard1of2.bin', 'group1-shard2of2.bin']);
    assert.deepEqual(shards.map((s) => s.byteLength), [512, 338]);
    assert.equal(specs[0]!.name, 'dense/kernel');
    assert.equal(specs[0]!.quantization?.dtype, 'uint8');
  });
  it('decodes (shards concatenated, dequantized) to expected.json, as tf.io.decodeWeights does', () => {
    const data = concatShards(shards);
    const ours = decodeWeights(data, specs, 'converter/model.json');
    const theirs = tf.io.decodeWeights(data, specs as Parameters<typeof tf.io.decodeWeights>[1]);
    for (const w of expected.weights) {
      assert.deepEqual(ours.get(w.name)!.shape, w.shape, w.name);
      assert.deepEqual(Array.from(ours.get(w.name)!.data), w.values, w.name);
      assert.deepEqual(Array.from(theirs[w.name]!.dataSync()), w.values, `tfjs ${w.name}`);
    }
  });
  it('matches the cell-scoped names to the model weights, in model order', () => {
    const stored = decodeWeights(concatShards(shards), specs, 'converter/model.json');
    const want: ExpectedWeight[] = expected.weights.map((w) => {
      const parts = w.name.split('/');
      return { key: `${parts[0]}/${parts[parts.length - 1]}`, layer: parts[0]!, name: parts[parts.length - 1]!, shape: w.shape };
    });
    const got = matchWeights(want, stored, 'converter/model.json');
    got.forEach((g, i) => assert.deepEqual(Array.from(g), expected.weights[i]!.values, want[i]!.key));
  });
  it('a truncated second shard is reported with expected and found bytes', () => {
    throwsFormat(() => decodeWeights(concatShards([shards[0]!, shards[1]!.subarray(0, 300)]), specs, 'converter/model.json'), /weight data has 812 bytes but the manifest needs 850 .*ends inside 'lstm\/lstm_cell\/bias' \[16\]/);
  });
  it('loadModel reads it and predicts expected.json', async () => {
    const model = await loadModel(dir + 'model.json');
    model.getWeights().forEach((t, i) => assert.deepEqual(Array.from(t.data), expected.weights[i]!.values, expected.weights[i]!.name));
    const y = model.predict(tensor(expected.input.values, expected.input.shape));
    assert.deepEqual([...y.shape], expected.predictions.shape);
    y.data.forEach((v, i) => assert.ok(Math.abs(v - expected.predictions.values[i]!) <= 1e-6, `prediction ${i}: ${v} vs ${expected.predictions.values[i]}`));
  });
});
