/**
 * Pinball (quantile) loss: hand-computed values, the gradient against central differences
 * (per-column τ, row weights, reductions), the registry and config round trip, refused options,
 * and a network trained on it landing on the quantiles of its targets.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Pinball, getLoss, lossFromConfig, losses } from '../src/losses/index.js';
import { Sequential, layers, optimizers, tensor } from '../src/index.js';

test('values: max(τ·x, (τ − 1)·x) with x = y − ŷ, the mean over columns then rows', () => {
  const l = losses.pinball({ tau: 0.9 });
  // x = [1, −1]: 0.9·1 and (0.9 − 1)·(−1) = 0.1 → mean 0.5
  assert.ok(Math.abs(l.compute(Float32Array.of(0, 3), Float32Array.of(1, 2), null, 1, 2) - 0.5) < 1e-7);
  // per-column τ, two rows: row 0 x = [2, 2] → 0.1·2, 0.9·2; row 1 x = [−1, −1] → 0.9·1, 0.1·1
  const q = losses.pinball({ tau: [0.1, 0.9] });
  const v = q.compute(Float32Array.of(0, 0, 1, 1), Float32Array.of(2, 2, 0, 0), null, 2, 2);
  assert.ok(Math.abs(v - (0.2 + 1.8 + 0.9 + 0.1) / 4) < 1e-7, String(v));
  // τ = 0.5 is half the mean absolute error
  const y = Float32Array.of(1, -2, 3.5, 0);
  const p = Float32Array.of(0.5, 1, 3, -2);
  assert.ok(Math.abs(losses.pinball().compute(p, y, null, 2, 2) - 0.5 * losses.meanAbsoluteError().compute(p, y, null, 2, 2)) < 1e-7);
});

test('gradient: central differences (per-column τ, weights, reductions)', () => {
  const rows = 3;
  const cols = 3;
  // Values at least 0.1 from a kink, so a step of 1e-2 stays on one linear piece.
  const y = Float32Array.of(1, 2, 3, -1, 0.5, 2, 0, 0, 1);
  const p = Float32Array.of(0.5, 2.4, 2, -1.2, 0.9, 1, 0.3, -0.6, 1.5);
  for (const [opts, weights] of [
    [{ tau: 0.3 }, null],
    [{ tau: [0.1, 0.5, 0.9] }, null],
    [{ tau: [0.1, 0.5, 0.9] }, Float32Array.of(0.5, 0, 2)],
    [{ tau: [0.2, 0.7, 1], reduction: 'sum' }, Float32Array.of(1, 3, 0.25)],
    [{ tau: 0.05, reduction: 'mean_with_sample_weight' }, Float32Array.of(2, 1, 1)],
  ] as const) {
    const l = new Pinball(opts as never);
    const d = new Float32Array(rows * cols);
    l.compute(p, y, d, rows, cols, weights);
    const h = 1e-2;
    for (let i = 0; i < p.length; i++) {
      const up = Float32Array.from(p);
      const dn = Float32Array.from(p);
      up[i] = p[i]! + h;
      dn[i] = p[i]! - h;
      const fd = (l.compute(up, y, null, rows, cols, weights) - l.compute(dn, y, null, rows, cols, weights)) / (2 * h);
      assert.ok(Math.abs(d[i]! - fd) <= 1e-4 * Math.max(1, Math.abs(fd)), `${JSON.stringify(opts)} entry ${i}: analytic ${d[i]}, finite difference ${fd}`);
    }
  }
});

test('registry, config round trip, refused options', () => {
  assert.equal(getLoss('pinball_loss').className, 'PinballLoss');
  assert.equal(getLoss('pinballLoss').className, 'PinballLoss');
  const l = losses.pinball({ tau: [0.1, 0.9], reduction: 'sum' });
  const back = lossFromConfig('PinballLoss', l.getConfig()) as Pinball;
  assert.deepEqual(back.getConfig(), l.getConfig());
  assert.deepEqual(back.tau, [0.1, 0.9]);
  assert.throws(() => losses.pinball({ tau: 1.5 }), /PinballLoss: tau must be/);
  assert.throws(() => losses.pinball({ tau: [] }), /non-empty array/);
  assert.throws(() => losses.pinball({ tau: [0.1, -1] }), /tau\[1\]/);
  assert.throws(() => losses.pinball({ tau: '0.5' as never }), /tau must be a number or an array/);
  assert.throws(() => losses.pinball({ quantile: 0.5 } as never), /quantile/);
  assert.throws(() => losses.pinball({ tau: [0.1, 0.9] }).compute(new Float32Array(3), new Float32Array(3), null, 1, 3), /2 tau values for an output of 3 columns/);
});

test('a network trained on it forecasts the quantiles of its targets', async () => {
  // Targets uniform on [0, 1] (a fixed grid, shuffled by the fit), one constant input: the
  // minimiser of each column is its τ-quantile.
  const n = 400;
  const x = tensor(Array.from({ length: n }, () => [1]));
  const y = tensor(Array.from({ length: n }, (_, i) => {
    const v = ((i * 0.61803398875) % 1 + 0.5 / n) % 1;
    return [v, v, v];
  }));
  const m = new Sequential();
  m.add(layers.dense({ units: 3, inputShape: [1], seed: 1 }));
  m.compile({ optimizer: optimizers.adam({ learningRate: 0.02 }), loss: losses.pinball({ tau: [0.1, 0.5, 0.9] }) });
  await m.fit(x, y, { epochs: 60, batchSize: 50, verbose: 0, seed: 2 });
  const out = m.predict(tensor([[1]])).data;
  [0.1, 0.5, 0.9].forEach((q, j) => assert.ok(Math.abs(out[j]! - q) < 0.04, `column ${j}: ${out[j]} vs the ${q} quantile`));
});
