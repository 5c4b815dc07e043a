/**
 * The two passes attention layers (Attention, AdditiveAttention, MultiHeadAttention) share
 * over their score rows: the softmax of one row in place, and dropout on the attention
 * weights in training (Keras's inverted dropout: kept entries scaled by 1 / (1 − rate)).
 */
import type { Rng } from '../core/rng.js';

/** p[r, r + n) ← softmax of itself (max-subtracted; masked scores are already written into it). */
export function softmaxRow(p: Float32Array, r: number, n: number): void {
  let max = -Infinity;
  for (let j = 0; j < n; j++) if (p[r + j]! > max) max = p[r + j]!;
  let sum = 0;
  for (let j = 0; j < n; j++) {
    const e = Math.exp(p[r + j]! - max);
    p[r + j] = e;
    sum += e;
  }
  for (let j = 0; j < n; j++) p[r + j] = p[r + j]! / sum;
}

/** For the first n weights: mask[e] = 0 with probability rate, else 1 / (1 − rate); out = p ⊙ mask (one draw per entry, in order). */
export function dropWeights(rng: Rng, rate: number, n: number, p: Float32Array, mask: Float32Array, out: Float32Array): void {
  const keep = 1 / (1 - rate);
  for (let e = 0; e < n; e++) {
    const m = rng.uniform() < rate ? 0 : keep;
    mask[e] = m;
    out[e] = p[e]! * m;
  }
}
