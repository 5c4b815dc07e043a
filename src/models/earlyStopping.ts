/**
 * EarlyStopping (Keras 3): stop fit when the monitored value stops improving.
 */
import type { Tensor } from '../core/tensor.js';
import { checkBoolean, checkOptions, show } from '../core/errors.js';
import { Monitor, nonNegative, type Callback, type Logs, type TrainableModel } from './callback.js';

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
  private readonly watch: Monitor;

  constructor(args: EarlyStoppingArgs = {}) {
    const where = 'earlyStopping';
    checkOptions(args, ['monitor', 'minDelta', 'patience', 'verbose', 'mode', 'baseline', 'restoreBestWeights', 'startFromEpoch'], where);
    this.watch = new Monitor(where, args.monitor ?? 'val_loss', args.mode, args.minDelta);
    this.monitor = this.watch.key;
    this.mode = this.watch.mode;
    this.minDelta = this.watch.minDelta;
    this.patience = nonNegative(args.patience, 0, `${where}: patience`, true);
    nonNegative(args.verbose, 0, `${where}: verbose`, true);
    this.startFromEpoch = nonNegative(args.startFromEpoch, 0, `${where}: startFromEpoch`, true);
    if (args.baseline !== undefined && (typeof args.baseline !== 'number' || !Number.isFinite(args.baseline))) {
      throw new RangeError(`${where}: baseline must be a finite number, got ${show(args.baseline)}`);
    }
    this.baseline = args.baseline;
    this.restoreBestWeights = args.restoreBestWeights === undefined ? false : checkBoolean(args.restoreBestWeights, `${where}: restoreBestWeights`);
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

  onEpochEnd(epoch: number, logs: Logs): void {
    const current = this.watch.read(logs);
    if (epoch < this.startFromEpoch) return;
    const model = this.model!;
    if (this.restoreBestWeights && this.bestWeights === undefined) this.bestWeights = model.getWeights();
    this.wait += 1;
    if (this.watch.improves(current, this.best)) {
      this.best = current;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) this.bestWeights = model.getWeights();
      if (this.baseline === undefined || this.watch.improves(current, this.baseline)) {
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
