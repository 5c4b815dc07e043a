/**
 * The one table of rnnkit's layer classes: each class's Keras class name, how it is
 * rebuilt from its configuration (getConfig's camelCase form; wrappers rebuild their
 * inner layer too), and whether it can run a stream one time step at a time. Loading
 * model files, worker replicas, twins and streams all read this table, so a new layer
 * is added here once (test/registry.test.ts checks that every exported layer class is).
 */
import { ModelFormatError, show } from '../core/errors.js';
import { Layer } from './layer.js';
import { Dense } from './dense.js';
import { SimpleRNN } from './simpleRNN.js';
import { LSTM } from './lstm.js';
import { GRU } from './gru.js';
import { Embedding } from './embedding.js';
import { Masking } from './masking.js';
import { Dropout } from './dropout.js';
import { Activation } from './activation.js';
import { RepeatVector } from './repeatVector.js';
import { Flatten } from './flatten.js';
import { Bidirectional } from './bidirectional.js';
import { TimeDistributed } from './timeDistributed.js';
import { InputLayer } from './inputLayer.js';
import { Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract } from './merge.js';
import { Dot } from './dot.js';
import { AdditiveAttention, Attention } from './attention.js';
import { MultiHeadAttention } from './multiHeadAttention.js';
import { GlobalAveragePooling1D, GlobalMaxPooling1D } from './pooling.js';
import { Permute, Reshape } from './reshape.js';
import { Conv1D } from './conv1d.js';
import { Conv1DTranspose } from './convTranspose1d.js';
import { Cropping1D, UpSampling1D, ZeroPadding1D } from './resize1d.js';
import { TimeSlice } from './timeSlice.js';
import { AveragePooling1D, MaxPooling1D } from './pooling1d.js';
import { SpatialDropout1D } from './spatialDropout1d.js';
import { LayerNormalization } from './layerNormalization.js';
import { BatchNormalization } from './batchNormalization.js';
import { ELU, LeakyReLU, PReLU, ReLU, Softmax, ThresholdedReLU } from './advancedActivations.js';
import { AlphaDropout, GaussianDropout, GaussianNoise } from './noise.js';
import { Normalization } from './normalization.js';

/** A layer's configuration as getConfig gives it: camelCase keys, nested objects as {className, config}. */
export type LayerConfig = Record<string, unknown>;

/** A nested layer in a configuration. */
export interface LayerJSON {
  className: string;
  config: LayerConfig;
}

export interface LayerEntry {
  readonly className: string;
  readonly cls: abstract new (...args: never[]) => Layer;
  /** Rebuild from a configuration; `resolve` rebuilds nested layers (wrappers). */
  readonly fromConfig: (config: LayerConfig, resolve: (json: LayerJSON, where: string) => Layer) => Layer;
  /**
   * Treats every time step alike and carries nothing between steps but recurrent state: a
   * stream can feed it one step at a time. A function where that depends on the options.
   */
  readonly stepwise: boolean | ((layer: Layer) => boolean);
}

type Make = new (args: never) => Layer;
const plain = (cls: Make) => (config: LayerConfig): Layer => new cls(config as never);

/** A wrapper's `layer` option: a Layer as given, or a {className, config} to rebuild. */
const wrapped = (cls: Make) => (config: LayerConfig, resolve: (json: LayerJSON, where: string) => Layer): Layer => {
  const inner = config.layer;
  const layer = inner instanceof Layer ? inner : resolve(inner as LayerJSON, `${String(config.name ?? cls.name)} → wrapped layer`);
  const back = config.backwardLayer;
  if (back === undefined || back === null || back instanceof Layer) return new cls({ ...config, layer } as never);
  return new cls({ ...config, layer, backwardLayer: resolve(back as LayerJSON, `${String(config.name ?? cls.name)} → backward layer`) } as never);
};

const ENTRIES: readonly LayerEntry[] = [
  { className: 'Dense', cls: Dense, fromConfig: plain(Dense), stepwise: true },
  { className: 'SimpleRNN', cls: SimpleRNN, fromConfig: plain(SimpleRNN), stepwise: true },
  { className: 'LSTM', cls: LSTM, fromConfig: plain(LSTM), stepwise: true },
  { className: 'GRU', cls: GRU, fromConfig: plain(GRU), stepwise: true },
  { className: 'Embedding', cls: Embedding, fromConfig: plain(Embedding), stepwise: true },
  { className: 'Masking', cls: Masking, fromConfig: plain(Masking), stepwise: true },
  { className: 'Dropout', cls: Dropout, fromConfig: plain(Dropout), stepwise: true },
  { className: 'Activation', cls: Activation, fromConfig: plain(Activation), stepwise: true },
  { className: 'RepeatVector', cls: RepeatVector, fromConfig: plain(RepeatVector), stepwise: false },
  { className: 'Flatten', cls: Flatten, fromConfig: plain(Flatten), stepwise: false },
  { className: 'Bidirectional', cls: Bidirectional, fromConfig: wrapped(Bidirectional), stepwise: false },
  { className: 'TimeDistributed', cls: TimeDistributed, fromConfig: wrapped(TimeDistributed), stepwise: true },
  { className: 'Add', cls: Add, fromConfig: plain(Add), stepwise: true },
  { className: 'Subtract', cls: Subtract, fromConfig: plain(Subtract), stepwise: true },
  { className: 'Multiply', cls: Multiply, fromConfig: plain(Multiply), stepwise: true },
  { className: 'Average', cls: Average, fromConfig: plain(Average), stepwise: true },
  { className: 'Maximum', cls: Maximum, fromConfig: plain(Maximum), stepwise: true },
  { className: 'Minimum', cls: Minimum, fromConfig: plain(Minimum), stepwise: true },
  { className: 'Concatenate', cls: Concatenate, fromConfig: plain(Concatenate), stepwise: false },
  { className: 'Dot', cls: Dot, fromConfig: plain(Dot), stepwise: false },
  { className: 'Attention', cls: Attention, fromConfig: plain(Attention), stepwise: false },
  { className: 'AdditiveAttention', cls: AdditiveAttention, fromConfig: plain(AdditiveAttention), stepwise: false },
  { className: 'MultiHeadAttention', cls: MultiHeadAttention, fromConfig: plain(MultiHeadAttention), stepwise: false },
  { className: 'GlobalAveragePooling1D', cls: GlobalAveragePooling1D, fromConfig: plain(GlobalAveragePooling1D), stepwise: false },
  { className: 'GlobalMaxPooling1D', cls: GlobalMaxPooling1D, fromConfig: plain(GlobalMaxPooling1D), stepwise: false },
  { className: 'Reshape', cls: Reshape, fromConfig: plain(Reshape), stepwise: false },
  { className: 'Permute', cls: Permute, fromConfig: plain(Permute), stepwise: false },
  { className: 'Conv1D', cls: Conv1D, fromConfig: plain(Conv1D), stepwise: false },
  { className: 'Conv1DTranspose', cls: Conv1DTranspose, fromConfig: plain(Conv1DTranspose), stepwise: false },
  { className: 'ZeroPadding1D', cls: ZeroPadding1D, fromConfig: plain(ZeroPadding1D), stepwise: false },
  { className: 'Cropping1D', cls: Cropping1D, fromConfig: plain(Cropping1D), stepwise: false },
  { className: 'TimeSlice', cls: TimeSlice, fromConfig: plain(TimeSlice), stepwise: false },
  { className: 'UpSampling1D', cls: UpSampling1D, fromConfig: plain(UpSampling1D), stepwise: false },
  { className: 'MaxPooling1D', cls: MaxPooling1D, fromConfig: plain(MaxPooling1D), stepwise: false },
  { className: 'AveragePooling1D', cls: AveragePooling1D, fromConfig: plain(AveragePooling1D), stepwise: false },
  { className: 'SpatialDropout1D', cls: SpatialDropout1D, fromConfig: plain(SpatialDropout1D), stepwise: true },
  { className: 'LayerNormalization', cls: LayerNormalization, fromConfig: plain(LayerNormalization), stepwise: true },
  { className: 'BatchNormalization', cls: BatchNormalization, fromConfig: plain(BatchNormalization), stepwise: true },
  { className: 'ReLU', cls: ReLU, fromConfig: plain(ReLU), stepwise: true },
  { className: 'LeakyReLU', cls: LeakyReLU, fromConfig: plain(LeakyReLU), stepwise: true },
  { className: 'ELU', cls: ELU, fromConfig: plain(ELU), stepwise: true },
  { className: 'ThresholdedReLU', cls: ThresholdedReLU, fromConfig: plain(ThresholdedReLU), stepwise: true },
  { className: 'PReLU', cls: PReLU, fromConfig: plain(PReLU), stepwise: (l) => (l as PReLU).sharedOverTime },
  { className: 'Softmax', cls: Softmax, fromConfig: plain(Softmax), stepwise: (l) => (l as Softmax).withinStep },
  { className: 'GaussianNoise', cls: GaussianNoise, fromConfig: plain(GaussianNoise), stepwise: true },
  { className: 'GaussianDropout', cls: GaussianDropout, fromConfig: plain(GaussianDropout), stepwise: true },
  { className: 'AlphaDropout', cls: AlphaDropout, fromConfig: plain(AlphaDropout), stepwise: true },
  { className: 'Normalization', cls: Normalization, fromConfig: plain(Normalization), stepwise: (l) => (l as Normalization).sharedOverTime },
  { className: 'InputLayer', cls: InputLayer, fromConfig: plain(InputLayer as unknown as Make), stepwise: true },
];

const BY_NAME = new Map(ENTRIES.map((e) => [e.className, e]));

/** Every registered layer class, in table order. */
export function layerEntries(): readonly LayerEntry[] {
  return ENTRIES;
}

/** The entry of a Keras class name, or undefined. */
export function layerEntry(className: string): LayerEntry | undefined {
  return BY_NAME.get(className);
}

/** rnnkit's own class for a Keras class name (worker replicas rebuild only these), or undefined. */
export function builtInClass(className: string): LayerEntry['cls'] | undefined {
  return BY_NAME.get(className)?.cls;
}

/** Whether a layer's class can run one time step at a time in a stream. */
export function isStepwise(layer: Layer): boolean {
  const e = BY_NAME.get(layer.className);
  return e !== undefined && e.cls === layer.constructor && (typeof e.stepwise === 'function' ? e.stepwise(layer) : e.stepwise);
}

/**
 * A layer from its class name and configuration. Unknown classes are a
 * ModelFormatError listing the known ones; a configuration its constructor refuses
 * becomes one naming the layer.
 */
export function layerFromConfig(json: LayerJSON, where: string, resolve: (json: LayerJSON, where: string) => Layer = (j, w) => layerFromConfig(j, w)): Layer {
  if (json === null || typeof json !== 'object' || typeof json.className !== 'string') {
    throw new ModelFormatError(`${where}: expected {className, config}, got ${show(json)?.slice(0, 80)}`);
  }
  const entry = BY_NAME.get(json.className);
  if (entry === undefined) throw new ModelFormatError(`${where}: unknown layer class '${json.className}'; supported: ${ENTRIES.map((e) => e.className).join(', ')}`);
  return entry.fromConfig(json.config ?? {}, resolve);
}
