/** The `layers` namespace: factories with tfjs names. */
import { dense } from './dense.js';
import { simpleRNN } from './simpleRNN.js';
import { lstm } from './lstm.js';
import { gru } from './gru.js';
import { bidirectional } from './bidirectional.js';
import { timeDistributed } from './timeDistributed.js';
import { embedding } from './embedding.js';
import { masking } from './masking.js';
import { dropout } from './dropout.js';
import { activation } from './activation.js';
import { repeatVector } from './repeatVector.js';
import { flatten } from './flatten.js';
import { input, inputLayer } from './inputLayer.js';
import { add, average, concatenate, maximum, minimum, multiply, subtract } from './merge.js';
import { dot } from './dot.js';
import { additiveAttention, attention } from './attention.js';
import { multiHeadAttention } from './multiHeadAttention.js';
import { globalAveragePooling1d, globalMaxPooling1d } from './pooling.js';
import { permute, reshape } from './reshape.js';
import { conv1d } from './conv1d.js';
import { conv1dTranspose } from './convTranspose1d.js';
import { cropping1d, upSampling1d, zeroPadding1d } from './resize1d.js';
import { timeSlice } from './timeSlice.js';
import { averagePooling1d, maxPooling1d } from './pooling1d.js';
import { spatialDropout1d } from './spatialDropout1d.js';
import { layerNormalization } from './layerNormalization.js';
import { batchNormalization } from './batchNormalization.js';
import { elu, leakyReLU, prelu, reLU, softmax, thresholdedReLU } from './advancedActivations.js';
import { alphaDropout, gaussianDropout, gaussianNoise } from './noise.js';
import { normalization } from './normalization.js';

export const layers = {
  input,
  inputLayer,
  dense,
  simpleRNN,
  lstm,
  gru,
  bidirectional,
  timeDistributed,
  embedding,
  masking,
  dropout,
  activation,
  repeatVector,
  flatten,
  add,
  subtract,
  multiply,
  average,
  maximum,
  minimum,
  concatenate,
  dot,
  attention,
  additiveAttention,
  multiHeadAttention,
  globalAveragePooling1d,
  globalMaxPooling1d,
  reshape,
  permute,
  conv1d,
  conv1dTranspose,
  zeroPadding1d,
  cropping1d,
  timeSlice,
  upSampling1d,
  maxPooling1d,
  averagePooling1d,
  spatialDropout1d,
  layerNormalization,
  batchNormalization,
  reLU,
  leakyReLU,
  prelu,
  elu,
  thresholdedReLU,
  softmax,
  gaussianNoise,
  gaussianDropout,
  alphaDropout,
  normalization,
};

export { Layer, type LayerArgs, type LayerWeight, type Shape, type ApplyArgs, type ApplyInput } from './layer.js';
export { SymbolicTensor, Node, type NodeArgs } from './node.js';
export { InputLayer, input, type InputArgs, type InputLayerArgs } from './inputLayer.js';
export { Dense, type DenseArgs } from './dense.js';
export { SimpleRNN, type SimpleRNNArgs } from './simpleRNN.js';
export { LSTM, type LSTMArgs } from './lstm.js';
export { GRU, type GRUArgs } from './gru.js';
export { Recurrent, type RecurrentArgs } from './recurrent.js';
export { Bidirectional, type BidirectionalArgs, type MergeMode } from './bidirectional.js';
export { TimeDistributed, type TimeDistributedArgs } from './timeDistributed.js';
export { Embedding, type EmbeddingArgs } from './embedding.js';
export { Masking, type MaskingArgs } from './masking.js';
export { Dropout, TrainingNoise, type DropoutArgs } from './dropout.js';
export { GaussianNoise, GaussianDropout, AlphaDropout, type GaussianNoiseArgs, type GaussianDropoutArgs, type AlphaDropoutArgs } from './noise.js';
export { Normalization, type NormalizationArgs } from './normalization.js';
export { Activation, type ActivationArgs } from './activation.js';
export { RepeatVector, type RepeatVectorArgs } from './repeatVector.js';
export { Flatten, type FlattenArgs } from './flatten.js';
export { Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, type MergeArgs, type ConcatenateArgs } from './merge.js';
export { Dot, type DotArgs } from './dot.js';
export { Attention, AdditiveAttention, type AttentionArgs, type AdditiveAttentionArgs } from './attention.js';
export { MultiHeadAttention, type MultiHeadAttentionArgs } from './multiHeadAttention.js';
export { GlobalAveragePooling1D, GlobalMaxPooling1D, type GlobalPooling1DArgs } from './pooling.js';
export { Reshape, Permute, type ReshapeArgs, type PermuteArgs } from './reshape.js';
export { Conv1D, type Conv1DArgs, type Size1D } from './conv1d.js';
export { Conv1DTranspose, type Conv1DTransposeArgs } from './convTranspose1d.js';
export { TimeSlice, type TimeSliceArgs } from './timeSlice.js';
export { ZeroPadding1D, Cropping1D, UpSampling1D, type ZeroPadding1DArgs, type Cropping1DArgs, type UpSampling1DArgs } from './resize1d.js';
export { MaxPooling1D, AveragePooling1D, type Pooling1DArgs } from './pooling1d.js';
export { SpatialDropout1D, type SpatialDropout1DArgs } from './spatialDropout1d.js';
export { LayerNormalization, type LayerNormalizationArgs } from './layerNormalization.js';
export { BatchNormalization, type BatchNormalizationArgs } from './batchNormalization.js';
export {
  ReLU,
  LeakyReLU,
  PReLU,
  ELU,
  ThresholdedReLU,
  Softmax,
  type ReLUArgs,
  type LeakyReLUArgs,
  type PReLUArgs,
  type ELUArgs,
  type ThresholdedReLUArgs,
  type SoftmaxArgs,
} from './advancedActivations.js';
