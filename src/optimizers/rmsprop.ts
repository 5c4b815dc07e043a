/**
 * RMSprop, Keras 3 rule (`keras/optimizers/rmsprop.py`), per element:
 *   v ← ρ·v + (1 − ρ)·g²
 *   centered: ḡ ← ρ·ḡ + (1 − ρ)·g;  denom = v − ḡ² + ε    else denom = v + ε
 *   inc = lr·g/√denom                      (ε inside the sqrt, unlike PyTorch)
 *   momentum μ > 0: m ← μ·m + inc; w ← w − m      else w ← w − inc
 * Slots exist only for the features in use: velocity, then momentum, then averageGradient.
 */
import { checkBoolean, checkNumberIn } from '../core/errors.js';
import { Optimizer, factoryOptions } from './optimizer.js';
import type { OptimizerOptions, OptimizerSpec } from './optimizer.js';

export interface RMSpropOptions extends OptimizerOptions {
  /** Default 0.001. */
  learningRate?: OptimizerOptions['learningRate'];
  /** Decay of the squared-gradient average, in [0, 1]. Default 0.9. */
  rho?: number;
  /** Momentum μ in [0, 1]. Default 0. */
  momentum?: number;
  /** Added inside the sqrt, > 0. Default 1e-7. */
  epsilon?: number;
  /** Normalize by the variance estimate v − ḡ² instead of v. Default false. */
  centered?: boolean;
}

const SPEC: OptimizerSpec = {
  className: 'RMSprop',
  defaultName: 'rmsprop',
  defaultLearningRate: 0.001,
  extraOptions: ['rho', 'momentum', 'epsilon', 'centered'],
};

export class RMSprop extends Optimizer {
  readonly rho: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly centered: boolean;

  constructor(options: RMSpropOptions = {}) {
    super(options, SPEC);
    const o = options ?? {};
    this.rho = checkNumberIn(o.rho ?? 0.9, 0, 1, 'RMSprop: rho');
    this.momentum = checkNumberIn(o.momentum ?? 0, 0, 1, 'RMSprop: momentum');
    this.epsilon = checkNumberIn(o.epsilon ?? 1e-7, 0, Infinity, 'RMSprop: epsilon', { loOpen: true });
    this.centered = checkBoolean(o.centered ?? false, 'RMSprop: centered');
  }

  static fromConfig(config: Record<string, unknown>): RMSprop {
    return new RMSprop(config as RMSpropOptions);
  }

  protected override slotNames(): readonly string[] {
    const names = ['velocity'];
    if (this.momentum > 0) names.push('momentum');
    if (this.centered) names.push('averageGradient');
    return names;
  }

  protected override updateRange(params: Float32Array, grads: Float32Array, lo: number, hi: number): void {
    const lr = this.lr;
    const rho = this.rho;
    const c = 1 - rho;
    const eps = this.epsilon;
    const mu = this.momentum;
    const v = this.slots[0]!;
    const m = mu > 0 ? this.slots[1]! : null;
    const a = this.centered ? this.slots[mu > 0 ? 2 : 1]! : null;
    for (let i = lo; i < hi; i++) {
      const g = grads[i]!;
      const vi = Math.fround(rho * v[i]! + c * g * g);
      v[i] = vi;
      let denom: number;
      if (a !== null) {
        const ai = Math.fround(rho * a[i]! + c * g);
        a[i] = ai;
        denom = vi - ai * ai + eps;
      } else {
        denom = vi + eps;
      }
      const inc = (lr * g) / Math.sqrt(denom);
      if (m !== null) {
        const mi = Math.fround(mu * m[i]! + inc);
        m[i] = mi;
        params[i] = params[i]! - mi;
      } else {
        params[i] = params[i]! - inc;
      }
    }
  }

  protected override ownConfig(): Record<string, unknown> {
    return { rho: this.rho, momentum: this.momentum, epsilon: this.epsilon, centered: this.centered };
  }
}

/** RMSprop with Keras 3 defaults: learningRate 0.001, rho 0.9, momentum 0, epsilon 1e-7, centered false. */
export function rmsprop(options: RMSpropOptions | number = {}, ...rest: unknown[]): RMSprop {
  return new RMSprop(factoryOptions('rmsprop', options, rest));
}
