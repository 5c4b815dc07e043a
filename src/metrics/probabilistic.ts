/**
 * Metrics that are a loss function averaged over every sample seen (Keras 3
 * `MeanMetricWrapper` over the loss functions, `metrics/probabilistic_metrics.py` and
 * `hinge_metrics.py`): BinaryCrossentropy, CategoricalCrossentropy,
 * SparseCategoricalCrossentropy, KLDivergence, Poisson, Hinge, SquaredHinge,
 * CategoricalHinge. Each wraps rnnkit's own loss (src/losses, the same Keras formulas)
 * built with reduction 'sum', so one update adds Σ w·ℓ(row) to the total and Σ w to the
 * count: the result is the weighted mean of the per-sample losses since `reset`.
 *
 * SparseCategoricalCrossentropy's ignoreClass follows Keras exactly, quirk included:
 * rows labelled ignoreClass add 0 to the total; they leave the count only when weights
 * are given (a sample weight or a mask: Keras applies the loss's mask to sample_weight
 * only when there is one). Keras's test_ignore_class (0.78462, no weights) and
 * test_ignore_class_weighted (1.33775) pin both down.
 *
 * Layout: yPred [rows, cols]; yTrue [rows, cols], or [rows] class indices for the sparse
 * one; weights per row (a row of weight 0 is skipped).
 */
import { checkOptions } from '../core/errors.js';
import { losses, type Loss } from '../losses/index.js';
import { requireDenseTargets } from './accuracy.js';
import { Metric, checkMetricName } from './metric.js';
import type { BaseMetricOptions, MetricConfig, MetricContext } from './metric.js';

export interface BinaryCrossentropyMetricOptions extends BaseMetricOptions {
  /** Predictions are logits, not probabilities. Default false. */
  fromLogits?: boolean;
  /** Targets squeezed towards 0.5 by this much, in [0, 1]. Default 0. */
  labelSmoothing?: number;
}
export interface CategoricalCrossentropyMetricOptions extends BinaryCrossentropyMetricOptions {
  /** Keras `axis`: only −1, the last axis. */
  axis?: number;
}
export interface SparseCategoricalCrossentropyMetricOptions extends BaseMetricOptions {
  fromLogits?: boolean;
  /** A label left out of the metric (see the header for how Keras counts it). Default null. */
  ignoreClass?: number | null;
  /** Keras `axis`: only −1, the last axis. */
  axis?: number;
}
export type KLDivergenceMetricOptions = BaseMetricOptions;
export type PoissonMetricOptions = BaseMetricOptions;
export type HingeMetricOptions = BaseMetricOptions;
export type SquaredHingeMetricOptions = BaseMetricOptions;
export type CategoricalHingeMetricOptions = BaseMetricOptions;

/** The weighted mean of a loss's per-sample values over every update since reset. */
export class LossMetric extends Metric {
  readonly className: string;
  /** The wrapped loss, reduction 'sum'. */
  readonly loss: Loss;
  private readonly lossOptions: MetricConfig;
  private readonly out = new Float64Array(1);
  /** ignoreClass as a float (NaN when none: no label equals it). */
  private readonly ignore: number;

  constructor(
    className: string,
    fallbackName: string,
    options: BaseMetricOptions & Record<string, unknown>,
    lossKeys: readonly string[],
    make: (o: Record<string, unknown>) => Loss,
  ) {
    checkOptions(options, ['name', ...lossKeys], className);
    super(checkMetricName(options.name, fallbackName, className));
    this.className = className;
    const lossOptions: Record<string, unknown> = {};
    for (const k of lossKeys) if (options[k] !== undefined) lossOptions[k] = options[k];
    this.loss = make({ ...lossOptions, reduction: 'sum' });
    this.lossOptions = lossOptions as MetricConfig;
    const ic = options.ignoreClass;
    this.ignore = typeof ic === 'number' ? ic : Number.NaN;
  }

  update(
    yPred: Float32Array,
    yTrue: Float32Array,
    rows: number,
    cols: number,
    sparseTargets: boolean,
    weights: Float32Array | null = null,
  ): void {
    if (this.loss.sparse ? !sparseTargets && cols !== 1 : sparseTargets && cols !== 1) this.validate({ predWidth: cols, sparseTargets });
    this.loss.computeInto(this.out, yPred, yTrue, null, rows, cols, weights);
    this.total += this.out[0]!;
    if (weights === null) {
      this.count += rows;
      return;
    }
    const ign = this.ignore;
    let wsum = 0;
    for (let r = 0; r < rows; r++) if (yTrue[r] !== ign) wsum += weights[r]!;
    this.count += wsum;
  }

  override validate(ctx: MetricContext): void {
    if (this.loss.sparse) {
      if (!ctx.sparseTargets && ctx.predWidth !== 1) {
        throw new RangeError(
          `metric '${this.name}' (${this.className}) needs integer class-index targets, ` +
            `but the targets are [*, ${ctx.predWidth}]; use 'categorical_crossentropy' for one-hot targets`,
        );
      }
    } else {
      requireDenseTargets(this, ctx);
    }
  }

  override getConfig(): MetricConfig {
    return { ...super.getConfig(), ...this.lossOptions };
  }
}

export function binaryCrossentropyMetric(options: BinaryCrossentropyMetricOptions = {}): LossMetric {
  return new LossMetric('BinaryCrossentropy', 'binary_crossentropy', options as Record<string, unknown>, ['fromLogits', 'labelSmoothing'], (o) => losses.binaryCrossentropy(o));
}

export function categoricalCrossentropyMetric(options: CategoricalCrossentropyMetricOptions = {}): LossMetric {
  return new LossMetric('CategoricalCrossentropy', 'categorical_crossentropy', options as Record<string, unknown>, ['fromLogits', 'labelSmoothing', 'axis'], (o) =>
    losses.categoricalCrossentropy(o),
  );
}

export function sparseCategoricalCrossentropyMetric(options: SparseCategoricalCrossentropyMetricOptions = {}): LossMetric {
  return new LossMetric('SparseCategoricalCrossentropy', 'sparse_categorical_crossentropy', options as Record<string, unknown>, ['fromLogits', 'ignoreClass', 'axis'], (o) =>
    losses.sparseCategoricalCrossentropy(o),
  );
}

export function klDivergenceMetric(options: KLDivergenceMetricOptions = {}): LossMetric {
  return new LossMetric('KLDivergence', 'kl_divergence', options as Record<string, unknown>, [], (o) => losses.kullbackLeiblerDivergence(o));
}

export function poissonMetric(options: PoissonMetricOptions = {}): LossMetric {
  return new LossMetric('Poisson', 'poisson', options as Record<string, unknown>, [], (o) => losses.poisson(o));
}

export function hingeMetric(options: HingeMetricOptions = {}): LossMetric {
  return new LossMetric('Hinge', 'hinge', options as Record<string, unknown>, [], (o) => losses.hinge(o));
}

export function squaredHingeMetric(options: SquaredHingeMetricOptions = {}): LossMetric {
  return new LossMetric('SquaredHinge', 'squared_hinge', options as Record<string, unknown>, [], (o) => losses.squaredHinge(o));
}

export function categoricalHingeMetric(options: CategoricalHingeMetricOptions = {}): LossMetric {
  return new LossMetric('CategoricalHinge', 'categorical_hinge', options as Record<string, unknown>, [], (o) => losses.categoricalHinge(o));
}
