/**
 * Forecaster: a Sequential (stacked SimpleRNN/LSTM/GRU → Dense) that maps `lookback` rows of
 * the feature columns to the next `horizon` values of one target column.
 *
 * Strategies: 'direct' — one Dense(horizon) output; 'recursive' — a one-step model rolled
 * forward, each prediction appended to the window (needs the target as the only feature).
 * Scaling (fitted on the training part only, stored with the model): 'standard' / 'minmax' /
 * 'none' per column; with `windowRelative` each window's last value (per column) is
 * subtracted first and the scalers are fitted on those differences — trending series such
 * as CO2 leave the training range, where plain scaling cannot extrapolate.
 * Browser-safe: save/load to a path go through the library's dynamic Node imports.
 */
import { Tensor } from '../core/tensor.js';
import { checkOptions, show } from '../core/errors.js';
import { layers } from '../layers/index.js';
import { optimizers } from '../optimizers/index.js';
import { Sequential } from '../models/sequential.js';
import type { Model, SaveHandler } from '../models/model.js';
import { loadModel, sourceName, taskMetadata, type LoadOptions } from '../models/loadModel.js';
import { callbacks as cb, type Callback, type History } from '../models/callbacks.js';
import type { ProgressSink } from '../models/progbar.js';
import { Scaler, type ScalerJSON, type ScalerKind } from './scalers.js';
import { chronologicalSplit, checkPositiveInt, rowsNeeded, toSeries, windowOrigins, type Series, type SeriesInput, type SplitOptions } from './windowing.js';
import { forecastMetrics, lastValueForecast, seasonalNaiveForecast, type ForecastMetrics } from './metrics.js';
import { holtWintersRolling, selectHoltWinters, type HoltWintersModel } from './holtWinters.js';

export type ForecastCell = 'lstm' | 'gru' | 'simple';
export type ForecastStrategy = 'direct' | 'recursive';

/**
 * The defaults the Forecaster API and `rnnkit timeseries` share (the CLI's `--scaling relative`
 * is scaling 'standard' with windowRelative).
 */
export const FORECASTER_DEFAULTS = {
  strategy: 'direct',
  scaling: 'standard',
  windowRelative: true,
  cell: 'lstm',
  units: 32,
  layers: 1,
  epochs: 50,
  batchSize: 32,
  learningRate: 0.005,
  patience: 10,
  validation: 0.1,
  test: 0.2,
} as const;

export interface ForecasterArgs {
  /** Input rows per window. Required. */
  lookback: number;
  /** Steps forecast from each window. Default 1. */
  horizon?: number;
  /** 'direct' (Dense(horizon)) or 'recursive' (one-step model rolled forward). Default 'direct'. */
  strategy?: ForecastStrategy;
  /** Target column index. Default 0. */
  target?: number;
  /** Input column indices. Default [target]. */
  features?: readonly number[];
  /** Column names (for messages and the saved model). Default 'column 0', … */
  columns?: readonly string[];
  /** Per-column scaling. Default 'standard'. */
  scaling?: ScalerKind;
  /**
   * Subtract each window's last value before scaling, so a trending series that leaves the
   * training range is still forecast from where it is. Default true (as `rnnkit timeseries`).
   */
  windowRelative?: boolean;
  /** Default 'lstm'. */
  cell?: ForecastCell;
  /** Units per recurrent layer. Default 32. */
  units?: number;
  /** Stacked recurrent layers. Default 1. */
  layers?: number;
  /** Seed for the initial weights. Default: from the global seed. */
  seed?: number;
}

export interface ForecastFitOptions extends SplitOptions {
  /** Maximum epochs. Default 50. */
  epochs?: number;
  /** Default 32. */
  batchSize?: number;
  /** Adam learning rate (when first compiled). Default 0.005. */
  learningRate?: number;
  /** Early stopping on val_loss (best weights restored) after this many epochs without improvement; 0 turns it off. Default 10. */
  patience?: number;
  /** Rows between training windows. Default 1. */
  stride?: number;
  /** 0 silent, 1 progress bar, 2 a line per epoch. Default 0. */
  verbose?: 0 | 1 | 2;
  callbacks?: Callback | readonly Callback[];
  /** Seed for shuffling. Default: from the global seed. */
  seed?: number;
  progressSink?: ProgressSink;
}

export interface ForecastEvaluateOptions {
  /** Fraction of rows at the end to score (targets inside it). Default: fit's `test` (0.2). */
  test?: number;
  /** Period of the seasonal-naive baseline and of Holt-Winters' season; omitted: no seasonal baseline, non-seasonal Holt-Winters only. */
  season?: number;
  /** Score the Holt-Winters baseline (fitted on the rows before the test part). Default true. */
  holtWinters?: boolean;
}

export interface ForecastEvaluation {
  model: ForecastMetrics;
  lastValue: ForecastMetrics;
  seasonalNaive?: ForecastMetrics;
  /**
   * Holt-Winters (selectHoltWinters: the variant with the lowest AICc, fitted on the rows before
   * the test part, parameters then fixed, states updated through the test part). Absent with
   * `holtWinters: false`, or when those rows are too few (under 10, or with `season` under
   * two seasons).
   */
  holtWinters?: ForecastMetrics;
  /** The fitted Holt-Winters model behind `holtWinters`. */
  holtWintersModel?: HoltWintersModel;
  /** Its forecasts, [windows · horizon] as `predictions`. */
  holtWintersPredictions?: Float64Array;
  /** Windows scored (each contributes `horizon` points). */
  windows: number;
  horizon: number;
  /** Forecast origins (last input row) of the scored windows. */
  origins: number[];
  /** [windows · horizon], origin-major, original units. */
  predictions: Float64Array;
  actual: Float64Array;
}

export interface ForecasterMetadata {
  version: 1;
  lookback: number;
  horizon: number;
  strategy: ForecastStrategy;
  target: number;
  features: number[];
  columns: string[];
  scaling: ScalerKind;
  windowRelative: boolean;
  cell: ForecastCell;
  units: number;
  layers: number;
  xScaler: ScalerJSON;
  yScaler: ScalerJSON;
  split: Required<SplitOptions>;
  /** Anything the caller stores with the model (the CLI keeps its time column here). */
  info?: Record<string, unknown>;
}

export const FORECASTER_KEY = 'rnnkitForecaster';
const CELLS: readonly ForecastCell[] = ['lstm', 'gru', 'simple'];

export class Forecaster {
  readonly lookback: number;
  readonly horizon: number;
  readonly strategy: ForecastStrategy;
  readonly target: number;
  readonly features: number[];
  readonly columns: string[];
  readonly scaling: ScalerKind;
  readonly windowRelative: boolean;
  readonly cell: ForecastCell;
  readonly units: number;
  readonly numLayers: number;
  readonly model: Model;
  /** Fitted by fit() (or restored by load()); null before. */
  xScaler: Scaler | null = null;
  yScaler: Scaler | null = null;
  split: Required<SplitOptions> = { validation: 0.1, test: 0.2 };
  /** Free-form data saved with the model. */
  info: Record<string, unknown> = {};

  constructor(args: ForecasterArgs, model?: Model) {
    const where = 'Forecaster';
    checkOptions(args, ['lookback', 'horizon', 'strategy', 'target', 'features', 'columns', 'scaling', 'windowRelative', 'cell', 'units', 'layers', 'seed'], where);
    this.lookback = checkPositiveInt(args.lookback, `${where}: lookback`);
    this.horizon = checkPositiveInt(args.horizon ?? 1, `${where}: horizon`);
    this.strategy = args.strategy ?? FORECASTER_DEFAULTS.strategy;
    if (this.strategy !== 'direct' && this.strategy !== 'recursive') throw new RangeError(`${where}: strategy must be 'direct' or 'recursive', got ${show(args.strategy)}`);
    this.target = args.target ?? 0;
    if (!Number.isInteger(this.target) || this.target < 0) throw new RangeError(`${where}: target must be a column index, got ${show(args.target)}`);
    this.features = [...(args.features ?? [this.target])];
    if (this.features.length === 0 || this.features.some((f) => !Number.isInteger(f) || f < 0)) throw new RangeError(`${where}: features must be a non-empty array of column indices`);
    if (this.strategy === 'recursive' && !(this.features.length === 1 && this.features[0] === this.target)) {
      throw new RangeError(`${where}: the recursive strategy feeds predictions back, so the target must be the only feature`);
    }
    this.columns = [...(args.columns ?? [])];
    this.scaling = args.scaling ?? FORECASTER_DEFAULTS.scaling;
    if (!['standard', 'minmax', 'none'].includes(this.scaling)) throw new RangeError(`${where}: scaling must be 'standard', 'minmax' or 'none', got ${show(args.scaling)}`);
    this.windowRelative = args.windowRelative ?? FORECASTER_DEFAULTS.windowRelative;
    this.cell = args.cell ?? FORECASTER_DEFAULTS.cell;
    if (!CELLS.includes(this.cell)) throw new RangeError(`${where}: cell must be one of ${CELLS.join(', ')}, got ${show(args.cell)}`);
    this.units = checkPositiveInt(args.units ?? FORECASTER_DEFAULTS.units, `${where}: units`);
    this.numLayers = checkPositiveInt(args.layers ?? FORECASTER_DEFAULTS.layers, `${where}: layers`);
    if (model !== undefined) {
      this.model = model;
      return;
    }
    const seed = (k: number): number | undefined => (args.seed === undefined ? undefined : (args.seed + k) >>> 0);
    const m = new Sequential();
    for (let i = 0; i < this.numLayers; i++) {
      const a = { units: this.units, returnSequences: i < this.numLayers - 1, seed: seed(i), ...(i === 0 ? { inputShape: [this.lookback, this.features.length] } : {}) };
      m.add(this.cell === 'lstm' ? layers.lstm(a) : this.cell === 'gru' ? layers.gru(a) : layers.simpleRNN(a));
    }
    m.add(layers.dense({ units: this.outputSteps, seed: seed(1000) }));
    this.model = m;
  }

  /** Steps the network outputs per prediction: horizon (direct) or 1 (recursive). */
  get outputSteps(): number {
    return this.strategy === 'direct' ? this.horizon : 1;
  }

  private columnName(c: number): string {
    return this.columns[c] !== undefined ? `'${this.columns[c]}'` : `column ${c}`;
  }

  /** Check a series for this forecaster: columns present, no NaN in the used columns. */
  private checkSeries(input: SeriesInput | Series, where: string): Series {
    const s = toSeries(input, where);
    for (const c of [this.target, ...this.features]) {
      if (c >= s.columns) throw new RangeError(`${where}: the series has ${s.columns} column(s), no ${this.columnName(c)}`);
      for (let r = 0; r < s.rows; r++) {
        if (!Number.isFinite(s.data[r * s.columns + c]!)) throw new RangeError(`${where}: ${this.columnName(c)} has a missing or non-finite value at row ${r} (fill gaps with fillGaps first)`);
      }
    }
    return s;
  }

  /** Raw input windows [N, L, F] ending at `origins`. */
  private rawWindows(s: Series, origins: readonly number[]): Float64Array {
    const L = this.lookback;
    const F = this.features.length;
    const out = new Float64Array(origins.length * L * F);
    origins.forEach((e, n) => {
      for (let t = 0; t < L; t++) for (let f = 0; f < F; f++) out[(n * L + t) * F + f] = s.data[(e - L + 1 + t) * s.columns + this.features[f]!]!;
    });
    return out;
  }

  /** Model inputs from raw windows: window-relative differences (optional), then the x scaler. */
  private encodeX(raw: Float64Array, N: number, scaler: Scaler | null): { x: Float32Array; relX: Float64Array } {
    const L = this.lookback;
    const F = this.features.length;
    const rel = new Float64Array(raw.length);
    for (let n = 0; n < N; n++) {
      for (let t = 0; t < L; t++) {
        for (let f = 0; f < F; f++) {
          const i = (n * L + t) * F + f;
          rel[i] = this.windowRelative ? raw[i]! - raw[(n * L + L - 1) * F + f]! : raw[i]!;
        }
      }
    }
    const x = new Float32Array(raw.length);
    if (scaler !== null) for (let i = 0; i < raw.length; i++) x[i] = scaler.transform(rel[i]!, i % F);
    return { x, relX: rel };
  }

  /** The target's last raw value in each window (what window-relative targets are measured from). */
  private lastTargets(s: Series, origins: readonly number[]): Float64Array {
    return Float64Array.from(origins, (e) => s.data[e * s.columns + this.target]!);
  }

  /**
   * Train on a series (rows × columns): chronological split into train / validation / test
   * (the test part is not used here — see evaluate), scalers fitted on the training part,
   * Adam on mean squared error, early stopping on the validation loss with the best weights kept.
   */
  async fit(input: SeriesInput | Series, options: ForecastFitOptions = {}): Promise<History> {
    const where = 'Forecaster.fit';
    checkOptions(options, ['epochs', 'batchSize', 'learningRate', 'patience', 'stride', 'verbose', 'callbacks', 'seed', 'progressSink', 'validation', 'test'], where);
    const s = this.checkSeries(input, where);
    const split = chronologicalSplit(s.rows, options);
    this.split = { validation: options.validation ?? FORECASTER_DEFAULTS.validation, test: options.test ?? FORECASTER_DEFAULTS.test };
    const H = this.outputSteps;
    const need = rowsNeeded(this.lookback, H);
    if (split.trainEnd < need) {
      throw new RangeError(`${where}: the training part has ${split.trainEnd} of ${s.rows} rows, too few for lookback ${this.lookback} + horizon ${H}: at least ${need} are needed (${Math.ceil(need / (1 - this.split.validation - this.split.test))} rows in all)`);
    }
    const stride = options.stride ?? 1;
    const trainO = windowOrigins(s.rows, { lookback: this.lookback, horizon: H, stride, targetEnd: split.trainEnd });
    const valO = split.validationEnd > split.trainEnd ? windowOrigins(s.rows, { lookback: this.lookback, horizon: H, targetStart: split.trainEnd, targetEnd: split.validationEnd }) : [];
    // Scalers from the training part only.
    const F = this.features.length;
    const trainRaw = this.rawWindows(s, trainO);
    const yTrainRel = this.relTargets(s, trainO, H);
    if (this.windowRelative) {
      const { relX } = this.encodeX(trainRaw, trainO.length, null);
      this.xScaler = Scaler.fit(this.scaling, relX, F);
      this.yScaler = Scaler.fit(this.scaling, yTrainRel, 1);
    } else {
      const rows = new Float64Array(split.trainEnd * F);
      for (let r = 0; r < split.trainEnd; r++) for (let f = 0; f < F; f++) rows[r * F + f] = s.data[r * s.columns + this.features[f]!]!;
      this.xScaler = Scaler.fit(this.scaling, rows, F);
      const t = new Float64Array(split.trainEnd);
      for (let r = 0; r < split.trainEnd; r++) t[r] = s.data[r * s.columns + this.target]!;
      this.yScaler = Scaler.fit(this.scaling, t, 1);
    }
    const toTensors = (origins: number[], raw: Float64Array, yRel: Float64Array): [Tensor, Tensor] => {
      const { x } = this.encodeX(raw, origins.length, this.xScaler);
      const y = Float32Array.from(yRel, (v) => this.yScaler!.transform(v, 0));
      return [new Tensor(x, [origins.length, this.lookback, F]), new Tensor(y, [origins.length, H])];
    };
    const [x, y] = toTensors(trainO, trainRaw, yTrainRel);
    const val = valO.length > 0 ? toTensors(valO, this.rawWindows(s, valO), this.relTargets(s, valO, H)) : undefined;
    if (this.model.optimizer === null) {
      const lr = options.learningRate ?? FORECASTER_DEFAULTS.learningRate;
      if (typeof lr !== 'number' || !(lr > 0)) throw new RangeError(`${where}: learningRate must be a number > 0, got ${show(lr)}`);
      this.model.compile({ optimizer: optimizers.adam({ learningRate: lr, globalClipnorm: 1 }), loss: 'mse', metrics: ['mae'] });
    }
    const patience = options.patience ?? FORECASTER_DEFAULTS.patience;
    const user = options.callbacks === undefined ? [] : Array.isArray(options.callbacks) ? [...(options.callbacks as Callback[])] : [options.callbacks as Callback];
    const all = patience > 0 && val !== undefined ? [cb.earlyStopping({ monitor: 'val_loss', patience, restoreBestWeights: true }), ...user] : user;
    return this.model.fit(x, y, {
      epochs: options.epochs ?? FORECASTER_DEFAULTS.epochs,
      batchSize: options.batchSize ?? FORECASTER_DEFAULTS.batchSize,
      validationData: val,
      verbose: options.verbose ?? 0,
      callbacks: all,
      seed: options.seed,
      progressSink: options.progressSink,
    });
  }

  /** Targets [N, H] measured from each window's last target value (window-relative) or raw. */
  private relTargets(s: Series, origins: readonly number[], H: number): Float64Array {
    const out = new Float64Array(origins.length * H);
    origins.forEach((e, n) => {
      const base = this.windowRelative ? s.data[e * s.columns + this.target]! : 0;
      for (let h = 0; h < H; h++) out[n * H + h] = s.data[(e + 1 + h) * s.columns + this.target]! - base;
    });
    return out;
  }

  private fitted(where: string): { xs: Scaler; ys: Scaler } {
    if (this.xScaler === null || this.yScaler === null) throw new RangeError(`${where}: the forecaster is not trained (call fit first, or load a trained one)`);
    return { xs: this.xScaler, ys: this.yScaler };
  }

  /** One network pass on raw windows [N, L, F] → [N, outputSteps] in original units. */
  private predictRaw(raw: Float64Array, N: number): Float64Array {
    const { xs, ys } = this.fitted('Forecaster.predict');
    const L = this.lookback;
    const F = this.features.length;
    const H = this.outputSteps;
    const { x } = this.encodeX(raw, N, xs);
    const out = this.model.predict(new Tensor(x, [N, L, F]), { batchSize: 256 }).data;
    const tf = this.features.indexOf(this.target);
    const res = new Float64Array(N * H);
    for (let n = 0; n < N; n++) {
      // Window-relative: the target's last value; the target may not be a feature, then it comes from lastTarget.
      const base = this.windowRelative ? (tf >= 0 ? raw[(n * L + L - 1) * F + tf]! : this.pendingLast![n]!) : 0;
      for (let h = 0; h < H; h++) res[n * H + h] = ys.inverse(out[n * H + h]!, 0) + base;
    }
    return res;
  }

  private pendingLast: Float64Array | null = null;

  /**
   * Forecast `steps` values after each origin (row of the last input), original units,
   * [origins.length · steps] origin-major. Beyond the network's output the predictions are
   * fed back (only when the target is the only feature).
   */
  predictFrom(input: SeriesInput | Series, origins: readonly number[], steps: number = this.horizon): Float64Array {
    const where = 'Forecaster.predict';
    const s = this.checkSeries(input, where);
    checkPositiveInt(steps, `${where}: steps`);
    for (const e of origins) if (!Number.isInteger(e) || e < this.lookback - 1 || e >= s.rows) throw new RangeError(`${where}: origin ${e} needs rows ${e - this.lookback + 1}…${e}; the series has rows 0…${s.rows - 1}`);
    const N = origins.length;
    const L = this.lookback;
    const F = this.features.length;
    const H = this.outputSteps;
    const raw = this.rawWindows(s, origins);
    this.pendingLast = this.lastTargets(s, origins);
    const out = new Float64Array(N * steps);
    try {
      if (steps <= H) {
        const p = this.predictRaw(raw, N);
        for (let n = 0; n < N; n++) for (let h = 0; h < steps; h++) out[n * steps + h] = p[n * H + h]!;
        return out;
      }
      if (!(F === 1 && this.features[0] === this.target)) {
        throw new RangeError(`${where}: ${steps} steps is beyond the horizon (${this.horizon}); forecasting further feeds predictions back, which needs the target as the only feature`);
      }
      for (let done = 0; done < steps; done += H) {
        const p = this.predictRaw(raw, N);
        const k = Math.min(H, steps - done);
        for (let n = 0; n < N; n++) {
          for (let h = 0; h < k; h++) out[n * steps + done + h] = p[n * H + h]!;
          // Slide the window by H: drop the oldest H values, append the predictions.
          const w = raw.subarray(n * L, (n + 1) * L);
          if (H >= L) w.set(p.subarray(n * H + H - L, n * H + H));
          else {
            w.copyWithin(0, H);
            w.set(p.subarray(n * H, n * H + H), L - H);
          }
        }
      }
      return out;
    } finally {
      this.pendingLast = null;
    }
  }

  /** The next `steps` values of the target after the end of the series, in original units. */
  forecast(input: SeriesInput | Series, steps: number = this.horizon): number[] {
    const s = toSeries(input, 'Forecaster.forecast');
    if (s.rows < this.lookback) throw new RangeError(`Forecaster.forecast: the series has ${s.rows} rows; lookback ${this.lookback} needs at least ${this.lookback}`);
    return Array.from(this.predictFrom(s, [s.rows - 1], steps));
  }

  /**
   * Score the test part (the last `test` fraction of rows; windows whose `horizon` targets all
   * lie in it) for the model, the last-value baseline, Holt-Winters and, with `season`, the
   * seasonal-naive one. Every baseline forecasts from the same origins as the model.
   */
  evaluate(input: SeriesInput | Series, options: ForecastEvaluateOptions = {}): ForecastEvaluation {
    const where = 'Forecaster.evaluate';
    checkOptions(options, ['test', 'season', 'holtWinters'], where);
    if (options.holtWinters !== undefined && typeof options.holtWinters !== 'boolean') throw new TypeError(`${where}: holtWinters must be a boolean, got ${show(options.holtWinters)}`);
    const s = this.checkSeries(input, where);
    const test = options.test ?? this.split.test;
    if (typeof test !== 'number' || !(test > 0 && test <= 1)) throw new RangeError(`${where}: test must be a fraction in (0, 1], got ${show(test)}`);
    const start = s.rows - Math.round(s.rows * test);
    const H = this.horizon;
    const origins = windowOrigins(s.rows, { lookback: this.lookback, horizon: H, targetStart: start });
    if (origins.length === 0) throw new RangeError(`${where}: the test part (${s.rows - start} rows) is shorter than the horizon ${H}; no window to score`);
    const predictions = this.predictFrom(s, origins, H);
    const actual = new Float64Array(origins.length * H);
    origins.forEach((e, n) => {
      for (let h = 0; h < H; h++) actual[n * H + h] = s.data[(e + 1 + h) * s.columns + this.target]!;
    });
    const res: ForecastEvaluation = {
      model: forecastMetrics(actual, predictions),
      lastValue: forecastMetrics(actual, lastValueForecast(s, this.target, origins, H)),
      windows: origins.length,
      horizon: H,
      origins,
      predictions,
      actual,
    };
    if (options.season !== undefined) res.seasonalNaive = forecastMetrics(actual, seasonalNaiveForecast(s, this.target, origins, H, options.season));
    const m = options.season;
    const enough = start >= 10 && (m === undefined || m < 2 || start >= 2 * m);
    if (options.holtWinters !== false && enough) {
      const y = Float64Array.from({ length: s.rows }, (_, r) => s.data[r * s.columns + this.target]!);
      // A season of 1 is no season.
      const model = selectHoltWinters(y.subarray(0, start), m !== undefined && m >= 2 ? { period: m } : {});
      const hw = holtWintersRolling(model, y, origins, H);
      res.holtWinters = forecastMetrics(actual, hw);
      res.holtWintersModel = model;
      res.holtWintersPredictions = hw;
    }
    return res;
  }

  metadata(): ForecasterMetadata {
    const { xs, ys } = this.fitted('Forecaster.save');
    return {
      version: 1,
      lookback: this.lookback,
      horizon: this.horizon,
      strategy: this.strategy,
      target: this.target,
      features: [...this.features],
      columns: [...this.columns],
      scaling: this.scaling,
      windowRelative: this.windowRelative,
      cell: this.cell,
      units: this.units,
      layers: this.numLayers,
      xScaler: xs.toJSON(),
      yScaler: ys.toJSON(),
      split: { ...this.split },
      info: this.info,
    };
  }

  /** Save the network and everything needed to forecast (scalers, columns, windowing) in one model.json. */
  async save(target: string | SaveHandler): Promise<void> {
    await this.model.save(target, { includeOptimizer: false, metadata: { [FORECASTER_KEY]: this.metadata() } });
  }

  static async load(source: Parameters<typeof loadModel>[0], options: LoadOptions = {}): Promise<Forecaster> {
    const model = await loadModel(source, options);
    return Forecaster.fromModel(model, sourceName(source));
  }

  static fromModel(model: Model, where = 'the model'): Forecaster {
    const { meta, not } = taskMetadata<ForecasterMetadata>(model, FORECASTER_KEY, 'forecaster', where);
    let f: Forecaster;
    try {
      f = new Forecaster(
        { lookback: meta.lookback!, horizon: meta.horizon, strategy: meta.strategy, target: meta.target, features: meta.features, columns: meta.columns, scaling: meta.scaling, windowRelative: meta.windowRelative ?? false, cell: meta.cell, units: meta.units, layers: meta.layers },
        model,
      );
      f.xScaler = Scaler.fromJSON(meta.xScaler);
      f.yScaler = Scaler.fromJSON(meta.yScaler);
    } catch (e) {
      throw not((e as Error).message);
    }
    if (f.xScaler.columns !== f.features.length) throw not(`the input scaler has ${f.xScaler.columns} columns for ${f.features.length} features`);
    if (meta.split !== undefined) f.split = { validation: meta.split.validation ?? 0.1, test: meta.split.test ?? 0.2 };
    if (meta.info !== undefined && meta.info !== null && typeof meta.info === 'object') f.info = meta.info;
    return f;
  }

  /**
   * Free the model's backend memory now (see Model.dispose); afterwards every use
   * throws "… was disposed".
   */
  dispose(): void {
    this.model.dispose();
  }
}
