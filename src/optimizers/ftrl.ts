/**
 * FTRL-Proximal, Keras 3 rule (`keras/optimizers/ftrl.py`), per element with p the
 * learningRatePower (≤ 0), n the accumulator, z the linear term:
 *   λ2 = l2RegularizationStrength + β/(2·lr)
 *   ĝ = g + 2·l2ShrinkageRegularizationStrength·w
 *   n' = n + g²
 *   z ← z + ĝ − (n'^(−p) − n^(−p))/lr · w
 *   w ← (clip(z, −λ1, λ1) − z) / (n'^(−p)/lr + 2·λ2)
 *   n ← n'
 * (λ1 = l1RegularizationStrength). The rule divides by the learning rate, so a rate of 0 is
 * refused (also when a schedule reaches it) instead of writing Infinity into the weights.
 */
import { checkNumberIn } from '../core/errors.js';
import { Optimizer, factoryOptions } from './optimizer.js';
import type { OptimizerOptions, OptimizerSpec } from './optimizer.js';

export interface FtrlOptions extends OptimizerOptions {
  /** > 0 (the rule divides by it). Default 0.001. */
  learningRate?: OptimizerOptions['learningRate'];
  /** How the per-weight rate falls as n grows, ≤ 0 (0: a fixed rate). Default −0.5. */
  learningRatePower?: number;
  /** Starting value of the accumulator n, ≥ 0. Default 0.1. */
  initialAccumulatorValue?: number;
  /** λ1, ≥ 0: weights whose |z| stays below it are exactly 0. Default 0. */
  l1RegularizationStrength?: number;
  /** λ2, ≥ 0 (stabilization penalty). Default 0. */
  l2RegularizationStrength?: number;
  /** ≥ 0: an L2 penalty on the weights added to the gradient (magnitude penalty). Default 0. */
  l2ShrinkageRegularizationStrength?: number;
  /** β ≥ 0, added to λ2 as β/(2·lr). Default 0. */
  beta?: number;
}

const SPEC: OptimizerSpec = {
  className: 'Ftrl',
  defaultName: 'ftrl',
  defaultLearningRate: 0.001,
  positiveLearningRate: true,
  extraOptions: [
    'learningRatePower', 'initialAccumulatorValue', 'l1RegularizationStrength', 'l2RegularizationStrength',
    'l2ShrinkageRegularizationStrength', 'beta',
  ],
};

export class Ftrl extends Optimizer {
  readonly learningRatePower: number;
  readonly initialAccumulatorValue: number;
  readonly l1RegularizationStrength: number;
  readonly l2RegularizationStrength: number;
  readonly l2ShrinkageRegularizationStrength: number;
  readonly beta: number;

  constructor(options: FtrlOptions = {}) {
    super(options, SPEC);
    const o = options ?? {};
    const nonNegative = (v: number | undefined, key: string) => checkNumberIn(v ?? 0, 0, Infinity, `Ftrl: ${key}`);
    this.learningRatePower = checkNumberIn(o.learningRatePower ?? -0.5, -Infinity, 0, 'Ftrl: learningRatePower');
    this.initialAccumulatorValue = checkNumberIn(o.initialAccumulatorValue ?? 0.1, 0, Infinity, 'Ftrl: initialAccumulatorValue');
    this.l1RegularizationStrength = nonNegative(o.l1RegularizationStrength, 'l1RegularizationStrength');
    this.l2RegularizationStrength = nonNegative(o.l2RegularizationStrength, 'l2RegularizationStrength');
    this.l2ShrinkageRegularizationStrength = nonNegative(o.l2ShrinkageRegularizationStrength, 'l2ShrinkageRegularizationStrength');
    this.beta = nonNegative(o.beta, 'beta');
  }

  static fromConfig(config: Record<string, unknown>): Ftrl {
    return new Ftrl(config as FtrlOptions);
  }

  protected override slotNames(): readonly string[] {
    return ['accumulator', 'linear'];
  }

  protected override slotInitialValue(slot: string): number {
    return slot === 'accumulator' ? this.initialAccumulatorValue : 0;
  }

  /**
   * [lr, −p, λ1, λ2 + β/(2·lr), 2·shrinkage] for the current step, set by beginStep. Read from
   * a Float64Array in the loop: scalars read from fields that hold small integers (a strength
   * of 0) made V8 box a number per call where they meet doubles.
   */
  private readonly k = new Float64Array(5);

  protected override beginStep(): void {
    const k = this.k;
    k[0] = this.lr;
    k[1] = -this.learningRatePower;
    k[2] = this.l1RegularizationStrength;
    k[3] = this.l2RegularizationStrength + this.beta / (2 * this.lr);
    k[4] = 2 * this.l2ShrinkageRegularizationStrength;
  }

  protected override updateRange(params: Float32Array, grads: Float32Array, lo: number, hi: number): void {
    const n = this.slots[0]!;
    const z = this.slots[1]!;
    const k = this.k;
    const lr = k[0]!;
    const q = k[1]!;
    const l1 = k[2]!;
    const lo1 = -l1;
    const l2 = k[3]!;
    const shrink = k[4]!;
    for (let i = lo; i < hi; i++) {
      const g = grads[i]!;
      const w = params[i]!;
      const nNew = Math.fround(n[i]! + g * g);
      const pNew = Math.pow(nNew, q);
      const zi = Math.fround(z[i]! + (g + shrink * w) - ((pNew - Math.pow(n[i]!, q)) / lr) * w);
      z[i] = zi;
      const clipped = zi > l1 ? l1 : zi < lo1 ? lo1 : zi;
      params[i] = (clipped - zi) / (pNew / lr + 2 * l2);
      n[i] = nNew;
    }
  }

  protected override ownConfig(): Record<string, unknown> {
    return {
      learningRatePower: this.learningRatePower,
      initialAccumulatorValue: this.initialAccumulatorValue,
      l1RegularizationStrength: this.l1RegularizationStrength,
      l2RegularizationStrength: this.l2RegularizationStrength,
      l2ShrinkageRegularizationStrength: this.l2ShrinkageRegularizationStrength,
      beta: this.beta,
    };
  }
}

/**
 * Ftrl with Keras 3 defaults: learningRate 0.001, learningRatePower −0.5,
 * initialAccumulatorValue 0.1, every regularization strength 0, beta 0.
 */
export function ftrl(options: FtrlOptions | number = {}, ...rest: unknown[]): Ftrl {
  return new Ftrl(factoryOptions('ftrl', options, rest));
}
