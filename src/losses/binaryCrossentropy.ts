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
import { checkBoolean, show } from '../core/errors.js';
import {
  EPSILON,
  Loss,
  ONE_MINUS_EPSILON,
  checkAxis,
  checkLabelSmoothing,
  checkLossOptions,
  firstOutsideUnit,
  targetPosition,
  zeroRow,
} from './loss.js';
import type { BaseLossOptions, LossConfig } from './loss.js';

// Module-local copies: V8 boxes a double read through an import binding on every
// access in a hot loop, which would allocate on each call.
const LO: number = EPSILON;
const HI: number = ONE_MINUS_EPSILON;

export interface BinaryCrossentropyOptions extends BaseLossOptions {
  /** Treat yPred as logits instead of probabilities. Default false. */
  fromLogits?: boolean;
  /** Smooth labels towards 0.5: y ← y·(1−s) + 0.5·s. In [0, 1]; default 0. */
  labelSmoothing?: number;
  /** Keras's axis of the mean: −1 (the default) only. */
  axis?: number;
}

export class BinaryCrossentropy extends Loss {
  readonly name = 'binary_crossentropy';
  readonly className = 'BinaryCrossentropy';
  readonly fromLogits: boolean;
  readonly labelSmoothing: number;

  constructor(options: BinaryCrossentropyOptions = {}) {
    const where = 'BinaryCrossentropy';
    checkLossOptions(options, ['fromLogits', 'labelSmoothing', 'axis'], where);
    super(options, where);
    checkAxis(options.axis, where);
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
    this.divisorInto(rows, weights);
    const div = this.div[0];
    // d(reduced)/d(ℓ_element): mean over the last axis, then the batch reduction.
    const scale = div === 0 ? 0 : 1 / (cols * div);
    // Segments: the whole block at weight 1 when weights is null (one flat loop),
    // else one segment per row at that row's weight. The loop bodies stay inline:
    // a double argument to a helper call that is not inlined would be boxed.
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
      if (logits) {
        for (let i = o; i < end; i++) {
          const z = yPred[i];
          const y = a * yTrue[i] + b;
          // ℓ = max(z,0) − z·y + log1p(exp(−|z|))
          seg += (z > 0 ? z : 0) - z * y + Math.log1p(Math.exp(-Math.abs(z)));
          if (dPred !== null) {
            // dℓ/dz = σ(z) − y, with a sign-split sigmoid
            const sig = z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
            dPred[i] = (sig - y) * g;
          }
        }
      } else {
        for (let i = o; i < end; i++) {
          const raw = yPred[i];
          const y = a * yTrue[i] + b;
          const clipped = raw < LO || raw > HI;
          const p = raw < LO ? LO : raw > HI ? HI : raw;
          // ℓ = −(y·log p + (1−y)·log(1−p))
          seg -= y * Math.log(p) + (1 - y) * Math.log(1 - p);
          if (dPred !== null) {
            // dℓ/dp = −y/p + (1−y)/(1−p); the clip passes no gradient outside [ε, 1−ε]
            dPred[i] = clipped ? 0 : (-y / p + (1 - y) / (1 - p)) * g;
          }
        }
      }
      sum += w * seg;
    }
    out[0] = div === 0 ? 0 : sum / cols / div; // inline: a returned double would be boxed
  }

  /** Targets are probabilities: a label such as 2 is a data mistake (Keras would train on it silently). */
  override validateTargets(yTrue: Float32Array, rows: number, cols: number, where: string, samples?: number): void {
    super.validateTargets(yTrue, rows, cols, where, samples);
    const bad = firstOutsideUnit(yTrue);
    if (bad >= 0) throw new RangeError(`${where}: target ${bad} is ${show(yTrue[bad])}; binary cross-entropy takes targets in [0, 1]${targetPosition(bad, rows, cols, samples)}`);
  }

  override getConfig(): LossConfig {
    return { ...super.getConfig(), fromLogits: this.fromLogits, labelSmoothing: this.labelSmoothing };
  }
}

/** Binary cross-entropy; see {@link BinaryCrossentropyOptions}. */
export function binaryCrossentropy(options?: BinaryCrossentropyOptions): BinaryCrossentropy {
  return new BinaryCrossentropy(options);
}
