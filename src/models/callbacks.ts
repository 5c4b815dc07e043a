/**
 * Callbacks: objects with optional hooks that fit() calls (tfjs/Keras names). Hooks
 * may return a Promise, which fit awaits. `History` records the epoch logs; it is
 * what fit returns.
 */
import { ModelCheckpoint, type ModelCheckpointArgs } from './modelCheckpoint.js';
import type { Tensor } from '../core/tensor.js';
import { checkBoolean, checkOptions } from '../core/errors.js';
// Circular with trainingCallbacks.ts (it needs metricDirection): the factories below
// only touch these classes when called, so either module may load first.
import {
  TerminateOnNaN,
  ReduceLROnPlateau,
  LearningRateScheduler,
  CSVLogger,
  type TerminateOnNaNArgs,
  type ReduceLROnPlateauArgs,
  type LearningRateSchedulerArgs,
  type CSVLoggerArgs,
  type Schedule,
} from './trainingCallbacks.js';

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

export interface EarlyStoppingArgs {
  /** Default 'val_loss'. */
  monitor?: string;
  /** Smallest change that counts as an improvement. Default 0. */
  minDelta?: number;
  /** Epochs without improvement before stopping. Default 0. */
  patience?: number;
  /** Reserved for messages; the library prints nothing. Default 0. */
  verbose?: number;
  /** 'min', 'max' or 'auto' (from the monitor's name). Default 'auto'. */
  mode?: 'auto' | 'min' | 'max';
  /** Training stops unless the monitor beats this. Default none. */
  baseline?: number;
  /** Restore the weights of the best epoch at the end of training (Keras 3: even if it did not stop early). Default false. */
  restoreBestWeights?: boolean;
  /** Epochs to wait before monitoring starts. Default 0. */
  startFromEpoch?: number;
}

/** Whether larger is better for a metric key, or null when unknown. */
export function metricDirection(monitor: string): 'min' | 'max' | null {
  const name = monitor.startsWith('val_') ? monitor.slice(4) : monitor;
  if (name === 'loss' || name.endsWith('_loss') || ['mse', 'mae', 'meanSquaredError', 'meanAbsoluteError', 'mean_squared_error', 'mean_absolute_error'].includes(name)) return 'min';
  if (/acc/i.test(name)) return 'max';
  return null;
}

export class EarlyStopping implements Callback {
  readonly monitor: string;
  readonly minDelta: number;
  readonly patience: number;
  readonly mode: 'min' | 'max';
  readonly baseline: number | undefined;
  readonly restoreBestWeights: boolean;
  readonly startFromEpoch: number;
  /** The epoch at which training was stopped (0 if it was not). */
  stoppedEpoch = 0;
  bestEpoch = 0;
  best: number | undefined;
  private wait = 0;
  private bestWeights: Tensor[] | undefined;
  private model: TrainableModel | undefined;

  constructor(args: EarlyStoppingArgs = {}) {
    const where = 'earlyStopping';
    checkOptions(args, ['monitor', 'minDelta', 'patience', 'verbose', 'mode', 'baseline', 'restoreBestWeights', 'startFromEpoch'], where);
    this.monitor = args.monitor ?? 'val_loss';
    if (typeof this.monitor !== 'string') throw new TypeError(`${where}: monitor must be a string`);
    const num = (v: unknown, d: number, what: string, int = false): number => {
      if (v === undefined) return d;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (int && !Number.isInteger(v))) {
        throw new RangeError(`${where}: ${what} must be a non-negative ${int ? 'integer' : 'number'}, got ${JSON.stringify(v)}`);
      }
      return v;
    };
    if (args.minDelta !== undefined && (typeof args.minDelta !== 'number' || !Number.isFinite(args.minDelta))) {
      throw new RangeError(`${where}: minDelta must be a finite number, got ${JSON.stringify(args.minDelta)}`);
    }
    // Keras takes the magnitude: the sign comes from the mode.
    this.minDelta = Math.abs(args.minDelta ?? 0);
    this.patience = num(args.patience, 0, 'patience', true);
    num(args.verbose, 0, 'verbose', true);
    this.startFromEpoch = num(args.startFromEpoch, 0, 'startFromEpoch', true);
    if (args.baseline !== undefined && (typeof args.baseline !== 'number' || !Number.isFinite(args.baseline))) {
      throw new RangeError(`${where}: baseline must be a finite number, got ${JSON.stringify(args.baseline)}`);
    }
    this.baseline = args.baseline;
    this.restoreBestWeights = args.restoreBestWeights === undefined ? false : checkBoolean(args.restoreBestWeights, `${where}: restoreBestWeights`);
    const mode = args.mode ?? 'auto';
    if (mode !== 'auto' && mode !== 'min' && mode !== 'max') throw new RangeError(`${where}: mode must be 'auto', 'min' or 'max', got ${JSON.stringify(mode)}`);
    if (mode === 'auto') {
      const dir = metricDirection(this.monitor);
      if (dir === null) throw new RangeError(`${where}: cannot tell whether '${this.monitor}' should go up or down; pass mode 'min' or 'max'`);
      this.mode = dir;
    } else {
      this.mode = mode;
    }
  }

  setModel(model: TrainableModel): void {
    this.model = model;
  }

  onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.best = undefined;
    this.bestWeights = undefined;
    this.bestEpoch = 0;
  }

  private isImprovement(value: number, reference: number | undefined): boolean {
    if (reference === undefined) return true;
    return this.mode === 'min' ? value + this.minDelta < reference : value - this.minDelta > reference;
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    const current = logs[this.monitor];
    if (current === undefined) {
      throw new RangeError(
        `earlyStopping: monitor '${this.monitor}' is not in the epoch logs (available: ${Object.keys(logs).join(', ')})` +
          (this.monitor.startsWith('val_') ? '; pass validationSplit or validationData to fit' : ''),
      );
    }
    if (epoch < this.startFromEpoch) return;
    const model = this.model!;
    if (this.restoreBestWeights && this.bestWeights === undefined) this.bestWeights = model.getWeights();
    this.wait += 1;
    if (this.isImprovement(current, this.best)) {
      this.best = current;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) this.bestWeights = model.getWeights();
      if (this.baseline === undefined || this.isImprovement(current, this.baseline)) {
        this.wait = 0;
        return;
      }
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      model.stopTraining = true;
    }
  }

  onTrainEnd(): void {
    if (this.restoreBestWeights && this.bestWeights !== undefined) this.model!.setWeights(this.bestWeights);
  }
}

/** The `callbacks` namespace (tfjs spelling). */
export const callbacks = {
  earlyStopping: (args?: EarlyStoppingArgs): EarlyStopping => new EarlyStopping(args),
  /** Stop training (or throw, with raiseError) after a batch with a NaN or infinite loss. */
  terminateOnNaN: (args?: TerminateOnNaNArgs): TerminateOnNaN => new TerminateOnNaN(args),
  /** Multiply the learning rate by `factor` when the monitored value stops improving. */
  reduceLROnPlateau: (args?: ReduceLROnPlateauArgs): ReduceLROnPlateau => new ReduceLROnPlateau(args),
  /** Set the learning rate at the start of each epoch to schedule(epoch, lr). */
  learningRateScheduler: (schedule: Schedule, args?: LearningRateSchedulerArgs): LearningRateScheduler => new LearningRateScheduler(schedule, args),
  /** Stream the epoch logs to a CSV file (Node) or a write(text) sink. */
  csvLogger: (args: CSVLoggerArgs): CSVLogger => new CSVLogger(args),
  /** Save the model (atomically, with optimizer state) after each epoch or when the monitor improves. */
  modelCheckpoint: (args: ModelCheckpointArgs): ModelCheckpoint => new ModelCheckpoint(args),
};

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
