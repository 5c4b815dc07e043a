/**
 * fit/evaluate sampleWeight (per sample, per time step) and classWeight, with Keras's
 * reduction: Σ w·ℓ / (number of per-sample values).
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { Sequential, layers, tensor, initializers, type Tensor } from '../src/index.js';
import { Rng } from '../src/core/rng.js';

const TOL = 1e-5;

function make(returnSequences: boolean): Sequential {
  const m = new Sequential();
  m.add(layers.simpleRNN({ units: 4, inputShape: [5, 2], returnSequences, seed: 1 }));
  m.add(layers.dense({ units: 1, activation: 'sigmoid', seed: 2 }));
  m.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy' });
  return m;
}

function data(n: number, seq: boolean): { x: Tensor; y: Tensor } {
  const rng = new Rng(4);
  return {
    x: tensor(Float32Array.from({ length: n * 10 }, () => rng.uniformIn(-1, 1)), [n, 5, 2]),
    y: seq ? tensor(Float32Array.from({ length: n * 5 }, () => rng.int(2)), [n, 5, 1]) : tensor(Float32Array.from({ length: n }, () => rng.int(2)), [n, 1]),
  };
}

/** Per-sample losses, by evaluating one sample at a time. */
function perSample(m: Sequential, x: Tensor, y: Tensor): number[] {
  const n = x.shape[0]!;
  return Array.from({ length: n }, (_, i) => {
    const xi = tensor(x.data.slice(i * 10, (i + 1) * 10), [1, 5, 2]);
    const w = y.size / n;
    const yi = tensor(y.data.slice(i * w, (i + 1) * w), [1, ...y.shape.slice(1)]);
    return m.evaluate(xi, yi, { verbose: 0 })[0]!;
  });
}

describe('sample and class weights', () => {
  it('per-sample weights: Σ wᵢ ℓᵢ / N', () => {
    const m = make(false);
    const { x, y } = data(6, false);
    const w = [1, 0, 2, 0.5, 0, 3];
    const losses = perSample(m, x, y);
    const expected = losses.reduce((s, l, i) => s + l * w[i]!, 0) / 6;
    const [got] = m.evaluate(x, y, { sampleWeight: w, verbose: 0, batchSize: 4 });
    assert.ok(Math.abs(got! - expected) < TOL, `${got} vs ${expected}`);
  });

  it('per-time-step weights on sequence outputs: Σ w_bt ℓ_bt / (N·T)', () => {
    const m = make(true);
    const { x, y } = data(3, true);
    const w = Array.from({ length: 3 }, (_, b) => Array.from({ length: 5 }, (_, t) => (t + b) % 3));
    const p = m.predict(x);
    let s = 0;
    for (let i = 0; i < 15; i++) {
      const q = Math.min(Math.max(p.data[i]!, 1e-7), 1 - 1e-7);
      const l = -(y.data[i]! * Math.log(q) + (1 - y.data[i]!) * Math.log(1 - q));
      s += l * w[Math.floor(i / 5)]![i % 5]!;
    }
    const [got] = m.evaluate(x, y, { sampleWeight: w, verbose: 0 });
    assert.ok(Math.abs(got! - s / 15) < TOL, `${got} vs ${s / 15}`);
    // a per-sample weight spreads over the sample's steps
    const [spread] = m.evaluate(x, y, { sampleWeight: [1, 1, 1], verbose: 0 });
    const [plain] = m.evaluate(x, y, { verbose: 0 });
    assert.ok(Math.abs(spread! - plain!) < TOL);
  });

  it('classWeight equals the sample weights it implies, in training too', async () => {
    const { x, y } = data(8, false);
    const a = make(false);
    const b = make(false);
    const sw = Array.from(y.data, (c) => (c === 1 ? 3 : 0.5));
    const ha = await a.fit(x, y, { classWeight: { 0: 0.5, 1: 3 }, epochs: 3, batchSize: 4, shuffle: false, verbose: 0 });
    const hb = await b.fit(x, y, { sampleWeight: sw, epochs: 3, batchSize: 4, shuffle: false, verbose: 0 });
    assert.deepEqual(ha.history.loss, hb.history.loss);
    assert.deepEqual(a.getWeights()[0]!.data, b.getWeights()[0]!.data);
    const c = make(false);
    const hc = await c.fit(x, y, { epochs: 3, batchSize: 4, shuffle: false, verbose: 0 });
    assert.notDeepEqual(hc.history.loss, ha.history.loss);
  });

  it('bad weights are clear errors', async () => {
    const m = make(false);
    const { x, y } = data(4, false);
    await assert.rejects(m.fit(x, y, { sampleWeight: [1, 2], verbose: 0 }), /sampleWeight: expected 4 weights \(one per sample\), got shape \[2\]/);
    await assert.rejects(m.fit(x, y, { sampleWeight: [1, 2, -1, 1], verbose: 0 }), /weight 2 is -1/);
    await assert.rejects(m.fit(x, y, { sampleWeight: [1, 1, 1, 1], classWeight: { 0: 1, 1: 1 }, verbose: 0 }), /give sampleWeight or classWeight, not both/);
    const only0: Record<number, number> = y.data.includes(1) ? { 0: 1 } : { 1: 1 };
    await assert.rejects(m.fit(x, y, { classWeight: only0, verbose: 0 }), /has class \d, which has no weight/);
  });
});

describe('more Keras initializers', () => {
  const stats = (init: ReturnType<typeof initializers.heNormal>, shape: [number, number]): { std: number; max: number } => {
    const out = new Float32Array(shape[0] * shape[1]);
    init.init(out, shape, new Rng(1));
    const std = Math.sqrt(out.reduce((s, v) => s + v * v, 0) / out.length);
    return { std, max: out.reduce((m, v) => Math.max(m, Math.abs(v)), 0) };
  };
  it('heNormal / lecunNormal: truncated normal, std √(scale/fanIn)', () => {
    assert.ok(Math.abs(stats(initializers.heNormal(), [200, 300]).std - Math.sqrt(2 / 200)) / Math.sqrt(2 / 200) < 0.03);
    assert.ok(Math.abs(stats(initializers.lecunNormal(), [200, 300]).std - Math.sqrt(1 / 200)) / Math.sqrt(1 / 200) < 0.03);
  });
  it('heUniform / lecunUniform: U(±√(3·scale/fanIn))', () => {
    const he = stats(initializers.heUniform(), [100, 400]);
    assert.ok(he.max <= Math.sqrt(6 / 100) && he.max > 0.95 * Math.sqrt(6 / 100));
    const le = stats(initializers.lecunUniform(), [100, 400]);
    assert.ok(le.max <= Math.sqrt(3 / 100) && le.max > 0.95 * Math.sqrt(3 / 100));
  });
  it('truncatedNormal stays within 2 stddev; constant and identity', () => {
    const t = stats(initializers.truncatedNormal({ stddev: 0.1 }), [100, 100]);
    assert.ok(t.max <= 0.2 + 1e-7);
    const c = new Float32Array(4);
    initializers.constant({ value: 2.5 }).init(c, [4], new Rng(1));
    assert.deepEqual([...c], [2.5, 2.5, 2.5, 2.5]);
    const id = new Float32Array(6);
    initializers.identity({ gain: 2 }).init(id, [2, 3], new Rng(1));
    assert.deepEqual([...id], [2, 0, 0, 0, 2, 0]);
  });
  it('varianceScaling modes', () => {
    const v = stats(initializers.varianceScaling({ scale: 3, mode: 'fanOut', distribution: 'untruncatedNormal' }), [100, 300]);
    assert.ok(Math.abs(v.std - Math.sqrt(3 / 300)) / Math.sqrt(3 / 300) < 0.03);
    assert.throws(() => initializers.varianceScaling({ mode: 'fan_in' as 'fanIn' }), /mode must be 'fanIn', 'fanOut' or 'fanAvg'/);
  });
});
