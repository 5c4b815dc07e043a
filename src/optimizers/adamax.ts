/**
 * Adamax, Keras 3 rule (`keras/optimizers/adamax.py`), per element with t = iterations + 1:
 *   m ← m + (g − m)(1 − β1)
 *   u ← max(β2·u, |g|)
 *   w ← w − lr·m / ((1 − β1^t)(u + ε))
 * Adam with the infinity norm in place of √v; only m is bias-corrected.
 */
import { checkNumberIn } from '../core/errors.js';
import { Optimizer, factoryOptions } from './optimizer.js';
import type { OptimizerOptions, OptimizerSpec } from './optimizer.js';

export interface AdamaxOptions extends OptimizerOptions {
  /** Default 0.001. */
  learningRate?: OptimizerOptions['learningRate'];
  /** Decay of the first moment, in [0, 1). Default 0.9. */
  beta1?: number;
  /** Decay of the infinity norm, in [0, 1]. Default 0.999. */
  beta2?: number;
  /** Added to u, > 0. Default 1e-7. */
  epsilon?: number;
}

const SPEC: OptimizerSpec = {
  className: 'Adamax',
  defaultName: 'adamax',
  defaultLearningRate: 0.001,
  extraOptions: ['beta1', 'beta2', 'epsilon'],
};

export class Adamax extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** lr / (1 − β1^t) for the current step, set by beginStep. */
  private step = 0;

  constructor(options: AdamaxOptions = {}) {
    super(options, SPEC);
    const o = options ?? {};
    this.beta1 = checkNumberIn(o.beta1 ?? 0.9, 0, 1, 'Adamax: beta1', { hiOpen: true });
    this.beta2 = checkNumberIn(o.beta2 ?? 0.999, 0, 1, 'Adamax: beta2');
    this.epsilon = checkNumberIn(o.epsilon ?? 1e-7, 0, Infinity, 'Adamax: epsilon', { loOpen: true });
  }

  static fromConfig(config: Record<string, unknown>): Adamax {
    return new Adamax(config as AdamaxOptions);
  }

  protected override slotNames(): readonly string[] {
    return ['momentum', 'norm'];
  }

  protected override beginStep(t: number): void {
    this.step = this.lr / (1 - Math.pow(this.beta1, t));
  }

  protected override updateRange(params: Float32Array, grads: Float32Array, lo: number, hi: number): void {
    const m = this.slots[0]!;
    const u = this.slots[1]!;
    const c1 = 1 - this.beta1;
    const b2 = this.beta2;
    const eps = this.epsilon;
    const a = this.step;
    for (let i = lo; i < hi; i++) {
      const g = grads[i]!;
      const mi = Math.fround(m[i]! + (g - m[i]!) * c1);
      const ui = Math.fround(Math.max(b2 * u[i]!, Math.abs(g)));
      m[i] = mi;
      u[i] = ui;
      params[i] = params[i]! - (a * mi) / (ui + eps);
    }
  }

  protected override ownConfig(): Record<string, unknown> {
    return { beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
}

/** Adamax with Keras 3 defaults: learningRate 0.001, beta1 0.9, beta2 0.999, epsilon 1e-7. */
export function adamax(options: AdamaxOptions | number = {}, ...rest: unknown[]): Adamax {
  return new Adamax(factoryOptions('adamax', options, rest));
}
