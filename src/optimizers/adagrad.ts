/**
 * Adagrad, Keras 3 rule (`keras/optimizers/adagrad.py`), per element:
 *   a ← a + g²;  w ← w − lr·g/√(a + ε)
 * The accumulator starts at initialAccumulatorValue (not 0), which bounds the first steps.
 */
import { checkNumberIn } from '../core/errors.js';
import { Optimizer, factoryOptions } from './optimizer.js';
import type { OptimizerOptions, OptimizerSpec } from './optimizer.js';

export interface AdagradOptions extends OptimizerOptions {
  /** Default 0.001. */
  learningRate?: OptimizerOptions['learningRate'];
  /** Starting value of the accumulator, ≥ 0. Default 0.1. */
  initialAccumulatorValue?: number;
  /** Added inside the sqrt, > 0. Default 1e-7. */
  epsilon?: number;
}

const SPEC: OptimizerSpec = {
  className: 'Adagrad',
  defaultName: 'adagrad',
  defaultLearningRate: 0.001,
  extraOptions: ['initialAccumulatorValue', 'epsilon'],
};

export class Adagrad extends Optimizer {
  readonly initialAccumulatorValue: number;
  readonly epsilon: number;

  constructor(options: AdagradOptions = {}) {
    super(options, SPEC);
    const o = options ?? {};
    this.initialAccumulatorValue = checkNumberIn(o.initialAccumulatorValue ?? 0.1, 0, Infinity, 'Adagrad: initialAccumulatorValue');
    this.epsilon = checkNumberIn(o.epsilon ?? 1e-7, 0, Infinity, 'Adagrad: epsilon', { loOpen: true });
  }

  static fromConfig(config: Record<string, unknown>): Adagrad {
    return new Adagrad(config as AdagradOptions);
  }

  protected override slotNames(): readonly string[] {
    return ['accumulator'];
  }

  protected override slotInitialValue(): number {
    return this.initialAccumulatorValue;
  }

  protected override updateRange(params: Float32Array, grads: Float32Array, lo: number, hi: number): void {
    const lr = this.lr;
    const acc = this.slots[0]!;
    const eps = this.epsilon;
    for (let i = lo; i < hi; i++) {
      const g = grads[i]!;
      const ai = Math.fround(acc[i]! + g * g);
      acc[i] = ai;
      params[i] = params[i]! - (lr * g) / Math.sqrt(ai + eps);
    }
  }

  protected override ownConfig(): Record<string, unknown> {
    return { initialAccumulatorValue: this.initialAccumulatorValue, epsilon: this.epsilon };
  }
}

/** Adagrad with Keras 3 defaults: learningRate 0.001, initialAccumulatorValue 0.1, epsilon 1e-7. */
export function adagrad(options: AdagradOptions | number = {}, ...rest: unknown[]): Adagrad {
  return new Adagrad(factoryOptions('adagrad', options, rest));
}
