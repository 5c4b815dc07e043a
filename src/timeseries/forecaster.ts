/**
 * Forecaster: stacked SimpleRNN/LSTM/GRU → Dense networks that map `lookback` rows of the
 * feature columns (plus calendar covariates) to the next `horizon` values of one target column.
 *
 * Strategies: 'direct' — one Dense(horizon) output; 'recursive' — a one-step model rolled
 * forward, each prediction appended to the window (needs the target as the only feature).
 * Scaling (fitted on the training part only, stored with the model): 'standard' / 'minmax' /
 * 'none' per column. With `windowRelative` every window is measured from a reference that
 * moves with it, so a trending series (CO2) that leaves the training range is still forecast
 * from where it is: the other feature columns from their last value; the target from
 *   'last'        — its last value (a constant per window);
 *   'line'        — the least-squares line through the window, extrapolated over the horizon
 *                   (level and slope adapt at every origin);
 *   'holtWinters' — an exponential-smoothing model (fitted on the training part, parameters
 *                   then fixed, states updated through the series): its level, slope and
 *                   season at the origin, and its forecasts over the horizon. The network models
 *                   what remains — the hybrid of Smyl's ES-RNN, the M4 competition's winner.
 *                   Where the origin's deseasonalized value is more than ONE_STEP_BAND
 *                   one-step errors off that level (a level shift the fitted smoothing does not
 *                   follow: on a calm training part alpha can be ~0), the level is moved onto
 *                   that value, as 'last' does; see bases.
 * Calendar covariates (calendar.ts): sin/cos of the time of year / week / day of every input
 * row, from `times`, unscaled. Ensemble: several networks (their own initial weights) side by
 * side in one graph, trained together on the same batches, forecasting their median.
 * Browser-safe: save/load to a path go through the library's dynamic Node imports.
 */
import { Tensor } from '../core/tensor.js';
import { checkOptions, show } from '../core/errors.js';
import { layers } from '../layers/index.js';
import { input as graphInput } from '../layers/inputLayer.js';
import type { SymbolicTensor } from '../layers/node.js';
import type { Layer } from '../layers/layer.js';
import { optimizers } from '../optimizers/index.js';
import { losses } from '../losses/index.js';
import { Sequential } from '../models/sequential.js';
import { model as graphModel, type Model, type SaveHandler } from '../models/model.js';
import { loadModel, sourceName, taskMetadata, type LoadOptions } from '../models/loadModel.js';
import { callbacks as cb, type Callback, type History } from '../models/callbacks.js';
import type { ProgressSink } from '../models/progbar.js';
import { Scaler, type ScalerJSON, type ScalerKind } from './scalers.js';
import { chronologicalSplit, checkPositiveInt, rowsNeeded, toSeries, windowOrigins, type Series, type SeriesInput, type SplitOptions } from './windowing.js';
import { forecastMetrics, lastValueForecast, seasonalNaiveForecast, type ForecastMetrics } from './metrics.js';
import { EtsNoFit, etsName, etsRolling, fitEts, selectEts, type EtsModel } from './ets.js';
import { checkSarimaModel, defaultSarimaSpec, fitSarima, sarimaFitStart, sarimaMinRows, sarimaRolling, sarimaName, rowFourierExog, yearlyFourierExog, type SarimaFitOptions, type SarimaModel } from './sarima.js';
import { checkHoltWintersModel, holtWintersRolling, holtWintersStates, selectHoltWinters, type HoltWintersModel, type HoltWintersStates } from './holtWinters.js';
import { calendarFeatures, calendarWidth, checkCalendarSpec, checkTimes, detectCalendar, extendTimes, type CalendarSpec } from './calendar.js';
import { AUTO_SEASON_MAX, detectSeason } from './season.js';
import { applyConformal, checkConformalCalibration, conformalMinPoints, fitConformal, symmetricPairs, CALIBRATIONS, type ConformalCalibration, type ConformalPart, type ForecastCalibration } from './conformal.js';

export type ForecastCell = 'lstm' | 'gru' | 'simple';
export type ForecastStrategy = 'direct' | 'recursive';
/** What each window's target values are measured from (with windowRelative); see the file header. */
export type ForecastReference = 'last' | 'line' | 'holtWinters' | 'seasonalLine';

/**
 * The defaults the Forecaster API and `rnnkit timeseries` share (the CLI's `--scaling relative`
 * is scaling 'standard' with windowRelative).
 */
export const FORECASTER_DEFAULTS = {
  strategy: 'direct',
  scaling: 'standard',
  windowRelative: true,
  // Chosen on the validation parts (tools/forecastQuality.ts, 3 seeds): CO2 MAE 0.373 vs 'last'
  // 0.476, 'seasonalLine' 0.453, 'line' 0.493; Seattle 2.445 vs 'last' 2.438 (a tie).
  reference: 'holtWinters',
  // Detected on the training part (detectSeason), as the CLI's --season auto.
  season: 'auto',
  calendar: 'auto',
  // Three networks: on the validation parts (5 seeds CO2, 3 Seattle) MAE 0.367 vs 0.372 for one
  // and 2.440 vs 2.445, and a narrower spread over seeds (CO2 test 0.437-0.458 vs 0.440-0.493),
  // for 3× the training time (CO2 16 s, Seattle 11 s on a busy 2-core machine).
  ensemble: 3,
  // The network's forecast combined with the best classical model (ETS, SARIMA or the seasonal naive; fitted on the
  // training part), weights per horizon step chosen on the validation part (see combine).
  combine: 'auto',
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
  /**
   * Further input columns taken as they are (scaled, never measured from a reference): known
   * covariates such as a precipitation or a holiday flag. Default none.
   */
  covariates?: readonly number[];
  /** Column names (for messages and the saved model). Default 'column 0', … */
  columns?: readonly string[];
  /** Per-column scaling. Default 'standard'. */
  scaling?: ScalerKind;
  /**
   * Measure each window from a reference that moves with it (see `reference`), so a trending
   * series that leaves the training range is still forecast from where it is. Default true
   * (as `rnnkit timeseries`).
   */
  windowRelative?: boolean;
  /** The target's reference in each window (needs windowRelative). Default: FORECASTER_DEFAULTS.reference. */
  reference?: ForecastReference;
  /**
   * Season length (rows) of the Holt-Winters reference (its seasonal variants need a training
   * part of two seasons; on a shorter one the reference is chosen among the others), and the default season of evaluate's
   * seasonal baselines: a number; 'auto' — detected by the first fit from the training part (and
   * its times; detectSeason, season.ts), up to AUTO_SEASON_MAX (24) rows; null or 'none' — none.
   * Default: FORECASTER_DEFAULTS.season ('auto', as the CLI's --season). Detection looks only at
   * the training part; a model saved without a season loads without one.
   */
  season?: number | 'auto' | 'none' | null;
  /**
   * Calendar covariates from fit's `times`: 'auto' (default) — Fourier terms of the periods
   * the row spacing suggests (detectCalendar), none when fit gets no times; false — none;
   * or a spec {step, terms}.
   */
  calendar?: 'auto' | false | CalendarSpec;
  /** Networks in the ensemble (median forecast). Default: FORECASTER_DEFAULTS.ensemble. */
  ensemble?: number;
  /**
   * Combine the network's forecast with a classical one: 'auto' — fit computes it after training
   * (fitMany: for each series, on its own parts, kept per series): ETS (selectEts) and SARIMA (the
   * airline model with a season of 2–24 rows; else ARIMA(1,1,1) with 2 yearly Fourier pairs for
   * daily or weekly times, with 2 Fourier pairs of a season over 24 rows from the row index, or
   * plain — as evaluate's baseline) are fitted on the training part and, with a season of 2–24
   * rows and a lookback of at least a season, the seasonal naive forecast is scored beside them
   * (nothing to fit or re-fit); the one with the lowest validation MAE is kept, and per horizon step the network's weight w
   * (the classical 1 − w): the one of {0, 0.05, …, 1} with the lowest validation MAE, shrunk toward
   * the inverse-MSE weight as far as the validation windows are few (combinationWeights). Scored
   * are the forecasts from every origin with a step in the validation part, at the steps that fall
   * there: each validation row once per step, so a validation part shorter than the horizon still
   * chooses (the network's early stopping needs whole windows). The kept model is
   * then re-estimated on the training and validation rows (as evaluate's baselines are fitted
   * on every row before the test part) — unless the re-fit, in sample on the validation windows,
   * does 1.5 times worse than the training-part fit did out of sample (another maximum of the likelihood):
   * then the training-part fit's parameters — fixed, its states run through each series
   * forecast from (as the Holt-Winters reference). Where the model is off its data at an origin
   * (ForecastCombination.guard) the network forecasts alone. false — the network alone. Default: FORECASTER_DEFAULTS.combine.
   */
  combine?: 'auto' | false;
  /**
   * Forecast these quantiles (increasing, in (0, 1), 0.5 among them: the point forecast), trained
   * with the pinball loss instead of the squared error; evaluate reports their coverage. Default:
   * none (squared error, point forecasts).
   */
  quantiles?: readonly number[];
  /**
   * How the quantiles' intervals are calibrated: 'conformal' — after training, each symmetric
   * pair of levels (0.1/0.9, 0.05/0.95, …) is widened per horizon step by conformalized quantile
   * regression on the validation part only (conformal.ts), so that its coverage on new data is
   * near its nominal hi − lo where the pinball-trained network's own band under-covers; never
   * narrowed (a negative offset is taken as 0; see fitCalibration); the 0.5 quantile (the point
   * forecast) never moves and quantiles never cross.
   * Many series (fitMany) share one set of offsets, pooled over the series in each one's scaled
   * units (a series' own validation part is often too short for a level). 'none' — as trained.
   * Default: 'conformal' with quantiles whose levels are symmetric around 0.5 and the direct
   * strategy, else 'none' (calibrationNote says why). An explicit 'conformal' is refused without
   * such quantiles, and by fit (before training) when the validation part has too few rows for a
   * pair: nominal 1 − α needs (1 − α)/α rows, 4 for 80%, 9 for 90%, 19 for 95%; by default such a
   * pair is left as trained and calibrationNote says so.
   */
  calibration?: ForecastCalibration;
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
  /** Time of every row (Dates or ms since 1970, oldest first), for the calendar covariates. */
  times?: readonly (number | Date)[];
  /** Data-parallel shards (see Model.fit's workers). Default 'auto'. */
  workers?: number | 'auto';
}

export interface ForecastPredictOptions {
  /** Time of every row of the series (needed when the forecaster has calendar covariates). */
  times?: readonly (number | Date)[];
}

export interface ForecastEvaluateOptions {
  /** Fraction of rows at the end to score (targets inside it). Default: fit's `test` (0.2). */
  test?: number;
  /** Period of the seasonal-naive baseline and of Holt-Winters' season; default the forecaster's `season`; none: no seasonal baseline, non-seasonal Holt-Winters only. */
  season?: number;
  /** Score the Holt-Winters baseline (fitted on the rows before the test part). Default true. */
  holtWinters?: boolean;
  /**
   * Score the ETS baseline (selectEts on the rows before the test part). Default true. Seasonal
   * variants only for a season of 2 to AUTO_SEASON_MAX (24) rows: each fits a starting state per
   * season row, which takes minutes at 52 or 365; above it the non-seasonal variants are
   * selected (the row's name, e.g. ETS (AAdN), says which).
   */
  ets?: boolean;
  /**
   * Score the SARIMA baseline (fitSarima on the rows before the test part: (1,1,1)(0,1,1)s with a
   * season, ARIMA(1,1,1) without). Default: true with a season from 2 to 24, or when the
   * forecaster's combination is a SARIMA/ARIMA model (so the model the forecast leans on has its
   * row beside it); false otherwise (a maximum-likelihood fit costs seconds on a few hundred
   * rows, and its state grows with the season: a longer one, asked for, may be refused by
   * fitSarima). With `times` and no season
   * of 2 to 24, when the rows' year is over 24 rows (daily, weekly rows) and a year of rows
   * precedes the test part: ARIMA(1,1,1) with 2 Fourier pairs of the year as regressors
   * (yearlyFourierExog), unless `sarima: false`. Otherwise, with a season over 24 rows and a
   * season of rows before the test part: ARIMA(1,1,1) with 2 Fourier pairs of that season from
   * the row index (rowFourierExog), e.g. a detected 52 on weekly rows without dates.
   */
  sarima?: boolean;
  /** Time of every row (needed when the forecaster has calendar covariates). */
  times?: readonly (number | Date)[];
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
  /**
   * ETS (selectEts: error × trend × season by AICc, fitted by maximum likelihood on the rows
   * before the test part, parameters then fixed, states updated through the test part). Absent
   * with `ets: false`, when those rows are too few (as Holt-Winters), when they are all equal
   * (a constant series: no likelihood to maximize), or when no variant has a finite likelihood
   * on them (EtsNoFit).
   */
  ets?: ForecastMetrics;
  /** The fitted ETS model behind `ets`. */
  etsModel?: EtsModel;
  /** Its forecasts, [windows · horizon] as `predictions`. */
  etsPredictions?: Float64Array;
  /**
   * SARIMA (fitSarima by maximum likelihood on the rows before the test part, parameters then
   * fixed, the Kalman filter run through the test part). Absent with `sarima: false` (the
   * default without a season) or when those rows are too few for the order (sarimaMinRows).
   */
  sarima?: ForecastMetrics;
  /** The fitted SARIMA model behind `sarima`. */
  sarimaModel?: SarimaModel;
  /**
   * Why a baseline asked for is absent or simpler than the season suggests (too few rows before
   * the test part; ETS's seasonal variants only for seasons up to AUTO_SEASON_MAX rows). Absent
   * when there is nothing to say.
   */
  baselineNotes?: string[];
  /** Its forecasts, [windows · horizon] as `predictions`. */
  sarimaPredictions?: Float64Array;
  /**
   * With `quantiles` (direct strategy): the forecast quantiles [windows · horizon · levels], the
   * share of actual values inside [lowest, highest] (nominal: highest − lowest level) and below
   * each quantile (nominal: its level).
   */
  quantiles?: {
    levels: number[];
    values: Float64Array;
    coverage: number;
    below: number[];
    /** How `values` are calibrated: 'conformal' — the offsets fit found on the validation part applied. */
    calibration: ForecastCalibration;
    /** Mean width of the outer interval (highest − lowest quantile), in the target's units. */
    width: number;
    /** Every symmetric pair of levels, outermost first: nominal coverage, coverage and mean width, calibrated and as trained. */
    intervals: { levels: [number, number]; nominal: number; coverage: number; width: number; uncalibrated: { coverage: number; width: number } }[];
    /** With calibration 'conformal': the network's own quantiles (as `values`), their outer coverage, share below each level, outer width. */
    uncalibrated?: { values: Float64Array; coverage: number; below: number[]; width: number };
    /** Why the intervals are not (all) calibrated (the forecaster's calibrationNote). */
    note?: string;
  };
  /**
   * With a combination that has a guard (ForecastCombination.guard): how many of the scored
   * windows the network forecast alone, its classical model being off its data at their origin.
   */
  guarded?: number;
  /** Windows scored (each contributes `horizon` points). */
  windows: number;
  horizon: number;
  /** Forecast origins (last input row) of the scored windows. */
  origins: number[];
  /** [windows · horizon], origin-major, original units. */
  predictions: Float64Array;
  actual: Float64Array;
}

/** The classical model a forecaster's network is combined with (combine 'auto'), as fit chose it. */
export interface ForecastCombination {
  /**
   * Which classical model, and its name, e.g. 'ETS (AAdA)', 'SARIMA(1,1,1)(0,1,1)12',
   * 'seasonal naive (11)' (each step the value one season before: nothing fitted).
   */
  kind: 'ets' | 'sarima' | 'seasonalNaive';
  name: string;
  ets?: EtsModel;
  sarima?: SarimaModel;
  /** The seasonal naive forecast's season (rows). */
  period?: number;
  /**
   * SARIMA with Fourier regressors: yearly ones (yearlyFourierExog of the rows' times) — the
   * pairs, the row step in ms, and the first row's time (the regressors' phase runs from it); or
   * those of a season over AUTO_SEASON_MAX rows from the row index (rowFourierExog) — the pairs
   * and the season.
   */
  fourier?: { pairs: number; stepMs: number; t0: number } | { pairs: number; period: number };
  /** The network's weight per horizon step (the classical model's is 1 − w); steps past the horizon take the last. */
  weights: number[];
  /** The first target values of the training series (the classical states run from row 0). */
  start: number[];
  /**
   * Validation-part MAE of the network, of each classical candidate (as fitted on the training
   * part: what chose the weights), and of the combination; windows: the origins scored (each at
   * the steps that fall in the validation part: validation rows + horizon − 1 of them; models
   * saved before such partial windows counted whole windows only); rows: the validation rows, each
   * scored once per step (absent in models saved before it).
   */
  validation: { windows: number; rows?: number; network: number; combined: number; ets?: number; sarima?: number; seasonalNaive?: number };
  /**
   * Where the classical model's one-step errors (its forecast of a row from the row before,
   * against the value) at an origin's row and at the two rows before all exceed this, on either
   * side, that origin is forecast by the network alone: the model is off its data (a level shift
   * its fixed parameters do not follow, a differenced model ringing after a jump; one or two
   * large errors are an outlier, passed over). ONE_STEP_BAND
   * × the RMS of its one-step errors on the rows it was fitted on (after a warm-up of two seasons
   * + 10 rows). The validation windows it is off do not choose the weights. Absent (models saved
   * before it, or too few rows to measure it): never.
   */
  guard?: number;
  /** Seconds spent fitting the classical candidates and choosing the weights. */
  seconds: number;
}

export interface ForecasterMetadata {
  version: 1;
  lookback: number;
  horizon: number;
  strategy: ForecastStrategy;
  target: number;
  features: number[];
  /** Absent in models saved before covariates existed: none. */
  covariates?: number[];
  columns: string[];
  scaling: ScalerKind;
  windowRelative: boolean;
  /** Absent in models saved before it existed: 'last'. */
  reference?: ForecastReference;
  season?: number | null;
  /** The season was detected by fit (season 'auto'), not given. Absent: given (or none). */
  seasonDetected?: boolean;
  /** The calendar covariates the network was trained with (null: none). */
  calendar?: CalendarSpec | null;
  /** The fitted Holt-Winters model of the 'holtWinters' reference. */
  holtWinters?: HoltWintersModel | null;
  /** The first target values of the training series (the Holt-Winters states run from there). */
  holtWintersStart?: number[] | null;
  ensemble?: number;
  /** Absent in models saved before combinations existed: false. */
  combine?: 'auto' | false;
  /** The classical model combined with the network (null: none). */
  combination?: ForecastCombination | null;
  quantiles?: number[] | null;
  /** Absent in models saved before calibration existed: 'none' (they forecast as trained). */
  calibration?: ForecastCalibration;
  /** The conformal offsets fit found, as applied (≥ 0; null: none). */
  conformal?: ConformalCalibration | null;
  /** Why the intervals are not (all) calibrated (null: they are, or none was asked for). */
  calibrationNote?: string | null;
  cell: ForecastCell;
  units: number;
  layers: number;
  xScaler: ScalerJSON;
  yScaler: ScalerJSON;
  split: Required<SplitOptions>;
  /** Anything the caller stores with the model (the CLI keeps its time column here). */
  info?: Record<string, unknown>;
  /**
   * Trained on many series (fitMany): each id's scalers, reference and combination (the top-level
   * scalers and reference are the first id's; the top-level combination is null). Absent or null:
   * one series.
   */
  series?: Record<string, ForecasterSeriesJSON> | null;
}

export interface ForecastFitManyOptions extends Omit<ForecastFitOptions, 'times'> {
  /** Each series' times by id (for the calendar covariates). */
  times?: Readonly<Record<string, readonly (number | Date)[]>>;
}

export interface ForecastManyPredictOptions {
  /** Each series' times by id (needed when the forecaster has calendar covariates). */
  times?: Readonly<Record<string, readonly (number | Date)[]>>;
}

export interface ForecastEvaluateManyOptions extends Omit<ForecastEvaluateOptions, 'times'> {
  /** Each series' times by id (needed when the forecaster has calendar covariates). */
  times?: Readonly<Record<string, readonly (number | Date)[]>>;
}

export interface ForecastEvaluationMany {
  /** Every series' evaluation (its own last `test` fraction held out, its own baselines). */
  byId: Record<string, ForecastEvaluation>;
  /** The mean over the series of each metric (a baseline only when every series has it). */
  pooled: { model: ForecastMetrics; lastValue: ForecastMetrics; seasonalNaive?: ForecastMetrics; holtWinters?: ForecastMetrics; ets?: ForecastMetrics; sarima?: ForecastMetrics };
}

/** One series' state in a forecaster trained on many (fitMany): its scalers, Holt-Winters reference and combination. */
export interface ForecasterSeriesJSON {
  xScaler: ScalerJSON;
  yScaler: ScalerJSON;
  holtWinters: HoltWintersModel | null;
  holtWintersStart: number[] | null;
  /** Its classical model and weights (combine 'auto'; null: the network alone). Absent in models saved before per-series combinations existed: none. */
  combination?: ForecastCombination | null;
}

interface SeriesState {
  xScaler: Scaler;
  yScaler: Scaler;
  holtWintersModel: HoltWintersModel | null;
  hwStart: number[] | null;
  combination: ForecastCombination | null;
  /** Why fitMany left `combination` null with combine 'auto' (null otherwise, and after load: not saved). */
  combinationNote: string | null;
  /** During fitMany: the combination with its training-part classical fit (see Forecaster.combinationTrainFit). */
  combinationTrainFit: ForecastCombination | null;
}

/** What fitCombination chose for one series: the combination (null: none, `note` says why), its training-part fit, the validation forecasts. */
interface CombinationChoice {
  combination: ForecastCombination | null;
  trainFit: ForecastCombination | null;
  note: string | null;
  validation: Forecaster['combinationValidation'];
}

/** One series' encoded training (and validation) windows. */
interface TrainPart {
  train: { x: Float32Array; y: Float32Array; n: number };
  val: { x: Float32Array; y: Float32Array; n: number } | null;
}

export const FORECASTER_KEY = 'rnnkitForecaster';
const CELLS: readonly ForecastCell[] = ['lstm', 'gru', 'simple'];
const REFERENCES: readonly ForecastReference[] = ['last', 'line', 'holtWinters', 'seasonalLine'];
/**
 * How far off its data a classical model's state may be, in its own one-step errors (RMS on the
 * rows it was fitted on), before the forecaster stops trusting it at that origin: the
 * 'holtWinters' reference then takes the origin's own value as its level (see bases), and the
 * combination forecasts with the network alone (see ForecastCombination.guard). Fitted on a calm
 * part, smoothing can have alpha ~0 and keep its level through a level shift. Four: on the nine
 * real series of tools/forecastSeries.ts (seeds 1–6) the reference's test MAE moved by under 1.3% on
 * two series and not at all on seven, and a step from 10 to 30 went from MAE 20 to 0.34.
 */
export const ONE_STEP_BAND = 4;
/** One-step errors in a row beyond the guard that make a classical model off its data at an origin (see offData). */
const OFF_DATA_ROWS = 3;
/** A re-fitted classical model this many times worse in sample than its training-part fit out of sample has left that fit's maximum (see fitCombination). */
const REFIT_WORSE = 1.5;
/** Rows at the start of a series compared with the training series' for the Holt-Winters reference. */
const HW_START = 3;

/**
 * Least-squares line through the window's values at k = −(L−1)…0 (k = 0 the origin e), after
 * taking out `season(k)` (subtracted, or divided with `mul`): [level at the origin, slope].
 */
function lineThrough(y: Float64Array, e: number, L: number, season: ((k: number) => number) | null, mul = false): [number, number] {
  const v = (k: number): number => {
    const x = y[e + k]!;
    return season === null ? x : mul ? x / season(k) : x - season(k);
  };
  const km = -(L - 1) / 2;
  let ym = 0;
  for (let k = -(L - 1); k <= 0; k++) ym += v(k);
  ym /= L;
  let sxy = 0;
  let sxx = 0;
  for (let k = -(L - 1); k <= 0; k++) {
    sxy += (k - km) * (v(k) - ym);
    sxx += (k - km) * (k - km);
  }
  const b = sxx > 0 ? sxy / sxx : 0;
  return [ym - b * km, b];
}

/** A series ready for windowing: the checked values, the target column, calendar rows and Holt-Winters states. */
interface Prepared {
  s: Series;
  /** Columns of `s` holding the features and the target. */
  cols: readonly number[];
  tcol: number;
  /** Target values, one per row. */
  tgt: Float64Array;
  /** Calendar covariates [≥ rows · C] (rows past the end for feedback), or null. */
  cal: Float64Array | null;
  hw: HoltWintersStates | null;
}

/**
 * How many horizons of validation windows the prior weight of combinationWeights counts as.
 * Chosen on the validation parts alone (tools/forecastSeries.ts: weights chosen on the first half
 * of each fit's validation windows, scored on the second; geometric mean of MAE over the better
 * part's, 27 fits): 1.014 for the grid's choice alone; shrunk toward ½ with a prior of 1, 2 and 4
 * horizons 0.997, 0.993 and 0.991; toward the inverse-MSE weight with 4, 0.992; either prior
 * alone 0.989–0.990. 4 keeps most of the prior's gain where the validation part is short (a
 * 120-row monthly series: 7 windows of 6) and lets 20 or more horizons of windows (Seattle's 140
 * windows of 7) speak for themselves. The inverse-MSE prior rather than ½: a part the windows find
 * far worse gets little weight (the first 120 rows of CO2: 1.123 of the best classical model's
 * MAE against 1.303 with ½). Measured with whole validation windows; with the partial ones that
 * fitCombination now scores too, the same check gives 0.989 (network alone 1.020).
 */
export const COMBINATION_PRIOR_HORIZONS = 4;

/**
 * The network's weight per horizon step for w·network + (1 − w)·classical. All three arrays are
 * [windows · horizon], origin-major; `actual` is NaN where a window's step is not scored (outside
 * the validation part), the others finite. Per step h, the grid weight w*_h (0.05 from 1 down to 0, a
 * tie keeps the larger) with the lowest MAE over the N_h windows scored at that step, shrunk toward
 * one prior weight for every step, Bates and Granger's inverse-MSE weight w0 = SSE_classical /
 * (SSE_network + SSE_classical) over every scored point (1 when both are exact):
 *
 *   w_h = (N_h/H · w*_h + K · w0) / (N_h/H + K),  K = COMBINATION_PRIOR_HORIZONS.
 *
 * Why: N windows of H steps overlap (they cover N + H − 1 rows), so they hold about N/H
 * independent looks at step h, and the grid's choice from 8–17 windows (the validation parts of
 * short yearly or quarterly series) fits their noise: chosen on half of the validation windows, it
 * scored worse on the other half than the network alone. Where the validation part is long the
 * grid's choice dominates; a step no window reaches takes the prior. So each step's MAE on these
 * windows can now exceed the better part's (the prior trades that for the windows to come).
 */
export function combinationWeights(network: ArrayLike<number>, classical: ArrayLike<number>, actual: ArrayLike<number>, horizon: number): number[] {
  const H = checkPositiveInt(horizon, 'combinationWeights: horizon');
  const N = actual.length / H;
  if (!Number.isInteger(N) || N < 1 || network.length !== actual.length || classical.length !== actual.length) throw new RangeError(`combinationWeights: network (${network.length}), classical (${classical.length}) and actual (${actual.length}) must be windows × horizon ${H} values each`);
  // A NaN forecast would make every weight's error NaN and leave the first weight chosen without a
  // word; an actual value may be NaN only as "not scored", and one point at least must be scored.
  for (const [name, v] of [['network', network], ['classical', classical], ['actual', actual]] as const) {
    for (let i = 0; i < v.length; i++) if (!(Number.isFinite(v[i]) || (name === 'actual' && Number.isNaN(v[i])))) throw new RangeError(`combinationWeights: ${name}[${i}] is ${show(v[i])}; every value must be finite${name === 'actual' ? ' (or NaN: not scored)' : ''}`);
  }
  let [sseNetwork, sseClassical, scored] = [0, 0, 0];
  for (let i = 0; i < actual.length; i++) {
    if (Number.isNaN(actual[i])) continue;
    sseNetwork += (network[i]! - actual[i]!) ** 2;
    sseClassical += (classical[i]! - actual[i]!) ** 2;
    scored++;
  }
  if (scored === 0) throw new RangeError('combinationWeights: every actual value is NaN (not scored); nothing to choose the weights on');
  const prior = sseNetwork + sseClassical === 0 ? 1 : sseClassical / (sseNetwork + sseClassical);
  const weights: number[] = [];
  for (let h = 0; h < H; h++) {
    const at: number[] = [];
    for (let k = 0; k < N; k++) if (!Number.isNaN(actual[k * H + h])) at.push(k * H + h);
    let bw = 1;
    let be = Infinity;
    for (let g = 20; g >= 0; g--) {
      const w = g / 20;
      let e = 0;
      for (const i of at) e += Math.abs(w * network[i]! + (1 - w) * classical[i]! - actual[i]!);
      // A relative margin: rounding alone never moves the weight off the network.
      if (g === 20 || e < be - 1e-12 * be) [bw, be] = [w, e];
    }
    const looks = at.length / H;
    weights.push((looks * bw + COMBINATION_PRIOR_HORIZONS * prior) / (looks + COMBINATION_PRIOR_HORIZONS));
  }
  return weights;
}

/**
 * The points fit chooses on after training (the combination's candidate and weights, fitAuto's
 * lookback): every origin with a step in the validation rows [trainEnd, validationEnd), and per
 * origin and step the target there, NaN where the step's row lies outside them (not scored). Every
 * validation row is scored once per step (as fitCalibration scores), so a validation part shorter
 * than the horizon (72 monthly rows: 7 for horizon 12) still chooses, and a short one gives every
 * step as many points as it has rows. Needs a validation row and trainEnd ≥ lookback + horizon − 1.
 */
export function validationPoints(y: ArrayLike<number>, split: { trainEnd: number; validationEnd: number }, lookback: number, horizon: number): { origins: number[]; actual: Float64Array } {
  const { trainEnd: n, validationEnd: v } = split;
  const first = Math.max(lookback - 1, n - horizon);
  const origins = Array.from({ length: Math.max(0, v - 1 - first) }, (_, i) => first + i);
  const actual = Float64Array.from({ length: origins.length * horizon }, (_, i) => {
    const r = origins[Math.floor(i / horizon)]! + 1 + (i % horizon);
    return r >= n && r < v ? y[r]! : NaN;
  });
  return { origins, actual };
}

/** The mean absolute error of `predicted` over the scored points of `actual` (not NaN; see validationPoints). */
export function scoredMae(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  let [sum, k] = [0, 0];
  for (let i = 0; i < actual.length; i++) {
    if (Number.isNaN(actual[i])) continue;
    sum += Math.abs(predicted[i]! - actual[i]!);
    k++;
  }
  return sum / k;
}

/** A series whose training part is too short for one window (Forecaster.checkSplit). */
class ShortSeries extends RangeError {}

/** selectEts, or null where no ETS variant can be fitted to these values (that baseline or candidate is then left out, as for a constant series). */
function fittedEts(y: ArrayLike<number>, options: { period?: number }): EtsModel | null {
  try {
    return selectEts(y, options);
  } catch (e) {
    if (e instanceof EtsNoFit) return null;
    throw e;
  }
}

/**
 * Every value the same: a constant series (a stuck sensor, a product that never sold). ETS has no
 * likelihood there (every variant fits exactly, its error variance 0), so the Forecaster leaves
 * that candidate and baseline out rather than fail (Holt-Winters and SARIMA forecast the constant).
 */
function allEqual(v: ArrayLike<number>): boolean {
  for (let i = 1; i < v.length; i++) if (v[i] !== v[0]) return false;
  return true;
}

/** A finite number, or refused naming the field. */
function finite(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`${what} must be a finite number, got ${show(v)}`);
  return v;
}

/**
 * A saved model's Fourier pairs: at most half the period (higher pairs only repeat the lower ones
 * at whole rows), which also bounds the regressors a file from elsewhere makes us compute per row.
 */
function checkFourierPairs(pairs: number, period: number, where: string): void {
  if (pairs > period / 2) throw new RangeError(`${where}.fourier.pairs must be at most half the period (${period} rows), got ${pairs}`);
}

/** The longest season a saved model's classical parts may name (rows; a year of hours is 8,766): a bound on what a file from elsewhere makes us allocate. */
const MAX_PERIOD = 10_000;

/** Check an ETS model read from a file: its fields present and finite (etsRolling checks the spec and the parameters' ranges when it runs). */
function checkEtsModel(json: unknown, where: string): EtsModel {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new RangeError(`${where} must be an ETS model object, got ${show(json)}`);
  const j = json as Record<string, unknown>;
  const nums = ['period', 'alpha', 'beta', 'gamma', 'phi', 'initialLevel', 'initialTrend', 'n', 'loglik', 'k', 'aic', 'bic', 'sigma2', 'level', 'slope'] as const;
  checkOptions(j, ['error', 'trend', 'damped', 'seasonal', 'initialSeason', 'season', 'aicc', ...nums], where);
  const out: Record<string, unknown> = {};
  for (const k of nums) out[k] = finite(j[k], `${where}.${k}`);
  // AICc is infinite when the parameters use up the rows; JSON writes that as null.
  out.aicc = j.aicc === null ? Infinity : finite(j.aicc, `${where}.aicc`);
  const m = out.period as number;
  if (!Number.isInteger(m) || m < 0 || m > MAX_PERIOD) throw new RangeError(`${where}.period must be an integer in 0…${MAX_PERIOD}, got ${show(j.period)}`);
  for (const k of ['initialSeason', 'season'] as const) {
    const v = j[k];
    if (!Array.isArray(v) || v.length !== m || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) throw new RangeError(`${where}.${k} must be ${m} finite numbers (one per season row)`);
    out[k] = [...(v as number[])];
  }
  if (j.error !== 'add' && j.error !== 'mul') throw new RangeError(`${where}.error must be 'add' or 'mul', got ${show(j.error)}`);
  if (j.trend !== 'add' && j.trend !== null) throw new RangeError(`${where}.trend must be 'add' or null, got ${show(j.trend)}`);
  if (j.seasonal !== 'add' && j.seasonal !== 'mul' && j.seasonal !== null) throw new RangeError(`${where}.seasonal must be 'add', 'mul' or null, got ${show(j.seasonal)}`);
  if (typeof j.damped !== 'boolean') throw new RangeError(`${where}.damped must be a boolean, got ${show(j.damped)}`);
  return { ...(out as unknown as EtsModel), error: j.error, trend: j.trend, seasonal: j.seasonal, damped: j.damped };
}

/**
 * fitSarima on rows [0, end) of y (spec's exog covering them), estimating the parameters on the
 * last of those rows when the series is long (sarimaFitStart: a daily season on hourly rows
 * would otherwise take minutes); forecasts then filter every row with them.
 */
function fitSarimaRecent(y: Float64Array, end: number, spec: SarimaFitOptions): SarimaModel {
  const from = sarimaFitStart(end, spec);
  if (from === 0) return fitSarima(y.subarray(0, end), spec);
  return fitSarima(y.subarray(from, end), spec.exog === undefined ? spec : { ...spec, exog: spec.exog.slice(from, end) });
}

/** The seasonal naive forecasts of `y` from `origins`, [origins · steps]: each step the value one season (m rows) before it. */
function seasonalNaiveRolling(m: number, y: Float64Array, origins: readonly number[], steps: number): Float64Array {
  return seasonalNaiveForecast({ rows: y.length, columns: 1, data: y }, 0, origins, steps, m);
}

/** Check a saved combination (untrusted file): fields, weights in [0, 1], one per horizon step, the classical model. */
function checkCombination(json: unknown, horizon: number, where: string): ForecastCombination {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new RangeError(`${where} must be an object, got ${show(json)}`);
  const j = json as Record<string, unknown>;
  checkOptions(j, ['kind', 'name', 'ets', 'sarima', 'period', 'fourier', 'weights', 'start', 'validation', 'guard', 'seconds'], where);
  if (j.kind !== 'ets' && j.kind !== 'sarima' && j.kind !== 'seasonalNaive') throw new RangeError(`${where}.kind must be 'ets', 'sarima' or 'seasonalNaive', got ${show(j.kind)}`);
  if (typeof j.name !== 'string') throw new RangeError(`${where}.name must be a string, got ${show(j.name)}`);
  const w = j.weights;
  if (!Array.isArray(w) || w.length !== horizon || !w.every((v) => typeof v === 'number' && v >= 0 && v <= 1)) throw new RangeError(`${where}.weights must be ${horizon} numbers in [0, 1] (one per horizon step), got ${show(w)}`);
  const st = j.start;
  if (!Array.isArray(st) || st.length === 0 || st.length > HW_START || !st.every((v) => typeof v === 'number' && Number.isFinite(v))) throw new RangeError(`${where}.start must be 1…${HW_START} finite numbers, got ${show(st)}`);
  const v = j.validation;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new RangeError(`${where}.validation must be an object, got ${show(v)}`);
  checkOptions(v, ['windows', 'rows', 'network', 'combined', 'ets', 'sarima', 'seasonalNaive'], `${where}.validation`);
  const vr = v as Record<string, unknown>;
  const validation: ForecastCombination['validation'] = { windows: finite(vr.windows, `${where}.validation.windows`), network: finite(vr.network, `${where}.validation.network`), combined: finite(vr.combined, `${where}.validation.combined`) };
  if (vr.ets !== undefined) validation.ets = finite(vr.ets, `${where}.validation.ets`);
  if (vr.sarima !== undefined) validation.sarima = finite(vr.sarima, `${where}.validation.sarima`);
  if (vr.seasonalNaive !== undefined) validation.seasonalNaive = finite(vr.seasonalNaive, `${where}.validation.seasonalNaive`);
  if (vr.rows !== undefined) {
    if (!Number.isInteger(vr.rows) || (vr.rows as number) < 1) throw new RangeError(`${where}.validation.rows must be a count of rows ≥ 1, got ${show(vr.rows)}`);
    validation.rows = vr.rows as number;
  }
  const out: ForecastCombination = { kind: j.kind, name: j.name, weights: [...(w as number[])], start: [...(st as number[])], validation, seconds: finite(j.seconds, `${where}.seconds`) };
  if (j.guard !== undefined) {
    // A negative guard would hand every origin to the network alone.
    const g = finite(j.guard, `${where}.guard`);
    if (g < 0) throw new RangeError(`${where}.guard must be ≥ 0 (a one-step error), got ${g}`);
    out.guard = g;
  }
  if (j.kind === 'seasonalNaive') {
    if (j.ets !== undefined || j.sarima !== undefined || j.fourier !== undefined) throw new RangeError(`${where}: a 'seasonalNaive' combination has no ets, sarima or fourier field`);
    const m = j.period;
    if (typeof m !== 'number' || !Number.isInteger(m) || m < 2 || m > AUTO_SEASON_MAX) throw new RangeError(`${where}.period must be an integer from 2 to ${AUTO_SEASON_MAX}, got ${show(m)}`);
    out.period = m;
    return out;
  }
  if (j.period !== undefined) throw new RangeError(`${where}: an '${j.kind}' combination has no period field`);
  if (j.kind === 'ets') {
    if (j.sarima !== undefined || j.fourier !== undefined) throw new RangeError(`${where}: an 'ets' combination has no sarima or fourier field`);
    out.ets = checkEtsModel(j.ets, `${where}.ets`);
    return out;
  }
  if (j.ets !== undefined) throw new RangeError(`${where}: a 'sarima' combination has no ets field`);
  out.sarima = checkSarimaModel(j.sarima, `${where}.sarima`);
  if (j.fourier !== undefined) {
    const fo = j.fourier as Record<string, unknown> | null;
    if (fo === null || typeof fo !== 'object' || Array.isArray(fo)) throw new RangeError(`${where}.fourier must be an object {pairs, stepMs, t0} or {pairs, period}, got ${show(fo)}`);
    const pairs = finite(fo.pairs, `${where}.fourier.pairs`);
    if (!Number.isInteger(pairs) || pairs < 1 || 2 * pairs !== out.sarima.exog) throw new RangeError(`${where}.fourier.pairs must be half the SARIMA model's ${out.sarima.exog} regressors, got ${show(fo.pairs)}`);
    if ('period' in fo) {
      // Fourier pairs of a season over AUTO_SEASON_MAX rows from the row index (rowFourierExog).
      checkOptions(fo, ['pairs', 'period'], `${where}.fourier`);
      const period = finite(fo.period, `${where}.fourier.period`);
      if (!Number.isInteger(period) || period <= AUTO_SEASON_MAX || period > MAX_PERIOD) throw new RangeError(`${where}.fourier.period must be an integer from ${AUTO_SEASON_MAX + 1} to ${MAX_PERIOD} (a season the airline model does not take), got ${show(fo.period)}`);
      checkFourierPairs(pairs, period, where);
      out.sarima.fourier = { period, pairs };
      out.fourier = { pairs, period };
      return out;
    }
    checkOptions(fo, ['pairs', 'stepMs', 't0'], `${where}.fourier`);
    const stepMs = finite(fo.stepMs, `${where}.fourier.stepMs`);
    if (!(stepMs > 0)) throw new RangeError(`${where}.fourier.stepMs must be positive, got ${show(fo.stepMs)}`);
    const f = yearlyFourierExog([0], stepMs, pairs);
    if (f === null) throw new RangeError(`${where}.fourier.stepMs ${stepMs} gives a year of at most 24 rows: no Fourier regressors`);
    checkFourierPairs(pairs, f.period, where);
    out.sarima.fourier = { period: f.period, pairs };
    out.fourier = { pairs, stepMs, t0: finite(fo.t0, `${where}.fourier.t0`) };
  } else if (out.sarima.exog > 0) throw new RangeError(`${where}: the SARIMA model has ${out.sarima.exog} regressors but no fourier field says what they are`);
  return out;
}

export class Forecaster {
  readonly lookback: number;
  readonly horizon: number;
  readonly strategy: ForecastStrategy;
  readonly target: number;
  readonly features: number[];
  readonly covariates: number[];
  readonly columns: string[];
  readonly scaling: ScalerKind;
  readonly windowRelative: boolean;
  readonly reference: ForecastReference;
  /** The season length (undefined: none); with season 'auto', set by the first fit. */
  season: number | undefined;
  /** How `season` was set: given, detected by fit (season 'auto'; 'pending' before the first fit), or none. */
  seasonSource: 'given' | 'detected' | 'pending' | 'none';
  readonly ensemble: number;
  readonly combine: 'auto' | false;
  /**
   * The classical model the forecasts are combined with (fit sets it with combine 'auto'; null:
   * the network alone, e.g. before fit, or with too few rows for a classical fit or a validation
   * window; combinationNote then says why). After fitMany each series has its own
   * (combinationsById), swapped in while a many-series method runs on it; this one stays null.
   */
  combination: ForecastCombination | null = null;
  /**
   * Why fit left `combination` null with combine 'auto' (null otherwise); after fitMany, which
   * series were left uncombined and why (null: every series has its combination).
   */
  combinationNote: string | null = null;
  /**
   * The validation forecasts the last fit chose the combination on ([windows · horizon] each, the
   * classical one from the candidate fitted on the training part), for tools that study the
   * choice; not saved; null after fitMany (one series' forecasts).
   */
  combinationValidation: { origins: number[]; network: Float64Array; classical: Float64Array; actual: Float64Array } | null = null;
  /**
   * During fit: the combination as chosen on the validation part, its classical model still the
   * training-part fit (the kept one is re-fitted on the validation rows too); fitCalibration
   * scores with it, so that no conformity score is in-sample. Not saved. (fitMany keeps each
   * series' in its SeriesState; withSeries swaps it in.)
   */
  private combinationTrainFit: ForecastCombination | null = null;
  /** The forecast quantiles (null: point forecasts trained on the squared error). */
  readonly quantiles: number[] | null;
  /** How the quantiles' intervals are calibrated (see ForecasterArgs.calibration). */
  readonly calibration: ForecastCalibration;
  /** Given, not defaulted: fit then refuses a validation part too short for it. */
  private readonly calibrationAsked: boolean;
  /** The conformal offsets (set by fit with calibration 'conformal'; null before, or without validation rows). */
  conformal: ConformalCalibration | null = null;
  /** Why the intervals are not (all) calibrated (null: they are, or calibration 'none' was given). */
  calibrationNote: string | null = null;
  readonly cell: ForecastCell;
  readonly units: number;
  readonly numLayers: number;
  /** 'auto' until fit resolves it from its times. */
  private calendarArg: 'auto' | false | CalendarSpec;
  /** The calendar the network takes (null: none); undefined while 'auto' is unresolved. */
  calendar: CalendarSpec | null | undefined;
  /** The Holt-Winters model behind the 'holtWinters' reference (fitted by fit). */
  holtWintersModel: HoltWintersModel | null = null;
  private hwStart: number[] | null = null;
  private net: Model | null = null;
  private readonly seed: number | undefined;
  /** Fitted by fit() (or restored by load()); null before. */
  xScaler: Scaler | null = null;
  yScaler: Scaler | null = null;
  split: Required<SplitOptions> = { validation: 0.1, test: 0.2 };
  /** Free-form data saved with the model. */
  info: Record<string, unknown> = {};
  /** Per-series state after fitMany (null: trained on one series). */
  private seriesStates: Map<string, SeriesState> | null = null;
  /** The id whose state is swapped in while a many-series method runs a single-series one. */
  private activeId: string | null = null;

  constructor(args: ForecasterArgs, model?: Model) {
    const where = 'Forecaster';
    checkOptions(args, ['lookback', 'horizon', 'strategy', 'target', 'features', 'covariates', 'columns', 'scaling', 'windowRelative', 'reference', 'season', 'calendar', 'ensemble', 'combine', 'quantiles', 'calibration', 'cell', 'units', 'layers', 'seed'], where);
    this.lookback = checkPositiveInt(args.lookback, `${where}: lookback`);
    this.horizon = checkPositiveInt(args.horizon ?? 1, `${where}: horizon`);
    this.strategy = args.strategy ?? FORECASTER_DEFAULTS.strategy;
    if (this.strategy !== 'direct' && this.strategy !== 'recursive') throw new RangeError(`${where}: strategy must be 'direct' or 'recursive', got ${show(args.strategy)}`);
    this.target = args.target ?? 0;
    if (!Number.isInteger(this.target) || this.target < 0) throw new RangeError(`${where}: target must be a column index, got ${show(args.target)}`);
    this.features = [...(args.features ?? [this.target])];
    if (this.features.length === 0 || this.features.some((f) => !Number.isInteger(f) || f < 0)) throw new RangeError(`${where}: features must be a non-empty array of column indices`);
    if (!Array.isArray(args.covariates ?? []) || (args.covariates ?? []).some((c) => !Number.isInteger(c) || c < 0)) throw new RangeError(`${where}: covariates must be an array of column indices, got ${show(args.covariates)}`);
    this.covariates = [...(args.covariates ?? [])];
    for (const c of this.covariates) {
      if (c === this.target || this.features.includes(c)) throw new RangeError(`${where}: column ${c} is ${c === this.target ? 'the target' : 'a feature'}; covariates are further columns`);
    }
    if (this.strategy === 'recursive' && !(this.features.length === 1 && this.features[0] === this.target && this.covariates.length === 0)) {
      throw new RangeError(`${where}: the recursive strategy feeds predictions back, so the target must be the only feature (and no covariates)`);
    }
    this.columns = [...(args.columns ?? [])];
    this.scaling = args.scaling ?? FORECASTER_DEFAULTS.scaling;
    if (!['standard', 'minmax', 'none'].includes(this.scaling)) throw new RangeError(`${where}: scaling must be 'standard', 'minmax' or 'none', got ${show(args.scaling)}`);
    this.windowRelative = args.windowRelative ?? FORECASTER_DEFAULTS.windowRelative;
    if (typeof this.windowRelative !== 'boolean') throw new TypeError(`${where}: windowRelative must be a boolean, got ${show(args.windowRelative)}`);
    if (!this.windowRelative && args.reference !== undefined) throw new RangeError(`${where}: reference ${show(args.reference)} needs windowRelative: true (without it the values are not measured from a reference)`);
    this.reference = args.reference ?? FORECASTER_DEFAULTS.reference;
    if (!REFERENCES.includes(this.reference)) throw new RangeError(`${where}: reference must be one of ${REFERENCES.map((r) => `'${r}'`).join(', ')}, got ${show(args.reference)}`);
    const sa = args.season === undefined ? FORECASTER_DEFAULTS.season : args.season;
    if (sa !== undefined && sa !== null && sa !== 'auto' && sa !== 'none' && (!Number.isInteger(sa) || (sa as number) < 1)) throw new RangeError(`${where}: season must be a positive integer (rows per season), 'auto' or null/'none', got ${show(sa)}`);
    this.season = typeof sa === 'number' ? sa : undefined;
    this.seasonSource = typeof sa === 'number' ? 'given' : sa === 'auto' ? 'pending' : 'none';
    const cal = args.calendar ?? FORECASTER_DEFAULTS.calendar;
    if (cal === 'auto' || cal === false) this.calendarArg = cal;
    else if (cal !== null && typeof cal === 'object') this.calendarArg = checkCalendarSpec(cal, where);
    else throw new TypeError(`${where}: calendar must be 'auto', false or {step, terms}, got ${show(cal)}`);
    this.calendar = this.calendarArg === 'auto' ? undefined : this.calendarArg === false ? null : this.calendarArg;
    this.ensemble = checkPositiveInt(args.ensemble ?? FORECASTER_DEFAULTS.ensemble, `${where}: ensemble`);
    this.combine = args.combine ?? FORECASTER_DEFAULTS.combine;
    if (this.combine !== 'auto' && this.combine !== false) throw new RangeError(`${where}: combine must be 'auto' or false, got ${show(args.combine)}`);
    if (args.quantiles === undefined || args.quantiles === null) this.quantiles = null;
    else {
      const q = args.quantiles;
      if (!Array.isArray(q) || q.length === 0 || !q.every((v, i) => typeof v === 'number' && v > 0 && v < 1 && (i === 0 || v > q[i - 1]!)) || !q.includes(0.5)) {
        throw new RangeError(`${where}: quantiles must be increasing numbers in (0, 1) including 0.5 (the point forecast), e.g. [0.1, 0.5, 0.9]; got ${show(q)}`);
      }
      this.quantiles = [...q];
    }
    const calib = args.calibration;
    if (calib !== undefined && !CALIBRATIONS.includes(calib)) throw new RangeError(`${where}: calibration must be 'conformal' or 'none', got ${show(calib)}`);
    const unpaired = this.quantiles === null ? [] : symmetricPairs(this.quantiles).unpaired;
    if (calib === 'conformal') {
      if (this.quantiles === null) throw new RangeError(`${where}: calibration 'conformal' calibrates the intervals of quantile forecasts; give quantiles too, e.g. [0.1, 0.5, 0.9]`);
      if (unpaired.length > 0) throw new RangeError(`${where}: calibration 'conformal' widens symmetric intervals, and level(s) ${unpaired.join(', ')} of quantiles ${show(this.quantiles)} have no mirror (1 − level); give symmetric levels, or calibration 'none'`);
      if (this.strategy !== 'direct') throw new RangeError(`${where}: calibration 'conformal' needs the direct strategy (the recursive one has no quantile intervals over the horizon)`);
    }
    this.calibrationAsked = calib !== undefined;
    this.calibration = calib ?? (this.quantiles !== null && unpaired.length === 0 && this.strategy === 'direct' ? 'conformal' : 'none');
    if (calib === undefined && this.quantiles !== null && this.calibration === 'none') {
      this.calibrationNote = unpaired.length > 0 ? `intervals as trained (not calibrated): level(s) ${unpaired.join(', ')} have no mirror (1 − level) among the quantiles` : 'intervals as trained (not calibrated): the recursive strategy';
    }
    this.cell = args.cell ?? FORECASTER_DEFAULTS.cell;
    if (!CELLS.includes(this.cell)) throw new RangeError(`${where}: cell must be one of ${CELLS.join(', ')}, got ${show(args.cell)}`);
    this.units = checkPositiveInt(args.units ?? FORECASTER_DEFAULTS.units, `${where}: units`);
    this.numLayers = checkPositiveInt(args.layers ?? FORECASTER_DEFAULTS.layers, `${where}: layers`);
    this.seed = args.seed;
    if (model !== undefined) {
      this.net = model;
      return;
    }
    if (this.calendar !== undefined) this.net = this.build();
  }

  /**
   * The network. With calendar 'auto' it is built by the first fit (its input width depends
   * on the covariates fit's times give); before that this throws.
   */
  get model(): Model {
    if (this.net === null) throw new RangeError(`Forecaster.model: the network is built by fit (with calendar 'auto' its input width depends on the covariates found in fit's times); pass calendar: false or a spec to build it at construction`);
    return this.net;
  }

  /** Steps the network outputs per prediction: horizon (direct) or 1 (recursive). */
  get outputSteps(): number {
    return this.strategy === 'direct' ? this.horizon : 1;
  }

  /** Outputs per step: one per quantile, or 1. */
  private get numQuantiles(): number {
    return this.quantiles === null ? 1 : this.quantiles.length;
  }

  /** Inputs per time step: the feature columns, then the calendar covariates. */
  private get width(): number {
    return this.features.length + this.covariates.length + calendarWidth(this.calendar ?? null);
  }

  /** One chain (cell layers → Dense) per ensemble member; a single member is a Sequential as before ensembles existed. */
  private build(): Model {
    const H = this.outputSteps;
    const seed = (j: number, k: number): number | undefined => (this.seed === undefined ? undefined : (this.seed + k + 10007 * j) >>> 0);
    const cellLayer = (j: number, i: number, inputShape?: number[]): Layer => {
      const a = { units: this.units, returnSequences: i < this.numLayers - 1, seed: seed(j, i), ...(inputShape !== undefined ? { inputShape } : {}) };
      return this.cell === 'lstm' ? layers.lstm(a) : this.cell === 'gru' ? layers.gru(a) : layers.simpleRNN(a);
    };
    if (this.ensemble === 1) {
      const m = new Sequential();
      for (let i = 0; i < this.numLayers; i++) m.add(cellLayer(0, i, i === 0 ? [this.lookback, this.width] : undefined));
      m.add(layers.dense({ units: H * this.numQuantiles, seed: seed(0, 1000) }));
      return m;
    }
    const x = graphInput({ shape: [this.lookback, this.width] });
    const outs: SymbolicTensor[] = [];
    for (let j = 0; j < this.ensemble; j++) {
      let h: SymbolicTensor = x;
      for (let i = 0; i < this.numLayers; i++) h = cellLayer(j, i).apply(h) as SymbolicTensor;
      outs.push(layers.dense({ units: H * this.numQuantiles, seed: seed(j, 1000) }).apply(h) as SymbolicTensor);
    }
    return graphModel({ inputs: x, outputs: layers.concatenate().apply(outs) as SymbolicTensor });
  }

  private columnName(c: number): string {
    return this.columns[c] !== undefined ? `'${this.columns[c]}'` : `column ${c}`;
  }

  /** Check a series for this forecaster: columns present, no NaN in the used columns. */
  private checkSeries(input: SeriesInput | Series, where: string): Series {
    const s = toSeries(input, where);
    for (const c of [this.target, ...this.features, ...this.covariates]) {
      if (c >= s.columns) throw new RangeError(`${where}: the series has ${s.columns} column(s), no ${this.columnName(c)}`);
      for (let r = 0; r < s.rows; r++) {
        if (!Number.isFinite(s.data[r * s.columns + c]!)) throw new RangeError(`${where}: ${this.columnName(c)} has a missing or non-finite value at row ${r} (fill gaps with fillGaps first)`);
      }
    }
    return s;
  }

  /** Calendar rows for the series (and `extra` rows after it), or null without a calendar; refuses missing or unused times. */
  private calendarRows(times: ForecastPredictOptions['times'], rows: number, extra: number, where: string): Float64Array | null {
    const spec = this.calendar ?? null;
    if (spec === null) {
      if (times !== undefined) throw new RangeError(`${where}: times given, but the forecaster has no calendar covariates (calendar ${this.calendarArg === false ? 'false' : "'auto' found none: fit got no times, or rows too far apart for a period"}); leave times out`);
      return null;
    }
    if (times === undefined) throw new RangeError(`${where}: the forecaster takes calendar covariates (${spec.terms.map((t) => `${t.period} ×${t.harmonics}`).join(', ')}); pass times, one per row of the series`);
    const t = checkTimes(times, rows, `${where}: times`);
    const all = extra > 0 ? [...t, ...extendTimes(spec.step, t[rows - 1]!, extra)] : t;
    return calendarFeatures(spec, all);
  }

  /** The target column and, for the 'holtWinters' reference, its states; the series must start as the training series did. */
  private prepare(s: Series, cal: Float64Array | null, where: string): Prepared {
    const tgt = Float64Array.from({ length: s.rows }, (_, r) => s.data[r * s.columns + this.target]!);
    let hw: HoltWintersStates | null = null;
    if (this.usesHoltWinters) {
      const model = this.holtWintersModel;
      if (model === null) throw new RangeError(`${where}: the forecaster is not trained (call fit first, or load a trained one)`);
      // The states run from the first row: another start would put the seasons out of phase.
      const start = this.hwStart ?? [];
      for (let i = 0; i < Math.min(start.length, s.rows); i++) {
        if (Math.abs(tgt[i]! - start[i]!) > 1e-9 * Math.max(1, Math.abs(start[i]!))) {
          throw new RangeError(`${where}: the Holt-Winters reference runs its states from the first row of the training series, and this series starts differently (row ${i}: ${tgt[i]} vs ${start[i]}); give the series from the same first row`);
        }
      }
      hw = holtWintersStates(model, tgt);
    }
    return { s, cols: [...this.features, ...this.covariates], tcol: this.target, tgt, cal, hw };
  }

  private get usesHoltWinters(): boolean {
    return this.windowRelative && (this.reference === 'holtWinters' || this.reference === 'seasonalLine');
  }

  /**
   * The target's reference per window, [N · (L + H)]: position t ↔ row e − L + 1 + t (inputs
   * t < L, forecasts after). Zero without windowRelative.
   */
  private bases(p: Prepared, origins: readonly number[], H: number): Float64Array {
    const L = this.lookback;
    const T = L + H;
    const out = new Float64Array(origins.length * T);
    if (!this.windowRelative) return out;
    origins.forEach((e, n) => {
      const o = n * T;
      if (this.reference === 'last') {
        out.fill(p.tgt[e]!, o, o + T);
      } else if (this.reference === 'line') {
        const [a, b] = lineThrough(p.tgt, e, L, null);
        for (let t = 0; t < T; t++) out[o + t] = a + b * (t - L + 1);
      } else {
        const model = this.holtWintersModel!;
        const hw = p.hw!;
        const m = model.period;
        const mul = model.seasonal === 'mul';
        // The season of row e + k as estimated after row e (0, or 1 when multiplicative, without one).
        const season = (k: number): number => (model.seasonal === null ? (mul ? 1 : 0) : hw.season[(e + 1) * m + ((e + k) % m)]!);
        if (this.reference === 'seasonalLine') {
          // Level and slope from the seasonally adjusted window itself: they follow a trend change at once.
          const [a, b] = lineThrough(p.tgt, e, L, (k) => season(k), mul);
          for (let t = 0; t < T; t++) {
            const k = t - L + 1;
            out[o + t] = mul ? (a + b * k) * season(k) : a + b * k + season(k);
          }
          return;
        }
        // The level, unless the origin's value (deseasonalized) lies beyond the band of the
        // model's own one-step errors (after the update, a level residual is (1 − alpha) times
        // the one-step error): then that value. Fitted on a calm part, alpha can be ~0 and the
        // level would stay where it was through a level shift, every window then measured far
        // outside what the network learned: a step from 10 to 30 gave MAE 20 (last value: 0.25).
        const smoothed = hw.level[e + 1]!;
        const off = (mul ? p.tgt[e]! / season(0) : p.tgt[e]! - season(0)) - smoothed;
        const band = ONE_STEP_BAND * (1 - model.alpha) * Math.sqrt(model.sse / model.n);
        const l = Math.abs(off) > band ? smoothed + off : smoothed;
        const b = hw.slope[e + 1]!;
        let damp = 0;
        let pw = 1;
        for (let t = 0; t < T; t++) {
          const k = t - L + 1;
          // Past rows: the current level and slope taken back linearly; ahead: the damped forecast.
          if (k > 0) {
            pw *= model.phi;
            damp += pw;
          }
          const level = l + (k > 0 ? damp : k) * b;
          out[o + t] = mul ? level * season(k) : level + season(k);
        }
      }
    });
    return out;
  }

  /** Model inputs [N, L, width]: features measured from their references (target: bases; others: their last value), scaled; then the calendar rows. Also the unscaled feature values. */
  private encodeX(p: Prepared, origins: readonly number[], bases: Float64Array, H: number, scaler: Scaler | null): { x: Float32Array; rel: Float64Array } {
    const L = this.lookback;
    // Features, then covariates (p.cols); covariates are never measured from a reference.
    const F = p.cols.length;
    const FR = this.features.length;
    const W = this.width;
    const C = W - F;
    const T = L + H;
    const { s } = p;
    const N = origins.length;
    const rel = new Float64Array(N * L * F);
    const x = new Float32Array(N * L * W);
    origins.forEach((e, n) => {
      for (let t = 0; t < L; t++) {
        const r = e - L + 1 + t;
        for (let f = 0; f < F; f++) {
          const c = p.cols[f]!;
          const v = s.data[r * s.columns + c]!;
          const ref = c === p.tcol ? bases[n * T + t]! : this.windowRelative && f < FR ? s.data[e * s.columns + c]! : 0;
          const i = (n * L + t) * F + f;
          rel[i] = v - ref;
          if (scaler !== null) x[(n * L + t) * W + f] = scaler.transform(rel[i]!, f);
        }
        for (let c = 0; c < C; c++) x[(n * L + t) * W + F + c] = p.cal![r * C + c]!;
      }
    });
    return { x, rel };
  }

  /** Targets [N, H] measured from each window's reference. */
  private relTargets(p: Prepared, origins: readonly number[], bases: Float64Array, H: number): Float64Array {
    const T = this.lookback + H;
    const out = new Float64Array(origins.length * H);
    origins.forEach((e, n) => {
      for (let h = 0; h < H; h++) out[n * H + h] = p.tgt[e + 1 + h]! - bases[n * T + this.lookback + h]!;
    });
    return out;
  }

  /**
   * Train on a series (rows × columns): chronological split into train / validation / test
   * (the test part is not used here — see evaluate), scalers (and the Holt-Winters reference)
   * fitted on the training part, Adam on mean squared error, early stopping on the validation
   * loss with the best weights kept.
   */
  async fit(input: SeriesInput | Series, options: ForecastFitOptions = {}): Promise<History> {
    const history = await this.fitNetwork(input, options);
    this.finishFit(input, options);
    return history;
  }

  /**
   * @internal fit's training stage alone: the network trained as fit trains it, no combination
   * and no conformal offsets (it forecasts as the network alone, as with combine false and
   * calibration 'none'). fitAuto trains and scores its candidates this way — the classical fits
   * do not depend on the lookback — and then gives the winner finishFit.
   */
  async fitNetwork(input: SeriesInput | Series, options: ForecastFitOptions = {}): Promise<History> {
    const where = 'Forecaster.fit';
    checkOptions(options, ['epochs', 'batchSize', 'learningRate', 'patience', 'stride', 'verbose', 'callbacks', 'seed', 'progressSink', 'validation', 'test', 'times', 'workers'], where);
    const s = this.checkSeries(input, where);
    const split = this.checkSplit(s, options, where);
    this.checkCalibrationRows(split.validationEnd - split.trainEnd, where);
    const cal = this.resolveCalendar(options.times, s.rows, where);
    this.resolveSeason([{ s, split, times: options.times }], where);
    this.seriesStates = null;
    const w = this.seriesWindows(s, cal, split, options.stride ?? 1, where);
    // The network's own validation forecasts are taken without any earlier combination.
    this.combination = null;
    this.combinationNote = null;
    this.combinationValidation = null;
    this.combinationTrainFit = null;
    if (this.calibration === 'conformal') this.conformal = null;
    return this.train([w], options, where);
  }

  /**
   * @internal fit's last stages, after fitNetwork on the same series and options: the
   * combination (combine 'auto') and the conformal offsets. They read only the trained network
   * and the series, so fitNetwork then finishFit is fit, to the bit.
   */
  finishFit(input: SeriesInput | Series, options: ForecastFitOptions = {}): void {
    const where = 'Forecaster.fit';
    const s = this.checkSeries(input, where);
    const split = this.checkSplit(s, options, where);
    this.fitted(where);
    if (this.seriesStates !== null) throw new RangeError(`${where}: finishFit follows fitNetwork on one series; this forecaster was trained by fitMany`);
    if (this.combine === 'auto') {
      const c = this.fitCombination(s, split, options.times, where);
      [this.combination, this.combinationTrainFit, this.combinationNote, this.combinationValidation] = [c.combination, c.trainFit, c.note, c.validation];
    }
    // After the combination: the offsets calibrate the quantiles as they are forecast.
    this.fitCalibration([{ id: null, s, split, times: options.times }], where);
    this.combinationTrainFit = null;
  }

  /**
   * combine 'auto' for one series (fit's, or fitMany's with that series swapped in by withSeries):
   * fit the classical candidates on the training part, score them and the network on the
   * validation windows, keep the better candidate and the network's weight per step with the
   * lowest validation MAE (see ForecasterArgs.combine). Reads the network alone (the caller has
   * no combination in place), writes no field: the caller keeps the choice where it belongs. A
   * note says why when there is nothing to combine with.
   */
  private fitCombination(s: Series, split: ReturnType<typeof chronologicalSplit>, times: ForecastFitOptions['times'], where: string): CombinationChoice {
    const none = (note: string): CombinationChoice => ({ combination: null, trainFit: null, note, validation: null });
    const t0 = performance.now();
    const H = this.horizon;
    const n = split.trainEnd;
    if (split.validationEnd <= n) return none('no validation part: nothing to choose the weights on');
    const y = Float64Array.from({ length: s.rows }, (_, r) => s.data[r * s.columns + this.target]!);
    const { origins: valO, actual } = validationPoints(y, split, this.lookback, H);
    const train = y.subarray(0, n);
    const m = this.season;
    const mae = (p: ArrayLike<number>): number => scoredMae(actual, p);
    const net = this.predictFrom(s, valO, H, times === undefined || this.calendar === null ? {} : { times });
    const cands: { c: Omit<ForecastCombination, 'weights' | 'start' | 'validation' | 'seconds'>; p: Float64Array; mae: number }[] = [];
    // As evaluate's baselines: seasonal variants only for a season of 2 to 24 rows.
    const seasonal = m !== undefined && m >= 2 && m <= AUTO_SEASON_MAX;
    if (n >= 10 && (!seasonal || n >= 2 * m) && !allEqual(train)) {
      const ets = fittedEts(train, seasonal ? { period: m } : {});
      if (ets !== null) {
        const p = etsRolling(ets, y.subarray(0, split.validationEnd), valO, H);
        cands.push({ c: { kind: 'ets', name: `ETS (${etsName(ets)})`, ets }, p, mae: mae(p) });
      }
    }
    // Without a season of 2–24 rows, as evaluate's baseline: with daily or weekly times ARIMA(1,1,1)
    // with yearly Fourier pairs, when a year of training rows shows the cycle; else with a season
    // over 24 rows (given: 48 half-hours, 168 hours) ARIMA(1,1,1) with Fourier pairs of that
    // season from the row index. Their regressors run H rows past the end: the last validation
    // origins forecast there where the test part is shorter than the horizon (or absent).
    let fourier: ReturnType<typeof yearlyFourierExog> = null;
    let fourierOf: ForecastCombination['fourier'];
    if (!seasonal && times !== undefined && this.calendar !== null && this.calendar !== undefined && this.calendar.terms.some((c) => c.period === 'year') && 'ms' in this.calendar.step) {
      const t = checkTimes(times, s.rows, `${where}: times`);
      fourier = yearlyFourierExog([...t, ...extendTimes(this.calendar.step, t[t.length - 1]!, H)], this.calendar.step.ms, 2);
      if (fourier !== null && n < fourier.period) fourier = null;
      if (fourier !== null) fourierOf = { pairs: fourier.pairs, stepMs: this.calendar.step.ms, t0: t[0]! };
    }
    if (fourier === null && m !== undefined && m > AUTO_SEASON_MAX && n >= m) {
      fourier = rowFourierExog(s.rows + H, m, 2);
      fourierOf = { pairs: fourier.pairs, period: m };
    }
    const spec = fourier === null ? defaultSarimaSpec(seasonal ? m : undefined) : { ...defaultSarimaSpec(), exog: fourier.exog.slice(0, n) };
    if (n >= sarimaMinRows(spec)) {
      const sarima = fitSarimaRecent(y, n, spec);
      if (fourier !== null) sarima.fourier = { period: fourier.period, pairs: fourier.pairs };
      const p = sarimaRolling(sarima, y.subarray(0, split.validationEnd), valO, H, fourier?.exog);
      cands.push({ c: { kind: 'sarima', name: sarimaName(sarima), sarima, ...(fourierOf !== undefined ? { fourier: fourierOf } : {}) }, p, mae: mae(p) });
    }
    // The seasonal naive forecast: nothing to fit, and on a cycle whose shape repeats but whose
    // level does not trend (the sunspots' 11 years) ahead of ETS, SARIMA and the network alone.
    // Every origin needs a season of rows behind it: a lookback of a season at least. Not for a
    // season over 24 rows: on half-hourly electricity demand (R's taylor, season 48) it scored
    // near the network on 4 days of validation rows and took a fifth of the weight, and the test
    // part's weekends made the forecast 26% worse (MAE 627 against 498).
    if (seasonal && this.lookback >= m) {
      const c = { kind: 'seasonalNaive' as const, name: `seasonal naive (${m})`, period: m };
      const p = seasonalNaiveRolling(m, y, valO, H);
      cands.push({ c, p, mae: mae(p) });
    }
    if (cands.length === 0) return none(`the training part's ${n} rows are too few for ETS or SARIMA`);
    const best = cands.reduce((a, b) => (b.mae < a.mae ? b : a));
    const start = Array.from(y.subarray(0, HW_START));
    const tArr = fourierOf !== undefined && 'stepMs' in fourierOf ? checkTimes(times!, s.rows, `${where}: times`) : null;
    // The training-part fit's guard, measured on the training rows: the validation windows whose
    // origin it is off do not choose the weights, and are forecast by the network alone.
    const trainFit: ForecastCombination = { ...best.c, weights: [], start, validation: { windows: 0, network: 0, combined: 0 }, seconds: 0 };
    const trainGuard = this.guardFor(trainFit, y, n, tArr, where);
    if (trainGuard !== undefined) trainFit.guard = trainGuard;
    const off = this.offData(trainFit, y, tArr, valO, where);
    const calm = valO.flatMap((_, k) => (off[k] ? [] : [k]));
    const pick = (v: Float64Array): Float64Array => Float64Array.from(calm.flatMap((k) => Array.from(v.subarray(k * H, (k + 1) * H))));
    const weights = calm.length > 0 ? combinationWeights(pick(net), pick(best.p), pick(actual), H) : Array<number>(H).fill(1);
    const comb = net.map((v, i) => (off[Math.floor(i / H)] ? v : weights[i % H]! * v + (1 - weights[i % H]!) * best.p[i]!));
    const validation: ForecastCombination['validation'] = { windows: valO.length, rows: split.validationEnd - n, network: mae(net), combined: mae(comb) };
    for (const c of cands) validation[c.c.kind] = c.mae;
    // The kept model is then re-estimated on the training and validation rows, as evaluate's
    // baselines are fitted on every row before the test part: the same variant or order, its
    // parameters from more data (the network learns from the training rows, and stops on the
    // validation rows).
    const rows = y.subarray(0, split.validationEnd);
    let kept = best.c;
    if (kept.kind === 'seasonalNaive') {
      // Nothing to re-estimate.
    } else if (kept.kind === 'ets') {
      const e = kept.ets!;
      const ets = fitEts(rows, { error: e.error, trend: e.trend, damped: e.damped, seasonal: e.seasonal, ...(e.seasonal !== null ? { period: e.period } : {}) });
      kept = { ...kept, ets };
    } else {
      // With the grid of starts again, not from the training-part fit's parameters: SARIMA's
      // likelihood can have several maxima, and on CO2 that start stops at the lower one
      // (log-likelihood −377.7, test MAE 0.518, against −361.8 and 0.438 from the grid).
      const sarima = fitSarimaRecent(y, split.validationEnd, fourier === null ? spec : { ...spec, exog: fourier.exog.slice(0, split.validationEnd) });
      if (fourier !== null) sarima.fourier = { period: fourier.period, pairs: fourier.pairs };
      kept = { ...kept, sarima };
    }
    // The re-fit keeps the variant, but its parameters can land on another maximum of the
    // likelihood, which scores one-step errors only: on a seasonal series with one outlier (×50)
    // ETS (MNA) went to alpha 0.997 with seasons of ±30 for an amplitude of 3, forecasting 36 six
    // steps ahead for 12 (test MAE 14.6, against 0.33 for the training-part fit's parameters). In
    // sample on the validation windows the re-fit should do about as well as the training-part fit
    // did out of sample; where it does REFIT_WORSE times worse, the training-part fit's
    // parameters are kept (28.7 times there; at most 1.012 times on the nine real series of
    // tools/forecastSeries.ts, where in-sample can trail out-of-sample a little).
    const rowsBefore = y.subarray(0, split.validationEnd);
    const asFitted = (c: typeof kept): ForecastCombination => ({ ...c, weights, start, validation, seconds: 0 });
    if (mae(this.classicalAt(asFitted(kept), rowsBefore, tArr, valO, H, where)) > REFIT_WORSE * best.mae) kept = best.c;
    const combination: ForecastCombination = asFitted(kept);
    const guard = this.guardFor(combination, y, split.validationEnd, tArr, where);
    if (guard !== undefined) combination.guard = guard;
    combination.seconds = (performance.now() - t0) / 1000;
    return {
      combination,
      trainFit: { ...trainFit, weights, start: [...start], validation },
      note: null,
      validation: { origins: valO, network: net, classical: best.p, actual },
    };
  }

  /**
   * ForecastCombination.guard for c fitted on rows [0, rows): ONE_STEP_BAND × the RMS of its
   * one-step errors there after a warm-up (two seasons + 10 rows: the start-up states and a
   * SARIMA's diffuse start); undefined when fewer than 10 rows remain.
   */
  private guardFor(c: ForecastCombination, y: Float64Array, rows: number, times: Float64Array | null, where: string): number | undefined {
    const from = 2 * Math.max(1, this.season ?? 1) + 10;
    if (rows - from < 10) return undefined;
    const origins = Array.from({ length: rows - from }, (_, i) => from - 1 + i);
    const f = this.classicalAt(c, y.subarray(0, rows), times, origins, 1, where);
    let ss = 0;
    origins.forEach((e, i) => (ss += (y[e + 1]! - f[i]!) ** 2));
    return ONE_STEP_BAND * Math.sqrt(ss / origins.length);
  }

  /**
   * Per origin: whether c is off its data there — its one-step errors at the origin's row and at
   * the OFF_DATA_ROWS − 1 rows before all beyond its guard, on either side. A persistent miss: a
   * level shift its fixed parameters do not follow (errors on one side), or a differenced model
   * ringing after a jump (an MA term near 1 flips its forecast by the jump every row). An outlier
   * gives one or two large errors (the spike, and for a differenced model the return), which a
   * smoothing model is right to pass over: on US inflation's quarterly outliers the network alone
   * was 3% worse. All false without a guard.
   */
  private offData(c: ForecastCombination, tgt: Float64Array, times: Float64Array | null, origins: readonly number[], where: string): boolean[] {
    const g = c.guard;
    if (g === undefined) return origins.map(() => false);
    const K = OFF_DATA_ROWS;
    // The one-step forecasts of rows e − K + 1 … e from the row before each: the seasonal naive
    // forecast of a row needs the row a season before it, the others only rows from 0.
    const first = c.kind === 'seasonalNaive' ? c.period! - 1 : 0;
    const ok = (e: number): boolean => e - K >= first;
    const rows = [...new Set(origins.filter(ok).flatMap((e) => Array.from({ length: K }, (_, k) => e - 1 - k)))].sort((a, b) => a - b);
    const f = this.classicalAt(c, tgt, times, rows, 1, where);
    const err = new Map(rows.map((r, i) => [r + 1, tgt[r + 1]! - f[i]!]));
    return origins.map((e) => ok(e) && Array.from({ length: K }, (_, k) => Math.abs(err.get(e - k)!) > g).every(Boolean));
  }

  /**
   * The combination's classical forecasts, [origins · steps]: its states run through the target
   * values from row 0 (which must start as the training series did), Fourier regressors from
   * the times (extended past the end by the calendar's step).
   */
  private classicalAt(c: ForecastCombination, tgt: Float64Array, times: Float64Array | null, origins: readonly number[], steps: number, where: string): Float64Array {
    for (let i = 0; i < Math.min(c.start.length, tgt.length); i++) {
      if (Math.abs(tgt[i]! - c.start[i]!) > 1e-9 * Math.max(1, Math.abs(c.start[i]!))) {
        throw new RangeError(`${where}: the forecaster combines the network with ${c.name}, whose states run from the first row of the training series, and this series starts differently (row ${i}: ${tgt[i]} vs ${c.start[i]}); give the series from the same first row`);
      }
    }
    if (c.kind === 'ets') return etsRolling(c.ets!, tgt, origins, steps);
    if (c.kind === 'seasonalNaive') return seasonalNaiveRolling(c.period!, tgt, origins, steps);
    if (c.fourier === undefined) return sarimaRolling(c.sarima!, tgt, origins, steps);
    // A loop, not Math.max(...origins): the guard passes every row of a long series (a spread of
    // over ~10⁵ arguments overflows the stack).
    const last = origins.reduce((a, e) => Math.max(a, e), -1);
    if ('period' in c.fourier) return sarimaRolling(c.sarima!, tgt, origins, steps, rowFourierExog(Math.max(tgt.length, last + steps + 1), c.fourier.period, c.fourier.pairs).exog);
    if (times === null) throw new RangeError(`${where}: the forecaster combines the network with ${c.name}, whose regressors come from the rows' times; pass times`);
    if (times[0] !== c.fourier.t0) throw new RangeError(`${where}: ${c.name}'s yearly regressors run from the training series' first time (${new Date(c.fourier.t0).toISOString()}), and these times start at ${new Date(times[0]!).toISOString()}; give the series from the same first row`);
    const extra = Math.max(0, last + steps + 1 - times.length);
    // The calendar's step, so rows past a Friday of working-day data fall on the Monday (the regressors follow elapsed days).
    const step = this.calendar !== null && this.calendar !== undefined && 'ms' in this.calendar.step && this.calendar.step.ms === c.fourier.stepMs ? this.calendar.step : { ms: c.fourier.stepMs };
    const all = extra > 0 ? [...times, ...extendTimes(step, times[times.length - 1]!, extra)] : times;
    return sarimaRolling(c.sarima!, tgt, origins, steps, yearlyFourierExog(all, c.fourier.stepMs, c.fourier.pairs)!.exog);
  }

  /** Blend `net` ([origins · steps]) in place with the combination's classical forecasts: w·net + (1 − w)·classical per step. */
  private combineInto(net: Float64Array, p: Prepared, timesArg: ForecastPredictOptions['times'], origins: readonly number[], steps: number, where: string): void {
    const c = this.combination;
    if (c === null) return;
    const times = timesArg === undefined ? null : checkTimes(timesArg, p.tgt.length, `${where}: times`);
    const cl = this.classicalAt(c, p.tgt, times, origins, steps, where);
    const off = this.offData(c, p.tgt, times, origins, where);
    const W = c.weights;
    for (let i = 0; i < net.length; i++) {
      // Off its data at this origin: the network alone.
      const w = off[Math.floor(i / steps)] ? 1 : W[Math.min(i % steps, W.length - 1)]!;
      net[i] = w * net[i]! + (1 - w) * cl[i]!;
    }
  }

  /**
   * Train ONE network over many series (a long-format table split by its id column): windows
   * are cut within each series, never across two; each series gets its own scalers (fitted on
   * its training part's window-relative values) and its own Holt-Winters reference; the windows
   * are pooled (in the order of the ids, then of the origins) for training and validation. Each
   * series is split chronologically on its own. With combine 'auto' each series then gets its own
   * combination, chosen as fit chooses it on that series' parts (combinationsById; a series
   * without one is named in combinationNote). With one id this is exactly `fit` on that series.
   * `times` gives each series' times by id; the calendar ('auto') is detected from them, and series
   * whose spacings (or periods) differ are refused: one network takes one set of covariates.
   * Afterwards use forecastMany / evaluateMany (the single-series methods refuse: which series?).
   */
  async fitMany(seriesById: Readonly<Record<string, SeriesInput | Series>>, options: ForecastFitManyOptions = {}): Promise<History> {
    const where = 'Forecaster.fitMany';
    checkOptions(options, ['epochs', 'batchSize', 'learningRate', 'patience', 'stride', 'verbose', 'callbacks', 'seed', 'progressSink', 'validation', 'test', 'times', 'workers'], where);
    const ids = this.checkIds(seriesById, where);
    const times = this.checkTimesById(options.times, ids, where);
    // Every series too short for a window is named at once (a file of 66 makes had one stop at each).
    const short: string[] = [];
    const all = ids.flatMap((id) => {
      const w = `${where}: series '${id}'`;
      const s = this.checkSeries(seriesById[id]!, w);
      try {
        return [{ id, s, split: this.checkSplit(s, options, w) }];
      } catch (e) {
        if (!(e instanceof ShortSeries)) throw e;
        short.push(`'${id}' (${s.rows} rows)`);
        return [];
      }
    });
    if (short.length > 0) {
      const need = Math.ceil(rowsNeeded(this.lookback, this.outputSteps) / (1 - this.split.validation - this.split.test));
      throw new RangeError(`${where}: ${short.length} of ${ids.length} series are too short for lookback ${this.lookback} + horizon ${this.outputSteps} (each needs at least ${need} rows, its training part ${rowsNeeded(this.lookback, this.outputSteps)}): ${short.slice(0, 12).join(', ')}${short.length > 12 ? `, … ${short.length - 12} more` : ''}; leave them out of the data, or lower the lookback`);
    }
    this.checkCalibrationRows(all.reduce((a, { split }) => a + split.validationEnd - split.trainEnd, 0), where);
    if (this.calendar === undefined && times !== undefined) Forecaster.sameCalendar(all.map(({ id, s }) => ({ id, times: checkTimes(times[id], s.rows, `${where}: series '${id}': times`) })), where);
    this.resolveCalendar(times?.[ids[0]!], all[0]!.s.rows, `${where}: series '${ids[0]}'`);
    this.resolveSeason(all.map(({ id, s, split }) => ({ s, split, times: times?.[id] })), where);
    const states = new Map<string, SeriesState>();
    const parts = all.map(({ id, s, split }) => {
      const w = `${where}: series '${id}'`;
      // As fit: times the calendar found no period in are not an error (resolveCalendar said none).
      const cal = this.calendar === null ? null : this.calendarRows(times?.[id], s.rows, 0, w);
      const part = this.seriesWindows(s, cal, split, options.stride ?? 1, w);
      states.set(id, { xScaler: this.xScaler!, yScaler: this.yScaler!, holtWintersModel: this.holtWintersModel, hwStart: this.hwStart, combination: null, combinationNote: null, combinationTrainFit: null });
      return part;
    });
    this.seriesStates = states;
    // The top-level combination stays null: each series' is swapped in by withSeries.
    this.combination = null;
    this.combinationNote = null;
    this.combinationValidation = null;
    this.combinationTrainFit = null;
    // The top-level state (saved as the model's xScaler, yScaler, holtWinters) is the first id's.
    const first = states.get(ids[0]!)!;
    [this.xScaler, this.yScaler, this.holtWintersModel, this.hwStart] = [first.xScaler, first.yScaler, first.holtWintersModel, first.hwStart];
    const history = await this.train(parts, options, where);
    if (this.combine === 'auto') {
      // fit's choice, per series: its own classical candidates, validation windows and weights.
      const left: string[] = [];
      for (const { id, s, split } of all) {
        const w = `${where}: series '${id}'`;
        const c = this.withSeries(id, w, () => this.fitCombination(s, split, times?.[id], where));
        const st = states.get(id)!;
        [st.combination, st.combinationTrainFit, st.combinationNote] = [c.combination, c.trainFit, c.note];
        if (c.note !== null) left.push(`'${id}' (${c.note})`);
      }
      if (left.length > 0) this.combinationNote = `the network alone for ${left.length} of ${ids.length} series: ${left.join('; ')}`;
    }
    this.fitCalibration(all.map(({ id, s, split }) => ({ id, s, split, times: times?.[id] })), where);
    for (const st of states.values()) st.combinationTrainFit = null;
    return history;
  }

  /** The symmetric pairs of levels calibration 'conformal' calibrates, as levels [lo, hi]. */
  private calibrationPairs(): [number, number][] {
    const q = this.quantiles ?? [];
    return symmetricPairs(q).pairs.map(([lo, hi]) => [q[lo]!, q[hi]!]);
  }

  /** calibration 'conformal' given: refused before training when the validation part (`rows`, over all series) is too short for a pair. */
  private checkCalibrationRows(rows: number, where: string): void {
    if (!this.calibrationAsked || this.calibration !== 'conformal') return;
    const short = this.calibrationPairs().filter(([lo, hi]) => rows < conformalMinPoints(hi - lo));
    if (short.length > 0) {
      throw new RangeError(`${where}: calibration 'conformal' fits its offsets on the validation part, and its ${rows} row(s) are too few for the ${short.map(([lo, hi]) => `${lo}–${hi} interval (at least ${conformalMinPoints(hi - lo)})`).join(', ')}; raise validation, or give calibration 'none'`);
    }
  }

  /**
   * calibration 'conformal': the offsets per symmetric pair and step (conformal.ts) from the
   * validation part only. For step h every origin whose h-th target lies in the validation part
   * scores (so each step gets every validation row; a window reaching out of it was never a
   * training window), each series cut at the end of its validation part, so no later row can
   * enter. Many series are pooled, each scored in its own target scaler's units. Pairs with too
   * few rows are left as trained (calibrationNote names them).
   */
  private fitCalibration(parts: readonly { id: string | null; s: Series; split: ReturnType<typeof chronologicalSplit>; times: ForecastFitOptions['times'] }[], where: string): void {
    if (this.calibration !== 'conformal') return;
    this.conformal = null;
    this.calibrationNote = null;
    const H = this.horizon;
    const Q = this.quantiles!.length;
    const cparts: ConformalPart[] = [];
    for (const { id, s, split, times } of parts) {
      const { trainEnd, validationEnd } = split;
      if (validationEnd <= trainEnd) continue;
      const score = (): void => {
        const cut: Series = { rows: validationEnd, columns: s.columns, data: s.data.subarray(0, validationEnd * s.columns) };
        const first = Math.max(this.lookback - 1, trainEnd - H);
        const origins = Array.from({ length: validationEnd - 1 - first }, (_, i) => first + i);
        const opts = times === undefined || (this.calendar ?? null) === null ? {} : { times: times.slice(0, validationEnd) };
        // With a combination: its classical model as fitted on the training part (see
        // combinationTrainFit; after fitMany, withSeries has swapped in this series').
        const kept = this.combination;
        if (this.combinationTrainFit !== null) this.combination = this.combinationTrainFit;
        let values: Float64Array;
        try {
          values = this.uncalibratedQuantiles(cut, origins, opts);
        } finally {
          this.combination = kept;
        }
        const actual = new Float64Array(origins.length * H).fill(NaN);
        origins.forEach((e, n) => {
          for (let h = 0; h < H; h++) {
            const r = e + 1 + h;
            if (r >= trainEnd && r < validationEnd) actual[n * H + h] = s.data[r * s.columns + this.target]!;
          }
        });
        cparts.push({ values, actual, scale: this.yScaler!.scale[0]! });
      };
      if (id === null) score();
      else this.withSeries(id, `${where}: series '${id}'`, score);
    }
    if (cparts.length === 0) {
      this.calibrationNote = 'intervals as trained (not calibrated): no validation rows to calibrate on';
      return;
    }
    const cal = fitConformal(cparts, this.quantiles!, H, where);
    // Only ever widen: a negative offset (the validation part finds the band wider than needed) is
    // taken as 0, which keeps the guarantee (coverage at least nominal on exchangeable rows holds
    // for any offset at or above the conformal one). With tens of validation rows a narrowing is
    // mostly noise, and later rows are seldom calmer: on 7 real series × 3 seeds
    // (tools/forecastIntervals.ts, README) the test-part coverage of the 80% and 90% intervals
    // was on average 7.3 points from nominal this way, 8.2 with the signed offsets, 7.9 as trained.
    cal.offsets = cal.offsets.map((row) => row.map((o) => (o === null ? null : Math.max(0, o))));
    if (Q > 1) this.conformal = cal;
    const short = cal.pairs.filter((_, p) => cal.offsets[p]!.some((o) => o === null));
    if (short.length > 0) this.calibrationNote = `the ${short.map(([lo, hi]) => `${lo}–${hi}`).join(', ')} interval(s) as trained (not calibrated): the validation part's ${cal.points} row(s) are too few (at least ${short.map(([lo, hi]) => conformalMinPoints(hi - lo)).join(', ')})`;
  }

  /**
   * Calendar 'auto' over many series: one network takes one set of calendar covariates, and the
   * times past each series' end are extended by one step, so every series must show the same
   * spacing and periods; otherwise refused, naming each id's spacing.
   */
  private static sameCalendar(all: readonly { id: string; times: Float64Array }[], where: string): void {
    const specs = all.map(({ id, times }) => ({ id, spec: times.length < 2 ? null : detectCalendar(times) }));
    const key = (c: CalendarSpec | null): string => JSON.stringify(c);
    if (specs.every((x) => key(x.spec) === key(specs[0]!.spec))) return;
    const describe = (c: CalendarSpec | null): string => {
      if (c === null) return 'one row';
      const st = 'months' in c.step ? `${c.step.months} month(s)${c.step.end === true ? ', at month ends' : ''}` : c.step.weekdays === true ? '1 day, Monday to Friday' : c.step.ms % 86_400_000 === 0 ? `${c.step.ms / 86_400_000} day(s)` : `${c.step.ms / 1000} s`;
      return `${st} apart → ${c.terms.length === 0 ? 'no periods' : c.terms.map((t) => t.period).join(', ')}`;
    };
    throw new RangeError(`${where}: calendar 'auto' finds different row spacings across the series (${specs.map((x) => `'${x.id}': ${describe(x.spec)}`).join('; ')}); one network takes one set of calendar covariates — train series of one spacing together, or give calendar false or a spec {step, terms}`);
  }

  /** The chronological split of a series, refused (naming `where`) when its training part is too short for a window. */
  private checkSplit(s: Series, options: SplitOptions, where: string): ReturnType<typeof chronologicalSplit> {
    const split = chronologicalSplit(s.rows, options);
    this.split = { validation: options.validation ?? FORECASTER_DEFAULTS.validation, test: options.test ?? FORECASTER_DEFAULTS.test };
    const H = this.outputSteps;
    const need = rowsNeeded(this.lookback, H);
    if (split.trainEnd < need) {
      throw new ShortSeries(`${where}: the training part has ${split.trainEnd} of ${s.rows} rows, too few for lookback ${this.lookback} + horizon ${H}: at least ${need} are needed (${Math.ceil(need / (1 - this.split.validation - this.split.test))} rows in all)`);
    }
    return split;
  }

  /**
   * With season 'auto', the first fit detects the season from the training part of each series
   * (never later rows) and keeps the length most series show (the shortest among equals), unless
   * more series show none than show it (then none: 2 of 265 countries' populations with a '3'
   * gave every series a season; a tie keeps the season, whose cost on a series without one is small).
   */
  private resolveSeason(parts: readonly { s: Series; split: ReturnType<typeof chronologicalSplit>; times: ForecastFitOptions['times'] }[], where: string): void {
    if (this.seasonSource !== 'pending') return;
    const votes = new Map<number, number>();
    let none = 0;
    for (const { s, split, times } of parts) {
      const y = Float64Array.from({ length: split.trainEnd }, (_, r) => s.data[r * s.columns + this.target]!);
      const t = times === undefined ? undefined : checkTimes(times, s.rows, `${where}: times`).subarray(0, split.trainEnd);
      const d = detectSeason(y, { maxPeriod: AUTO_SEASON_MAX, ...(t === undefined ? {} : { times: t }) });
      if (d.season !== null) votes.set(d.season, (votes.get(d.season) ?? 0) + 1);
      else none++;
    }
    const top = [...votes].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0];
    const best = top !== undefined && top[1] >= none ? top : undefined;
    this.season = best?.[0];
    this.seasonSource = best === undefined ? 'none' : 'detected';
  }

  /** With calendar 'auto', the first fit fixes the covariates (and so the network's input width) from its times; the calendar rows of the series. */
  private resolveCalendar(times: ForecastFitOptions['times'], rows: number, where: string): Float64Array | null {
    let noPeriods = false;
    if (this.calendar === undefined) {
      this.calendar = times === undefined ? null : detectCalendar(checkTimes(times, rows, `${where}: times`));
      // Rows a year or more apart: no period to model, the times were looked at and are not needed.
      if (this.calendar !== null && this.calendar.terms.length === 0) {
        this.calendar = null;
        noPeriods = true;
      }
    }
    return noPeriods ? null : this.calendarRows(times, rows, 0, where);
  }

  /**
   * One series' training and validation windows, encoded: fits its Holt-Winters reference and
   * scalers on its training part (left in this.holtWintersModel, hwStart, xScaler, yScaler).
   */
  private seriesWindows(s: Series, cal: Float64Array | null, split: ReturnType<typeof chronologicalSplit>, stride: number, where: string): TrainPart {
    const H = this.outputSteps;
    if (this.usesHoltWinters) {
      const y = Float64Array.from({ length: split.trainEnd }, (_, r) => s.data[r * s.columns + this.target]!);
      const m = this.season;
      if (split.trainEnd < 10) {
        throw new RangeError(`${where}: the '${this.reference}' reference is fitted on the training part, and its ${split.trainEnd} rows are too few (at least 10); use reference 'line' or 'last'`);
      }
      // The seasonal variants start from two seasons of rows; a shorter training part (a few years of
      // monthly rows) chooses among the others, as the AICc may do anyway on a longer one.
      this.holtWintersModel = selectHoltWinters(y, m !== undefined && m >= 2 && split.trainEnd >= 2 * m ? { period: m } : {});
      this.hwStart = Array.from(y.subarray(0, HW_START));
    }
    if (this.net === null) this.net = this.build();
    const p = this.prepare(s, cal, where);
    const trainO = windowOrigins(s.rows, { lookback: this.lookback, horizon: H, stride, targetEnd: split.trainEnd });
    const valO = split.validationEnd > split.trainEnd ? windowOrigins(s.rows, { lookback: this.lookback, horizon: H, targetStart: split.trainEnd, targetEnd: split.validationEnd }) : [];
    // Scalers from the training part only (features, then covariates).
    const F = p.cols.length;
    const trainB = this.bases(p, trainO, H);
    const yTrainRel = this.relTargets(p, trainO, trainB, H);
    if (this.windowRelative) {
      const { rel } = this.encodeX(p, trainO, trainB, H, null);
      this.xScaler = Scaler.fit(this.scaling, rel, F);
      this.yScaler = Scaler.fit(this.scaling, yTrainRel, 1);
    } else {
      const rows = new Float64Array(split.trainEnd * F);
      for (let r = 0; r < split.trainEnd; r++) for (let f = 0; f < F; f++) rows[r * F + f] = s.data[r * s.columns + p.cols[f]!]!;
      this.xScaler = Scaler.fit(this.scaling, rows, F);
      this.yScaler = Scaler.fit(this.scaling, p.tgt.subarray(0, split.trainEnd), 1);
    }
    const K = this.ensemble;
    const encode = (origins: number[], b: Float64Array, yRel: Float64Array): { x: Float32Array; y: Float32Array; n: number } => {
      const { x } = this.encodeX(p, origins, b, H, this.xScaler);
      // Every member (and every quantile of a step) learns the same targets; outputs [member][step][quantile].
      const Q = this.numQuantiles;
      const y = new Float32Array(origins.length * K * H * Q);
      for (let n = 0; n < origins.length; n++) for (let j = 0; j < K; j++) for (let h = 0; h < H; h++) y.fill(this.yScaler!.transform(yRel[n * H + h]!, 0), ((n * K + j) * H + h) * Q, ((n * K + j) * H + h + 1) * Q);
      return { x, y, n: origins.length };
    };
    const train = encode(trainO, trainB, yTrainRel);
    let val: TrainPart['val'] = null;
    if (valO.length > 0) {
      const vb = this.bases(p, valO, H);
      val = encode(valO, vb, this.relTargets(p, valO, vb, H));
    }
    return { train, val };
  }

  /** Pool the parts' windows (in order) and train: Adam (when first compiled), early stopping on the pooled validation loss. */
  private async train(parts: readonly TrainPart[], options: Omit<ForecastFitOptions, 'times'>, where: string): Promise<History> {
    const H = this.outputSteps;
    const outW = this.ensemble * H * this.numQuantiles;
    const pool = (chunks: { x: Float32Array; y: Float32Array; n: number }[]): [Tensor, Tensor] => {
      const n = chunks.reduce((a, c) => a + c.n, 0);
      const x = new Float32Array(n * this.lookback * this.width);
      const y = new Float32Array(n * outW);
      let i = 0;
      for (const c of chunks) {
        x.set(c.x, i * this.lookback * this.width);
        y.set(c.y, i * outW);
        i += c.n;
      }
      return [new Tensor(x, [n, this.lookback, this.width]), new Tensor(y, [n, outW])];
    };
    const [x, y] = pool(parts.map((p) => p.train));
    const vals = parts.flatMap((p) => (p.val === null ? [] : [p.val]));
    const val = vals.length > 0 ? pool(vals) : undefined;
    const net = this.net!;
    const K = this.ensemble;
    if (net.optimizer === null) {
      const lr = options.learningRate ?? FORECASTER_DEFAULTS.learningRate;
      if (typeof lr !== 'number' || !(lr > 0)) throw new RangeError(`${where}: learningRate must be a number > 0, got ${show(lr)}`);
      const qs = this.quantiles;
      const loss = qs === null ? 'mse' : losses.pinball({ tau: Array.from({ length: K * H * qs.length }, (_, i) => qs[i % qs.length]!) });
      net.compile({ optimizer: optimizers.adam({ learningRate: lr, globalClipnorm: 1 }), loss, metrics: ['mae'] });
    }
    const patience = options.patience ?? FORECASTER_DEFAULTS.patience;
    const user = options.callbacks === undefined ? [] : Array.isArray(options.callbacks) ? [...(options.callbacks as Callback[])] : [options.callbacks as Callback];
    const all = patience > 0 && val !== undefined ? [cb.earlyStopping({ monitor: 'val_loss', patience, restoreBestWeights: true }), ...user] : user;
    return net.fit(x, y, {
      epochs: options.epochs ?? FORECASTER_DEFAULTS.epochs,
      batchSize: options.batchSize ?? FORECASTER_DEFAULTS.batchSize,
      validationData: val,
      verbose: options.verbose ?? 0,
      callbacks: all,
      seed: options.seed,
      progressSink: options.progressSink,
      workers: options.workers,
    });
  }

  private fitted(where: string): { xs: Scaler; ys: Scaler; net: Model } {
    if (this.xScaler === null || this.yScaler === null || this.net === null) throw new RangeError(`${where}: the forecaster is not trained (call fit first, or load a trained one)`);
    return { xs: this.xScaler, ys: this.yScaler, net: this.net };
  }

  /**
   * One network pass from `origins` → [N, outputSteps, quantiles] in original units: per step and
   * quantile the members' median, the quantiles of a step then sorted (so they never cross).
   */
  private predictQuantilesAt(p: Prepared, origins: readonly number[]): Float64Array {
    const { xs, ys, net } = this.fitted('Forecaster.predict');
    const N = origins.length;
    const H = this.outputSteps;
    const K = this.ensemble;
    const Q = this.numQuantiles;
    const T = this.lookback + H;
    const b = this.bases(p, origins, H);
    const { x } = this.encodeX(p, origins, b, H, xs);
    const out = net.predict(new Tensor(x, [N, this.lookback, this.width]), { batchSize: 256 }).data;
    const res = new Float64Array(N * H * Q);
    const v = new Float64Array(K);
    for (let n = 0; n < N; n++) {
      for (let h = 0; h < H; h++) {
        const o = (n * H + h) * Q;
        for (let q = 0; q < Q; q++) {
          for (let j = 0; j < K; j++) v[j] = out[((n * K + j) * H + h) * Q + q]!;
          v.sort();
          const med = K % 2 === 1 ? v[(K - 1) / 2]! : 0.5 * (v[K / 2 - 1]! + v[K / 2]!);
          res[o + q] = ys.inverse(med, 0) + b[n * T + this.lookback + h]!;
        }
        if (Q > 1) res.subarray(o, o + Q).sort();
      }
    }
    return res;
  }

  /** [N, outputSteps] point forecasts (the 0.5 quantile with quantiles). */
  private predictAt(p: Prepared, origins: readonly number[]): Float64Array {
    const all = this.predictQuantilesAt(p, origins);
    const Q = this.numQuantiles;
    if (Q === 1) return all;
    const mid = this.quantiles!.indexOf(0.5);
    return Float64Array.from({ length: all.length / Q }, (_, i) => all[i * Q + mid]!);
  }

  /**
   * The forecast quantiles (needs `quantiles`) of the `horizon` steps after each origin:
   * [origins.length · horizon · quantiles.length], origin-major, then step, then quantile; with
   * calibration 'conformal', widened by the offsets fit found on the validation part.
   */
  predictQuantiles(input: SeriesInput | Series, origins: readonly number[], options: ForecastPredictOptions = {}): Float64Array {
    return this.calibrated(this.uncalibratedQuantiles(input, origins, options));
  }

  /** The conformal offsets applied in place to quantiles [N · horizon · Q] (none: unchanged). */
  private calibrated(values: Float64Array): Float64Array {
    if (this.conformal === null) return values;
    return applyConformal(values, this.quantiles!, this.horizon, this.conformal, this.yScaler!.scale[0]!);
  }

  /** predictQuantiles as the network (and the combination) forecast them, before calibration. */
  private uncalibratedQuantiles(input: SeriesInput | Series, origins: readonly number[], options: ForecastPredictOptions = {}): Float64Array {
    const where = 'Forecaster.predictQuantiles';
    checkOptions(options, ['times'], where);
    this.checkSingle(where);
    if (this.quantiles === null) throw new RangeError(`${where}: the forecaster was built without quantiles (give quantiles, e.g. [0.1, 0.5, 0.9], when creating it)`);
    if (this.strategy !== 'direct') throw new RangeError(`${where}: quantiles over the horizon need the direct strategy (the recursive one feeds back the median)`);
    const s = this.checkSeries(input, where);
    this.fitted(where);
    for (const e of origins) if (!Number.isInteger(e) || e < this.lookback - 1 || e + 1 > s.rows) throw new RangeError(`${where}: origin ${e} needs rows ${e - this.lookback + 1}…${e}; the series has rows 0…${s.rows - 1}`);
    const p = this.prepare(s, this.calendarRows(options.times, s.rows, 0, where), where);
    const all = this.predictQuantilesAt(p, origins);
    if (this.combination === null) return all;
    // Every quantile moves with the point forecast: w·median + (1 − w)·classical shifts the median by (1 − w)(classical − median).
    const H = this.horizon;
    const Q = this.numQuantiles;
    const mid = this.quantiles.indexOf(0.5);
    const point = Float64Array.from({ length: origins.length * H }, (_, i) => all[i * Q + mid]!);
    const combined = Float64Array.from(point);
    this.combineInto(combined, p, options.times, origins, H, where);
    for (let i = 0; i < point.length; i++) for (let q = 0; q < Q; q++) all[i * Q + q] = all[i * Q + q]! + combined[i]! - point[i]!;
    return all;
  }

  /**
   * Forecast `steps` values after each origin (row of the last input), original units,
   * [origins.length · steps] origin-major. Beyond the network's output the predictions are
   * fed back (only when the target is the only feature column; calendar covariates continue
   * by the rows' time step).
   */
  predictFrom(input: SeriesInput | Series, origins: readonly number[], steps: number = this.horizon, options: ForecastPredictOptions = {}): Float64Array {
    const where = 'Forecaster.predict';
    checkOptions(options, ['times'], where);
    this.checkSingle(where);
    const s = this.checkSeries(input, where);
    checkPositiveInt(steps, `${where}: steps`);
    this.fitted(where);
    for (const e of origins) if (!Number.isInteger(e) || e < this.lookback - 1 || e >= s.rows) throw new RangeError(`${where}: origin ${e} needs rows ${e - this.lookback + 1}…${e}; the series has rows 0…${s.rows - 1}`);
    const N = origins.length;
    const H = this.outputSteps;
    const extra = steps > H ? steps : 0;
    const cal = this.calendarRows(options.times, s.rows, extra, where);
    const p = this.prepare(s, cal, where);
    const out = new Float64Array(N * steps);
    if (steps <= H) {
      const pr = this.predictAt(p, origins);
      for (let n = 0; n < N; n++) for (let h = 0; h < steps; h++) out[n * steps + h] = pr[n * H + h]!;
      this.combineInto(out, p, options.times, origins, steps, where);
      return out;
    }
    if (!(this.features.length === 1 && this.features[0] === this.target && this.covariates.length === 0)) {
      throw new RangeError(`${where}: ${steps} steps is beyond the horizon (${this.horizon}); forecasting further feeds predictions back, which needs the target as the only feature column and no covariates (their future values are unknown)`);
    }
    // Per origin: a series of the rows up to it, extended by its own predictions H at a time.
    origins.forEach((e, n) => {
      const ext = new Float64Array(e + 1 + steps);
      ext.set(p.tgt.subarray(0, e + 1));
      for (let done = 0; done < steps; done += H) {
        const rows = e + 1 + done;
        const es: Series = { rows, columns: 1, data: ext.subarray(0, rows) };
        // The extended series has the target as its only column.
        const q: Prepared = { s: es, cols: [0], tcol: 0, tgt: ext.subarray(0, rows), cal, hw: p.hw === null ? null : done === 0 ? p.hw : holtWintersStates(this.holtWintersModel!, ext.subarray(0, rows)) };
        const pr = this.predictAt(q, [rows - 1]);
        const k = Math.min(H, steps - done);
        for (let h = 0; h < k; h++) {
          out[n * steps + done + h] = pr[h]!;
          ext[rows + h] = pr[h]!;
        }
      }
    });
    // The network's own forecasts are fed back; the combination is taken on the result.
    this.combineInto(out, p, options.times, origins, steps, where);
    return out;
  }

  /** The next `steps` values of the target after the end of the series, in original units. */
  forecast(input: SeriesInput | Series, steps: number = this.horizon, options: ForecastPredictOptions = {}): number[] {
    this.checkSingle('Forecaster.forecast');
    const s = toSeries(input, 'Forecaster.forecast');
    if (s.rows < this.lookback) throw new RangeError(`Forecaster.forecast: the series has ${s.rows} rows; lookback ${this.lookback} needs at least ${this.lookback}`);
    return Array.from(this.predictFrom(s, [s.rows - 1], steps, options));
  }

  /**
   * Score the test part (the last `test` fraction of rows; windows whose `horizon` targets all
   * lie in it) for the model, the last-value baseline, Holt-Winters and, with `season`, the
   * seasonal-naive one. Every baseline forecasts from the same origins as the model.
   */
  evaluate(input: SeriesInput | Series, options: ForecastEvaluateOptions = {}): ForecastEvaluation {
    const where = 'Forecaster.evaluate';
    checkOptions(options, ['test', 'season', 'holtWinters', 'ets', 'sarima', 'times'], where);
    this.checkSingle(where);
    if (options.holtWinters !== undefined && typeof options.holtWinters !== 'boolean') throw new TypeError(`${where}: holtWinters must be a boolean, got ${show(options.holtWinters)}`);
    if (options.ets !== undefined && typeof options.ets !== 'boolean') throw new TypeError(`${where}: ets must be a boolean, got ${show(options.ets)}`);
    if (options.sarima !== undefined && typeof options.sarima !== 'boolean') throw new TypeError(`${where}: sarima must be a boolean, got ${show(options.sarima)}`);
    const s = this.checkSeries(input, where);
    const test = options.test ?? this.split.test;
    if (typeof test !== 'number' || !(test > 0 && test <= 1)) throw new RangeError(`${where}: test must be a fraction in (0, 1], got ${show(test)}`);
    const start = s.rows - Math.round(s.rows * test);
    const H = this.horizon;
    const origins = windowOrigins(s.rows, { lookback: this.lookback, horizon: H, targetStart: start });
    if (origins.length === 0) throw new RangeError(`${where}: the test part (${s.rows - start} rows) is shorter than the horizon ${H}; no window to score`);
    const predictions = this.predictFrom(s, origins, H, options.times === undefined ? {} : { times: options.times });
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
    if (this.quantiles !== null && this.strategy === 'direct') {
      const Q = this.quantiles.length;
      const raw = this.uncalibratedQuantiles(s, origins, options.times === undefined ? {} : { times: options.times });
      const values = this.calibrated(Float64Array.from(raw));
      const n = actual.length;
      const inside = (v: Float64Array, lo: number, hi: number): number => {
        let k = 0;
        for (let i = 0; i < n; i++) if (actual[i]! >= v[i * Q + lo]! && actual[i]! <= v[i * Q + hi]!) k++;
        return k / n;
      };
      const width = (v: Float64Array, lo: number, hi: number): number => {
        let w = 0;
        for (let i = 0; i < n; i++) w += v[i * Q + hi]! - v[i * Q + lo]!;
        return w / n;
      };
      const below = (v: Float64Array): number[] => this.quantiles!.map((_, q) => {
        let k = 0;
        for (let i = 0; i < n; i++) if (actual[i]! <= v[i * Q + q]!) k++;
        return k / n;
      });
      const lv = this.quantiles;
      const intervals = symmetricPairs(lv).pairs.map(([lo, hi]) => ({ levels: [lv[lo]!, lv[hi]!] as [number, number], nominal: lv[hi]! - lv[lo]!, coverage: inside(values, lo, hi), width: width(values, lo, hi), uncalibrated: { coverage: inside(raw, lo, hi), width: width(raw, lo, hi) } }));
      res.quantiles = {
        levels: [...lv],
        values,
        coverage: inside(values, 0, Q - 1),
        below: below(values),
        calibration: this.conformal !== null ? 'conformal' : 'none',
        width: width(values, 0, Q - 1),
        intervals,
        ...(this.conformal !== null ? { uncalibrated: { values: raw, coverage: inside(raw, 0, Q - 1), below: below(raw), width: width(raw, 0, Q - 1) } } : {}),
        ...(this.calibrationNote !== null ? { note: this.calibrationNote } : {}),
      };
    }
    const m = options.season ?? this.season;
    if (m !== undefined) res.seasonalNaive = forecastMetrics(actual, seasonalNaiveForecast(s, this.target, origins, H, m));
    const enough = start >= 10 && (m === undefined || m < 2 || start >= 2 * m);
    const notes: string[] = [];
    const asked = [options.holtWinters !== false ? 'Holt-Winters' : null, options.ets !== false ? 'ETS' : null].filter((b) => b !== null);
    if (!enough && asked.length > 0) notes.push(`${asked.join(' and ')} left out: ${start} rows before the test part, fewer than ${start < 10 ? 10 : `two seasons (${2 * m!})`}`);
    if (enough && options.ets !== false && m !== undefined && m > AUTO_SEASON_MAX) notes.push(`ETS without a season: its seasonal variants take seasons up to ${AUTO_SEASON_MAX} rows (the season is ${m})`);
    const y = Float64Array.from({ length: s.rows }, (_, r) => s.data[r * s.columns + this.target]!);
    const c = this.combination;
    if (c !== null && c.guard !== undefined) {
      const times = options.times === undefined ? null : checkTimes(options.times, s.rows, `${where}: times`);
      res.guarded = this.offData(c, y, times, origins, where).filter((o) => o).length;
    }
    if (options.holtWinters !== false && enough) {
      // A season of 1 is no season.
      const model = selectHoltWinters(y.subarray(0, start), m !== undefined && m >= 2 ? { period: m } : {});
      const hw = holtWintersRolling(model, y, origins, H);
      res.holtWinters = forecastMetrics(actual, hw);
      res.holtWintersModel = model;
      res.holtWintersPredictions = hw;
    }
    const etsModel = options.ets !== false && enough && !allEqual(y.subarray(0, start)) ? fittedEts(y.subarray(0, start), m !== undefined && m >= 2 && m <= AUTO_SEASON_MAX ? { period: m } : {}) : null;
    if (etsModel !== null) {
      const p = etsRolling(etsModel, y, origins, H);
      res.ets = forecastMetrics(actual, p);
      res.etsModel = etsModel;
      res.etsPredictions = p;
    }
    const shortSeason = m !== undefined && m >= 2 && m <= 24;
    // A yearly cycle longer than 24 rows (daily, weekly rows) is too many states for the seasonal
    // model: with dates, ARIMA(1,1,1) gets 2 Fourier pairs of the year as regressors instead,
    // their forecast rows from the known future dates. Not on less than a year of rows before
    // the test part: there a yearly cycle cannot be told from a trend.
    let fourier: ReturnType<typeof yearlyFourierExog> = null;
    if (options.sarima !== false && !shortSeason && options.times !== undefined) {
      const t = checkTimes(options.times, s.rows, where);
      const cal = detectCalendar(t);
      fourier = cal.terms.some((c) => c.period === 'year') && 'ms' in cal.step ? yearlyFourierExog(t, cal.step.ms, 2) : null;
      if (fourier !== null && start < fourier.period) fourier = null;
    }
    // No yearly pairs from dates, and a season over 24 rows (given or detected): 2 Fourier pairs
    // of that period from the row index (rowFourierExog), with a whole period before the test part.
    if (fourier === null && options.sarima !== false && !shortSeason && m !== undefined && m > 24) {
      fourier = rowFourierExog(s.rows, m, 2);
      if (start < fourier.period) fourier = null;
    }
    const sarimaFit = fourier === null ? defaultSarimaSpec(m) : { ...defaultSarimaSpec(), exog: fourier.exog.slice(0, start) };
    const sarimaAsked = fourier !== null || (options.sarima ?? (shortSeason || this.combination?.kind === 'sarima'));
    if (sarimaAsked && start < sarimaMinRows(sarimaFit)) {
      const name = fourier !== null ? `ARIMA(1,1,1)+Fourier(${fourier.pairs} pairs)` : m !== undefined && m >= 2 ? `SARIMA(1,1,1)(0,1,1)${m}` : 'ARIMA(1,1,1)';
      notes.push(`${name} left out: it needs ${sarimaMinRows(sarimaFit)} rows before the test part, the series has ${start}`);
    }
    if (sarimaAsked && start >= sarimaMinRows(sarimaFit)) {
      const model = fitSarimaRecent(y, start, sarimaFit);
      if (fourier !== null) model.fourier = { period: fourier.period, pairs: fourier.pairs };
      const p = sarimaRolling(model, y, origins, H, fourier?.exog);
      res.sarima = forecastMetrics(actual, p);
      res.sarimaModel = model;
      res.sarimaPredictions = p;
    }
    if (notes.length > 0) res.baselineNotes = notes;
    return res;
  }

  /** The series ids after fitMany (in training order), or null for a forecaster of one series. */
  get ids(): string[] | null {
    return this.seriesStates === null ? null : [...this.seriesStates.keys()];
  }

  /**
   * After fitMany (or a load of its model): each series' combination by id (null: the network
   * alone) and why it has none (fitMany's note; null with combine false, or after load); null for
   * a forecaster of one series.
   */
  get combinationsById(): Record<string, { combination: ForecastCombination | null; note: string | null }> | null {
    if (this.seriesStates === null) return null;
    return Object.fromEntries([...this.seriesStates].map(([id, st]) => [id, { combination: st.combination, note: st.combinationNote }]));
  }

  /** A forecaster trained on many series needs to know which one: refuse the single-series methods. */
  private checkSingle(where: string): void {
    if (this.seriesStates !== null && this.activeId === null) {
      throw new RangeError(`${where}: the forecaster was trained on many series (ids ${[...this.seriesStates.keys()].map((i) => `'${i}'`).join(', ')}); use forecastMany / evaluateMany / predictMany with the series by id`);
    }
  }

  private checkIds(seriesById: unknown, where: string): string[] {
    if (seriesById === null || typeof seriesById !== 'object' || Array.isArray(seriesById)) throw new TypeError(`${where}: expected an object of series by id, got ${show(seriesById)}`);
    const ids = Object.keys(seriesById);
    if (ids.length === 0) throw new RangeError(`${where}: no series (the object of series by id is empty)`);
    return ids;
  }

  private checkTimesById(times: unknown, ids: readonly string[], where: string): Readonly<Record<string, readonly (number | Date)[]>> | undefined {
    if (times === undefined) return undefined;
    if (times === null || typeof times !== 'object' || Array.isArray(times)) throw new TypeError(`${where}: times must be an object of each series' times by id, got ${show(times)}`);
    const t = times as Record<string, readonly (number | Date)[]>;
    for (const id of ids) if (t[id] === undefined) throw new RangeError(`${where}: times has no entry for series '${id}'`);
    for (const k of Object.keys(t)) if (!ids.includes(k)) throw new RangeError(`${where}: times has an entry for '${k}', which is not among the series (${ids.map((i) => `'${i}'`).join(', ')})`);
    return t;
  }

  /** Run `fn` with series `id`'s scalers, reference and combination swapped in (refusing an id the forecaster was not trained on). */
  private withSeries<T>(id: string, where: string, fn: () => T): T {
    const states = this.seriesStates;
    if (states === null) throw new RangeError(`${where}: the forecaster was trained on one series (fit); use forecast / evaluate / predictFrom`);
    const st = states.get(id);
    // Unknown ids are refused, not fitted on the fly: the scalers and Holt-Winters reference come from each series' training part.
    if (st === undefined) throw new RangeError(`${where}: unknown series '${id}'; the forecaster was trained on ${[...states.keys()].map((i) => `'${i}'`).join(', ')}`);
    const saved = [this.xScaler, this.yScaler, this.holtWintersModel, this.hwStart, this.combination, this.combinationTrainFit, this.activeId] as const;
    this.xScaler = st.xScaler;
    this.yScaler = st.yScaler;
    this.holtWintersModel = st.holtWintersModel;
    this.hwStart = st.hwStart;
    this.combination = st.combination;
    this.combinationTrainFit = st.combinationTrainFit;
    this.activeId = id;
    try {
      return fn();
    } catch (e) {
      // Name the series in what the single-series method refused.
      if (e instanceof RangeError) throw new RangeError(`${where}: ${e.message}`);
      throw e;
    } finally {
      [this.xScaler, this.yScaler, this.holtWintersModel, this.hwStart, this.combination, this.combinationTrainFit, this.activeId] = saved;
    }
  }

  /** The next `steps` values after the end of each series, by id (see forecast). */
  forecastMany(seriesById: Readonly<Record<string, SeriesInput | Series>>, steps: number = this.horizon, options: ForecastManyPredictOptions = {}): Record<string, number[]> {
    return this.eachSeries('Forecaster.forecastMany', seriesById, options, (id, series, opts) => this.forecast(series, steps, opts));
  }

  /**
   * Run `fn` on each series of a many-series call, with that series' scalers and reference
   * swapped in (withSeries), its times, and errors prefixed with its id.
   */
  private eachSeries<T>(
    where: string,
    seriesById: Readonly<Record<string, SeriesInput | Series>>,
    options: ForecastManyPredictOptions,
    fn: (id: string, series: SeriesInput | Series, opts: { times?: readonly (number | Date)[] }) => T,
  ): Record<string, T> {
    checkOptions(options, ['times'], where);
    const ids = this.checkIds(seriesById, where);
    const times = this.checkTimesById(options.times, ids, where);
    const out: Record<string, T> = {};
    for (const id of ids) out[id] = this.withSeries(id, `${where}: series '${id}'`, () => fn(id, seriesById[id]!, times === undefined ? {} : { times: times[id]! }));
    return out;
  }

  /** The origins of series `id` in a many-series call. */
  private static originsOf(origins: Readonly<Record<string, readonly number[]>>, id: string, where: string): readonly number[] {
    const o = origins[id];
    if (o === undefined) throw new RangeError(`${where}: no origins for series '${id}'`);
    return o;
  }

  /** predictFrom per series: `origins` by id, [origins · steps] per id. */
  predictMany(seriesById: Readonly<Record<string, SeriesInput | Series>>, origins: Readonly<Record<string, readonly number[]>>, steps: number = this.horizon, options: ForecastManyPredictOptions = {}): Record<string, Float64Array> {
    const where = 'Forecaster.predictMany';
    return this.eachSeries(where, seriesById, options, (id, series, opts) => this.predictFrom(series, Forecaster.originsOf(origins, id, where), steps, opts));
  }

  /** predictQuantiles per series: `origins` by id, [origins · horizon · quantiles] per id. */
  predictQuantilesMany(seriesById: Readonly<Record<string, SeriesInput | Series>>, origins: Readonly<Record<string, readonly number[]>>, options: ForecastManyPredictOptions = {}): Record<string, Float64Array> {
    const where = 'Forecaster.predictQuantilesMany';
    return this.eachSeries(where, seriesById, options, (id, series, opts) => this.predictQuantiles(series, Forecaster.originsOf(origins, id, where), opts));
  }

  /**
   * evaluate per series (each series' own last `test` fraction, its own baselines, Holt-Winters
   * fitted on its own rows before the test part) and the mean of every metric over the series.
   */
  evaluateMany(seriesById: Readonly<Record<string, SeriesInput | Series>>, options: ForecastEvaluateManyOptions = {}): ForecastEvaluationMany {
    const where = 'Forecaster.evaluateMany';
    checkOptions(options, ['test', 'season', 'holtWinters', 'ets', 'sarima', 'times'], where);
    const ids = this.checkIds(seriesById, where);
    const times = this.checkTimesById(options.times, ids, where);
    const byId: Record<string, ForecastEvaluation> = {};
    for (const id of ids) {
      const { times: _t, ...rest } = options;
      byId[id] = this.withSeries(id, `${where}: series '${id}'`, () => this.evaluate(seriesById[id]!, { ...rest, ...(times === undefined ? {} : { times: times[id]! }) }));
    }
    const evs = ids.map((id) => byId[id]!);
    const mean = (ms: (ForecastMetrics | undefined)[]): ForecastMetrics | undefined => {
      if (ms.some((m) => m === undefined)) return undefined;
      const avg = (k: keyof ForecastMetrics): number => ms.reduce((a, m) => a + m![k], 0) / ms.length;
      return { mae: avg('mae'), rmse: avg('rmse'), mape: avg('mape'), smape: avg('smape') };
    };
    const pooled: ForecastEvaluationMany['pooled'] = { model: mean(evs.map((e) => e.model))!, lastValue: mean(evs.map((e) => e.lastValue))! };
    const sn = mean(evs.map((e) => e.seasonalNaive));
    if (sn !== undefined) pooled.seasonalNaive = sn;
    const hw = mean(evs.map((e) => e.holtWinters));
    if (hw !== undefined) pooled.holtWinters = hw;
    const ets = mean(evs.map((e) => e.ets));
    if (ets !== undefined) pooled.ets = ets;
    const sarima = mean(evs.map((e) => e.sarima));
    if (sarima !== undefined) pooled.sarima = sarima;
    return { byId, pooled };
  }

  metadata(): ForecasterMetadata {
    const { xs, ys } = this.fitted('Forecaster.save');
    let series: Record<string, ForecasterSeriesJSON> | null = null;
    if (this.seriesStates !== null) {
      series = {};
      for (const [id, st] of this.seriesStates) {
        series[id] = { xScaler: st.xScaler.toJSON(), yScaler: st.yScaler.toJSON(), holtWinters: this.usesHoltWinters ? st.holtWintersModel : null, holtWintersStart: this.usesHoltWinters ? st.hwStart : null, combination: st.combination };
      }
    }
    return {
      version: 1,
      lookback: this.lookback,
      horizon: this.horizon,
      strategy: this.strategy,
      target: this.target,
      features: [...this.features],
      covariates: [...this.covariates],
      columns: [...this.columns],
      scaling: this.scaling,
      windowRelative: this.windowRelative,
      reference: this.reference,
      season: this.season ?? null,
      ...(this.seasonSource === 'detected' ? { seasonDetected: true } : {}),
      calendar: this.calendar ?? null,
      holtWinters: this.usesHoltWinters ? this.holtWintersModel : null,
      holtWintersStart: this.usesHoltWinters ? this.hwStart : null,
      ensemble: this.ensemble,
      combine: this.combine,
      combination: this.combination,
      quantiles: this.quantiles,
      calibration: this.calibration,
      conformal: this.conformal,
      calibrationNote: this.calibrationNote,
      cell: this.cell,
      units: this.units,
      layers: this.numLayers,
      xScaler: xs.toJSON(),
      yScaler: ys.toJSON(),
      split: { ...this.split },
      info: this.info,
      series,
    };
  }

  /** Save the network and everything needed to forecast (scalers, columns, windowing, calendar, Holt-Winters reference, ensemble) in one model.json. */
  async save(target: string | SaveHandler): Promise<void> {
    await this.fitted('Forecaster.save').net.save(target, { includeOptimizer: false, metadata: { [FORECASTER_KEY]: this.metadata() } });
  }

  static async load(source: Parameters<typeof loadModel>[0], options: LoadOptions = {}): Promise<Forecaster> {
    const model = await loadModel(source, options);
    return Forecaster.fromModel(model, sourceName(source));
  }

  static fromModel(model: Model, where = 'the model'): Forecaster {
    const { meta, not } = taskMetadata<ForecasterMetadata>(model, FORECASTER_KEY, 'forecaster', where);
    let f: Forecaster;
    try {
      const windowRelative = meta.windowRelative ?? false;
      f = new Forecaster(
        {
          lookback: meta.lookback!,
          horizon: meta.horizon,
          strategy: meta.strategy,
          target: meta.target,
          features: meta.features,
          ...(meta.covariates !== undefined ? { covariates: meta.covariates } : {}),
          columns: meta.columns,
          scaling: meta.scaling,
          windowRelative,
          // Models saved before references existed measured from the last value.
          ...(windowRelative ? { reference: meta.reference ?? 'last' } : {}),
          season: meta.season ?? 'none',
          calendar: meta.calendar === undefined || meta.calendar === null ? false : meta.calendar,
          ensemble: meta.ensemble ?? 1,
          // Models saved before combinations existed forecast with the network alone.
          combine: meta.combine ?? false,
          ...(meta.quantiles !== undefined && meta.quantiles !== null ? { quantiles: meta.quantiles } : {}),
          // Models saved before calibration existed forecast their quantiles as trained.
          calibration: meta.calibration ?? 'none',
          cell: meta.cell,
          units: meta.units,
          layers: meta.layers,
        },
        model,
      );
      f.xScaler = Scaler.fromJSON(meta.xScaler);
      f.yScaler = Scaler.fromJSON(meta.yScaler);
      const hwStart = (st: unknown, what: string): number[] => {
        if (!Array.isArray(st) || st.length === 0 || st.length > HW_START || !st.every((v) => typeof v === 'number' && Number.isFinite(v))) throw new RangeError(`${what} must be 1…${HW_START} finite numbers, got ${show(st)}`);
        return [...(st as number[])];
      };
      if (f.usesHoltWinters) {
        f.holtWintersModel = checkHoltWintersModel(meta.holtWinters, 'holtWinters');
        f.hwStart = hwStart(meta.holtWintersStart, 'holtWintersStart');
      }
      if (meta.combination !== undefined && meta.combination !== null) f.combination = checkCombination(meta.combination, f.horizon, 'combination');
      if (meta.series !== undefined && meta.series !== null) {
        const ser: unknown = meta.series;
        if (typeof ser !== 'object' || ser === null || Array.isArray(ser) || Object.keys(ser).length === 0) throw new RangeError(`series must be an object of each series' scalers and reference by id, got ${show(ser)}`);
        const states = new Map<string, SeriesState>();
        for (const [id, j] of Object.entries(ser as Record<string, unknown>)) {
          const w = `series '${id}'`;
          if (j === null || typeof j !== 'object' || Array.isArray(j)) throw new RangeError(`${w} must be an object {xScaler, yScaler, holtWinters, holtWintersStart, combination}, got ${show(j)}`);
          checkOptions(j as Record<string, unknown>, ['xScaler', 'yScaler', 'holtWinters', 'holtWintersStart', 'combination'], w);
          const js = j as ForecasterSeriesJSON;
          const xs = Scaler.fromJSON(js.xScaler);
          if (xs.columns !== f.features.length + f.covariates.length) throw new RangeError(`${w}: the input scaler has ${xs.columns} columns for ${f.features.length} features and ${f.covariates.length} covariates`);
          const ys = Scaler.fromJSON(js.yScaler);
          if (ys.columns !== 1) throw new RangeError(`${w}: the target scaler has ${ys.columns} columns, not 1`);
          states.set(id, {
            xScaler: xs,
            yScaler: ys,
            holtWintersModel: f.usesHoltWinters ? checkHoltWintersModel(js.holtWinters, `${w}: holtWinters`) : null,
            hwStart: f.usesHoltWinters ? hwStart(js.holtWintersStart, `${w}: holtWintersStart`) : null,
            // Checked as the single-series one (an untrusted file); absent in models saved before per-series combinations: none.
            combination: js.combination === undefined || js.combination === null ? null : checkCombination(js.combination, f.horizon, `${w}: combination`),
            combinationNote: null,
            combinationTrainFit: null,
          });
        }
        // Each series' combination is swapped in by withSeries; a top-level one would be used by none.
        if (f.combination !== null) throw new RangeError(`combination: a model of many series keeps its combinations per series (series.<id>.combination); the top-level one must be null`);
        f.seriesStates = states;
      }
      if (meta.conformal !== undefined && meta.conformal !== null) {
        if (f.calibration !== 'conformal') throw new RangeError(`conformal offsets saved with calibration ${show(meta.calibration)}`);
        f.conformal = checkConformalCalibration(meta.conformal, f.quantiles!, f.horizon, 'conformal');
        // fit only ever widens (fitCalibration): a negative offset would narrow the bands it reports.
        if (f.conformal.offsets.some((row) => row.some((o) => o !== null && o < 0))) throw new RangeError(`conformal offsets must be ≥ 0 (the calibration only widens), got ${show(f.conformal.offsets)}`);
      }
      if (meta.calibrationNote !== undefined && meta.calibrationNote !== null) {
        if (typeof meta.calibrationNote !== 'string') throw new RangeError(`calibrationNote must be a string, got ${show(meta.calibrationNote)}`);
        f.calibrationNote = meta.calibrationNote;
      }
    } catch (e) {
      throw not((e as Error).message);
    }
    if (f.xScaler.columns !== f.features.length + f.covariates.length) throw not(`the input scaler has ${f.xScaler.columns} columns for ${f.features.length} features and ${f.covariates.length} covariates`);
    const inShape = model.inputs[0]?.shape;
    const outShape = model.outputs[0]?.shape;
    if (model.inputs.length !== 1 || model.outputs.length !== 1 || inShape?.[1] !== f.lookback || inShape[2] !== f.width) {
      throw not(`the network takes ${JSON.stringify(inShape)}, not [null, ${f.lookback}, ${f.width}] (lookback × features + calendar covariates)`);
    }
    const outW = f.ensemble * f.outputSteps * f.numQuantiles;
    if (outShape?.[1] !== outW) throw not(`the network outputs ${JSON.stringify(outShape)}, not [null, ${outW}] (ensemble ${f.ensemble} × ${f.outputSteps} steps${f.quantiles !== null ? ` × ${f.quantiles.length} quantiles` : ''})`);
    if (meta.seasonDetected === true && f.season !== undefined) f.seasonSource = 'detected';
    if (meta.split !== undefined) f.split = { validation: meta.split.validation ?? 0.1, test: meta.split.test ?? 0.2 };
    if (meta.info !== undefined && meta.info !== null && typeof meta.info === 'object') f.info = meta.info;
    return f;
  }

  /**
   * Free the model's backend memory now (see Model.dispose); afterwards every use
   * throws "… was disposed".
   */
  dispose(): void {
    this.net?.dispose();
  }
}
