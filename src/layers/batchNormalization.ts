/**
 * BatchNormalization (Keras 3 semantics, tfjs names), over the last axis of inputs of any
 * rank: each feature is normalised by statistics over every other axis (batch × time × …).
 *
 * Training (fit, or a call with training: true) on a trainable layer: the batch's own
 *   μ = Σ m·x / D,  σ² = Σ m·(x − μ)² / D  (biased, as Keras's ops.moments and tfjs),
 *   y = γ · (x − μ) / √(σ² + ε) + β,
 * and then, as Keras (tfjs writes the same average as moving − (moving − batch)·(1 − momentum)),
 *   moving_mean     = moving_mean     · momentum + μ  · (1 − momentum)
 *   moving_variance = moving_variance · momentum + σ² · (1 − momentum)   (the biased σ²).
 * Without a step mask m = 1 and D = the row count. With one (Masking, Embedding maskZero)
 * the statistics are Keras 3's masked moments: masked steps are left out of both sums and
 * D = (kept rows) + 1e-7 (backend.epsilon(), added in float32 as Keras does), so a fully
 * masked batch gives μ = σ² = 0. Every row is still normalised and the mask passes on.
 *
 * Inference (predict, evaluate, a plain apply) uses the moving statistics, and so does a
 * frozen layer (trainable false) even in fit — Keras 3: "setting trainable = False on a
 * BatchNormalization layer means that the layer will be run in inference mode". The
 * gradient then treats the statistics as constants.
 *
 * Weights in Keras/tfjs order: gamma, beta (trainable; left out with scale / center
 * false), moving_mean, moving_variance (non-trainable: fit updates them in the forward
 * pass, the optimizer never does; saved and loaded like any weight; counted as
 * non-trainable by summary()). Statistics are summed in float64 (two passes).
 *
 * synchronized (Keras 3, TensorFlow backend): with true, data-parallel replicas share one
 * batch's statistics. rnnkit computes every training batch on one replica — data-parallel
 * fit refuses a trainable BatchNormalization, since per-shard statistics would make
 * workers: n train a different model than workers: 1 — so the statistics are always the
 * whole batch's, which is what true asks for: accepted, the same computation either way.
 *
 * Refused by name: axis other than the last; renorm (batch renormalization; renorm false,
 * renormClipping null and renormMomentum 0.99 — what Keras 3 writes — are accepted);
 * Keras 2's virtualBatchSize, adjustment and fused.
 */
import { getInitializer, serializeInitializer, type Initializer, type InitializerIdentifier } from '../initializers/index.js';
import { checkBoolean, checkNumberIn, show } from '../core/errors.js';
import { getRegularizer, serializeRegularizer, type Regularizer, type RegularizerIdentifier } from '../regularizers/index.js';
import { getConstraint, serializeConstraint, type Constraint, type ConstraintIdentifier } from '../constraints/index.js';
import type { Rng } from '../core/rng.js';
import type { Tensor } from '../core/tensor.js';
import { SameShapeLayer, checkLayerOptions, ensure, type LayerArgs, type LayerWeight, type Shape } from './layer.js';
import { checkAxisOption, innerRows, lastAxisOnly } from './layerNormalization.js';

export interface BatchNormalizationArgs extends LayerArgs {
  /** The feature axis: only the last one (-1 or its index). Default -1. */
  axis?: number;
  /** Of the moving averages, in [0, 1]. Default 0.99. */
  momentum?: number;
  /** Added to the variance. Default 1e-3. */
  epsilon?: number;
  /** Add β. Default true. */
  center?: boolean;
  /** Multiply by γ. Default true. */
  scale?: boolean;
  /** Default 'zeros'. */
  betaInitializer?: InitializerIdentifier | Initializer;
  /** Default 'ones'. */
  gammaInitializer?: InitializerIdentifier | Initializer;
  /** Default 'zeros'. */
  movingMeanInitializer?: InitializerIdentifier | Initializer;
  /** Default 'ones'. */
  movingVarianceInitializer?: InitializerIdentifier | Initializer;
  betaRegularizer?: RegularizerIdentifier | Regularizer | null;
  gammaRegularizer?: RegularizerIdentifier | Regularizer | null;
  betaConstraint?: ConstraintIdentifier | Constraint | null;
  gammaConstraint?: ConstraintIdentifier | Constraint | null;
  /** Keras 3: replicas share batch statistics. Every batch here is one replica's, so true and false compute the same. Default false. */
  synchronized?: boolean;
  /** Batch renormalization: only false (not implemented). */
  renorm?: boolean;
  /** Only with renorm: only null. */
  renormClipping?: null;
  /** Only with renorm: only Keras's default 0.99. */
  renormMomentum?: number;
}

const LATER = {
  activityRegularizer: 'activity regularizers are not implemented',
  virtualBatchSize: "Keras 2's ghost batch normalization is not implemented (Keras 3 dropped it)",
  adjustment: "Keras 2's adjustment function is not implemented (Keras 3 dropped it)",
  fused: "Keras 2's implementation switch; Keras 3 dropped it",
};

/** Keras's backend.epsilon(), as float32: added to the kept-row count of masked moments. */
const MASK_EPSILON = Math.fround(1e-7);

export class BatchNormalization extends SameShapeLayer {
  readonly className = 'BatchNormalization';
  readonly axis: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly synchronized: boolean;
  readonly betaInitializer: Initializer;
  readonly gammaInitializer: Initializer;
  readonly movingMeanInitializer: Initializer;
  readonly movingVarianceInitializer: Initializer;
  readonly betaRegularizer: Regularizer | null;
  readonly gammaRegularizer: Regularizer | null;
  readonly betaConstraint: Constraint | null;
  readonly gammaConstraint: Constraint | null;
  private readonly axes: number[];
  private gamma: LayerWeight | null = null;
  private beta: LayerWeight | null = null;
  private movingMean!: LayerWeight;
  private movingVariance!: LayerWeight;
  private F = 0;
  private inner = 1;
  private x: Float32Array = new Float32Array(0);
  private out: Float32Array = new Float32Array(0);
  private dx: Float32Array = new Float32Array(0);
  /** The last forward: whether it used batch statistics, its mask, and the divisor D. */
  private batchStats = false;
  private mask: Float32Array | null = null;
  private D = 1;
  /** Per feature, from the last forward: μ, 1/√(σ² + ε), and Σ m·(x − μ) (0 without a mask; D ≠ kept rows makes it non-zero). */
  private mu = new Float64Array(0);
  private inv = new Float64Array(0);
  private sumDev = new Float64Array(0);
  /** Per feature scratch of backward: Σ dy and Σ dy·(x − μ). */
  private s1 = new Float64Array(0);
  private s2 = new Float64Array(0);

  constructor(args: BatchNormalizationArgs = {}) {
    super(args ?? {}, 'batch_normalization');
    checkLayerOptions(
      args,
      [
        'axis',
        'momentum',
        'epsilon',
        'center',
        'scale',
        'betaInitializer',
        'gammaInitializer',
        'movingMeanInitializer',
        'movingVarianceInitializer',
        'betaRegularizer',
        'gammaRegularizer',
        'betaConstraint',
        'gammaConstraint',
        'synchronized',
        'renorm',
        'renormClipping',
        'renormMomentum',
        'seed',
      ],
      this.where,
      LATER,
    );
    const a = args ?? {};
    this.axes = checkAxisOption(a.axis ?? -1, this.where, false);
    this.axis = this.axes[0]!;
    this.momentum = a.momentum === undefined ? 0.99 : checkNumberIn(a.momentum, 0, 1, `${this.where}: momentum`);
    this.epsilon = a.epsilon === undefined ? 1e-3 : checkNumberIn(a.epsilon, 0, Infinity, `${this.where}: epsilon`, { loOpen: true, hiOpen: true });
    this.center = a.center === undefined ? true : checkBoolean(a.center, `${this.where}: center`);
    this.scale = a.scale === undefined ? true : checkBoolean(a.scale, `${this.where}: scale`);
    this.synchronized = a.synchronized === undefined ? false : checkBoolean(a.synchronized, `${this.where}: synchronized`);
    if (a.renorm !== undefined && checkBoolean(a.renorm, `${this.where}: renorm`)) {
      throw new RangeError(`${this.where}: option 'renorm' is not supported yet (batch renormalization is not implemented; use renorm: false)`);
    }
    if (a.renormClipping !== undefined && a.renormClipping !== null) {
      throw new RangeError(`${this.where}: option 'renormClipping' is not supported yet (it applies only with renorm, which is not implemented), got ${show(a.renormClipping)}`);
    }
    if (a.renormMomentum !== undefined && a.renormMomentum !== 0.99) {
      throw new RangeError(`${this.where}: option 'renormMomentum' is not supported yet (it applies only with renorm, which is not implemented; only Keras's default 0.99 is accepted), got ${show(a.renormMomentum)}`);
    }
    this.betaInitializer = getInitializer(a.betaInitializer ?? 'zeros', `${this.where}: betaInitializer`);
    this.gammaInitializer = getInitializer(a.gammaInitializer ?? 'ones', `${this.where}: gammaInitializer`);
    this.movingMeanInitializer = getInitializer(a.movingMeanInitializer ?? 'zeros', `${this.where}: movingMeanInitializer`);
    this.movingVarianceInitializer = getInitializer(a.movingVarianceInitializer ?? 'ones', `${this.where}: movingVarianceInitializer`);
    this.betaRegularizer = getRegularizer(a.betaRegularizer, `${this.where}: betaRegularizer`);
    this.gammaRegularizer = getRegularizer(a.gammaRegularizer, `${this.where}: gammaRegularizer`);
    this.betaConstraint = getConstraint(a.betaConstraint, `${this.where}: betaConstraint`);
    this.gammaConstraint = getConstraint(a.gammaConstraint, `${this.where}: gammaConstraint`);
  }

  computeOutputShape(inputShape: Shape): Shape {
    lastAxisOnly(this.axes, inputShape, this.where, 'normalises each feature');
    return [...inputShape];
  }

  protected createWeights(inputShape: Shape, rng: Rng): void {
    const F = (this.F = inputShape[inputShape.length - 1]!);
    this.inner = innerRows(inputShape);
    if (this.scale) this.gamma = this.addWeight('gamma', [F], this.gammaInitializer, rng, { regularizer: this.gammaRegularizer, constraint: this.gammaConstraint });
    if (this.center) this.beta = this.addWeight('beta', [F], this.betaInitializer, rng, { regularizer: this.betaRegularizer, constraint: this.betaConstraint });
    this.movingMean = this.addWeight('moving_mean', [F], this.movingMeanInitializer, rng, { trainable: false });
    this.movingVariance = this.addWeight('moving_variance', [F], this.movingVarianceInitializer, rng, { trainable: false });
    if (this.initializing) {
      // Inference divides by √(moving_variance + ε): a negative start would make predict NaN without a word.
      const bad = this.movingVariance.value.findIndex((v) => v < 0);
      if (bad >= 0) throw new RangeError(`${this.where}: movingVarianceInitializer gave ${this.movingVariance.value[bad]} at index ${bad}; a variance must be ≥ 0 (use 'ones' or a non-negative initializer)`);
    }
    this.mu = new Float64Array(F);
    this.inv = new Float64Array(F);
    this.sumDev = new Float64Array(F);
    this.s1 = new Float64Array(F);
    this.s2 = new Float64Array(F);
  }


  forward(x: Float32Array, B: number, T: number, training: boolean, mask: Float32Array | null): Float32Array {
    const F = this.F;
    const Tn = this.hasTime ? T : 1;
    const per = Tn * this.inner; // rows per sample
    const rows = B * per;
    this.out = ensure(this.out, rows * F);
    this.x = x;
    const mu = this.mu;
    const inv = this.inv;
    const eps = this.epsilon;
    // Keras 3: `if training and self.trainable` — a frozen layer (or one inside a frozen model,
    // which Keras makes frozen too) normalises with its moving statistics.
    this.batchStats = training && this.trainable && !this.frozenByParent;
    const m = this.batchStats && this.hasTime ? mask : null;
    this.mask = m;
    if (this.batchStats) {
      const dev = this.sumDev;
      mu.fill(0);
      inv.fill(0);
      dev.fill(0);
      let kept = 0;
      for (let r = 0; r < rows; r++) {
        if (m !== null && m[Math.floor(r / this.inner)] === 0) continue;
        kept++;
        const o = r * F;
        for (let f = 0; f < F; f++) mu[f] += x[o + f]!;
      }
      // Keras: reduce_mean without a mask; Σ mask + epsilon() (a float32 sum) with one.
      const D = m === null ? rows : Math.fround(kept + MASK_EPSILON);
      this.D = D;
      for (let f = 0; f < F; f++) mu[f] = mu[f]! / D;
      for (let r = 0; r < rows; r++) {
        if (m !== null && m[Math.floor(r / this.inner)] === 0) continue;
        const o = r * F;
        for (let f = 0; f < F; f++) {
          const d = x[o + f]! - mu[f]!;
          inv[f] += d * d; // Σ (x − μ)² for now
          dev[f] += d;
        }
      }
      if (m === null) dev.fill(0); // Σ (x − μ) is 0 exactly when D is the row count
      const mm = this.movingMean.value;
      const mv = this.movingVariance.value;
      const k = this.momentum;
      for (let f = 0; f < F; f++) {
        const variance = inv[f]! / D;
        inv[f] = 1 / Math.sqrt(variance + eps);
        mm[f] = mm[f]! * k + mu[f]! * (1 - k);
        mv[f] = mv[f]! * k + variance * (1 - k);
      }
    } else {
      const mm = this.movingMean.value;
      const mv = this.movingVariance.value;
      for (let f = 0; f < F; f++) {
        mu[f] = mm[f]!;
        inv[f] = 1 / Math.sqrt(mv[f]! + eps);
      }
    }
    const out = this.out;
    const g = this.gamma?.value ?? null;
    const b = this.beta?.value ?? null;
    for (let r = 0; r < rows; r++) {
      const o = r * F;
      for (let f = 0; f < F; f++) out[o + f] = (x[o + f]! - mu[f]!) * inv[f]! * (g === null ? 1 : g[f]!) + (b === null ? 0 : b[f]!);
    }
    return out;
  }

  /**
   * Per feature, with S1 = Σ dy and S2 = Σ dy·(x − μ) over every row (masked rows' outputs
   * depend on the statistics too): dγ = S2·inv, dβ = S1. With batch statistics,
   * dσ² = −½·γ·S2·inv³, dμ = −γ·inv·S1 − 2·dσ²·Σm(x − μ)/D and
   * dx = γ·inv·dy + m·(dμ + 2·dσ²·(x − μ))/D; with moving statistics dx = γ·inv·dy.
   */
  backward(dy: Float32Array, B: number, T: number, needDx: boolean): Float32Array | null {
    const F = this.F;
    const rows = B * (this.hasTime ? T : 1) * this.inner;
    const x = this.x;
    const mu = this.mu;
    const inv = this.inv;
    const s1 = this.s1;
    const s2 = this.s2;
    s1.fill(0);
    s2.fill(0);
    for (let r = 0; r < rows; r++) {
      const o = r * F;
      for (let f = 0; f < F; f++) {
        const d = dy[o + f]!;
        s1[f] += d;
        s2[f] += d * (x[o + f]! - mu[f]!);
      }
    }
    const g = this.gamma?.value ?? null;
    if (this.gamma !== null) {
      const gg = this.gamma.grad;
      for (let f = 0; f < F; f++) gg[f] = gg[f]! + s2[f]! * inv[f]!;
    }
    if (this.beta !== null) {
      const bg = this.beta.grad;
      for (let f = 0; f < F; f++) bg[f] = bg[f]! + s1[f]!;
    }
    if (!needDx) return null;
    this.dx = ensure(this.dx, rows * F);
    const dx = this.dx;
    if (!this.batchStats) {
      for (let r = 0; r < rows; r++) {
        const o = r * F;
        for (let f = 0; f < F; f++) dx[o + f] = dy[o + f]! * (g === null ? 1 : g[f]!) * inv[f]!;
      }
      return dx;
    }
    // Reuse s1 / s2 for the per-feature coefficients: dx = a·dy + m·(c + e·(x − μ)).
    const D = this.D;
    const dev = this.sumDev;
    for (let f = 0; f < F; f++) {
      const gi = (g === null ? 1 : g[f]!) * inv[f]!;
      const dVar = -0.5 * (g === null ? 1 : g[f]!) * s2[f]! * inv[f]! * inv[f]! * inv[f]!;
      const dMu = -gi * s1[f]! - (2 * dVar * dev[f]!) / D;
      s1[f] = dMu / D;
      s2[f] = (2 * dVar) / D;
    }
    const m = this.mask;
    for (let r = 0; r < rows; r++) {
      const o = r * F;
      const keep = m === null || m[Math.floor(r / this.inner)] !== 0;
      for (let f = 0; f < F; f++) {
        const direct = dy[o + f]! * (g === null ? 1 : g[f]!) * inv[f]!;
        dx[o + f] = keep ? direct + s1[f]! + s2[f]! * (x[o + f]! - mu[f]!) : direct;
      }
    }
    return dx;
  }

  /** Besides the shapes and finite values: a moving variance must be ≥ 0 (inference takes its square root). */
  override checkWeights(weights: readonly Tensor[]): void {
    super.checkWeights(weights);
    const at = this.weights.indexOf(this.movingVariance);
    const bad = weights[at]!.data.findIndex((v) => v < 0);
    if (bad >= 0) throw new RangeError(`${this.where}: setWeights: moving_variance holds ${weights[at]!.data[bad]} at index ${bad}; a variance must be ≥ 0`);
  }

  override getConfig(): Record<string, unknown> {
    const c: Record<string, unknown> = {
      ...super.getConfig(),
      axis: this.axis,
      momentum: this.momentum,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      betaInitializer: serializeInitializer(this.betaInitializer),
      gammaInitializer: serializeInitializer(this.gammaInitializer),
      movingMeanInitializer: serializeInitializer(this.movingMeanInitializer),
      movingVarianceInitializer: serializeInitializer(this.movingVarianceInitializer),
      betaRegularizer: this.betaRegularizer === null ? null : serializeRegularizer(this.betaRegularizer),
      gammaRegularizer: this.gammaRegularizer === null ? null : serializeRegularizer(this.gammaRegularizer),
      betaConstraint: this.betaConstraint === null ? null : serializeConstraint(this.betaConstraint),
      gammaConstraint: this.gammaConstraint === null ? null : serializeConstraint(this.gammaConstraint),
    };
    // Written only when set: older Keras 2 versions refuse the key.
    if (this.synchronized) c.synchronized = true;
    return c;
  }
}

/** `layers.batchNormalization({axis, momentum, epsilon, center, scale, …})`. */
export function batchNormalization(args: BatchNormalizationArgs = {}): BatchNormalization {
  return new BatchNormalization(args);
}
