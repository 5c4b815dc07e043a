/**
 * The layers that take several inputs or give several outputs, and the graph engine's
 * own backward (fan-out sums, initial-state gradients): finite-difference checks of
 * every weight and input gradient; attention against a float64 reference written
 * here (tfjs has no Attention layer); masks as Keras 3 defines them.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { Rng } from '../src/core/rng.js';
import { input, layers, model, tensor, type Model, type SymbolicTensor } from '../src/index.js';
import { assertClose } from './helpers/check.js';
import { forwardOutputs, graphGradCheck, randomFlat, runGraph, type Flat } from './helpers/graph.js';

const B = 3;
const T = 4;
const F = 5;

/** Inputs of the given per-sample shapes, random, and the model from a body. */
function build(shapes: readonly (number | null)[][], body: (xs: SymbolicTensor[]) => SymbolicTensor | SymbolicTensor[]): Model {
  const xs = shapes.map((s) => input({ shape: s }));
  return model({ inputs: xs, outputs: body(xs) });
}

function data(shapes: readonly number[][], seed: number, spread = false): Flat[] {
  const rng = new Rng(seed);
  // spread: each input in its own band, so maximum/minimum never tie within a finite-difference step
  return shapes.map((s, i) => randomFlat([B, ...s], rng, spread ? i - 0.45 : -1, spread ? i + 0.45 : 1));
}

/** Values at least 0.05 apart in random order (a maximum never changes hands within a finite-difference step). */
function separated(shape: readonly number[], seed: number): Flat {
  const rng = new Rng(seed);
  const n = B * shape.reduce((a, b) => a * b, 1);
  const order = new Int32Array(n).map((_, i) => i);
  rng.shuffle(order);
  return { data: Float32Array.from(order, (k) => (k - n / 2) * 0.05), shape: [B, ...shape] };
}

describe('merge layers: gradients (finite differences)', () => {
  const same = [[T, F], [T, F], [T, F]];
  for (const name of ['add', 'subtract', 'multiply', 'average', 'maximum', 'minimum'] as const) {
    it(`${name} on ${name === 'subtract' ? 2 : 3} inputs [B, T, F], then Dense`, () => {
      const n = name === 'subtract' ? 2 : 3;
      const m = build(same.slice(0, n), (xs) => layers.dense({ units: 2 }).apply(layers[name]().apply(xs)));
      graphGradCheck(m, data(same.slice(0, n), 1, true), 2, name);
    });
  }
  it('add and multiply broadcast [B, T, F] with [B, F] and [B, 1, F] as Keras does', () => {
    const shapes = [[T, F], [F], [1, F]];
    const m = build(shapes, (xs) => [layers.add().apply(xs), layers.multiply().apply(xs)]);
    const ins = data(shapes, 3);
    const [sum, prod] = forwardOutputs(m, ins);
    const [a, b, c] = ins.map((x) => x.data);
    for (let s = 0; s < B; s++)
      for (let t = 0; t < T; t++)
        for (let f = 0; f < F; f++) {
          const i = (s * T + t) * F + f;
          assert.ok(Math.abs(sum![i]! - (a![i]! + b![s * F + f]! + c![s * F + f]!)) < 1e-6);
          assert.ok(Math.abs(prod![i]! - a![i]! * b![s * F + f]! * c![s * F + f]!) < 1e-6);
        }
    graphGradCheck(m, ins, 4, 'broadcast');
  });
  for (const axis of [-1, 1, 2]) {
    it(`concatenate along axis ${axis}`, () => {
      const shapes = axis === 1 ? [[T, F], [2, F]] : [[T, F], [T, 2]];
      const m = build(shapes, (xs) => layers.dense({ units: 3 }).apply(layers.concatenate({ axis }).apply(xs)));
      graphGradCheck(m, data(shapes, 5), 6, `concatenate axis ${axis}`);
    });
  }
  it('merge layers refuse shapes they cannot join, naming the layer', () => {
    const a = input({ shape: [T, F] });
    const b = input({ shape: [T, 3] });
    assert.throws(() => layers.add({ name: 'sum' }).apply([a, b]), /Add 'sum': inputs of shapes \[\*, 4, 5\], \[\*, 4, 3\] cannot be merged element-wise/);
    assert.throws(() => layers.subtract({ name: 'diff' }).apply([a, a, a]), /Subtract 'diff': takes a list of 2 inputs, got 3/);
    assert.throws(() => layers.concatenate({ name: 'cat', axis: 1 }).apply([a, b]), /Concatenate 'cat': inputs must match except along axis 1/);
    assert.throws(() => layers.concatenate({ axis: 0 }), /axis must be a non-zero integer/);
  });
});

describe('merge masks (Keras 3)', () => {
  // Embedding(maskZero) masks: index 0 is padding.
  const ids = (rows: number[][]): Flat => ({ data: Float32Array.from(rows.flat()), shape: [rows.length, rows[0]!.length] });
  const masked = (xs: SymbolicTensor[]): SymbolicTensor[] => xs.map((x) => layers.embedding({ inputDim: 5, outputDim: 2, maskZero: true }).apply(x));
  const maskOf = (m: Model, x: Flat[]): number[] => {
    const ex = m.engine.executor;
    forwardOutputs(m, x);
    return Array.from(ex.mask[ex.outputTensor(0)]!.slice(0, 2 * 3));
  };
  const a = ids([[1, 2, 0], [3, 0, 0]]);
  const b = ids([[1, 0, 0], [4, 4, 4]]);
  it('add: AND of the masks', () => {
    const m = build([[3], [3]], (xs) => layers.add().apply(masked(xs)));
    assert.deepEqual(maskOf(m, [a, b]), [1, 0, 0, 1, 0, 0]);
  });
  it('concatenate on the feature axis: OR of the masks', () => {
    const m = build([[3], [3]], (xs) => layers.concatenate().apply(masked(xs)));
    assert.deepEqual(maskOf(m, [a, b]), [1, 1, 0, 1, 1, 1]);
  });
  it("concatenate on the feature axis with maskReduction 'all' (tf.keras 2, TF.js): AND of the masked inputs, an unmasked one left out", () => {
    const m = build([[3], [3]], (xs) => layers.concatenate({ maskReduction: 'all' }).apply(masked(xs)));
    assert.deepEqual(maskOf(m, [a, b]), [1, 0, 0, 1, 0, 0]);
    const half = build([[3], [3]], (xs) => layers.concatenate({ maskReduction: 'all' }).apply([masked(xs)[0]!, layers.embedding({ inputDim: 5, outputDim: 2 }).apply(xs[1]!)]));
    assert.deepEqual(maskOf(half, [a, b]), [1, 1, 0, 1, 0, 0]);
    assert.deepEqual(layers.concatenate({ maskReduction: 'all' }).getConfig().maskReduction, 'all');
    assert.equal(layers.concatenate().getConfig().maskReduction, undefined, "the default is not written (files stay as they were)");
    assert.throws(() => layers.concatenate({ maskReduction: 'some' as never }), /maskReduction must be 'any' \(Keras 3\) or 'all' \(tf\.keras 2, TF\.js\), got "some"/);
  });
  it('concatenate on the time axis: the masks joined (an unmasked input counts as kept)', () => {
    const m = build([[3], [3]], (xs) => layers.concatenate({ axis: 1 }).apply([masked(xs)[0]!, layers.embedding({ inputDim: 5, outputDim: 2 }).apply(xs[1]!)]));
    const ex = m.engine.executor;
    forwardOutputs(m, [a, b]);
    assert.deepEqual(Array.from(ex.mask[ex.outputTensor(0)]!.slice(0, 12)), [1, 1, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1]);
  });
});

describe('dot', () => {
  const cases: [string, number[][], number | [number, number], boolean][] = [
    ['vectors, axes 1', [[F], [F]], 1, false],
    ['vectors, axes -1, normalize (cosine)', [[F], [F]], -1, true],
    ['sequences, axes [2, 2] (scores)', [[T, F], [3, F]], [2, 2], false],
    ['sequences, axes [1, 1]', [[T, F], [T, 2]], [1, 1], false],
    ['sequences, axes [2, 1]', [[T, F], [F, 2]], [2, 1], false],
    ['sequence and vector, axes [2, 1], normalize', [[T, F], [F]], [2, 1], true],
  ];
  for (const [what, shapes, axes, normalize] of cases) {
    it(`${what}: gradients (finite differences)`, () => {
      const m = build(shapes, (xs) => layers.dot({ axes, normalize }).apply(xs));
      graphGradCheck(m, data(shapes, 7), 8, what);
    });
  }
  it('cosine similarity is in [-1, 1] and 1 for equal vectors; output [B, 1] for vectors', () => {
    const m = build([[F], [F]], (xs) => layers.dot({ axes: 1, normalize: true }).apply(xs));
    const [x] = data([[F]], 9);
    const out = m.predict([tensor(x!.data, [B, F]), tensor(x!.data, [B, F])]);
    assert.deepEqual(out.shape, [B, 1]);
    for (const v of out.data) assert.ok(Math.abs(v - 1) < 1e-6);
  });
});

/** Keras 3 Attention in float64, per sample: the reference the layer is held to. */
function attentionReference(
  q: Float32Array, v: Float32Array, k: Float32Array, Tq: number, Tv: number, D: number, Dv: number,
  opts: { mode: 'dot' | 'concat' | 'additive'; scale: number | Float32Array | null; concatWeight?: number; qMask?: number[] | null; vMask?: number[] | null; causal?: boolean },
): { out: number[]; weights: number[] } {
  const out: number[] = [];
  const weights: number[] = [];
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < Tq; i++) {
      const s: number[] = [];
      for (let j = 0; j < Tv; j++) {
        let acc = 0;
        for (let d = 0; d < D; d++) {
          const qd = q[(b * Tq + i) * D + d]!;
          const kd = k[(b * Tv + j) * D + d]!;
          if (opts.mode === 'dot') acc += qd * kd;
          else if (opts.mode === 'concat') acc += Math.tanh((typeof opts.scale === 'number' ? opts.scale : 1) * (qd + kd));
          else acc += (opts.scale instanceof Float32Array ? opts.scale[d]! : 1) * Math.tanh(qd + kd);
        }
        if (opts.mode === 'dot' && typeof opts.scale === 'number') acc *= opts.scale;
        if (opts.mode === 'concat') acc *= opts.concatWeight!;
        if ((opts.vMask && opts.vMask[b * Tv + j] === 0) || (opts.causal && j > i)) acc -= 1e9;
        s.push(acc);
      }
      const max = Math.max(...s);
      const e = s.map((x) => Math.exp(x - max));
      const sum = e.reduce((x, y) => x + y, 0);
      const w = e.map((x) => x / sum);
      weights.push(...w);
      for (let c = 0; c < Dv; c++) {
        let acc = 0;
        for (let j = 0; j < Tv; j++) acc += w[j]! * v[(b * Tv + j) * Dv + c]!;
        out.push(opts.qMask && opts.qMask[b * Tq + i] === 0 ? 0 : acc);
      }
    }
  }
  return { out, weights };
}

describe('attention and additiveAttention', () => {
  const Tq = 3;
  const Tv = 4;
  const D = 5;
  const Dv = 2;
  const variants = [
    { what: 'Attention dot', make: () => layers.attention(), mode: 'dot' as const },
    { what: 'Attention dot, useScale', make: () => layers.attention({ useScale: true }), mode: 'dot' as const },
    { what: "Attention scoreMode 'concat', useScale", make: () => layers.attention({ scoreMode: 'concat', useScale: true }), mode: 'concat' as const },
    { what: "Attention scoreMode 'concat'", make: () => layers.attention({ scoreMode: 'concat' }), mode: 'concat' as const },
    { what: 'AdditiveAttention', make: () => layers.additiveAttention(), mode: 'additive' as const },
    { what: 'AdditiveAttention, useScale false', make: () => layers.additiveAttention({ useScale: false }), mode: 'additive' as const },
  ];
  for (const v of variants) {
    for (const withKey of [false, true]) {
      for (const causal of [false, true]) {
        const what = `${v.what}${withKey ? ', separate key' : ''}${causal ? ', useCausalMask' : ''}`;
        it(`${what}: float64 reference, scores output, gradients`, () => {
          const shapes = withKey ? [[Tq, D], [Tv, Dv], [Tv, D]] : [[Tq, D], [Tv, D]];
          const dv = withKey ? Dv : D;
          const layer = v.make();
          const m = build(shapes, (xs) => layer.apply(xs, { useCausalMask: causal, returnAttentionScores: true }) as unknown as SymbolicTensor[]);
          const ins = data(shapes, 11);
          const rng = new Rng(12);
          for (const w of m.weights) w.value.set(Float32Array.from({ length: w.value.length }, () => rng.uniformIn(0.5, 1.5)));
          const [out, scores] = forwardOutputs(m, ins);
          const weights = layer.getWeights();
          const scale = v.mode === 'additive' ? (layer.weights.find((w) => w.name === 'scale')?.value ?? null) : (weights.length > 0 && layer.weights[0]!.name === 'scale' ? weights[0]!.data[0]! : null);
          const concatWeight = layer.weights.find((w) => w.name === 'concat_score_weight')?.value[0];
          const k = withKey ? ins[2]!.data : ins[1]!.data;
          const ref = attentionReference(ins[0]!.data, ins[1]!.data, k, Tq, Tv, D, dv, { mode: v.mode, scale, concatWeight, causal });
          assertClose(out!, ref.out, 1e-5, 1e-6, `${what}: output`);
          assertClose(scores!, ref.weights, 1e-5, 1e-6, `${what}: scores`);
          graphGradCheck(m, ins, 13, what);
        });
      }
    }
  }
  it('query and value masks (from Embedding maskZero): masked keys get no weight, masked queries give 0 and keep the mask', () => {
    const q = input({ shape: [Tq] });
    const val = input({ shape: [Tv] });
    const eq = layers.embedding({ inputDim: 6, outputDim: D, maskZero: true, name: 'eq' }).apply(q);
    const ev = layers.embedding({ inputDim: 6, outputDim: D, maskZero: true, name: 'ev' }).apply(val);
    const attLayer = layers.attention({ useScale: true });
    const att = attLayer.apply([eq, ev], { returnAttentionScores: true }) as unknown as SymbolicTensor[];
    const m = model({ inputs: [q, val], outputs: att });
    const qIds: Flat = { data: Float32Array.from([1, 2, 0, 3, 0, 0, 5, 4, 3]), shape: [B, Tq] };
    const vIds: Flat = { data: Float32Array.from([1, 1, 2, 0, 4, 0, 0, 0, 5, 4, 3, 2]), shape: [B, Tv] };
    const [out, scores] = forwardOutputs(m, [qIds, vIds]);
    const ex = m.engine.executor;
    const eqOut = ex.buf[m.graph.indexOf(eq)]!.slice(0, B * Tq * D);
    const evOut = ex.buf[m.graph.indexOf(ev)]!.slice(0, B * Tv * D);
    const qMask = Array.from(qIds.data, (i) => (i === 0 ? 0 : 1));
    const vMask = Array.from(vIds.data, (i) => (i === 0 ? 0 : 1));
    assert.equal(m.getLayer(4), attLayer, 'layers: inputs, embeddings, attention');
    const scale = attLayer.weights[0]!.value[0]!;
    const ref = attentionReference(eqOut, evOut, evOut, Tq, Tv, D, D, { mode: 'dot', scale, qMask, vMask });
    assertClose(out!, ref.out, 1e-5, 1e-6, 'masked output');
    assertClose(scores!, ref.weights, 1e-5, 1e-6, 'masked scores');
    for (let b = 0; b < B; b++) for (let j = 0; j < Tv; j++) if (vMask[b * Tv + j] === 0) for (let i = 0; i < Tq; i++) assert.ok(scores![(b * Tq + i) * Tv + j]! < 1e-30);
    assert.deepEqual(Array.from(ex.mask[ex.outputTensor(0)]!.slice(0, B * Tq)), qMask, 'the output carries the query mask');
    const run = runGraph(m, [qIds, vIds], [Float32Array.from(out!, () => 1), new Float32Array(scores!.length)]);
    assert.ok(run.dWeights.every((g) => g.every(Number.isFinite)));
  });
  it('dropout drops attention weights only in training (and the scores output shows it)', () => {
    const shapes = [[Tq, D], [Tv, D]];
    const layer = layers.attention({ dropout: 0.5, seed: 3 });
    const m = build(shapes, (xs) => layer.apply(xs, { returnAttentionScores: true }) as unknown as SymbolicTensor[]);
    const ins = data(shapes, 14);
    const [, trained] = forwardOutputs(m, ins);
    assert.ok(trained!.some((w) => w === 0), 'some weights dropped in training');
    const [, inferred] = m.predict(ins.map((x) => tensor(x.data, x.shape))) as unknown as { data: Float32Array }[];
    assert.ok(inferred!.data.every((w) => w > 0), 'none dropped in inference');
  });
  it('options are checked: unknown keys and call options are refused by name', () => {
    assert.throws(() => layers.attention({ scoreMode: 'general' as never }), /scoreMode must be 'dot' or 'concat'/);
    assert.throws(() => layers.attention({ heads: 2 } as never), /unknown option 'heads'/);
    const q = input({ shape: [Tq, D] });
    assert.throws(() => layers.attention().apply([q, q], { returnScores: true }), /unknown option 'returnScores'/);
    assert.throws(() => layers.attention({ name: 'att' }).apply([q]), /Attention 'att': takes a list of 2 to 3 inputs, got 1/);
  });
});

describe('global pooling, reshape, permute', () => {
  const cases: [string, () => import('../src/index.js').Layer, number[]][] = [
    ['globalAveragePooling1d', () => layers.globalAveragePooling1d(), [T, F]],
    ['globalMaxPooling1d', () => layers.globalMaxPooling1d(), [T, F]],
    ['globalAveragePooling1d channelsFirst keepdims', () => layers.globalAveragePooling1d({ dataFormat: 'channelsFirst', keepdims: true }), [F, T]],
    ['globalMaxPooling1d keepdims', () => layers.globalMaxPooling1d({ keepdims: true }), [T, F]],
    ['reshape [-1, 2] → then Dense', () => layers.reshape({ targetShape: [-1, 2] }), [T, 4]],
    ['reshape [20]', () => layers.reshape({ targetShape: [20] }), [T, F]],
    ['permute [2, 1]', () => layers.permute({ dims: [2, 1] }), [T, F]],
    ['permute [1, 3, 2] on rank 4', () => layers.permute({ dims: [1, 3, 2] }), [T, 2, 3]],
  ];
  for (const [what, make, shape] of cases) {
    it(`${what}: gradients (finite differences)`, () => {
      const m = build([shape], (xs) => make().apply(xs[0]!));
      graphGradCheck(m, [separated(shape, 15)], 16, what);
    });
  }
  it('pooling leaves masked steps out (an all-masked sample pools to 0)', () => {
    const x = input({ shape: [T, 2] });
    const masked = layers.masking({ maskValue: 0 }).apply(x);
    const m = model({ inputs: x, outputs: [layers.globalAveragePooling1d().apply(masked), layers.globalMaxPooling1d().apply(masked)] });
    const rows = [
      [[1, 2], [3, -4], [0, 0], [0, 0]],
      [[-5, 1], [0, 0], [-1, -1], [0, 0]],
      [[0, 0], [0, 0], [0, 0], [0, 0]],
    ];
    const [avg, max] = m.predict(tensor(rows)) as unknown as { data: Float32Array }[];
    assert.deepEqual(Array.from(avg!.data), [2, -1, -3, 0, 0, 0]);
    assert.deepEqual(Array.from(max!.data), [3, 2, -1, 1, 0, 0]);
  });
  it('reshape and permute keep an open time axis first, or say why not', () => {
    const x = input({ shape: [null, 4] });
    const r = layers.reshape({ targetShape: [-1, 2] }).apply(x);
    assert.deepEqual(r.shape, [null, null, 2]);
    assert.throws(() => layers.reshape({ name: 'rs', targetShape: [2, -1] }).apply(x), /Reshape 'rs': input \[\*, \*, 4\] has an open first axis, so targetShape needs -1 first/);
    assert.throws(() => layers.permute({ name: 'pm', dims: [2, 1] }).apply(x), /Permute 'pm': .* open first axis, which must stay first/);
    const m = model({ inputs: x, outputs: layers.dense({ units: 1 }).apply(r) });
    assert.deepEqual(m.predict(tensor(new Float32Array(2 * 3 * 4), [2, 3, 4])).shape, [2, 6, 1]);
  });
});

describe('the graph engine: shared tensors, shared layers, initial states', () => {
  it('a tensor used by three layers gets the sum of their gradients', () => {
    const m = build([[F]], ([x]) => {
      const h = layers.dense({ units: 4, activation: 'tanh' }).apply(x!);
      return [layers.dense({ units: 2 }).apply(h), layers.dense({ units: 3 }).apply(h), layers.add().apply([h, h])];
    });
    graphGradCheck(m, data([[F]], 17), 18, 'fan-out');
  });
  it('a model output also used inside the graph gets both gradients', () => {
    const m = build([[F]], ([x]) => {
      const h = layers.dense({ units: 4, activation: 'tanh' }).apply(x!);
      return [h, layers.dense({ units: 2 }).apply(h)];
    });
    graphGradCheck(m, data([[F]], 19), 20, 'output used inside');
  });
  it('a shared layer applied twice: one set of weights, gradients summed', () => {
    const lstm = layers.lstm({ units: 4 });
    const m = build([[null, 3], [null, 3]], ([a, b]) => layers.concatenate().apply([lstm.apply(a!), lstm.apply(b!)]));
    assert.equal(m.weights.length, 3, 'the LSTM weights once');
    const rng = new Rng(21);
    const ins = [randomFlat([B, 5, 3], rng), randomFlat([B, 2, 3], rng)];
    graphGradCheck(m, ins, 22, 'shared LSTM');
  });
  for (const cell of ['lstm', 'gru', 'simpleRNN'] as const) {
    it(`${cell}: encoder states into a decoder's initialState (gradients through both ends of both)`, () => {
      const enc = input({ shape: [null, 3] });
      const dec = input({ shape: [null, 2] });
      const [, ...states] = layers[cell]({ units: 4, returnState: true }).apply(enc) as unknown as SymbolicTensor[];
      const [seq, ...last] = layers[cell]({ units: 4, returnSequences: true, returnState: true }).apply(dec, { initialState: states }) as unknown as SymbolicTensor[];
      const m = model({ inputs: [enc, dec], outputs: [layers.dense({ units: 2 }).apply(seq!), ...last] });
      const rng = new Rng(23);
      graphGradCheck(m, [randomFlat([B, 4, 3], rng), randomFlat([B, 3, 2], rng)], 24, cell);
    });
  }
  it('Bidirectional with initialState, returnState and mergeMode null', () => {
    const x = input({ shape: [null, 3] });
    const h0 = input({ shape: [4] });
    const c0 = input({ shape: [4] });
    const outs = layers.bidirectional({ layer: layers.lstm({ units: 4, returnSequences: true, returnState: true }), mergeMode: null }).apply(x, { initialState: [h0, c0, c0, h0] }) as unknown as SymbolicTensor[];
    assert.equal(outs.length, 6, '[forward, backward, h_f, c_f, h_b, c_b]');
    const m = model({ inputs: [x, h0, c0], outputs: outs });
    const rng = new Rng(25);
    graphGradCheck(m, [randomFlat([B, 3, 3], rng), randomFlat([B, 4], rng), randomFlat([B, 4], rng)], 26, 'bidirectional states');
  });
  it('initialState from concrete tensors in apply (no longer ignored)', () => {
    const lstm = layers.lstm({ units: 3, returnState: true });
    const x = tensor(new Float32Array(2 * 4 * 2).map((_, i) => Math.sin(i)), [2, 4, 2]);
    const [, h] = lstm.apply(x) as unknown as { data: Float32Array }[];
    const h0 = tensor(new Float32Array(6).fill(0.5), [2, 3]);
    const [, hFrom] = lstm.apply(x, { initialState: [h0, h0] }) as unknown as { data: Float32Array }[];
    assert.notDeepEqual(Array.from(hFrom!.data), Array.from(h!.data));
    assert.throws(() => lstm.apply(x, { initialState: [h0] }), /initialState needs 2 states \[h, c\], got 1/);
  });
});
