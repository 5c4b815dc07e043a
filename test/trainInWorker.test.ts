/**
 * trainInWorker: fit on a worker thread gives the same weights as fit here (same seed),
 * streams batch/epoch events (the model holds each epoch's weights at its event), keeps
 * the optimizer state (a second call continues as a second fit would), and cancels with
 * an AbortSignal (AbortError; the last applied batch's weights come back).
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { Sequential, layers, setSeed, tensor, trainInWorker, type Tensor } from '../src/index.js';

const N = 48;
const T = 5;
const I = 2;
function data(): { x: Tensor; y: Tensor } {
  const xs = new Float32Array(N * T * I);
  for (let i = 0; i < xs.length; i++) xs[i] = Math.cos(i * 0.21);
  const ys = new Float32Array(N);
  for (let i = 0; i < N; i++) ys[i] = (i * 7) % 3;
  return { x: tensor(xs, [N, T, I]), y: tensor(ys, [N]) };
}
function model(units = 8): Sequential {
  setSeed(4);
  const m = new Sequential();
  m.add(layers.gru({ units, inputShape: [T, I] }));
  m.add(layers.dense({ units: 3, activation: 'softmax' }));
  m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}
const close = (a: Tensor[], b: Tensor[], tol: number): number => {
  let d = 0;
  a.forEach((w, i) => w.data.forEach((v, j) => (d = Math.max(d, Math.abs(v - b[i]!.data[j]!)))));
  assert.ok(d <= tol, `weights differ by ${d}`);
  return d;
};

describe('trainInWorker', () => {
  it('trains as fit does (same seed), with batch and epoch events, twice in a row', async () => {
    const { x, y } = data();
    const here = model();
    await here.fit(x, y, { epochs: 2, batchSize: 8, seed: 7, verbose: 0 });
    await here.fit(x, y, { epochs: 1, batchSize: 8, seed: 8, verbose: 0 });
    const m = model();
    const batches: string[] = [];
    const epochs: number[] = [];
    const snapshots: number[][] = [];
    const r = await trainInWorker(m, x, y, {
      epochs: 2,
      batchSize: 8,
      seed: 7,
      onBatch: (e) => batches.push(`${e.epoch}:${e.batch}:${Number.isFinite(e.logs.loss) ? 'ok' : 'bad'}`),
      onEpoch: (e) => {
        epochs.push(e.epoch);
        snapshots.push(Array.from(m.getWeights()[0]!.data.slice(0, 4)));
      },
    });
    assert.equal(batches.length, 12);
    assert.equal(batches[6], '1:0:ok');
    assert.deepEqual(epochs, [0, 1]);
    assert.deepEqual(r.epoch, [0, 1]);
    assert.equal(r.history.loss!.length, 2);
    assert.equal(r.history.accuracy!.length, 2);
    assert.notDeepEqual(snapshots[0], snapshots[1], 'the model holds each epoch’s weights');
    await trainInWorker(m, x, y, { epochs: 1, batchSize: 8, seed: 8 });
    close(m.getWeights(), here.getWeights(), 1e-6);
  });

  it('cancels with an AbortSignal: AbortError, the model keeps the last applied batch', async () => {
    const { x, y } = data();
    const m = model(64);
    const before = Array.from(m.getWeights()[0]!.data);
    const ac = new AbortController();
    let batches = 0;
    const t0 = performance.now();
    const err = await trainInWorker(m, x, y, {
      epochs: 100_000,
      batchSize: 4,
      onBatch: () => {
        if (++batches === 5) ac.abort();
      },
      signal: ac.signal,
    }).then(() => null, (e: Error) => e);
    assert.equal(err?.name, 'AbortError');
    assert.ok(performance.now() - t0 < 10_000);
    assert.notDeepEqual(Array.from(m.getWeights()[0]!.data), before);
    assert.ok(m.getWeights().every((w) => w.data.every(Number.isFinite)));
    assert.ok(m.predict(x).data.every(Number.isFinite));
  });

  it('refuses an uncompiled model and unknown options; reports a worker-side error', async () => {
    const { x, y } = data();
    const m = new Sequential();
    m.add(layers.dense({ units: 1, inputShape: [2] }));
    await assert.rejects(trainInWorker(m, x, y), /compiled/);
    await assert.rejects(trainInWorker(model(), x, y, { callbacks: [] } as never), /unknown option 'callbacks'/);
    await assert.rejects(trainInWorker(model(), x, tensor(new Float32Array(5), [5]), { epochs: 1 }), (e: Error) => e.message.length > 0);
  });

  it('holds the model as its running fit until it settles: fit, evaluate and another trainInWorker are refused meanwhile; predict is not', async () => {
    const { x, y } = data();
    const m = model();
    const running = trainInWorker(m, x, y, { epochs: 1, batchSize: 8, seed: 3 });
    await assert.rejects(m.fit(x, y, { verbose: 0 }), /fit refused: fit is already running on this model/);
    await assert.rejects(trainInWorker(m, x, y), /trainInWorker refused: fit is already running/);
    assert.throws(() => m.evaluate(x, y, { verbose: 0 }), /evaluate refused/);
    assert.ok(m.predict(x).data.every(Number.isFinite));
    await running;
    await m.fit(x, y, { epochs: 1, verbose: 0 });
  });
});
