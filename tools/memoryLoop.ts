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
 *
 * The loop itself (modelLoop) is exported: tools/soak.ts runs it with a model it trains.
 */
import { pathToFileURL } from 'node:url';
import { Sequential, Tensor, getBackend, layers, type Model } from '../src/index.js';
import { MiB, memorySample } from './memory.js';

export type LoopMode = 'dispose' | 'yield' | 'sync';

export interface ModelLoopOptions {
  mode: LoopMode;
  models: number;
  /** Builds model i. */
  make: (i: number) => Model;
  /** What is done with each model before it is dropped; in 'sync' mode it must not return a promise. */
  use: (model: Model, i: number) => void | Promise<void>;
  /** After `made` models were dropped; in 'sync' mode it must not return a promise. */
  after?: (made: number, peakInUse: number) => void | Promise<void>;
}

export interface ModelLoopResult {
  made: number;
  /** The most bytes the WebAssembly memory's live blocks held right after a model was used. */
  peakInUse: number;
  /** What stopped the loop early (e.g. the memory is full), or null. */
  error: Error | null;
}

/** Create, use and drop `models` models as `mode` says. */
export async function modelLoop(o: ModelLoopOptions): Promise<ModelLoopResult> {
  let made = 0;
  let peakInUse = 0;
  // 'sync' must not give the event loop a turn (that is the point of it), so a promise there is an error
  const settle = async (r: void | Promise<void>, what: string): Promise<void> => {
    if (r === undefined) return;
    if (o.mode === 'sync') throw new Error(`modelLoop: ${what} returned a promise in 'sync' mode`);
    await r;
  };
  try {
    for (let i = 0; i < o.models; i++) {
      let m: Model | null = o.make(i);
      const used = o.use(m, i);
      if (used !== undefined) await settle(used, 'use');
      made++;
      peakInUse = Math.max(peakInUse, memorySample().wasmInUse);
      if (o.mode === 'dispose') m.dispose();
      m = null; // dropped: `after` may collect, and must not find this model alive
      if (o.mode === 'yield') await new Promise((r) => setImmediate(r));
      const next = o.after?.(made, peakInUse);
      if (next !== undefined) await settle(next, 'after');
    }
  } catch (e) {
    return { made, peakInUse, error: e as Error };
  }
  return { made, peakInUse, error: null };
}

async function main(): Promise<void> {
  const option = (name: string, fallback: string): string => {
    const i = process.argv.indexOf(`--${name}`);
    return i < 0 ? fallback : process.argv[i + 1] ?? fallback;
  };
  const mode = option('mode', 'dispose') as LoopMode;
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

  const x = new Tensor(new Float32Array(10 * 8).fill(0.1), [1, 10, 8]);
  const t0 = performance.now();
  const report = (what: string, made: number, peak: number): void => {
    const s = (performance.now() - t0) / 1000;
    const now = memorySample();
    console.log(
      `${what}: ${made} models of LSTM(${units}) (${mode}${fast ? ', fast init' : ''}) in ${s.toFixed(1)} s (${((s * 1000) / Math.max(made, 1)).toFixed(0)} ms each); ` +
        `peak ${(peak / MiB).toFixed(1)} MiB in use, ${(now.wasmInUse / MiB).toFixed(1)} MiB now; WebAssembly memory ${(now.wasmMemory / MiB).toFixed(0)} MiB; RSS ${(now.rss / MiB).toFixed(0)} MiB`,
    );
  };
  const result = await modelLoop({
    mode,
    models: count,
    make: () => {
      const m = new Sequential({ layers: [layers.lstm({ units, inputShape: [10, 8], ...(fast ? { recurrentInitializer: 'glorotUniform' as const } : {}) })] });
      m.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
      return m;
    },
    use: (m) => void m.predict(x),
    after: (made, peak) => {
      if (made % 100 === 0) report('so far', made, peak);
    },
  });
  if (result.error === null) report('done', result.made, result.peakInUse);
  else {
    report('stopped', result.made, result.peakInUse);
    console.log(`error: ${result.error.message}`);
    process.exitCode = 1;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
