/**
 * Training-control callbacks with Keras 3 behaviour and tfjs-style camelCase names:
 * TerminateOnNaN, ReduceLROnPlateau, LearningRateScheduler and CSVLogger.
 *
 * The library prints nothing: where Keras prints a message (verbose > 0, or
 * TerminateOnNaN's "Invalid loss"), the option is accepted and validated but silent.
 * The learning-rate callbacks change `model.optimizer.learningRate` and write the
 * current rate into the epoch logs as `learning_rate`, as Keras does.
 *
 * CSVLogger writes to a file in Node (loading `node:fs/promises` only when training
 * starts, so this module stays browser-safe) or to any `write(text)` sink.
 */
import { checkBoolean, checkOptions, show } from '../core/errors.js';
import { Monitor, nonNegative, type Callback, type Logs, type TrainableModel } from './callback.js';

interface LrOptimizer {
  learningRate: number;
}

/** The model's optimizer, which must have a numeric, settable learningRate. */
function optimizerOf(model: TrainableModel | undefined, where: string): LrOptimizer {
  if (model === undefined) throw new Error(`${where}: not attached to a model; pass the callback in fit's callbacks`);
  const opt = (model as unknown as { optimizer?: unknown }).optimizer;
  if (opt === undefined || opt === null || typeof opt !== 'object' || typeof (opt as { learningRate?: unknown }).learningRate !== 'number') {
    throw new Error(`${where}: the model has no optimizer with a numeric learningRate; compile the model before fit`);
  }
  // A schedule sets the rate itself and refuses a number (Keras too, but only mid-fit): say so before fit starts.
  const schedule = (opt as { learningRateSchedule?: { className?: string } | null }).learningRateSchedule;
  if (schedule !== undefined && schedule !== null) {
    throw new Error(`${where}: the optimizer's learning rate comes from a schedule (${schedule.className ?? 'LearningRateSchedule'}), which this callback cannot change; use one or the other`);
  }
  return opt as LrOptimizer;
}

// ---------------------------------------------------------------------------------
// TerminateOnNaN

export interface TerminateOnNaNArgs {
  /** Throw an Error instead of stopping training gracefully (onTrainEnd is then not called). Default false. */
  raiseError?: boolean;
}

/**
 * Stops training after a batch whose `loss` is NaN or ±Infinity (Keras's
 * TerminateOnNaN; the batch loss is the running mean over the epoch so far). Keras
 * prints "Batch N: Invalid loss, terminating training"; this prints nothing.
 */
export class TerminateOnNaN implements Callback {
  readonly raiseError: boolean;
  /** The batch index at which an invalid loss was last seen, or undefined. */
  stoppedBatch: number | undefined;
  private model: TrainableModel | undefined;

  constructor(args: TerminateOnNaNArgs = {}) {
    checkOptions(args, ['raiseError'], 'terminateOnNaN');
    this.raiseError = args.raiseError === undefined ? false : checkBoolean(args.raiseError, 'terminateOnNaN: raiseError');
  }

  setModel(model: TrainableModel): void {
    this.model = model;
  }

  onTrainBegin(): void {
    this.stoppedBatch = undefined;
  }

  onBatchEnd(batch: number, logs: Logs): void {
    const loss = logs?.loss;
    if (loss === undefined || Number.isFinite(loss)) return;
    this.stoppedBatch = batch;
    if (this.raiseError) {
      throw new Error(`terminateOnNaN: NaN or Inf loss encountered at batch ${batch}. Loss value: ${loss}. Terminating training immediately.`);
    }
    if (this.model === undefined) throw new Error('terminateOnNaN: not attached to a model; pass the callback in fit\'s callbacks');
    this.model.stopTraining = true;
  }
}

// ---------------------------------------------------------------------------------
// ReduceLROnPlateau

export interface ReduceLROnPlateauArgs {
  /** Default 'val_loss'. */
  monitor?: string;
  /** new lr = lr · factor; must be in [0, 1). Default 0.1. */
  factor?: number;
  /** Epochs without improvement before the rate is reduced. Default 10. */
  patience?: number;
  /** Reserved for messages; the library prints nothing. Default 0. */
  verbose?: number;
  /** 'min', 'max' or 'auto' (from the monitor's name). Default 'auto'. */
  mode?: 'auto' | 'min' | 'max';
  /** Smallest change that counts as an improvement (its absolute value is used). Default 1e-4. */
  minDelta?: number;
  /** Epochs to wait after a reduction before counting epochs without improvement again. Default 0. */
  cooldown?: number;
  /** Lower bound on the learning rate. Default 0. */
  minLr?: number;
}

/**
 * Keras 3's ReduceLROnPlateau: after `patience` epochs without improvement (outside
 * cooldown) sets lr = max(lr · factor, minLr) if lr > minLr, then starts a cooldown.
 * Writes the learning rate at the start of the epoch's check into the logs as
 * `learning_rate`. As in Keras 3, `best` carries over between fit() calls; the wait
 * and cooldown counters restart at each fit.
 */
export class ReduceLROnPlateau implements Callback {
  readonly monitor: string;
  readonly factor: number;
  readonly patience: number;
  readonly verbose: number;
  readonly mode: 'min' | 'max';
  readonly minDelta: number;
  readonly cooldown: number;
  readonly minLr: number;
  /** Best monitored value so far (undefined before the first epoch). */
  best: number | undefined;
  /** Epochs without improvement since the last improvement or reduction. */
  wait = 0;
  /** Cooldown epochs left. */
  cooldownCounter = 0;
  private model: TrainableModel | undefined;
  private readonly watch: Monitor;

  constructor(args: ReduceLROnPlateauArgs = {}) {
    const where = 'reduceLROnPlateau';
    checkOptions(args, ['monitor', 'factor', 'patience', 'verbose', 'mode', 'minDelta', 'cooldown', 'minLr'], where);
    this.watch = new Monitor(where, args.monitor ?? 'val_loss', args.mode, args.minDelta ?? 1e-4);
    this.monitor = this.watch.key;
    this.mode = this.watch.mode;
    this.minDelta = this.watch.minDelta;
    const factor = args.factor ?? 0.1;
    if (typeof factor !== 'number' || !Number.isFinite(factor)) throw new RangeError(`${where}: factor must be a number, got ${show(factor)}`);
    if (factor >= 1) throw new RangeError(`${where}: does not support a factor >= 1 (got factor ${factor}); the factor multiplies the learning rate`);
    if (factor < 0) throw new RangeError(`${where}: factor must be >= 0, got ${factor}`);
    this.factor = factor;
    this.patience = nonNegative(args.patience, 10, `${where}: patience`, true);
    this.verbose = nonNegative(args.verbose, 0, `${where}: verbose`, true);
    this.cooldown = nonNegative(args.cooldown, 0, `${where}: cooldown`, true);
    this.minLr = nonNegative(args.minLr, 0, `${where}: minLr`);
  }

  setModel(model: TrainableModel): void {
    optimizerOf(model, 'reduceLROnPlateau');
    this.model = model;
  }

  onTrainBegin(): void {
    this.wait = 0;
    this.cooldownCounter = 0;
  }

  onEpochEnd(_epoch: number, logs: Logs): void {
    const opt = optimizerOf(this.model, 'reduceLROnPlateau');
    logs.learning_rate = opt.learningRate;
    const current = this.watch.read(logs);
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.wait = 0;
    }
    // Keras: the best starts at +Infinity ('min') or -Infinity ('max'), so NaN never improves.
    if (this.watch.improves(current, this.best ?? this.watch.worst)) {
      this.best = current;
      this.wait = 0;
    } else if (this.cooldownCounter <= 0) {
      this.wait += 1;
      if (this.wait >= this.patience) {
        const oldLr = opt.learningRate;
        if (oldLr > this.minLr) {
          opt.learningRate = Math.max(oldLr * this.factor, this.minLr);
          this.cooldownCounter = this.cooldown;
          this.wait = 0;
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------
// LearningRateScheduler

export type Schedule = (epoch: number, lr: number) => number;

export interface LearningRateSchedulerArgs {
  /** Reserved for messages; the library prints nothing. Default 0. */
  verbose?: number;
}

/**
 * Keras's LearningRateScheduler: at the start of every epoch sets the optimizer's
 * learning rate to `schedule(epoch, currentLr)` (epoch counted from 0); at the end
 * of the epoch writes it into the logs as `learning_rate`.
 */
export class LearningRateScheduler implements Callback {
  readonly schedule: Schedule;
  readonly verbose: number;
  private model: TrainableModel | undefined;

  constructor(schedule: Schedule, args: LearningRateSchedulerArgs = {}) {
    const where = 'learningRateScheduler';
    if (typeof schedule !== 'function') throw new TypeError(`${where}: schedule must be a function (epoch, lr) => lr, got ${show(schedule)}`);
    checkOptions(args, ['verbose'], where);
    this.schedule = schedule;
    this.verbose = nonNegative(args.verbose, 0, `${where}: verbose`, true);
  }

  setModel(model: TrainableModel): void {
    optimizerOf(model, 'learningRateScheduler');
    this.model = model;
  }

  onEpochBegin(epoch: number): void {
    const opt = optimizerOf(this.model, 'learningRateScheduler');
    const lr: unknown = this.schedule(epoch, opt.learningRate);
    if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) {
      const shown = typeof lr === 'number' ? String(lr) : lr instanceof Promise ? 'a Promise' : JSON.stringify(lr) ?? String(lr);
      throw new RangeError(`learningRateScheduler: the schedule must return a finite number >= 0; at epoch ${epoch} it returned ${shown}`);
    }
    opt.learningRate = lr;
  }

  onEpochEnd(_epoch: number, logs: Logs): void {
    logs.learning_rate = optimizerOf(this.model, 'learningRateScheduler').learningRate;
  }
}

// ---------------------------------------------------------------------------------
// CSVLogger

export interface CSVLoggerArgs {
  /** File to write (Node only), e.g. 'run/log.csv'. Give this or `write`. */
  filename?: string;
  /** Any runtime: receives the CSV text, a header and/or one row at a time (awaited if it returns a Promise). Give this or `filename`. */
  write?: (text: string) => void | Promise<void>;
  /** One-character field separator. Default ','. */
  separator?: string;
  /**
   * true: append to an existing file, writing the header only if the file is empty
   * or missing (with `write`: only if this logger has not written one yet).
   * false: truncate the file when training begins. Default false.
   */
  append?: boolean;
}

interface FsLike {
  appendFile(path: string, data: string, encoding: 'utf8'): Promise<void>;
  writeFile(path: string, data: string, encoding: 'utf8'): Promise<void>;
  stat(path: string): Promise<{ size: number }>;
}

function isNode(): boolean {
  return typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';
}

/** Python's repr() of a float, which is what Keras's CSV files hold: 0.5, 1.0, 1e-05, nan, inf. */
export function pythonFloatRepr(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const sign = v < 0 ? '-' : '';
  const [mant, expStr] = Math.abs(v).toExponential().split('e') as [string, string];
  const exp = Number(expStr);
  const digits = mant.replace('.', '');
  if (exp < -4 || exp >= 16) {
    const m = digits.length === 1 ? digits : `${digits[0]}.${digits.slice(1)}`;
    const e = Math.abs(exp);
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  let s: string;
  if (exp < 0) s = `0.${'0'.repeat(-exp - 1)}${digits}`;
  else if (digits.length <= exp + 1) s = `${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  else s = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  return sign + s;
}

/**
 * Keras's CSVLogger: one row per epoch, `epoch` then the epoch-log keys sorted, as
 * Python's csv module writes them (excel dialect: fields quoted only when needed,
 * CRLF line ends, floats as Python prints them). The columns are the keys of the
 * first epoch of each fit; a key missing from a later epoch is written as NA. The
 * header is written with the first row, except when appending to a non-empty file.
 * Every row is appended as soon as its epoch ends, so a crash loses at most one row.
 */
export class CSVLogger implements Callback {
  readonly filename: string | undefined;
  readonly separator: string;
  readonly append: boolean;
  private readonly sink: ((text: string) => void | Promise<void>) | undefined;
  private keys: string[] | null = null;
  private headerPending = true;
  private sinkHasHeader = false;
  private fs: FsLike | undefined;

  constructor(args: CSVLoggerArgs) {
    const where = 'csvLogger';
    if (args === undefined || args === null || typeof args !== 'object') throw new TypeError(`${where}: expects {filename} or {write}`);
    checkOptions(args, ['filename', 'write', 'separator', 'append'], where);
    if (args.filename !== undefined && args.write !== undefined) throw new RangeError(`${where}: give filename or write, not both`);
    if (args.filename === undefined && args.write === undefined) throw new RangeError(`${where}: needs a filename (Node) or a write(text) function`);
    if (args.write !== undefined) {
      if (typeof args.write !== 'function') throw new TypeError(`${where}: write must be a function (text) => void, got ${show(args.write)}`);
      this.sink = args.write;
    } else {
      if (typeof args.filename !== 'string' || args.filename === '') throw new TypeError(`${where}: filename must be a non-empty string, got ${show(args.filename)}`);
      if (!isNode()) throw new Error(`${where}: writing to a file needs Node (this runtime has no process.versions.node); pass write: (text) => … instead of filename`);
      this.filename = args.filename;
    }
    const sep = args.separator ?? ',';
    if (typeof sep !== 'string' || sep.length !== 1) throw new TypeError(`${where}: separator must be a 1-character string, got ${show(sep)}`);
    if (sep === '"' || sep === '\r' || sep === '\n') throw new RangeError(`${where}: separator cannot be ${JSON.stringify(sep)}`);
    this.separator = sep;
    this.append = args.append === undefined ? false : checkBoolean(args.append, `${where}: append`);
  }

  async onTrainBegin(): Promise<void> {
    this.keys = null;
    if (this.sink !== undefined) {
      this.headerPending = !(this.append && this.sinkHasHeader);
      return;
    }
    this.fs ??= (await import('node:fs/promises')) as unknown as FsLike;
    const file = this.filename!;
    if (this.append) {
      let size = 0;
      try {
        size = (await this.fs.stat(file)).size;
      } catch (e) {
        if ((e as { code?: string }).code !== 'ENOENT') throw e;
      }
      this.headerPending = size === 0;
      await this.fs.appendFile(file, '', 'utf8');
    } else {
      this.headerPending = true;
      await this.fs.writeFile(file, '', 'utf8');
    }
  }

  private field(s: string): string {
    return s.includes(this.separator) || s.includes('"') || s.includes('\n') || s.includes('\r') ? `"${s.replace(/"/g, '""')}"` : s;
  }

  private line(fields: string[]): string {
    return fields.map((f) => this.field(f)).join(this.separator) + '\r\n';
  }

  async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    if (this.keys === null) this.keys = Object.keys(logs ?? {}).sort();
    const keys = this.keys;
    let text = '';
    if (this.headerPending) {
      text += this.line(['epoch', ...keys]);
      this.headerPending = false;
    }
    const value = (v: unknown): string => (v === undefined ? 'NA' : typeof v === 'number' ? pythonFloatRepr(v) : String(v));
    text += this.line([String(epoch), ...keys.map((k) => value(logs?.[k]))]);
    if (this.sink !== undefined) {
      const r = this.sink(text);
      this.sinkHasHeader = true;
      if (r !== undefined) await r;
      return;
    }
    if (this.fs === undefined) throw new Error('csvLogger: onTrainBegin was not called; pass the callback in fit\'s callbacks');
    await this.fs.appendFile(this.filename!, text, 'utf8');
  }
}
