/**
 * Binary cross-entropy (Keras 3 `BinaryCrossentropy`), per element, averaged over
 * the last axis to give the per-sample value.
 *
 *   label smoothing:  y ← y·(1−s) + 0.5·s
 *   probabilities:    p ← clip(p, ε, 1−ε);  ℓ = −(y·log p + (1−y)·log(1−p))
 *   logits:           ℓ = max(z, 0) − z·y + log1p(exp(−|z|))       (stable sigmoid-CE)
 *
 * Layout: yPred, yTrue, dPred all [rows, cols]; weights [rows] or null (see Loss). The probability form follows the
 * numpy/JAX/torch backends of Keras (always the clipped form; the TensorFlow backend
 * silently switches to logits after a sigmoid layer, which we do not imitate).
 */
import { checkBoolean } from '../core/errors.js';
import {
  EPSILON,
  Loss,
  ONE_MINUS_EPSILON,
  checkLabelSmoothing,
  checkLossOptions,
  zeroRow,
} from './loss.js';
import type { BaseLossOptions, LossConfig } from './loss.js';

// Module-local copies: V8 boxes a double read through an import binding on every
// access in a hot loop, which would allocate on each call.
const LO: number = EPSILON;
const HI: number = ONE_MINUS_EPSILON;

// Element kernels over the flat range [start, end): add w·Σℓ to acc[0] and write
// dPred[i] = dℓ/dŷ · g. The unweighted path runs one kernel over the whole block
// (w = 1, g = scale); the weighted path runs one per row (g = scale·w). The sum
// goes through acc, not a return value, so no double is boxed if a call is not
// inlined. Targets are smoothed as y ← a·y + b.

function logitsRange(
  yPred: Float32Array, yTrue: Float32Array, dPred: Float32Array | null,
  start: number, end: number, w: number, g: number, acc: Float64Array, a: number, b: number,
): void {
  let sum = 0;
  for (let i = start; i < end; i++) {
    const z = yPred[i];
    const y = a * yTrue[i] + b;
    // ℓ = max(z,0) − z·y + log1p(exp(−|z|))
    sum += (z > 0 ? z : 0) - z * y + Math.log1p(Math.exp(-Math.abs(z)));
    if (dPred !== null) {
      // dℓ/dz = σ(z) − y, with a sign-split sigmoid
      const sig = z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
      dPred[i] = (sig - y) * g;
    }
  }
  acc[0] += w * sum;
}

function probRange(
  yPred: Float32Array, yTrue: Float32Array, dPred: Float32Array | null,
  start: number, end: number, w: number, g: number, acc: Float64Array, a: number, b: number,
): void {
  let sum = 0;
  for (let i = start; i < end; i++) {
    const raw = yPred[i];
    const y = a * yTrue[i] + b;
    const clipped = raw < LO || raw > HI;
    const p = raw < LO ? LO : raw > HI ? HI : raw;
    // ℓ = −(y·log p + (1−y)·log(1−p))
    sum -= y * Math.log(p) + (1 - y) * Math.log(1 - p);
    if (dPred !== null) {
      // dℓ/dp = −y/p + (1−y)/(1−p); the clip passes no gradient outside [ε, 1−ε]
      dPred[i] = clipped ? 0 : (-y / p + (1 - y) / (1 - p)) * g;
    }
  }
  acc[0] += w * sum;
}

export interface BinaryCrossentropyOptions extends BaseLossOptions {
  /** Treat yPred as logits instead of probabilities. Default false. */
  fromLogits?: boolean;
  /** Smooth labels towards 0.5: y ← y·(1−s) + 0.5·s. In [0, 1]; default 0. */
  labelSmoothing?: number;
}

export class BinaryCrossentropy extends Loss {
  readonly name = 'binary_crossentropy';
  readonly className = 'BinaryCrossentropy';
  readonly fromLogits: boolean;
  readonly labelSmoothing: number;

  constructor(options: BinaryCrossentropyOptions = {}) {
    const where = 'BinaryCrossentropy';
    checkLossOptions(options, ['fromLogits', 'labelSmoothing'], where);
    super(options, where);
    this.fromLogits = options.fromLogits === undefined ? false : checkBoolean(options.fromLogits, `${where}: fromLogits`);
    this.labelSmoothing = checkLabelSmoothing(options.labelSmoothing, where);
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
    const s = this.labelSmoothing;
    const a = 1 - s; // y ← a·y + b (exactly y when s = 0)
    const b = 0.5 * s;
    const logits = this.fromLogits;
    const div = this.divisor(rows);
    // d(reduced)/d(ℓ_element): mean over the last axis, then the batch reduction.
    const scale = 1 / (cols * div);
    out[0] = 0;
    if (weights === null) {
      if (logits) logitsRange(yPred, yTrue, dPred, 0, rows * cols, 1, scale, out, a, b);
      else probRange(yPred, yTrue, dPred, 0, rows * cols, 1, scale, out, a, b);
    } else {
      for (let r = 0, o = 0; r < rows; r++, o += cols) {
        const w = weights[r];
        if (w === 0) {
          if (dPred !== null) zeroRow(dPred, o, cols);
        } else if (logits) {
          logitsRange(yPred, yTrue, dPred, o, o + cols, w, scale * w, out, a, b);
        } else {
          probRange(yPred, yTrue, dPred, o, o + cols, w, scale * w, out, a, b);
        }
      }
    }
    out[0] = div === 0 ? 0 : (out[0] / cols) / div; // inline: a returned double would be boxed
  }

  override getConfig(): LossConfig {
    return { ...super.getConfig(), fromLogits: this.fromLogits, labelSmoothing: this.labelSmoothing };
  }
}

/** Binary cross-entropy; see {@link BinaryCrossentropyOptions}. */
export function binaryCrossentropy(options?: BinaryCrossentropyOptions): BinaryCrossentropy {
  return new BinaryCrossentropy(options);
}
