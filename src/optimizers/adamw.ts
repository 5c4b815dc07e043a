/**
 * AdamW, Keras 3 (`keras/optimizers/adamw.py`): the Adam rule plus decoupled weight decay
 * `w ← w − w·weightDecay·lr`, applied by the base class after clipping and before the Adam
 * update. Only the defaults differ from Adam: weightDecay 0.004.
 */
import { Adam } from './adam.js';
import type { AdamOptions } from './adam.js';
import type { OptimizerSpec } from './optimizer.js';
import { factoryOptions } from './optimizer.js';

export interface AdamWOptions extends AdamOptions {
  /** Decoupled weight decay, ≥ 0. Default 0.004. */
  weightDecay?: number;
}

const SPEC: OptimizerSpec = {
  className: 'AdamW',
  defaultName: 'adamw',
  defaultLearningRate: 0.001,
  defaultWeightDecay: 0.004,
  extraOptions: ['beta1', 'beta2', 'epsilon', 'amsgrad'],
};

export class AdamW extends Adam {
  constructor(options: AdamWOptions = {}) {
    super(options, SPEC);
  }

  static override fromConfig(config: Record<string, unknown>): AdamW {
    return new AdamW(config as AdamWOptions);
  }
}

/** AdamW with Keras 3 defaults: Adam's plus weightDecay 0.004. */
export function adamw(options: AdamWOptions | number = {}, ...rest: unknown[]): AdamW {
  return new AdamW(factoryOptions('adamw', options, rest));
}
