/**
 * The in-browser half of `npm run test:browser` (scripts/browser-test.mjs is the other):
 * imports the built package as a plain ES module — no bundler, as an application would
 * from a static server — and trains one small model several ways. It only measures and
 * reports; the driver compares, so both pages (cross-origin isolated and not) run the
 * same plan and every verdict lives in one place.
 *
 * Plain JavaScript on purpose: the browser runs this file as served.
 */
// ?lib=URL loads the package from elsewhere (another origin, as from a CDN); by default the build beside this page.
const libUrl = new URL(new URLSearchParams(location.search).get('lib') ?? '../../dist/index.js', import.meta.url).href;
const { Rng, Sequential, getBackend, layers, setSeed, tensor, useBackend, wasmSupported } = await import(libUrl);

const N = 64;
const T = 8;
const I = 4;
const CLASSES = 3;
/** A fit that has not finished by then is reported as hung (each takes < 1 s; the driver's limits are longer). */
const RUN_TIMEOUT_MS = 10_000;

/** Every page trains these: [name, backend, workers]. */
const PLAN = [
  ['wasm-w1', 'wasm', 1],
  ['wasm-w2', 'wasm', 2],
  ['wasm-auto', 'wasm', 'auto'],
  ['ts-w1', 'ts', 1],
  ['ts-w2', 'ts', 2],
];

function log(line) {
  console.log(line);
  document.getElementById('log').textContent += `${line}\n`;
}

/** The same data on every run and in every page: a seeded generator, not Math.random. */
function data() {
  const rng = new Rng(1234);
  const x = Float32Array.from({ length: N * T * I }, () => rng.uniform() * 2 - 1);
  const y = Float32Array.from({ length: N }, () => rng.int(CLASSES));
  return { x: tensor(x, [N, T, I]), y: tensor(y, [N, 1]) };
}

/** LSTM(16) → Dense(3, softmax), sparse CE, adam, 2 epochs; the seeds fix the initial weights and the shuffles. */
async function train(backend, workers) {
  // The backend is chosen before the model is built: layers take their kernels and buffers then.
  useBackend(backend);
  setSeed(42);
  const { x, y } = data();
  const model = new Sequential();
  model.add(layers.lstm({ units: 16, inputShape: [T, I] }));
  model.add(layers.dense({ units: CLASSES, activation: 'softmax' }));
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const t0 = performance.now();
  const history = await model.fit(x, y, { epochs: 2, batchSize: 16, seed: 7, verbose: 0, workers });
  const ms = performance.now() - t0;
  const weights = model.getWeights().flatMap((w) => Array.from(w.data));
  return { backend: getBackend(), loss: history.history.loss, accuracy: history.history.accuracy, weights, ms };
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms (hung)`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function run() {
  const env = {
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    sharedArrayBuffer: typeof SharedArrayBuffer === 'function',
    initialBackend: getBackend(),
    wasmSupported: wasmSupported(),
    hardwareConcurrency: navigator.hardwareConcurrency,
    userAgent: navigator.userAgent,
  };
  log(`env ${JSON.stringify({ ...env, userAgent: undefined })}`);
  const runs = {};
  for (const [name, backend, workers] of PLAN) {
    try {
      const r = await withTimeout(train(backend, workers), RUN_TIMEOUT_MS, `${name} fit`);
      runs[name] = r;
      log(`${name}: loss ${r.loss.map((l) => l.toFixed(6)).join(', ')} (${r.ms.toFixed(0)} ms)`);
    } catch (e) {
      const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      runs[name] = { error };
      log(`${name}: threw ${error}`);
    }
  }
  useBackend('auto');
  return { env, runs };
}
