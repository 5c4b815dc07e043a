/**
 * Child process for test/workers.test.ts: one fit with workers: 2 that goes wrong in a
 * chosen way, printing {error, batches} as its last line and then ending on its own
 * (never process.exit): if fit left a thread running, this process would not exit and
 * the test's timeout would catch it.
 *
 * argv[2]: 'throw' | 'exit' | 'hang' (the worker thread fails at its 2nd batch, through
 * the test-only hook; for 'hang' the stall grace cut to 1 s), 'silent' (the worker never answers; the startup deadline cut to 2 s once the pool has started), 'callback' (a callback throws at batch 2), 'stop' (a callback sets
 * stopTraining at batch 2), 'ok' (nothing goes wrong).
 */
import { Rng, Sequential, layers, setSeed, startWorkers, tensor } from '../../src/index.js';
import { workerTestHooks } from '../../src/models/workers/pool.js';

const mode = process.argv[2] ?? 'ok';
if (mode === 'throw' || mode === 'exit' || mode === 'hang') workerTestHooks.fault = { worker: 1, batch: 2, kind: mode };
if (mode === 'hang') workerTestHooks.stallGraceMs = 1000;
if (mode === 'silent') {
  // The pool's threads start first, under the normal deadline (on a loaded machine starting a
  // thread that loads the library can take over 2 s); only then is the deadline cut, so the 2 s
  // time the fit's replica that never answers, not the thread's start.
  await startWorkers(1);
  workerTestHooks.fault = { worker: 1, batch: 0, kind: 'silent' };
  workerTestHooks.startupTimeoutMs = 2000;
}

setSeed(1);
const rng = new Rng(2);
const n = 64;
const x = tensor(Float32Array.from({ length: n * 5 * 3 }, () => rng.uniform()), [n, 5, 3]);
const y = tensor(Float32Array.from({ length: n }, () => rng.int(2)), [n, 1]);
const model = new Sequential();
model.add(layers.simpleRNN({ units: 8, inputShape: [5, 3] }));
model.add(layers.dense({ units: 1, activation: 'sigmoid' }));
model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });

let batches = 0;
const callback = {
  onBatchEnd: (batch: number) => {
    batches++;
    if (mode === 'callback' && batch === 1) throw new Error('callback failed on purpose');
    if (mode === 'stop' && batch === 1) model.stopTraining = true;
  },
};
let error: string | null = null;
try {
  await model.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0, workers: 2, callbacks: [callback] });
} catch (e) {
  error = (e as Error).message;
}
console.log(JSON.stringify({ error, batches }));
