/**
 * ONNX import, against the tool the files came from: test/fixtures/onnx holds models that
 * torch.onnx.export 1.13 wrote (tools/torch_onnx_fixtures.py) with PyTorch's own outputs on
 * inputs at batch sizes and lengths the export never saw; loadOnnx + predict must give them
 * within 1e-5, and so must ONNX Runtime on rnnkit's export of the imported model. Then the
 * imported models train (a few Adam steps lower the loss), stream,
 * save and load; rnnkit's own exports come back with the same predictions; everything outside
 * the subset is refused in one error naming each op; damaged bytes give ModelFormatErrors
 * naming the byte offset, never another error or a large allocation.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Rng } from '../src/core/rng.js';
import { encodeModel, DType, type TensorDef } from '../src/io/onnx/proto.js';
import { exportOnnx, input, layers, loadModel, loadOnnx, model, sequential, ModelFormatError, OnnxImportError, Tensor, tensor, type Model, type SymbolicTensor } from '../src/index.js';
import { maxDiff } from './helpers/onnx.js';

const TOL = 1e-5;
/** int64 values as an initializer's raw bytes. */
const i64 = (...v: number[]): Uint8Array => new Uint8Array(BigInt64Array.from(v.map(BigInt)).buffer);
/** n float32 values uniform in [−a, a) from rng, as raw bytes. */
const randomF32 = (rng: Rng, a: number) => (n: number): Uint8Array => new Uint8Array(Float32Array.from({ length: n }, () => rng.uniformIn(-a, a)).buffer);
/** A graph as tf2onnx writes its header (opset 13 and 1.17 unless said). */
const tf2onnx = (g: Omit<Parameters<typeof encodeModel>[0], 'irVersion' | 'opset' | 'producerName' | 'producerVersion' | 'graphName' | 'docString'>, opset = 13, version = '1.17.0'): Uint8Array =>
  encodeModel({ irVersion: 8, opset, producerName: 'tf2onnx', producerVersion: version, graphName: 'tf2onnx', docString: '', ...g });
/** W, R and B initializers (W1, R1, B1, W2, …) of stacked one-direction LSTMs of H units, layer l reading ins[l] features. */
const lstmStack = (f32: (n: number) => Uint8Array, H: number, ins: readonly number[]): TensorDef[] =>
  ins.flatMap((I, l) => [
    { name: `W${l + 1}`, dtype: DType.float, dims: [1, 4 * H, I], raw: f32(4 * H * I) },
    { name: `R${l + 1}`, dtype: DType.float, dims: [1, 4 * H, H], raw: f32(4 * H * H) },
    { name: `B${l + 1}`, dtype: DType.float, dims: [1, 8 * H], raw: f32(8 * H) },
  ]);
/** rnnkit's prediction of x against ONNX Runtime's output 'out' of the same file (input `input`), within TOL. */
async function agreesWithOrt(bytes: Uint8Array, m: Awaited<ReturnType<typeof loadOnnx>>, input: string, x: Float32Array, shape: number[], label = ''): Promise<void> {
  const session = await ort.InferenceSession.create(bytes);
  const want = (await session.run({ [input]: new ort.Tensor('float32', x, shape) })).out!.data as Float32Array;
  const got = (m.predict(tensor(Array.from(x), shape)) as Tensor).data;
  assert.ok(maxDiff(got, want) <= TOL, `${label === '' ? '' : `${label}: `}max |rnnkit - onnxruntime| = ${maxDiff(got, want)}`);
}
const DIR = new URL('./fixtures/onnx/', import.meta.url).pathname;

interface Fixture {
  name: string;
  opset: number;
  input: 'float' | 'ids';
  layout: 'batch-major' | 'time-major';
  outputLayouts: ('batch' | 'time-major' | 'state')[];
  cases: { input: { dims: number[]; data: number[] }; outputs: { dims: number[]; data: number[] }[] }[];
}

const fixtures: Fixture[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Fixture);

/** [T, B, F] → [B, T, F] (and token ids [T, B] → [B, T]). */
function batchMajor(data: readonly number[], dims: readonly number[]): { data: number[]; dims: number[] } {
  const [T, B, F = 1] = dims as [number, number, number?];
  if (dims.length === 2) return { data: Array.from({ length: T * B }, (_, i) => data[(i % T) * B + Math.floor(i / T)]!), dims: [B, T] };
  const out = new Array<number>(data.length);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) for (let k = 0; k < F; k++) out[(b * T + t) * F + k] = data[(t * B + b) * F + k]!;
  return { data: out, dims: [B, T, F] };
}

function inputOf(fx: Fixture, c: Fixture['cases'][number]): Tensor {
  const x = fx.layout === 'time-major' ? batchMajor(c.input.data, c.input.dims) : c.input;
  return tensor(x.data, x.dims);
}

/** PyTorch's output as rnnkit gives it: batch axis first; h_n / c_n of one direction [1, B, H] → [B, H]. */
function expected(layout: string, o: { dims: number[]; data: number[] }): { data: number[]; dims: number[] } {
  if (layout === 'time-major') return batchMajor(o.data, o.dims);
  if (layout === 'state') return { data: o.data, dims: o.dims.slice(1) };
  return o;
}

const outputsOf = (m: Model, x: Tensor | Tensor[]): Tensor[] => {
  const y = m.predict(x) as unknown as Tensor | Tensor[];
  return Array.isArray(y) ? y : [y];
};

describe('loadOnnx: PyTorch exports give PyTorch’s outputs', () => {
  it('has the fixtures', () => assert.ok(fixtures.length >= 15, `${fixtures.length} fixtures`));
  let worst = 0;
  for (const fx of fixtures) {
    it(`${fx.name} (opset ${fx.opset}, ${fx.layout})`, async () => {
      const m = await loadOnnx(join(DIR, `${fx.name}.onnx`));
      for (const c of fx.cases) {
        const ys = outputsOf(m, inputOf(fx, c));
        assert.equal(ys.length, c.outputs.length);
        c.outputs.forEach((o, i) => {
          const want = expected(fx.outputLayouts[i]!, o);
          assert.deepEqual(ys[i]!.shape, want.dims, `output ${i} shape`);
          const d = maxDiff(ys[i]!.data, want.data);
          worst = Math.max(worst, d);
          assert.ok(d <= TOL, `output ${i}: max |rnnkit - PyTorch| = ${d}`);
        });
      }
    });
  }
  it('reports the largest difference', () => {
    console.log(`# loadOnnx vs PyTorch: max abs difference ${worst.toExponential(2)} over ${fixtures.length} models`);
    assert.ok(worst <= TOL);
  });

  it('maps chains to a Sequential and the last step of a forward LSTM to returnSequences: false', async () => {
    const m = await loadOnnx(readFileSync(join(DIR, 'embedding_lstm_classifier.onnx')));
    assert.equal(m.className, 'Sequential');
    assert.deepEqual(
      m.layers.map((l) => l.className),
      ['Embedding', 'LSTM', 'Dense'],
    );
    const config = m.layers[1]!.getConfig() as { return_sequences?: boolean; returnSequences?: boolean };
    assert.equal(config.return_sequences ?? config.returnSequences, false);
    const bi = await loadOnnx(join(DIR, 'lstm_bi2_states_tm.onnx'));
    assert.deepEqual(
      bi.layers.map((l) => l.className),
      ['Bidirectional', 'Bidirectional', 'Dense'],
    );
    const gru = await loadOnnx(join(DIR, 'gru_last_bf.onnx'));
    assert.equal((gru.layers[0]!.getConfig() as { reset_after?: boolean; resetAfter?: boolean }).reset_after ?? (gru.layers[0]!.getConfig() as { resetAfter?: boolean }).resetAfter, true);
  });
});

describe('PyTorch → loadOnnx → exportOnnx → ONNX Runtime', () => {
  // The whole way round: what rnnkit imported and exports again runs in onnxruntime-node to PyTorch's outputs.
  for (const fx of fixtures) {
    it(fx.name, async () => {
      const m = await loadOnnx(join(DIR, `${fx.name}.onnx`));
      const session = await ort.InferenceSession.create(await exportOnnx(m));
      for (const c of fx.cases) {
        const x = inputOf(fx, c);
        const got = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', x.data, x.shape) });
        c.outputs.forEach((o, i) => {
          const want = expected(fx.outputLayouts[i]!, o);
          const d = maxDiff(got[session.outputNames[i]!]!.data as Float32Array, want.data);
          assert.ok(d <= TOL, `output ${i}: max |onnxruntime - PyTorch| = ${d}`);
        });
      }
    });
  }
});

describe('loadOnnx: imported models train, stream and save', () => {
  it('a few Adam steps lower the loss of an imported classifier; save/loadModel keeps its predictions', async () => {
    const m = await loadOnnx(join(DIR, 'embedding_lstm_classifier.onnx'));
    const rng = new Rng(7);
    // Class = whether token 3 appears in the row: a tiny task the LSTM can start to learn.
    const rows = Array.from({ length: 24 }, () => Array.from({ length: 6 }, () => 1 + Math.floor(rng.uniform() * 9)));
    const y = rows.map((r) => (r.includes(3) ? [1, 0, 0] : [0, 1, 0]));
    m.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    const before = (m.evaluate(tensor(rows), tensor(y)) as unknown as number[] | number) as number | number[];
    const first = Array.isArray(before) ? before[0]! : before;
    const h = await m.fit(tensor(rows), tensor(y), { epochs: 8, batchSize: 8, verbose: 0, seed: 1 });
    const losses = h.history.loss as number[];
    assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
    assert.ok(losses[losses.length - 1]! < first, `loss ${first} → ${losses.join(', ')}`);
    const dir = mkdtempSync(join(tmpdir(), 'rnnkit-onnx-'));
    try {
      await m.save(dir);
      const again = await loadModel(dir);
      const x = tensor(rows.slice(0, 5));
      assert.deepEqual([...outputsOf(again, x)[0]!.data], [...outputsOf(m, x)[0]!.data]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a graph model (sequence and both states as outputs) trains on its first output', async () => {
    const m = await loadOnnx(join(DIR, 'lstm_states_bf.onnx'));
    assert.equal(m.outputs.length, 3);
    const rng = new Rng(3);
    const x = tensor(Array.from({ length: 4 * 5 * 3 }, () => rng.uniform() - 0.5), [4, 5, 3]);
    const target = tensor(Array.from({ length: 4 * 5 * 4 }, () => 0.1), [4, 5, 4]);
    m.compile({ optimizer: 'adam', loss: ['mse', null, null] as never });
    const h = await m.fit(x, [target, null, null] as never, { epochs: 5, batchSize: 4, verbose: 0 });
    const losses = h.history.loss as number[];
    assert.ok(losses.every(Number.isFinite) && losses[4]! < losses[0]!, `losses ${losses}`);
  });

  it('streams an imported sequence model one step at a time as predict does on the whole sequence', async () => {
    const fx = fixtures.find((f) => f.name === 'lstm_seq_bf')!;
    const m = await loadOnnx(join(DIR, 'lstm_seq_bf.onnx'));
    const c = fx.cases[0]!;
    const [B, T, F] = c.input.dims as [number, number, number];
    const whole = outputsOf(m, inputOf(fx, c))[0]!;
    const s = m.stream({ batchSize: B });
    for (let t = 0; t < T; t++) {
      const xt = Array.from({ length: B }, (_, b) => c.input.data.slice((b * T + t) * F, (b * T + t + 1) * F));
      const yt = s.step(tensor(xt));
      const U = yt.shape[yt.shape.length - 1]!;
      for (let b = 0; b < B; b++) for (let u = 0; u < U; u++) assert.ok(Math.abs(yt.data[b * U + u]! - whole.data[(b * T + t) * U + u]!) < 1e-6);
    }
  });
});

describe('loadOnnx: rnnkit → exportOnnx → loadOnnx', () => {
  const rng = new Rng(11);
  const randomize = (m: Model): void => m.setWeights(m.getWeights().map((w) => new Tensor(Float32Array.from(w.data, () => (rng.uniform() - 0.5) * 1.2), w.shape)));
  const floats = (shape: number[]): Tensor => tensor(Array.from({ length: shape.reduce((a, d) => a * d, 1) }, () => rng.uniform() * 2 - 1), shape);
  const cases: [string, () => Model, () => Tensor | Tensor[]][] = [
    ['LSTM sequence → Dense tanh', () => sequential({ layers: [layers.lstm({ units: 5, returnSequences: true, inputShape: [null, 4] }), layers.dense({ units: 2, activation: 'tanh' })] }), () => floats([3, 6, 4])],
    ['GRU resetAfter → softmax', () => sequential({ layers: [layers.gru({ units: 5, inputShape: [null, 4] }), layers.dense({ units: 2, activation: 'softmax' })] }), () => floats([2, 7, 4])],
    ['GRU resetAfter: false', () => sequential({ layers: [layers.gru({ units: 5, resetAfter: false, inputShape: [null, 4] }), layers.dense({ units: 2 })] }), () => floats([2, 3, 4])],
    ['SimpleRNN relu', () => sequential({ layers: [layers.simpleRNN({ units: 5, activation: 'relu', inputShape: [null, 4] }), layers.dense({ units: 2 })] }), () => floats([3, 5, 4])],
    ['LSTM hard sigmoid gates', () => sequential({ layers: [layers.lstm({ units: 5, recurrentActivation: 'hardSigmoid', inputShape: [null, 4] })] }), () => floats([3, 5, 4])],
    [
      'Bidirectional LSTM sequences → Bidirectional GRU',
      () => sequential({ layers: [layers.bidirectional({ layer: layers.lstm({ units: 5, returnSequences: true }), inputShape: [null, 4] }), layers.bidirectional({ layer: layers.gru({ units: 3 }) }), layers.dense({ units: 2 })] }),
      () => floats([3, 6, 4]),
    ],
    ['goBackwards GRU sequence (reverse op, then Y reversed in time)', () => sequential({ layers: [layers.gru({ units: 5, goBackwards: true, returnSequences: true, inputShape: [null, 4] }), layers.dense({ units: 2 })] }), () => floats([3, 6, 4])],
    ['goBackwards LSTM last output', () => sequential({ layers: [layers.lstm({ units: 5, goBackwards: true, inputShape: [null, 4] })] }), () => floats([2, 5, 4])],
    ['Bidirectional merge sum', () => sequential({ layers: [layers.bidirectional({ layer: layers.lstm({ units: 5 }), mergeMode: 'sum', inputShape: [null, 4] }), layers.dense({ units: 2 })] }), () => floats([2, 4, 4])],
    [
      'Embedding → LSTM → softmax',
      () => sequential({ layers: [layers.embedding({ inputDim: 20, outputDim: 4, inputShape: [null] }), layers.lstm({ units: 5 }), layers.dense({ units: 3, activation: 'softmax' })] }),
      () => tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 6]),
    ],
    ...(
      [
        ['LSTM last output', () => layers.lstm({ units: 5 })],
        ['GRU sequence (Keras values past each row)', () => layers.gru({ units: 5, returnSequences: true })],
        ['GRU sequence, zeroOutputForMask', () => layers.gru({ units: 5, returnSequences: true, zeroOutputForMask: true })],
        ['Bidirectional LSTM sequence', () => layers.bidirectional({ layer: layers.lstm({ units: 3, returnSequences: true }) })],
      ] as [string, () => ReturnType<typeof layers.lstm>][]
    ).map(
      ([what, rec]): [string, () => Model, () => Tensor] => [
        `Embedding maskZero → ${what} (sequence_lens from the mask)`,
        () => sequential({ layers: [layers.embedding({ inputDim: 20, outputDim: 4, maskZero: true, inputShape: [null] }), rec(), layers.dense({ units: 2 })] }),
        () => tensor([1, 2, 3, 0, 0, 0, 7, 8, 9, 10, 11, 12, 4, 0, 0, 0, 0, 0], [3, 6]), // right-padded rows, as the export requires
      ],
    ),
    ...(
      [
        ['LSTM', () => layers.lstm({ units: 3 })],
        ['GRU sequence', () => layers.gru({ units: 3, returnSequences: true })],
        ['Bidirectional SimpleRNN', () => layers.bidirectional({ layer: layers.simpleRNN({ units: 3 }) })],
      ] as [string, () => ReturnType<typeof layers.lstm>][]
    ).map(
      ([what, rec]): [string, () => Model, () => Tensor] => [
        `Masking → ${what} (sequence_lens from the kept steps)`,
        () => sequential({ layers: [layers.masking({ maskValue: 0, inputShape: [null, 2] }), rec(), layers.dense({ units: 2 })] }),
        () => tensor([1, 2, 3, 4, 0, 0, 0, 0, 5, 6, 7, 8, 9, 1, 0, 0, 2, 2, 0, 0, 0, 0, 0, 0], [3, 4, 2]), // right-padded rows
      ],
    ),
    [
      'encoder–decoder with initial states and a state output',
      () => {
        const enc = input({ shape: [null, 4] });
        const [, h, c] = layers.lstm({ units: 5, returnState: true }).apply(enc) as unknown as SymbolicTensor[];
        const dec = input({ shape: [null, 3] });
        const [seq] = layers.lstm({ units: 5, returnSequences: true, returnState: true }).apply(dec, { initialState: [h!, c!] }) as unknown as SymbolicTensor[];
        return model({ inputs: [enc, dec], outputs: [layers.dense({ units: 3 }).apply(seq!) as SymbolicTensor, h!] });
      },
      () => [floats([3, 6, 4]), floats([3, 4, 3])],
    ],
  ];
  for (const [name, make, data] of cases) {
    it(name, async () => {
      const m = make();
      randomize(m);
      const back = await loadOnnx(await exportOnnx(m));
      const x = data();
      const a = outputsOf(m, x);
      const b = outputsOf(back, x);
      assert.equal(b.length, a.length);
      assert.deepEqual(back.outputNames, m.outputNames, 'layer names come back from the initializer names');
      a.forEach((t, i) => {
        assert.deepEqual(b[i]!.shape, t.shape);
        assert.ok(maxDiff(b[i]!.data, t.data) <= TOL, `output ${i}: ${maxDiff(b[i]!.data, t.data)}`);
      });
    });
  }
});

/** An ONNX model by hand: X [B, T, 3] → Transpose → LSTM (attrs, extra inputs) → …, to test refusals. */
function handMade(extra: { attrs?: Record<string, unknown>; more?: { op: string; name: string }[]; peephole?: boolean }): Uint8Array {
  const H = 2;
  const f32 = (n: number): Uint8Array => new Uint8Array(new Float32Array(n).fill(0.1).buffer);
  const inits = [
    { name: 'W', dtype: DType.float, dims: [1, 4 * H, 3], raw: f32(4 * H * 3) },
    { name: 'R', dtype: DType.float, dims: [1, 4 * H, H], raw: f32(4 * H * H) },
    { name: 'B', dtype: DType.float, dims: [1, 8 * H], raw: f32(8 * H) },
    { name: 'P', dtype: DType.float, dims: [1, 3 * H], raw: f32(3 * H) },
  ];
  const lstmInputs = ['xt', 'W', 'R', 'B', '', '', ''];
  if (extra.peephole) lstmInputs.push('P');
  const nodes = [
    { op: 'Transpose', inputs: ['x'], outputs: ['xt'], name: 'to_time_major', attrs: [{ name: 'perm', value: [1, 0, 2] }] },
    { op: 'LSTM', inputs: lstmInputs, outputs: ['', 'h'], name: 'my_lstm', attrs: [{ name: 'hidden_size', value: H }, ...Object.entries(extra.attrs ?? {}).map(([name, value]) => ({ name, value: value as never }))] },
    ...(extra.more ?? []).map((n, i) => ({ op: n.op, inputs: [i === 0 ? 'h' : `m${i - 1}`], outputs: [`m${i}`], name: n.name, attrs: [] })),
  ];
  return encodeModel({
    irVersion: 8,
    opset: 17,
    producerName: 'test',
    producerVersion: '0',
    graphName: 'hand',
    docString: '',
    nodes,
    initializers: inits,
    inputs: [{ name: 'x', dtype: DType.float, dims: ['batch', 'time', 3] }],
    outputs: [{ name: (extra.more?.length ?? 0) > 0 ? `m${extra.more!.length - 1}` : 'h', dtype: DType.float, dims: [1, 'batch', H] }],
  });
}

describe('loadOnnx: tf2onnx exports of Keras recurrent layers', () => {
  it("reads the zero states tf2onnx computes from the input's shape (Shape → Cast → Slice → Concat → Expand → Unsqueeze) and gives ONNX Runtime's outputs", async () => {
    // The graph tf2onnx 1.17 writes for Keras 3's Sequential([Input((T, 3)), LSTM(2), Dense(1)]).
    const H = 2;
    const rng = new Rng(5);
    const f32 = randomF32(rng, 0.8);
    const bytes = tf2onnx({
      nodes: [
        { op: 'Transpose', inputs: ['x'], outputs: ['xt'], name: 'lstm/transpose', attrs: [{ name: 'perm', value: [1, 0, 2] }] },
        { op: 'Shape', inputs: ['x'], outputs: ['shape'], name: 'lstm/Shape', attrs: [] },
        { op: 'Cast', inputs: ['shape'], outputs: ['shape32'], name: 'lstm/Shape__1', attrs: [{ name: 'to', value: DType.int32 }] },
        { op: 'Slice', inputs: ['shape32', 'zero', 'one', 'zero'], outputs: ['batch'], name: 'lstm/strided_slice', attrs: [] },
        { op: 'Concat', inputs: ['batch', 'units'], outputs: ['packed'], name: 'lstm/zeros/packed', attrs: [{ name: 'axis', value: 0 }] },
        { op: 'Cast', inputs: ['packed'], outputs: ['packed64'], name: 'lstm/zeros__2', attrs: [{ name: 'to', value: DType.int64 }] },
        { op: 'Expand', inputs: ['zero_f', 'packed64'], outputs: ['zeros'], name: 'lstm/zeros', attrs: [] },
        { op: 'Unsqueeze', inputs: ['zeros', 'zero'], outputs: ['h0'], name: 'Unsqueeze__3', attrs: [] },
        { op: 'LSTM', inputs: ['xt', 'W', 'R', 'B', '', 'h0', 'h0'], outputs: ['y'], name: 'LSTM__4', attrs: [{ name: 'hidden_size', value: H }] },
        { op: 'Squeeze', inputs: ['y', 'one'], outputs: ['ys'], name: 'Squeeze__5', attrs: [] },
        { op: 'Slice', inputs: ['ys', 'minus_one', 'big', 'zero'], outputs: ['last1'], name: 'lstm/strided_slice_3', attrs: [] },
        { op: 'Squeeze', inputs: ['last1', 'zero'], outputs: ['last'], name: 'lstm/strided_slice_3__6', attrs: [] },
        { op: 'MatMul', inputs: ['last', 'K'], outputs: ['mm'], name: 'dense/MatMul', attrs: [] },
        { op: 'Add', inputs: ['mm', 'bias'], outputs: ['out'], name: 'dense/BiasAdd', attrs: [] },
      ],
      initializers: [
        { name: 'W', dtype: DType.float, dims: [1, 4 * H, 3], raw: f32(4 * H * 3) },
        { name: 'R', dtype: DType.float, dims: [1, 4 * H, H], raw: f32(4 * H * H) },
        { name: 'B', dtype: DType.float, dims: [1, 8 * H], raw: f32(8 * H) },
        { name: 'K', dtype: DType.float, dims: [H, 1], raw: f32(H) },
        { name: 'bias', dtype: DType.float, dims: [1], raw: f32(1) },
        { name: 'zero_f', dtype: DType.float, dims: [], raw: new Uint8Array(4) },
        { name: 'zero', dtype: DType.int64, dims: [1], raw: i64(0) },
        { name: 'one', dtype: DType.int64, dims: [1], raw: i64(1) },
        { name: 'minus_one', dtype: DType.int64, dims: [1], raw: i64(-1) },
        { name: 'big', dtype: DType.int64, dims: [1], raw: i64(2147483647) },
        { name: 'units', dtype: DType.int32, dims: [1], raw: new Uint8Array(Int32Array.of(H).buffer) },
      ],
      inputs: [{ name: 'x', dtype: DType.float, dims: ['unk__1', 5, 3] }],
      outputs: [{ name: 'out', dtype: DType.float, dims: ['unk__2', 1] }],
    });
    const m = await loadOnnx(bytes);
    const x = Float32Array.from({ length: 3 * 5 * 3 }, () => rng.uniformIn(-1, 1));
    await agreesWithOrt(bytes, m, 'x', x, [3, 5, 3]);
  });

  it("reads Keras 3's TimeDistributed(Dense) as tf2onnx unrolls it (each step sliced, squeezed, multiplied, stacked) as one Dense, after x[:, -P:] (ends INT32_MAX) or right after the LSTM, and gives ONNX Runtime's outputs", async () => {
    // After a published tf2onnx 1.17 file (water-forecast-app: LSTM → Lambda x[:, -30:, :] → TimeDistributed(Dense(5))):
    // the LSTM's sequence stays time-major [T, B, H]; the Lambda is a Slice with starts [0, -P, 0], ends
    // INT32_MAX and axes [1, 0, 2]; step t is Slice [t, t+1) on axis 0, Squeeze, MatMul, Add (Relu),
    // Unsqueeze 0; the steps are joined by a Concat on axis 0 and put batch first by a Transpose.
    const [T, F, H, U] = [6, 3, 4, 2];
    const rng = new Rng(31);
    const f32 = randomF32(rng, 0.8);
    const MAX = 2147483647;
    const graph = (o: { crop: number | null; relu: boolean; otherKernelAt?: number }) => {
      const P = o.crop ?? T;
      const nodes = [
        { op: 'Transpose', inputs: ['x'], outputs: ['xt'], name: 'lstm/transpose', attrs: [{ name: 'perm', value: [1, 0, 2] }] },
        { op: 'LSTM', inputs: ['xt', 'W', 'R', 'B'], outputs: ['y'], name: 'LSTM__1', attrs: [{ name: 'hidden_size', value: H }] },
        { op: 'Squeeze', inputs: ['y', 'one'], outputs: ['seq'], name: 'Squeeze__2', attrs: [] },
        ...(o.crop === null ? [] : [{ op: 'Slice', inputs: ['seq', 'crop_starts', 'crop_ends', 'crop_axes'], outputs: ['cropped'], name: 'lambda/strided_slice', attrs: [] }]),
      ];
      const src = o.crop === null ? 'seq' : 'cropped';
      const inits = [
        { name: 'W', dtype: DType.float, dims: [1, 4 * H, F], raw: f32(4 * H * F) },
        { name: 'R', dtype: DType.float, dims: [1, 4 * H, H], raw: f32(4 * H * H) },
        { name: 'B', dtype: DType.float, dims: [1, 8 * H], raw: f32(8 * H) },
        { name: 'K', dtype: DType.float, dims: [H, U], raw: f32(H * U) },
        { name: 'K2', dtype: DType.float, dims: [H, U], raw: f32(H * U) },
        { name: 'bias', dtype: DType.float, dims: [U], raw: f32(U) },
        { name: 'zero', dtype: DType.int64, dims: [1], raw: i64(0) },
        { name: 'one', dtype: DType.int64, dims: [1], raw: i64(1) },
        { name: 'crop_starts', dtype: DType.int64, dims: [3], raw: i64(0, -P, 0) },
        { name: 'crop_ends', dtype: DType.int64, dims: [3], raw: i64(MAX, MAX, MAX) },
        { name: 'crop_axes', dtype: DType.int64, dims: [3], raw: i64(1, 0, 2) },
      ];
      for (let t = 0; t < P; t++) {
        inits.push({ name: `s${t}`, dtype: DType.int64, dims: [1], raw: i64(t) }, { name: `e${t}`, dtype: DType.int64, dims: [1], raw: i64(t + 1) });
        const k = t === o.otherKernelAt ? 'K2' : 'K';
        nodes.push(
          { op: 'Slice', inputs: [src, `s${t}`, `e${t}`, 'zero'], outputs: [`step${t}`], name: `td/strided_slice_${t}`, attrs: [] },
          { op: 'Squeeze', inputs: [`step${t}`, 'zero'], outputs: [`sq${t}`], name: `td/strided_slice_${t}__sq`, attrs: [] },
          { op: 'MatMul', inputs: [`sq${t}`, k], outputs: [`mm${t}`], name: `td/MatMul_${t}`, attrs: [] },
          { op: 'Add', inputs: [`mm${t}`, 'bias'], outputs: [o.relu ? `pre${t}` : `out${t}`], name: `td/BiasAdd_${t}`, attrs: [] },
          ...(o.relu ? [{ op: 'Relu', inputs: [`pre${t}`], outputs: [`out${t}`], name: `td/Relu_${t}`, attrs: [] }] : []),
          { op: 'Unsqueeze', inputs: [`out${t}`, 'zero'], outputs: [`u${t}`], name: `td/stack_Unsqueeze_${t}`, attrs: [] },
        );
      }
      nodes.push(
        { op: 'Concat', inputs: Array.from({ length: P }, (_, t) => `u${t}`), outputs: ['stacked'], name: 'td/stack_Concat', attrs: [{ name: 'axis', value: 0 }] },
        { op: 'Transpose', inputs: ['stacked'], outputs: ['out'], name: 'td/transpose_1', attrs: [{ name: 'perm', value: [1, 0, 2] }] },
      );
      return tf2onnx({
        nodes,
        initializers: inits,
        inputs: [{ name: 'x', dtype: DType.float, dims: ['unk__1', T, F] }],
        outputs: [{ name: 'out', dtype: DType.float, dims: ['unk__2', P, U] }],
      });
    };
    const cases: { o: Parameters<typeof graph>[0]; layers: string[] }[] = [
      { o: { crop: 4, relu: false }, layers: ['LSTM', 'Cropping1D', 'Dense'] },
      { o: { crop: 4, relu: true }, layers: ['LSTM', 'Cropping1D', 'Dense'] },
      { o: { crop: null, relu: false }, layers: ['LSTM', 'Dense'] },
      // One step with other weights is no TimeDistributed: each step is read on its own, the same numbers.
      { o: { crop: 4, relu: false, otherKernelAt: 2 }, layers: [] },
      { o: { crop: null, relu: true, otherKernelAt: 5 }, layers: [] },
    ];
    for (const { o, layers: want } of cases) {
      const bytes = graph(o);
      const m = await loadOnnx(bytes);
      const classes = m.layers.map((l) => l.className).filter((c) => c !== 'InputLayer');
      if (want.length > 0) assert.deepEqual(classes, want, JSON.stringify(o));
      else assert.ok(classes.filter((c) => c === 'Dense').length === (o.crop ?? T), `${JSON.stringify(o)}: a Dense per step, got ${classes.join(' ')}`);
      const session = await ort.InferenceSession.create(bytes);
      for (const B of [1, 3]) {
        const x = Float32Array.from({ length: B * T * F }, () => rng.uniformIn(-1, 1));
        const want2 = (await session.run({ x: new ort.Tensor('float32', x, [B, T, F]) })).out!;
        const got = m.predict(tensor(Array.from(x), [B, T, F])) as Tensor;
        assert.deepEqual(got.shape, [...want2.dims]);
        assert.ok(maxDiff(got.data, want2.data as Float32Array) <= TOL, `${JSON.stringify(o)} B ${B}: max |rnnkit - onnxruntime| = ${maxDiff(got.data, want2.data as Float32Array)}`);
      }
    }
  });

  it('reads stacked Bidirectional LSTMs as tf2onnx writes them (zero states joined by a Concat, the batch from Gather(Shape, perm), the backward final state as step 0) and gives ONNX Runtime’s outputs', async () => {
    // The graph tf2onnx 1.17 writes for Keras's Sequential([Input((T, 3)), Bidirectional(LSTM(2,
    // return_sequences=True)), Bidirectional(LSTM(2)), Dense(1)]) (a published contract-analyzer
    // lstm_model.onnx has this form): each layer's [2, B, H] zero state is the [1, B, H] zeros
    // concatenated with themselves; the second layer's batch size is read from the first layer's
    // time-major output through Gather(Shape(y), [1, 0, 2]); its backward direction's final state
    // is Y[0:1] of that direction, the forward one's Y[-1:].
    const H = 2;
    const rng = new Rng(9);
    const f32 = randomF32(rng, 0.8);
    const zeroState = (tag: string, shapeOf: string, gather: boolean) => [
      { op: 'Shape', inputs: [shapeOf], outputs: [`${tag}shape`], name: `${tag}/Shape`, attrs: [] },
      ...(gather ? [{ op: 'Gather', inputs: [`${tag}shape`, 'perm'], outputs: [`${tag}shapeb`], name: `${tag}/Gather`, attrs: [] }] : []),
      { op: 'Cast', inputs: [gather ? `${tag}shapeb` : `${tag}shape`], outputs: [`${tag}shape32`], name: `${tag}/Cast`, attrs: [{ name: 'to', value: DType.int32 }] },
      { op: 'Slice', inputs: [`${tag}shape32`, 'zero', 'one', 'zero'], outputs: [`${tag}batch`], name: `${tag}/strided_slice`, attrs: [] },
      { op: 'Concat', inputs: [`${tag}batch`, 'units'], outputs: [`${tag}packed`], name: `${tag}/zeros/packed`, attrs: [{ name: 'axis', value: 0 }] },
      { op: 'Cast', inputs: [`${tag}packed`], outputs: [`${tag}packed64`], name: `${tag}/zeros_cast`, attrs: [{ name: 'to', value: DType.int64 }] },
      { op: 'Expand', inputs: ['zero_f', `${tag}packed64`], outputs: [`${tag}zeros`], name: `${tag}/zeros`, attrs: [] },
      { op: 'Unsqueeze', inputs: [`${tag}zeros`, 'zero'], outputs: [`${tag}z1`], name: `${tag}/Unsqueeze`, attrs: [] },
      { op: 'Concat', inputs: [`${tag}z1`, `${tag}z1`], outputs: [`${tag}h0`], name: `${tag}/Concat`, attrs: [{ name: 'axis', value: 0 }] },
    ];
    const bidi = [{ name: 'direction', value: 'bidirectional' }, { name: 'hidden_size', value: H }];
    const bytes = tf2onnx({
      nodes: [
        { op: 'Transpose', inputs: ['x'], outputs: ['xt'], name: 'b1/transpose', attrs: [{ name: 'perm', value: [1, 0, 2] }] },
        ...zeroState('b1', 'x', false),
        { op: 'LSTM', inputs: ['xt', 'W1', 'R1', 'B1', '', 'b1h0', 'b1h0'], outputs: ['y1'], name: 'LSTM__1', attrs: bidi },
        { op: 'Slice', inputs: ['y1', 'one', 'two', 'one'], outputs: ['y1b4'], name: 'Slice__b', attrs: [] },
        { op: 'Squeeze', inputs: ['y1b4', 'one'], outputs: ['y1b'], name: 'Squeeze__b', attrs: [] },
        { op: 'Slice', inputs: ['y1', 'zero', 'one', 'one'], outputs: ['y1f4'], name: 'Slice__f', attrs: [] },
        { op: 'Squeeze', inputs: ['y1f4', 'one'], outputs: ['y1f'], name: 'Squeeze__f', attrs: [] },
        { op: 'Concat', inputs: ['y1f', 'y1b'], outputs: ['seq'], name: 'b1/concat', attrs: [{ name: 'axis', value: 2 }] },
        ...zeroState('b2', 'seq', true),
        { op: 'LSTM', inputs: ['seq', 'W2', 'R2', 'B2', '', 'b2h0', 'b2h0'], outputs: ['y2'], name: 'LSTM__2', attrs: bidi },
        { op: 'Slice', inputs: ['y2', 'one', 'two', 'one'], outputs: ['y2b4'], name: 'Slice__b2', attrs: [] },
        { op: 'Squeeze', inputs: ['y2b4', 'one'], outputs: ['y2b'], name: 'Squeeze__b2', attrs: [] },
        { op: 'Slice', inputs: ['y2b', 'zero', 'one', 'zero'], outputs: ['y2b1'], name: 'Slice__b2first', attrs: [] },
        { op: 'Squeeze', inputs: ['y2b1', 'zero'], outputs: ['hb'], name: 'Squeeze__b2first', attrs: [] },
        { op: 'Slice', inputs: ['y2', 'zero', 'one', 'one'], outputs: ['y2f4'], name: 'Slice__f2', attrs: [] },
        { op: 'Squeeze', inputs: ['y2f4', 'one'], outputs: ['y2f'], name: 'Squeeze__f2', attrs: [] },
        { op: 'Slice', inputs: ['y2f', 'minus_one', 'big', 'zero'], outputs: ['y2f1'], name: 'b2/strided_slice_3', attrs: [] },
        { op: 'Squeeze', inputs: ['y2f1', 'zero'], outputs: ['hf'], name: 'b2/strided_slice_3__sq', attrs: [] },
        { op: 'Concat', inputs: ['hf', 'hb'], outputs: ['h'], name: 'b2/concat', attrs: [{ name: 'axis', value: 1 }] },
        { op: 'MatMul', inputs: ['h', 'K'], outputs: ['mm'], name: 'dense/MatMul', attrs: [] },
        { op: 'Add', inputs: ['mm', 'bias'], outputs: ['out'], name: 'dense/BiasAdd', attrs: [] },
      ],
      initializers: [
        { name: 'W1', dtype: DType.float, dims: [2, 4 * H, 3], raw: f32(2 * 4 * H * 3) },
        { name: 'R1', dtype: DType.float, dims: [2, 4 * H, H], raw: f32(2 * 4 * H * H) },
        { name: 'B1', dtype: DType.float, dims: [2, 8 * H], raw: f32(2 * 8 * H) },
        { name: 'W2', dtype: DType.float, dims: [2, 4 * H, 2 * H], raw: f32(2 * 4 * H * 2 * H) },
        { name: 'R2', dtype: DType.float, dims: [2, 4 * H, H], raw: f32(2 * 4 * H * H) },
        { name: 'B2', dtype: DType.float, dims: [2, 8 * H], raw: f32(2 * 8 * H) },
        { name: 'K', dtype: DType.float, dims: [2 * H, 1], raw: f32(2 * H) },
        { name: 'bias', dtype: DType.float, dims: [1], raw: f32(1) },
        { name: 'zero_f', dtype: DType.float, dims: [], raw: new Uint8Array(4) },
        { name: 'zero', dtype: DType.int64, dims: [1], raw: i64(0) },
        { name: 'one', dtype: DType.int64, dims: [1], raw: i64(1) },
        { name: 'two', dtype: DType.int64, dims: [1], raw: i64(2) },
        { name: 'minus_one', dtype: DType.int64, dims: [1], raw: i64(-1) },
        { name: 'big', dtype: DType.int64, dims: [1], raw: i64(2147483647) },
        { name: 'perm', dtype: DType.int64, dims: [3], raw: i64(1, 0, 2) },
        { name: 'units', dtype: DType.int32, dims: [1], raw: new Uint8Array(Int32Array.of(H).buffer) },
      ],
      inputs: [{ name: 'x', dtype: DType.float, dims: ['unk__1', 5, 3] }],
      outputs: [{ name: 'out', dtype: DType.float, dims: ['unk__2', 1] }],
    });
    const m = await loadOnnx(bytes);
    assert.deepEqual(m.layers.map((l) => l.constructor.name).filter((c) => c !== 'InputLayer'), ['Bidirectional', 'Bidirectional', 'Dense']);
    const x = Float32Array.from({ length: 3 * 5 * 3 }, () => rng.uniformIn(-1, 1));
    await agreesWithOrt(bytes, m, 'x', x, [3, 5, 3]);
  });

  it("reads Keras 3's RepeatVector as tf2onnx writes it (Reshape to [-1, 1, F], Unsqueeze 2, Tile by [1, 1, n, 1], Reshape to the shape built from the step's) as a RepeatVector, and gives ONNX Runtime's outputs", async () => {
    const rng = new Rng(73);
    const f32 = randomF32(rng, 0.8);
    const bytes = tf2onnx({
      nodes: [
        { op: 'MatMul', inputs: ['x', 'K'], outputs: ['h'], name: 'dense/MatMul', attrs: [] },
        { op: 'Reshape', inputs: ['h', 'step'], outputs: ['s'], name: 'repeat_vector/Reshape', attrs: [] },
        { op: 'Shape', inputs: ['s'], outputs: ['shape'], name: 'repeat_vector/Repeat/Shape', attrs: [] },
        { op: 'Cast', inputs: ['shape'], outputs: ['shape32'], name: 'repeat_vector/Repeat/Shape__1', attrs: [{ name: 'to', value: DType.int32 }] },
        { op: 'Slice', inputs: ['shape32', 'two', 'big', 'zero'], outputs: ['tail'], name: 'repeat_vector/Repeat/strided_slice_2', attrs: [] },
        { op: 'Slice', inputs: ['shape32', 'zero', 'one', 'zero'], outputs: ['head'], name: 'repeat_vector/Repeat/strided_slice', attrs: [] },
        { op: 'Concat', inputs: ['head', 'n32', 'tail'], outputs: ['to32'], name: 'repeat_vector/Repeat/concat', attrs: [{ name: 'axis', value: 0 }] },
        { op: 'Cast', inputs: ['to32'], outputs: ['to'], name: 'repeat_vector/Repeat/Reshape_1__2', attrs: [{ name: 'to', value: DType.int64 }] },
        { op: 'Unsqueeze', inputs: ['s', 'two'], outputs: ['u'], name: 'repeat_vector/Repeat/ExpandDims', attrs: [] },
        { op: 'Tile', inputs: ['u', 'reps'], outputs: ['t'], name: 'repeat_vector/Repeat/Tile', attrs: [] },
        { op: 'Reshape', inputs: ['t', 'to'], outputs: ['seq'], name: 'repeat_vector/Repeat/Reshape_1', attrs: [] },
        { op: 'Tanh', inputs: ['seq'], outputs: ['out'], name: 'activation/Tanh', attrs: [] },
      ],
      initializers: [
        { name: 'K', dtype: DType.float, dims: [3, 2], raw: f32(6) },
        { name: 'step', dtype: DType.int64, dims: [3], raw: i64(-1, 1, 2) },
        { name: 'zero', dtype: DType.int64, dims: [1], raw: i64(0) },
        { name: 'one', dtype: DType.int64, dims: [1], raw: i64(1) },
        { name: 'two', dtype: DType.int64, dims: [1], raw: i64(2) },
        { name: 'big', dtype: DType.int64, dims: [1], raw: i64(2147483647) },
        { name: 'n32', dtype: DType.int32, dims: [1], raw: new Uint8Array(Int32Array.of(4).buffer) },
        { name: 'reps', dtype: DType.int64, dims: [4], raw: i64(1, 1, 4, 1) },
      ],
      inputs: [{ name: 'x', dtype: DType.float, dims: ['unk__1', 3] }],
      outputs: [{ name: 'out', dtype: DType.float, dims: ['unk__2', 4, 2] }],
    });
    const m = await loadOnnx(bytes);
    assert.deepEqual(m.layers.map((l) => l.constructor.name).filter((c) => c !== 'InputLayer'), ['Dense', 'RepeatVector', 'Activation']);
    const x = Float32Array.from({ length: 3 * 3 }, () => rng.uniformIn(-1, 1));
    await agreesWithOrt(bytes, m, 'x', x, [3, 3]);
  });

  it("reads PyTorch's dynamo export of a 2-layer nn.LSTM (zero states Expanded from the batch size, Y transposed to [T, B, 1, H] and reshaped by a shape built from its own Shape, h_n as a Concat of the layers' Y_h, then [-1]) and gives ONNX Runtime's outputs", async () => {
    const rng = new Rng(74);
    const f32 = randomF32(rng, 0.5);
    const H = 4;
    const T = 5;
    const lstm = [{ name: 'direction', value: 'forward' }, { name: 'layout', value: 0 }, { name: 'input_forget', value: 0 }, { name: 'hidden_size', value: H }];
    // A fixed length, and an open one (dynamic_shapes): the Reshape then takes the length from Y's own Shape.
    for (const time of [T, 'time'] as const) {
      const bytes = encodeModel({
        irVersion: 10,
        opset: 18,
        producerName: 'pytorch',
        producerVersion: '2.10.0',
        graphName: 'main_graph',
        docString: '',
        nodes: [
          { op: 'Shape', inputs: ['input'], outputs: ['b'], name: 'node_Shape_0', attrs: [{ name: 'start', value: 0 }, { name: 'end', value: 1 }] },
          { op: 'Concat', inputs: ['two', 'b', 'hidden'], outputs: ['zshape'], name: 'node_Concat_7', attrs: [{ name: 'axis', value: 0 }] },
          { op: 'Expand', inputs: ['zero_f', 'zshape'], outputs: ['zeros'], name: 'node_zeros', attrs: [] },
          { op: 'Transpose', inputs: ['input'], outputs: ['xt'], name: 'node_Transpose_14', attrs: [{ name: 'perm', value: [1, 0, 2] }] },
          { op: 'Slice', inputs: ['zeros', 'i0', 'i1', 'i0'], outputs: ['h0a'], name: 'node_Slice_18', attrs: [] },
          { op: 'LSTM', inputs: ['xt', 'W1', 'R1', 'B1', '', 'h0a', 'h0a'], outputs: ['y1', 'h1'], name: 'node_LSTM_67', attrs: lstm },
          { op: 'Transpose', inputs: ['y1'], outputs: ['y1t'], name: 'node_Transpose_68', attrs: [{ name: 'perm', value: [0, 2, 1, 3] }] },
          { op: 'Shape', inputs: ['y1t'], outputs: ['ys'], name: 'node_Shape_69', attrs: [{ name: 'start', value: 0 }] },
          { op: 'Slice', inputs: ['ys', 'i0', 'i1'], outputs: ['s0'], name: 'node_Slice_70', attrs: [] },
          { op: 'Slice', inputs: ['ys', 'i1', 'i2'], outputs: ['s1'], name: 'node_Slice_72', attrs: [] },
          { op: 'Slice', inputs: ['ys', 'i2', 'i3'], outputs: ['s2'], name: 'node_Slice_74', attrs: [] },
          { op: 'Slice', inputs: ['ys', 'i3', 'i4'], outputs: ['s3'], name: 'node_Slice_76', attrs: [] },
          { op: 'Mul', inputs: ['s2', 's3'], outputs: ['dh'], name: 'node_Mul_77', attrs: [] },
          { op: 'Reshape', inputs: ['dh', 'minus_one'], outputs: ['dh1'], name: 'node_Reshape_79', attrs: [{ name: 'allowzero', value: 0 }] },
          { op: 'Concat', inputs: ['s0', 's1', 'dh1'], outputs: ['seqShape'], name: 'node_Concat_80', attrs: [{ name: 'axis', value: 0 }] },
          { op: 'Reshape', inputs: ['y1t', 'seqShape'], outputs: ['seq'], name: 'node_Reshape_81', attrs: [{ name: 'allowzero', value: 0 }] },
          { op: 'Slice', inputs: ['zeros', 'i1', 'i2', 'i0'], outputs: ['h0b'], name: 'node_Slice_82', attrs: [] },
          { op: 'LSTM', inputs: ['seq', 'W2', 'R2', 'B2', '', 'h0b', 'h0b'], outputs: ['y2', 'h2'], name: 'node_LSTM_128', attrs: lstm },
          { op: 'Concat', inputs: ['h1', 'h2'], outputs: ['hn'], name: 'node_lstm__1', attrs: [{ name: 'axis', value: 0 }] },
          { op: 'Gather', inputs: ['hn', 'last'], outputs: ['h'], name: 'node_select', attrs: [{ name: 'axis', value: 0 }] },
          { op: 'Gemm', inputs: ['h', 'K', 'bias'], outputs: ['out'], name: 'node_linear', attrs: [{ name: 'transB', value: 1 }] },
        ],
        initializers: [
          ...lstmStack(f32, H, [3, H]),
          { name: 'K', dtype: DType.float, dims: [2, H], raw: f32(2 * H) },
          { name: 'bias', dtype: DType.float, dims: [2], raw: f32(2) },
          { name: 'zero_f', dtype: DType.float, dims: [], raw: new Uint8Array(4) },
          { name: 'two', dtype: DType.int64, dims: [1], raw: i64(2) },
          { name: 'hidden', dtype: DType.int64, dims: [1], raw: i64(H) },
          { name: 'minus_one', dtype: DType.int64, dims: [1], raw: i64(-1) },
          { name: 'last', dtype: DType.int64, dims: [], raw: i64(-1) },
          ...[0, 1, 2, 3, 4].map((k) => ({ name: `i${k}`, dtype: DType.int64, dims: [1], raw: i64(k) })),
        ],
        inputs: [{ name: 'input', dtype: DType.float, dims: ['batch', time, 3] }],
        outputs: [{ name: 'out', dtype: DType.float, dims: ['batch', 2] }],
      });
      const m = await loadOnnx(bytes);
      assert.deepEqual(m.layers.map((l) => l.constructor.name).filter((c) => c !== 'InputLayer'), ['LSTM', 'LSTM', 'Dense']);
      const x = Float32Array.from({ length: 3 * T * 3 }, () => rng.uniformIn(-1, 1));
      await agreesWithOrt(bytes, m, 'input', x, [3, T, 3], `length ${time}`);
    }
  });

  it("a graph output of shape [batch] (PyTorch's squeeze(-1) after the last Linear) comes as [batch, 1] with ONNX Runtime's values", async () => {
    const rng = new Rng(75);
    const f32 = randomF32(rng, 0.5);
    const H = 4;
    const T = 5;
    const bytes = encodeModel({
      irVersion: 8,
      opset: 17,
      producerName: 'pytorch',
      producerVersion: '2.5.1',
      graphName: 'main_graph',
      docString: '',
      nodes: [
        { op: 'Transpose', inputs: ['input'], outputs: ['xt'], name: '/lstm/Transpose', attrs: [{ name: 'perm', value: [1, 0, 2] }] },
        { op: 'LSTM', inputs: ['xt', 'W1', 'R1', 'B1'], outputs: ['y', 'hn'], name: '/lstm/LSTM', attrs: [{ name: 'hidden_size', value: H }] },
        { op: 'Squeeze', inputs: ['hn', 'axis0'], outputs: ['h'], name: '/Squeeze', attrs: [] },
        { op: 'Gemm', inputs: ['h', 'K', 'bias'], outputs: ['lin'], name: '/fc/Gemm', attrs: [{ name: 'transB', value: 1 }] },
        { op: 'Squeeze', inputs: ['lin', 'axis_last'], outputs: ['out'], name: '/Squeeze_1', attrs: [] },
      ],
      initializers: [
        ...lstmStack(f32, H, [3]),
        { name: 'K', dtype: DType.float, dims: [1, H], raw: f32(H) },
        { name: 'bias', dtype: DType.float, dims: [1], raw: f32(1) },
        { name: 'axis0', dtype: DType.int64, dims: [1], raw: i64(0) },
        { name: 'axis_last', dtype: DType.int64, dims: [1], raw: i64(-1) },
      ],
      inputs: [{ name: 'input', dtype: DType.float, dims: ['batch', T, 3] }],
      outputs: [{ name: 'out', dtype: DType.float, dims: ['batch'] }],
    });
    const m = await loadOnnx(bytes);
    const x = Float32Array.from({ length: 3 * T * 3 }, () => rng.uniformIn(-1, 1));
    const session = await ort.InferenceSession.create(bytes);
    const want = (await session.run({ input: new ort.Tensor('float32', x, [3, T, 3]) })).out!;
    assert.deepEqual(want.dims, [3]);
    const got = m.predict(tensor(Array.from(x), [3, T, 3])) as Tensor;
    assert.deepEqual(got.shape, [3, 1]);
    assert.ok(maxDiff(got.data, want.data as Float32Array) <= TOL, `max |rnnkit - onnxruntime| = ${maxDiff(got.data, want.data as Float32Array)}`);
  });

  it("reads keras2onnx's stacked LSTMs (Y transposed to [B, T, 1, H] and reshaped to [-1, T, H] with the length written out; Reshape(Y_h, [-1, H])) and gives ONNX Runtime's outputs", async () => {
    const rng = new Rng(72);
    const f32 = randomF32(rng, 0.5);
    const H = 4;
    const T = 5;
    const lstm = { name: 'activations', value: ['HardSigmoid', 'Tanh', 'Tanh'] };
    const attrs = [{ name: 'activation_alpha', value: { floats: [0.2] } }, { name: 'activation_beta', value: { floats: [0.5] } }, lstm, { name: 'direction', value: 'forward' }, { name: 'hidden_size', value: H }];
    const bytes = encodeModel({
      irVersion: 4,
      opset: 9,
      producerName: 'keras2onnx',
      producerVersion: '1.6.0',
      graphName: 'sequential_1',
      docString: '',
      nodes: [
        { op: 'Transpose', inputs: ['x'], outputs: ['x1'], name: 'Transpose1', attrs: [{ name: 'perm', value: [1, 0, 2] }] },
        { op: 'LSTM', inputs: ['x1', 'W1', 'R1', 'B1'], outputs: ['y1', 'h1', 'c1'], name: 'lstm_1', attrs },
        { op: 'Transpose', inputs: ['y1'], outputs: ['y1t'], name: 'Transpose2', attrs: [{ name: 'perm', value: [2, 0, 1, 3] }] },
        { op: 'Reshape', inputs: ['y1t', 'seqShape'], outputs: ['seq'], name: 'Reshape1', attrs: [] },
        { op: 'Transpose', inputs: ['seq'], outputs: ['x2'], name: 'Transpose', attrs: [{ name: 'perm', value: [1, 0, 2] }] },
        { op: 'LSTM', inputs: ['x2', 'W2', 'R2', 'B2'], outputs: ['y2', 'h2', 'c2'], name: 'lstm_2', attrs },
        { op: 'Reshape', inputs: ['h2', 'lastShape'], outputs: ['h'], name: 'Reshape', attrs: [] },
        { op: 'MatMul', inputs: ['h', 'K'], outputs: ['mm'], name: 'dense_1', attrs: [] },
        { op: 'Add', inputs: ['mm', 'bias'], outputs: ['logits'], name: 'Add', attrs: [] },
        { op: 'Softmax', inputs: ['logits'], outputs: ['out'], name: 'Softmax', attrs: [{ name: 'axis', value: -1 }] },
      ],
      initializers: [
        ...lstmStack(f32, H, [3, H]),
        { name: 'K', dtype: DType.float, dims: [H, 3], raw: f32(3 * H) },
        { name: 'bias', dtype: DType.float, dims: [3], raw: f32(3) },
        { name: 'seqShape', dtype: DType.int64, dims: [3], raw: i64(-1, T, H) },
        { name: 'lastShape', dtype: DType.int64, dims: [2], raw: i64(-1, H) },
      ],
      inputs: [{ name: 'x', dtype: DType.float, dims: ['N', T, 3] }],
      outputs: [{ name: 'out', dtype: DType.float, dims: ['N', 3] }],
    });
    const m = await loadOnnx(bytes);
    assert.deepEqual(m.layers.map((l) => l.constructor.name).filter((c) => c !== 'InputLayer'), ['LSTM', 'LSTM', 'Dense']);
    const x = Float32Array.from({ length: 3 * T * 3 }, () => rng.uniformIn(-1, 1));
    await agreesWithOrt(bytes, m, 'x', x, [3, T, 3]);
  });

  it("reads tf2onnx's Tensordot (tf.keras 2's Dense on a sequence: Reshape to [B·T, F] by a shape computed from the input's, MatMul, Reshape back) as one Dense, and gives ONNX Runtime's outputs", async () => {
    const rng = new Rng(71);
    const f32 = randomF32(rng, 0.8);
    const U = 4;
    const bytes = tf2onnx({
      nodes: [
        { op: 'Shape', inputs: ['x'], outputs: ['shape'], name: 'dense/Tensordot/Shape', attrs: [] },
        { op: 'Cast', inputs: ['shape'], outputs: ['shape32'], name: 'dense/Tensordot/Shape__1', attrs: [{ name: 'to', value: DType.int32 }] },
        { op: 'Gather', inputs: ['shape32', 'free'], outputs: ['freeDims'], name: 'dense/Tensordot/GatherV2', attrs: [{ name: 'axis', value: 0 }] },
        { op: 'Gather', inputs: ['shape32', 'axes'], outputs: ['axesDims'], name: 'dense/Tensordot/GatherV2_1', attrs: [{ name: 'axis', value: 0 }] },
        { op: 'ReduceProd', inputs: ['freeDims'], outputs: ['prod'], name: 'dense/Tensordot/Prod', attrs: [{ name: 'axes', value: [0] }, { name: 'keepdims', value: 0 }] },
        { op: 'ReduceProd', inputs: ['axesDims'], outputs: ['prod1'], name: 'dense/Tensordot/Prod_1', attrs: [{ name: 'axes', value: [0] }, { name: 'keepdims', value: 0 }] },
        { op: 'Unsqueeze', inputs: ['prod', 'zero'], outputs: ['prodU'], name: 'dense/Tensordot/stack_Unsqueeze__1', attrs: [] },
        { op: 'Unsqueeze', inputs: ['prod1', 'zero'], outputs: ['prod1U'], name: 'dense/Tensordot/stack_Unsqueeze__2', attrs: [] },
        { op: 'Concat', inputs: ['prodU', 'prod1U'], outputs: ['flat32'], name: 'dense/Tensordot/stack_Concat', attrs: [{ name: 'axis', value: 0 }] },
        { op: 'Cast', inputs: ['flat32'], outputs: ['flat'], name: 'dense/Tensordot/Reshape__1', attrs: [{ name: 'to', value: DType.int64 }] },
        { op: 'Reshape', inputs: ['x', 'flat'], outputs: ['rows'], name: 'dense/Tensordot/Reshape', attrs: [] },
        { op: 'MatMul', inputs: ['rows', 'K'], outputs: ['mm'], name: 'dense/Tensordot/MatMul', attrs: [] },
        { op: 'Concat', inputs: ['freeDims', 'units'], outputs: ['back32'], name: 'dense/Tensordot/concat_1', attrs: [{ name: 'axis', value: 0 }] },
        { op: 'Cast', inputs: ['back32'], outputs: ['back'], name: 'dense/Tensordot__2', attrs: [{ name: 'to', value: DType.int64 }] },
        { op: 'Reshape', inputs: ['mm', 'back'], outputs: ['seq'], name: 'dense/Tensordot', attrs: [] },
        { op: 'Add', inputs: ['seq', 'bias'], outputs: ['pre'], name: 'dense/BiasAdd', attrs: [] },
        { op: 'Sigmoid', inputs: ['pre'], outputs: ['out'], name: 'dense/Sigmoid', attrs: [] },
      ],
      initializers: [
        { name: 'K', dtype: DType.float, dims: [3, U], raw: f32(3 * U) },
        { name: 'bias', dtype: DType.float, dims: [U], raw: f32(U) },
        { name: 'zero', dtype: DType.int64, dims: [1], raw: i64(0) },
        { name: 'free', dtype: DType.int32, dims: [2], raw: new Uint8Array(Int32Array.of(0, 1).buffer) },
        { name: 'axes', dtype: DType.int32, dims: [1], raw: new Uint8Array(Int32Array.of(2).buffer) },
        { name: 'units', dtype: DType.int32, dims: [1], raw: new Uint8Array(Int32Array.of(U).buffer) },
      ],
      inputs: [{ name: 'x', dtype: DType.float, dims: ['unk__1', 5, 3] }],
      outputs: [{ name: 'out', dtype: DType.float, dims: ['unk__2', 5, U] }],
    });
    const m = await loadOnnx(bytes);
    assert.deepEqual(m.layers.map((l) => l.constructor.name).filter((c) => c !== 'InputLayer'), ['Dense']);
    const x = Float32Array.from({ length: 3 * 5 * 3 }, () => rng.uniformIn(-1, 1));
    await agreesWithOrt(bytes, m, 'x', x, [3, 5, 3]);
  });

  it('reads the Mul and Add tf2onnx writes for an inference-time BatchNormalization as a BatchNormalization layer, and gives ONNX Runtime’s outputs', async () => {
    // tf2onnx's form of Keras's LSTM(return_sequences) → BatchNormalization → LSTM →
    // BatchNormalization → Dense (a published EarthPulse-AI lstm_model.onnx): each
    // BatchNormalization is x · (γ/√(σ² + ε)) + (β − μ·γ/√(σ² + ε)) with the two folded into
    // constants, [1, 1, H] on the time-major sequence, [H] on the final state.
    const H = 3;
    const T = 4;
    const rng = new Rng(21);
    const f32 = (n: number, lo = -0.8, hi = 0.8): Uint8Array => new Uint8Array(Float32Array.from({ length: n }, () => rng.uniformIn(lo, hi)).buffer);
    const graph = (secondScale: 'per-feature' | 'per-step'): Uint8Array =>
      tf2onnx({
        nodes: [
          { op: 'Transpose', inputs: ['x'], outputs: ['xt'], name: 'lstm/transpose', attrs: [{ name: 'perm', value: [1, 0, 2] }] },
          { op: 'LSTM', inputs: ['xt', 'W1', 'R1', 'B1'], outputs: ['y1'], name: 'LSTM__1', attrs: [{ name: 'hidden_size', value: H }] },
          { op: 'Squeeze', inputs: ['y1', 'one'], outputs: ['s1'], name: 'Squeeze__1', attrs: [] },
          { op: 'Mul', inputs: ['s1', 'bn1_mul'], outputs: ['bn1a'], name: 'batch_normalization/batchnorm/mul_1', attrs: [] },
          { op: 'Add', inputs: ['bn1a', 'bn1_add'], outputs: ['bn1'], name: 'batch_normalization/batchnorm/add_1', attrs: [] },
          { op: 'LSTM', inputs: ['bn1', 'W2', 'R2', 'B2'], outputs: ['y2'], name: 'LSTM__2', attrs: [{ name: 'hidden_size', value: H }] },
          { op: 'Squeeze', inputs: ['y2', 'one'], outputs: ['s2'], name: 'Squeeze__2', attrs: [] },
          { op: 'Slice', inputs: ['s2', 'minus_one', 'big', 'zero'], outputs: ['last1'], name: 'lstm_1/strided_slice_2', attrs: [] },
          { op: 'Squeeze', inputs: ['last1', 'zero'], outputs: ['last'], name: 'lstm_1/strided_slice_2__sq', attrs: [] },
          { op: 'Mul', inputs: secondScale === 'per-feature' ? ['last', 'bn2_mul'] : ['s2', 'per_step'], outputs: ['bn2a'], name: 'batch_normalization_1/batchnorm/mul_1', attrs: [] },
          { op: 'Add', inputs: ['bn2a', 'bn2_add'], outputs: ['bn2'], name: 'batch_normalization_1/batchnorm/add_1', attrs: [] },
          { op: 'MatMul', inputs: ['bn2', 'K'], outputs: ['mm'], name: 'dense/MatMul', attrs: [] },
          { op: 'Add', inputs: ['mm', 'bias'], outputs: ['out'], name: 'dense/BiasAdd', attrs: [] },
        ],
        initializers: [
          ...lstmStack((k) => f32(k), H, [2, H]),
          { name: 'bn1_mul', dtype: DType.float, dims: [1, 1, H], raw: f32(H, 0.5, 3) },
          { name: 'bn1_add', dtype: DType.float, dims: [1, 1, H], raw: f32(H, -1, 1) },
          { name: 'bn2_mul', dtype: DType.float, dims: [H], raw: f32(H, 0.5, 3) },
          { name: 'bn2_add', dtype: DType.float, dims: [H], raw: f32(H, -1, 1) },
          { name: 'per_step', dtype: DType.float, dims: [T, 1, 1], raw: f32(T) },
          { name: 'K', dtype: DType.float, dims: [H, 1], raw: f32(H) },
          { name: 'bias', dtype: DType.float, dims: [1], raw: f32(1) },
          { name: 'zero', dtype: DType.int64, dims: [1], raw: i64(0) },
          { name: 'one', dtype: DType.int64, dims: [1], raw: i64(1) },
          { name: 'minus_one', dtype: DType.int64, dims: [1], raw: i64(-1) },
          { name: 'big', dtype: DType.int64, dims: [1], raw: i64(2147483647) },
        ],
        inputs: [{ name: 'x', dtype: DType.float, dims: ['unk__1', T, 2] }],
        outputs: [{ name: 'out', dtype: DType.float, dims: ['unk__2', 1] }],
      }, 15, '1.16.1');
    const bytes = graph('per-feature');
    const m = await loadOnnx(bytes);
    assert.deepEqual(m.layers.map((l) => l.constructor.name).filter((c) => c !== 'InputLayer'), ['LSTM', 'BatchNormalization', 'LSTM', 'BatchNormalization', 'Dense']);
    const x = Float32Array.from({ length: 3 * T * 2 }, () => rng.uniformIn(-1, 1));
    await agreesWithOrt(bytes, m, 'x', x, [3, T, 2]);
    // A scale per time step is no BatchNormalization over features: refused by node name.
    await assert.rejects(loadOnnx(graph('per-step')), (e: Error) => e instanceof OnnxImportError && /batch_normalization_1\/batchnorm\/mul_1.*\[4, 1, 1\]/.test(e.message));
  });

  it('reads PyTorch’s BatchNormalization op (nn.BatchNorm1d on the final state, inference mode) as a BatchNormalization layer with its statistics, and gives ONNX Runtime’s outputs', async () => {
    // The form of a published pose-detection gru_model.onnx (PyTorch 2.6): GRU → out[:, -1] →
    // BatchNorm1d → Linear. ONNX normalises axis 1, here the features of a [B, H] tensor; on a
    // time-major [T, B, H] sequence axis 1 is the batch, which is refused by node name.
    const H = 3;
    const rng = new Rng(33);
    const f32 = (n: number, lo = -0.8, hi = 0.8): Uint8Array => new Uint8Array(Float32Array.from({ length: n }, () => rng.uniformIn(lo, hi)).buffer);
    const graph = (onSequence: boolean): Uint8Array =>
      encodeModel({
        irVersion: 8,
        opset: 11,
        producerName: 'pytorch',
        producerVersion: '2.6.0',
        graphName: 'main_graph',
        docString: '',
        nodes: [
          { op: 'Transpose', inputs: ['x'], outputs: ['xt'], name: '/gru/Transpose', attrs: [{ name: 'perm', value: [1, 0, 2] }] },
          { op: 'GRU', inputs: ['xt', 'W', 'R', 'B'], outputs: ['y'], name: '/gru/GRU', attrs: [{ name: 'hidden_size', value: H }, { name: 'linear_before_reset', value: 1 }] },
          { op: 'Squeeze', inputs: ['y'], outputs: ['ys'], name: '/gru/Squeeze', attrs: [{ name: 'axes', value: [1] }] },
          { op: 'Transpose', inputs: ['ys'], outputs: ['yb'], name: '/gru/Transpose_1', attrs: [{ name: 'perm', value: [1, 0, 2] }] },
          { op: 'Gather', inputs: ['yb', 'minus_one'], outputs: ['last'], name: '/Gather_1', attrs: [{ name: 'axis', value: 1 }] },
          { op: 'BatchNormalization', inputs: [onSequence ? 'ys' : 'last', 'gamma', 'beta', 'mean', 'var'], outputs: ['bn'], name: '/bn/BatchNormalization', attrs: [{ name: 'epsilon', value: { float: 1e-5 } }, { name: 'momentum', value: { float: 0.9 } }] },
          { op: 'Gemm', inputs: [onSequence ? 'last' : 'bn', 'K', 'bias'], outputs: ['out'], name: '/fc/Gemm', attrs: [{ name: 'transB', value: 1 }] },
        ],
        initializers: [
          { name: 'W', dtype: DType.float, dims: [1, 3 * H, 4], raw: f32(3 * H * 4) },
          { name: 'R', dtype: DType.float, dims: [1, 3 * H, H], raw: f32(3 * H * H) },
          { name: 'B', dtype: DType.float, dims: [1, 6 * H], raw: f32(6 * H) },
          { name: 'gamma', dtype: DType.float, dims: [H], raw: f32(H, 0.5, 2) },
          { name: 'beta', dtype: DType.float, dims: [H], raw: f32(H) },
          { name: 'mean', dtype: DType.float, dims: [H], raw: f32(H, -0.3, 0.3) },
          { name: 'var', dtype: DType.float, dims: [H], raw: f32(H, 0.05, 0.5) },
          { name: 'K', dtype: DType.float, dims: [2, H], raw: f32(2 * H) },
          { name: 'bias', dtype: DType.float, dims: [2], raw: f32(2) },
          { name: 'minus_one', dtype: DType.int64, dims: [], raw: i64(-1) },
        ],
        inputs: [{ name: 'x', dtype: DType.float, dims: ['batch_size', 'sequence_length', 4] }],
        outputs: [{ name: 'out', dtype: DType.float, dims: ['batch_size', 2] }],
      });
    const bytes = graph(false);
    const m = await loadOnnx(bytes);
    assert.deepEqual(m.layers.map((l) => l.constructor.name).filter((c) => c !== 'InputLayer'), ['GRU', 'BatchNormalization', 'Dense']);
    const x = Float32Array.from({ length: 3 * 5 * 4 }, () => rng.uniformIn(-1, 1));
    await agreesWithOrt(bytes, m, 'x', x, [3, 5, 4]);
    await assert.rejects(loadOnnx(graph(true)), (e: Error) => e instanceof OnnxImportError && /\/bn\/BatchNormalization.*axis 1 is not the feature axis/.test(e.message));
  });

  it('refuses the first step of a forward direction (not its final state) by name where the length is open; reads it as a Cropping1D where it is fixed', async () => {
    // As above but Y[0:1] of a forward op: one step after the start. With an open length no rnnkit layer
    // gives it; with 5 steps it is Cropping1D([0, 4]) of the sequence (since onnxConv.test.ts).
    const H = 2;
    const make = (T: number | string): Uint8Array => {
      const f32 = (n: number): Uint8Array => new Uint8Array(new Float32Array(n).fill(0.1).buffer);
      const bytes = encodeModel({
        irVersion: 8,
        opset: 13,
        producerName: 'test',
        producerVersion: '0',
        graphName: 'hand',
        docString: '',
        nodes: [
          { op: 'Transpose', inputs: ['x'], outputs: ['xt'], name: 't', attrs: [{ name: 'perm', value: [1, 0, 2] }] },
          { op: 'LSTM', inputs: ['xt', 'W', 'R', 'B'], outputs: ['y'], name: 'fwd_lstm', attrs: [{ name: 'hidden_size', value: H }] },
          { op: 'Squeeze', inputs: ['y', 'one'], outputs: ['ys'], name: 'sq', attrs: [] },
          { op: 'Slice', inputs: ['ys', 'zero', 'one', 'zero'], outputs: ['first'], name: 'first_step', attrs: [] },
          { op: 'Squeeze', inputs: ['first', 'zero'], outputs: ['out'], name: 'sq2', attrs: [] },
        ],
        initializers: [
          { name: 'W', dtype: DType.float, dims: [1, 4 * H, 3], raw: f32(4 * H * 3) },
          { name: 'R', dtype: DType.float, dims: [1, 4 * H, H], raw: f32(4 * H * H) },
          { name: 'B', dtype: DType.float, dims: [1, 8 * H], raw: f32(8 * H) },
          { name: 'zero', dtype: DType.int64, dims: [1], raw: i64(0) },
          { name: 'one', dtype: DType.int64, dims: [1], raw: i64(1) },
        ],
        inputs: [{ name: 'x', dtype: DType.float, dims: ['b', T, 3] }],
        outputs: [{ name: 'out', dtype: DType.float, dims: ['b', H] }],
      });
      return bytes;
    };
    await assert.rejects(loadOnnx(make('T')), (e: Error) => e instanceof OnnxImportError && /Slice 'first_step': a Slice of steps \[0, 1\) of a sequence of open length/.test(e.message));
    const fixed = make(5);
    const m = await loadOnnx(fixed);
    assert.deepEqual(
      m.layers.map((l) => l.className),
      ['LSTM', 'Cropping1D', 'Reshape'],
    );
    const x = Float32Array.from({ length: 2 * 5 * 3 }, (_, i) => Math.sin(i));
    const session = await ort.InferenceSession.create(fixed);
    const want = (await session.run({ x: new ort.Tensor('float32', x, [2, 5, 3]) })).out!.data as Float32Array;
    const got = (m.predict(tensor(Array.from(x), [2, 5, 3])) as Tensor).data;
    assert.ok(want.every((w, i) => Math.abs(w - got[i]!) < 1e-6));
  });
});

describe('loadOnnx: activation ops', () => {
  it('LeakyRelu (PyTorch 0.01, and 0.2 as the activation), Elu(0.5), ThresholdedRelu, Gelu (erf and tanh), Mish, HardSwish, Exp, LogSoftmax give ONNX Runtime\'s outputs', async () => {
    const rng = new Rng(31);
    const f32 = (n: number, lo = -0.9, hi = 0.9): Uint8Array => new Uint8Array(Float32Array.from({ length: n }, () => rng.uniformIn(lo, hi)).buffer);
    const F = 4;
    const ops: [string, { name: string; value: never }[]][] = [
      ['LeakyRelu', [{ name: 'alpha', value: { float: 0.01 } as never }]],
      ['LeakyRelu', [{ name: 'alpha', value: { float: 0.2 } as never }]],
      ['Elu', [{ name: 'alpha', value: { float: 0.5 } as never }]],
      ['ThresholdedRelu', [{ name: 'alpha', value: { float: 0.1 } as never }]],
      ['Gelu', []],
      ['Gelu', [{ name: 'approximate', value: 'tanh' as never }]],
      ['Mish', []],
      ['HardSwish', []],
      ['Exp', []],
      ['LogSoftmax', [{ name: 'axis', value: -1 as never }]],
    ];
    // x → (MatMul → Add → op) per op, each output a graph output: every op after a Dense, so the fusable ones fuse.
    const nodes = ops.flatMap(([op, attrs], i) => [
      { op: 'MatMul', inputs: [i === 0 ? 'x' : `y${i - 1}`, `W${i}`], outputs: [`m${i}`], name: `dense${i}/MatMul`, attrs: [] },
      { op: 'Add', inputs: [`m${i}`, `b${i}`], outputs: [`a${i}`], name: `dense${i}/Add`, attrs: [] },
      { op, inputs: [`a${i}`], outputs: [`y${i}`], name: `${op.toLowerCase()}${i}`, attrs },
    ]);
    const bytes = encodeModel({
      irVersion: 9,
      opset: 20,
      producerName: 'test',
      producerVersion: '0',
      graphName: 'acts',
      docString: '',
      nodes,
      initializers: ops.flatMap((_, i) => [
        { name: `W${i}`, dtype: DType.float, dims: [F, F], raw: f32(F * F, -1.5, 1.5) },
        { name: `b${i}`, dtype: DType.float, dims: [F], raw: f32(F) },
      ]),
      inputs: [{ name: 'x', dtype: DType.float, dims: ['batch', F] }],
      outputs: ops.map((_, i) => ({ name: `y${i}`, dtype: DType.float, dims: ['batch', F] })),
    });
    const m = await loadOnnx(bytes);
    const classes = m.layers.map((l) => l.className);
    for (const c of ['LeakyReLU', 'ELU', 'ThresholdedReLU']) assert.ok(classes.includes(c), `a ${c} layer among ${classes.join(', ')}`);
    const x = Float32Array.from({ length: 5 * F }, () => rng.uniformIn(-2, 2));
    const session = await ort.InferenceSession.create(bytes);
    const want = await session.run({ x: new ort.Tensor('float32', x, [5, F]) });
    const got = m.predict(tensor(Array.from(x), [5, F])) as unknown as Tensor[];
    ops.forEach(([op], i) => {
      const d = maxDiff(got[i]!.data, want[`y${i}`]!.data as Float32Array);
      assert.ok(d <= TOL, `${op} (output ${i}): max |rnnkit - onnxruntime| = ${d}`);
    });
  });
});

describe('loadOnnx: rnnkit\'s own exports of activation layers', () => {
  it('an LSTM with leakyRelu activations → LeakyReLU(0.05) → ELU(0.5) → ThresholdedReLU → Dense(logSoftmax) comes back with the same layers and predictions', async () => {
    const m = sequential({
      layers: [
        layers.lstm({ units: 4, activation: 'leakyRelu', recurrentActivation: 'leakyRelu', returnSequences: true, inputShape: [null, 3] }),
        layers.leakyReLU({ alpha: 0.05 }),
        layers.elu({ alpha: 0.5 }),
        layers.thresholdedReLU({ theta: 0.02 }),
        layers.dense({ units: 3, activation: 'logSoftmax' }),
      ],
    });
    const rng = new Rng(32);
    m.setWeights(m.getWeights().map((w) => new Tensor(Float32Array.from(w.data, () => rng.uniformIn(-0.8, 0.8)), w.shape)));
    const back = await loadOnnx(await exportOnnx(m));
    assert.deepEqual(back.layers.filter((l) => l.className !== 'InputLayer').map((l) => l.className), ['LSTM', 'LeakyReLU', 'ELU', 'ThresholdedReLU', 'Dense']);
    const x = tensor(Array.from({ length: 2 * 5 * 3 }, () => rng.uniformIn(-1.5, 1.5)), [2, 5, 3]);
    const d = maxDiff((back.predict(x) as Tensor).data, (m.predict(x) as Tensor).data);
    assert.ok(d <= TOL, `max |imported - original| = ${d}`);
  });
});

interface GraphNode {
  op: string;
  inputs: string[];
  name: string;
  /** Its output's name; by default the last node's is 'y', the others' t0, t1, … */
  out?: string;
}
interface GraphConst {
  name: string;
  data: number[];
}

/** A graph of element-wise ops on x [batch, 2] by hand (float constants: one value a scalar). */
function elementwiseGraph(nodes: GraphNode[], consts: GraphConst[] = [], outputs = ['y']): Uint8Array {
  return encodeModel({
    irVersion: 8,
    opset: 13,
    producerName: 'test',
    producerVersion: '0',
    graphName: 'g',
    docString: '',
    nodes: nodes.map((n, i) => ({ op: n.op, inputs: n.inputs, name: n.name, outputs: [n.out ?? (i === nodes.length - 1 ? 'y' : `t${i}`)], attrs: [] })),
    initializers: consts.map((e) => ({ name: e.name, dtype: DType.float, dims: e.data.length === 1 ? [] : [e.data.length], raw: new Uint8Array(Float32Array.from(e.data).buffer) })),
    inputs: [{ name: 'x', dtype: DType.float, dims: ['batch', 2] }],
    outputs: outputs.map((name) => ({ name, dtype: DType.float, dims: ['batch', 2] })),
  });
}

describe('loadOnnx: GELU\'s exact form op by op, Clip, Shrink and Neg', () => {
  it('rnnkit\'s exports of Dense(gelu), Dense(relu6), Dense(hardTanh), Dense(softShrink/hardShrink) and a gelu Activation after a tanh come back as those layers, log_sigmoid as what computes it, with the same predictions', async () => {
    const m = sequential({
      layers: [
        layers.dense({ units: 6, activation: 'gelu', inputShape: [null, 3] }),
        layers.dense({ units: 5, activation: 'relu6' }),
        layers.dense({ units: 5, activation: 'tanh' }),
        layers.activation({ activation: 'gelu' }),
        layers.dense({ units: 4, activation: 'hardTanh' }),
        layers.dense({ units: 4, activation: 'softShrink' }),
        layers.dense({ units: 4, activation: 'hardShrink' }),
      ],
    });
    const rng = new Rng(34);
    m.setWeights(m.getWeights().map((w) => new Tensor(Float32Array.from(w.data, () => rng.uniformIn(-3, 3)), w.shape)));
    const back = await loadOnnx(await exportOnnx(m));
    const kept = back.layers.filter((l) => l.className !== 'InputLayer');
    assert.deepEqual(kept.map((l) => `${l.className}:${String((l.getConfig() as { activation?: string }).activation)}`), ['Dense:gelu', 'Dense:relu6', 'Dense:tanh', 'Activation:gelu', 'Dense:hardTanh', 'Dense:softShrink', 'Dense:hardShrink']);
    const x = tensor(Array.from({ length: 2 * 5 * 3 }, () => rng.uniformIn(-3, 3)), [2, 5, 3]);
    const d = maxDiff((back.predict(x) as Tensor).data, (m.predict(x) as Tensor).data);
    assert.ok(d <= TOL, `max |imported - original| = ${d}`);
    // log_sigmoid as exported, −softplus(−x): a Neg is a scale by −1.
    const ls = sequential({ layers: [layers.dense({ units: 4, activation: 'logSigmoid', inputShape: [3] })] });
    const lsBack = await loadOnnx(await exportOnnx(ls));
    const x2 = tensor(Array.from({ length: 4 * 3 }, () => rng.uniformIn(-6, 6)), [4, 3]);
    const d2 = maxDiff((lsBack.predict(x2) as Tensor).data, (ls.predict(x2) as Tensor).data);
    assert.ok(d2 <= TOL, `log_sigmoid: max |imported - original| = ${d2}`);
  });

  it('an Erf that is not GELU\'s, and Clip bounds no layer has, are refused by name', async () => {
    const graph = (nodes: GraphNode[], extra: GraphConst[] = []): Uint8Array => elementwiseGraph(nodes, extra);
    await assert.rejects(loadOnnx(graph([{ op: 'Erf', inputs: ['x'], name: 'erf' }])), /Erf 'erf': an Erf other than GELU's/);
    await assert.rejects(loadOnnx(graph([{ op: 'Clip', inputs: ['x', 'lo', 'hi'], name: 'clip' }], [{ name: 'lo', data: [-2] }, { name: 'hi', data: [2] }])), /Clip 'clip': Clip to \[-2, 2\]/);
    await assert.rejects(loadOnnx(graph([{ op: 'Div', inputs: ['x', 'r2'], name: 'div' }, { op: 'Erf', inputs: ['t0'], name: 'erf' }, { op: 'Relu', inputs: ['t1'], name: 'relu' }], [{ name: 'r2', data: [Math.SQRT2] }])), /Relu 'relu': reads step 'erf' of GELU's exact form/);
    // A Div by a constant that is not per feature is refused as a Div.
    await assert.rejects(loadOnnx(graph([{ op: 'Div', inputs: ['x', 'c3'], name: 'div' }], [{ name: 'c3', data: [1, 2, 3] }])), /Div 'div': Div of a model tensor and a constant of shape/);
  });
});

describe("loadOnnx: rnnkit's spellings of squareplus and sparse_plus", () => {
  it('come back as those activations (Dense and Activation layers, across the kinks at ±1), and only where the whole idiom is there', async () => {
    const m = sequential({
      layers: [
        layers.dense({ units: 6, activation: 'squareplus', inputShape: [null, 3] }),
        layers.dense({ units: 5, activation: 'sparsePlus' }),
        layers.dense({ units: 5 }),
        layers.activation({ activation: 'sparsePlus' }),
        layers.activation({ activation: 'squareplus' }),
      ],
    });
    const rng = new Rng(35);
    m.setWeights(m.getWeights().map((w) => new Tensor(Float32Array.from(w.data, () => rng.uniformIn(-2, 2)), w.shape)));
    const back = await loadOnnx(await exportOnnx(m));
    const kept = back.layers.filter((l) => l.className !== 'InputLayer');
    assert.deepEqual(kept.map((l) => `${l.className}:${String((l.getConfig() as { activation?: string }).activation)}`), ['Dense:squareplus', 'Dense:sparsePlus', 'Dense:sparsePlus', 'Activation:squareplus']);
    const x = tensor(Array.from({ length: 3 * 7 * 3 }, () => rng.uniformIn(-2, 2)), [3, 7, 3]);
    assert.deepEqual(Array.from((back.predict(x) as Tensor).data), Array.from((m.predict(x) as Tensor).data));
    // (the Activation after a linear Dense folds into it, as on import of any activation op)
    // By hand: the idiom with another reader of an intermediate, or another constant, stays op by op (Sqrt is refused).
    const graph = elementwiseGraph;
    const squareplus = [
      { op: 'Mul', inputs: ['x', 'x'], name: 'sq', out: 'sq' },
      { op: 'Add', inputs: ['four', 'sq'], name: 'sq4', out: 'sq4' },
      { op: 'Sqrt', inputs: ['sq4'], name: 'root', out: 'root' },
      { op: 'Add', inputs: ['root', 'x'], name: 'sum', out: 'sum' },
      { op: 'Mul', inputs: ['half', 'sum'], name: 'half_sum', out: 'y' },
    ];
    const consts = (four: number) => [{ name: 'four', data: [four] }, { name: 'half', data: [0.5] }];
    const x2 = tensor([[-3, -0.5], [0.25, 7]]);
    const byHand = await loadOnnx(graph(squareplus, consts(4)));
    assert.deepEqual(byHand.layers.filter((l) => l.className !== 'InputLayer').map((l) => `${l.className}:${String((l.getConfig() as { activation?: string }).activation)}`), ['Activation:squareplus']);
    const own = sequential({ layers: [layers.activation({ activation: 'squareplus', inputShape: [2] })] });
    assert.deepEqual(Array.from((byHand.predict(x2) as Tensor).data), Array.from((own.predict(x2) as Tensor).data));
    await assert.rejects(loadOnnx(graph(squareplus, consts(3))), /op Sqrt 'root'/);
    await assert.rejects(loadOnnx(graph(squareplus, consts(4), ['y', 'root'])), /op Sqrt 'root'/);
    // A file that makes an intermediate's name twice is refused for that, not rewritten around it.
    await assert.rejects(loadOnnx(graph([{ op: 'Relu', inputs: ['x'], name: 'other', out: 'sq' }, ...squareplus], consts(4))), /makes 'sq', which another node already makes/);
    // An op of that name in a file is not rnnkit's: refused as an unknown op.
    await assert.rejects(loadOnnx(graph([{ op: 'rnnkit:Squareplus', inputs: ['x'], name: 'sp', out: 'y' }], [])), /op rnnkit:Squareplus 'sp'/);
  });
});

describe('loadOnnx: refusals', () => {
  it('loadModel points an .onnx path to loadOnnx', async () => {
    await assert.rejects(loadModel(join(DIR, 'unsupported_conv_layernorm.onnx')), /is an ONNX file; read it with loadOnnx/);
    await assert.rejects(loadModel('https://example.com/m.onnx?v=2'), /is an ONNX file; read it with loadOnnx/);
  });

  it('says that a text file or a Git LFS pointer saved as .onnx is not an ONNX file', async () => {
    // A published lstm_model.onnx held the Python script that was to write it; the refusal
    // was 'ModelProto field 4: start-group is not accepted at byte 1'.
    const text = new TextEncoder().encode('# src/model_conversion.py\nimport tensorflow as tf\nimport tf2onnx\n\nmodel = tf.keras.models.load_model("m.h5")\n');
    await assert.rejects(loadOnnx(text), (e: Error) => e instanceof ModelFormatError && /text, not an ONNX protobuf \(it begins "# src\/model_conversion\.py\\nimport tensorf"\)/.test(e.message));
    const lfs = new TextEncoder().encode('version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 2052860\n');
    await assert.rejects(loadOnnx(lfs), (e: Error) => e instanceof ModelFormatError && /a Git LFS pointer, not the ONNX file/.test(e.message));
  });

  it("reads PyTorch's (h0, c0) state inputs [layers·directions, B, H], sliced per layer or whole, as [B, layers·directions, H] inputs, and h_n / c_n likewise; ONNX Runtime's outputs", async () => {
    // forward(x, (h0, c0)) exported with the states as graph inputs and outputs (char-RNN samplers,
    // streaming models; a published SmartStethoscope rnn.onnx): each layer Slices its rows out of
    // h0 / c0, h_n is the layers' Y_h joined by a Concat on axis 0. Refused before ('a Slice of graph input').
    const rng = new Rng(77);
    const f32 = randomF32(rng, 0.7);
    const [F, H] = [3, 2];
    /** op ('LSTM' or 'GRU') in L stacked layers of D directions, states in and out; sliced: each layer takes its rows by a Slice. */
    const graph = (op: 'LSTM' | 'GRU', L: number, D: number, sliced: boolean, batch: number | string) => {
      const G = op === 'LSTM' ? 4 : 3;
      const states = op === 'LSTM' ? ['h0', 'c0'] : ['h0'];
      const nodes: { op: string; inputs: string[]; outputs: string[]; name: string; attrs: { name: string; value: number | number[] | string }[] }[] = [{ op: 'Transpose', inputs: ['x'], outputs: ['x_0'], name: 'Transpose_0', attrs: [{ name: 'perm', value: [1, 0, 2] }] }];
      const inits: TensorDef[] = [{ name: 'zero', dtype: DType.int64, dims: [1], raw: i64(0) }, { name: 'one', dtype: DType.int64, dims: [1], raw: i64(1) }];
      const outs: Record<string, string[]> = { h: [], c: [] };
      for (let l = 0; l < L; l++) {
        const I = l === 0 ? F : D * H;
        inits.push({ name: `W${l}`, dtype: DType.float, dims: [D, G * H, I], raw: f32(D * G * H * I) }, { name: `R${l}`, dtype: DType.float, dims: [D, G * H, H], raw: f32(D * G * H * H) }, { name: `B${l}`, dtype: DType.float, dims: [D, 2 * G * H], raw: f32(D * 2 * G * H) });
        inits.push({ name: `s${l}`, dtype: DType.int64, dims: [1], raw: i64(l * D) }, { name: `e${l}`, dtype: DType.int64, dims: [1], raw: i64((l + 1) * D) });
        const init = states.map((st) => {
          if (!sliced) return st;
          nodes.push({ op: 'Slice', inputs: [st, `s${l}`, `e${l}`, 'zero'], outputs: [`${st}_${l}`], name: `Slice_${st}_${l}`, attrs: [] });
          return `${st}_${l}`;
        });
        nodes.push({ op, inputs: [`x_${l}`, `W${l}`, `R${l}`, `B${l}`, '', ...init], outputs: [`y${l}`, `yh${l}`, ...(op === 'LSTM' ? [`yc${l}`] : [])], name: `${op}_${l}`, attrs: [{ name: 'hidden_size', value: H }, ...(D === 2 ? [{ name: 'direction', value: 'bidirectional' }] : []), ...(op === 'GRU' ? [{ name: 'linear_before_reset', value: 1 }] : [])] });
        // [T, D, B, H] → [T, B, D·H], the next layer's input
        nodes.push({ op: 'Transpose', inputs: [`y${l}`], outputs: [`yt${l}`], name: `Transpose_y${l}`, attrs: [{ name: 'perm', value: [0, 2, 1, 3] }] });
        inits.push({ name: `shape${l}`, dtype: DType.int64, dims: [3], raw: i64(0, 0, -1) });
        nodes.push({ op: 'Reshape', inputs: [`yt${l}`, `shape${l}`], outputs: [`x_${l + 1}`], name: `Reshape_${l}`, attrs: [] });
        outs.h!.push(`yh${l}`);
        if (op === 'LSTM') outs.c!.push(`yc${l}`);
      }
      nodes.push({ op: 'Transpose', inputs: [`x_${L}`], outputs: ['y'], name: 'Transpose_out', attrs: [{ name: 'perm', value: [1, 0, 2] }] });
      const stateOuts = op === 'LSTM' ? ['hn', 'cn'] : ['hn'];
      stateOuts.forEach((o, k) => nodes.push({ op: 'Concat', inputs: outs[k === 0 ? 'h' : 'c']!, outputs: [o], name: `Concat_${o}`, attrs: [{ name: 'axis', value: 0 }] }));
      return encodeModel({
        irVersion: 8, opset: 13, producerName: 'pytorch', producerVersion: '1.13.0', graphName: 'torch_jit', docString: '',
        nodes,
        initializers: inits,
        inputs: [{ name: 'x', dtype: DType.float, dims: [batch, 'T', F] }, ...states.map((st) => ({ name: st, dtype: DType.float, dims: [L * D, batch, H] }))],
        outputs: [{ name: 'y', dtype: DType.float, dims: [batch, 'T', D * H] }, ...stateOuts.map((o) => ({ name: o, dtype: DType.float, dims: [L * D, batch, H] }))],
      });
    };
    /** [R, B, H] ↔ [B, R, H]. */
    const swap01 = (a: ArrayLike<number>, R: number, B: number): Float32Array => {
      const out = new Float32Array(a.length);
      for (let r = 0; r < R; r++) for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) out[(b * R + r) * H + h] = a[(r * B + b) * H + h]!;
      return out;
    };
    for (const [op, L, D, sliced, batch] of [['LSTM', 2, 1, true, 'B'], ['LSTM', 1, 1, true, 1], ['GRU', 1, 2, false, 'B'], ['GRU', 2, 2, true, 'B']] as const) {
      const what = `${op} ${L} layer(s) × ${D} direction(s)${sliced ? ', sliced' : ''}`;
      const bytes = graph(op, L, D, sliced, batch);
      const m = await loadOnnx(bytes);
      const R = L * D;
      assert.deepEqual(m.inputs.map((t) => t.shape), [[null, null, F], ...(op === 'LSTM' ? [[null, R, H], [null, R, H]] : [[null, R, H]])], what);
      const session = await ort.InferenceSession.create(bytes);
      for (const B of batch === 1 ? [1] : [1, 3]) {
        const T = 5;
        const x = Float32Array.from({ length: B * T * F }, () => rng.uniformIn(-1, 1));
        const st = (op === 'LSTM' ? [0, 1] : [0]).map(() => Float32Array.from({ length: R * B * H }, () => rng.uniformIn(-1, 1)));
        const feeds: Record<string, ort.Tensor> = { x: new ort.Tensor('float32', x, [B, T, F]) };
        st.forEach((a, k) => (feeds[k === 0 ? 'h0' : 'c0'] = new ort.Tensor('float32', a, [R, B, H])));
        const want = await session.run(feeds);
        const got = m.predict([tensor(Array.from(x), [B, T, F]), ...st.map((a) => tensor(Array.from(swap01(a, R, B)), [B, R, H]))]) as unknown as Tensor[];
        assert.ok(maxDiff(got[0]!.data, want.y!.data as Float32Array) <= TOL, `${what} B ${B}: y`);
        (op === 'LSTM' ? ['hn', 'cn'] : ['hn']).forEach((o, k) => {
          // One layer of one direction: [B, H], as any h_n of one direction comes out.
          assert.deepEqual(got[1 + k]!.shape, R === 1 ? [B, H] : [B, R, H], `${what}: ${o} batch first`);
          assert.ok(maxDiff(got[1 + k]!.data, swap01(want[o]!.data as Float32Array, R, B)) <= TOL, `${what} B ${B}: ${o}`);
        });
      }
    }
  });

  it('reads the Conv1d → LayerNorm → LSTM export once refused for its Conv (onnxConv.test.ts compares it with onnxruntime)', async () => {
    // Conv is read since onnxConv.test.ts: the file that stood for "an op loadOnnx does not read" loads.
    const m = await loadOnnx(join(DIR, 'unsupported_conv_layernorm.onnx'));
    assert.deepEqual(
      m.layers.map((l) => l.className),
      ['Conv1D', 'LayerNormalization', 'LSTM'],
    );
  });

  it('refuses the last step of a bidirectional output (not the backward final state), pointing to h_n', async () => {
    await assert.rejects(loadOnnx(join(DIR, 'unsupported_bidirectional_last_step.onnx')), /backward direction .* h_n/s);
  });

  it('names each unsupported attribute, input and op of a model at once', async () => {
    const bytes = handMade({ attrs: { clip: { float: 3 }, input_forget: 1, layout: 2, activations: ['Sigmoid', 'LeakyRelu', 'Tanh'] }, peephole: true, more: [{ op: 'Foo', name: 'mystery' }, { op: 'Sin', name: 'sin_1' }] });
    await assert.rejects(loadOnnx(bytes), (e: Error) => {
      assert.ok(e instanceof OnnxImportError, e.message);
      for (const what of [/op Foo 'mystery'/, /op Sin 'sin_1'/, /clip/, /input_forget/, /layout = 2/, /LeakyRelu/, /input P \(peephole/]) assert.match(e.message, what);
      return true;
    });
  });

  it('does not fold a bias into a Dense whose output is also read without it', async () => {
    const f32 = (n: number): Uint8Array => new Uint8Array(new Float32Array(n).fill(0.5).buffer);
    const bytes = encodeModel({
      irVersion: 8,
      opset: 17,
      producerName: 'test',
      producerVersion: '0',
      graphName: 'twice',
      docString: '',
      nodes: [
        { op: 'MatMul', inputs: ['x', 'W'], outputs: ['m'], name: 'mm', attrs: [] },
        { op: 'Identity', inputs: ['m'], outputs: ['i'], name: 'same', attrs: [] },
        { op: 'Add', inputs: ['i', 'b'], outputs: ['y'], name: 'plus_bias', attrs: [] },
      ],
      initializers: [
        { name: 'W', dtype: DType.float, dims: [3, 2], raw: f32(6) },
        { name: 'b', dtype: DType.float, dims: [2], raw: f32(2) },
      ],
      inputs: [{ name: 'x', dtype: DType.float, dims: ['batch', 3] }],
      outputs: [
        { name: 'y', dtype: DType.float, dims: ['batch', 2] },
        { name: 'm', dtype: DType.float, dims: ['batch', 2] },
      ],
    });
    await assert.rejects(loadOnnx(bytes), /graph output 'm' is read before the bias Add of Add 'plus_bias'/);
  });

  it('refuses unknown options by name and a file over maxBytes', async () => {
    await assert.rejects(loadOnnx(new Uint8Array(0), { strict: true } as never), /unknown option 'strict'.*maxBytes, checkFinite/);
    await assert.rejects(loadOnnx(join(DIR, 'lstm_seq_bf.onnx'), { maxBytes: 100 }), /more than the 100 accepted/);
    await assert.rejects(loadOnnx(readFileSync(join(DIR, 'lstm_seq_bf.onnx')), { maxBytes: 100 }), /more than the 100 accepted/);
    await assert.rejects(loadOnnx(42 as never), TypeError);
  });

  it('refuses a non-finite weight by name unless checkFinite: false', async () => {
    const good = handMade({});
    // The first float of W's raw data (0.1 = cd cc cc 3d) made NaN.
    const bad = good.slice();
    const at = [...bad].findIndex((_, i) => bad[i] === 0xcd && bad[i + 1] === 0xcc && bad[i + 2] === 0xcc && bad[i + 3] === 0x3d);
    bad.set([0, 0, 0xc0, 0x7f], at);
    await assert.rejects(loadOnnx(bad), /tensor 'W'.*NaN at index 0/);
    const m = await loadOnnx(bad, { checkFinite: false });
    assert.equal(m.layers.length > 0, true);
  });
});

describe('loadOnnx: damaged bytes', () => {
  const original = readFileSync(join(DIR, 'lstm2_last_bf.onnx'));
  it('every truncation is a ModelFormatError naming the byte offset, or loads', async () => {
    let refused = 0;
    for (let n = 0; n < original.length; n += 13) {
      try {
        await loadOnnx(original.subarray(0, n));
      } catch (e) {
        assert.ok(e instanceof ModelFormatError, `${n} bytes: ${(e as Error).name}: ${(e as Error).message}`);
        refused++;
      }
    }
    assert.ok(refused > original.length / 13 - 3, `${refused} refused`);
    await assert.rejects(loadOnnx(original.subarray(0, 200)), /at byte \d+/);
  });

  it('seeded byte flips load with finite outputs or give a ModelFormatError, never another error', async () => {
    const rng = new Rng(15);
    let loaded = 0;
    let refused = 0;
    for (let k = 0; k < 300; k++) {
      const b = Uint8Array.from(original);
      const flips = 1 + Math.floor(rng.uniform() * 3);
      for (let f = 0; f < flips; f++) b[Math.floor(rng.uniform() * b.length)] = Math.floor(rng.uniform() * 256);
      let m: Model;
      try {
        m = await loadOnnx(b, { maxBytes: 1 << 20 });
      } catch (e) {
        assert.ok(e instanceof ModelFormatError, `variant ${k}: ${(e as Error).name}: ${(e as Error).message}`);
        refused++;
        continue;
      }
      loaded++;
      const shape = m.inputs[0]!.shape.map((d, i) => (i === 0 ? 2 : (d ?? 3)));
      const y = outputsOf(m, tensor(new Array(shape.reduce((a, d) => a * d, 1)).fill(0.5), shape));
      assert.ok(y.every((t) => t.data.every(Number.isFinite)), `variant ${k} predicts non-finite values`);
    }
    assert.ok(loaded > 0 && refused > 0, `${loaded} loaded, ${refused} refused`);
  });

  it('a length prefix far beyond the file is refused before anything is allocated', async () => {
    // ModelProto.graph (field 7, length-delimited) claiming 2^40 bytes.
    const bytes = Uint8Array.of(0x3a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 1, 2, 3);
    await assert.rejects(loadOnnx(bytes), /ModelProto.graph: length 1099511627776 but 3 bytes left in the message at byte 1/);
    await assert.rejects(loadOnnx(Uint8Array.of(0x2b, 1)), /ModelProto field 5: start-group is not accepted at byte 1/);
    await assert.rejects(loadOnnx(new Uint8Array(0)), /not an ONNX model/);
  });
});
