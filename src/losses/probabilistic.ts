/**
 * Kullback-Leibler divergence and Poisson loss (Keras 3 `KLDivergence`, `Poisson`).
 *
 *   KLDivergence  ℓ = Σ_j y_j·log(y_j / p_j),  y, p ← clip(·, ε, 1)   (sum over the last axis)
 *   Poisson       ℓ = mean_j (p_j − y_j·log(p_j + ε))                  (mean over the last axis)
 *
 * Keras 3 clips y too (a 0 target contributes ε·log(ε/p), not 0; tfjs-layers multiplies by
 * the unclipped y, so there a 0 target contributes exactly 0). The KL clip passes no
 * gradient outside [ε, 1]. Layout: yPred, yTrue, dPred [rows, cols]; weights [rows] or
 * null (see Loss).
 */
import { EPSILON, Loss, checkLossOptions, zeroRow } from './loss.js';
import type { BaseLossOptions } from './loss.js';

// Module-local copy: V8 boxes a double read through an import binding on every access.
const EPS: number = EPSILON;

export type KLDivergenceOptions = BaseLossOptions;
export type PoissonOptions = BaseLossOptions;

export class KLDivergence extends Loss {
  readonly name = 'kl_divergence';
  readonly className = 'KLDivergence';

  constructor(options: KLDivergenceOptions = {}) {
    const where = 'KLDivergence';
    checkLossOptions(options, [], where);
    super(options, where);
  }

  computeInto(
    out: Float64Array,
    yPred: Float32Array,
    yTrue: Float32Array,
    dPred: Float32Array | null,
    rows: number,
    cols: number,
    weights: Float32Array | null,
  ): void {
    this.divisorInto(rows, weights);
    const div = this.div[0];
    const scale = div === 0 ? 0 : 1 / div; // per-sample value is a sum: no 1/cols
    // Segments: one flat loop without weights, else one per row (see MeanSquaredError).
    const segs = weights === null ? 1 : rows;
    const len = weights === null ? rows * cols : cols;
    let sum = 0;
    for (let r = 0, o = 0; r < segs; r++, o += len) {
      const w = weights === null ? 1 : weights[r];
      if (w === 0) {
        if (dPred !== null) zeroRow(dPred, o, len);
        continue;
      }
      const g = scale * w;
      let seg = 0;
      const end = o + len;
      for (let i = o; i < end; i++) {
        const yr = yTrue[i];
        const y = yr < EPS ? EPS : yr > 1 ? 1 : yr;
        const p = yPred[i];
        const clipped = p < EPS || p > 1;
        const pc = p < EPS ? EPS : p > 1 ? 1 : p;
        // ℓ = y·log(y / p) → dℓ/dp = −y/p inside the clip
        seg += y * Math.log(y / pc);
        if (dPred !== null) dPred[i] = clipped ? 0 : (-y / pc) * g;
      }
      sum += w * seg;
    }
    out[0] = div === 0 ? 0 : sum / div; // inline: a returned double would be boxed
  }
}

export class Poisson extends Loss {
  readonly name = 'poisson';
  readonly className = 'Poisson';

  constructor(options: PoissonOptions = {}) {
    const where = 'Poisson';
    checkLossOptions(options, [], where);
    super(options, where);
  }

  computeInto(
    out: Float64Array,
    yPred: Float32Array,
    yTrue: Float32Array,
    dPred: Float32Array | null,
    rows: number,
    cols: number,
    weights: Float32Array | null,
  ): void {
    this.divisorInto(rows, weights);
    const div = this.div[0];
    const scale = div === 0 ? 0 : 1 / (cols * div);
    const segs = weights === null ? 1 : rows;
    const len = weights === null ? rows * cols : cols;
    let sum = 0;
    for (let r = 0, o = 0; r < segs; r++, o += len) {
      const w = weights === null ? 1 : weights[r];
      if (w === 0) {
        if (dPred !== null) zeroRow(dPred, o, len);
        continue;
      }
      const g = scale * w;
      let seg = 0;
      const end = o + len;
      for (let i = o; i < end; i++) {
        const p = yPred[i];
        const y = yTrue[i];
        // ℓ = p − y·log(p + ε) → dℓ/dp = 1 − y/(p + ε)
        seg += p - y * Math.log(p + EPS);
        if (dPred !== null) dPred[i] = (1 - y / (p + EPS)) * g;
      }
      sum += w * seg;
    }
    out[0] = div === 0 ? 0 : sum / cols / div; // inline: a returned double would be boxed
  }
}

/** Kullback-Leibler divergence Σ y·log(y/p) over the last axis (Keras 3 'kl_divergence', 'kld'; tfjs 'kullbackLeiblerDivergence'). */
export function kullbackLeiblerDivergence(options?: KLDivergenceOptions): KLDivergence {
  return new KLDivergence(options);
}

/** Poisson loss, mean of p − y·log(p + ε) over the last axis. */
export function poisson(options?: PoissonOptions): Poisson {
  return new Poisson(options);
}
