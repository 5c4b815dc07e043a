/**
 * Graph models under test: run forward and backward of a Model on given inputs with
 * loss = Σ_o Σ out_o ⊙ R_o (random R), reading every weight gradient and the input
 * gradients; and a finite-difference check of all of them.
 */
import type { Model } from '../../src/index.js';
import { Rng } from '../../src/core/rng.js';
import { assertClose, randomArray } from './check.js';

export interface Flat {
  data: Float32Array;
  shape: readonly number[];
}

export interface GraphRun {
  outputs: Float32Array[];
  /** d loss / d weight, in model.weights order. */
  dWeights: Float32Array[];
  /** d loss / d input (null where nothing reaches it). */
  dInputs: (Float32Array | null)[];
}

/** Forward (training mode) and backward of Σ out ⊙ R through the model's engine. */
export function runGraph(model: Model, inputs: readonly Flat[], R: readonly Float32Array[], training = true): GraphRun {
  const engine = model.engine;
  engine.planArena();
  engine.refreshTrainable(true);
  engine.grads.fill(0);
  const ex = engine.executor;
  const B = inputs[0]!.shape[0]!;
  inputs.forEach((x, k) => ex.setInput(k, x.data, x.shape[1] ?? 1, null));
  ex.forward(B, training);
  const outputs = model.outputs.map((_, o) => {
    const t = ex.outputTensor(o);
    return ex.buf[t]!.slice(0, B * ex.width(t));
  });
  ex.beginBackward();
  R.forEach((r, o) => ex.seedOutput(o, r));
  ex.backward(true);
  return {
    outputs,
    dWeights: model.weights.map((w) => w.grad.slice()),
    dInputs: inputs.map((x, k) => ex.inputGradient(k)?.slice(0, x.data.length) ?? null),
  };
}

/** The outputs of one forward (training mode), copied. */
export function forwardOutputs(model: Model, inputs: readonly Flat[]): Float32Array[] {
  const engine = model.engine;
  engine.planArena();
  const ex = engine.executor;
  const B = inputs[0]!.shape[0]!;
  inputs.forEach((x, k) => ex.setInput(k, x.data, x.shape[1] ?? 1, null));
  ex.forward(B, true);
  return model.outputs.map((_, o) => {
    const t = ex.outputTensor(o);
    return ex.buf[t]!.slice(0, B * ex.width(t));
  });
}

/** Σ_o Σ out_o ⊙ R_o for the inputs (inference of the same pass, training mode without dropout). */
function lossOf(model: Model, inputs: readonly Flat[], R: readonly Float32Array[]): number {
  const ex = model.engine.executor;
  const B = inputs[0]!.shape[0]!;
  inputs.forEach((x, k) => ex.setInput(k, x.data, x.shape[1] ?? 1, null));
  ex.forward(B, true);
  let s = 0;
  R.forEach((r, o) => {
    const out = ex.buf[ex.outputTensor(o)]!;
    for (let i = 0; i < r.length; i++) s += out[i]! * r[i]!;
  });
  return s;
}

export const FD_STEP = 1e-2;
export const FD_RTOL = 2e-3;
export const FD_ATOL = 2e-3;

/**
 * Central differences for every weight and every differentiable input against the
 * model's backward. Weights are drawn in [-0.6, 0.6]; `inputs` as given (integer
 * inputs listed in `noGrad` are left alone).
 */
export function graphGradCheck(model: Model, inputs: readonly Flat[], seed: number, what: string, noGrad: ReadonlySet<number> = new Set()): void {
  const rng = new Rng(seed);
  for (const w of model.weights) w.value.set(randomArray(w.value.length, rng, -0.6, 0.6));
  const R = forwardOutputs(model, inputs).map((o) => randomArray(o.length, rng));
  const analytic = runGraph(model, inputs, R);
  const numeric = (values: Float32Array): Float32Array => {
    const g = new Float32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      values[i] = v + FD_STEP;
      const up = lossOf(model, inputs, R);
      values[i] = v - FD_STEP;
      const down = lossOf(model, inputs, R);
      values[i] = v;
      g[i] = (up - down) / (2 * FD_STEP);
    }
    return g;
  };
  const paths = model.weightPaths();
  model.weights.forEach((w, i) => assertClose(analytic.dWeights[i]!, numeric(w.value), FD_RTOL, FD_ATOL, `${what}: d${paths[i]}`));
  inputs.forEach((x, k) => {
    if (noGrad.has(k)) return;
    const d = analytic.dInputs[k] ?? new Float32Array(x.data.length);
    assertClose(d, numeric(x.data), FD_RTOL, FD_ATOL, `${what}: d input ${k}`);
  });
}

/** Random data of a shape. */
export function randomFlat(shape: readonly number[], rng: Rng, lo = -1, hi = 1): Flat {
  return { data: randomArray(shape.reduce((a, b) => a * b, 1), rng, lo, hi), shape };
}
