/**
 * Models created and dropped in a loop, on the WebAssembly backend: does the memory come back?
 *
 *   npx tsx tools/memoryLoop.ts [--mode dispose|yield|sync] [--models 1000] [--units 512] [--fast-init]
 *
 * Each model is an LSTM(units) on 8 features (compiled with Adam, one predict), then dropped:
 *   dispose  model.dispose() in a synchronous loop (frees at once);
 *   yield    no dispose(), the loop awaits setImmediate between models (the FinalizationRegistry
 *            frees what the garbage collector found);
 *   sync     no dispose(), a synchronous loop: nothing is freed until the loop ends — shows where
 *            the memory runs out (the error names dispose()).
 * --fast-init uses glorotUniform for the recurrent kernel: the default orthogonal initializer
 * (a QR of a 2048 × 512 matrix) takes most of the ~1.4 s per LSTM(512) model; the memory is the same.
 * Prints the peak bytes in use, the memory's size, RSS and the time per model.
 */
import { Sequential, Tensor, getBackend, layers } from '../src/index.js';
import { residentBytesInUse, wasmMemoryBytes } from '../src/backend/wasmRuntime.js';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : process.argv[i + 1] ?? fallback;
}
const mode = option('mode', 'dispose');
const count = Number(option('models', '1000'));
const units = Number(option('units', '512'));
const fast = process.argv.includes('--fast-init');
if (!['dispose', 'yield', 'sync'].includes(mode) || !(count > 0) || !(units > 0)) {
  console.error('usage: tsx tools/memoryLoop.ts [--mode dispose|yield|sync] [--models N] [--units N] [--fast-init]');
  process.exit(2);
}
if (getBackend() !== 'wasm') {
  console.error(`the ${getBackend()} backend is running: this measures WebAssembly memory`);
  process.exit(1);
}

const MiB = 2 ** 20;
const x = new Tensor(new Float32Array(10 * 8).fill(0.1), [1, 10, 8]);
let peak = 0;
let made = 0;
const t0 = performance.now();
const report = (what: string): void => {
  const s = (performance.now() - t0) / 1000;
  console.log(
    `${what}: ${made} models of LSTM(${units}) (${mode}${fast ? ', fast init' : ''}) in ${s.toFixed(1)} s (${((s * 1000) / Math.max(made, 1)).toFixed(0)} ms each); ` +
      `peak ${(peak / MiB).toFixed(1)} MiB in use, ${(residentBytesInUse() / MiB).toFixed(1)} MiB now; WebAssembly memory ${(wasmMemoryBytes() / MiB).toFixed(0)} MiB; RSS ${(process.memoryUsage().rss / MiB).toFixed(0)} MiB`,
  );
};
try {
  for (let i = 0; i < count; i++) {
    const m = new Sequential({ layers: [layers.lstm({ units, inputShape: [10, 8], ...(fast ? { recurrentInitializer: 'glorotUniform' as const } : {}) })] });
    m.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    m.predict(x);
    made++;
    peak = Math.max(peak, residentBytesInUse());
    if (mode === 'dispose') m.dispose();
    else if (mode === 'yield') await new Promise((r) => setImmediate(r));
    if ((i + 1) % 100 === 0) report('so far');
  }
  report('done');
} catch (e) {
  report('stopped');
  console.log(`error: ${(e as Error).message}`);
  process.exitCode = 1;
}
