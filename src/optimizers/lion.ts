/**
 * Lion, Keras 3 rule (`keras/optimizers/lion.py`), per element:
 *   w ← w − lr·sign(β1·m + (1 − β1)·g)        (sign(0) = 0)
 *   m ← β2·m + (1 − β2)·g
 * Every step moves each weight by exactly lr (or 0), so Lion wants a learning rate 3–10×
 * smaller than Adam's. Keras refuses β1 outside (0, 1] (at 0 it is signSGD).
 */
import { checkNumberIn } from '../core/errors.js';
import { Optimizer, factoryOptions } from './optimizer.js';
import type { OptimizerOptions, OptimizerSpec } from './optimizer.js';

export interface LionOptions extends OptimizerOptions {
  /** Default 0.001. */
  learningRate?: OptimizerOptions['learningRate'];
  /** Weight of the momentum in the update's direction, in (0, 1]. Default 0.9. */
  beta1?: number;
  /** Decay of the momentum, in [0, 1]. Default 0.99. */
  beta2?: number;
}

const SPEC: OptimizerSpec = {
  className: 'Lion',
  defaultName: 'lion',
  defaultLearningRate: 0.001,
  extraOptions: ['beta1', 'beta2'],
};

export class Lion extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;

  constructor(options: LionOptions = {}) {
    super(options, SPEC);
    const o = options ?? {};
    this.beta1 = checkNumberIn(o.beta1 ?? 0.9, 0, 1, 'Lion: beta1', { loOpen: true });
    this.beta2 = checkNumberIn(o.beta2 ?? 0.99, 0, 1, 'Lion: beta2');
  }

  static fromConfig(config: Record<string, unknown>): Lion {
    return new Lion(config as LionOptions);
  }

  protected override slotNames(): readonly string[] {
    return ['momentum'];
  }

  protected override updateRange(params: Float32Array, grads: Float32Array, lo: number, hi: number): void {
    const m = this.slots[0]!;
    const b1 = this.beta1;
    const b2 = this.beta2;
    const lr = this.lr;
    for (let i = lo; i < hi; i++) {
      const g = grads[i]!;
      const d = Math.fround(m[i]! * b1 + g * (1 - b1));
      // Math.sign keeps NaN as NaN, like ops.sign.
      params[i] = params[i]! - lr * Math.sign(d);
      m[i] = m[i]! * b2 + g * (1 - b2);
    }
  }

  protected override ownConfig(): Record<string, unknown> {
    return { beta1: this.beta1, beta2: this.beta2 };
  }
}

/** Lion with Keras 3 defaults: learningRate 0.001, beta1 0.9, beta2 0.99. */
export function lion(options: LionOptions | number = {}, ...rest: unknown[]): Lion {
  return new Lion(factoryOptions('lion', options, rest));
}
