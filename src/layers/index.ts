/** The `layers` namespace: factories with tfjs names. */
import { dense } from './dense.js';
import { simpleRNN } from './simpleRNN.js';
import { lstm } from './lstm.js';
import { gru } from './gru.js';
import { bidirectional } from './bidirectional.js';
import { timeDistributed } from './timeDistributed.js';

export const layers = { dense, simpleRNN, lstm, gru, bidirectional, timeDistributed };

export { Layer, type LayerArgs, type LayerWeight, type Shape } from './layer.js';
export { Dense, type DenseArgs } from './dense.js';
export { SimpleRNN, type SimpleRNNArgs } from './simpleRNN.js';
export { LSTM, type LSTMArgs } from './lstm.js';
export { GRU, type GRUArgs } from './gru.js';
export { Recurrent, type RecurrentArgs } from './recurrent.js';
export { Bidirectional, type BidirectionalArgs, type MergeMode } from './bidirectional.js';
export { TimeDistributed, type TimeDistributedArgs } from './timeDistributed.js';
