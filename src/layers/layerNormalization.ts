/**
 * LayerNormalization (Keras 3 semantics, tfjs names). Every row — the features of one
 * sample at one step — is normalised by its own statistics over the last axis:
 *
 *   μ = Σ x / F,  σ² = Σ (x − μ)² / F  (biased, as Keras),  y = γ · (x − μ) / √(σ² + ε) + β
 *
 * with γ ('gamma', ones) and β ('beta', zeros) of shape [F], in that order (Keras and
 * tfjs). The statistics are summed in float64 (two passes, so a large mean does not eat
 * the variance as E[x²] − E[x]² would); values are stored in float32. Inputs of any rank
 * ([batch, features], [batch, time, features], …); the same formula in training and
 * inference; the step mask passes through unchanged (Keras: supports_masking, and the
 * statistics of a masked row are its own, so nothing needs masking).
 *
 * axis: only the last axis (-1, its non-negative index, or a list of that one axis, as
 * Keras 3 and tfjs write it once built). Keras normalises over several axes too; here
 * that is refused by name: a row would then span time steps, which streams and open
 * time axes cannot give.
 *
 * rmsScaling (Keras 3, deprecated there): y = γ · x / √(σ² + ε) — the input is not
 * centred but σ² still is (Keras's own formula, which it keeps and warns about); γ is
 * created even with scale false and β never is, as in Keras. Implemented exactly.
 */
import { getInitializer, serializeInitializer, type Initializer, type InitializerIdentifier } from '../initializers/index.js';
import { checkBoolean, checkNumberIn, show } from '../core/errors.js';
import { getRegularizer, serializeRegularizer, type Regularizer, type RegularizerIdentifier } from '../regularizers/index.js';
import { getConstraint, serializeConstraint, type Constraint, type ConstraintIdentifier } from '../constraints/index.js';
import { formatShape } from '../core/tensor.js';
import type { Rng } from '../core/rng.js';
import { SameShapeLayer, checkLayerOptions, ensure, type LayerArgs, type LayerWeight, type Shape } from './layer.js';

export interface LayerNormalizationArgs extends LayerArgs {
  /** The axis normalised over: only the last one (-1, its index, or [that axis]). Default -1. */
  axis?: number | readonly number[];
  /** Added to the variance. Default 1e-3 (Keras and tfjs). */
  epsilon?: number;
  /** Add β. Default true. */
  center?: boolean;
  /** Multiply by γ. Default true. */
  scale?: boolean;
  /** Keras 3's deprecated variant: y = γ · x / √(σ² + ε), no β. Default false. */
  rmsScaling?: boolean;
  /** Default 'zeros'. */
  betaInitializer?: InitializerIdentifier | Initializer;
  /** Default 'ones'. */
  gammaInitializer?: InitializerIdentifier | Initializer;
  betaRegularizer?: RegularizerIdentifier | Regularizer | null;
  gammaRegularizer?: RegularizerIdentifier | Regularizer | null;
  betaConstraint?: ConstraintIdentifier | Constraint | null;
  gammaConstraint?: ConstraintIdentifier | Constraint | null;
}

const LATER = {
  activityRegularizer: 'activity regularizers are not implemented',
};

/**
 * `axis` as a list of integers (Keras: an int or a list/tuple of ints). Checked for the
 * input rank by `lastAxisOnly` once the input shape is known.
 */
export function checkAxisOption(v: unknown, where: string, allowList: boolean): number[] {
  if (typeof v === 'number' && Number.isInteger(v)) return [v];
  if (allowList && Array.isArray(v) && v.length > 0 && v.every((a) => typeof a === 'number' && Number.isInteger(a))) return [...(v as number[])];
  if (!allowList && Array.isArray(v) && v.length === 1 && Number.isInteger(v[0])) return [v[0] as number]; // Keras 2 writes [axis]
  throw new TypeError(`${where}: axis must be an integer${allowList ? ' or a list of integers' : ''}, got ${show(v)}`);
}

/**
 * Check that `axes` (given for input of per-sample shape `inputShape`) name exactly the
 * last axis: Keras's out-of-bounds and duplicate errors, then rnnkit's own limit.
 */
export function lastAxisOnly(axes: readonly number[], inputShape: Shape, where: string, what: string): void {
  const rank = inputShape.length + 1;
  const full = formatShape([null, ...inputShape]);
  const canonical = axes.map((a) => {
    if (a >= rank || a < -rank) throw new RangeError(`${where}: axis ${a} is out of bounds for input ${full}`);
    return a < 0 ? a + rank : a;
  });
  if (new Set(canonical).size !== canonical.length) throw new RangeError(`${where}: duplicate axes are not allowed, got axis ${show(axes)}`);
  if (canonical.length !== 1 || canonical[0] !== rank - 1) {
    throw new RangeError(`${where}: axis ${show(axes.length === 1 ? axes[0] : axes)} is not supported; rnnkit ${what} over the last axis only (axis -1 or ${rank - 1} for input ${full})`);
  }
  if (inputShape.length === 0) throw new RangeError(`${where}: expected input with a feature axis, got ${full}`);
  if (inputShape[inputShape.length - 1] === null) throw new RangeError(`${where}: the last input dimension must be known, got ${full}`);
  if (inputShape.slice(1).some((d) => d === null)) throw new RangeError(`${where}: only the first per-sample axis (time) may be open, got ${full}`);
}

/** Rows per time step: the product of the per-sample axes between time and features (1 for rank 2 and 3 input). */
export function innerRows(inputShape: Shape): number {
  return (inputShape.slice(1, -1) as number[]).reduce((a, b) => a * b, 1);
}

export class LayerNormalization extends SameShapeLayer {
  readonly className = 'LayerNormalization';
  readonly axis: number | readonly number[];
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly rmsScaling: boolean;
  readonly betaInitializer: Initializer;
  readonly gammaInitializer: Initializer;
  readonly betaRegularizer: Regularizer | null;
  readonly gammaRegularizer: Regularizer | null;
  readonly betaConstraint: Constraint | null;
  readonly gammaConstraint: Constraint | null;
  private readonly axes: number[];
  private gamma: LayerWeight | null = null;
  private beta: LayerWeight | null = null;
  private F = 0;
  private inner = 1;
  private x: Float32Array = new Float32Array(0);
  private out: Float32Array = new Float32Array(0);
  private dx: Float32Array = new Float32Array(0);
  /** Per row of the last forward: its mean and 1/√(σ² + ε). */
  private mean = new Float64Array(0);
  private inv = new Float64Array(0);
  /** Per feature: the weight gradients of one backward, summed over rows in float64. */
  private dGamma = new Float64Array(0);
  private dBeta = new Float64Array(0);

  constructor(args: LayerNormalizationArgs = {}) {
    super(args ?? {}, 'layer_normalization');
    checkLayerOptions(
      args,
      ['axis', 'epsilon', 'center', 'scale', 'rmsScaling', 'betaInitializer', 'gammaInitializer', 'betaRegularizer', 'gammaRegularizer', 'betaConstraint', 'gammaConstraint', 'seed'],
      this.where,
      LATER,
    );
    const a = args ?? {};
    this.axes = checkAxisOption(a.axis ?? -1, this.where, true);
    this.axis = Array.isArray(a.axis) ? [...a.axis] : (a.axis ?? -1);
    this.epsilon = a.epsilon === undefined ? 1e-3 : checkNumberIn(a.epsilon, 0, Infinity, `${this.where}: epsilon`, { loOpen: true, hiOpen: true });
    this.center = a.center === undefined ? true : checkBoolean(a.center, `${this.where}: center`);
    this.scale = a.scale === undefined ? true : checkBoolean(a.scale, `${this.where}: scale`);
    this.rmsScaling = a.rmsScaling === undefined ? false : checkBoolean(a.rmsScaling, `${this.where}: rmsScaling`);
    this.betaInitializer = getInitializer(a.betaInitializer ?? 'zeros', `${this.where}: betaInitializer`);
    this.gammaInitializer = getInitializer(a.gammaInitializer ?? 'ones', `${this.where}: gammaInitializer`);
    this.betaRegularizer = getRegularizer(a.betaRegularizer, `${this.where}: betaRegularizer`);
    this.gammaRegularizer = getRegularizer(a.gammaRegularizer, `${this.where}: gammaRegularizer`);
    this.betaConstraint = getConstraint(a.betaConstraint, `${this.where}: betaConstraint`);
    this.gammaConstraint = getConstraint(a.gammaConstraint, `${this.where}: gammaConstraint`);
  }

  /** Whether γ exists (Keras: scale or rmsScaling) and β (center, never with rmsScaling). */
  private get hasGamma(): boolean {
    return this.scale || this.rmsScaling;
  }
  private get hasBeta(): boolean {
    return this.center && !this.rmsScaling;
  }

  computeOutputShape(inputShape: Shape): Shape {
    lastAxisOnly(this.axes, inputShape, this.where, 'normalises');
    return [...inputShape];
  }

  protected createWeights(inputShape: Shape, rng: Rng): void {
    this.F = inputShape[inputShape.length - 1]!;
    this.inner = innerRows(inputShape);
    if (this.hasGamma) this.gamma = this.addWeight('gamma', [this.F], this.gammaInitializer, rng, { regularizer: this.gammaRegularizer, constraint: this.gammaConstraint });
    if (this.hasBeta) this.beta = this.addWeight('beta', [this.F], this.betaInitializer, rng, { regularizer: this.betaRegularizer, constraint: this.betaConstraint });
  }


  forward(x: Float32Array, B: number, T: number, _training: boolean, _mask: Float32Array | null): Float32Array {
    const F = this.F;
    const rows = B * (this.hasTime ? T : 1) * this.inner;
    this.out = ensure(this.out, rows * F);
    if (this.mean.length < rows) {
      this.mean = new Float64Array(rows);
      this.inv = new Float64Array(rows);
    }
    this.x = x;
    const out = this.out;
    const g = this.gamma?.value ?? null;
    const b = this.beta?.value ?? null;
    const eps = this.epsilon;
    const rms = this.rmsScaling;
    for (let r = 0; r < rows; r++) {
      const o = r * F;
      let s = 0;
      for (let f = 0; f < F; f++) s += x[o + f]!;
      const mu = s / F;
      let v = 0;
      for (let f = 0; f < F; f++) {
        const d = x[o + f]! - mu;
        v += d * d;
      }
      const inv = 1 / Math.sqrt(v / F + eps);
      this.mean[r] = mu;
      this.inv[r] = inv;
      if (rms) {
        for (let f = 0; f < F; f++) out[o + f] = x[o + f]! * inv * (g === null ? 1 : g[f]!);
      } else {
        for (let f = 0; f < F; f++) out[o + f] = (x[o + f]! - mu) * inv * (g === null ? 1 : g[f]!) + (b === null ? 0 : b[f]!);
      }
    }
    return out;
  }

  /**
   * With x̂ = (x − μ)·inv and g = dy·γ: dx = inv·(g − mean(g) − x̂·mean(g·x̂)); dγ = Σ dy·x̂,
   * dβ = Σ dy. rmsScaling (y = γ·x·inv, σ² centred): dx = inv·g − inv³·(x − μ)·Σ(g·x)/F, dγ = Σ dy·x·inv.
   */
  backward(dy: Float32Array, B: number, T: number, needDx: boolean): Float32Array | null {
    const F = this.F;
    const rows = B * (this.hasTime ? T : 1) * this.inner;
    if (needDx) this.dx = ensure(this.dx, rows * F);
    if (this.dGamma.length < F) {
      this.dGamma = new Float64Array(F);
      this.dBeta = new Float64Array(F);
    }
    const dG = this.dGamma;
    const dB = this.dBeta;
    dG.fill(0);
    dB.fill(0);
    const x = this.x;
    const dx = this.dx;
    const g = this.gamma?.value ?? null;
    const rms = this.rmsScaling;
    for (let r = 0; r < rows; r++) {
      const o = r * F;
      const mu = this.mean[r]!;
      const inv = this.inv[r]!;
      if (rms) {
        let sgx = 0;
        for (let f = 0; f < F; f++) {
          const d = dy[o + f]!;
          const xv = x[o + f]!;
          dG[f] += d * xv * inv;
          sgx += d * (g === null ? 1 : g[f]!) * xv;
        }
        if (!needDx) continue;
        const c = (inv * inv * inv * sgx) / F;
        for (let f = 0; f < F; f++) dx[o + f] = dy[o + f]! * (g === null ? 1 : g[f]!) * inv - c * (x[o + f]! - mu);
        continue;
      }
      let sg = 0;
      let sgx = 0;
      for (let f = 0; f < F; f++) {
        const d = dy[o + f]!;
        const xh = (x[o + f]! - mu) * inv;
        dG[f] += d * xh;
        dB[f] += d;
        const gd = d * (g === null ? 1 : g[f]!);
        sg += gd;
        sgx += gd * xh;
      }
      if (!needDx) continue;
      const mg = sg / F;
      const mgx = sgx / F;
      for (let f = 0; f < F; f++) {
        const xh = (x[o + f]! - mu) * inv;
        dx[o + f] = inv * (dy[o + f]! * (g === null ? 1 : g[f]!) - mg - xh * mgx);
      }
    }
    if (this.gamma !== null) {
      const gg = this.gamma.grad;
      for (let f = 0; f < F; f++) gg[f] = gg[f]! + dG[f]!;
    }
    if (this.beta !== null) {
      const bg = this.beta.grad;
      for (let f = 0; f < F; f++) bg[f] = bg[f]! + dB[f]!;
    }
    return needDx ? dx : null;
  }

  override getConfig(): Record<string, unknown> {
    const c: Record<string, unknown> = {
      ...super.getConfig(),
      axis: Array.isArray(this.axis) ? [...this.axis] : this.axis,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      betaInitializer: serializeInitializer(this.betaInitializer),
      gammaInitializer: serializeInitializer(this.gammaInitializer),
      betaRegularizer: this.betaRegularizer === null ? null : serializeRegularizer(this.betaRegularizer),
      gammaRegularizer: this.gammaRegularizer === null ? null : serializeRegularizer(this.gammaRegularizer),
      betaConstraint: this.betaConstraint === null ? null : serializeConstraint(this.betaConstraint),
      gammaConstraint: this.gammaConstraint === null ? null : serializeConstraint(this.gammaConstraint),
    };
    // Written only when set: tfjs and Keras 2 do not know the key (Keras 2 refuses unknown keys).
    if (this.rmsScaling) c.rmsScaling = true;
    return c;
  }
}

/** `layers.layerNormalization({axis, epsilon, center, scale, …})`. */
export function layerNormalization(args: LayerNormalizationArgs = {}): LayerNormalization {
  return new LayerNormalization(args);
}
