/** The `layers` namespace: factories with tfjs names. */
import { dense } from './dense.js';
import { simpleRNN } from './simpleRNN.js';

export const layers = { dense, simpleRNN };

export { Layer, type LayerArgs, type LayerWeight, type Shape } from './layer.js';
export { Dense, type DenseArgs } from './dense.js';
export { SimpleRNN, type SimpleRNNArgs } from './simpleRNN.js';
