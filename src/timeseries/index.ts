/** Time-series forecasting (browser-safe): windowing, scalers, baselines, metrics, Forecaster. */
export { windows, windowOrigins, rowsNeeded, toSeries, chronologicalSplit, fillGaps, type SeriesInput, type Series, type WindowOptions, type WindowDataset, type SplitRanges, type SplitOptions, type FillMethod } from './windowing.js';
export { Scaler, standardScaler, minMaxScaler, type ScalerKind, type ScalerJSON } from './scalers.js';
export { forecastMetrics, lastValueForecast, seasonalNaiveForecast, type ForecastMetrics } from './metrics.js';
export {
  fitHoltWinters,
  selectHoltWinters,
  holtWintersForecast,
  holtWintersRolling,
  holtWintersInitialStates,
  holtWintersName,
  holtWintersStates,
  checkHoltWintersModel,
  type HoltWintersStates,
  type HoltWintersSpec,
  type HoltWintersModel,
  type HoltWintersTrend,
  type HoltWintersSeason,
  type SelectHoltWintersOptions,
} from './holtWinters.js';
export { EtsNoFit, fitEts, selectEts, etsForecast, etsRolling, etsLogLikelihood, etsName, type EtsSpec, type EtsModel, type EtsParams, type EtsError, type EtsTrend, type EtsSeason, type EtsCriterion, type SelectEtsOptions } from './ets.js';
export {
  fitSarima,
  sarimaLoglik,
  sarimaRolling,
  sarimaForecast,
  sarimaName,
  defaultSarimaSpec,
  sarimaMinRows,
  sarimaFitStart,
  SARIMA_FIT_BUDGET,
  checkSarimaModel,
  constrainStationary,
  unconstrainStationary,
  yearlyFourierExog,
  rowFourierExog,
  type SarimaSpec,
  type SarimaFitOptions,
  type SarimaModel,
  type SarimaOrder,
  type SarimaSeasonalOrder,
  type SarimaCriterion,
  type SarimaAutoOptions,
  type SarimaAutoFitOptions,
} from './sarima.js';
export {
  Forecaster,
  FORECASTER_DEFAULTS,
  ONE_STEP_BAND,
  FORECASTER_KEY,
  type ForecasterArgs,
  type ForecastFitOptions,
  type ForecastEvaluateOptions,
  type ForecastEvaluation,
  type ForecasterMetadata,
  type ForecastCell,
  type ForecastStrategy,
  type ForecastReference,
  type ForecastPredictOptions,
  type ForecastFitManyOptions,
  type ForecastManyPredictOptions,
  type ForecastEvaluateManyOptions,
  type ForecastEvaluationMany,
  type ForecasterSeriesJSON,
  type ForecastCombination,
  combinationWeights,
} from './forecaster.js';
export { fitConformal, applyConformal, conformalRank, conformalMinPoints, symmetricPairs, checkConformalCalibration, CALIBRATIONS, type ConformalCalibration, type ConformalPart, type ForecastCalibration } from './conformal.js';
export { fitAuto, AUTO_BUDGET_SECONDS, type AutoOptions, type AutoTrial, type AutoChoice, type AutoResult } from './autoForecast.js';
export { detectSeason, seasonScore, calendarSeasons, SEASON_THRESHOLD, AUTO_SEASON_MAX, type SeasonDetection, type SeasonCandidate, type DetectSeasonOptions } from './season.js';
export { detectCalendar, calendarFeatures, calendarWidth, checkCalendarSpec, checkTimes, extendTimes, timeStep, weekdaysOnly, CALENDAR_HARMONICS, type CalendarSpec, type CalendarTerm, type CalendarPeriod } from './calendar.js';
export { parseTime, parseTimeCell, parseTimeCells, timeCellsKind, compactDate, timeGaps, type TimeCellsKind } from './timeCells.js';
