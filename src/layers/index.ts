/** The `layers` namespace: factories with tfjs names. */
import { dense } from './dense.js';
import { simpleRNN } from './simpleRNN.js';
import { lstm } from './lstm.js';
import { gru } from './gru.js';

export const layers = { dense, simpleRNN, lstm, gru };

export { Layer, type LayerArgs, type LayerWeight, type Shape } from './layer.js';
export { Dense, type DenseArgs } from './dense.js';
export { SimpleRNN, type SimpleRNNArgs } from './simpleRNN.js';
export { LSTM, type LSTMArgs } from './lstm.js';
export { GRU, type GRUArgs } from './gru.js';
export { Recurrent, type RecurrentArgs } from './recurrent.js';
