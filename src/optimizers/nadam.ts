/**
 * Nadam, Keras 3 rule (`keras/optimizers/nadam.py`): Adam with Nesterov momentum and the
 * momentum schedule of Dozat (2016). With t = iterations + 1 and μ_k = β1(1 − ½·0.96^k):
 *   P_t = μ_1·μ_2·…·μ_t           (Keras keeps it in a variable, `_u_product`)
 *   m ← m + (g − m)(1 − β1);  v ← v + (g² − v)(1 − β2)
 *   m̂ = μ_{t+1}·m / (1 − P_t·μ_{t+1}) + (1 − μ_t)·g / (1 − P_t)
 *   v̂ = v / (1 − β2^t)
 *   w ← w − lr·m̂ / (√v̂ + ε)
 * P_t is a function of t, so it is recomputed from the step count (one product per step,
 * the whole product after a resume or an undone step) instead of being extra state: the
 * saved slots and the step count are then all a resume needs.
 */
import { checkNumberIn } from '../core/errors.js';
import { Optimizer, factoryOptions } from './optimizer.js';
import type { OptimizerOptions, OptimizerSpec } from './optimizer.js';

export interface NadamOptions extends OptimizerOptions {
  /** Default 0.001. */
  learningRate?: OptimizerOptions['learningRate'];
  /** Decay of the first moment, in [0, 1). Default 0.9. */
  beta1?: number;
  /** Decay of the second moment, in [0, 1). Default 0.999. */
  beta2?: number;
  /** Added to √v̂, > 0. Default 1e-7. */
  epsilon?: number;
}

const SPEC: OptimizerSpec = {
  className: 'Nadam',
  defaultName: 'nadam',
  defaultLearningRate: 0.001,
  extraOptions: ['beta1', 'beta2', 'epsilon'],
};

export class Nadam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** P_t for t = productStep (P_0 = 1). */
  private product = 1;
  private productStep = 0;
  /** Per-step factors of m, g and v (see the header), set by beginStep. */
  private cm = 0;
  private cg = 0;
  private cv = 0;

  constructor(options: NadamOptions = {}) {
    super(options, SPEC);
    const o = options ?? {};
    this.beta1 = checkNumberIn(o.beta1 ?? 0.9, 0, 1, 'Nadam: beta1', { hiOpen: true });
    this.beta2 = checkNumberIn(o.beta2 ?? 0.999, 0, 1, 'Nadam: beta2', { hiOpen: true });
    this.epsilon = checkNumberIn(o.epsilon ?? 1e-7, 0, Infinity, 'Nadam: epsilon', { loOpen: true });
  }

  static fromConfig(config: Record<string, unknown>): Nadam {
    return new Nadam(config as NadamOptions);
  }

  protected override slotNames(): readonly string[] {
    return ['momentum', 'velocity'];
  }

  protected override beginStep(t: number): void {
    // μ_k written out, not a helper method: a double returned from a call V8 does not inline is boxed.
    const b1 = this.beta1;
    if (this.productStep !== t - 1) {
      // After a resume or an undone step: rebuild P_{t−1} in the same order as step by step.
      let p = 1;
      for (let k = 1; k < t; k++) p *= b1 * (1 - 0.5 * Math.pow(0.96, k));
      this.product = p;
    }
    const muT = b1 * (1 - 0.5 * Math.pow(0.96, t));
    const muNext = b1 * (1 - 0.5 * Math.pow(0.96, t + 1));
    const p = this.product * muT;
    this.product = p;
    this.productStep = t;
    this.cm = muNext / (1 - p * muNext);
    this.cg = (1 - muT) / (1 - p);
    this.cv = 1 / (1 - Math.pow(this.beta2, t));
  }

  protected override updateRange(params: Float32Array, grads: Float32Array, lo: number, hi: number): void {
    const m = this.slots[0]!;
    const v = this.slots[1]!;
    const c1 = 1 - this.beta1;
    const c2 = 1 - this.beta2;
    const cm = this.cm;
    const cg = this.cg;
    const cv = this.cv;
    const lr = this.lr;
    const eps = this.epsilon;
    for (let i = lo; i < hi; i++) {
      const g = grads[i]!;
      const mi = Math.fround(m[i]! + (g - m[i]!) * c1);
      const vi = Math.fround(v[i]! + (g * g - v[i]!) * c2);
      m[i] = mi;
      v[i] = vi;
      const mHat = cm * mi + cg * g;
      params[i] = params[i]! - (mHat * lr) / (Math.sqrt(vi * cv) + eps);
    }
  }

  protected override ownConfig(): Record<string, unknown> {
    return { beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
}

/** Nadam with Keras 3 defaults: learningRate 0.001, beta1 0.9, beta2 0.999, epsilon 1e-7. */
export function nadam(options: NadamOptions | number = {}, ...rest: unknown[]): Nadam {
  return new Nadam(factoryOptions('nadam', options, rest));
}
