/**
 * rnnkit — recurrent neural networks for TypeScript, with a Keras-shaped API.
 *
 *   import { Sequential, layers, tensor } from 'rnnkit';
 */
import { Sequential, type SequentialArgs } from './models/sequential.js';
import { input as inputFn } from './layers/inputLayer.js';

export { Tensor, tensor, type NestedArray } from './core/tensor.js';
export { ModelFormatError } from './core/errors.js';
export { setSeed, Rng } from './core/rng.js';
export {
  layers,
  Layer,
  Dense,
  SimpleRNN,
  LSTM,
  GRU,
  Recurrent,
  Bidirectional,
  TimeDistributed,
  type LayerArgs,
  type DenseArgs,
  type SimpleRNNArgs,
  type LSTMArgs,
  type GRUArgs,
  type RecurrentArgs,
  type BidirectionalArgs,
  type TimeDistributedArgs,
  type MergeMode,
  type Shape,
  type ApplyArgs,
  type ApplyInput,
  SymbolicTensor,
  InputLayer,
  type InputArgs,
  type InputLayerArgs,
  type NodeArgs,
} from './layers/index.js';
export {
  Embedding,
  Masking,
  Dropout,
  Activation,
  RepeatVector,
  Flatten,
  type EmbeddingArgs,
  type MaskingArgs,
  type DropoutArgs,
  type ActivationArgs,
  type RepeatVectorArgs,
  type FlattenArgs,
  Add,
  Subtract,
  Multiply,
  Average,
  Maximum,
  Minimum,
  Concatenate,
  Dot,
  Attention,
  AdditiveAttention,
  GlobalAveragePooling1D,
  GlobalMaxPooling1D,
  Reshape,
  Permute,
  Conv1D,
  MaxPooling1D,
  AveragePooling1D,
  SpatialDropout1D,
  LayerNormalization,
  BatchNormalization,
  type MergeArgs,
  type ConcatenateArgs,
  type DotArgs,
  type AttentionArgs,
  type AdditiveAttentionArgs,
  type GlobalPooling1DArgs,
  type ReshapeArgs,
  type PermuteArgs,
  type Conv1DArgs,
  type Pooling1DArgs,
  type SpatialDropout1DArgs,
  type LayerNormalizationArgs,
  type BatchNormalizationArgs,
} from './layers/index.js';
export { initializers, type Initializer } from './initializers/index.js';
export { type ActivationIdentifier } from './activations/index.js';
export { optimizers, Optimizer, schedules, LearningRateSchedule, type OptimizerOptions, type SerializedSchedule } from './optimizers/index.js';
export { losses, Loss } from './losses/index.js';
export { metrics, Metric } from './metrics/index.js';
export { confusionMatrix, classificationReport, formatClassificationReport, rocAuc, prAuc, type ClassMetrics, type ClassificationScores } from './metrics/index.js';
export { Sequential, type SequentialArgs } from './models/sequential.js';
export {
  Model,
  Functional,
  model,
  type ModelArgs,
  type ModelData,
  type CompileArgs,
  type FitArgs,
  type EvaluateArgs,
  type PredictArgs,
  type Verbosity,
  type SaveHandler,
} from './models/model.js';
export { callbacks, History, EarlyStopping, type Callback, type Logs, type EarlyStoppingArgs } from './models/callbacks.js';
export { TerminateOnNaN, ReduceLROnPlateau, LearningRateScheduler, CSVLogger, type TerminateOnNaNArgs, type ReduceLROnPlateauArgs, type LearningRateSchedulerArgs, type CSVLoggerArgs, type Schedule } from './models/trainingCallbacks.js';
export { type ProgressSink } from './models/progbar.js';
export { Stream } from './models/stream.js';
export { trainInWorker, type TrainInWorkerOptions, type TrainResult } from './models/trainInWorker.js';
export { startWorkers, shutdownWorkers } from './models/workers/persistent.js';
export { loadModel, type LoadOptions } from './models/loadModel.js';
export { loadWeightsH5, type LoadWeightsH5Options } from './io/kerasH5.js';
export { saveKerasFile, type KerasFileSaveOptions } from './io/kerasFileWrite.js';
export { exportOnnx, OnnxExportError, type OnnxExportOptions } from './io/onnx/export.js';
export { loadOnnx, OnnxImportError, type OnnxLoadOptions } from './io/onnx/import.js';
export { ModelCheckpoint, type ModelCheckpointArgs } from './models/modelCheckpoint.js';
export { type ModelArtifacts, type ModelJSON, type SaveOptions } from './models/saving.js';
export { regularizers, type Regularizer } from './regularizers/index.js';
export { constraints, type Constraint } from './constraints/index.js';
export { getBackend, useBackend, wasmSupported } from './backend/kernels.js';

export {
  Vocabulary,
  lineDataset,
  windowDataset,
  sampleIndex,
  TextGenerator,
  type EncodeOptions,
  type VocabularyJSON,
  type VocabularyMode,
  type TextDataset,
  type LineDatasetOptions,
  type WindowDatasetOptions,
  type SampleIndexOptions,
  type TextGeneratorArgs,
  type TextFitOptions,
  type SampleOptions,
  type TextEvaluation,
  type TextGeneratorMetadata,
  type CellType,
  type CorpusMode,
  TextVectorizer,
  type TextVectorizerArgs,
  type TextVectorizerConfig,
  type AdaptOptions,
  type StandardizeMode,
  type SplitMode,
  type VectorizerOutputMode,
} from './text/index.js';
export {
  windows,
  windowOrigins,
  rowsNeeded,
  toSeries,
  chronologicalSplit,
  fillGaps,
  Scaler,
  standardScaler,
  minMaxScaler,
  forecastMetrics,
  lastValueForecast,
  seasonalNaiveForecast,
  fitHoltWinters,
  selectHoltWinters,
  holtWintersForecast,
  holtWintersRolling,
  holtWintersInitialStates,
  holtWintersName,
  type HoltWintersSpec,
  type HoltWintersModel,
  type HoltWintersTrend,
  type HoltWintersSeason,
  type SelectHoltWintersOptions,
  fitEts,
  selectEts,
  etsForecast,
  etsRolling,
  etsLogLikelihood,
  etsName,
  type EtsSpec,
  type EtsModel,
  type EtsParams,
  type EtsError,
  type EtsTrend,
  type EtsSeason,
  type EtsCriterion,
  type SelectEtsOptions,
  Forecaster,
  FORECASTER_DEFAULTS,
  type SeriesInput,
  type Series,
  type WindowOptions,
  type WindowDataset,
  type SplitRanges,
  type SplitOptions,
  type FillMethod,
  type ScalerKind,
  type ScalerJSON,
  type ForecastMetrics,
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
  holtWintersStates,
  type HoltWintersStates,
  detectCalendar,
  calendarFeatures,
  extendTimes,
  type CalendarSpec,
  type CalendarTerm,
  type CalendarPeriod,
  detectSeason,
  seasonScore,
  fitAuto,
  AUTO_BUDGET_SECONDS,
  type AutoOptions,
  type AutoTrial,
  type AutoChoice,
  type AutoResult,
  calendarSeasons,
  SEASON_THRESHOLD,
  type SeasonDetection,
  type SeasonCandidate,
  type DetectSeasonOptions,
} from './timeseries/index.js';
export {
  Seq2Seq,
  decode,
  editDistance,
  scoreSequences,
  corpusBleu,
  type Seq2SeqArgs,
  type Seq2SeqPairsArgs,
  type Seq2SeqTokens,
  type Seq2SeqCell,
  type Seq2SeqAttention,
  type Seq2SeqFitOptions,
  type TranslateOptions,
  type Seq2SeqEvaluation,
  type Seq2SeqMetadata,
  type DecodingDefaults,
  type DecoderStep,
  type DecodeOptions,
  type SequenceScores,
} from './seq2seq/index.js';
export { lineChart, niceTicks, plotHistory, historySvg, plotForecast, forecastSvg, plotModel, modelSvg, type LineSeries, type BandSeries, type ChartOptions, type PlotHistoryOptions, type ForecastPlotData, type PlotModelOptions } from './plot/index.js';

/** A graph's input: `input({shape: [null, 8]})` (tfjs `tf.input`). */
export const input = inputFn;

/** Build a Sequential model (tfjs spelling: `sequential({layers: [...]})`). */
export function sequential(args?: SequentialArgs): Sequential {
  return new Sequential(args);
}
export {
  TextClassifier,
  classifierReport,
  formatClassifierReport,
  emailText,
  htmlToText,
  NaiveBayes,
  LogisticRegression,
  type TextClassifierArgs,
  type ClassifierCell,
  type ConvFrontEnd,
  type ClassLabels,
  type ClassifierFitOptions,
  type ClassifyOptions,
  type Prediction,
  type TextClassifierMetadata,
  type ClassifierReport,
  type ClassScores,
  type AveragedScores,
  type Documents,
  type BagOfWordsModel,
} from './classify/index.js';
