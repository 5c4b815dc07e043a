/**
 * Adam micro-benchmark: one optimizer update over N_PARAMS floats (about the size of the
 * `big` workload's LSTM(512): 4·512·(64 + 512 + 1) = 1,181,696), as milliseconds per update
 * and nanoseconds per parameter.
 *
 *  - rnnkit 'ts' and 'wasm': `optimizers.adam()` built over one trainable segment of N_PARAMS
 *    (`opt.build(n, [{ name: 'w', offset: 0, size: n, … }])`), then `opt.apply(params, grads)`,
 *    with params and grads from the backend's `alloc` (on 'wasm': resident in the module's
 *    memory, like the moments `build` allocates, so the WebAssembly kernel of
 *    src/backend/wasm/adam.ts runs; the row says which ran).
 *  - tfjs 'cpu' and 'wasm': `tf.train.adam` applying one gradient tensor to one variable of
 *    N_PARAMS floats (`optimizer.applyGradients([{ name: w.name, tensor: grad }])`). Both backends run
 *    kernels eagerly and synchronously, so no read-back is needed inside the timing.
 *
 * Check first, per contestant, from fresh optimizer state: the parameters after one update
 * against a float64 evaluation of the library's own rule (Keras 3's for rnnkit: ε added to the
 * uncorrected √v; tfjs's: ε added after bias correction), and rnnkit 'wasm' against 'ts'
 * (the kernel claims bit-identical results). Timing: median over BLOCKS blocks of about
 * BLOCK_SECONDS each, repeated updates with the same gradient (the moments keep changing,
 * the work per update does not).
 */
import * as tf from '@tensorflow/tfjs-core';
import { optimizers } from '../src/index.js';
import { backend, useBackend } from '../src/backend/kernels.js';
import { isResident } from '../src/backend/wasm/runtime.js';
import { Rng } from '../src/core/rng.js';
import { tfjsInfo, useTfjsBackend, type TfjsBackend } from './frameworks.js';
import { maxAbsDiff, secondsPerRep } from './stats.js';

export const N_PARAMS = 1_180_000;
const LR = 1e-3;
const BETA1 = 0.9;
const BETA2 = 0.999;
const EPS = 1e-7;
const BLOCK_SECONDS = 0.1;
const BLOCKS = 7;

export interface AdamMeasurement {
  workload: string;
  contestant: string;
  /** The backend as read back from the library, and which update ran. */
  ranOn: string;
  msPerUpdate: number;
  nsPerParam: number;
  /** max |params after one update − float64 evaluation of the library's rule|. */
  maxAbsErr: number;
  /** 'keras' (ε on the uncorrected √v) or 'tfjs' (ε after bias correction). */
  rule: 'keras' | 'tfjs';
  /** rnnkit 'wasm' only: max |Δ| of the parameters after one update against rnnkit 'ts'. */
  vsTsMaxAbsDiff?: number;
}

/** The initial parameters and the gradient, U(-1, 1), the same for every contestant. */
function inputs(): { w: Float32Array; g: Float32Array } {
  const rng = new Rng(99);
  const w = new Float32Array(N_PARAMS);
  const g = new Float32Array(N_PARAMS);
  for (let i = 0; i < N_PARAMS; i++) w[i] = rng.uniform() * 2 - 1;
  for (let i = 0; i < N_PARAMS; i++) g[i] = rng.uniform() * 2 - 1;
  return { w, g };
}

/** The parameters after the first update (t = 1, zero moments) in float64, by either rule. */
function reference(w: Float32Array, g: Float32Array, rule: 'keras' | 'tfjs'): Float64Array {
  const out = new Float64Array(w.length);
  const alpha = (LR * Math.sqrt(1 - BETA2)) / (1 - BETA1);
  for (let i = 0; i < w.length; i++) {
    const m = g[i]! * (1 - BETA1);
    const v = g[i]! * g[i]! * (1 - BETA2);
    out[i] = rule === 'keras' ? w[i]! - (alpha * m) / (Math.sqrt(v) + EPS) : w[i]! - (LR * (m / (1 - BETA1))) / (Math.sqrt(v / (1 - BETA2)) + EPS);
  }
  return out;
}

function measurement(contestant: string, ranOn: string, seconds: number, maxAbsErr: number, rule: 'keras' | 'tfjs'): AdamMeasurement {
  return { workload: `adam ${N_PARAMS.toLocaleString('en-US')} params`, contestant, ranOn, msPerUpdate: seconds * 1e3, nsPerParam: (seconds * 1e9) / N_PARAMS, maxAbsErr, rule };
}

function rnnkitAdam(name: 'ts' | 'wasm', w0: Float32Array, g0: Float32Array, ref: Float64Array): { m: AdamMeasurement; after1: Float32Array } {
  useBackend(name);
  const k = backend();
  const params = k.alloc(N_PARAMS);
  const grads = k.alloc(N_PARAMS);
  params.set(w0);
  grads.set(g0);
  const opt = optimizers.adam({ learningRate: LR, beta1: BETA1, beta2: BETA2, epsilon: EPS });
  opt.build(N_PARAMS, [{ name: 'w', offset: 0, size: N_PARAMS, shape: [N_PARAMS], trainable: true }]);
  opt.apply(params, grads); // the check (fresh state, t = 1)
  const after1 = Float32Array.from(params);
  const err = maxAbsDiff(after1, ref);
  const run = (reps: number): number => {
    useBackend(name); // the optimizer reads backend() on every update
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) opt.apply(params, grads);
    return (performance.now() - t0) / 1000;
  };
  const seconds = secondsPerRep(run, BLOCK_SECONDS, BLOCKS);
  const kernel = name === 'wasm' ? (isResident(params) && isResident(grads) ? 'wasm kernel' : 'TS loop: buffers not resident') : 'TS loop';
  return { m: measurement(`rnnkit ${name}`, `${backend().name} (${kernel})`, seconds, err, 'keras'), after1 };
}

async function tfjsAdam(name: TfjsBackend, w0: Float32Array, g0: Float32Array, ref: Float64Array): Promise<AdamMeasurement> {
  await useTfjsBackend(name);
  const w = tf.variable(tf.tensor1d(w0), true, `bench_adam_w_${name}`);
  const grad = tf.tensor1d(g0);
  const opt = tf.train.adam(LR, BETA1, BETA2, EPS);
  const grads = [{ name: w.name, tensor: grad }]; // = { [w.name]: grad }, the form the typings accept
  try {
    opt.applyGradients(grads); // the check (fresh state, t = 1)
    const err = maxAbsDiff(w.dataSync() as Float32Array, ref);
    const run = (reps: number): number => {
      const t0 = performance.now();
      for (let r = 0; r < reps; r++) opt.applyGradients(grads);
      return (performance.now() - t0) / 1000;
    };
    const seconds = secondsPerRep(run, BLOCK_SECONDS, BLOCKS);
    return measurement(`tfjs-${name}`, tfjsInfo().backend, seconds, err, 'tfjs');
  } finally {
    opt.dispose();
    grad.dispose();
    w.dispose();
  }
}

/** rnnkit on every given backend, then tfjs on every given backend. */
export async function benchAdam(rnnkitBackends: readonly ('ts' | 'wasm')[], tfjsBackends: readonly TfjsBackend[], note: (line: string) => void): Promise<AdamMeasurement[]> {
  const { w, g } = inputs();
  const out: AdamMeasurement[] = [];
  let tsAfter1: Float32Array | null = null;
  if (rnnkitBackends.length > 0 || tfjsBackends.length > 0) note(`adam: one update over ${N_PARAMS.toLocaleString('en-US')} parameters`);
  if (rnnkitBackends.length > 0) {
    const ref = reference(w, g, 'keras');
    // 'ts' first, so that 'wasm' can be compared with it.
    for (const b of [...rnnkitBackends.filter((x) => x === 'ts'), ...rnnkitBackends.filter((x) => x !== 'ts')]) {
      note(`adam: rnnkit ${b}`);
      const r = rnnkitAdam(b, w, g, ref);
      if (b === 'ts') tsAfter1 = r.after1;
      else if (tsAfter1 !== null) r.m.vsTsMaxAbsDiff = maxAbsDiff(r.after1, tsAfter1);
      out.push(r.m);
    }
  }
  if (tfjsBackends.length > 0) {
    const ref = reference(w, g, 'tfjs');
    for (const b of tfjsBackends) {
      note(`adam: tfjs-${b}`);
      out.push(await tfjsAdam(b, w, g, ref));
    }
  }
  return out;
}
