/**
 * SGD, Keras 3 rule (`keras/optimizers/sgd.py`), per element:
 *   momentum 0:  w ← w − lr·g
 *   momentum μ:  m ← μ·m − lr·g;  w ← w + m
 *   nesterov:    m ← μ·m − lr·g;  w ← w + μ·m − lr·g   (with the new m)
 * The momentum slot exists only when μ ≠ 0, as in Keras (it also sets the state size).
 */
import { checkBoolean, checkNumberIn } from '../core/errors.js';
import { Optimizer, factoryOptions } from './optimizer.js';
import type { OptimizerOptions, OptimizerSpec } from './optimizer.js';

export interface SGDOptions extends OptimizerOptions {
  /** Default 0.01. */
  learningRate?: OptimizerOptions['learningRate'];
  /** Momentum μ in [0, 1]. Default 0. */
  momentum?: number;
  /** Nesterov momentum. Default false. */
  nesterov?: boolean;
}

const SPEC: OptimizerSpec = {
  className: 'SGD',
  defaultName: 'SGD',
  defaultLearningRate: 0.01,
  extraOptions: ['momentum', 'nesterov'],
};

export class SGD extends Optimizer {
  readonly momentum: number;
  readonly nesterov: boolean;

  constructor(options: SGDOptions = {}) {
    super(options, SPEC);
    const o = options ?? {};
    this.momentum = checkNumberIn(o.momentum ?? 0, 0, 1, 'SGD: momentum');
    this.nesterov = checkBoolean(o.nesterov ?? false, 'SGD: nesterov');
  }

  static fromConfig(config: Record<string, unknown>): SGD {
    return new SGD(config as SGDOptions);
  }

  protected override slotNames(): readonly string[] {
    return this.momentum !== 0 ? ['momentum'] : [];
  }

  protected override updateRange(params: Float32Array, grads: Float32Array, lo: number, hi: number): void {
    const lr = this.lr;
    const mu = this.momentum;
    if (mu === 0) {
      for (let i = lo; i < hi; i++) params[i] = params[i]! - grads[i]! * lr;
      return;
    }
    const m = this.slots[0]!;
    if (this.nesterov) {
      for (let i = lo; i < hi; i++) {
        const g = grads[i]!;
        const mi = Math.fround(m[i]! * mu - g * lr);
        m[i] = mi;
        params[i] = params[i]! + (mi * mu - g * lr);
      }
    } else {
      for (let i = lo; i < hi; i++) {
        const mi = Math.fround(m[i]! * mu - grads[i]! * lr);
        m[i] = mi;
        params[i] = params[i]! + mi;
      }
    }
  }

  protected override ownConfig(): Record<string, unknown> {
    return { momentum: this.momentum, nesterov: this.nesterov };
  }
}

/** SGD with Keras 3 defaults: learningRate 0.01, momentum 0, nesterov false. */
export function sgd(options: SGDOptions | number = {}, ...rest: unknown[]): SGD {
  return new SGD(factoryOptions('sgd', options, rest));
}
