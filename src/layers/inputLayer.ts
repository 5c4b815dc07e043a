/**
 * InputLayer and `input()`: where a graph starts. `input({shape: [null, 8]})` makes an
 * InputLayer and returns the symbolic tensor a model's data will stand in for (tfjs
 * `tf.input`, Keras `Input`). The layer computes nothing: the model writes its input
 * data there.
 */
import { checkOptions } from '../core/errors.js';
import { formatShape } from '../core/tensor.js';
import { Layer, checkLayerOptions, type LayerArgs, type Shape } from './layer.js';
import { Node, type CallSpec, type SymbolicTensor } from './node.js';

export interface InputLayerArgs extends Omit<LayerArgs, 'inputDim' | 'trainable' | 'weights' | 'seed'> {
  /** 'float32' (default) or 'int32' (integer data such as token indices; stored as exact floats). */
  dtype?: 'float32';
  /** Only false: rnnkit has no sparse tensors. */
  sparse?: boolean;
}

/** `input()` options (tfjs spellings). */
export interface InputArgs {
  /** Per-sample shape, without the batch axis, e.g. [null, 8] for sequences of any length of 8 features. */
  shape?: readonly (number | null)[];
  /** Shape with the batch axis first, e.g. [32, 10, 8] (a fixed batch, for stateful layers). */
  batchShape?: readonly (number | null)[];
  /** Fixed batch size to go with `shape`. */
  batchSize?: number;
  /** Layer name; default 'input_layer', 'input_layer_1', … */
  name?: string;
  /** 'float32' (default) or 'int32' (integer data such as token indices; stored as exact floats). */
  dtype?: 'float32' | 'int32';
  /** Only false: rnnkit has no sparse tensors. */
  sparse?: boolean;
}

const NO_INPUTS: CallSpec = Object.freeze({ stateCount: 0, args: Object.freeze({}) });

export class InputLayer extends Layer {
  readonly className = 'InputLayer';
  /** 'float32', or 'int32' for integer data (the values are still stored as float32). */
  readonly inputDtype: 'float32' | 'int32';

  constructor(args: InputLayerArgs & { dtype?: 'float32' | 'int32' }) {
    const a = args ?? {};
    const dtype = a.dtype ?? 'float32';
    super({ ...a, dtype: undefined } as LayerArgs, 'input_layer');
    checkLayerOptions(a, ['sparse'], this.where, { inputTensor: 'rnnkit inputs are always fed data at run time', ragged: 'rnnkit has no ragged tensors' });
    if (dtype !== 'float32' && dtype !== 'int32') throw new RangeError(`${this.where}: dtype ${JSON.stringify(dtype)} is not supported; use 'float32' or 'int32'`);
    if (a.sparse !== undefined && a.sparse !== false) throw new RangeError(`${this.where}: sparse inputs are not supported`);
    if (this.batchInputShape === null) throw new RangeError(`${this.where}: needs a shape (inputShape or batchInputShape)`);
    // shape [] is a batch of scalars: integer indices for an Embedding, as Keras allows.
    if (this.batchInputShape.length < 1) throw new RangeError(`${this.where}: the shape needs a batch axis, got ${formatShape(this.batchInputShape)}`);
    this.inputDtype = dtype;
    this.build(this.batchInputShape.slice(1));
    new Node(this, [], NO_INPUTS, [this.batchInputShape], this);
  }

  /** The symbolic tensor this input stands for. */
  get output(): SymbolicTensor {
    return this.inboundNodes[0]!.outputs[0]!;
  }

  override computeOutputShapes(inputShapes: readonly Shape[]): Shape[] {
    return inputShapes.length === 0 ? [this.batchInputShape!.slice(1)] : [this.computeOutputShape(inputShapes[0]!)];
  }

  computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }

  protected createWeights(): void {}

  forward(x: Float32Array): Float32Array {
    return x;
  }

  backward(dy: Float32Array, _B: number, _T: number, needDx: boolean): Float32Array | null {
    return needDx ? dy : null;
  }

  override getConfig(): Record<string, unknown> {
    return { batchInputShape: [...this.batchInputShape!], dtype: this.inputDtype, sparse: false, name: this.name };
  }
}

/**
 * A graph's input: `input({shape: [null, 8]})` → the symbolic tensor to call layers on
 * (tfjs `tf.input`). Give `shape` (per sample) or `batchShape` (batch axis first).
 */
export function input(args: InputArgs): SymbolicTensor {
  if (args === null || typeof args !== 'object') throw new TypeError('input: expected {shape, batchShape, batchSize, name, dtype}');
  checkOptions(args, ['shape', 'batchShape', 'batchSize', 'name', 'dtype', 'sparse'], 'input', {
    tensor: 'rnnkit inputs are always fed data at run time',
    optional: 'every input of an rnnkit model is required',
  });
  if ((args.shape === undefined) === (args.batchShape === undefined)) throw new RangeError('input: give exactly one of shape (per sample) and batchShape (batch axis first)');
  if (args.batchShape !== undefined && args.batchSize !== undefined) throw new RangeError('input: give batchSize with shape, not with batchShape');
  const layer = new InputLayer({
    ...(args.name === undefined ? {} : { name: args.name }),
    ...(args.shape === undefined ? {} : { inputShape: args.shape }),
    ...(args.batchShape === undefined ? {} : { batchInputShape: args.batchShape }),
    ...(args.batchSize === undefined ? {} : { batchSize: args.batchSize }),
    ...(args.dtype === undefined ? {} : { dtype: args.dtype }),
    ...(args.sparse === undefined ? {} : { sparse: args.sparse }),
  } as InputLayerArgs);
  return layer.output;
}

/**
 * `layers.inputLayer({inputShape, batchInputShape, batchSize, dtype, name})` (tfjs
 * `tf.layers.inputLayer`): an InputLayer to put first in a Sequential model's layers.
 */
export function inputLayer(args: InputLayerArgs & { dtype?: 'float32' | 'int32' }): InputLayer {
  return new InputLayer(args);
}
