/**
 * ModelCheckpoint (Keras 3): save the model after every epoch, or only when the
 * monitored value improves. filepath is a directory path (the TF.js layers-model
 * format is a directory) and may hold Keras's templates: {epoch} (1-based),
 * {epoch:02d}, {val_loss:.4f}, any log key with a d / f / e format. Saves include
 * the optimizer state, so a checkpoint resumes exactly; every write is atomic. A filepath
 * ending in `.keras` writes a Keras 3 file instead: weights and topology, no optimizer state.
 */
import { checkBoolean, checkOptions } from '../core/errors.js';
import { Monitor, type Callback, type Logs, type TrainableModel } from './callback.js';

export interface ModelCheckpointArgs {
  /** Directory to save to; may contain {epoch}, {epoch:02d}, {val_loss:.2f}, … */
  filepath: string;
  /** Default 'val_loss'. */
  monitor?: string;
  /** Save only when the monitored value improves on the best so far. Default false. */
  saveBestOnly?: boolean;
  /** 'auto' | 'min' | 'max'. Default 'auto'. */
  mode?: 'auto' | 'min' | 'max';
  /** Reserved for messages; the library prints nothing. Default 0. */
  verbose?: number;
  /** Only 'epoch'. */
  saveFreq?: 'epoch';
  /** With saveBestOnly: the value to beat at the start. Default none. */
  initialValueThreshold?: number;
}

interface SavableModel extends TrainableModel {
  save(target: string, options?: { includeOptimizer?: boolean }): Promise<void>;
  readonly optimizer: unknown;
}

/** Fill Keras-style {key} / {key:fmt} templates from the epoch (1-based) and logs. */
export function formatFilepath(template: string, epoch: number, logs: Logs): string {
  return template.replace(/\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}/g, (whole, key: string, fmt: string | undefined) => {
    const value = key === 'epoch' ? epoch : logs[key];
    if (value === undefined) throw new RangeError(`modelCheckpoint: filepath ${JSON.stringify(template)} uses {${key}}, which is not in the logs (available: epoch, ${Object.keys(logs).join(', ')})`);
    if (fmt === undefined || fmt === '') return String(value);
    const m = /^(0?)(\d*)(?:\.(\d+))?([dfe])$/.exec(fmt);
    if (m === null) throw new RangeError(`modelCheckpoint: unsupported format '${fmt}' in ${whole}; use d, 0Nd, .Nf or .Ne`);
    const [, zero, width, precision, type] = m;
    let s = type === 'd' ? String(Math.round(value)) : type === 'f' ? value.toFixed(Number(precision ?? 6)) : value.toExponential(Number(precision ?? 6));
    if (width !== '') s = s.padStart(Number(width), zero === '0' ? '0' : ' ');
    return s;
  });
}

export class ModelCheckpoint implements Callback {
  readonly filepath: string;
  readonly monitor: string;
  readonly saveBestOnly: boolean;
  readonly mode: 'min' | 'max';
  /** Best monitored value so far. */
  best: number | undefined;
  private model: SavableModel | undefined;
  private readonly watch: Monitor;

  constructor(args: ModelCheckpointArgs) {
    const where = 'modelCheckpoint';
    checkOptions(args, ['filepath', 'monitor', 'saveBestOnly', 'mode', 'verbose', 'saveFreq', 'initialValueThreshold'], where, {
      saveWeightsOnly: 'checkpoints are whole models (config, weights and optimizer state)',
    });
    if (typeof args?.filepath !== 'string' || args.filepath === '') throw new TypeError(`${where}: filepath must be a directory path`);
    this.filepath = args.filepath;
    this.watch = new Monitor(where, args.monitor ?? 'val_loss', args.mode);
    this.monitor = this.watch.key;
    this.mode = this.watch.mode;
    this.saveBestOnly = args.saveBestOnly === undefined ? false : checkBoolean(args.saveBestOnly, `${where}: saveBestOnly`);
    if (args.saveFreq !== undefined && args.saveFreq !== 'epoch') throw new RangeError(`${where}: saveFreq ${JSON.stringify(args.saveFreq)} is not supported; checkpoints are taken once per epoch`);
    if (args.initialValueThreshold !== undefined && !Number.isFinite(args.initialValueThreshold)) {
      throw new RangeError(`${where}: initialValueThreshold must be a finite number`);
    }
    this.best = args.initialValueThreshold;
  }

  setModel(model: TrainableModel): void {
    this.model = model as SavableModel;
  }

  async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    const model = this.model!;
    if (this.saveBestOnly) {
      const current = this.watch.read(logs);
      if (!this.watch.improves(current, this.best)) return;
      this.best = current;
    }
    const file = formatFilepath(this.filepath, epoch + 1, logs);
    // A path ending in .keras gets a Keras 3 file, which holds no optimizer state (io/kerasFileWrite.ts).
    await model.save(file, { includeOptimizer: model.optimizer !== null && !file.endsWith('.keras') });
  }
}
