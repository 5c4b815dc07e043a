/**
 * What every callback shares: the hook interface fit() calls (tfjs/Keras names), the
 * logs, History (what fit returns), and Monitor — the one reading of a monitored log
 * value (which key, which direction, what counts as an improvement) that EarlyStopping,
 * ReduceLROnPlateau and ModelCheckpoint use. Hooks may return a Promise, which fit
 * awaits. The callbacks themselves live in their own modules, which import only this
 * one; callbacks.ts gathers them into the `callbacks` namespace.
 */
import { show } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';

/** Metric values by Keras key: loss, accuracy, val_loss, … */
export type Logs = Record<string, number>;

/** What callbacks may read and change on the model being trained. */
export interface TrainableModel {
  stopTraining: boolean;
  getWeights(): Tensor[];
  setWeights(weights: readonly Tensor[]): void;
}

export interface FitParams {
  epochs: number;
  initialEpoch: number;
  steps: number;
  samples: number;
  batchSize: number;
  verbose: number;
}

export interface Callback {
  setModel?(model: TrainableModel): void;
  setParams?(params: FitParams): void;
  onTrainBegin?(logs: Logs): void | Promise<void>;
  onTrainEnd?(logs: Logs): void | Promise<void>;
  onEpochBegin?(epoch: number, logs: Logs): void | Promise<void>;
  onEpochEnd?(epoch: number, logs: Logs): void | Promise<void>;
  onBatchBegin?(batch: number, logs: Logs): void | Promise<void>;
  onBatchEnd?(batch: number, logs: Logs): void | Promise<void>;
}

/** The record of a fit: `history.history.loss[e]` is the loss of epoch e. */
export class History implements Callback {
  readonly epoch: number[] = [];
  readonly history: Record<string, number[]> = {};
  params: FitParams | undefined;

  setParams(params: FitParams): void {
    this.params = params;
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    this.epoch.push(epoch);
    for (const [k, v] of Object.entries(logs)) (this.history[k] ??= []).push(v);
  }
}

/** Whether larger is better for a metric key, or null when unknown. */
export function metricDirection(monitor: string): 'min' | 'max' | null {
  const name = monitor.startsWith('val_') ? monitor.slice(4) : monitor;
  if (name === 'loss' || name.endsWith('_loss') || ['mse', 'mae', 'meanSquaredError', 'meanAbsoluteError', 'mean_squared_error', 'mean_absolute_error'].includes(name)) return 'min';
  // the other error metrics' names (Keras direction 'down'; tfjs's cosine proximity is a negated similarity)
  if (/^(mse|mae|mape|msle|logcosh|cosine|bce)$|mean_?(squared|absolute)|root_?mean_?squared|logarithmic_?error|log_?cosh|cosine_?proximity|crossentropy|kl_?divergence|poisson|hinge/i.test(name)) return 'min';
  if (/acc/i.test(name)) return 'max';
  // Keras's Precision, Recall, AUC, F-scores, R2Score and CosineSimilarity have direction 'up'
  if (/precision|recall|auc|f1_?score|fbeta_?score|r2_?score|cosine_?similarity/i.test(name)) return 'max';
  return null;
}

/** A callback option: a non-negative number (an integer with `int`), or the default when not given. */
export function nonNegative(v: unknown, d: number, what: string, int = false): number {
  if (v === undefined) return d;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (int && !Number.isInteger(v))) {
    throw new RangeError(`${what} must be a non-negative ${int ? 'integer' : 'number'}, got ${show(v)}`);
  }
  return v;
}

/**
 * A monitored log value: its key, its direction ('min' or 'max'; 'auto' asks
 * metricDirection) and the smallest change that counts as an improvement.
 */
export class Monitor {
  readonly key: string;
  readonly mode: 'min' | 'max';
  readonly minDelta: number;

  constructor(
    private readonly where: string,
    key: unknown,
    mode: unknown,
    minDelta: unknown = 0,
  ) {
    if (typeof key !== 'string') throw new TypeError(`${where}: monitor must be a string, got ${show(key)}`);
    this.key = key;
    if (minDelta !== undefined && (typeof minDelta !== 'number' || !Number.isFinite(minDelta))) {
      throw new RangeError(`${where}: minDelta must be a finite number, got ${show(minDelta)}`);
    }
    // Keras takes the magnitude: the sign comes from the mode.
    this.minDelta = Math.abs((minDelta as number | undefined) ?? 0);
    const m = mode ?? 'auto';
    if (m !== 'auto' && m !== 'min' && m !== 'max') throw new RangeError(`${where}: mode must be 'auto', 'min' or 'max', got ${show(m)}`);
    const dir = m === 'auto' ? metricDirection(key) : m;
    if (dir === null) throw new RangeError(`${where}: cannot tell whether '${key}' should go up or down; pass mode 'min' or 'max'`);
    this.mode = dir;
  }

  /** The monitored value in an epoch's logs; an error naming the keys there when it is missing. */
  read(logs: Logs): number {
    const v = logs[this.key];
    if (v === undefined) throw new RangeError(`${this.where}: ${missingKeyMessage(this.key, Object.keys(logs))}`);
    return v;
  }

  /** Whether value beats reference by more than minDelta (anything beats no reference). */
  improves(value: number, reference: number | undefined): boolean {
    if (reference === undefined) return true;
    return this.mode === 'min' ? value + this.minDelta < reference : value - this.minDelta > reference;
  }

  /** The reference nothing is worse than (+∞ for 'min'), so NaN never improves on it. */
  get worst(): number {
    return this.mode === 'min' ? Infinity : -Infinity;
  }
}

/**
 * Why a monitored key is not in the logs: the name is wrong (val_acc for val_accuracy), or
 * validation is missing (val_loss without validation data), or both — say which, listing
 * the logged keys.
 */
export function missingKeyMessage(key: string, keys: readonly string[]): string {
  const near = (k: string): string | undefined => {
    const lower = k.toLowerCase();
    return keys.find((x) => x.toLowerCase() === lower) ?? keys.find((x) => x.startsWith(k) || (k.startsWith(x) && x.length > 0)) ?? keys.find((x) => x.toLowerCase().startsWith(lower));
  };
  const validating = keys.some((k) => k.startsWith('val_'));
  let hint = '';
  if (key.startsWith('val_') && !validating) {
    // No validation ran: is the rest of the name a logged key?
    const base = key.slice(4);
    const b = keys.includes(base) ? base : near(base);
    hint = `; pass validationSplit or validationData to fit (without validation no val_ key is logged)${b === undefined || b === base ? '' : `, and monitor 'val_${b}': the metric is logged as '${b}'`}`;
  } else {
    const n = near(key);
    if (n !== undefined) hint = `; did you mean '${n}'?`;
  }
  return `monitor '${key}' is not in the epoch logs (available: ${keys.join(', ') || 'none'})${hint}`;
}

/** Run a hook on every callback, awaiting only the ones that return a Promise. */
export async function runHooks(cbs: readonly Callback[], hook: (cb: Callback) => void | Promise<void>): Promise<void> {
  for (const cb of cbs) {
    const r = hook(cb);
    if (r !== undefined) await r;
  }
}

export function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { setImmediate?: (f: () => void) => void };
  return new Promise((resolve) => (g.setImmediate !== undefined ? g.setImmediate(resolve) : setTimeout(resolve, 0)));
}
