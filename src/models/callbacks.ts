/**
 * The `callbacks` namespace (tfjs spelling) over every callback rnnkit has; the hook
 * interface, History and Monitor are in callback.ts.
 */
import { EarlyStopping, type EarlyStoppingArgs } from './earlyStopping.js';
import { ModelCheckpoint, type ModelCheckpointArgs } from './modelCheckpoint.js';
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

export { History, Monitor, metricDirection, runHooks, yieldToEventLoop, type Callback, type FitParams, type Logs, type TrainableModel } from './callback.js';
export { EarlyStopping, type EarlyStoppingArgs } from './earlyStopping.js';

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

