/**
 * Drawing one index from a probability vector with temperature and top-k.
 *
 * With temperature τ the distribution is p_i^(1/τ) renormalised (computed as
 * exp((log p_i − max log p)/τ), so τ → 0 tends to the argmax without overflow); top-k
 * keeps the k most probable indices (ties broken by lower index). `banned` indices
 * (padding, unknown) are never drawn. Browser-safe.
 */
import { show } from './errors.js';
import type { Rng } from './rng.js';

export interface SampleIndexOptions {
  /** > 0. Default 1. */
  temperature?: number;
  /** ≥ 1, or undefined for no limit. */
  topK?: number;
  /** Indices never drawn. */
  banned?: readonly number[];
}

/** Check temperature and topK as options of `where` (RangeError naming the option). */
export function checkSamplingOptions(temperature: unknown, topK: unknown, where: string): void {
  if (temperature !== undefined && (typeof temperature !== 'number' || !Number.isFinite(temperature) || temperature <= 0)) {
    throw new RangeError(`${where}: temperature must be a number > 0, got ${show(temperature)}`);
  }
  if (topK !== undefined && (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 1)) {
    throw new RangeError(`${where}: topK must be an integer ≥ 1, got ${show(topK)}`);
  }
}

/**
 * No banned indices: one shared array, so a sampling step allocates nothing (not frozen:
 * a frozen array has another elements kind, and `banned` would then take two).
 */
const NONE: readonly number[] = [];

/**
 * Draw an index from probs[offset … offset+V) with rng. `scratch` (length ≥ V) avoids
 * allocation per call.
 */
export function sampleIndex(probs: ArrayLike<number>, offset: number, V: number, rng: Rng, options: SampleIndexOptions = {}, scratch: Float64Array = new Float64Array(V)): number {
  return sampleFrom(probs, offset, V, rng, NO_UNIFORMS, 0, options, scratch);
}

const NO_UNIFORMS = new Float64Array(0);

/**
 * sampleIndex with its one uniform draw given (`uniforms[at]`, in [0, 1): what
 * rng.uniform() returned): a caller that draws the rows of a step elsewhere (the fused
 * sampling kernel, src/backend/wasm/sample.ts) falls back to this for a row with the same
 * number, so the generator advances exactly as sampleIndex advances it.
 */
export function sampleIndexWith(probs: ArrayLike<number>, offset: number, V: number, uniforms: Float64Array, at: number, options: SampleIndexOptions = {}, scratch: Float64Array = new Float64Array(V)): number {
  return sampleFrom(probs, offset, V, null, uniforms, at, options, scratch);
}

/**
 * Both: the uniform is rng.uniform() drawn inside `draw` (rng given; a double returned by a
 * call V8 does not inline, or passed to one, is boxed — an allocation per draw), else
 * uniforms[at].
 */
function sampleFrom(probs: ArrayLike<number>, offset: number, V: number, rng: Rng | null, uniforms: Float64Array, at: number, options: SampleIndexOptions, scratch: Float64Array): number {
  const tau = options.temperature ?? 1;
  const banned = options.banned ?? NONE;
  const w = scratch;
  if (tau === 1 && options.topK === undefined) {
    // The distribution as given: no logarithms and exponentials (half the cost per character).
    let total = 0;
    for (let i = 0; i < V; i++) {
      const p = probs[offset + i]!;
      const e = p > 0 && !banned.includes(i) ? p : 0;
      w[i] = e;
      total += e;
    }
    if (total > 0) return draw(w, V, rng, uniforms, at);
  }
  let maxLog = -Infinity;
  for (let i = 0; i < V; i++) {
    const p = probs[offset + i]!;
    const l = p > 0 ? Math.log(p) : -Infinity;
    w[i] = l;
    if (l > maxLog && !banned.includes(i)) maxLog = l;
  }
  for (let k = 0; k < banned.length; k++) {
    const b = banned[k]!;
    if (b < V) w[b] = -Infinity;
  }
  if (maxLog === -Infinity) {
    // Everything allowed has probability 0 (cannot happen with softmax outputs): uniform over the allowed.
    for (let i = 0; i < V; i++) w[i] = banned.includes(i) ? -Infinity : 0;
    maxLog = 0;
  }
  if (options.topK !== undefined && options.topK < V) {
    // The k-th largest log-probability; keep everything strictly above it, then ties by index.
    const sorted = Array.from(w.subarray(0, V)).sort((a, b) => b - a);
    const kth = sorted[options.topK - 1]!;
    let above = 0;
    for (let i = 0; i < V; i++) if (w[i]! > kth) above++;
    let tiesLeft = options.topK - above;
    for (let i = 0; i < V; i++) {
      if (w[i]! > kth) continue;
      if (w[i] === kth && tiesLeft > 0 && kth !== -Infinity) tiesLeft--;
      else w[i] = -Infinity;
    }
  }
  for (let i = 0; i < V; i++) w[i] = w[i] === -Infinity ? 0 : Math.exp((w[i]! - maxLog) / tau);
  return draw(w, V, rng, uniforms, at);
}

/**
 * An index drawn with probability w[i] / Σw (w ≥ 0, Σw > 0) with the uniform rng.uniform(), or uniforms[at] where rng is null.
 * The total is summed again here (in the same order as the caller, so the same number):
 * passed as an argument it would be boxed — an allocation per draw — wherever V8 does not
 * inline this call.
 */
function draw(w: Float64Array, V: number, rng: Rng | null, uniforms: Float64Array, at: number): number {
  let total = 0;
  for (let i = 0; i < V; i++) total += w[i]!;
  let u = (rng !== null ? rng.uniform() : uniforms[at]!) * total;
  let last = -1;
  for (let i = 0; i < V; i++) {
    if (w[i] === 0) continue;
    last = i;
    u -= w[i]!;
    if (u < 0) return i;
  }
  return last; // rounding at the top end
}
