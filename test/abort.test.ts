/**
 * fit's `signal`: an abort stops fit at the next batch boundary and rejects with an Error
 * named 'AbortError' carrying the history so far; the model stays usable (finite weights
 * equal to those after the last applied batch, can predict and fit again); an already
 * aborted signal rejects before any batch; worker threads (workers: 2) stop with it.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { Sequential, layers, setSeed, tensor, type Tensor } from '../src/index.js';

const N = 64;
const T = 6;
const I = 3;
function data(): { x: Tensor; y: Tensor } {
  const xs = new Float32Array(N * T * I);
  for (let i = 0; i < xs.length; i++) xs[i] = Math.sin(i * 0.37);
  const ys = new Float32Array(N);
  for (let i = 0; i < N; i++) ys[i] = i % 3;
  return { x: tensor(xs, [N, T, I]), y: tensor(ys, [N]) };
}
function model(units = 16): Sequential {
  setSeed(1);
  const m = new Sequential();
  m.add(layers.lstm({ units, inputShape: [T, I] }));
  m.add(layers.dense({ units: 3, activation: 'softmax' }));
  m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

describe('fit: signal (AbortSignal)', () => {
  it('an abort in onBatchEnd stops after that batch, rejects with AbortError and history so far', async () => {
    const { x, y } = data();
    const m = model();
    const ac = new AbortController();
    const seen: string[] = [];
    let epochEnds = 0;
    const err = await m
      .fit(x, y, {
        epochs: 5,
        batchSize: 8,
        verbose: 0,
        signal: ac.signal,
        callbacks: {
          onBatchEnd: (b) => {
            seen.push(`b${b}`);
            if (epochEnds === 1 && b === 2) ac.abort();
          },
          onEpochEnd: () => {
            epochEnds++;
          },
        },
      })
      .then(
        () => null,
        (e: unknown) => e as Error & { history: { history: Record<string, number[]> } },
      );
    assert.ok(err !== null, 'fit must reject');
    assert.equal(err.name, 'AbortError');
    assert.match(err.message, /aborted at epoch 2 after 3 batches/);
    assert.equal(seen.length, 8 + 3, 'one full epoch and 3 batches of the second');
    assert.equal(epochEnds, 1);
    assert.deepEqual(Object.keys(err.history.history).sort(), ['accuracy', 'loss']);
    assert.equal(err.history.history.loss!.length, 1);
    for (const w of m.getWeights()) assert.ok(w.data.every(Number.isFinite));
    const p = m.predict(x);
    assert.ok(p.data.every(Number.isFinite));
    // The model can be fit again (no fit left running).
    const h = await m.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
    assert.equal(h.history.loss!.length, 1);
  });

  it('the abort stops at the batch boundary: weights equal an unbroken fit stopped by stopTraining at that batch', async () => {
    const { x, y } = data();
    const a = model();
    const ac = new AbortController();
    await a
      .fit(x, y, { epochs: 2, batchSize: 8, verbose: 0, seed: 3, signal: ac.signal, callbacks: { onBatchEnd: (b) => void (b === 4 && ac.abort()) } })
      .catch(() => undefined);
    const b = model();
    await b.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0, seed: 3, callbacks: { onBatchEnd: (bi) => { if (bi === 4) b.stopTraining = true; } } });
    const wa = a.getWeights();
    const wb = b.getWeights();
    wa.forEach((w, i) => assert.deepEqual(Array.from(w.data), Array.from(wb[i]!.data)));
  });

  it('an already aborted signal rejects before any batch, weights untouched', async () => {
    const { x, y } = data();
    const m = model();
    m.predict(x);
    const before = m.getWeights().map((w) => Array.from(w.data));
    let batches = 0;
    await assert.rejects(m.fit(x, y, { epochs: 1, verbose: 0, signal: AbortSignal.abort(), callbacks: { onBatchEnd: () => void batches++ } }), { name: 'AbortError' });
    assert.equal(batches, 0);
    assert.deepEqual(m.getWeights().map((w) => Array.from(w.data)), before);
  });

  it('an abort from a timer is seen at a batch boundary (yieldEvery auto lets it run)', async () => {
    const { x, y } = data();
    const m = model(64);
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('stop')), 30);
    const t0 = performance.now();
    const err = await m.fit(x, y, { epochs: 10_000, batchSize: 4, verbose: 0, signal: ac.signal }).then(() => null, (e: Error) => e);
    assert.equal(err?.name, 'AbortError');
    assert.equal((err?.cause as Error).message, 'stop');
    assert.ok(performance.now() - t0 < 2000);
  });

  it('with workers: 2 the abort ends fit and its worker thread', async () => {
    const { x, y } = data();
    const m = model();
    const ac = new AbortController();
    const err = await m
      .fit(x, y, { epochs: 3, batchSize: 16, verbose: 0, workers: 2, signal: ac.signal, callbacks: { onBatchEnd: (b) => void (b === 1 && ac.abort()) } })
      .then(() => null, (e: Error) => e);
    assert.equal(err?.name, 'AbortError');
    assert.ok(m.getWeights().every((w) => w.data.every(Number.isFinite)));
    const h = await m.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0, workers: 2 });
    assert.equal(h.history.loss!.length, 1);
  });

  it('refuses a signal that is not an AbortSignal', async () => {
    const { x, y } = data();
    await assert.rejects(model().fit(x, y, { verbose: 0, signal: 5 as never }), /signal must be an AbortSignal/);
  });
});
