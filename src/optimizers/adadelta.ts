/**
 * Adadelta, Keras 3 rule (`keras/optimizers/adadelta.py`), per element:
 *   A ← ρ·A + (1 − ρ)·g²
 *   δ = −√(D + ε)·g / √(A + ε)
 *   D ← ρ·D + (1 − ρ)·δ²
 *   w ← w + lr·δ
 * Keras 3's default learning rate is 0.001 (the paper, Keras 2 and tfjs use 1.0).
 */
import { checkNumberIn } from '../core/errors.js';
import { Optimizer, factoryOptions } from './optimizer.js';
import type { OptimizerOptions, OptimizerSpec } from './optimizer.js';

export interface AdadeltaOptions extends OptimizerOptions {
  /** Default 0.001. */
  learningRate?: OptimizerOptions['learningRate'];
  /** Decay of both running averages, in [0, 1]. Default 0.95. */
  rho?: number;
  /** Added inside both square roots, > 0. Default 1e-7. */
  epsilon?: number;
}

const SPEC: OptimizerSpec = {
  className: 'Adadelta',
  defaultName: 'adadelta',
  defaultLearningRate: 0.001,
  extraOptions: ['rho', 'epsilon'],
};

export class Adadelta extends Optimizer {
  readonly rho: number;
  readonly epsilon: number;

  constructor(options: AdadeltaOptions = {}) {
    super(options, SPEC);
    const o = options ?? {};
    this.rho = checkNumberIn(o.rho ?? 0.95, 0, 1, 'Adadelta: rho');
    this.epsilon = checkNumberIn(o.epsilon ?? 1e-7, 0, Infinity, 'Adadelta: epsilon', { loOpen: true });
  }

  static fromConfig(config: Record<string, unknown>): Adadelta {
    return new Adadelta(config as AdadeltaOptions);
  }

  protected override slotNames(): readonly string[] {
    return ['accumulatedGrad', 'accumulatedDeltaVar'];
  }

  protected override updateRange(params: Float32Array, grads: Float32Array, lo: number, hi: number): void {
    const a = this.slots[0]!;
    const d = this.slots[1]!;
    const rho = this.rho;
    const c = 1 - rho;
    const eps = this.epsilon;
    const lr = this.lr;
    for (let i = lo; i < hi; i++) {
      const g = grads[i]!;
      const ai = Math.fround(rho * a[i]! + c * g * g);
      a[i] = ai;
      const delta = -(Math.sqrt(d[i]! + eps) * g) / Math.sqrt(ai + eps);
      d[i] = rho * d[i]! + c * delta * delta;
      params[i] = params[i]! + lr * delta;
    }
  }

  protected override ownConfig(): Record<string, unknown> {
    return { rho: this.rho, epsilon: this.epsilon };
  }
}

/** Adadelta with Keras 3 defaults: learningRate 0.001, rho 0.95, epsilon 1e-7. */
export function adadelta(options: AdadeltaOptions | number = {}, ...rest: unknown[]): Adadelta {
  return new Adadelta(factoryOptions('adadelta', options, rest));
}
