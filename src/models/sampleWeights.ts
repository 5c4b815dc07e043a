/**
 * Sample and class weights (Keras fit semantics): sampleWeight is [N] (one weight per
 * sample, spread over its time steps) or [N, T] for sequence outputs; classWeight maps
 * a class index to a weight and becomes per-sample weights from y.
 */
import { show } from '../core/errors.js';
import { Tensor, formatShape, toTensor, type NestedArray } from '../core/tensor.js';

/** Check sampleWeight against N samples with `perRow` output rows each. */
export function sampleWeightTensor(v: Tensor | NestedArray, n: number, perRow: number, what: string): { data: Float32Array; width: number } {
  const t = toTensor(v, what);
  if (t.shape[0] !== n) throw new RangeError(`${what}: expected ${n} weights (one per sample), got shape ${formatShape(t.shape)}`);
  const width = t.size / n;
  const perSample = t.rank === 1 || (t.rank === 2 && t.shape[1] === 1);
  const perStep = perRow > 1 && t.rank === 2 && t.shape[1] === perRow;
  if (!perSample && !perStep) {
    throw new RangeError(`${what}: expected shape [${n}]${perRow > 1 ? ` or [${n}, ${perRow}] (per time step)` : ''}, got ${formatShape(t.shape)}`);
  }
  for (let i = 0; i < t.size; i++) {
    const w = t.data[i]!;
    if (!Number.isFinite(w) || w < 0) throw new RangeError(`${what}: weight ${i} is ${w}; weights must be finite and non-negative`);
  }
  return { data: t.data, width: perSample ? 1 : width };
}

/**
 * Per-sample weights from a class-weight map: the class of a sample is its integer
 * label (sparse targets), its argmax (one-hot), or its rounded value (one binary output).
 */
export function classWeightsToSampleWeights(
  classWeight: Readonly<Record<number, number>>,
  y: Tensor,
  n: number,
  outWidth: number,
  sparse: boolean,
  what: string,
): Float32Array {
  if (classWeight === null || typeof classWeight !== 'object' || Array.isArray(classWeight)) {
    throw new TypeError(`${what}: expected an object mapping class index to weight, e.g. {0: 1, 1: 5}`);
  }
  const table = new Map<number, number>();
  for (const [k, v] of Object.entries(classWeight)) {
    const cls = Number(k);
    if (!Number.isInteger(cls) || cls < 0) throw new RangeError(`${what}: class ${JSON.stringify(k)} is not a non-negative integer`);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`${what}: weight of class ${k} must be a finite non-negative number, got ${show(v)}`);
    table.set(cls, v);
  }
  const perSample = y.size / n;
  const cols = sparse ? outWidth : perSample;
  if ((sparse && perSample !== 1) || (!sparse && perSample !== outWidth)) {
    throw new RangeError(`${what}: class weights need one target per sample (2-D targets); y has shape ${formatShape(y.shape)}`);
  }
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let cls: number;
    if (sparse) cls = y.data[i]!;
    else if (cols === 1) cls = Math.round(y.data[i]!);
    else {
      cls = 0;
      for (let c = 1; c < cols; c++) if (y.data[i * cols + c]! > y.data[i * cols + cls]!) cls = c;
    }
    const w = table.get(cls);
    if (w === undefined) throw new RangeError(`${what}: sample ${i} has class ${cls}, which has no weight; give a weight for every class (${[...table.keys()].join(', ')} given)`);
    out[i] = w;
  }
  return out;
}
